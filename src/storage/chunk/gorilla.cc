// Gorilla payload encoder and decoder (see gorilla.h; layout in docs/format/chunk.md).
#include "storage/chunk/gorilla.h"

#include <bit>
#include <cstdint>

#include "storage/chunk/bit_stream.h"

namespace gnomon::chunk {

namespace {

// Delta-of-delta buckets after the '0' (dod == 0) case: prefix '10', '110', '1110', '1111'.
constexpr int kDodBits[3] = {14, 17, 20};

bool FitsSigned(int64_t v, int bits) {
  int64_t lim = int64_t{1} << (bits - 1);
  return v >= -lim && v < lim;
}

void WriteDod(BitWriter* w, int64_t dod) {
  if (dod == 0) {
    w->WriteBit(false);
  } else if (FitsSigned(dod, kDodBits[0])) {
    w->Write(0b10, 2);
    w->Write(static_cast<uint64_t>(dod), kDodBits[0]);
  } else if (FitsSigned(dod, kDodBits[1])) {
    w->Write(0b110, 3);
    w->Write(static_cast<uint64_t>(dod), kDodBits[1]);
  } else if (FitsSigned(dod, kDodBits[2])) {
    w->Write(0b1110, 4);
    w->Write(static_cast<uint64_t>(dod), kDodBits[2]);
  } else {
    w->Write(0b1111, 4);
    w->Write(static_cast<uint64_t>(dod), 64);
  }
}

}  // namespace

bool AppendGorillaPayload(std::span<const Sample> samples, std::string* out, size_t max_size) {
  BitWriter w(out);
  uint64_t prev_bits = std::bit_cast<uint64_t>(samples[0].value);
  w.Write(prev_bits, 64);
  uint64_t prev_ts = static_cast<uint64_t>(samples[0].timestamp);
  uint64_t prev_delta = 0;
  int leading = -1;  // current window; -1 = none yet
  int trailing = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    // All timestamp arithmetic in uint64: wraps instead of overflowing, and round-trips.
    uint64_t ts = static_cast<uint64_t>(samples[i].timestamp);
    uint64_t delta = ts - prev_ts;
    WriteDod(&w, static_cast<int64_t>(delta - prev_delta));
    prev_ts = ts;
    prev_delta = delta;

    if (out->size() > max_size) return false;
    uint64_t bits = std::bit_cast<uint64_t>(samples[i].value);
    uint64_t x = bits ^ prev_bits;
    prev_bits = bits;
    if (x == 0) {
      w.WriteBit(false);
      continue;
    }
    int lz = std::countl_zero(x);
    int tz = std::countr_zero(x);
    if (lz > 31) lz = 31;  // 5-bit field
    if (leading >= 0 && lz >= leading && tz >= trailing) {
      w.Write(0b10, 2);
      w.Write(x >> trailing, 64 - leading - trailing);
    } else {
      leading = lz;
      trailing = tz;
      int sig = 64 - lz - tz;
      w.Write(0b11, 2);
      w.Write(static_cast<uint64_t>(lz), 5);
      w.Write(static_cast<uint64_t>(sig & 63), 6);  // 64 is written as 0
      w.Write(x >> tz, sig);
    }
  }
  w.Finish();
  return out->size() <= max_size;
}

Status DecodeGorillaPayload(std::string_view payload, const ChunkMeta& meta,
                            std::vector<Sample>* out) {
  const size_t n = meta.num_samples;
  if (n == 0) {
    if (!payload.empty()) return Status::Corruption("gorilla chunk: bytes after 0 samples");
    return Status::OK();
  }
  // Each sample after the first costs at least 2 bits; this bounds the allocation below.
  const uint64_t payload_bits = static_cast<uint64_t>(payload.size()) * 8;
  if (payload_bits < 64 || (n - 1) > (payload_bits - 64) / 2) {
    return Status::Corruption("gorilla chunk: payload too short for sample count");
  }
  const size_t base = out->size();
  out->resize(base + n);
  Sample* s = out->data() + base;

  BitReader r(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  uint64_t ts = static_cast<uint64_t>(meta.min_time);
  uint64_t delta = 0;
  uint64_t bits = r.Read(64);
  s[0].timestamp = meta.min_time;
  s[0].value = std::bit_cast<double>(bits);
  int leading = 0, trailing = 0;
  for (size_t i = 1; i < n; ++i) {
    uint64_t w = r.Peek();
    if (w >> 63) {
      int ones = std::countl_one(w);
      if (ones < 4) {
        const int nb = kDodBits[ones - 1];
        const int prefix = ones + 1;
        uint64_t raw = (w << prefix) >> (64 - nb);
        int64_t dod = static_cast<int64_t>(raw << (64 - nb)) >> (64 - nb);  // sign-extend
        r.Skip(prefix + nb);
        delta += static_cast<uint64_t>(dod);
      } else {
        r.Skip(4);
        delta += r.Read(64);
      }
    } else {
      r.Skip(1);
    }
    ts += delta;
    s[i].timestamp = static_cast<int64_t>(ts);

    w = r.Peek();
    if (w >> 63) {
      if ((w >> 62) & 1) {
        leading = static_cast<int>((w >> 57) & 31);
        int sig = static_cast<int>((w >> 51) & 63);
        if (sig == 0) sig = 64;
        r.Skip(13);
        if (leading + sig > 64) {
          out->resize(base);
          return Status::Corruption("gorilla chunk: XOR window exceeds 64 bits");
        }
        trailing = 64 - leading - sig;
      } else {
        r.Skip(2);
      }
      bits ^= r.Read(64 - leading - trailing) << trailing;
    } else {
      r.Skip(1);
    }
    s[i].value = std::bit_cast<double>(bits);
  }
  if (!r.AtEnd()) {
    out->resize(base);
    return Status::Corruption(r.Overrun() ? "gorilla chunk: truncated payload"
                                          : "gorilla chunk: trailing bytes after last sample");
  }
  if (static_cast<int64_t>(ts) != meta.max_time) {
    out->resize(base);
    return Status::Corruption("gorilla chunk: last timestamp does not match header");
  }
  return Status::OK();
}

}  // namespace gnomon::chunk
