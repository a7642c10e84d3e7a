#include "storage/series_set_impl.h"

#include <algorithm>

#include "storage/chunk/chunk.h"
#include "storage/keys.h"
#include "storage/sample_merge.h"

namespace gnomon::storage {

bool VectorSampleIterator::Seek(int64_t t) {
  if (pos_ < 0) pos_ = 0;
  if (static_cast<size_t>(pos_) >= samples_->size()) return false;
  if ((*samples_)[static_cast<size_t>(pos_)].timestamp >= t) return true;
  auto it = std::lower_bound(samples_->begin() + pos_, samples_->end(), t,
                             [](const Sample& s, int64_t v) { return s.timestamp < v; });
  pos_ = it - samples_->begin();
  return it != samples_->end();
}

Status VectorSampleIterator::AppendRemaining(std::vector<Sample>* out) {
  const size_t from = static_cast<size_t>(std::max<ptrdiff_t>(pos_ + 1, 0));
  if (from < samples_->size()) out->insert(out->end(), samples_->begin() + static_cast<ptrdiff_t>(from), samples_->end());
  pos_ = static_cast<ptrdiff_t>(samples_->size());
  return Status::OK();
}

SeriesSetImpl::SeriesSetImpl(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks, const rocksdb::Snapshot* snapshot,
                             std::vector<SelectedSeries> series, int64_t mint, int64_t maxt, int64_t chunk_window_ms)
    : db_(db), chunks_(chunks), snapshot_(snapshot), series_(std::move(series)), mint_(mint), maxt_(maxt),
      window_(chunk_window_ms) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot_;
  it_.reset(db_->NewIterator(ro, chunks_));
}

SeriesSetImpl::~SeriesSetImpl() {
  it_.reset();
  db_->ReleaseSnapshot(snapshot_);
}

Status SeriesSetImpl::LoadSeries(SelectedSeries& s) {
  size_t used = 0;
  order_.clear();
  auto next_run = [&](uint64_t seq) -> std::vector<Sample>& {
    if (used == runs_.size()) runs_.emplace_back();
    runs_[used].clear();
    order_.emplace_back(seq, &runs_[used]);
    return runs_[used++];
  };
  // A chunk lies within one aligned window, so one that starts a window or more before mint
  // cannot reach it.
  const int64_t seek_from = mint_ > INT64_MIN + window_ ? mint_ - window_ + 1 : INT64_MIN;
  for (it_->Seek(ChunkSeekKey(s.ref, seek_from)); it_->Valid(); it_->Next()) {
    ChunkKey key;
    std::string_view k(it_->key().data(), it_->key().size());
    if (!ChunkKey::Decode(k, &key) || key.ref != s.ref || key.min_time > maxt_) break;
    std::string_view value(it_->value().data(), it_->value().size());
    chunk::ChunkMeta meta;
    GNOMON_RETURN_IF_ERROR(chunk::ReadMeta(value, &meta));
    if (meta.max_time < mint_) continue;
    std::vector<Sample>& run = next_run(key.seq);
    GNOMON_RETURN_IF_ERROR(chunk::Decode(value, &run));
    if (meta.min_time < mint_ || meta.max_time > maxt_) {
      auto lo = std::lower_bound(run.begin(), run.end(), mint_, [](const Sample& a, int64_t t) { return a.timestamp < t; });
      auto hi = std::upper_bound(run.begin(), run.end(), maxt_, [](int64_t t, const Sample& a) { return t < a.timestamp; });
      run.erase(hi, run.end());
      run.erase(run.begin(), lo);
    }
  }
  if (!it_->status().ok()) return Status::IOError("read chunks: " + it_->status().ToString());
  // Priority follows write order: chunks by seq, then the head (always newest). For in-order
  // data seq order is also time order, which keeps MergeRuns on its no-sort fast path.
  std::stable_sort(order_.begin(), order_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (!s.head.empty()) {
    std::vector<Sample>& head = next_run(UINT64_MAX);
    head.swap(s.head);
    SortDedupLastWins(&head);
  }
  if (order_.size() == 1) {  // one chunk, or only the head: nothing to merge, nothing to copy
    merged_.swap(*order_[0].second);
    return Status::OK();
  }
  pointers_.clear();
  for (const auto& [seq, run] : order_) pointers_.push_back(run);
  MergeRuns(pointers_, &merged_);
  return Status::OK();
}

bool SeriesSetImpl::Next() {
  if (!status_.ok()) return false;
  while (++pos_ < static_cast<ptrdiff_t>(series_.size())) {
    status_ = LoadSeries(series_[static_cast<size_t>(pos_)]);
    if (!status_.ok()) return false;
    if (!merged_.empty()) {
      iter_.Reset(&merged_);
      return true;
    }
  }
  return false;
}

}  // namespace gnomon::storage
