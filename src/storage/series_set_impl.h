// SeriesSetImpl: the SeriesSet returned by DB::Select. It holds a RocksDB snapshot and the head
// samples copied at Select time, and materialises one series at a time: the chunks overlapping
// [mint, maxt] are read and decoded, merged with the head (newer wins), and clipped to the range.
#pragma once

#include <rocksdb/db.h>

#include <deque>
#include <memory>
#include <vector>

#include "gnomon/iterator.h"

namespace gnomon::storage {

struct SelectedSeries {
  uint64_t ref = 0;
  Labels labels;
  std::vector<Sample> head;  // in arrival order, within [mint, maxt]
};

// Iterates a sorted vector of samples.
class VectorSampleIterator final : public SampleIterator {
 public:
  void Reset(const std::vector<Sample>* samples) {
    samples_ = samples;
    pos_ = -1;
  }
  bool Next() override { return ++pos_ < static_cast<ptrdiff_t>(samples_->size()); }
  bool Seek(int64_t t) override;
  Sample At() const override { return (*samples_)[static_cast<size_t>(pos_)]; }
  Status status() const override { return Status::OK(); }
  Status AppendRemaining(std::vector<Sample>* out) override;

 private:
  const std::vector<Sample>* samples_ = nullptr;
  ptrdiff_t pos_ = -1;
};

class SeriesSetImpl final : public SeriesSet {
 public:
  SeriesSetImpl(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* chunks, const rocksdb::Snapshot* snapshot,
                std::vector<SelectedSeries> series, int64_t mint, int64_t maxt, int64_t chunk_window_ms);
  ~SeriesSetImpl() override;

  bool Next() override;
  const Labels& labels() const override { return series_[static_cast<size_t>(pos_)].labels; }
  SampleIterator* samples() override { return &iter_; }
  Status status() const override { return status_; }

 private:
  Status LoadSeries(SelectedSeries& s);

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* chunks_;
  const rocksdb::Snapshot* snapshot_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::vector<SelectedSeries> series_;
  const int64_t mint_, maxt_, window_;
  ptrdiff_t pos_ = -1;
  std::deque<std::vector<Sample>> runs_;  // deque: growing it keeps earlier runs in place
  std::vector<std::pair<uint64_t, std::vector<Sample>*>> order_;  // (seq, run)
  std::vector<const std::vector<Sample>*> pointers_;
  std::vector<Sample> merged_;
  VectorSampleIterator iter_;
  Status status_;
};

}  // namespace gnomon::storage
