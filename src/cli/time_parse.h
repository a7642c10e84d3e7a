// Times and steps as the gnomon command line accepts them.
//
// A time is one of
//   now                      the current time
//   -1h, +30m, now-1h30m     relative to now (Prometheus durations, see util/duration.h)
//   1700000000, 1700000000.5 unix seconds (a fraction keeps milliseconds)
//   2023-11-14T22:13:20Z     RFC 3339, with Z or a +HH:MM / -HH:MM offset and optional fraction;
//                            "2023-11-14 22:13:20Z" and a bare date "2023-11-14" (UTC) also work
// and is returned as unix milliseconds. A step is a duration ("15s", "1m") or a number of seconds
// ("15", "0.5"), returned as milliseconds, and must be positive.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gnomon/status.h"
#include "util/time_format.h"

namespace gnomon::cli {

// Parses `text` relative to `now_ms`. kInvalidArgument names the text and what is accepted.
Result<int64_t> ParseTime(std::string_view text, int64_t now_ms);

// Parses a query step; kInvalidArgument if malformed or not positive.
Result<int64_t> ParseStep(std::string_view text);

// Unix seconds as the Prometheus API takes them: "1700000000" or "1700000000.5" (no trailing
// zeros, milliseconds at most).
std::string FormatUnixSeconds(int64_t ms);

// RFC 3339 in UTC (util/time_format.h).
using gnomon::FormatRfc3339;

}  // namespace gnomon::cli
