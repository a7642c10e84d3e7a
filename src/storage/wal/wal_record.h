// The write-ahead log's record payload: one record per DB::Write, holding every sample of the
// batch keyed by series reference. Format (docs/format/wal.md):
//   varint num_entries, then per entry: varint ref, varint n, zigzag-varint first timestamp,
//   n-1 zigzag-varint timestamp deltas, n little-endian doubles.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"

namespace gnomon::storage {

struct WalEntry {
  uint64_t ref = 0;
  std::span<const Sample> samples;
};

void EncodeSamplesRecord(std::span<const WalEntry> entries, std::string* out);

// Calls fn(ref, samples) for every entry of a record; samples points into a scratch buffer that
// is reused between calls.
template <typename Fn>
Status DecodeSamplesRecord(std::string_view payload, std::vector<Sample>* scratch, Fn&& fn);

}  // namespace gnomon::storage

#include "storage/wal/wal_record_inl.h"
