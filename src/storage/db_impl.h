// DBImpl: the engine behind gnomon::DB. Ties together the series table and label index (which
// series exist), the write-ahead log and head (recent samples), and the chunk store in RocksDB
// (sealed, compressed samples). See docs/architecture.md for the data path.
//
// One class, one file per concept:
//   db_open.cc        Open/Init, RocksDB and its column families, series load, WAL replay, close
//   db_write.cc       Write: series creation, WAL append, head append, Seal, WAL rotation, Flush
//   db_select.cc      Select, SelectShards, LabelNames/LabelValues, GetStats, GetCardinality
//   db_compact.cc     Compact: chunk merging within a window, retention, RocksDB compaction
//   db_background.cc  the background threads: interval sync and write-probe, periodic compaction
//   db_keyspace.cc    keyspace column families (storage/keyspace.h)
//   db_wal_tail.cc    WAL consumers (storage/wal_tail.h): their positions, the log's end, trimming
//
// Locking: write_mu_ serialises writers (series creation, WAL append, head append, sealing,
// WAL rotation). seal_mu_ makes a reader's copy of the head and its RocksDB snapshot one
// consistent view: a sealed run leaves the head only under the exclusive lock, after its chunks
// are in RocksDB. compact_mu_ allows one Compact at a time; bg_mu_ guards the background
// thread's stop flag; keyspace_mu_ guards the keyspace families; failure_mu_ the write state.
//
// Durability failures: a failed WAL append, RocksDB write or sync is counted and sets a bit of
// failed_ (Stats::writable is false while any is set); the bit clears when an operation of its
// kind next succeeds: a Write's append, a RocksDB write, or a sync (the background thread retries
// syncs every interval and probes appends while they fail). Write refuses batches while a sync
// has failed (they would be acknowledged without the sync their mode promises). A seal or WAL
// rotation that fails after a batch's WAL append (and sync) succeeded does not fail that Write:
// the batch is durable, its samples stay in the head and the WAL, and later writes retry.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <thread>

#include "gnomon/db.h"
#include "index/label_index.h"
#include "storage/head/head.h"
#include "storage/retention_filter.h"
#include "storage/series_set_impl.h"
#include "storage/series_table.h"
#include "storage/wal/wal.h"

namespace gnomon::storage {

// A RocksDB status as a Gnomon one (Corruption, NoSpace for ENOSPC/EDQUOT, else IOError; OK stays
// OK), prefixed with `what`.
Status FromRocks(const rocksdb::Status& s, const char* what);

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string path);
  ~DBImpl() override;

  Status Init();

  using DB::Write;
  Status Write(const WriteBatch& batch, std::vector<SeriesRef>* refs) override;
  Result<std::unique_ptr<SeriesSet>> Select(const Matchers& matchers, int64_t mint, int64_t maxt) override;
  Result<std::vector<std::unique_ptr<SeriesSet>>> SelectShards(const Matchers& matchers, int64_t mint, int64_t maxt,
                                                               size_t max_shards, size_t min_series_per_shard,
                                                               size_t max_series = 0) override;
  Result<std::vector<std::string>> LabelNames(const Matchers& matchers) override;
  Result<std::vector<std::string>> LabelValues(const std::string& name, const Matchers& matchers) override;
  Status Flush() override;
  Status Compact() override;
  Stats GetStats() override;
  CardinalityStats GetCardinality(size_t limit) override;

  // For storage/keyspace.cc. The column family of keyspace `name`, created on first use
  // (db_keyspace.cc); the handle lives as long as this DBImpl.
  Result<rocksdb::ColumnFamilyHandle*> KeyspaceFamily(std::string_view name);
  // Writes a keyspace batch with the engine's durability (SyncMode, or synced if `sync`),
  // counting failures into the engine's write state.
  Status WriteKeyspace(rocksdb::WriteBatch* batch, bool sync);
  rocksdb::DB* rocks() const { return rocks_; }

  // For storage/wal_tail.cc (db_wal_tail.cc). False with Options::in_memory (no log).
  bool has_wal() const { return wal_ != nullptr; }
  std::string WalSegmentPath(uint32_t segment) const;
  // The end of the acknowledged log: what a consumer may read (WalPosition packed as
  // segment << 40 | offset), and the oldest segment still on disk.
  uint64_t WalEnd() const { return wal_end_.load(std::memory_order_acquire); }
  uint32_t WalFirstSegment() const { return wal_first_segment_.load(std::memory_order_acquire); }
  // A consumer's acknowledged position, registering it at the log's end if it is new.
  Result<uint64_t> RegisterWalConsumer(std::string_view name);
  // Persists a consumer's acknowledged position (synced if `sync`); segments wholly before
  // every consumer's position may then go.
  Status AcknowledgeWal(std::string_view name, uint64_t position, bool sync);
  Status DropWalConsumer(std::string_view name);
  std::vector<std::string> WalConsumers();
  // The series' encoded label set ("" if ref is unknown).
  std::string EncodedLabelsOf(uint64_t ref) const { return std::string(series_.EncodedLabels(ref)); }

 private:
  struct PendingSeal {
    uint64_t ref;
    size_t count;
  };

  Status OpenRocksDB();
  // What Select and SelectShards share: the matching series in label order with their head
  // samples, and the RocksDB snapshot taken together with that copy; raises *mint to retention.
  // Fails before reading anything if more than `max_series` series match (0: no limit).
  Status PrepareSelection(const Matchers& matchers, int64_t* mint, int64_t maxt, size_t max_series,
                          std::vector<SelectedSeries>* selected, std::shared_ptr<const rocksdb::Snapshot>* snapshot);
  Status LoadSeries();
  Status ReplayRecord(uint32_t segment, WalRecordType type, std::string_view payload);
  // Creates the series whose ref is still 0, all-or-nothing (write_mu_ held).
  Status CreateSeries(const WriteBatch& batch, std::vector<uint64_t>* refs);
  // Seals the given head prefixes into chunks (write_mu_ held, or during Open).
  Status Seal(const std::vector<PendingSeal>& seals);
  Status MaybeRotateWal();
  // Deletes the WAL segments below `head_oldest` (the oldest one the head still needs) that no
  // consumer needs either, or that are past Options::max_wal_retained_bytes; records where
  // replay starts. write_mu_ held. (db_wal_tail.cc)
  Status TrimWal(uint32_t head_oldest);
  // Loads the consumers' positions and where replay starts (Open). (db_wal_tail.cc)
  Status LoadWalConsumers(uint32_t* first_replayed);
  void PublishWalEnd();
  Status SyncAll();
  // Every other column family (series, chunks, meta and the keyspaces), for Flush and Compact.
  std::vector<rocksdb::ColumnFamilyHandle*> AllFamilies();

  // ---- durability failures (db_write.cc) ----
  // Which kind of operation failed; each kind clears only when one of its kind succeeds.
  enum Failure : unsigned { kWalAppend = 1, kRocksWrite = 2, kSync = 4 };
  // Counts a failed append (kWalAppend, kRocksWrite) or sync, marks the engine unwritable and
  // returns `s` (logged when the engine stops being writable).
  Status RecordFailure(Failure kind, Status s);
  // Clears `kind` after a success; cheap (one atomic load) while nothing failed.
  void RecordSuccess(Failure kind) {
    if (failed_.load(std::memory_order_relaxed) & kind) ClearFailure(kind);
  }
  void ClearFailure(Failure kind);
  // A RocksDB write that resumes RocksDB first if an earlier one failed, and records the result.
  Status RocksWrite(const rocksdb::WriteOptions& wo, rocksdb::WriteBatch* wb, const char* what);
  // With SyncMode::kInterval (or kAlways) after a failed sync: syncs the WAL and RocksDB's log now;
  // writes are refused until this succeeds. write_mu_ held.
  Status RetryFailedSync();
  // fdatasync of the WAL and sync of RocksDB's log, recording the result. write_mu_ held.
  Status SyncNow();
  // Syncs RocksDB's log unless a RocksDB write has failed since it last succeeded (see
  // rocks_log_mu_); RocksDB then refuses writes until it has resumed with a new log anyway.
  Status SyncRocksLog();

  // ---- background thread (db_background.cc) ----
  void BackgroundLoop();
  void CompactionLoop();
  // While appends fail: checks whether the WAL and RocksDB accept writes again.
  void ProbeWritable();
  Status CompactChunks();

  const Options options_;
  const std::string path_;

  std::unique_ptr<rocksdb::Env> mem_env_;  // Options::in_memory: RocksDB's files; outlives rocks_
  rocksdb::DB* rocks_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, series, chunks, meta
  rocksdb::ColumnFamilyHandle* series_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* chunks_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  std::unique_ptr<RetentionFilter> retention_filter_;
  rocksdb::ColumnFamilyOptions keyspace_cf_options_;
  std::mutex keyspace_mu_;  // guards keyspaces_
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> keyspaces_;

  std::mutex write_mu_;
  std::mutex compact_mu_;  // one Compact at a time
  std::shared_mutex seal_mu_;
  SeriesTable series_;
  index::LabelIndex index_;
  Head head_;
  std::unique_ptr<Wal> wal_;  // null with Options::in_memory
  std::atomic<uint64_t> wal_end_{0};          // see WalEnd(); set under write_mu_
  std::atomic<uint32_t> wal_first_segment_{0};
  uint32_t wal_replay_from_ = 0;               // as last recorded in meta; write_mu_
  std::mutex wal_consumers_mu_;                // guards wal_consumers_
  std::map<std::string, uint64_t, std::less<>> wal_consumers_;  // name -> acknowledged position
  uint64_t next_ref_ = 1;
  std::atomic<uint64_t> next_chunk_seq_{1};

  std::atomic<uint64_t> samples_written_{0};
  std::atomic<uint64_t> chunks_written_{0};
  std::atomic<uint64_t> compactions_{0};
  std::atomic<uint64_t> compaction_errors_{0};

  std::atomic<uint64_t> wal_write_errors_{0};
  std::atomic<uint64_t> wal_sync_errors_{0};
  std::atomic<unsigned> failed_{0};  // Failure bits; non-zero: not writable
  size_t failed_append_bytes_ = 0;   // the last WAL append that failed; guarded by write_mu_
  std::mutex failure_mu_;            // serialises changes of failed_ and write_error_
  // Shared by RocksDB writes, exclusive for syncing RocksDB's log: RocksDB 7.8 aborts (an assertion
  // in its file writer) when its log is synced after a write to it failed, so SyncRocksLog skips
  // the sync while kRocksWrite is set, and no write can fail in between.
  std::shared_mutex rocks_log_mu_;
  std::string write_error_;

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stopping_ = false;
  std::atomic<bool> shutting_down_{false};  // stops a running compaction early
  std::thread bg_thread_;
  std::thread compaction_thread_;
};

}  // namespace gnomon::storage
