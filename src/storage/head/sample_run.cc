#include "storage/head/sample_run.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "storage/chunk/bit_stream.h"

namespace gnomon::storage {

namespace {

bool FitsSigned(int64_t v, int bits) { return v >= -(int64_t{1} << (bits - 1)) && v < (int64_t{1} << (bits - 1)); }

int64_t SignExtend(uint64_t v, int bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

uint64_t Bits(double d) { return std::bit_cast<uint64_t>(d); }

}  // namespace

SampleRun::SampleRun(SampleRun&& other) noexcept { *this = std::move(other); }

SampleRun& SampleRun::operator=(SampleRun&& other) noexcept {
  if (this == &other) return *this;
  std::free(words_);
  words_ = std::exchange(other.words_, nullptr);
  size_ = std::exchange(other.size_, 0);
  capacity_ = std::exchange(other.capacity_, 0);
  pending_ = other.pending_;
  last_ts_ = other.last_ts_;
  last_delta_ = other.last_delta_;
  last_bits_ = other.last_bits_;
  count_ = std::exchange(other.count_, 0);
  pending_bits_ = std::exchange(other.pending_bits_, 0);
  leading_ = other.leading_;
  trailing_ = other.trailing_;
  return *this;
}

void SampleRun::PutWord(uint64_t word) {
  if (size_ == capacity_) {
    const uint32_t grown = std::max<uint32_t>(2, capacity_ + capacity_ / 2);
    void* p = std::realloc(words_, size_t{grown} * 8);
    if (p == nullptr) throw std::bad_alloc();
    words_ = static_cast<uint64_t*>(p);
    capacity_ = grown;
  }
  if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
  words_[size_++] = word;
}

void SampleRun::PutBits(uint64_t v, int n) {
  if (n < 64) v &= (uint64_t{1} << n) - 1;
  const int room = 64 - pending_bits_;
  if (n < room) {
    pending_ = (pending_ << n) | v;  // n < room <= 64
    pending_bits_ = static_cast<uint8_t>(pending_bits_ + n);
    return;
  }
  // n >= room: a whole word is ready.
  const int rest = n - room;  // bits of v left over, < 64 (room >= 1, n <= 64)
  uint64_t word = room == 64 ? v : (pending_ << room) | (v >> rest);
  PutWord(word);
  pending_ = rest == 0 ? 0 : v & ((uint64_t{1} << rest) - 1);
  pending_bits_ = static_cast<uint8_t>(rest);
}

void SampleRun::Append(const Sample& s) {
  const auto ts = static_cast<uint64_t>(s.timestamp);
  const uint64_t bits = Bits(s.value);
  if (count_ == 0) {
    PutBits(ts, 64);
    PutBits(bits, 64);
  } else {
    const uint64_t delta = ts - last_ts_;
    const auto dod = static_cast<int64_t>(delta - last_delta_);
    if (dod == 0) {
      PutBits(0, 1);
    } else if (FitsSigned(dod, 14)) {
      PutBits(0b10, 2);
      PutBits(static_cast<uint64_t>(dod) & 0x3fff, 14);
    } else if (FitsSigned(dod, 17)) {
      PutBits(0b110, 3);
      PutBits(static_cast<uint64_t>(dod) & 0x1ffff, 17);
    } else if (FitsSigned(dod, 20)) {
      PutBits(0b1110, 4);
      PutBits(static_cast<uint64_t>(dod) & 0xfffff, 20);
    } else {
      PutBits(0b1111, 4);
      PutBits(static_cast<uint64_t>(dod), 64);
    }
    last_delta_ = delta;
    const uint64_t x = bits ^ last_bits_;
    if (x == 0) {
      PutBits(0, 1);
    } else {
      const int leading = std::min(std::countl_zero(x), 31);
      const int trailing = std::countr_zero(x);
      if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
        PutBits(0b10, 2);
        PutBits(x >> trailing_, 64 - leading_ - trailing_);
      } else {
        const int sig = 64 - leading - trailing;
        PutBits(0b11, 2);
        PutBits(static_cast<uint64_t>(leading), 5);
        PutBits(static_cast<uint64_t>(sig & 63), 6);  // 64 is written as 0
        PutBits(x >> trailing, sig);
        leading_ = static_cast<uint8_t>(leading);
        trailing_ = static_cast<uint8_t>(trailing);
      }
    }
  }
  last_ts_ = ts;
  last_bits_ = bits;
  ++count_;
}

void SampleRun::Decode(std::vector<Sample>* out, size_t n) const {
  n = std::min<size_t>(n, count_);
  if (n == 0) return;
  // The stream as one buffer: the words, then the pending bits left-aligned in whole bytes.
  thread_local std::string stream;
  stream.assign(reinterpret_cast<const char*>(words_), size_t{size_} * 8);
  if (pending_bits_ > 0) {
    const uint64_t tail = pending_ << (64 - pending_bits_);
    for (int i = 0; i < (pending_bits_ + 7) / 8; ++i) stream.push_back(static_cast<char>(tail >> (56 - 8 * i)));
  }
  chunk::BitReader r(reinterpret_cast<const uint8_t*>(stream.data()), stream.size());
  uint64_t ts = r.Read(64);
  uint64_t bits = r.Read(64);
  uint64_t delta = 0;
  int leading = 0, trailing = 0;
  out->push_back({static_cast<int64_t>(ts), std::bit_cast<double>(bits)});
  for (size_t i = 1; i < n; ++i) {
    int64_t dod;
    if (r.ReadShort(1) == 0) {
      dod = 0;
    } else if (r.ReadShort(1) == 0) {
      dod = SignExtend(r.ReadShort(14), 14);
    } else if (r.ReadShort(1) == 0) {
      dod = SignExtend(r.ReadShort(17), 17);
    } else if (r.ReadShort(1) == 0) {
      dod = SignExtend(r.ReadShort(20), 20);
    } else {
      dod = static_cast<int64_t>(r.Read(64));
    }
    delta += static_cast<uint64_t>(dod);
    ts += delta;
    if (r.ReadShort(1) != 0) {
      if (r.ReadShort(1) != 0) {
        leading = static_cast<int>(r.ReadShort(5));
        int sig = static_cast<int>(r.ReadShort(6));
        if (sig == 0) sig = 64;
        trailing = 64 - leading - sig;
      }
      bits ^= r.Read(64 - leading - trailing) << trailing;
    }
    out->push_back({static_cast<int64_t>(ts), std::bit_cast<double>(bits)});
  }
}

void SampleRun::Clear(bool release) {
  size_ = 0;
  if (release) {
    std::free(words_);
    words_ = nullptr;
    capacity_ = 0;
  }
  count_ = 0;
  pending_ = 0;
  pending_bits_ = 0;
  leading_ = 0xff;
  trailing_ = 0;
  last_ts_ = last_delta_ = last_bits_ = 0;
}

}  // namespace gnomon::storage
