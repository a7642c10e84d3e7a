// Head: the most recent, not yet sealed samples of every series, held in memory, compressed
// (sample_run.h).
//
// Samples arrive in any order and are kept per series in arrival order (so a later write of the
// same timestamp wins when the run is sealed). A series' run is sealed into chunks when a sample
// crosses into a newer chunk window than the newest one held, when it reaches the configured
// sample count, or when the DB forces it (WAL rotation, Flush). Sealing is two-phase so readers
// never miss a sample: CopyPrefix copies the samples to seal (they stay readable here), the DB
// writes the chunks to RocksDB, then DropPrefix removes them.
//
// Memory: a run exists only while a series holds unsealed samples; a sealed, idle series keeps 12
// bytes here, so series replaced by new ones (pods restarted) leave the head at the level of the
// active ones once sealed.
//
// Thread-safety: Append/DropPrefix/CopyPrefix are called by one writer at a time (the DB's
// write lock); CopyRange may run concurrently from readers.
#pragma once

#include <cstdint>
#include <deque>
#include <shared_mutex>
#include <span>
#include <vector>

#include "gnomon/options.h"
#include "gnomon/series.h"
#include "storage/head/sample_run.h"
#include "storage/wal/wal_record.h"

namespace gnomon::storage {

class Head {
 public:
  explicit Head(const Options& options) : options_(options) {}

  // Appends `samples` to series `ref`, recording that they live in WAL segment `segment`.
  // Returns how many leading samples of the series' run should now be sealed (0 for none).
  size_t Append(uint64_t ref, std::span<const Sample> samples, uint32_t segment);
  // Append for each entry of a write, under one lock; (*cuts)[i] is entry i's Append result.
  void AppendAll(std::span<const WalEntry> entries, uint32_t segment, std::vector<size_t>* cuts);

  // Copies the first `n` samples of series `ref`'s run into *out (they stay in the head).
  void CopyPrefix(uint64_t ref, size_t n, std::vector<Sample>* out) const;
  // Removes the first `n` samples of the run; the rest are attributed to WAL segment `segment`.
  void DropPrefix(uint64_t ref, size_t n, uint32_t segment);

  // Appends to *out the samples of `ref` with timestamps in [mint, maxt], in arrival order.
  // Returns false when no sealed chunk of `ref` can hold a sample at or after `mint` (so a reader
  // need not look for chunks), true when one may.
  bool CopyRange(uint64_t ref, int64_t mint, int64_t maxt, std::vector<Sample>* out) const;
  // Records that refs [first, first + n) were just created: they have no sealed chunks. (Series
  // that existed at open are assumed to have some, of any time.)
  void MarkNew(uint64_t first, uint64_t n);

  // Series with unsealed samples whose oldest such sample is in a segment below `segment`,
  // with their run lengths. `segment` 0xffffffff lists every non-empty series.
  std::vector<std::pair<uint64_t, size_t>> SeriesOlderThan(uint32_t segment) const;
  // The lowest WAL segment still holding an unsealed sample, or `current` if none.
  uint32_t OldestSegment(uint32_t current) const;

  uint64_t num_series_with_samples() const;
  // The earliest and the latest unsealed sample over every series, ms; false if the head holds
  // none. Decodes every run (for /api/v1/status/tsdb, not a hot path).
  bool TimeRange(int64_t* min_time, int64_t* max_time) const;
  uint64_t num_samples() const;
  uint64_t memory_bytes() const;

 private:
  // A series' unsealed samples. Only series holding some have one: a sealed, idle series costs
  // its 12 bytes in run_of_ and sealed_max_time_ only. A free slot is empty. (72 bytes: no
  // earliest time is kept, TimeRange decodes.)
  struct Run {
    SampleRun samples;
    int64_t max_time = INT64_MIN;
    uint32_t first_segment = 0;
  };
  static constexpr uint32_t kNoRun = UINT32_MAX;

  int64_t WindowOf(int64_t t) const;
  // Grows the per-series arrays to cover `ref`.
  void Cover(uint64_t ref);
  // ref's run, taking a free slot for it if it has none.
  Run* MutableRun(uint64_t ref);
  // Returns ref's emptied run to the free slots.
  void ReleaseRun(uint64_t ref);
  size_t AppendLocked(uint64_t ref, std::span<const Sample> samples, uint32_t segment);

  const Options options_;
  mutable std::shared_mutex mu_;
  // Per series, index ref - 1 (series that existed at open and were not appended to since may be
  // past the end): its slot in runs_ or kNoRun; the newest timestamp sealed into chunks since the
  // series was created (MarkNew) or since open, INT64_MIN if none, INT64_MAX if unknown (the
  // series existed at open).
  // (Deques: they grow without doubling their reservation or copying.)
  std::deque<uint32_t> run_of_;
  std::deque<int64_t> sealed_max_time_;
  std::deque<Run> runs_;  // slots; a deque so that a Run never moves
  std::vector<uint32_t> free_runs_;
  uint64_t num_samples_ = 0;
};

}  // namespace gnomon::storage
