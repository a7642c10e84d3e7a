// WalTail: a named consumer of the engine's write-ahead log, for components that pass on what
// was written (remote_write forwarding): it reads every acknowledged batch in write order, each
// sample with its series reference, from where the consumer last acknowledged — across restarts
// and kill -9 — without a copy of the data of its own. Internal interface (not under include/):
//
//   auto tail = storage::OpenWalTail(db, "forward_victoria");  // registered at the log's end
//   (*tail)->Read(1 << 20, [&](uint64_t ref, std::span<const Sample> s) { ... }, &stats);
//   ... send ...;  (*tail)->Acknowledge((*tail)->position());
//
// Retention: WAL segments that recovery no longer needs stay on disk while a consumer has not
// acknowledged past them, up to Options::max_wal_retained_bytes over all consumers; beyond that
// the oldest are deleted anyway (logged) and Read skips them, counting them in
// WalReadStats::skipped_segments. A consumer that is no longer wanted should be dropped
// (DropWalConsumer), or it pins the log up to that cap.
//
// Reads see only acknowledged batches (with SyncMode::kAlways, synced ones). After a failed send
// a consumer Seeks back to its acknowledged position and reads the same records again.
// Not thread-safe: one thread per WalTail. A WalTail must be destroyed before its DB.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/db.h"
#include "gnomon/series.h"
#include "gnomon/status.h"

namespace gnomon::storage {

class DBImpl;

// A place in the log: a segment and a byte offset in it (at a record boundary).
struct WalPosition {
  uint32_t segment = 0;
  uint64_t offset = 0;
  auto operator<=>(const WalPosition&) const = default;
};

// The packed form the engine keeps (meta `wal_consumer/NAME`, DBImpl::WalEnd): segment << 40 |
// offset.
inline constexpr int kWalOffsetBits = 40;
inline uint64_t PackWalPosition(WalPosition p) { return (uint64_t{p.segment} << kWalOffsetBits) | p.offset; }
inline WalPosition UnpackWalPosition(uint64_t packed) {
  return {static_cast<uint32_t>(packed >> kWalOffsetBits), packed & ((uint64_t{1} << kWalOffsetBits) - 1)};
}

struct WalReadStats {
  size_t records = 0;
  size_t samples = 0;
  size_t bytes = 0;
  size_t skipped_segments = 0;  // deleted before they were read (the retention cap): lost here
};

class WalTail {
 public:
  using EntryFn = std::function<void(uint64_t ref, std::span<const Sample> samples)>;

  ~WalTail();
  WalTail(const WalTail&) = delete;
  WalTail& operator=(const WalTail&) = delete;

  const std::string& name() const { return name_; }
  // Where the next Read starts, and where the consumer last acknowledged.
  WalPosition position() const { return position_; }
  WalPosition acknowledged() const { return acknowledged_; }
  // The end of the acknowledged log now; position() == end() when everything has been read.
  WalPosition end() const;

  // Reads whole records from position() up to end(), stopping once about `max_bytes` were read,
  // calling fn for each entry (samples point into a buffer reused between calls), and moves
  // position() past them. Adds to *stats. Corruption for a damaged record (the position stays
  // before it), IOError if a segment cannot be read.
  Status Read(size_t max_bytes, const EntryFn& fn, WalReadStats* stats);
  // Continues reading from `position` (the acknowledged one, to read again after a failed send).
  void Seek(WalPosition position);
  // After Read failed with Corruption: gives up the rest of the damaged segment (counted in
  // stats->skipped_segments) and continues with the next one. Does nothing in the current one.
  void SkipSegment(WalReadStats* stats);
  // Records that everything before `position` was handled: persisted in the engine (synced if
  // `sync`, else with the engine's SyncMode), so that reading resumes there after a restart, and
  // segments wholly before every consumer's position may go.
  Status Acknowledge(WalPosition position, bool sync = false);

  // The label set of series `ref` (every ref a Read passes is known), sorted by name.
  Status LabelsOf(uint64_t ref, Labels* out) const;

 private:
  friend Result<std::unique_ptr<WalTail>> OpenWalTail(DB* db, std::string_view name);
  WalTail(DBImpl* db, std::string name, WalPosition acknowledged)
      : db_(db), name_(std::move(name)), position_(acknowledged), acknowledged_(acknowledged) {}
  // Opens position_.segment for reading; false if it is gone.
  Status OpenSegment(bool* found);
  void CloseSegment();

  DBImpl* const db_;
  const std::string name_;
  WalPosition position_;
  WalPosition acknowledged_;
  int fd_ = -1;
  uint32_t fd_segment_ = 0;
  std::string record_;
  std::vector<Sample> scratch_;
  struct Entry {
    uint64_t ref;
    size_t first, count;  // in decoded_
  };
  std::vector<Entry> entries_;
  std::vector<Sample> decoded_;
};

// Opens consumer `name` of db's log ([a-z0-9_]+, at most 64 bytes), registering it at the log's
// current end if it is new. InvalidArgument for a bad name, an in-memory DB (no log) or a DB that
// is not Gnomon's engine.
Result<std::unique_ptr<WalTail>> OpenWalTail(DB* db, std::string_view name);
// The registered consumers' names, sorted.
Result<std::vector<std::string>> ListWalConsumers(DB* db);
// Forgets consumer `name`: it no longer holds WAL segments (OK if it did not exist).
Status DropWalConsumer(DB* db, std::string_view name);

}  // namespace gnomon::storage
