// Template body of DecodeSamplesRecord (see wal_record.h).
#pragma once

#include "util/coding.h"

namespace gnomon::storage {

template <typename Fn>
Status DecodeSamplesRecord(std::string_view payload, std::vector<Sample>* scratch, Fn&& fn) {
  const char* p = payload.data();
  const char* limit = p + payload.size();
  uint64_t num_entries;
  if (!(p = GetVarint64(p, limit, &num_entries))) return Status::Corruption("wal record: bad entry count");
  for (uint64_t e = 0; e < num_entries; ++e) {
    uint64_t ref, n, first;
    if (!(p = GetVarint64(p, limit, &ref)) || !(p = GetVarint64(p, limit, &n)) || n == 0 ||
        n > static_cast<uint64_t>(limit - p) || !(p = GetVarint64(p, limit, &first))) {
      return Status::Corruption("wal record: bad entry header");
    }
    scratch->resize(n);
    uint64_t t = static_cast<uint64_t>(ZigZagDecode(first));
    (*scratch)[0].timestamp = static_cast<int64_t>(t);
    for (uint64_t i = 1; i < n; ++i) {
      uint64_t d;
      if (!(p = GetVarint64(p, limit, &d))) return Status::Corruption("wal record: bad timestamp");
      t += static_cast<uint64_t>(ZigZagDecode(d));
      (*scratch)[i].timestamp = static_cast<int64_t>(t);
    }
    if (static_cast<uint64_t>(limit - p) < n * 8) return Status::Corruption("wal record: truncated values");
    for (uint64_t i = 0; i < n; ++i, p += 8) (*scratch)[i].value = DecodeDouble(p);
    fn(ref, std::span<const Sample>(*scratch));
  }
  if (p != limit) return Status::Corruption("wal record: trailing bytes");
  return Status::OK();
}

}  // namespace gnomon::storage
