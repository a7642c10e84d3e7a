// DBImpl: the engine behind gnomon::DB. Ties together the series table and label index (which
// series exist), the write-ahead log and head (recent samples), and the chunk store in RocksDB
// (sealed, compressed samples). See docs/architecture.md for the data path.
//
// One class, one file per concept:
//   db_open.cc        Open/Init, RocksDB and its column families, series load, WAL replay, close
//   db_write.cc       Write: series creation, WAL append, head append, Seal, WAL rotation, Flush
//   db_select.cc      Select, SelectShards, LabelNames/LabelValues, GetStats
//   db_compact.cc     Compact: chunk merging within a window, retention, RocksDB compaction
//   db_background.cc  the background thread (interval sync)
//
// Locking: write_mu_ serialises writers (series creation, WAL append, head append, sealing,
// WAL rotation). seal_mu_ makes a reader's copy of the head and its RocksDB snapshot one
// consistent view: a sealed run leaves the head only under the exclusive lock, after its chunks
// are in RocksDB. compact_mu_ allows one Compact at a time; bg_mu_ guards the background
// thread's stop flag.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "gnomon/db.h"
#include "index/label_index.h"
#include "storage/head/head.h"
#include "storage/retention_filter.h"
#include "storage/series_set_impl.h"
#include "storage/series_table.h"
#include "storage/wal/wal.h"

namespace gnomon::storage {

// A RocksDB status as a Gnomon one (Corruption or IOError; OK stays OK), prefixed with `what`.
Status FromRocks(const rocksdb::Status& s, const char* what);

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string path);
  ~DBImpl() override;

  Status Init();

  Status Write(const WriteBatch& batch) override;
  Result<std::unique_ptr<SeriesSet>> Select(const Matchers& matchers, int64_t mint, int64_t maxt) override;
  Result<std::vector<std::unique_ptr<SeriesSet>>> SelectShards(const Matchers& matchers, int64_t mint, int64_t maxt,
                                                               size_t max_shards, size_t min_series_per_shard) override;
  Result<std::vector<std::string>> LabelNames(const Matchers& matchers) override;
  Result<std::vector<std::string>> LabelValues(const std::string& name, const Matchers& matchers) override;
  Status Flush() override;
  Status Compact() override;
  Stats GetStats() override;

 private:
  struct PendingSeal {
    uint64_t ref;
    size_t count;
  };

  Status OpenRocksDB();
  // What Select and SelectShards share: the matching series in label order with their head
  // samples, and the RocksDB snapshot taken together with that copy; raises *mint to retention.
  Status PrepareSelection(const Matchers& matchers, int64_t* mint, int64_t maxt,
                          std::vector<SelectedSeries>* selected, std::shared_ptr<const rocksdb::Snapshot>* snapshot);
  Status LoadSeries();
  Status ReplayRecord(uint32_t segment, WalRecordType type, std::string_view payload);
  // Looks up the ref of every batch entry (0 where unknown); true if all are known.
  bool LookupSeries(const WriteBatch& batch, std::vector<uint64_t>* refs);
  // Creates the series whose ref is still 0, all-or-nothing (write_mu_ held).
  Status CreateSeries(const WriteBatch& batch, std::vector<uint64_t>* refs);
  // Seals the given head prefixes into chunks (write_mu_ held, or during Open).
  Status Seal(const std::vector<PendingSeal>& seals);
  Status MaybeRotateWal();
  Status SyncAll();
  void BackgroundLoop();
  Status CompactChunks();

  const Options options_;
  const std::string path_;

  rocksdb::DB* rocks_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* series_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* chunks_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  std::unique_ptr<RetentionFilter> retention_filter_;

  std::mutex write_mu_;
  std::mutex compact_mu_;  // one Compact at a time
  std::shared_mutex seal_mu_;
  SeriesTable series_;
  index::LabelIndex index_;
  Head head_;
  std::unique_ptr<Wal> wal_;
  uint64_t next_ref_ = 1;
  std::atomic<uint64_t> next_chunk_seq_{1};

  std::atomic<uint64_t> samples_written_{0};
  std::atomic<uint64_t> chunks_written_{0};

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stopping_ = false;
  std::thread bg_thread_;
};

}  // namespace gnomon::storage
