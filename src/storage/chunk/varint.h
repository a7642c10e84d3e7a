// Varints and zig-zag: the variable-length integers of the chunk header and payloads.
//
// PutUvarint writes LEB128 (7 bits per byte, low groups first, high bit = "more follows"); a
// uint64 takes 1..10 bytes. GetUvarint reads one from [*p, end), advancing *p; it returns false,
// without reading past `end`, if the input ends early or the varint is longer than 10 bytes or
// overflows 64 bits. Zig-zag maps signed to unsigned so small magnitudes stay small
// (0,-1,1,-2,.. -> 0,1,2,3,..); it is a bijection on all 64-bit values.
#pragma once

#include <cstdint>
#include <string>

namespace gnomon::chunk {

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

inline int64_t UnZigZag(uint64_t u) {
  return static_cast<int64_t>((u >> 1) ^ (0 - (u & 1)));
}

inline void PutUvarint(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

inline void PutVarint(std::string* out, int64_t v) { PutUvarint(out, ZigZag(v)); }

inline bool GetUvarint(const uint8_t** p, const uint8_t* end, uint64_t* v) {
  const uint8_t* q = *p;
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && q < end; shift += 7) {
    uint64_t byte = *q++;
    if (shift == 63 && byte > 1) return false;  // would overflow 64 bits
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *p = q;
      *v = result;
      return true;
    }
  }
  return false;
}

inline bool GetVarint(const uint8_t** p, const uint8_t* end, int64_t* v) {
  uint64_t u;
  if (!GetUvarint(p, end, &u)) return false;
  *v = UnZigZag(u);
  return true;
}

}  // namespace gnomon::chunk
