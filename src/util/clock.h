// The wall clock as Gnomon stamps samples and evaluates "now": Unix milliseconds.
//
// NowMs() is std::chrono::system_clock in milliseconds since 1970-01-01T00:00:00Z, so it jumps
// when the system clock is set; measure intervals with std::chrono::steady_clock instead. Thread-
// safe, never fails.
#pragma once

#include <chrono>
#include <cstdint>

namespace gnomon {

// The current wall-clock time in Unix milliseconds.
inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace gnomon
