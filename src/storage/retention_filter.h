// RetentionFilter: a RocksDB compaction filter that drops whole chunks whose newest sample is
// older than the retention cutoff, so retention costs no per-sample deletes and no extra I/O.
#pragma once

#include <rocksdb/compaction_filter.h>

#include <atomic>
#include <cstdint>

namespace gnomon::storage {

class RetentionFilter : public rocksdb::CompactionFilter {
 public:
  // `retention_ms` 0 disables the filter. The cutoff is computed from the clock at each call.
  explicit RetentionFilter(int64_t retention_ms) : retention_ms_(retention_ms) {}

  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& existing_value,
              std::string* new_value, bool* value_changed) const override;
  const char* Name() const override { return "gnomon.RetentionFilter"; }

  // now - retention, or INT64_MIN when retention is 0.
  static int64_t Cutoff(int64_t retention_ms);

 private:
  const int64_t retention_ms_;
};

}  // namespace gnomon::storage
