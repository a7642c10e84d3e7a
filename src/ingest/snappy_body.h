// Snappy-compressed protobuf request bodies (remote_write, Loki push): the checks before
// decompressing one.
#pragma once

#include <cstddef>
#include <string_view>

#include "gnomon/status.h"

namespace gnomon::ingest {

// The decompressed size of a snappy block `body`, checked: kInvalidArgument "snappy: corrupt
// input", "snappy: decompressed size N exceeds limit M", or "protobuf: cannot parse MESSAGE
// (larger than 2 GiB)" (protobuf cannot parse more).
Result<size_t> SnappyBodySize(std::string_view body, size_t max_decompressed_bytes, std::string_view message);

}  // namespace gnomon::ingest
