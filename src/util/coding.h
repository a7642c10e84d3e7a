// Byte-level encoding helpers shared by the storage formats: varints (LEB128), zig-zag, and
// fixed-width big-endian integers (big-endian so that RocksDB's byte order equals numeric order).
// Decoders take a [p, limit) range and return nullptr instead of reading past limit.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace gnomon {

inline uint64_t ZigZagEncode(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t ZigZagDecode(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

inline void PutVarint64(std::string* dst, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  dst->append(buf, n);
}

inline const char* GetVarint64(const char* p, const char* limit, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && p < limit; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(*p++);
    result |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

inline void PutFixed64BE(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(buf, 8);
}

inline uint64_t DecodeFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

inline void PutFixed32LE(std::string* dst, uint32_t v) {
  char buf[4];
  std::memcpy(buf, &v, 4);  // x86-64 and aarch64 Linux are little-endian
  dst->append(buf, 4);
}

inline uint32_t DecodeFixed32LE(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline void PutDouble(std::string* dst, double d) {
  char buf[8];
  std::memcpy(buf, &d, 8);
  dst->append(buf, 8);
}

inline double DecodeDouble(const char* p) {
  double d;
  std::memcpy(&d, p, 8);
  return d;
}

// Signed timestamps as big-endian keys that sort numerically: flip the sign bit.
inline void PutTimestampKey(std::string* dst, int64_t t) {
  PutFixed64BE(dst, static_cast<uint64_t>(t) ^ (1ull << 63));
}
inline int64_t DecodeTimestampKey(const char* p) {
  return static_cast<int64_t>(DecodeFixed64BE(p) ^ (1ull << 63));
}

}  // namespace gnomon
