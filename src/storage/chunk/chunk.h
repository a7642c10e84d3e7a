// Chunk codec: turns a run of one series' samples into a compact, self-describing byte string
// and back.
//
// A chunk starts with a small header (encoding, sample count, first and last timestamp) so a
// reader can skip a chunk without decoding it. Two encodings exist today; Encode picks whichever
// is smaller for the given samples:
//   kGorilla  delta-of-delta timestamps and XOR'd values, as in Facebook's Gorilla paper and
//             Prometheus' XOR chunks. Handles every double.
//   kDecimal  values that are all exact decimals with few digits (v == m / 10^e, m an integer) are
//             stored as byte-aligned, zig-zag deltas of m; timestamps as delta-of-delta.
//             Byte alignment leaves the entropy coding to RocksDB's zstd block compression.
// Every double value round-trips bit-exactly, including NaN payloads (the stale marker), ±Inf and
// -0.0. Timestamps may have any gaps, including huge ones; they must be strictly increasing.
// The byte layout is documented in docs/format/chunk.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"

namespace gnomon::chunk {

enum class Encoding : uint8_t {
  kGorilla = 1,
  kDecimal = 2,
};

struct ChunkMeta {
  Encoding encoding = Encoding::kGorilla;
  uint32_t num_samples = 0;
  int64_t min_time = 0;  // first sample's timestamp
  int64_t max_time = 0;  // last sample's timestamp
};

// Encodes `samples` (non-empty, timestamps strictly increasing) with the smaller encoding.
std::string Encode(std::span<const Sample> samples);

// Encodes with a given encoding. Returns false (leaving *out unspecified) if the encoding cannot
// represent the samples exactly (kDecimal for values that are not short decimals).
bool EncodeWith(Encoding encoding, std::span<const Sample> samples, std::string* out);

// Reads only the header.
Status ReadMeta(std::string_view chunk, ChunkMeta* meta);

// Appends every sample of the chunk to *out. Returns Corruption on malformed input (never reads
// out of bounds, whatever the bytes).
Status Decode(std::string_view chunk, std::vector<Sample>* out);

}  // namespace gnomon::chunk
