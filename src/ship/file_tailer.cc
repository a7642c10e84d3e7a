#include "ship/file_tailer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/clock.h"

namespace gnomon::ship {

namespace {

Status Errno(const std::string& what) { return Status::IOError(what + ": " + std::strerror(errno)); }

}  // namespace

FileTailer::~FileTailer() {
  if (fd_ >= 0) close(fd_);
}

Status FileTailer::Start(std::optional<SourceIdentity> identity, uint32_t generation, uint64_t offset) {
  auto open = Follow();
  if (!open.ok()) return open.status();
  if (*open != Open::kNone && identity.has_value() && identity_ == identity) {
    generation_ = generation;
    offset_ = offset;
  }
  return Status::OK();
}

Result<std::unique_ptr<FileTailer>> FileTailer::OpenRotated(const std::string& path, const SourceIdentity& identity,
                                                            uint32_t generation, uint64_t offset) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Status::NotFound(path) : Errno("open " + path);
  auto found = IdentifyFile(fd);
  if (!found.ok() || !(*found == identity)) {
    close(fd);
    return Status::NotFound(path + " is another file now");
  }
  auto tailer = std::make_unique<FileTailer>(path);
  tailer->fd_ = fd;
  tailer->identity_ = identity;
  tailer->generation_ = generation;
  tailer->offset_ = offset;
  tailer->rotated_ = true;
  struct stat st {};
  if (fstat(fd, &st) == 0) tailer->size_ = static_cast<uint64_t>(st.st_size);
  return tailer;
}

Result<FileTailer::Open> FileTailer::Follow() {
  if (rotated_) return Open::kMovedAway;
  if (fd_ >= 0) {
    struct stat open_st {
    }, path_st{};
    if (fstat(fd_, &open_st) != 0) return Errno("stat " + path_);
    const bool at_path =
        stat(path_.c_str(), &path_st) == 0 && path_st.st_ino == open_st.st_ino && path_st.st_dev == open_st.st_dev;
    if (at_path) return Open::kAtPath;
    // Renamed away or deleted: read to its end first; then the file at the path, once there is one.
    if (static_cast<uint64_t>(open_st.st_size) > offset_) return Open::kMovedAway;
    // Renamed: its writer may still append to it until it reopens the path, so it is kept while
    // there is no new file at the path, or while it was written to within rotate_wait. Deleted:
    // no one can append; closed so its space is freed.
    if (open_st.st_nlink > 0 && (stat(path_.c_str(), &path_st) != 0 || !Quiet(open_st))) return Open::kMovedAway;
    close(fd_);
    fd_ = -1;
    identity_.reset();
  }
  const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Open::kNone;
    return Errno("open " + path_);
  }
  auto identity = IdentifyFile(fd);
  if (!identity.ok()) {
    close(fd);
    if (identity.status().code() == Status::Code::kFailedPrecondition) return Open::kNone;  // no first line yet
    return identity.status();
  }
  fd_ = fd;
  identity_ = *identity;
  generation_ = 0;
  reidentify_ = false;
  offset_ = 0;
  return Open::kAtPath;
}

Result<Chunk> FileTailer::Read(size_t max_bytes) {
  auto open = Follow();
  if (!open.ok()) return open.status();
  if (*open == Open::kNone) return Chunk{};
  struct stat st {};
  if (fstat(fd_, &st) != 0) return Errno("stat " + path_);
  size_ = static_cast<uint64_t>(st.st_size);
  if (static_cast<uint64_t>(st.st_size) < offset_ && !rotated_) {  // truncated in place: a new generation
    ++generation_;
    offset_ = 0;
    reidentify_ = true;
  } else if (!rotated_ && !reidentify_ && *open == Open::kAtPath) {
    // Truncated and written again past the offset since the last look: its first line tells.
    auto now = IdentifyFile(fd_);
    if (now.ok() && now->fingerprint != identity_->fingerprint) {
      ++generation_;
      offset_ = 0;
      identity_ = *now;
    }
  }
  if (reidentify_) {  // its first line changed: so does its fingerprint, once it has a whole one
    auto identity = IdentifyFile(fd_);
    if (!identity.ok() && identity.status().code() != Status::Code::kFailedPrecondition) return identity.status();
    if (!identity.ok()) return Chunk{};
    identity_ = *identity;
    reidentify_ = false;
  }
  auto chunk = ReadAt(offset_, max_bytes, *open == Open::kMovedAway, st);
  if (chunk.ok()) last_seen_ = chunk->last && chunk->end >= size_;
  return chunk;
}

Result<Chunk> FileTailer::Peek(uint64_t from, size_t max_bytes) const {
  if (fd_ < 0 || !identity_.has_value() || reidentify_) return Chunk{};
  struct stat st {};
  if (fstat(fd_, &st) != 0) return Errno("stat " + path_);
  if (static_cast<uint64_t>(st.st_size) < from) return Chunk{};  // truncated: Read sees to it
  if (auto now = IdentifyFile(fd_); !now.ok() || now->fingerprint != identity_->fingerprint) return Chunk{};
  return ReadAt(from, max_bytes, rotated_, st);
}

bool FileTailer::Quiet(const struct stat& st) const {
  const int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return NowNs() - mtime_ns >= rotate_wait_ms_ * 1'000'000;
}

Result<Chunk> FileTailer::ReadAt(uint64_t from, size_t max_bytes, bool moved_away, const struct stat& st) const {
  Chunk chunk;
  chunk.source = SourceId(*identity_, generation_);
  chunk.start = chunk.end = from;
  chunk.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  const uint64_t available = static_cast<uint64_t>(st.st_size) > from ? static_cast<uint64_t>(st.st_size) - from : 0;
  chunk.at_end = true;
  // A file moved away is done with once its writer has been quiet for rotate_wait: its last line
  // then goes without a newline, and nothing more will come.
  const bool done = moved_away && Quiet(st);
  chunk.last = done && available == 0;
  if (available == 0) return chunk;
  uint64_t want = std::min<uint64_t>(available, std::max<size_t>(max_bytes, 1));
  std::string buf;
  for (;;) {
    buf.resize(static_cast<size_t>(want));
    size_t got = 0;
    while (got < buf.size()) {
      const ssize_t n = pread(fd_, buf.data() + got, buf.size() - got, static_cast<off_t>(from + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("read " + path_);
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    buf.resize(got);
    if (done && got == available) {  // its rest, a last line without newline too
      chunk.last = true;
      break;
    }
    // Whole lines up to max_bytes; past it (a longer line being read whole) only that line.
    const size_t last = want > max_bytes ? buf.find('\n') : buf.rfind('\n');
    if (last != std::string::npos) {
      buf.resize(last + 1);
      break;
    }
    if (buf.size() >= max_line_bytes_) {  // a line past the limit: sent in pieces of the limit
      buf.resize(max_line_bytes_);
      break;
    }
    if (got < want || want == available) {
      // Only a partial last line: wait for its end, unless the file is done with (renamed away
      // and quiet), where it is the file's last line.
      if (!done) buf.clear();
      break;
    }
    // A line longer than max_bytes comes whole, up to max_line_bytes.
    want = std::min<uint64_t>({available, want * 2, std::max<uint64_t>(max_bytes, max_line_bytes_)});
  }
  chunk.at_end = want == available;
  chunk.text = std::move(buf);
  chunk.end = from + chunk.text.size();
  return chunk;
}

}  // namespace gnomon::ship
