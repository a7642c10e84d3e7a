// Decimal payload: values that are exact short decimals, as byte-aligned zig-zag deltas of their
// integer mantissas; timestamps as a constant interval or delta-of-delta varints.
//
// A chunk qualifies when one exponent e in [0, kMaxDecimalExponent] makes every value v equal,
// bit for bit, to (double)m / 10^e for some int64 m. -0.0, NaN and ±Inf never qualify. The encoder
// picks the smallest such e. Layout: docs/format/chunk.md.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"
#include "storage/chunk/chunk.h"

namespace gnomon::chunk {

inline constexpr int kMaxDecimalExponent = 15;

// Appends the decimal payload for `samples` (non-empty) to *out and returns true, or returns false
// (leaving *out unchanged) if some value is not an exact short decimal.
bool AppendDecimalPayload(std::span<const Sample> samples, std::string* out);

// Appends meta.num_samples samples decoded from `payload` to *out. On error, *out is unchanged and
// the Status is Corruption.
Status DecodeDecimalPayload(std::string_view payload, const ChunkMeta& meta, std::vector<Sample>* out);

}  // namespace gnomon::chunk
