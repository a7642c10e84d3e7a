// LogStore: log lines per stream (a label set) with a correlation-ID index, kept in the engine's
// data directory as the keyspace "logs" (storage/keyspace.h), so lines have the samples'
// durability: Append returns OK only once the whole batch is durable (synced with
// SyncMode::kAlways), and a crash keeps every acknowledged batch whole or loses it whole.
//
// Write path, as an LSM's: Append writes the batch as one log record (its lines with their
// stream and extracted correlation ID, correlation_id.h) and adds it to the in-memory head. A head
// that reaches `segment_max_rows` / `segment_max_bytes` or `head_max_age_ms` is sealed: its lines
// become one immutable compressed segment (segment.h) and the ID index gets one key per (ID,
// segment), in the same atomic write that deletes the head's log records. Open replays the records
// of the head that was not sealed.
//
// Reads: a request's story is a prefix scan of the ID index, then per segment its ID dictionary,
// columns and the block or two holding that request's lines, plus the heads; a time/stream search
// reads the columns of the segments that overlap the range and hold a matching stream, and then
// only the blocks of the rows it selected. Layout: docs/format/logs.md.
//
// Limits are the caller's (ingest); the store accepts any timestamp (backfill) and, with
// `retention_ms`, no longer returns older lines and deletes segments wholly past it. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
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
  // When the head becomes a segment: whichever comes first.
  size_t segment_max_rows = 65536;
  size_t segment_max_bytes = 16 << 20;  // line bytes
  int64_t head_max_age_ms = 300'000;    // checked on Append and by the background thread
  int compression_level = 3;            // zstd, for segments as they are sealed
  // A background thread compacts segments sealed more than `compaction_delay_ms` ago (Compact: all
  // of them now): rewritten at zstd `compaction_level` (0: left at the seal's level), smaller on
  // disk, and given text filters, so substring searches skip their blocks (text_filter.h); at a
  // CPU cost kept off the ingest path and at a lower priority.
  int compaction_level = 9;
  int64_t compaction_delay_ms = 600'000;
};

// One stored line.
struct StoredLine {
  int64_t ts_ns = 0;
  const Labels* stream = nullptr;  // owned by the store; valid while it lives
  std::string line;
  std::string correlation_id;  // set by ByCorrelationId; ForEach leaves it empty
};

struct AppendStats {
  size_t lines = 0;
  size_t with_id = 0;  // lines that went into the correlation-ID index
  size_t new_streams = 0;
  bool duplicate = false;  // the batch's source range was stored already: nothing was written
};

// What a scan examined: the lines of the selected streams and range it looked at (before the
// filters), and the bytes of those whose text it read.
struct ScanStats {
  size_t lines = 0;
  size_t bytes = 0;
};

// Hints for LogStore::Scan: what the store may leave out before calling the visitor. Every line
// they leave out is one the caller would drop anyway, so a caller that re-checks is still right.
struct ScanOptions {
  bool backward = false;  // newest first
  // Substrings every wanted line contains (a LogQL query's `|=` filters): a block lacking one is
  // skipped whole. A hint: lines of the other blocks are not checked against it one by one.
  std::vector<std::string> required;
  // A line for which this is false is not visited (null: every line is).
  std::function<bool(std::string_view line)> line_filter;
  // False: the visitor does not read StoredLine::line (it is left empty), so no lines are read
  // but those the filters need.
  bool lines = true;
  // The scan's budget: past this many lines of the selected streams and range examined (before the
  // filters), Scan stops with kResourceExhausted.
  size_t max_lines = SIZE_MAX;
  // And past this many bytes of line text read (ScanStats::bytes).
  size_t max_bytes = SIZE_MAX;
  ScanStats* stats = nullptr;  // filled in when not null
};

class LogStore {
 public:
  ~LogStore();
  static Result<std::unique_ptr<LogStore>> Open(DB* db, LogStoreOptions options, std::string_view keyspace = "logs");

  // Stores every entry of `batch` durably, or none (an error: nothing was stored). A batch with a
  // source (LogSource) is stored together with its range, durably in the same write, and only
  // once: a range ending at or before the one stored for that source is a duplicate (nothing is
  // written, stats.duplicate), one starting before it ends overlaps it (FailedPrecondition:
  // SourceEnd tells where to resume); a later one is stored, gaps allowed.
  Result<AppendStats> Append(const LogBatch& batch);
  // The end of the last range stored for source `id`, if any.
  std::optional<uint64_t> SourceEnd(std::string_view id) const;

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
  // ForEach with hints (above).
  Status Scan(const Matchers& matchers, int64_t start_ns, int64_t end_ns, const ScanOptions& options,
              const std::function<bool(const StoredLine&)>& visit) const;

  // The streams matching every matcher that have lines in the segments overlapping [start_ns,
  // end_ns) or in the heads within it (segment granularity: a stream may have no line in the range
  // itself), sorted. Errors: the keyspace's.
  Result<std::vector<Labels>> Streams(const Matchers& matchers, int64_t start_ns, int64_t end_ns) const;

  // The label names, sorted and unique, and the values of label `name`, sorted and unique, of the
  // streams Streams({}, start_ns, end_ns) gives.
  Result<std::vector<std::string>> LabelNames(int64_t start_ns = INT64_MIN, int64_t end_ns = INT64_MAX) const;
  Result<std::vector<std::string>> LabelValues(std::string_view name, int64_t start_ns = INT64_MIN,
                                               int64_t end_ns = INT64_MAX) const;

  size_t num_streams() const;
  size_t num_segments() const;

  // Seals the head into a segment now (POST /internal/flush).
  Status Flush();
  // Compacts every segment not yet compacted now (POST /internal/compact).
  Status Compact();

 private:
  struct Stream;
  struct Head;
  struct Segment;
  struct Snapshot;
  LogStore(std::unique_ptr<storage::Keyspace> ks, LogStoreOptions options, std::unique_ptr<CorrelationIdExtractor> ids);
  Status Load();
  Status ReplayRecord(uint64_t wal_seq, std::string_view record);
  std::vector<const Stream*> Matching(const Matchers& matchers) const;
  int64_t RetentionCutoffNs() const;
  // Moves the active head to the sealing list when it is due (`force`: when it has any line).
  bool RotateHeadLocked(bool force);
  // Seals every head on the sealing list, oldest first; then drops segments past retention.
  Status SealPending();
  Status DropExpired();
  // Compacts the segments sealed before `sealed_before_ms` that are not yet.
  Status CompactSegments(int64_t sealed_before_ms);
  // Deletes the keys compactions replaced whose segment's old meta no reader holds any more.
  // Called with seal_mu_ held.
  Status DeleteObsolete();
  // The background thread: seals a head left alone past head_max_age_ms and rewrites segments
  // past compaction_delay_ms, at nice 10, until the store is destroyed.
  void BackgroundLoop();
  // The segments overlapping [start, end_inclusive] (with one of `sids`, sorted, unless null), the
  // sealing heads, and a copy of the active head's rows in that range of those streams (and of
  // correlation ID `id` unless empty).
  Snapshot TakeSnapshot(const std::vector<uint64_t>* sids, int64_t start, int64_t end_inclusive,
                        std::string_view id) const;

  std::unique_ptr<storage::Keyspace> ks_;
  const LogStoreOptions options_;
  std::unique_ptr<CorrelationIdExtractor> ids_;
  std::mutex seal_mu_;  // one seal at a time; guards next_segment_seq_ and obsolete_
  uint64_t next_segment_seq_ = 1;
  // Keys a compaction replaced (also listed durably under x/ seq), with the segment as it was.
  struct Obsolete {
    std::weak_ptr<const Segment> old;
    uint64_t seq;
    std::vector<std::string> keys;
  };
  std::vector<Obsolete> obsolete_;
  mutable std::mutex mu_;  // guards what follows
  std::map<Labels, std::unique_ptr<Stream>> streams_;
  std::map<uint64_t, const Stream*> by_id_;
  uint64_t next_stream_id_ = 1;
  uint64_t next_wal_seq_ = 1;
  std::shared_ptr<Head> head_;                            // the active head
  std::vector<std::shared_ptr<const Head>> sealing_;      // full heads not yet segments, oldest first
  std::vector<std::shared_ptr<const Segment>> segments_;  // by seq

  mutable std::mutex source_mu_;  // held across an Append with a source; guards source_end_
  std::map<std::string, uint64_t, std::less<>> source_end_;

  std::mutex compaction_mu_;  // guards stopping_ (the background thread's)
  std::condition_variable compaction_cv_;
  bool stopping_ = false;
  std::thread background_;
};

}  // namespace gnomon::logs
