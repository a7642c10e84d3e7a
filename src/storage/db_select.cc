// DBImpl's read side: Select and SelectShards (matching series, their head samples and one RocksDB
// snapshot, handed to SeriesSetImpl), label names and values, and GetStats.
#include <algorithm>

#include "storage/db_impl.h"

namespace gnomon::storage {

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
  *snapshot = std::shared_ptr<const rocksdb::Snapshot>(
      rocks_->GetSnapshot(), [rocks](const rocksdb::Snapshot* s) { rocks->ReleaseSnapshot(s); });
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
    shards.emplace_back(
        new SeriesSetImpl(rocks_, chunks_cf_, snapshot, std::move(piece), mint, maxt, options_.chunk_window_ms));
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

CardinalityStats DBImpl::GetCardinality(size_t limit) {
  CardinalityStats out;
  index_.Cardinality(limit, &out);
  out.head_series = head_.num_series_with_samples();
  if (!head_.TimeRange(&out.head_min_time, &out.head_max_time)) out.head_min_time = out.head_max_time = 0;
  return out;
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
    st.wal_bytes = wal_ ? wal_->total_bytes() : 0;
  }
  st.compactions = compactions_.load();
  st.compaction_errors = compaction_errors_.load();
  st.wal_write_errors = wal_write_errors_.load();
  st.wal_sync_errors = wal_sync_errors_.load();
  {
    std::lock_guard lock(failure_mu_);
    st.writable = failed_.load() == 0;
    if (!st.writable) st.write_error = write_error_;
  }
  uint64_t sst = 0;
  for (auto* h : AllFamilies()) {
    uint64_t v = 0;
    if (rocks_->GetIntProperty(h, "rocksdb.live-sst-files-size", &v)) sst += v;
  }
  st.disk_bytes = sst;
  int64_t cutoff = RetentionFilter::Cutoff(options_.retention_ms);
  st.retention_cutoff_ms = cutoff == INT64_MIN ? 0 : cutoff;
  return st;
}

std::vector<rocksdb::ColumnFamilyHandle*> DBImpl::AllFamilies() {
  std::vector<rocksdb::ColumnFamilyHandle*> all(handles_.begin(), handles_.end());
  std::lock_guard lock(keyspace_mu_);
  for (const auto& [name, h] : keyspaces_) all.push_back(h);
  return all;
}

}  // namespace gnomon::storage
