// Log push decoding (issue 12): the one in-memory batch every push format decodes into, and the
// limits and rejections the decoders share. The decoders are logs/push/loki_push.h (Loki's push
// API, JSON and snappy protobuf) and logs/push/ndjson_push.h (NDJSON and plain text); the log
// store (logs/log_store.h) ingests a LogBatch. This folder owns decoding and validation only: it
// calls nothing but util/, index/labels_util.h (label naming rules), query/selector.h (Loki's
// label-set text) and the protobuf, snappy, simdjson (the fast JSON path) and nlohmann-json (the
// reference, and the messages of what simdjson refuses) libraries.
//
// A rejected stream or entry never fails the request: it is left out of the batch and reported as
// a LogRejection, so the handler can answer 400 naming it while the valid lines are stored. Only
// a body that cannot be read at all (bad JSON syntax, corrupt snappy or protobuf) or a request
// past a size limit (streams, lines) fails the decode with a Status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gnomon/series.h"

namespace gnomon::logs {

struct LogEntry {
  int64_t ts_ns = 0;  // Unix nanoseconds; any int64 is accepted (1677 to 2262)
  std::string line;   // exactly as sent
  // Loki structured metadata, in the order sent (the JSON form: by name).
  std::vector<std::pair<std::string, std::string>> metadata;
};

// One stream: a label set and its entries in arrival order (not sorted by time). `labels` is
// sorted by name, has no duplicate names, no empty values, at least one label, and follows
// Prometheus' naming rules. Within one LogBatch no two streams have the same labels.
struct LogStream {
  Labels labels;
  std::vector<LogEntry> entries;
};

// Where a batch comes from, for exactly-once delivery (issue 13, gnomon-ship): a source — one
// file identity — and the byte range [start, end) of it whose lines the batch holds.
struct LogSource {
  std::string id;  // 1 to kMaxIdBytes bytes
  uint64_t start = 0, end = 0;
  static constexpr size_t kMaxIdBytes = 256;
};

struct LogBatch {
  std::vector<LogStream> streams;
  std::optional<LogSource> source;
};

// Why a stream, an entry or a line was left out of the batch.
struct LogRejection {
  // 1-based: the NDJSON or text line number (blank lines counted), or the Loki stream's position
  // in the request.
  size_t line_or_stream = 0;
  // Loki only: the 1-based position of the rejected entry within its stream; 0 when the whole
  // stream (or an NDJSON/text line) is rejected.
  size_t entry = 0;
  std::string reason;  // e.g. `line is 300000 bytes, limit is 262144`
};

// "line 3: <reason>" (unit "line"), "stream 2: <reason>" or "stream 2, entry 4: <reason>"
// (unit "stream").
std::string FormatRejection(const LogRejection& rejection, std::string_view unit);

struct LogLimits {
  size_t max_line_bytes = 256 * 1024;   // longer lines are rejected (Loki's max_line_size)
  size_t max_labels_per_stream = 15;    // Loki's max_label_names_per_series
  size_t max_label_name_bytes = 1024;   // Loki's max_label_name_length
  size_t max_label_value_bytes = 2048;  // Loki's max_label_value_length
  // Request limits: past them the whole request fails with kResourceExhausted (HTTP 413).
  size_t max_streams = 10'000;   // distinct label sets in one request
  size_t max_lines = 1'000'000;  // entries (Loki) or non-blank lines (NDJSON, text) in one request
  size_t max_rejections = 100;   // rejections kept in LogPushResult::rejections; the rest counted
};

struct LogPushResult {
  LogBatch batch;
  size_t accepted = 0;                   // entries in `batch`
  size_t rejected = 0;                   // entries or lines left out, those of rejected streams included
  std::vector<LogRejection> rejections;  // the first LogLimits::max_rejections, in request order
};

}  // namespace gnomon::logs
