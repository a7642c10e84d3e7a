#include "ship/source_identity.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace gnomon::ship {

Result<SourceIdentity> IdentifyFile(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return Status::IOError(std::string("stat: ") + std::strerror(errno));
  char head[kFingerprintBytes];
  size_t got = 0;
  while (got < sizeof(head)) {
    const ssize_t n = pread(fd, head + got, sizeof(head) - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(std::string("read: ") + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  const void* newline = memchr(head, '\n', got);
  size_t len = got;
  if (newline != nullptr) {
    len = static_cast<size_t>(static_cast<const char*>(newline) - head) + 1;
  } else if (got < sizeof(head)) {
    return Status::FailedPrecondition("the file holds no whole first line yet");
  }
  uint64_t h = 14695981039346656037ull;
  // The birth time, where the file system keeps one: an inode reused for a new file with the same
  // first line is then another source.
  struct statx sx {};
  if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME) != 0) {
    const uint64_t birth = static_cast<uint64_t>(sx.stx_btime.tv_sec) * 1'000'000'000 + sx.stx_btime.tv_nsec;
    for (int i = 0; i < 8; ++i) {
      h ^= (birth >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  }
  for (size_t i = 0; i < len; ++i) {
    h ^= static_cast<unsigned char>(head[i]);
    h *= 1099511628211ull;
  }
  return SourceIdentity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), h};
}

std::string SourceId(const SourceIdentity& identity, uint32_t generation) {
  std::string id = fmt::format("{:x}:{:x}:{:016x}", identity.dev, identity.ino, identity.fingerprint);
  if (generation != 0) id += fmt::format("-{}", generation);
  return id;
}

std::optional<SourceIdentity> ParseSourceId(std::string_view id) {
  SourceIdentity identity;
  uint64_t* parts[] = {&identity.dev, &identity.ino, &identity.fingerprint};
  const char* p = id.data();
  const char* end = id.data() + id.size();
  for (size_t i = 0; i < 3; ++i) {
    auto [next, ec] = std::from_chars(p, end, *parts[i], 16);
    if (ec != std::errc() || next == p) return std::nullopt;
    p = next;
    const char want = i < 2 ? ':' : '-';
    if (p == end && i == 2) break;
    if (p == end || *p != want) return std::nullopt;
    ++p;
  }
  return identity;
}

}  // namespace gnomon::ship
