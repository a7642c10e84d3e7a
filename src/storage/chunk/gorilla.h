// Gorilla payload: delta-of-delta timestamps and XOR'd values in one bit stream.
//
// Only the payload; the chunk header (chunk.cc) holds count, min_time and max_time, which the
// decoder takes from the ChunkMeta. Layout: docs/format/chunk.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"
#include "storage/chunk/chunk.h"

namespace gnomon::chunk {

// Appends the Gorilla payload for `samples` (non-empty) to *out and returns true. If *out would
// grow past `max_size` bytes, stops early and returns false (*out then holds a partial payload):
// this lets Encode drop Gorilla as soon as it cannot beat the decimal encoding.
bool AppendGorillaPayload(std::span<const Sample> samples, std::string* out,
                          size_t max_size = SIZE_MAX);

// Appends meta.num_samples samples decoded from `payload` to *out. On error, *out is unchanged and
// the Status is Corruption.
Status DecodeGorillaPayload(std::string_view payload, const ChunkMeta& meta, std::vector<Sample>* out);

}  // namespace gnomon::chunk
