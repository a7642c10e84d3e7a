// Unsigned LEB128 varints, as used by the canonical label encoding (labels_util.h).
//
// Local to the index: 7 bits per byte, least significant group first, high bit set on every byte
// but the last. Decoding is strict: it never reads past the input and rejects encodings longer
// than necessary, so every value has exactly one encoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gnomon::index {

inline constexpr size_t kMaxVarint64Bytes = 10;

inline void AppendVarint64(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(static_cast<unsigned char>(v) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Reads one varint from the front of *in and advances *in past it. Returns false (leaving *in
// unspecified) when the input ends mid-varint, the value overflows 64 bits, or the encoding is
// not minimal (a multi-byte varint whose last byte is zero).
inline bool ReadVarint64(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (size_t i = 0; i < kMaxVarint64Bytes; ++i) {
    if (i >= in->size()) return false;
    const auto byte = static_cast<unsigned char>((*in)[i]);
    if (i == kMaxVarint64Bytes - 1 && byte > 1) return false;  // more than 64 bits
    result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      if (i > 0 && byte == 0) return false;  // non-minimal encoding
      in->remove_prefix(i + 1);
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace gnomon::index
