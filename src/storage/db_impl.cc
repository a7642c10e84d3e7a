#include "storage/db_impl.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>

#include "index/labels_util.h"
#include "storage/chunk/chunk.h"
#include "storage/keys.h"
#include "storage/sample_merge.h"
#include "storage/series_set_impl.h"
#include "storage/wal/wal_record.h"

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

Status FromRocks(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return Status::OK();
  if (s.IsCorruption()) return Status::Corruption(std::string(what) + ": " + s.ToString());
  return Status::IOError(std::string(what) + ": " + s.ToString());
}

}  // namespace

DBImpl::DBImpl(const Options& options, std::string path) : options_(options), path_(std::move(path)), head_(options) {}

DBImpl::~DBImpl() {
  {
    std::lock_guard lock(bg_mu_);
    stopping_ = true;
  }
  bg_cv_.notify_all();
  if (bg_thread_.joinable()) bg_thread_.join();
  if (wal_) wal_->Sync();
  wal_.reset();
  if (rocks_) {
    rocks_->FlushWAL(true);
    for (auto* h : handles_) rocks_->DestroyColumnFamilyHandle(h);
    delete rocks_;
  }
}

Status DBImpl::OpenRocksDB() {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) {
    if (!options_.create_if_missing) return Status::NotFound("data directory " + path_ + " does not exist");
    std::filesystem::create_directories(path_, ec);
    if (ec) return Status::IOError("create " + path_ + ": " + ec.message());
  }

  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = options_.create_if_missing;
  db_opts.create_missing_column_families = true;
  db_opts.max_background_jobs = 2;
  db_opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_opts.keep_log_file_num = 2;
  db_opts.max_manifest_file_size = 16 << 20;
  db_opts.bytes_per_sync = 1 << 20;

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

  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, small_opts},
      {kSeriesFamily, small_opts},
      {kChunksFamily, chunk_opts},
      {kMetaFamily, small_opts},
  };
  rocksdb::Status s = rocksdb::DB::Open(db_opts, path_ + "/rocksdb", families, &handles_, &rocks_);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return Status::IOError("data directory " + path_ + " is in use by another process: " + s.ToString());
    }
    return FromRocks(s, "open rocksdb");
  }
  series_cf_ = handles_[1];
  chunks_cf_ = handles_[2];
  meta_cf_ = handles_[3];
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
  std::unique_ptr<rocksdb::Iterator> it(rocks_->NewIterator(rocksdb::ReadOptions(), series_cf_));
  Labels labels;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return Status::Corruption("series family: bad key size");
    uint64_t ref = DecodeFixed64BE(it->key().data());
    std::string_view encoded(it->value().data(), it->value().size());
    labels.clear();
    GNOMON_RETURN_IF_ERROR(index::DecodeLabels(encoded, &labels));
    index_.Add(ref, labels);
    series_.Insert(ref, std::string(encoded));
    next_ref_ = std::max(next_ref_, ref + 1);
  }
  // The chunk sequence must exceed every stored chunk's, even if the meta write was lost.
  it.reset(rocks_->NewIterator(rocksdb::ReadOptions(), chunks_cf_));
  uint64_t max_seq = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ChunkKey key;
    if (ChunkKey::Decode(std::string_view(it->key().data(), it->key().size()), &key)) max_seq = std::max(max_seq, key.seq);
  }
  next_chunk_seq_ = std::max<uint64_t>(next_chunk_seq_, max_seq + 1);
  return FromRocks(it->status(), "load chunks");
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
  GNOMON_RETURN_IF_ERROR(Wal::Open(
      path_ + "/wal",
      [this](uint32_t seg, WalRecordType type, std::string_view payload) { return ReplayRecord(seg, type, payload); },
      &wal_));
  samples_written_ = 0;
  bg_thread_ = std::thread([this] { BackgroundLoop(); });
  return Status::OK();
}

bool DBImpl::LookupSeries(const WriteBatch& batch, std::vector<uint64_t>* refs) {
  // Lookups of existing series need no write lock; only creation does (CreateSeries).
  refs->assign(batch.num_entries(), 0);
  bool missing = false;
  for (size_t i = 0; i < batch.num_entries(); ++i) {
    if (auto ref = series_.Find(batch.EncodedLabels(i))) {
      (*refs)[i] = *ref;
    } else {
      missing = true;
    }
  }
  return !missing;
}

Status DBImpl::CreateSeries(const WriteBatch& batch, std::vector<uint64_t>* refs) {
  struct NewSeries {
    std::string_view key;
    Labels labels;
    uint64_t ref;
  };
  std::vector<NewSeries> created;
  for (size_t i = 0; i < batch.num_entries(); ++i) {
    if ((*refs)[i] != 0) continue;
    std::string_view key = batch.EncodedLabels(i);
    if (auto ref = series_.Find(key)) {  // created by another writer meanwhile
      (*refs)[i] = *ref;
      continue;
    }
    auto dup = std::find_if(created.begin(), created.end(), [&](const NewSeries& n) { return n.key == key; });
    if (dup != created.end()) {
      (*refs)[i] = dup->ref;
      continue;
    }
    Labels labels;
    GNOMON_RETURN_IF_ERROR(index::DecodeLabelsFraming(key, /*check_order=*/false, &labels));
    GNOMON_RETURN_IF_ERROR(index::ValidateLabels(labels, options_.limits));
    if (options_.limits.max_series > 0 && series_.size() + created.size() >= options_.limits.max_series) {
      return Status::ResourceExhausted("series limit reached (" + std::to_string(options_.limits.max_series) +
                                       "): cannot create " + index::LabelsToString(labels));
    }
    created.push_back({key, std::move(labels), next_ref_ + created.size()});
    (*refs)[i] = created.back().ref;
  }
  if (created.empty()) return Status::OK();

  rocksdb::WriteBatch wb;
  for (const NewSeries& n : created) wb.Put(series_cf_, SeriesKey(n.ref), rocksdb::Slice(n.key.data(), n.key.size()));
  std::string next;
  PutFixed64BE(&next, next_ref_ + created.size());
  wb.Put(meta_cf_, kNextSeriesRefKey, next);
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_mode == SyncMode::kAlways;
  GNOMON_RETURN_IF_ERROR(FromRocks(rocks_->Write(wo, &wb), "create series"));
  next_ref_ += created.size();
  // The table first: a reader that finds a ref in the index must be able to resolve its labels.
  for (NewSeries& n : created) {
    series_.Insert(n.ref, std::string(n.key));
    index_.Add(n.ref, n.labels);
  }
  return Status::OK();
}

Status DBImpl::Write(const WriteBatch& batch) {
  if (batch.empty()) return Status::OK();
  std::vector<uint64_t> refs;
  const bool all_known = LookupSeries(batch, &refs);
  std::lock_guard lock(write_mu_);
  if (!all_known) GNOMON_RETURN_IF_ERROR(CreateSeries(batch, &refs));

  std::vector<WalEntry> entries(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) entries[i] = {refs[i], batch.SamplesOf(i)};
  std::string record;
  record.reserve(16 + batch.num_samples() * 11 + refs.size() * 4);
  EncodeSamplesRecord(entries, &record);
  GNOMON_RETURN_IF_ERROR(wal_->Append(WalRecordType::kSamples, record));
  if (options_.sync_mode == SyncMode::kAlways) GNOMON_RETURN_IF_ERROR(wal_->Sync());

  std::vector<PendingSeal> seals;
  const uint32_t segment = wal_->current_segment();
  for (const WalEntry& e : entries) {
    size_t cut = head_.Append(e.ref, e.samples, segment);
    if (cut > 0) seals.push_back({e.ref, cut});
  }
  samples_written_ += batch.num_samples();
  // A series listed twice (it appeared in two entries): keep its largest cut.
  std::sort(seals.begin(), seals.end(), [](const PendingSeal& a, const PendingSeal& b) {
    return a.ref != b.ref ? a.ref < b.ref : a.count > b.count;
  });
  seals.erase(std::unique(seals.begin(), seals.end(), [](const PendingSeal& a, const PendingSeal& b) { return a.ref == b.ref; }),
              seals.end());
  // The batch is durable and visible: sealing and rotation below only move data around, so an
  // error there is reported but the samples are not lost (the WAL still has them).
  GNOMON_RETURN_IF_ERROR(Seal(seals));
  return MaybeRotateWal();
}

Status DBImpl::Seal(const std::vector<PendingSeal>& seals) {
  if (seals.empty()) return Status::OK();
  rocksdb::WriteBatch wb;
  std::vector<Sample> run;
  uint64_t seq = next_chunk_seq_;
  uint64_t chunks = 0;
  for (const PendingSeal& p : seals) {
    head_.CopyPrefix(p.ref, p.count, &run);
    SortDedupLastWins(&run);
    SplitByWindow(run, options_.chunk_window_ms, options_.max_samples_per_chunk, [&](std::span<const Sample> piece) {
      wb.Put(chunks_cf_, ChunkKey{p.ref, piece.front().timestamp, seq++}.Encode(), chunk::Encode(piece));
      ++chunks;
    });
  }
  std::string next;
  PutFixed64BE(&next, seq);
  wb.Put(meta_cf_, kNextChunkSeqKey, next);
  rocksdb::WriteOptions wo;
  wo.sync = false;  // the WAL still holds these samples; SyncAll runs before segments are deleted
  GNOMON_RETURN_IF_ERROR(FromRocks(rocks_->Write(wo, &wb), "write chunks"));
  next_chunk_seq_ = seq;
  chunks_written_ += chunks;
  const uint32_t segment = wal_ ? wal_->current_segment() : 0;
  std::unique_lock lock(seal_mu_);
  for (const PendingSeal& p : seals) head_.DropPrefix(p.ref, p.count, segment);
  return Status::OK();
}

Status DBImpl::SyncAll() {
  GNOMON_RETURN_IF_ERROR(FromRocks(rocks_->FlushWAL(options_.sync_mode != SyncMode::kNever), "sync rocksdb wal"));
  if (options_.sync_mode != SyncMode::kNever) GNOMON_RETURN_IF_ERROR(wal_->Sync());
  return Status::OK();
}

Status DBImpl::MaybeRotateWal() {
  if (wal_->current_segment_bytes() < options_.wal_segment_bytes) return Status::OK();
  uint32_t segment;
  GNOMON_RETURN_IF_ERROR(wal_->Rotate(&segment));
  // Seal runs that started two or more segments ago so their segments can go.
  std::vector<PendingSeal> seals;
  for (auto [ref, n] : head_.SeriesOlderThan(segment - 1)) seals.push_back({ref, n});
  GNOMON_RETURN_IF_ERROR(Seal(seals));
  GNOMON_RETURN_IF_ERROR(SyncAll());
  return wal_->DeleteSegmentsBefore(head_.OldestSegment(segment));
}

Status DBImpl::Flush() {
  std::lock_guard lock(write_mu_);
  std::vector<PendingSeal> seals;
  for (auto [ref, n] : head_.SeriesOlderThan(UINT32_MAX)) seals.push_back({ref, n});
  GNOMON_RETURN_IF_ERROR(Seal(seals));
  rocksdb::FlushOptions fo;
  fo.wait = true;
  GNOMON_RETURN_IF_ERROR(FromRocks(rocks_->Flush(fo, handles_), "flush"));
  GNOMON_RETURN_IF_ERROR(SyncAll());
  uint32_t segment;
  GNOMON_RETURN_IF_ERROR(wal_->Rotate(&segment));
  return wal_->DeleteSegmentsBefore(segment);
}

Status DBImpl::PrepareSelection(const Matchers& matchers, int64_t* mint, int64_t maxt,
                                std::vector<SelectedSeries>* selected,
                                std::shared_ptr<const rocksdb::Snapshot>* snapshot) {
  auto refs = index_.Select(matchers);
  if (!refs.ok()) return refs.status();
  *mint = std::max(*mint, RetentionFilter::Cutoff(options_.retention_ms));
  selected->reserve(refs->size());
  for (uint64_t ref : *refs) {
    SelectedSeries s;
    s.ref = ref;
    GNOMON_RETURN_IF_ERROR(series_.GetLabels(ref, &s.labels));
    selected->push_back(std::move(s));
  }
  std::sort(selected->begin(), selected->end(),
            [](const SelectedSeries& a, const SelectedSeries& b) { return a.labels < b.labels; });
  std::shared_lock lock(seal_mu_);
  if (*mint <= maxt) {
    for (SelectedSeries& s : *selected) head_.CopyRange(s.ref, *mint, maxt, &s.head);
  }
  rocksdb::DB* rocks = rocks_;
  *snapshot = std::shared_ptr<const rocksdb::Snapshot>(rocks_->GetSnapshot(),
                                                       [rocks](const rocksdb::Snapshot* s) { rocks->ReleaseSnapshot(s); });
  return Status::OK();
}

Result<std::unique_ptr<SeriesSet>> DBImpl::Select(const Matchers& matchers, int64_t mint, int64_t maxt) {
  std::vector<SelectedSeries> selected;
  std::shared_ptr<const rocksdb::Snapshot> snapshot;
  GNOMON_RETURN_IF_ERROR(PrepareSelection(matchers, &mint, maxt, &selected, &snapshot));
  return std::unique_ptr<SeriesSet>(new SeriesSetImpl(rocks_, chunks_cf_, std::move(snapshot), std::move(selected),
                                                      mint, maxt, options_.chunk_window_ms));
}

Result<std::vector<std::unique_ptr<SeriesSet>>> DBImpl::SelectShards(const Matchers& matchers, int64_t mint,
                                                                     int64_t maxt, size_t max_shards,
                                                                     size_t min_series_per_shard) {
  std::vector<SelectedSeries> selected;
  std::shared_ptr<const rocksdb::Snapshot> snapshot;
  GNOMON_RETURN_IF_ERROR(PrepareSelection(matchers, &mint, maxt, &selected, &snapshot));
  std::vector<std::unique_ptr<SeriesSet>> shards;
  if (selected.empty()) return shards;
  const size_t n = selected.size();
  const size_t by_size = n / std::max<size_t>(min_series_per_shard, 1);
  const size_t count = std::clamp<size_t>(std::min(max_shards, by_size), 1, n);
  for (size_t i = 0; i < count; ++i) {
    // Contiguous pieces keep label order across shards.
    const size_t from = n * i / count, to = n * (i + 1) / count;
    std::vector<SelectedSeries> piece(std::make_move_iterator(selected.begin() + static_cast<ptrdiff_t>(from)),
                                      std::make_move_iterator(selected.begin() + static_cast<ptrdiff_t>(to)));
    shards.emplace_back(new SeriesSetImpl(rocks_, chunks_cf_, snapshot, std::move(piece), mint, maxt,
                                          options_.chunk_window_ms));
  }
  return shards;
}

Result<std::vector<std::string>> DBImpl::LabelNames(const Matchers& matchers) {
  if (matchers.empty()) return index_.LabelNames(nullptr);
  auto refs = index_.Select(matchers);
  if (!refs.ok()) return refs.status();
  return index_.LabelNames(&refs.value());
}

Result<std::vector<std::string>> DBImpl::LabelValues(const std::string& name, const Matchers& matchers) {
  if (matchers.empty()) return index_.LabelValues(name, nullptr);
  auto refs = index_.Select(matchers);
  if (!refs.ok()) return refs.status();
  return index_.LabelValues(name, &refs.value());
}

Stats DBImpl::GetStats() {
  Stats st;
  st.num_series = series_.size();
  st.head_series = head_.num_series_with_samples();
  st.head_samples = head_.num_samples();
  st.head_bytes = head_.memory_bytes() + series_.memory_bytes() + index_.memory_bytes();
  st.samples_written = samples_written_;
  st.chunks_written = chunks_written_;
  {
    std::lock_guard lock(write_mu_);
    st.wal_bytes = wal_->total_bytes();
  }
  uint64_t sst = 0;
  for (auto* h : handles_) {
    uint64_t v = 0;
    if (rocks_->GetIntProperty(h, "rocksdb.live-sst-files-size", &v)) sst += v;
  }
  st.disk_bytes = sst;
  int64_t cutoff = RetentionFilter::Cutoff(options_.retention_ms);
  st.retention_cutoff_ms = cutoff == INT64_MIN ? 0 : cutoff;
  return st;
}

void DBImpl::BackgroundLoop() {
  const auto interval = std::chrono::milliseconds(std::max<uint32_t>(options_.sync_interval_ms, 10));
  std::unique_lock lock(bg_mu_);
  while (!stopping_) {
    bg_cv_.wait_for(lock, interval, [this] { return stopping_; });
    if (stopping_) break;
    if (options_.sync_mode == SyncMode::kInterval) {
      lock.unlock();
      {
        std::lock_guard wl(write_mu_);
        wal_->Sync();
      }
      rocks_->FlushWAL(true);
      lock.lock();
    }
  }
}

}  // namespace storage
}  // namespace gnomon
