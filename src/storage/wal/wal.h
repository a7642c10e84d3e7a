// Wal: Gnomon's write-ahead log, a directory of numbered segment files of checksummed records.
//
// Each DB::Write appends one record with one write() call, so an acknowledged batch survives the
// process being killed; Sync() makes it survive power loss. Record framing (docs/format/wal.md):
//   u32 crc32 (of type and payload) | u32 payload length | u8 type | payload
// Segments are named by an increasing 8-digit number. Replay reads them in order and stops at the
// first torn or corrupt record of the last segment (a crash mid-append), truncating it there; damage
// in an earlier segment is reported as Corruption. Not thread-safe: the DB serialises writers.
//
// Failures: an append that fails (ENOSPC after a partial write, EIO, EROFS) leaves no bytes of
// its record behind: the segment is cut back to its last whole record before Append returns, or,
// if even that fails, before the next Append/Rotate/Probe writes anything (they fail until it
// succeeds). So a torn record never sits in front of later good ones. ENOSPC and EDQUOT are
// reported as Status::NoSpace, other errors as IOError. A failed Sync leaves the records in place
// (UndoLastAppend removes the one whose sync failed).
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

// The record framing, for readers of the segments (storage/wal_tail.h): a header of this size
// (crc32, payload length, type), then the payload; the crc covers type and payload.
inline constexpr size_t kWalRecordHeaderSize = 9;
uint32_t WalRecordCrc(WalRecordType type, std::string_view payload);

// Test hook: while set, it is called before each write() and fdatasync of a segment; a non-zero
// return fails that call with that errno (a failing write() first writes half of its bytes, to
// leave a torn record as ENOSPC can). Set it to nullptr to stop. Not for production use.
enum class WalOp : uint8_t { kWrite, kSync };
using WalFaultHook = int (*)(WalOp op);
void SetWalFaultHookForTesting(WalFaultHook hook);

class Wal {
 public:
  ~Wal();

  // Opens the log in `dir` (created if missing), replaying every record of the existing segments
  // numbered `first_replayed` or above through `replay(segment, type, payload)`, then starts a new
  // segment for appends. Older segments (kept for WAL consumers, storage/wal_tail.h) are listed
  // but not read.
  static Status Open(const std::string& dir, uint32_t first_replayed,
                     const std::function<Status(uint32_t, WalRecordType, std::string_view)>& replay,
                     std::unique_ptr<Wal>* wal);

  // Appends one record to the current segment; on failure nothing of it remains (see above).
  Status Append(WalRecordType type, std::string_view payload);
  // Removes the record of the last successful Append (used when its sync failed).
  Status UndoLastAppend();
  // fdatasync of the current segment.
  Status Sync();
  // Whether an append would find room now: writes `bytes` zeros past the last record and cuts
  // them off again (a crash in between leaves a torn tail, which replay cuts off).
  Status Probe(size_t bytes);
  // Starts a new segment; returns its number in *segment. On failure the current segment stays.
  Status Rotate(uint32_t* segment);
  // Deletes every segment numbered below `segment`.
  Status DeleteSegmentsBefore(uint32_t segment);

  uint32_t current_segment() const { return segment_; }
  // The closed segments still on disk, oldest first, with their sizes in bytes.
  const std::vector<std::pair<uint32_t, uint64_t>>& older_segments() const { return older_; }
  std::string SegmentPath(uint32_t segment) const;
  uint64_t current_segment_bytes() const { return segment_bytes_; }
  // Total bytes of all live segments.
  uint64_t total_bytes() const { return older_bytes_ + segment_bytes_; }

 private:
  Wal() = default;
  Status OpenSegment(uint32_t segment);
  // Cuts the segment back to segment_bytes_ if a failed write may have left bytes past it.
  Status RepairTail();

  std::string dir_;
  int fd_ = -1;
  uint32_t segment_ = 0;
  uint64_t segment_bytes_ = 0;
  uint64_t last_record_bytes_ = 0;  // size of the last appended record (for UndoLastAppend)
  bool dirty_tail_ = false;         // bytes past segment_bytes_ may be in the file
  uint64_t older_bytes_ = 0;
  std::vector<std::pair<uint32_t, uint64_t>> older_;  // (segment, bytes), ascending
  std::string buf_;
};

}  // namespace gnomon::storage
