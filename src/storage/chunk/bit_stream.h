// Bit-level writer and reader for the Gorilla encoding.
//
// Bits are packed most-significant first: the first bit written is bit 7 of byte 0. The writer
// pads the last byte with zero bits. The reader never touches memory outside the buffer it was
// given: past the end it reads zero bits and remembers that it did, so a decoder can run its tight
// loop unchecked and test Overrun() once at the end.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace gnomon::chunk {

class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}

  // Appends the low `n` bits of `v`, most significant first. 0 <= n <= 64.
  void Write(uint64_t v, int n) {
    if (n > 32) {
      Write32(static_cast<uint32_t>(v >> 32), n - 32);
      n = 32;
    }
    Write32(static_cast<uint32_t>(v), n);
  }
  void WriteBit(bool b) { Write32(b ? 1 : 0, 1); }

  // Flushes the final partial byte (zero padded). Call once, after the last Write.
  void Finish() {
    if (nbits_ > 0) out_->push_back(static_cast<char>(acc_ << (8 - nbits_)));
    nbits_ = 0;
  }

 private:
  void Write32(uint32_t v, int n) {  // 0 <= n <= 32; acc_ holds < 8 pending bits
    if (n == 0) return;
    uint64_t mask = n == 32 ? 0xffffffffu : ((uint64_t{1} << n) - 1);
    acc_ = (acc_ << n) | (v & mask);
    nbits_ += n;
    while (nbits_ >= 8) {
      nbits_ -= 8;
      out_->push_back(static_cast<char>(acc_ >> nbits_));
    }
  }

  std::string* out_;
  uint64_t acc_ = 0;  // only the low nbits_ bits matter
  int nbits_ = 0;
};

class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  // The next 64 bits without consuming them; at least the first 57 are exact (zeros past the end).
  uint64_t Peek() const {
    size_t byte = pos_ >> 3;
    uint64_t w;
    if (byte + 8 <= size_) [[likely]] {
      std::memcpy(&w, data_ + byte, 8);
      if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    } else {
      w = 0;
      for (int i = 0; i < 8; ++i) {
        w <<= 8;
        if (byte + i < size_) w |= data_[byte + i];
      }
    }
    return w << (pos_ & 7);
  }

  void Skip(int n) { pos_ += static_cast<uint64_t>(n); }

  // Reads n bits, 1 <= n <= 56.
  uint64_t ReadShort(int n) {
    uint64_t v = Peek() >> (64 - n);
    pos_ += static_cast<uint64_t>(n);
    return v;
  }

  // Reads n bits, 0 <= n <= 64.
  uint64_t Read(int n) {
    if (n == 0) return 0;
    if (n > 56) {
      uint64_t hi = ReadShort(n - 32);
      return (hi << 32) | ReadShort(32);
    }
    return ReadShort(n);
  }

  uint64_t position() const { return pos_; }
  bool Overrun() const { return pos_ > static_cast<uint64_t>(size_) * 8; }
  // True if the unread rest is only the final byte's zero padding (or nothing).
  bool AtEnd() const { return !Overrun() && static_cast<uint64_t>(size_) * 8 - pos_ < 8; }

 private:
  const uint8_t* data_;
  size_t size_;
  uint64_t pos_ = 0;  // in bits
};

}  // namespace gnomon::chunk
