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
#include <cstdlib>
#include <vector>

#include "gnomon/series.h"

namespace gnomon::storage {

class SampleRun {
 public:
  SampleRun() = default;
  SampleRun(SampleRun&& other) noexcept;
  SampleRun& operator=(SampleRun&& other) noexcept;
  SampleRun(const SampleRun&) = delete;
  SampleRun& operator=(const SampleRun&) = delete;
  ~SampleRun() { std::free(words_); }

  void Append(const Sample& s);
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Appends the first `n` samples (all if n >= size()) to *out.
  void Decode(std::vector<Sample>* out, size_t n = SIZE_MAX) const;
  // Forgets every sample; with `release`, frees the buffer too.
  void Clear(bool release);
  size_t memory_bytes() const { return size_t{capacity_} * 8; }
  // Hints the CPU to fetch the bytes the next Append may write (the head prefetches a few series
  // ahead of the one it appends to).
  void PrefetchTail() const { __builtin_prefetch(words_ + size_, 1); }

 private:
  void PutBits(uint64_t v, int n);
  void PutWord(uint64_t word);

  // The bit stream, most significant bit first, is the words_ (stored big-endian, so their bytes
  // are the stream's) followed by the low pending_bits_ bits of pending_. Whole words go to the
  // buffer, so appending only ever stores into it and never reads it back: with a hundred thousand
  // series the buffer is rarely in cache, and a store miss does not stall the CPU the way a
  // read-modify-write of a partial last byte does. The buffer is malloc'd and grows by half (a
  // million series of a few samples each cost 16 bytes of buffer apiece, not a fixed reservation).
  uint64_t* words_ = nullptr;
  uint32_t size_ = 0;      // words in use
  uint32_t capacity_ = 0;  // words allocated
  uint64_t pending_ = 0;
  uint64_t last_ts_ = 0;
  uint64_t last_delta_ = 0;
  uint64_t last_bits_ = 0;
  uint32_t count_ = 0;
  uint8_t pending_bits_ = 0;  // < 64
  uint8_t leading_ = 0xff;    // the XOR window of the last value written with a new window
  uint8_t trailing_ = 0;
};

}  // namespace gnomon::storage
