// Wal: Gnomon's write-ahead log, a directory of numbered segment files of checksummed records.
//
// Each DB::Write appends one record with one write() call, so an acknowledged batch survives the
// process being killed; Sync() makes it survive power loss. Record framing (docs/format/wal.md):
//   u32 crc32 (of type and payload) | u32 payload length | u8 type | payload
// Segments are named by an increasing 8-digit number. Replay reads them in order and stops at the
// first torn or corrupt record of the last segment (a crash mid-append), truncating it there; damage
// in an earlier segment is reported as Corruption. Not thread-safe: the DB serialises writers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/status.h"

namespace gnomon::storage {

enum class WalRecordType : uint8_t { kSamples = 1 };

class Wal {
 public:
  ~Wal();

  // Opens the log in `dir` (created if missing), replaying every record of existing segments
  // through `replay(segment, type, payload)`, then starts a new segment for appends.
  static Status Open(const std::string& dir,
                     const std::function<Status(uint32_t, WalRecordType, std::string_view)>& replay,
                     std::unique_ptr<Wal>* wal);

  // Appends one record to the current segment.
  Status Append(WalRecordType type, std::string_view payload);
  // fdatasync of the current segment.
  Status Sync();
  // Starts a new segment; returns its number in *segment.
  Status Rotate(uint32_t* segment);
  // Deletes every segment numbered below `segment`.
  Status DeleteSegmentsBefore(uint32_t segment);

  uint32_t current_segment() const { return segment_; }
  uint64_t current_segment_bytes() const { return segment_bytes_; }
  // Total bytes of all live segments.
  uint64_t total_bytes() const { return older_bytes_ + segment_bytes_; }

 private:
  Wal() = default;
  Status OpenSegment(uint32_t segment);
  std::string SegmentPath(uint32_t segment) const;

  std::string dir_;
  int fd_ = -1;
  uint32_t segment_ = 0;
  uint64_t segment_bytes_ = 0;
  uint64_t older_bytes_ = 0;
  std::vector<std::pair<uint32_t, uint64_t>> older_;  // (segment, bytes), ascending
  std::string buf_;
};

}  // namespace gnomon::storage
