// SeriesSetImpl: the SeriesSet returned by DB::Select (and each shard of DB::SelectShards). It
// holds a RocksDB snapshot (shared between the shards of one selection) and the head samples
// copied at Select time, and materialises one series at a time: the chunks overlapping
// [mint, maxt] are decoded one after another into one buffer, clipped to the range, and merged
// with the head (newer wins) only when they overlap in time.
#pragma once

#include <rocksdb/db.h>

#include <span>
#include <memory>
#include <vector>

#include "gnomon/iterator.h"

namespace gnomon::storage {

struct SelectedSeries {
  uint64_t ref = 0;
  Labels labels;
  std::vector<Sample> head;  // in arrival order, within [mint, maxt]
  bool may_have_chunks = true;  // false: no sealed chunk can overlap [mint, maxt] (Head::CopyRange)
};

// Iterates a sorted vector of samples; TakeRemaining swaps the vector out when nothing of it was
// visited yet.
class VectorSampleIterator final : public SampleIterator {
 public:
  void Reset(std::vector<Sample>* samples) {
    samples_ = samples;
    pos_ = -1;
  }
  bool Next() override { return ++pos_ < static_cast<ptrdiff_t>(samples_->size()); }
  bool Seek(int64_t t) override;
  Sample At() const override { return (*samples_)[static_cast<size_t>(pos_)]; }
  Status status() const override { return Status::OK(); }
  Status AppendRemaining(std::vector<Sample>* out) override;
  Status TakeRemaining(std::vector<Sample>* out) override;

 private:
  std::vector<Sample>* samples_ = nullptr;
  ptrdiff_t pos_ = -1;
};

class SeriesSetImpl final : public SeriesSet {
 public:
  // `snapshot` is released (by its deleter) when the last set sharing it is gone.
  SeriesSetImpl(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks, std::shared_ptr<const rocksdb::Snapshot> snapshot,
                std::vector<SelectedSeries> series, int64_t mint, int64_t maxt, int64_t chunk_window_ms);
  ~SeriesSetImpl() override;

  bool Next() override;
  const Labels& labels() const override { return series_[static_cast<size_t>(pos_)].labels; }
  SampleIterator* samples() override { return &iter_; }
  Status status() const override { return status_; }

 private:
  Status LoadSeries(SelectedSeries& s);

  // A decoded piece of merged_: one chunk's samples (or the head's) and its write order.
  struct Run {
    uint64_t seq;
    size_t begin, end;
  };
  // Merges overlapping runs of merged_ by write order (the rare path: out-of-order writes).
  void MergeOverlappingRuns();

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* chunks_;
  std::shared_ptr<const rocksdb::Snapshot> snapshot_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::vector<SelectedSeries> series_;
  const int64_t mint_, maxt_, window_;
  ptrdiff_t pos_ = -1;
  std::vector<Run> runs_;
  std::vector<std::span<const Sample>> spans_;  // MergeOverlappingRuns' inputs: runs_ within merged_
  std::vector<Sample> scratch_;                 // MergeOverlappingRuns' output, swapped with merged_
  std::vector<Sample> merged_;
  VectorSampleIterator iter_;
  Status status_;
};

}  // namespace gnomon::storage
