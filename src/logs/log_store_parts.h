// The parts of LogStore (log_store.h) that its write path (log_store.cc) and read path
// (log_store_read.cc) share: key names, and the stream, head, segment and snapshot records.
// Internal to src/logs.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "logs/log_store.h"
#include "logs/segment.h"
#include "util/coding.h"

namespace gnomon::logs {

constexpr std::string_view kMetaKey = "m/next";  // the next segment seq, u64 BE
constexpr std::string_view kStreamPrefix = "s/";
constexpr std::string_view kRecordPrefix = "w/";
constexpr std::string_view kIdPrefix = "c/";
constexpr std::string_view kObsoletePrefix = "x/";  // keys a compaction replaced, to delete
constexpr std::string_view kSourcePrefix = "o/";    // the last range stored per source

inline std::string StreamKey(uint64_t sid) {
  std::string k(kStreamPrefix);
  PutFixed64BE(&k, sid);
  return k;
}

inline std::string ObsoleteKey(uint64_t seq) {
  std::string k(kObsoletePrefix);
  PutFixed64BE(&k, seq);
  return k;
}

inline std::string RecordKey(uint64_t seq) {
  std::string k(kRecordPrefix);
  PutFixed64BE(&k, seq);
  return k;
}

// 64-bit FNV-1a: the ID index's key for an ID (collisions are harmless: each segment's
// dictionary holds the IDs themselves).
inline uint64_t IdHash(std::string_view id) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

inline std::string IdKeyPrefix(std::string_view id) {
  std::string k(kIdPrefix);
  PutFixed64BE(&k, IdHash(id));
  return k;
}

inline bool Overlaps(const segment::Meta& m, int64_t start, int64_t end_inclusive) {
  return m.max_ts >= start && m.min_ts <= end_inclusive;
}

struct LogStore::Stream {
  uint64_t id = 0;
  Labels labels;
  bool durable = false;  // its key is stored (else every Append using it writes the key again)
};

// Lines not yet in a segment, in arrival order. The active head grows under mu_; a sealing head
// is immutable and read without a lock.
struct LogStore::Head {
  struct Row {
    int64_t ts_ns;
    uint64_t sid;
    size_t offset;  // of the line in `bytes`; the ID follows it
    uint32_t line_size, id_size;
  };
  std::vector<Row> rows;
  std::string bytes;
  std::vector<uint64_t> records;  // the log records ("w/" keys) holding these rows
  int64_t created_ms = 0;

  std::string_view line(const Row& r) const { return std::string_view(bytes).substr(r.offset, r.line_size); }
  std::string_view id(const Row& r) const { return std::string_view(bytes).substr(r.offset + r.line_size, r.id_size); }
  void Add(int64_t ts_ns, uint64_t sid, std::string_view line, std::string_view id) {
    rows.push_back({ts_ns, sid, bytes.size(), static_cast<uint32_t>(line.size()), static_cast<uint32_t>(id.size())});
    bytes.append(line);
    bytes.append(id);
  }
};

struct LogStore::Segment {
  segment::Meta meta;
  int64_t sealed_ms = 0;  // when it was sealed (or, for one found at Open, opened)
  bool HasStream(const std::vector<uint64_t>& sorted_sids) const {
    for (const segment::StreamRows& s : meta.streams) {
      if (s.rows > 0 && std::binary_search(sorted_sids.begin(), sorted_sids.end(), s.sid)) return true;
    }
    return false;
  }
};

// What a read works on, taken under mu_ and read without it.
struct LogStore::Snapshot {
  std::vector<std::shared_ptr<const Segment>> segments;
  std::vector<std::shared_ptr<const Head>> heads;  // sealing heads, then a copy of the active one's rows
};

}  // namespace gnomon::logs
