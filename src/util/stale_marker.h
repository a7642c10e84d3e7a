// Prometheus' staleness marker: the one NaN bit pattern (0x7ff0000000000002, Prometheus'
// value.StaleNaN) that means "this series stopped here". Rule groups write it for series that
// disappeared, remote_write and the test-file notation ("stale") carry it, and PromQL drops such
// samples and ends a series' lookback at them. Any other NaN is an ordinary value. Storage keeps
// the bits exactly (chunk codec), so the marker survives a round trip.
#pragma once

#include <bit>
#include <cstdint>

namespace gnomon {

inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;

// The marker as a double.
constexpr double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }

// Whether v is the marker (bit for bit; false for every other NaN).
constexpr bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

}  // namespace gnomon
