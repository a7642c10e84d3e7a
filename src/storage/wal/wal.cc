#include "storage/wal/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "util/coding.h"

namespace gnomon::storage {

namespace {

constexpr size_t kHeaderSize = kWalRecordHeaderSize;  // crc32 + length + type

Status ErrnoStatus(const std::string& what) {
  if (errno == ENOSPC || errno == EDQUOT) return Status::NoSpace(what + ": " + std::strerror(errno));
  return Status::IOError(what + ": " + std::strerror(errno));
}

std::atomic<WalFaultHook> fault_hook{nullptr};

// The errno the test hook injects for `op`, or 0.
int InjectedFault(WalOp op) {
  WalFaultHook hook = fault_hook.load(std::memory_order_relaxed);
  return hook ? hook(op) : 0;
}

// write() of all of [p, p+n), retrying short writes; false with errno set on failure.
bool WriteAll(int fd, const char* p, size_t n) {
  if (int err = InjectedFault(WalOp::kWrite)) {
    if (n > 1) (void)!::write(fd, p, n / 2);
    errno = err;
    return false;
  }
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

Status ReadWholeFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + path);
  out->clear();
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return ErrnoStatus("read " + path);
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return Status::OK();
}

bool ParseSegmentName(const std::string& name, uint32_t* segment) {
  if (name.size() != 8 || !std::all_of(name.begin(), name.end(), ::isdigit)) return false;
  *segment = static_cast<uint32_t>(std::stoul(name));
  return true;
}

}  // namespace

void SetWalFaultHookForTesting(WalFaultHook hook) { fault_hook.store(hook); }

uint32_t WalRecordCrc(WalRecordType type, std::string_view payload) {
  unsigned char t = static_cast<unsigned char>(type);
  uLong crc = crc32(0L, &t, 1);
  return static_cast<uint32_t>(crc32_z(crc, reinterpret_cast<const Bytef*>(payload.data()), payload.size()));
}

Wal::~Wal() {
  if (fd_ >= 0) {
    RepairTail();
    ::fdatasync(fd_);
    ::close(fd_);
  }
}

std::string Wal::SegmentPath(uint32_t segment) const {
  char name[16];
  std::snprintf(name, sizeof name, "%08u", segment);
  return dir_ + "/" + name;
}

Status Wal::Open(const std::string& dir, uint32_t first_replayed,
                 const std::function<Status(uint32_t, WalRecordType, std::string_view)>& replay,
                 std::unique_ptr<Wal>* out) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("create " + dir + ": " + ec.message());
  std::unique_ptr<Wal> wal(new Wal());
  wal->dir_ = dir;

  std::vector<uint32_t> segments;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    uint32_t seg;
    if (entry.is_regular_file() && ParseSegmentName(entry.path().filename().string(), &seg)) segments.push_back(seg);
  }
  if (ec) return Status::IOError("list " + dir + ": " + ec.message());
  std::sort(segments.begin(), segments.end());

  std::string data;
  for (size_t i = 0; i < segments.size(); ++i) {
    const bool last = i + 1 == segments.size();
    const std::string path = wal->SegmentPath(segments[i]);
    if (segments[i] < first_replayed && !last) {
      // Sealed already; kept for a WAL consumer. Closed whole, so its size is its records'.
      const uintmax_t size = std::filesystem::file_size(path, ec);
      if (ec) return Status::IOError("stat " + path + ": " + ec.message());
      wal->older_.emplace_back(segments[i], size);
      wal->older_bytes_ += size;
      continue;
    }
    GNOMON_RETURN_IF_ERROR(ReadWholeFile(path, &data));
    size_t pos = 0;
    while (pos < data.size()) {
      bool torn = data.size() - pos < kHeaderSize;
      uint32_t crc = 0, len = 0;
      if (!torn) {
        crc = DecodeFixed32LE(data.data() + pos);
        len = DecodeFixed32LE(data.data() + pos + 4);
        torn = data.size() - pos - kHeaderSize < len;
      }
      WalRecordType type{};
      std::string_view payload;
      if (!torn) {
        type = static_cast<WalRecordType>(data[pos + 8]);
        payload = std::string_view(data.data() + pos + kHeaderSize, len);
        torn = WalRecordCrc(type, payload) != crc;
      }
      if (torn) {
        if (!last) {
          return Status::Corruption("wal segment " + path + ": bad record at offset " + std::to_string(pos));
        }
        // A crash during the last append: drop the partial record.
        if (::truncate(path.c_str(), static_cast<off_t>(pos)) != 0) return ErrnoStatus("truncate " + path);
        data.resize(pos);
        break;
      }
      GNOMON_RETURN_IF_ERROR(replay(segments[i], type, payload));
      pos += kHeaderSize + len;
    }
    // Kept even when empty: the segments on disk stay numbered without holes, so a WAL consumer
    // that finds its segment gone knows it was deleted, not skipped for being empty.
    wal->older_.emplace_back(segments[i], data.size());
    wal->older_bytes_ += data.size();
  }
  uint32_t next = segments.empty() ? 1 : segments.back() + 1;
  GNOMON_RETURN_IF_ERROR(wal->OpenSegment(next));
  *out = std::move(wal);
  return Status::OK();
}

Status Wal::OpenSegment(uint32_t segment) {
  std::string path = SegmentPath(segment);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create " + path);
  // Make the new file's directory entry durable.
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segment_ = segment;
  segment_bytes_ = 0;
  last_record_bytes_ = 0;
  dirty_tail_ = false;
  return Status::OK();
}

Status Wal::RepairTail() {
  if (!dirty_tail_) return Status::OK();
  if (::ftruncate(fd_, static_cast<off_t>(segment_bytes_)) != 0) return ErrnoStatus("wal truncate after failed append");
  if (::lseek(fd_, 0, SEEK_END) < 0) return ErrnoStatus("wal seek");
  dirty_tail_ = false;
  return Status::OK();
}

Status Wal::Append(WalRecordType type, std::string_view payload) {
  if (payload.size() > UINT32_MAX) return Status::InvalidArgument("wal record too large");
  GNOMON_RETURN_IF_ERROR(RepairTail());
  buf_.clear();
  PutFixed32LE(&buf_, WalRecordCrc(type, payload));
  PutFixed32LE(&buf_, static_cast<uint32_t>(payload.size()));
  buf_.push_back(static_cast<char>(type));
  // Two iovecs would avoid this copy; one write() keeps a record in one syscall either way.
  buf_.append(payload);
  if (!WriteAll(fd_, buf_.data(), buf_.size())) {
    // Leave no partial record behind: cut the file back to the last whole record (now, or
    // before the next write if that fails too).
    Status s = ErrnoStatus("wal append");
    dirty_tail_ = true;
    RepairTail();
    return s;
  }
  segment_bytes_ += buf_.size();
  last_record_bytes_ = buf_.size();
  return Status::OK();
}

Status Wal::UndoLastAppend() {
  segment_bytes_ -= last_record_bytes_;
  last_record_bytes_ = 0;
  dirty_tail_ = true;
  return RepairTail();
}

Status Wal::Sync() {
  if (int err = InjectedFault(WalOp::kSync)) {
    errno = err;
    return ErrnoStatus("wal fdatasync");
  }
  if (::fdatasync(fd_) != 0) return ErrnoStatus("wal fdatasync");
  return Status::OK();
}

Status Wal::Probe(size_t bytes) {
  GNOMON_RETURN_IF_ERROR(RepairTail());
  std::string zeros(bytes, '\0');
  dirty_tail_ = true;
  const bool ok = WriteAll(fd_, zeros.data(), zeros.size());
  Status s = ok ? Status::OK() : ErrnoStatus("wal probe");
  Status r = RepairTail();
  return s.ok() ? r : s;
}

Status Wal::Rotate(uint32_t* segment) {
  GNOMON_RETURN_IF_ERROR(RepairTail());
  GNOMON_RETURN_IF_ERROR(Sync());
  const uint32_t old_segment = segment_;
  const uint64_t old_bytes = segment_bytes_;
  GNOMON_RETURN_IF_ERROR(OpenSegment(segment_ + 1));  // closes the old one only once this worked
  older_.emplace_back(old_segment, old_bytes);  // even empty: see Open
  older_bytes_ += old_bytes;
  *segment = segment_;
  return Status::OK();
}

Status Wal::DeleteSegmentsBefore(uint32_t segment) {
  while (!older_.empty() && older_.front().first < segment) {
    std::error_code ec;
    std::filesystem::remove(SegmentPath(older_.front().first), ec);
    if (ec) return Status::IOError("remove wal segment: " + ec.message());
    older_bytes_ -= older_.front().second;
    older_.erase(older_.begin());
  }
  return Status::OK();
}

}  // namespace gnomon::storage
