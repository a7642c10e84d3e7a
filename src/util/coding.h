// Byte-level encoding helpers shared by every on-disk and in-memory format: varints (LEB128) and
// zig-zag, the only varint codec in the tree, and fixed-width integers (big-endian where RocksDB's
// byte order must equal numeric order). Decoders take a [p, limit) range and return nullptr
// instead of reading past limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace gnomon {

// ---- varints: the one LEB128 codec of every format (WAL records, chunks, canonical labels) ----
//
// 7 bits per byte, least significant group first, high bit set on every byte but the last; a
// uint64 takes 1..10 bytes (kMaxVarint64Bytes). Encoders always write the shortest form.
// Decoders are strict, so every value has exactly one encoding (canonical labels rely on it):
// they never read at or past `limit` and fail (nullptr / false) when the input ends mid-varint,
// the value needs more than 64 bits, or the encoding is not minimal (a final zero byte after
// others). Zig-zag maps signed to unsigned so small magnitudes stay small (0,-1,1,-2,.. ->
// 0,1,2,3,..); it is a bijection on all 64-bit values.

inline constexpr size_t kMaxVarint64Bytes = 10;

inline uint64_t ZigZagEncode(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t ZigZagDecode(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

inline size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes v at dst (room for kMaxVarint64Bytes) and returns the byte after it.
inline char* EncodeVarint64(char* dst, uint64_t v) {
  while (v >= 0x80) {
    *dst++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *dst++ = static_cast<char>(v);
  return dst;
}

inline void PutVarint64(std::string* dst, uint64_t v) {
  char buf[kMaxVarint64Bytes];
  dst->append(buf, EncodeVarint64(buf, v) - buf);
}

inline void PutZigZagVarint64(std::string* dst, int64_t v) { PutVarint64(dst, ZigZagEncode(v)); }

// Decodes one varint from [p, limit); returns the byte after it, or nullptr (see above).
inline const char* GetVarint64(const char* p, const char* limit, uint64_t* v) {
  if (p < limit && static_cast<unsigned char>(*p) < 0x80) {  // the common one-byte case
    *v = static_cast<unsigned char>(*p);
    return p + 1;
  }
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && p < limit; shift += 7) {
    const uint64_t byte = static_cast<unsigned char>(*p++);
    if (byte < 0x80) {
      if (shift == 63 && byte > 1) return nullptr;  // more than 64 bits
      if (shift > 0 && byte == 0) return nullptr;   // not minimal
      *v = result | (byte << shift);
      return p;
    }
    result |= (byte & 0x7f) << shift;
  }
  return nullptr;
}

inline const uint8_t* GetVarint64(const uint8_t* p, const uint8_t* limit, uint64_t* v) {
  return reinterpret_cast<const uint8_t*>(
      GetVarint64(reinterpret_cast<const char*>(p), reinterpret_cast<const char*>(limit), v));
}

// Decodes one varint from the front of *in and advances *in past it (on failure *in is unchanged).
inline bool GetVarint64(std::string_view* in, uint64_t* v) {
  const char* p = GetVarint64(in->data(), in->data() + in->size(), v);
  if (p == nullptr) return false;
  in->remove_prefix(static_cast<size_t>(p - in->data()));
  return true;
}

template <typename Byte>
inline const Byte* GetZigZagVarint64(const Byte* p, const Byte* limit, int64_t* v) {
  uint64_t u;
  p = GetVarint64(p, limit, &u);
  if (p != nullptr) *v = ZigZagDecode(u);
  return p;
}

// ---- fixed-width integers ----

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
