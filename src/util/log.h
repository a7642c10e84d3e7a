// Minimal leveled logging to stderr in logfmt: `ts=... level=info msg="..."`. Thread-safe.
#pragma once

#include <string_view>

namespace gnomon::log {

enum class Level : unsigned char { kDebug, kInfo, kWarn, kError };

void SetLevel(Level level);
bool Enabled(Level level);
void Write(Level level, std::string_view message);

inline void Debug(std::string_view m) { Write(Level::kDebug, m); }
inline void Info(std::string_view m) { Write(Level::kInfo, m); }
inline void Warn(std::string_view m) { Write(Level::kWarn, m); }
inline void Error(std::string_view m) { Write(Level::kError, m); }

}  // namespace gnomon::log
