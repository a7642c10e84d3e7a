// The wall clock as Gnomon stamps samples and evaluates "now": Unix milliseconds (NowMs; log
// lines use Unix nanoseconds, NowNs).
//
// NowMs() is std::chrono::system_clock in milliseconds since 1970-01-01T00:00:00Z, so it jumps
// when the system clock is set; measure intervals with std::chrono::steady_clock instead. Thread-
// safe, never fails.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>

namespace gnomon {

// The current wall-clock time in Unix milliseconds.
inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The current wall-clock time in Unix nanoseconds (log lines' resolution).
inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A monotonic clock in milliseconds (std::chrono::steady_clock), for intervals, timeouts and
// backoff: it never jumps.
inline int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Saturating int64 arithmetic for times and ranges that may be anything an int64 holds.
inline int64_t SatAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  return r;
}
inline int64_t SatSub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  return r;
}

}  // namespace gnomon
