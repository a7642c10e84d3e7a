#include "storage/retention_filter.h"

#include <chrono>

#include "storage/chunk/chunk.h"

namespace gnomon::storage {

int64_t RetentionFilter::Cutoff(int64_t retention_ms) {
  if (retention_ms <= 0) return INT64_MIN;
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  return now - retention_ms;
}

bool RetentionFilter::Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*, bool*) const {
  if (retention_ms_ <= 0) return false;
  chunk::ChunkMeta meta;
  if (!chunk::ReadMeta(std::string_view(value.data(), value.size()), &meta).ok()) return false;
  return meta.max_time < Cutoff(retention_ms_);
}

}  // namespace gnomon::storage
