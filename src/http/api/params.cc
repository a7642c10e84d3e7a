#include "http/api/params.h"

#include <charconv>
#include <cmath>
#include <string>

#include "util/time_format.h"

namespace gnomon::api {

Result<int64_t> ParseTimeParam(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty timestamp");
  double seconds;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (!std::isfinite(seconds) || std::fabs(seconds) > 9.2e15) {
      return Status::InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid timestamp");
    }
    return static_cast<int64_t>(std::llround(seconds * 1000));
  }
  if (auto ms = ParseRfc3339(text); ms.ok()) return *ms;
  return Status::InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid timestamp");
}

}  // namespace gnomon::api
