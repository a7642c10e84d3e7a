// DBImpl's read side: Select and SelectShards (matching series, their head samples and one RocksDB
// snapshot, handed to SeriesSetImpl), label names and values, and GetStats.
#include <algorithm>

#include "storage/db_impl.h"

namespace gnomon::storage {

namespace {

// Puts `series` in label order. Comparing Labels vectors (two strings a label, scattered over the
// heap) took most of a million-series selection, so each series gets one flat key instead: every
// name and value followed by a NUL, which orders keys as their label sets (NUL sorts below every
// other byte, so a shorter name or value sorts first, as std::string's comparison does). Keys
// are compared by the 8 bytes after the prefix every key shares (the metric name, usually), then
// by memcmp. Label values cannot hold NUL (ValidateLabels); if one does, Labels are compared.
void SortByLabels(std::vector<SelectedSeries>* series) {
  if (series->size() < 2) return;
  std::string keys;
  std::vector<std::pair<size_t, size_t>> spans;  // offset, length in keys
  spans.reserve(series->size());
  for (const SelectedSeries& s : *series) {
    const size_t start = keys.size();
    for (const Label& l : s.labels) {
      if (l.name.find('\0') != std::string::npos || l.value.find('\0') != std::string::npos) {
        std::sort(series->begin(), series->end(),
                  [](const SelectedSeries& a, const SelectedSeries& b) { return a.labels < b.labels; });
        return;
      }
      keys.append(l.name).push_back('\0');
      keys.append(l.value).push_back('\0');
    }
    spans.emplace_back(start, keys.size() - start);
  }
  const std::string_view first(keys.data() + spans[0].first, spans[0].second);
  size_t common = first.size();
  for (const auto& [offset, length] : spans) {
    const std::string_view key(keys.data() + offset, length);
    size_t i = 0;
    const size_t limit = std::min(common, key.size());
    while (i < limit && key[i] == first[i]) ++i;
    common = i;
  }
  struct Entry {
    uint64_t prefix;  // the 8 key bytes after `common`, big-endian, zero-padded
    uint32_t index;
  };
  std::vector<Entry> order(series->size());
  for (size_t i = 0; i < spans.size(); ++i) {
    uint64_t prefix = 0;
    for (size_t b = 0; b < 8; ++b) {
      const size_t at = common + b;
      const auto byte = at < spans[i].second ? static_cast<unsigned char>(keys[spans[i].first + at]) : 0;
      prefix = prefix << 8 | byte;
    }
    order[i] = {prefix, static_cast<uint32_t>(i)};
  }
  std::sort(order.begin(), order.end(), [&](const Entry& a, const Entry& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    const std::string_view ka(keys.data() + spans[a.index].first, spans[a.index].second);
    const std::string_view kb(keys.data() + spans[b.index].first, spans[b.index].second);
    return ka < kb;
  });
  std::vector<SelectedSeries> sorted;
  sorted.reserve(series->size());
  for (const Entry& e : order) sorted.push_back(std::move((*series)[e.index]));
  *series = std::move(sorted);
}

}  // namespace

Status DBImpl::PrepareSelection(const Matchers& matchers, int64_t* mint, int64_t maxt, size_t max_series,
                                std::vector<SelectedSeries>* selected,
                                std::shared_ptr<const rocksdb::Snapshot>* snapshot) {
  auto refs = index_.Select(matchers);
  if (!refs.ok()) return refs.status();
  if (max_series != 0 && refs->size() > max_series) {
    return Status::ResourceExhausted("the selector matches " + std::to_string(refs->size()) +
                                     " series, more than the limit of " + std::to_string(max_series));
  }
  *mint = std::max(*mint, RetentionFilter::Cutoff(options_.retention_ms));
  selected->resize(refs->size());
  for (size_t i = 0; i < refs->size(); ++i) {
    SelectedSeries& s = (*selected)[i];
    s.ref = (*refs)[i];
    GNOMON_RETURN_IF_ERROR(series_.GetLabels(s.ref, &s.labels));
  }
  SortByLabels(selected);
  std::shared_lock lock(seal_mu_);
  if (*mint <= maxt) {
    for (SelectedSeries& s : *selected) s.may_have_chunks = head_.CopyRange(s.ref, *mint, maxt, &s.head);
  }
  rocksdb::DB* rocks = rocks_;
  *snapshot = std::shared_ptr<const rocksdb::Snapshot>(
      rocks_->GetSnapshot(), [rocks](const rocksdb::Snapshot* s) { rocks->ReleaseSnapshot(s); });
  return Status::OK();
}

Result<std::unique_ptr<SeriesSet>> DBImpl::Select(const Matchers& matchers, int64_t mint, int64_t maxt) {
  std::vector<SelectedSeries> selected;
  std::shared_ptr<const rocksdb::Snapshot> snapshot;
  GNOMON_RETURN_IF_ERROR(PrepareSelection(matchers, &mint, maxt, /*max_series=*/0, &selected, &snapshot));
  return std::unique_ptr<SeriesSet>(new SeriesSetImpl(rocks_, chunks_cf_, std::move(snapshot), std::move(selected),
                                                      mint, maxt, options_.chunk_window_ms));
}

Result<std::vector<std::unique_ptr<SeriesSet>>> DBImpl::SelectShards(const Matchers& matchers, int64_t mint,
                                                                     int64_t maxt, size_t max_shards,
                                                                     size_t min_series_per_shard, size_t max_series) {
  std::vector<SelectedSeries> selected;
  std::shared_ptr<const rocksdb::Snapshot> snapshot;
  GNOMON_RETURN_IF_ERROR(PrepareSelection(matchers, &mint, maxt, max_series, &selected, &snapshot));
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
  st.head_run_bytes = head_.memory_bytes();
  st.index_bytes = series_.memory_bytes() + index_.memory_bytes();
  st.head_bytes = st.head_run_bytes + st.index_bytes;
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
