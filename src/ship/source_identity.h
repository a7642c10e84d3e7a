// SourceIdentity: what makes a tailed file one source for exactly-once delivery (issue 13): its
// device and inode, and a fingerprint of its birth time (where the file system keeps one) and its
// first line (at most its first 256 bytes). A rename
// keeps the source (same device, inode and first line); a new file at the same path, or a reused
// inode with other content, is another one. A file truncated in place (copytruncate) keeps all
// three, so the shipper counts a generation per source and bumps it when it sees the file shrink:
// the source ID sent to gnomond is SourceId(identity, generation).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gnomon/status.h"

namespace gnomon::ship {

struct SourceIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t fingerprint = 0;  // FNV-1a 64 of the birth time (if kept) and the first line or 256 bytes
  bool operator==(const SourceIdentity&) const = default;
};

inline constexpr size_t kFingerprintBytes = 256;

// The identity of the open file `fd`. Unavailable (kFailedPrecondition) while the file holds
// neither a whole first line nor 256 bytes: it cannot be told apart from another one yet.
Result<SourceIdentity> IdentifyFile(int fd);

// "dev:ino:fingerprint" in hex, then "-generation" when the generation is not 0.
std::string SourceId(const SourceIdentity& identity, uint32_t generation);

// The identity in a source ID written by SourceId (a "-generation" suffix is ignored); nothing
// when `id` is not one.
std::optional<SourceIdentity> ParseSourceId(std::string_view id);

}  // namespace gnomon::ship
