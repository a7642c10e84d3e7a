// FileTailer: one tailed path's whole lines, from the offset gnomond acknowledged, followed through
// rotation (issue 13). The tailer holds the file open, so a file renamed away (rotation by rename)
// is read to its end (a last line without its newline too) before the tailer moves to the new file
// at the path; a file that shrinks
// under it (copytruncate) is read again from 0 as a new generation of its source, so gnomond,
// which keeps one range per source ID, stores the new lines instead of taking them for ones it
// has. A path that disappears is read to the end of what is open, then waited for; a deleted file
// is closed once read to its end (its space is freed).
//
// Read does not move anything durable: it answers the chunk after `offset`, and the caller sends it
// and, once gnomond acknowledged it, saves the chunk's end (ShipState) and reads on from there.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <sys/stat.h>

#include "gnomon/status.h"
#include "ship/source_identity.h"

namespace gnomon::ship {

// Whole lines [start, end) of one source, back to back, each with its newline (but a rotated
// file's last line, which may lack it).
struct Chunk {
  std::string source;  // SourceId(identity, generation)
  uint64_t start = 0, end = 0;
  std::string text;
  bool at_end = false;   // it holds every whole line there is now (not cut short by max_bytes)
  bool last = false;     // the file was rotated away or deleted and this is its end: nothing more will come
  int64_t mtime_ns = 0;  // the file's last modification when read (how long its writer has been quiet)
};

class FileTailer {
 public:
  explicit FileTailer(std::string path) : path_(std::move(path)) {}
  // A file that was rotated away before it was read to its end (found by its identity, under
  // another name): read from `offset` of `generation` to its end, last line whole or not, and
  // never followed to another file. kNotFound when `path` no longer holds that identity.
  static Result<std::unique_ptr<FileTailer>> OpenRotated(const std::string& path, const SourceIdentity& identity,
                                                         uint32_t generation, uint64_t offset);
  ~FileTailer();
  FileTailer(const FileTailer&) = delete;
  FileTailer& operator=(const FileTailer&) = delete;

  // Starts at `offset` of generation `generation` of the file now at the path when its identity is
  // `identity` (the saved state's), else at 0 of that file. Not an error when the path is missing
  // or the file has no first line yet: Read waits for it.
  Status Start(std::optional<SourceIdentity> identity, uint32_t generation, uint64_t offset);

  // The whole lines after the current position, at most `max_bytes` of them (one longer line comes
  // whole); an empty chunk when there are none yet. Follows rotation and truncation first. A line
  // longer than max_line_bytes comes in pieces of that many bytes (the last one with the newline),
  // so memory stays bounded whatever a file holds.
  Result<Chunk> Read(size_t max_bytes);
  void set_max_line_bytes(size_t n) { max_line_bytes_ = std::max<size_t>(n, 1); }
  // How long a file renamed away must go unwritten before it is done with (its writer may append
  // until it reopens the path; Fluent Bit's Rotate_Wait): until then it is read on, its partial
  // last line held, and the new file at the path waits.
  void set_rotate_wait_ms(int64_t ms) { rotate_wait_ms_ = ms; }

  // The whole lines of the open file from `from` on, as Read would give them after a chunk ending
  // there was acknowledged, without moving anything or following the path: what a shipper
  // prepares while that chunk is in flight. Empty when nothing is open or the file shrank.
  Result<Chunk> Peek(uint64_t from, size_t max_bytes) const;

  // The chunk was acknowledged (or skipped): read on after it.
  void Advance(const Chunk& chunk) { offset_ = chunk.end; }
  // Goes on from a saved position of the open file (the state saved for identity()), or from
  // where gnomond's range for it ends.
  void Resume(uint32_t generation, uint64_t offset) {
    generation_ = generation;
    offset_ = offset;
  }

  // A rotated file (OpenRotated) read to its end and quiet for rotate_wait: nothing more to do.
  bool finished() const { return rotated_ && fd_ >= 0 && offset_ >= size_ && last_seen_; }
  // The open file's size when last read (0 when none is open): the lag is size() - offset().
  uint64_t size() const { return fd_ >= 0 ? size_ : 0; }
  const std::string& path() const { return path_; }

  const std::optional<SourceIdentity>& identity() const { return identity_; }
  uint32_t generation() const { return generation_; }
  uint64_t offset() const { return offset_; }

 private:
  enum class Open { kNone, kAtPath, kMovedAway };
  // Opens the file now at the path when there is none open, or when the open one was read to its
  // end and the path names another file; says what is open then.
  Result<Open> Follow();
  // Whole lines of the open file (whose stat is `st`) from `from`; a moved-away file's last line
  // comes without its newline.
  Result<Chunk> ReadAt(uint64_t from, size_t max_bytes, bool moved_away, const struct stat& st) const;
  // Unwritten for rotate_wait.
  bool Quiet(const struct stat& st) const;

  std::string path_;
  int fd_ = -1;
  std::optional<SourceIdentity> identity_;
  uint32_t generation_ = 0;
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
  size_t max_line_bytes_ = 256 << 10;
  int64_t rotate_wait_ms_ = 5000;
  bool last_seen_ = false;   // Read gave a chunk marked last
  bool rotated_ = false;     // OpenRotated: the path is not followed
  bool reidentify_ = false;  // truncated: the identity is read again once there is a first line
};

}  // namespace gnomon::ship
