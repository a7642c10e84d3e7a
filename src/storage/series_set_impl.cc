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

Status VectorSampleIterator::TakeRemaining(std::vector<Sample>* out) {
  if (pos_ >= 0) {
    out->clear();
    return AppendRemaining(out);
  }
  out->swap(*samples_);
  samples_->clear();
  pos_ = 0;  // samples_ is now empty: exhausted
  return Status::OK();
}

SeriesSetImpl::SeriesSetImpl(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks,
                             std::shared_ptr<const rocksdb::Snapshot> snapshot, std::vector<SelectedSeries> series,
                             int64_t mint, int64_t maxt, int64_t chunk_window_ms)
    : db_(db), chunks_(chunks), snapshot_(std::move(snapshot)), series_(std::move(series)), mint_(mint), maxt_(maxt),
      window_(chunk_window_ms) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot_.get();
  it_.reset(db_->NewIterator(ro, chunks_));
}

SeriesSetImpl::~SeriesSetImpl() {
  it_.reset();  // before the snapshot it reads
}

Status SeriesSetImpl::LoadSeries(SelectedSeries& s) {
  merged_.clear();
  runs_.clear();
  // A chunk lies within one aligned window, so one that starts a window or more before mint
  // cannot reach it.
  const int64_t seek_from = mint_ > INT64_MIN + window_ ? mint_ - window_ + 1 : INT64_MIN;
  // A series created since open whose sealed chunks all end before mint (or that has none) is
  // read from the head alone: a seek per series was most of a million-series count().
  if (s.may_have_chunks) it_->Seek(ChunkSeekKey(s.ref, seek_from));
  for (; s.may_have_chunks && it_->Valid(); it_->Next()) {
    ChunkKey key;
    std::string_view k(it_->key().data(), it_->key().size());
    if (!ChunkKey::Decode(k, &key) || key.ref != s.ref || key.min_time > maxt_) break;
    std::string_view value(it_->value().data(), it_->value().size());
    chunk::ChunkMeta meta;
    GNOMON_RETURN_IF_ERROR(chunk::ReadMeta(value, &meta));
    if (meta.max_time < mint_) continue;
    const size_t begin = merged_.size();
    GNOMON_RETURN_IF_ERROR(chunk::Decode(value, &merged_));
    if (meta.min_time < mint_ || meta.max_time > maxt_) {
      auto first = merged_.begin() + static_cast<ptrdiff_t>(begin);
      auto lo = std::lower_bound(first, merged_.end(), mint_, [](const Sample& a, int64_t t) { return a.timestamp < t; });
      auto hi = std::upper_bound(lo, merged_.end(), maxt_, [](int64_t t, const Sample& a) { return t < a.timestamp; });
      merged_.erase(hi, merged_.end());
      merged_.erase(first, lo);
    }
    if (merged_.size() > begin) runs_.push_back({key.seq, begin, merged_.size()});
  }
  if (s.may_have_chunks && !it_->status().ok()) return Status::IOError("read chunks: " + it_->status().ToString());
  if (!s.head.empty()) {
    SortDedupLastWins(&s.head);
    const size_t begin = merged_.size();
    merged_.insert(merged_.end(), s.head.begin(), s.head.end());
    runs_.push_back({UINT64_MAX, begin, merged_.size()});  // the head is always the newest
    s.head = {};
  }
  // Chunks come in key (start time) order; for in-order data each run begins after the previous
  // one ends and merged_ is already the answer.
  for (size_t i = 1; i < runs_.size(); ++i) {
    if (merged_[runs_[i].begin].timestamp <= merged_[runs_[i - 1].end - 1].timestamp) {
      MergeOverlappingRuns();
      break;
    }
  }
  return Status::OK();
}

void SeriesSetImpl::MergeOverlappingRuns() {
  // Priority follows write order: chunks by seq, then the head.
  std::stable_sort(runs_.begin(), runs_.end(), [](const Run& a, const Run& b) { return a.seq < b.seq; });
  spans_.clear();
  for (const Run& run : runs_) spans_.emplace_back(merged_.data() + run.begin, run.end - run.begin);
  MergeRuns(spans_, &scratch_);
  merged_.swap(scratch_);
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
