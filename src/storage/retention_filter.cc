#include "storage/retention_filter.h"

#include "storage/chunk/chunk.h"
#include "util/clock.h"

namespace gnomon::storage {

int64_t RetentionFilter::Cutoff(int64_t retention_ms) {
  if (retention_ms <= 0) return INT64_MIN;
  return NowMs() - retention_ms;
}

bool RetentionFilter::Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*, bool*) const {
  if (retention_ms_ <= 0) return false;
  chunk::ChunkMeta meta;
  if (!chunk::ReadMeta(std::string_view(value.data(), value.size()), &meta).ok()) return false;
  return meta.max_time < Cutoff(retention_ms_);
}

}  // namespace gnomon::storage
