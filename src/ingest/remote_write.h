// Prometheus remote_write 1.0: a snappy-compressed (block format) protobuf WriteRequest.
#pragma once

#include <string_view>

#include "gnomon/status.h"
#include "gnomon/write_batch.h"

namespace gnomon::ingest {

struct RemoteWriteResult {
  size_t series = 0;
  size_t samples = 0;
};

// Decompresses and decodes `body`, appending every series' samples to *batch. Returns
// InvalidArgument naming the failing step ("snappy: ...", "protobuf: ...") for undecodable input,
// or for a series without labels ("series N has no labels", N counting from 0); in that case
// *batch may hold a prefix and must be discarded. Labels with an empty value are dropped, as
// Prometheus does; label order is kept as sent. A series with no samples is counted but adds
// nothing to *batch.
// `max_decompressed_bytes` bounds memory (snappy states the decompressed size up front).
Result<RemoteWriteResult> DecodeRemoteWrite(std::string_view body, size_t max_decompressed_bytes, WriteBatch* batch);

}  // namespace gnomon::ingest
