// DBImpl's lifecycle: DB::Open, opening RocksDB and its column families, loading the series
// family into the series table and label index, replaying the write-ahead log into the head, and
// closing.
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <thread>

#include "index/labels_util.h"
#include "storage/db_impl.h"
#include "storage/keys.h"
#include "storage/wal/wal_record.h"
#include "util/log.h"

namespace gnomon {

Status DB::Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db) {
  if (options.chunk_window_ms <= 0) return Status::InvalidArgument("chunk_window_ms must be positive");
  if (options.max_samples_per_chunk == 0) return Status::InvalidArgument("max_samples_per_chunk must be positive");
  auto impl = std::make_unique<storage::DBImpl>(options, path);
  GNOMON_RETURN_IF_ERROR(impl->Init());
  *db = std::move(impl);
  return Status::OK();
}

namespace storage {

namespace {

// RocksDB's own log goes to Gnomon's (stderr), not to a LOG file in the data directory: a LOG file
// that hit ENOSPC makes RocksDB 7.8 abort on its next message (an assertion in its file writer).
class RocksLogger final : public rocksdb::Logger {
 public:
  explicit RocksLogger(rocksdb::InfoLogLevel level) : rocksdb::Logger(level) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, format, ap);
    const std::string msg = std::string("rocksdb: ") + buf;
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      log::Error(msg);
    } else if (level == rocksdb::InfoLogLevel::WARN_LEVEL) {
      log::Warn(msg);
    } else {
      log::Info(msg);
    }
  }
};

}  // namespace

Status FromRocks(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return Status::OK();
  if (s.IsCorruption()) return Status::Corruption(std::string(what) + ": " + s.ToString());
  if (s.IsNoSpace() || s.ToString().find(std::strerror(EDQUOT)) != std::string::npos) {
    return Status::NoSpace(std::string(what) + ": " + s.ToString());
  }
  return Status::IOError(std::string(what) + ": " + s.ToString());
}

DBImpl::DBImpl(const Options& options, std::string path) : options_(options), path_(std::move(path)), head_(options) {}

DBImpl::~DBImpl() {
  {
    std::lock_guard lock(bg_mu_);
    stopping_ = true;
  }
  shutting_down_ = true;
  if (rocks_ && compaction_thread_.joinable()) rocks_->DisableManualCompaction();  // ends a running CompactRange
  bg_cv_.notify_all();
  if (bg_thread_.joinable()) bg_thread_.join();
  if (compaction_thread_.joinable()) compaction_thread_.join();
  if (wal_) wal_->Sync();
  wal_.reset();
  if (rocks_) {
    SyncRocksLog();
    for (auto& [name, h] : keyspaces_) rocks_->DestroyColumnFamilyHandle(h);
    for (auto* h : handles_) rocks_->DestroyColumnFamilyHandle(h);
    delete rocks_;
  }
}

Status DBImpl::OpenRocksDB() {
  std::error_code ec;
  if (options_.in_memory) {
    // Options::in_memory: RocksDB's files live in an environment of its own, in memory; the
    // data directory is never created or read.
    mem_env_.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
  } else if (!std::filesystem::exists(path_, ec)) {
    if (!options_.create_if_missing) return Status::NotFound("data directory " + path_ + " does not exist");
    std::filesystem::create_directories(path_, ec);
    if (ec) return Status::IOError("create " + path_ + ": " + ec.message());
  }
  if (options_.create_if_missing && !options_.in_memory) {
    std::filesystem::create_directories(path_ + "/rocksdb", ec);  // RocksDB lists it
  }

  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = options_.create_if_missing;
  db_opts.create_missing_column_families = true;
  db_opts.max_background_jobs = 2;
  db_opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_opts.info_log = std::make_shared<RocksLogger>(db_opts.info_log_level);
  db_opts.keep_log_file_num = 2;
  db_opts.max_manifest_file_size = 16 << 20;
  db_opts.bytes_per_sync = 1 << 20;
  if (options_.in_memory) {
    db_opts.env = mem_env_.get();
    db_opts.create_if_missing = true;
    // Nothing outlives the DB: no flush of the memtables at close, no periodic statistics.
    db_opts.avoid_flush_during_shutdown = true;
    db_opts.stats_dump_period_sec = 0;
    db_opts.stats_persist_period_sec = 0;
    // Recovery starts this many threads to open table files (16 by default), even with none.
    db_opts.max_file_opening_threads = 1;
  }

  auto block_cache = rocksdb::NewLRUCache(options_.block_cache_bytes);

  rocksdb::ColumnFamilyOptions chunk_opts;
  {
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = block_cache;
    t.block_size = 64 << 10;  // big blocks: zstd's entropy coder sees many chunks at once
    t.format_version = 5;
    chunk_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    chunk_opts.compression = rocksdb::kZSTD;
    chunk_opts.bottommost_compression = rocksdb::kZSTD;
    chunk_opts.compression_opts.level = 3;
    chunk_opts.bottommost_compression_opts.level = 9;
    chunk_opts.bottommost_compression_opts.enabled = true;
    chunk_opts.level_compaction_dynamic_level_bytes = true;
    chunk_opts.write_buffer_size = 32 << 20;
    retention_filter_ = std::make_unique<RetentionFilter>(options_.retention_ms);
    chunk_opts.compaction_filter = retention_filter_.get();
  }
  rocksdb::ColumnFamilyOptions small_opts;
  {
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = block_cache;
    t.format_version = 5;
    small_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    small_opts.compression = rocksdb::kZSTD;
    small_opts.write_buffer_size = 8 << 20;
  }
  // Keyspaces: like the small families, and never the retention filter (only chunks have it).
  // A component may change the memtable and compression of its own (OpenKeyspace's options).
  keyspace_cf_options_ = small_opts;
  keyspace_cf_options_.write_buffer_size = 4 << 20;

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, small_opts},
      {kSeriesFamily, small_opts},
      {kChunksFamily, chunk_opts},
      {kMetaFamily, small_opts},
  };
  // Every other existing family is a keyspace (storage/keyspace.h); RocksDB must open them all.
  // In memory the environment is this DB's own, so any absolute path will do; it starts empty.
  const std::string rocks_path = options_.in_memory ? std::string("/gnomon-in-memory/rocksdb") : path_ + "/rocksdb";
  if (options_.in_memory) {  // RocksDB lists it before creating it
    GNOMON_RETURN_IF_ERROR(FromRocks(mem_env_->CreateDirIfMissing("/gnomon-in-memory"), "create in-memory directory"));
    GNOMON_RETURN_IF_ERROR(FromRocks(mem_env_->CreateDirIfMissing(rocks_path), "create in-memory directory"));
  }
  std::vector<std::string> existing;
  if (!options_.in_memory && std::filesystem::exists(rocks_path + "/CURRENT", ec) &&
      rocksdb::DB::ListColumnFamilies(db_opts, rocks_path, &existing).ok()) {
    for (const std::string& name : existing) {
      if (name != rocksdb::kDefaultColumnFamilyName && name != kSeriesFamily && name != kChunksFamily &&
          name != kMetaFamily) {
        families.emplace_back(name, keyspace_cf_options_);
      }
    }
  }  // else a new database: there are no families yet
  rocksdb::Status s = rocksdb::DB::Open(db_opts, rocks_path, families, &handles_, &rocks_);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return Status::IOError("data directory " + path_ + " is in use by another process: " + s.ToString());
    }
    return FromRocks(s, "open rocksdb");
  }
  series_cf_ = handles_[1];
  chunks_cf_ = handles_[2];
  meta_cf_ = handles_[3];
  for (size_t i = 4; i < handles_.size(); ++i) keyspaces_.emplace(families[i].name, handles_[i]);
  handles_.resize(4);
  return Status::OK();
}

Status DBImpl::LoadSeries() {
  std::string value;
  if (rocks_->Get(rocksdb::ReadOptions(), meta_cf_, kNextChunkSeqKey, &value).ok() && value.size() == 8) {
    next_chunk_seq_ = DecodeFixed64BE(value.data());
  }
  if (rocks_->Get(rocksdb::ReadOptions(), meta_cf_, kNextSeriesRefKey, &value).ok() && value.size() == 8) {
    next_ref_ = DecodeFixed64BE(value.data());
  }
  // The series table and the label index are built at once, on two threads, each reading the
  // series family with its own iterator: they share nothing, and at a million series each takes
  // about a second (the index more).
  const rocksdb::Snapshot* snapshot = rocks_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.fill_cache = false;
  series_.Reserve(next_ref_ > 0 ? next_ref_ - 1 : 0);
  Status index_status;
  auto build_index = [&] {
    std::unique_ptr<rocksdb::Iterator> it(rocks_->NewIterator(ro, series_cf_));
    // Batches of encodings copied out of the iterator (its values change at Next), added to the
    // index in place, without building Labels.
    std::string bytes;
    std::vector<std::pair<index::SeriesRef, size_t>> offsets;
    std::vector<std::pair<index::SeriesRef, std::string_view>> batch;
    auto add_batch = [&] {
      batch.clear();
      for (size_t i = 0; i < offsets.size(); ++i) {
        const size_t end = i + 1 < offsets.size() ? offsets[i + 1].second : bytes.size();
        batch.emplace_back(offsets[i].first, std::string_view(bytes).substr(offsets[i].second, end - offsets[i].second));
      }
      index_status = index_.AddAllEncoded(batch);
      bytes.clear();
      offsets.clear();
      return index_status.ok();
    };
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 8) break;  // reported by the table's pass
      offsets.emplace_back(DecodeFixed64BE(it->key().data()), bytes.size());
      bytes.append(it->value().data(), it->value().size());
      if (offsets.size() == 4096 && !add_batch()) return;
    }
    if (!add_batch()) return;
    index_status = FromRocks(it->status(), "load series");
  };
  std::thread index_builder;
  try {
    index_builder = std::thread(build_index);
  } catch (const std::system_error&) {
    build_index();  // no thread to be had: one after the other
  }
  Status table_status;
  {
    std::unique_ptr<rocksdb::Iterator> it(rocks_->NewIterator(ro, series_cf_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != 8) {
        table_status = Status::Corruption("series family: bad key size");
        break;
      }
      const uint64_t ref = DecodeFixed64BE(it->key().data());
      series_.Insert(ref, std::string_view(it->value().data(), it->value().size()));
      next_ref_ = std::max(next_ref_, ref + 1);
    }
    if (table_status.ok()) table_status = FromRocks(it->status(), "load series");
  }
  if (index_builder.joinable()) index_builder.join();
  rocks_->ReleaseSnapshot(snapshot);
  // No scan of the chunks for their largest seq: next_chunk_seq is written in the same atomic
  // RocksDB batch as every chunk that takes a new seq (Seal), and compaction only reuses seqs, so
  // the stored value already exceeds every stored chunk's (docs/format/keys.md).
  return table_status.ok() ? index_status : table_status;
}

Status DBImpl::ReplayRecord(uint32_t segment, WalRecordType type, std::string_view payload) {
  if (type != WalRecordType::kSamples) return Status::Corruption("wal: unknown record type");
  std::vector<Sample> scratch;
  std::vector<PendingSeal> seals;
  Status s = DecodeSamplesRecord(payload, &scratch, [&](uint64_t ref, std::span<const Sample> samples) {
    if (series_.EncodedLabels(ref).empty()) return;  // series lost with an unsynced RocksDB write
    size_t cut = head_.Append(ref, samples, segment);
    if (cut > 0) seals.push_back({ref, cut});
    samples_written_ += samples.size();
  });
  GNOMON_RETURN_IF_ERROR(s);
  return Seal(seals);
}

Status DBImpl::Init() {
  GNOMON_RETURN_IF_ERROR(OpenRocksDB());
  GNOMON_RETURN_IF_ERROR(LoadSeries());
  if (options_.in_memory) {
    // No write-ahead log, so nothing to sync in the background or to probe (an in-memory RocksDB
    // write does not fail for want of room).
    if (options_.compaction_interval_ms > 0) compaction_thread_ = std::thread([this] { CompactionLoop(); });
    return Status::OK();
  }
  uint32_t first_replayed = 0;
  GNOMON_RETURN_IF_ERROR(LoadWalConsumers(&first_replayed));
  GNOMON_RETURN_IF_ERROR(Wal::Open(
      path_ + "/wal", first_replayed,
      [this](uint32_t seg, WalRecordType type, std::string_view payload) { return ReplayRecord(seg, type, payload); },
      &wal_));
  PublishWalEnd();
  samples_written_ = 0;
  bg_thread_ = std::thread([this] { BackgroundLoop(); });
  if (options_.compaction_interval_ms > 0) compaction_thread_ = std::thread([this] { CompactionLoop(); });
  return Status::OK();
}

}  // namespace storage
}  // namespace gnomon
