// Gnomon's own log push formats, POST /api/v1/logs:
//   NDJSON (application/x-ndjson or application/json): one JSON object per line,
//     {"ts":"2023-11-14T22:13:20.123456789Z","service":"api","level":"error","msg":"...", ...}
//     `service` and `level` (top-level string fields) become the stream's labels: a line without
//     a service (absent, null or "") goes to service="unknown"; one without a level has no level
//     label. `ts` is RFC 3339 with up to nanosecond precision and any offset, or Unix nanoseconds
//     as an integer or a string of digits; absent (or null) it is the server's time. The entry's
//     line is the line exactly as sent (every field kept, nothing re-serialised), without its
//     line break and a trailing '\r'. Blank lines are skipped.
//   plain text: every non-empty line (without '\r') is an entry as it is, in one stream given by
//     the request (`?service=...&level=...`), at the server's time.
// Server times: the n-th entry given the server's time gets now_ns + n (n from 0) in its
// request, so lines keep their order.
#pragma once

#include <cstdint>
#include <string_view>

#include "gnomon/status.h"
#include "logs/push/log_batch.h"

namespace gnomon::logs {

// Decodes an NDJSON body. Rejects, naming the 1-based line: invalid JSON ("invalid JSON: parse
// error at column 12: syntax error ..."), a line that is not an object, "ts" of another type or not a time, "service"
// or "level" not strings, label values past the label rules (UTF-8, length), lines longer than max_line_bytes. Fails
// with kResourceExhausted past max_lines non-blank lines or max_streams distinct (service, level) pairs.
Result<LogPushResult> DecodeNdjsonLogs(std::string_view body, int64_t now_ns, const LogLimits& limits);

// Decodes a plain-text body into the stream {service, level} (level omitted when empty). Fails
// with kInvalidArgument when `service` is empty or the labels break the rules, kResourceExhausted
// past max_lines non-empty lines. Rejects lines longer than max_line_bytes.
Result<LogPushResult> DecodePlainTextLogs(std::string_view body, std::string_view service, std::string_view level,
                                          int64_t now_ns, const LogLimits& limits);

}  // namespace gnomon::logs
