// Iterators returned by DB::Select: series in label order, each with its samples in time order.
//
// Contract (as in Prometheus' tsdb): an iterator starts before its first element; Next() advances
// and returns false when exhausted or on error; At()/labels() are valid only after Next() returned
// true; status() is meaningful once Next() returned false. A SeriesSet holds a consistent snapshot
// of the data taken when Select was called: writes after that are not seen, writes acknowledged
// before it always are. Iterators are not thread-safe; several may be used concurrently.
// Delete every iterator before deleting the DB that made it.
#pragma once

#include <cstdint>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"

namespace gnomon {

class SampleIterator {
 public:
  virtual ~SampleIterator() = default;
  // Advances to the next sample. Timestamps are strictly increasing (duplicates were resolved
  // last-write-wins).
  virtual bool Next() = 0;
  // Moves to the first sample with timestamp >= t; does nothing if already there. Returns whether
  // such a sample exists.
  virtual bool Seek(int64_t t) = 0;
  virtual Sample At() const = 0;
  virtual Status status() const = 0;
  // Appends every sample not yet visited to *out and exhausts the iterator; returns status().
  // The same as looping Next()/At(), without a virtual call per sample.
  virtual Status AppendRemaining(std::vector<Sample>* out);
  // Replaces *out with every sample not yet visited and exhausts the iterator; returns status().
  // Like AppendRemaining into a cleared vector, but an iterator that holds its samples in memory
  // may hand over its buffer instead of copying (and keep *out's old buffer for reuse).
  virtual Status TakeRemaining(std::vector<Sample>* out);
};

class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  // Advances to the next series (sorted by labels). Series without samples in the selected time
  // range are skipped.
  virtual bool Next() = 0;
  virtual const Labels& labels() const = 0;
  // The samples of the current series within [mint, maxt]. The returned iterator is owned by the
  // set and valid until the next call to Next().
  virtual SampleIterator* samples() = 0;
  virtual Status status() const = 0;
};

}  // namespace gnomon
