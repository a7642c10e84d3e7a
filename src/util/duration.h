// Durations written the way Prometheus writes them (model.ParseDuration / Duration.String).
//
// A duration is "0", or one or more <digits><unit> terms with units, largest first, each at most
// once:  y (365 days), w (7 days), d (24 h), h, m, s, ms.  Examples: "15d", "1h30m", "500ms",
// "2w", "1y2w3d4h5m6s7ms". No sign, no spaces, no fractions, no other units ("1.5h", "-1s",
// "1h 30m", "1us" and "30m1h" are all rejected).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gnomon/status.h"

namespace gnomon {

// Parses `text` into milliseconds. Fails with kInvalidArgument, naming the text and the reason, if
// it is empty, malformed, uses an unknown unit, repeats a unit or puts units out of order, or if
// the total does not fit in an int64 number of milliseconds.
Result<int64_t> ParseDurationMs(std::string_view text);

// Formats milliseconds the way Prometheus does: "0s" for 0; otherwise the largest units first,
// omitting zero terms, where years and weeks are used only if they divide the value exactly
// ("90d" rather than "12w6d"). 5400000 -> "1h30m", 1209600000 -> "2w", 1500 -> "1s500ms".
// Every non-negative result parses back to `ms` with ParseDurationMs. Negative values (which
// Prometheus renders as "") are written as "-" followed by the magnitude.
std::string FormatDuration(int64_t ms);

}  // namespace gnomon
