// [logs]: the log store's config section (config/section.h) — retention, how correlation IDs are
// found (correlation_id.h), and the limits on what one push request and one query may carry.
//
//   [logs]
//   retention = "0"                     # 0 keeps every line (lines of any age are accepted)
//   correlation_fields = ["correlation_id", "trace_id", "request_id", "traceparent"]
//   correlation_pattern = '...'         # RE2, first group = the ID, for plain-text lines
//   max_line_bytes = "256KiB"
//   max_labels_per_stream = 15
//   max_streams_per_push = 10000
//   max_lines_per_push = 1000000
//   max_entries_limit_per_query = 5000  # as Loki's limit of the same name
//   max_query_length = "721h"           # Loki's: the longest range a query may cover
//   max_query_bytes_read = "4GiB"       # Loki's: line bytes one query may read
//   segment_max_lines = 65536           # the head becomes a segment at this many lines,
//   segment_max_bytes = "16MiB"         #   or this many line bytes,
//   segment_max_age = "5m"              #   or this age
//   segment_compression_level = 3       # zstd level of a segment when sealed
//   compaction_level = 9                # and when compacted in the background (0: as sealed)
//   compaction_delay = "10m"            #   once this old
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/section.h"
#include "logs/correlation_id.h"

namespace gnomon::logs {

struct LogsConfig {
  static constexpr std::string_view kName = "logs";
  static std::span<const config::Field<LogsConfig>> Fields();

  int64_t retention_ms = 0;
  std::vector<std::string> correlation_fields = CorrelationIdOptions{}.fields;
  std::string correlation_pattern = CorrelationIdOptions{}.pattern;
  uint64_t max_line_bytes = 256 << 10;
  uint64_t max_labels_per_stream = 15;
  uint64_t max_streams_per_push = 10'000;
  uint64_t max_lines_per_push = 1'000'000;
  uint64_t max_entries_limit_per_query = 5'000;
  int64_t max_query_length_ms = int64_t{721} * 3600 * 1000;
  uint64_t max_query_bytes_read = uint64_t{4} << 30;
  uint64_t segment_max_lines = 65'536;
  uint64_t segment_max_bytes = 16 << 20;
  int64_t segment_max_age_ms = 300'000;
  uint64_t segment_compression_level = 3;
  uint64_t compaction_level = 9;
  int64_t compaction_delay_ms = 600'000;

  CorrelationIdOptions correlation() const { return {correlation_fields, correlation_pattern}; }
  bool operator==(const LogsConfig&) const = default;
};

}  // namespace gnomon::logs
