#include "util/time_format.h"

#include <cstdio>
#include <ctime>

namespace gnomon {

std::string FormatRfc3339(int64_t ms) {
  int64_t secs = ms / 1000, frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(frac));
    out += buf;
  }
  out += 'Z';
  return out;
}

}  // namespace gnomon
