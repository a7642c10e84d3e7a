// Loki's push API, POST /loki/api/v1/push, in both of its encodings:
//   application/json:
//     {"streams":[{"stream":{"job":"api"},
//                  "values":[["1700000000000000000","a line"],
//                            ["1700000000000000001","another",{"trace_id":"abc"}]]}]}
//     timestamps are Unix nanoseconds as strings; the optional third element is the entry's
//     structured metadata (string values);
//   application/x-protobuf: a snappy (block format) compressed logproto.PushRequest
//     (logs/push/proto/push.proto), each stream's labels as text: `{job="api", env="prod"}`.
// Streams with the same label set are merged. See log_batch.h for what is rejected and what fails.
#pragma once

#include <string_view>

#include "gnomon/series.h"
#include "gnomon/status.h"
#include "logs/push/log_batch.h"

namespace gnomon::logs {

// Decodes a JSON push body. Fails with kInvalidArgument for a body that is not JSON ("invalid
// JSON: parse error at line 1, column 13: syntax error while parsing value - ..."), not an object, or without a
// "streams" array; with kResourceExhausted when the request holds more than max_lines entries or max_streams label
// sets. Rejects, naming the 1-based stream (and entry): a stream that is not an object or lacks
// an object "stream" / an array "values", label values that are not strings, label sets that
// break NormalizeStreamLabels' rules (push_common.h: names, reserved "__", duplicates, UTF-8,
// lengths, count); an entry that is not [ts, line] or [ts, line, {metadata}], a timestamp that is
// not a string of Unix nanoseconds, a line that is not a string or is longer than
// max_line_bytes, metadata that is not an object of strings. Objects mean what nlohmann-json makes
// of them: a key written twice counts with its last value, metadata comes sorted by name. The body
// is read with simdjson; nlohmann-json reads the bodies simdjson refuses (not JSON, but also
// integers past 64 bits, nesting deeper than 1024, a byte-order mark) and words every error, so
// what is accepted and the messages are nlohmann-json's.
Result<LogPushResult> DecodeLokiPushJson(std::string_view body, const LogLimits& limits);

// Decodes a snappy-compressed protobuf push body. Fails with kInvalidArgument naming the step
// ("snappy: corrupt input", "snappy: decompressed size N exceeds limit M", "protobuf: cannot parse
// PushRequest") and with kResourceExhausted as DecodeLokiPushJson. Rejects a stream whose label
// text does not parse (ParseLokiLabels) or breaks the label rules; an entry with an invalid
// timestamp (nanos outside [0, 1e9), or out of int64 nanoseconds), an over-long line, or
// structured metadata with an empty name.
Result<LogPushResult> DecodeLokiPushProtobuf(std::string_view body, size_t max_decompressed_bytes,
                                             const LogLimits& limits);

// Parses Loki's label-set text, `{a="b", c="d"}`, with PromQL's string literals (Go escapes:
// \" \\ \n \t \xHH \u1234 ..., also single quotes and backticks), into labels in the order
// written (not yet validated or sorted; empty values kept). It is read by the PromQL parser as a
// selector with only `=` matchers (query/selector.h), so a label set whose values are all empty,
// like `{}` or `{a=""}`, is an error too. kInvalidArgument, e.g. "parse error in selector at
// char 5: ...", "labels must be written {name=\"value\", ...}", "label \"a\" uses =~; only = is
// allowed".
Result<Labels> ParseLokiLabels(std::string_view text);

}  // namespace gnomon::logs
