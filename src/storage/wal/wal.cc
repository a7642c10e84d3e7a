#include "storage/wal/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "util/coding.h"

namespace gnomon::storage {

namespace {

constexpr size_t kHeaderSize = 9;  // crc32 + length + type

uint32_t RecordCrc(WalRecordType type, std::string_view payload) {
  unsigned char t = static_cast<unsigned char>(type);
  uLong crc = crc32(0L, &t, 1);
  return static_cast<uint32_t>(crc32_z(crc, reinterpret_cast<const Bytef*>(payload.data()), payload.size()));
}

Status ErrnoStatus(const std::string& what) { return Status::IOError(what + ": " + std::strerror(errno)); }

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

Wal::~Wal() {
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
  }
}

std::string Wal::SegmentPath(uint32_t segment) const {
  char name[16];
  std::snprintf(name, sizeof name, "%08u", segment);
  return dir_ + "/" + name;
}

Status Wal::Open(const std::string& dir,
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
        torn = RecordCrc(type, payload) != crc;
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
    if (data.empty()) {
      std::filesystem::remove(path, ec);  // nothing in it: no need to keep it
    } else {
      wal->older_.emplace_back(segments[i], data.size());
      wal->older_bytes_ += data.size();
    }
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
  fd_ = fd;
  segment_ = segment;
  segment_bytes_ = 0;
  return Status::OK();
}

Status Wal::Append(WalRecordType type, std::string_view payload) {
  if (payload.size() > UINT32_MAX) return Status::InvalidArgument("wal record too large");
  buf_.clear();
  PutFixed32LE(&buf_, RecordCrc(type, payload));
  PutFixed32LE(&buf_, static_cast<uint32_t>(payload.size()));
  buf_.push_back(static_cast<char>(type));
  // Two iovecs would avoid this copy; one write() keeps a record in one syscall either way.
  buf_.append(payload);
  const char* p = buf_.data();
  size_t left = buf_.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // Leave no partial record behind: cut the file back to the last whole record.
      int saved = errno;
      if (::ftruncate(fd_, static_cast<off_t>(segment_bytes_)) == 0) ::lseek(fd_, 0, SEEK_END);
      errno = saved;
      return ErrnoStatus("wal append");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  segment_bytes_ += buf_.size();
  return Status::OK();
}

Status Wal::Sync() {
  if (::fdatasync(fd_) != 0) return ErrnoStatus("wal fdatasync");
  return Status::OK();
}

Status Wal::Rotate(uint32_t* segment) {
  GNOMON_RETURN_IF_ERROR(Sync());
  ::close(fd_);
  fd_ = -1;
  if (segment_bytes_ > 0) {
    older_.emplace_back(segment_, segment_bytes_);
    older_bytes_ += segment_bytes_;
  } else {
    std::error_code ec;
    std::filesystem::remove(SegmentPath(segment_), ec);
  }
  GNOMON_RETURN_IF_ERROR(OpenSegment(segment_ + 1));
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
