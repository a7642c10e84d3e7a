// LogStore: log lines per stream (a label set) in time-ordered blocks, with a correlation-ID index,
// kept in the engine's data directory as the keyspace "logs" (storage/keyspace.h), so lines have
// the samples' durability: Append returns OK only once the whole batch is durable (synced with
// SyncMode::kAlways), and a crash keeps every acknowledged batch whole or loses it whole.
//
// Each Append writes, in one atomic keyspace write, per stream and hour of the batch one block of
// its lines sorted by time (arrival order among equal times), the new streams, and for every line
// with a correlation ID (correlation_id.h) an index entry ID -> (time, block, position). A request's
// story is one prefix scan of the index plus the blocks it names; a time/stream search reads the
// matching streams' blocks of the hours in range. Layout: docs/format/logs.md.
//
// Limits are the caller's (ingest); the store accepts any timestamp (backfill) and, with
// `retention_ms`, no longer returns older lines. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/db.h"
#include "gnomon/matcher.h"
#include "gnomon/status.h"
#include "logs/correlation_id.h"
#include "logs/push/log_batch.h"
#include "storage/keyspace.h"

namespace gnomon::logs {

struct LogStoreOptions {
  CorrelationIdOptions correlation;
  int64_t retention_ms = 0;  // 0: keep everything
};

// One stored line.
struct StoredLine {
  int64_t ts_ns = 0;
  const Labels* stream = nullptr;  // owned by the store; valid while it lives
  std::string line;
  std::string correlation_id;  // "" when the line has none
};

struct AppendStats {
  size_t lines = 0;
  size_t with_id = 0;  // lines that went into the correlation-ID index
  size_t new_streams = 0;
};

class LogStore {
 public:
  static Result<std::unique_ptr<LogStore>> Open(DB* db, LogStoreOptions options, std::string_view keyspace = "logs");

  // Stores every entry of `batch` durably, or none (an error: nothing was stored).
  Result<AppendStats> Append(const LogBatch& batch);

  // Every line with correlation ID `id` whose time is in [start_ns, end_ns], in time order (then
  // arrival order); at most `limit` (the first ones). An unknown ID gives no lines.
  Result<std::vector<StoredLine>> ByCorrelationId(std::string_view id, int64_t start_ns, int64_t end_ns,
                                                  size_t limit) const;

  // Calls `visit` with every line of the streams matching every matcher whose time is in
  // [start_ns, end_ns), in time order (newest first if `backward`; arrival order among equal
  // times), until `visit` returns false. The line is
  // valid only during the call. Holds no lock while visiting. Errors: the keyspace's.
  Status ForEach(const Matchers& matchers, int64_t start_ns, int64_t end_ns, bool backward,
                 const std::function<bool(const StoredLine&)>& visit) const;

  // The streams matching every matcher that have lines in the hours overlapping [start_ns,
  // end_ns) (hour granularity, as blocks are kept: a stream may have no line in the range itself),
  // sorted. Errors: the keyspace's.
  Result<std::vector<Labels>> Streams(const Matchers& matchers, int64_t start_ns, int64_t end_ns) const;

  // The label names, sorted and unique, and the values of label `name`, sorted and unique, of the
  // streams Streams({}, start_ns, end_ns) gives.
  Result<std::vector<std::string>> LabelNames(int64_t start_ns = INT64_MIN, int64_t end_ns = INT64_MAX) const;
  Result<std::vector<std::string>> LabelValues(std::string_view name, int64_t start_ns = INT64_MIN,
                                               int64_t end_ns = INT64_MAX) const;

  size_t num_streams() const;

 private:
  struct Stream {
    uint64_t id = 0;
    Labels labels;
  };
  LogStore(std::unique_ptr<storage::Keyspace> ks, LogStoreOptions options, std::unique_ptr<CorrelationIdExtractor> ids)
      : ks_(std::move(ks)), options_(std::move(options)), ids_(std::move(ids)) {}
  Status Load();
  std::vector<const Stream*> Matching(const Matchers& matchers) const;
  int64_t RetentionCutoffNs() const;

  std::unique_ptr<storage::Keyspace> ks_;
  const LogStoreOptions options_;
  std::unique_ptr<CorrelationIdExtractor> ids_;
  std::mutex write_mu_;    // one Append at a time: block sequence numbers and new streams
  mutable std::mutex mu_;  // guards what follows
  std::map<Labels, std::unique_ptr<Stream>> streams_;
  std::map<uint64_t, const Stream*> by_id_;
  uint64_t next_stream_id_ = 1;
  uint64_t next_block_seq_ = 1;
};

}  // namespace gnomon::logs
