#include "storage/wal/wal_record.h"

#include "util/coding.h"

namespace gnomon::storage {

void EncodeSamplesRecord(std::span<const WalEntry> entries, std::string* out) {
  PutVarint64(out, entries.size());
  for (const WalEntry& e : entries) {
    PutVarint64(out, e.ref);
    PutVarint64(out, e.samples.size());
    uint64_t prev = 0;
    for (size_t i = 0; i < e.samples.size(); ++i) {
      uint64_t t = static_cast<uint64_t>(e.samples[i].timestamp);
      PutVarint64(out, ZigZagEncode(static_cast<int64_t>(t - prev)));
      prev = t;
    }
    for (const Sample& s : e.samples) PutDouble(out, s.value);
  }
}

}  // namespace gnomon::storage
