// Timestamps as text: RFC 3339 in UTC, as the Prometheus API and the CLI print and read them.
// Times are Unix milliseconds; the calendar arithmetic is util/civil_time.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gnomon/status.h"

namespace gnomon {

// RFC 3339 in UTC: "2023-11-14T22:13:20Z", with ".123" when the milliseconds are not zero.
std::string FormatRfc3339(int64_t ms);

// Go's time.RFC3339Nano in UTC for Unix nanoseconds, as Loki prints log times:
// "2023-11-14T22:13:20.123456789Z", the fraction without trailing zeros (none when zero).
std::string FormatRfc3339Nano(int64_t ns);

// RFC 3339 with exactly nine fraction digits, "2023-11-14T22:13:20.123000000Z" (30 bytes), into
// `out`; returns 30, or 0 when the year is outside 0000..9999. The form log lines often carry
// their own time in (the log store recognises it to store the time once).
size_t FormatRfc3339Fixed9(int64_t ns, char out[30]);

// What ParseRfc3339 accepts beyond RFC 3339's date-time. The defaults accept what Prometheus'
// HTTP API does (Go's time.Parse with time.RFC3339Nano).
struct Rfc3339Options {
  bool date_only = false;         // "2023-11-14": midnight UTC
  bool optional_seconds = false;  // "2023-11-14T22:13Z"
};

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" into Unix milliseconds. The 'T' may
// also be 't' or a space and the 'Z' a 'z'; a fraction may have any number of digits and is cut
// to milliseconds (toward the past); seconds may be 60 (a leap second, read as the next
// minute's 0). The day must exist in its month (2023-02-29 is rejected). kInvalidArgument naming
// the text if it is anything else (also trailing text or a missing offset).
Result<int64_t> ParseRfc3339(std::string_view text, const Rfc3339Options& options = {});

// RFC 3339 with up to nanosecond precision ("2023-11-14T22:13:20.123456789+02:00"), as Unix
// nanoseconds (a log line's "ts"); digits past the ninth are cut. nullopt if it is not RFC 3339
// or out of range.
std::optional<int64_t> ParseRfc3339Nanos(std::string_view text);

}  // namespace gnomon
