// Go's time.Duration text, as LogQL's duration label filters use it (`| latency > 250ms`).
//
// ParseGoDuration is time.ParseDuration: an optional sign, then one or more <decimal><unit>
// terms in any order ("1.5h", "1h30m", "300ms", "-2m3.5s", "10us"), units ns, us (µs, μs), ms, s,
// m, h; "0" alone is allowed. FormatGoDuration is Duration.String(): "0s", "1.5s", "1m0s",
// "1h2m3.5s", "250ms", "10µs", "7ns". Range selectors (`[5m]`) use Prometheus' syntax instead
// (util/duration.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gnomon/status.h"

namespace gnomon::logs::logql {

// Nanoseconds, or kInvalidArgument (`time: invalid duration "x"`, `time: unknown unit "d" in
// duration "1d"`) for malformed text or a value beyond int64.
Result<int64_t> ParseGoDuration(std::string_view text);

std::string FormatGoDuration(int64_t ns);

}  // namespace gnomon::logs::logql
