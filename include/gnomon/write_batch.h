// WriteBatch: a group of samples, for any number of series, written atomically and durably.
//
// A batch is built by the caller, then handed to DB::Write. Samples may be in any order, for any
// timestamps (out-of-order and backfilled data are accepted); when one batch holds two samples for
// the same series and timestamp, the later one wins. Label sets are checked by DB::Write, not here.
// Adding consecutive samples of one series with the same Labels extends one entry; grouping a
// series' samples together makes the write cheaper. Not thread-safe; Clear() keeps the memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"

namespace gnomon {

class WriteBatch {
 public:
  // Appends one sample for the series `labels` (in any order; labels with empty values are
  // dropped, as Prometheus treats them as absent).
  void Add(const Labels& labels, int64_t timestamp_ms, double value);
  // Appends several samples for the series `labels`.
  void Add(const Labels& labels, std::span<const Sample> samples);
  // Appends samples for a label set already in the canonical encoded form that EncodedLabels
  // returns (for parsers that build it directly). DB::Write checks it as it checks any label set.
  void AddEncoded(std::string_view encoded_labels, std::span<const Sample> samples);
  // Appends one sample for the series with reference `ref`, which a DB::Write of this batch's DB
  // returned: nothing to encode or look up. A ref that DB does not know fails the Write.
  void Add(SeriesRef ref, int64_t timestamp_ms, double value);

  void Clear();
  bool empty() const { return samples_.empty(); }
  size_t num_samples() const { return samples_.size(); }
  size_t num_entries() const { return entries_.size(); }

  // For the engine: entry i's series reference (0 when it was given by labels), its label set in
  // canonical encoded form (sorted by name; see src/index/labels_util.h; empty when given by
  // reference) and its samples.
  SeriesRef RefOf(size_t i) const { return entries_[i].ref; }
  std::string_view EncodedLabels(size_t i) const {
    return std::string_view(keys_).substr(entries_[i].key_offset, entries_[i].key_size);
  }
  std::span<const Sample> SamplesOf(size_t i) const;

 private:
  struct Entry {
    size_t key_offset;
    size_t key_size;
    size_t first_sample;
    SeriesRef ref;  // 0: given by labels (key_offset, key_size)
  };
  void StartEntry(const Labels& labels);
  void StartEncodedEntry(std::string_view encoded);

  std::string keys_;  // every entry's encoded labels, back to back
  std::vector<Entry> entries_;
  std::vector<Sample> samples_;
  std::string key_scratch_;
  Labels labels_scratch_;
};

}  // namespace gnomon
