// SampleRun: one series' unsealed samples in arrival order, compressed in memory as Prometheus'
// head chunks are (Gorilla: delta-of-delta timestamps, XOR'd values), so the head costs a few
// bytes a sample instead of sixteen.
//
// Any order of timestamps and any value (NaN payloads, the stale marker) round-trip exactly:
// deltas are taken modulo 2^64. Appending is amortised O(1); reading decodes from the start.
// Not thread-safe (the Head locks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gnomon/series.h"

namespace gnomon::storage {

class SampleRun {
 public:
  void Append(const Sample& s);
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Appends the first `n` samples (all if n >= size()) to *out.
  void Decode(std::vector<Sample>* out, size_t n = SIZE_MAX) const;
  // Forgets every sample; with `release`, frees the buffer too.
  void Clear(bool release);
  size_t memory_bytes() const { return bytes_.capacity(); }
  // Hints the CPU to fetch the bytes the next Append may write (the head prefetches a few series
  // ahead of the one it appends to).
  void PrefetchTail() const { __builtin_prefetch(bytes_.data() + bytes_.size(), 1); }

 private:
  void PutBits(uint64_t v, int n);

  // The bit stream, most significant bit first, is bytes_ followed by the low pending_bits_ bits
  // of pending_. Whole 64-bit words go to bytes_, so appending only ever stores into the buffer
  // and never reads it back: with a hundred thousand series the buffer is rarely in cache, and a
  // store miss does not stall the CPU the way a read-modify-write of a partial last byte does.
  std::string bytes_;
  uint64_t pending_ = 0;
  uint32_t count_ = 0;
  uint8_t pending_bits_ = 0;  // < 64
  uint8_t leading_ = 0xff;    // the XOR window of the last value written with a new window
  uint8_t trailing_ = 0;
  uint64_t last_ts_ = 0;
  uint64_t last_delta_ = 0;
  uint64_t last_bits_ = 0;
};

}  // namespace gnomon::storage
