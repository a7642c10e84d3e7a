// DB: an embedded Gnomon time-series engine over one data directory.
//
//   std::unique_ptr<gnomon::DB> db;
//   gnomon::Status s = gnomon::DB::Open(gnomon::Options(), "/var/lib/gnomon", &db);
//   gnomon::WriteBatch b;  b.Add({{"__name__", "up"}, {"job", "api"}}, now_ms, 1);
//   s = db->Write(b);
//   auto set = db->Select({gnomon::Matcher::Equal("job", "api")}, now_ms - 3600000, now_ms);
//
// Thread-safety: a DB may be used from many threads at once without external locking.
// A data directory may be opened by one DB (one process) at a time; a second Open fails.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gnomon/cardinality.h"
#include "gnomon/iterator.h"
#include "gnomon/matcher.h"
#include "gnomon/options.h"
#include "gnomon/series.h"
#include "gnomon/status.h"
#include "gnomon/write_batch.h"

namespace gnomon {

// Counters describing the engine's state; see DB::GetStats.
struct Stats {
  uint64_t num_series = 0;
  uint64_t head_series = 0;         // series with samples not yet sealed into a chunk
  uint64_t head_samples = 0;        // samples held in memory, not yet sealed
  uint64_t head_bytes = 0;          // approximate memory used by the head: runs + index below
  uint64_t head_run_bytes = 0;      // of which unsealed samples and per-series head state
  uint64_t index_bytes = 0;         // of which the series table and the label index
  uint64_t samples_written = 0;     // since Open
  uint64_t chunks_written = 0;      // since Open
  uint64_t wal_bytes = 0;           // current size of the write-ahead log on disk
  uint64_t disk_bytes = 0;          // RocksDB's live SST files
  int64_t retention_cutoff_ms = 0;  // samples before this are no longer returned (0: none)
  uint64_t compactions = 0;         // Compact runs completed since Open (explicit and periodic)
  uint64_t compaction_errors = 0;   // Compact runs that failed since Open

  // Durability. A write is durable once its WAL record (and, with SyncMode::kAlways, its sync)
  // succeeded; these say when that could not be done. Failed WAL appends, RocksDB writes (series,
  // chunks, keyspaces) and failed syncs (WAL fdatasync, RocksDB log sync) are counted; `writable`
  // is false while the last attempt of such an append or sync failed and none has succeeded
  // since, and `write_error` then holds that failure's reason (empty while writable). The engine
  // retries by itself: each Write tries again, the background thread retries syncs and probes
  // whether the log can be appended to again, so the state clears once there is room again.
  uint64_t wal_write_errors = 0;  // failed WAL / RocksDB appends since Open
  uint64_t wal_sync_errors = 0;   // failed WAL fdatasyncs / RocksDB log syncs since Open
  bool writable = true;
  std::string write_error;
};

class DB {
 public:
  // Opens (creating it if allowed) the engine stored in `path`, replaying the write-ahead log so
  // every acknowledged write is visible. On success stores the engine in *db and returns OK.
  // With Options::in_memory the engine starts empty and touches no file: `path` is only a name.
  static Status Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Closes the engine: seals nothing, but syncs the write-ahead log, so reopening recovers all.
  virtual ~DB() = default;

  // Writes every sample in `batch`, or none if the batch is invalid (bad labels, limits). When it
  // returns OK the samples are in the write-ahead log (see SyncMode) and visible to every read
  // that starts afterwards. It never returns OK for a batch that is not durable: when the log
  // cannot be appended to or synced it returns kNoSpace (disk or quota full) or kIOError (any
  // other I/O failure, a read-only file system) and the batch is not stored; with
  // SyncMode::kInterval, after a background sync failed, writes are refused the same way until a
  // sync succeeds again (each Write retries it). See Stats::writable. Once the cause is gone,
  // writes succeed again without reopening.
  Status Write(const WriteBatch& batch) { return Write(batch, nullptr); }
  // The same, and when it returns OK and `refs` is not null, *refs holds each of the batch's
  // entries' series reference, in order (WriteBatch::num_entries), for later batches to name the
  // series by (WriteBatch::Add(SeriesRef, ...)). A ref this DB never gave fails the whole batch
  // with kInvalidArgument.
  virtual Status Write(const WriteBatch& batch, std::vector<SeriesRef>* refs) = 0;

  // The series matching all `matchers`, with their samples in [mint, maxt] (inclusive).
  // At least one matcher must not match the empty string (as in Prometheus).
  virtual Result<std::unique_ptr<SeriesSet>> Select(const Matchers& matchers, int64_t mint, int64_t maxt) = 0;

  // The same selection split for parallel reading: up to `max_shards` sets, each holding about
  // the same number of series (at least `min_series_per_shard`, except a lone shard) in label
  // order, so reading them one after another yields exactly what Select yields. All read one
  // snapshot; each may be used from a different thread. Returns no sets if nothing matches.
  // When more than `max_series` series match (0: no limit) it fails with kResourceExhausted
  // before any of them is read: the index tells how many a selection touches.
  virtual Result<std::vector<std::unique_ptr<SeriesSet>>> SelectShards(const Matchers& matchers, int64_t mint,
                                                                       int64_t maxt, size_t max_shards,
                                                                       size_t min_series_per_shard,
                                                                       size_t max_series = 0) = 0;

  // Sorted label names / values of a label, over the series matching `matchers` (all series if
  // empty).
  virtual Result<std::vector<std::string>> LabelNames(const Matchers& matchers) = 0;
  virtual Result<std::vector<std::string>> LabelValues(const std::string& name, const Matchers& matchers) = 0;

  // Seals every in-memory sample into compressed chunks and persists them, then trims the
  // write-ahead log. After Flush the data directory holds no unsealed data.
  virtual Status Flush() = 0;

  // Merges overlapping chunks (from out-of-order writes) and small neighbouring chunks of each
  // series, applies retention, and compacts RocksDB so disk usage reflects the live data.
  virtual Status Compact() = 0;

  virtual Stats GetStats() = 0;

  // The index's cardinality: series and label pairs, the top `limit` of each list (see
  // CardinalityStats). Takes time proportional to the number of distinct label pairs.
  virtual CardinalityStats GetCardinality(size_t limit) = 0;
};

}  // namespace gnomon
