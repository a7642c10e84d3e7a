// Internal to logs/push: what the push decoders share — label-set validation, timestamp parsing,
// and BatchBuilder, which groups entries into streams and keeps the result's counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gnomon/series.h"
#include "logs/push/log_batch.h"

namespace gnomon::logs::push_internal {

// Drops labels with an empty value (Prometheus: the same as no label), sorts by name and checks
// the rest: at least one label, at most max_labels_per_stream, names valid ([a-zA-Z_][a-zA-Z0-9_]*),
// not reserved ("__" prefix) and unique, values valid UTF-8, the length limits. Returns the reason
// for the first rule broken, or nullopt.
std::optional<std::string> NormalizeStreamLabels(Labels* labels, const LogLimits& limits);

// Whether `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);

// "[-]digits" as Unix nanoseconds; nullopt for anything else or out of int64's range.
std::optional<int64_t> ParseUnixNanos(std::string_view text);

// The reason for a line past max_line_bytes, or nullopt.
std::optional<std::string> CheckLineLength(size_t bytes, const LogLimits& limits);

class BatchBuilder {
 public:
  BatchBuilder(LogPushResult* result, const LogLimits& limits) : result_(result), limits_(limits) {}

  // The index in result->batch.streams of the stream with these labels (normalized: sorted,
  // checked), created if new; nullopt when that would make more than max_streams streams.
  std::optional<size_t> Stream(Labels labels);

  void Add(size_t stream, LogEntry entry) {
    result_->batch.streams[stream].entries.push_back(std::move(entry));
    ++result_->accepted;
  }

  // Records a rejection of `entries` entries (0 for a stream element with none to count).
  void Reject(size_t line_or_stream, size_t entry, std::string reason, size_t entries = 1);

 private:
  LogPushResult* result_;
  const LogLimits& limits_;
  std::unordered_map<std::string, size_t> index_;  // encoded labels -> stream index
};

}  // namespace gnomon::logs::push_internal
