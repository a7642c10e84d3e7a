#include "ingest/snappy_body.h"

#include <snappy.h>

#include <limits>
#include <string>

namespace gnomon::ingest {

Result<size_t> SnappyBodySize(std::string_view body, size_t max_decompressed_bytes, std::string_view message) {
  size_t raw_size = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &raw_size)) {
    return Status::InvalidArgument("snappy: corrupt input");
  }
  if (raw_size > max_decompressed_bytes) {
    return Status::InvalidArgument("snappy: decompressed size " + std::to_string(raw_size) + " exceeds limit " +
                                   std::to_string(max_decompressed_bytes));
  }
  if (raw_size > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::InvalidArgument("protobuf: cannot parse " + std::string(message) + " (larger than 2 GiB)");
  }
  return raw_size;
}

}  // namespace gnomon::ingest
