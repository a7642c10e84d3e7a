// WriteBatch: a group of samples, for any number of series, written atomically and durably.
//
// A batch is built by the caller, then handed to DB::Write. Samples may be in any order, for any
// timestamps (out-of-order and backfilled data are accepted); when one batch holds two samples for
// the same series and timestamp, the later one wins. Not thread-safe; cheap to Clear() and reuse.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "gnomon/series.h"

namespace gnomon {

class WriteBatch {
 public:
  // Appends one sample for the series `labels`.
  void Add(const Labels& labels, int64_t timestamp_ms, double value);
  // Appends several samples for the series `labels`.
  void Add(const Labels& labels, std::span<const Sample> samples);

  void Clear();
  bool empty() const { return samples_.empty(); }
  size_t num_samples() const { return samples_.size(); }
  size_t num_series_entries() const { return entries_.size(); }

  // Read access for the engine: entry i covers samples_[entries_[i].first, entries_[i+1].first).
  struct Entry {
    Labels labels;
    size_t first_sample;
  };
  const std::vector<Entry>& entries() const { return entries_; }
  const std::vector<Sample>& samples() const { return samples_; }
  // The samples of entry i.
  std::span<const Sample> SamplesOf(size_t i) const;

 private:
  std::vector<Entry> entries_;
  std::vector<Sample> samples_;
};

}  // namespace gnomon
