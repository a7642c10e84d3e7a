// Decimal payload encoder and decoder (see decimal.h; layout in docs/format/chunk.md).
#include "storage/chunk/decimal.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "util/coding.h"

namespace gnomon::chunk {

namespace {

// Powers of ten up to 1e15 are exact doubles, so (double)m / kPow10[e] is one correctly rounded
// IEEE division: the same bits on every conforming platform.
constexpr double kPow10[kMaxDecimalExponent + 1] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// Payload flag byte: bits 0-3 exponent, bits 4-5 log2(width), bit 6 irregular timestamps.
constexpr uint8_t kIrregularBit = 0x40;
constexpr uint8_t kReservedBit = 0x80;

// Sets *m if v == (double)*m / 10^e bit for bit. Rejects NaN, ±Inf and -0.0.
inline bool Mantissa(double v, int e, int64_t* m) {
  double x = v * kPow10[e];
  if (!(x >= -0x1p63 && x < 0x1p63)) return false;  // also false for NaN
  int64_t r = std::llround(x);
  if (std::bit_cast<uint64_t>(static_cast<double>(r) / kPow10[e]) != std::bit_cast<uint64_t>(v)) {
    return false;
  }
  *m = r;
  return true;
}

// Smallest e in [0, kMaxDecimalExponent] for which every value has a mantissa, or -1.
int FindExponent(std::span<const Sample> samples) {
  int e = 0;
  int64_t m;
  // Raise e until each value fits; e never passes the answer, since at the answer all values fit.
  for (const Sample& s : samples) {
    while (!Mantissa(s.value, e, &m)) {
      if (++e > kMaxDecimalExponent) return -1;
    }
  }
  // Earlier values were checked at a smaller e; confirm all at the final one.
  for (;;) {
    bool all = true;
    for (const Sample& s : samples) {
      if (!Mantissa(s.value, e, &m)) {
        all = false;
        break;
      }
    }
    if (all) return e;
    if (++e > kMaxDecimalExponent) return -1;
  }
}

int WidthLog2(uint64_t max_zigzag) {
  if (max_zigzag <= 0xff) return 0;
  if (max_zigzag <= 0xffff) return 1;
  if (max_zigzag <= 0xffffffff) return 2;
  return 3;
}

template <int W>
void WritePlanes(const std::vector<uint64_t>& zz, std::string* out) {
  const size_t k = zz.size();
  const size_t at = out->size();
  out->resize(at + k * W);
  uint8_t* p = reinterpret_cast<uint8_t*>(out->data() + at);
  for (int b = 0; b < W; ++b) {
    for (size_t j = 0; j < k; ++j) p[b * k + j] = static_cast<uint8_t>(zz[j] >> (8 * b));
  }
}

template <int W>
void ReadPlanes(const uint8_t* p, size_t k, int64_t m0, double scale, Sample* s) {
  uint64_t m = static_cast<uint64_t>(m0);
  s[0].value = static_cast<double>(m0) / scale;
  for (size_t j = 0; j < k; ++j) {
    uint64_t zz = p[j];
    if constexpr (W >= 2) zz |= static_cast<uint64_t>(p[k + j]) << 8;
    if constexpr (W >= 4) {
      zz |= static_cast<uint64_t>(p[2 * k + j]) << 16;
      zz |= static_cast<uint64_t>(p[3 * k + j]) << 24;
    }
    if constexpr (W == 8) {
      for (int b = 4; b < 8; ++b) zz |= static_cast<uint64_t>(p[b * k + j]) << (8 * b);
    }
    m += (zz >> 1) ^ (0 - (zz & 1));  // un-zig-zag, wrapping add
    s[j + 1].value = static_cast<double>(static_cast<int64_t>(m)) / scale;
  }
}

}  // namespace

bool AppendDecimalPayload(std::span<const Sample> samples, std::string* out) {
  const int e = FindExponent(samples);
  if (e < 0) return false;
  const size_t n = samples.size();

  // Mantissa deltas, zig-zagged; uint64 arithmetic wraps and round-trips.
  std::vector<uint64_t> zz(n - 1);
  int64_t m0 = 0;
  Mantissa(samples[0].value, e, &m0);
  uint64_t prev = static_cast<uint64_t>(m0);
  uint64_t all = 0;
  for (size_t i = 1; i < n; ++i) {
    int64_t m = 0;
    Mantissa(samples[i].value, e, &m);
    zz[i - 1] = ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(m) - prev));
    all |= zz[i - 1];
    prev = static_cast<uint64_t>(m);
  }
  const int wlog = WidthLog2(all);

  bool regular = true;
  uint64_t first_delta = 0;
  if (n >= 2) {
    first_delta = static_cast<uint64_t>(samples[1].timestamp) - static_cast<uint64_t>(samples[0].timestamp);
    for (size_t i = 2; i < n && regular; ++i) {
      regular = static_cast<uint64_t>(samples[i].timestamp) -
                    static_cast<uint64_t>(samples[i - 1].timestamp) == first_delta;
    }
  }

  out->push_back(static_cast<char>(e | (wlog << 4) | (regular ? 0 : kIrregularBit)));
  if (n >= 2) {
    PutVarint64(out, first_delta);
    if (!regular) {
      uint64_t prev_delta = first_delta;
      for (size_t i = 2; i < n; ++i) {
        uint64_t d = static_cast<uint64_t>(samples[i].timestamp) -
                     static_cast<uint64_t>(samples[i - 1].timestamp);
        PutZigZagVarint64(out, static_cast<int64_t>(d - prev_delta));
        prev_delta = d;
      }
    }
  }
  PutZigZagVarint64(out, m0);
  switch (wlog) {
    case 0: WritePlanes<1>(zz, out); break;
    case 1: WritePlanes<2>(zz, out); break;
    case 2: WritePlanes<4>(zz, out); break;
    default: WritePlanes<8>(zz, out); break;
  }
  return true;
}

Status DecodeDecimalPayload(std::string_view payload, const ChunkMeta& meta,
                            std::vector<Sample>* out) {
  const size_t n = meta.num_samples;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(payload.data());
  const uint8_t* end = p + payload.size();
  if (n == 0) {
    if (p != end) return Status::Corruption("decimal chunk: bytes after 0 samples");
    return Status::OK();
  }
  if (p == end) return Status::Corruption("decimal chunk: missing flag byte");
  const uint8_t flags = *p++;
  if (flags & kReservedBit) return Status::Corruption("decimal chunk: reserved flag bit set");
  const int e = flags & 0x0f;
  const int wlog = (flags >> 4) & 3;
  const size_t width = size_t{1} << wlog;
  const bool regular = !(flags & kIrregularBit);
  // Every sample after the first has `width` bytes in the planes: bounds the allocation below.
  if ((n - 1) > static_cast<size_t>(end - p) / width) {
    return Status::Corruption("decimal chunk: payload too short for sample count");
  }

  const size_t base = out->size();
  out->resize(base + n);
  Sample* s = out->data() + base;
  auto fail = [&](const char* msg) {
    out->resize(base);
    return Status::Corruption(msg);
  };

  uint64_t ts = static_cast<uint64_t>(meta.min_time);
  s[0].timestamp = meta.min_time;
  if (n >= 2) {
    uint64_t delta;
    if (!(p = GetVarint64(p, end, &delta))) return fail("decimal chunk: bad timestamp delta");
    if (regular) {
      for (size_t i = 1; i < n; ++i) s[i].timestamp = static_cast<int64_t>(ts + i * delta);
      ts += (n - 1) * delta;
    } else {
      ts += delta;
      s[1].timestamp = static_cast<int64_t>(ts);
      for (size_t i = 2; i < n; ++i) {
        int64_t dod;
        if (!(p = GetZigZagVarint64(p, end, &dod))) return fail("decimal chunk: bad timestamp delta-of-delta");
        delta += static_cast<uint64_t>(dod);
        ts += delta;
        s[i].timestamp = static_cast<int64_t>(ts);
      }
    }
  }
  if (static_cast<int64_t>(ts) != meta.max_time) {
    return fail("decimal chunk: last timestamp does not match header");
  }

  int64_t m0;
  if (!(p = GetZigZagVarint64(p, end, &m0))) return fail("decimal chunk: bad first mantissa");
  const size_t k = n - 1;
  if (static_cast<size_t>(end - p) != k * width) {
    return fail("decimal chunk: value bytes do not match sample count");
  }
  const double scale = kPow10[e];
  switch (wlog) {
    case 0: ReadPlanes<1>(p, k, m0, scale, s); break;
    case 1: ReadPlanes<2>(p, k, m0, scale, s); break;
    case 2: ReadPlanes<4>(p, k, m0, scale, s); break;
    default: ReadPlanes<8>(p, k, m0, scale, s); break;
  }
  return Status::OK();
}

}  // namespace gnomon::chunk
