// Chunk codec tests: bit-exact round trips for both encodings, edge cases, randomized property
// tests over several value generators, encoding choice, and robustness against corrupted input.
#include <doctest/doctest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "storage/chunk/bit_stream.h"
#include "storage/chunk/chunk.h"
#include "util/coding.h"

namespace gnomon::chunk {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
const double kStale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});

// True if both sample vectors have identical timestamps and bit-identical values.
bool SameBits(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].timestamp != b[i].timestamp) return false;
    if (std::bit_cast<uint64_t>(a[i].value) != std::bit_cast<uint64_t>(b[i].value)) return false;
  }
  return true;
}

std::vector<Sample> Regular(const std::vector<double>& values, int64_t t0 = 1'700'000'000'000,
                            int64_t step = 10'000) {
  std::vector<Sample> out;
  for (size_t i = 0; i < values.size(); ++i) out.push_back({t0 + static_cast<int64_t>(i) * step, values[i]});
  return out;
}

// Encodes with `enc`, decodes, and checks the samples come back bit-exactly and the header agrees.
void CheckRoundTrip(Encoding enc, const std::vector<Sample>& samples) {
  std::string buf;
  REQUIRE(EncodeWith(enc, samples, &buf));
  ChunkMeta meta;
  REQUIRE(ReadMeta(buf, &meta).ok());
  CHECK(meta.encoding == enc);
  CHECK(meta.num_samples == samples.size());
  if (!samples.empty()) {
    CHECK(meta.min_time == samples.front().timestamp);
    CHECK(meta.max_time == samples.back().timestamp);
  }
  std::vector<Sample> got;
  Status st = Decode(buf, &got);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  CHECK(SameBits(samples, got));
}

void CheckBoth(const std::vector<Sample>& samples) {
  CheckRoundTrip(Encoding::kGorilla, samples);
  std::string buf;
  if (EncodeWith(Encoding::kDecimal, samples, &buf)) CheckRoundTrip(Encoding::kDecimal, samples);
  std::vector<Sample> got;
  REQUIRE(Decode(Encode(samples), &got).ok());
  CHECK(SameBits(samples, got));
}

bool DecimalAccepts(const std::vector<Sample>& samples) {
  std::string buf;
  return EncodeWith(Encoding::kDecimal, samples, &buf);
}

double Round2(double v) {  // what a parser would produce for "%.2f"
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return std::strtod(buf, nullptr);
}

TEST_CASE("varint and zig-zag round-trip the extremes") {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{63}, int64_t{-64}, kMin, kMax}) {
    std::string s;
    PutZigZagVarint64(&s, v);
    const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
    int64_t got;
    REQUIRE(GetZigZagVarint64(p, p + s.size(), &got) == p + s.size());
    CHECK(got == v);
    // Every strict prefix is rejected.
    for (size_t len = 0; len < s.size(); ++len) {
      const uint8_t* q = reinterpret_cast<const uint8_t*>(s.data());
      CHECK(GetZigZagVarint64(q, q + len, &got) == nullptr);
    }
  }
  CHECK(ZigZagEncode(-1) == 1);
  CHECK(ZigZagEncode(1) == 2);
  CHECK(ZigZagEncode(kMin) == UINT64_MAX);
  // An 11-byte or overflowing varint is rejected.
  std::string bad(10, '\xff');
  bad.push_back('\x01');
  const uint8_t* p = reinterpret_cast<const uint8_t*>(bad.data());
  uint64_t u;
  CHECK(GetVarint64(p, p + bad.size(), &u) == nullptr);
}

TEST_CASE("bit stream round-trips widths 0..64") {
  std::mt19937_64 rng(7);
  std::vector<std::pair<uint64_t, int>> items;
  std::string buf;
  BitWriter w(&buf);
  for (int i = 0; i < 2000; ++i) {
    int n = static_cast<int>(rng() % 65);
    uint64_t v = n == 64 ? rng() : (rng() & ((uint64_t{1} << n) - 1));
    items.push_back({v, n});
    w.Write(v, n);
  }
  w.Finish();
  BitReader r(reinterpret_cast<const uint8_t*>(buf.data()), buf.size());
  for (auto [v, n] : items) CHECK(r.Read(n) == v);
  CHECK(r.AtEnd());
  r.Read(9);
  CHECK(r.Overrun());
}

TEST_CASE("edge-case values round-trip bit-exactly in Gorilla") {
  const double denorm = std::numeric_limits<double>::denorm_min();
  std::vector<double> values = {0.0,
                                -0.0,
                                std::nan(""),
                                -std::nan(""),
                                kStale,
                                std::bit_cast<double>(uint64_t{0x7ff8dead0000beef}),
                                INFINITY,
                                -INFINITY,
                                denorm,
                                -denorm,
                                DBL_MIN,
                                DBL_MAX,
                                -DBL_MAX,
                                9007199254740992.0,  // 2^53
                                9007199254740993.0,
                                1.0,
                                -1.0,
                                0.1,
                                1e300,
                                std::bit_cast<double>(uint64_t{0x8000000000000001}),
                                std::bit_cast<double>(UINT64_MAX)};
  CheckBoth(Regular(values));
  // Each value alone, and each next to every other (exercises all XOR window transitions).
  for (double a : values) {
    CheckBoth(Regular({a}));
    for (double b : values) CheckBoth(Regular({a, b, a, a, b}));
  }
}

TEST_CASE("1 and 2 samples") {
  CheckBoth({{0, 0.0}});
  CheckBoth({{kMin, 1.5}});
  CheckBoth({{kMax, -2.25}});
  CheckBoth({{-5, 1.0}, {7, 2.0}});
  CheckBoth({{kMin, 1.0}, {kMax, 2.0}});
  CheckRoundTrip(Encoding::kDecimal, {{42, 12.34}});
  CheckRoundTrip(Encoding::kDecimal, {{42, 12.34}, {43, 12.35}});
}

TEST_CASE("timestamps: extremes, huge gaps, negative, irregular") {
  CheckBoth({{kMin, 1}, {kMin + 1, 2}, {0, 3}, {kMax - 1, 4}, {kMax, 5}});
  CheckBoth({{kMin, 1}, {kMax, 2}, {kMax, 3}});  // not strictly increasing; still round-trips
  CheckBoth(Regular({1, 2, 3, 4}, -1'000'000'000'000, 15'000));  // before 1970
  CheckBoth({{-30, 1}, {-20, 2}, {-5, 3}, {100, 4}, {101, 5}, {1LL << 40, 6}, {(1LL << 40) + 2, 7}});
  // Delta-of-delta at every bucket boundary, positive and negative.
  std::vector<Sample> s;
  int64_t t = -1'000'000, d = 0;
  s.push_back({t, 1});
  for (int64_t dod : {0LL, 1LL, -1LL, 8191LL, -8192LL, 8192LL, -8193LL, 65535LL, -65536LL, 65536LL,
                      -65537LL, 524287LL, -524288LL, 524288LL, -524289LL, 1LL << 40, -(1LL << 39)}) {
    d += dod;
    if (d <= 0) d = 1 - d;
    t += d;
    s.push_back({t, static_cast<double>(s.size())});
  }
  CheckBoth(s);
  CHECK(DecimalAccepts(s));
}

TEST_CASE("decimal: which values qualify") {
  CHECK(DecimalAccepts(Regular({0.0, 1.0, -3.0, 9007199254740992.0})));
  CHECK(DecimalAccepts(Regular({12.34, 0.01, 100.0, -7.5})));
  CHECK(DecimalAccepts(Regular({0.1, 0.2, 0.3})));
  CHECK(DecimalAccepts(Regular({123456789.123456})));
  CHECK_FALSE(DecimalAccepts(Regular({1.0, -0.0})));
  CHECK_FALSE(DecimalAccepts(Regular({1.0, std::nan("")})));
  CHECK_FALSE(DecimalAccepts(Regular({kStale})));
  CHECK_FALSE(DecimalAccepts(Regular({1.0, INFINITY})));
  CHECK_FALSE(DecimalAccepts(Regular({-INFINITY})));
  CHECK_FALSE(DecimalAccepts(Regular({std::numeric_limits<double>::denorm_min()})));
  CHECK_FALSE(DecimalAccepts(Regular({DBL_MAX})));
  CHECK_FALSE(DecimalAccepts(Regular({1.0 / 3.0})));
  CHECK(DecimalAccepts(Regular({M_PI})));  // 3.141592653589793 == 3141592653589793 / 1e15
  CHECK_FALSE(DecimalAccepts(Regular({0.1 + 0.2})));  // 0.30000000000000004 needs e = 17
  // Large integers near the int64 limit, and wide deltas (8-byte width).
  CheckRoundTrip(Encoding::kDecimal, Regular({-9.2e18, 9.2e18, 0.0, -9.2e18, 1.0}));
  CheckRoundTrip(Encoding::kDecimal, Regular({1e15, -1e15, 123.0}));
  CheckRoundTrip(Encoding::kDecimal, Regular({0.5, 70000.25, -70000.75, 3e9, -3e9}));
}

TEST_CASE("decimal picks the smallest exponent and byte width") {
  // Header for n=3 starting at t=0 is 4 bytes (enc, count, min, span) ; then flags byte.
  std::string buf;
  REQUIRE(EncodeWith(Encoding::kDecimal, Regular({1.25, 1.5, 1.75}, 0, 1), &buf));
  uint8_t flags = static_cast<uint8_t>(buf[4]);
  CHECK((flags & 0x0f) == 2);         // e = 2
  CHECK(((flags >> 4) & 3) == 0);     // 1-byte deltas
  CHECK((flags & 0x40) == 0);         // regular timestamps
  REQUIRE(EncodeWith(Encoding::kDecimal, Regular({1.0, 2.0, 1000.0}, 0, 1), &buf));
  flags = static_cast<uint8_t>(buf[4]);
  CHECK((flags & 0x0f) == 0);
  CHECK(((flags >> 4) & 3) == 1);  // delta 998 -> zig-zag 1996 needs 2 bytes
  REQUIRE(EncodeWith(Encoding::kDecimal, std::vector<Sample>{{0, 1.0}, {1, 2.0}, {3, 3.0}}, &buf));
  CHECK((static_cast<uint8_t>(buf[4]) & 0x40) != 0);  // irregular
}

// ---- property tests --------------------------------------------------------------------------

std::vector<int64_t> RandomTimestamps(std::mt19937_64& rng, size_t n) {
  std::vector<int64_t> ts(n);
  int kind = static_cast<int>(rng() % 4);
  int64_t t = static_cast<int64_t>(rng());
  if (kind != 3) t >>= 2;  // leave room for the step
  uint64_t step = 1 + rng() % 60'000;
  for (size_t i = 0; i < n; ++i) {
    ts[i] = t;
    uint64_t d;
    switch (kind) {
      case 0: d = step; break;                                     // regular
      case 1: d = step + rng() % 50; break;                       // jitter
      case 2: d = 1 + (rng() % 8 == 0 ? rng() % (1ULL << 40) : rng() % 100); break;   // gaps
      default: d = 1 + rng() % ((UINT64_MAX / 2) / (n + 1)); break;                   // huge
    }
    if (d == 0) d = 1;
    t = static_cast<int64_t>(static_cast<uint64_t>(t) + d);
  }
  return ts;
}

std::vector<double> RandomValues(std::mt19937_64& rng, size_t n, int gen) {
  std::vector<double> v(n);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  switch (gen) {
    case 0:  // arbitrary bit patterns
      for (auto& x : v) x = std::bit_cast<double>(rng());
      break;
    case 1: {  // short decimals
      int e = static_cast<int>(rng() % 7);
      int64_t range = 1 + static_cast<int64_t>(rng() % 1'000'000'000);
      for (auto& x : v) x = static_cast<double>(static_cast<int64_t>(rng() % (2 * range)) - range) / std::pow(10.0, e);
      break;
    }
    case 2: {  // gen_cpu-style random walk, 2 decimals
      double cur = std::uniform_real_distribution<double>(0, 100)(rng);
      for (auto& x : v) {
        cur += u(rng);
        cur = cur < 0 ? 0 : cur > 100 ? 100 : cur;
        x = Round2(cur);
      }
      break;
    }
    case 3: {  // counters: integers, sometimes big steps
      double cur = static_cast<double>(rng() % 1000);
      for (auto& x : v) {
        cur += static_cast<double>(rng() % 8 == 0 ? rng() % 100000 : rng() % 3);
        x = cur;
      }
      break;
    }
    default: {  // mixed: decimals sprinkled with specials and arbitrary doubles
      const double specials[] = {0.0, -0.0, kStale, std::nan(""), INFINITY, -INFINITY, DBL_MAX,
                                 std::numeric_limits<double>::denorm_min(), 1e-300};
      for (auto& x : v) {
        uint64_t r = rng() % 10;
        if (r < 6) x = Round2(u(rng) * 1000);
        else if (r < 8) x = specials[rng() % 9];
        else x = std::bit_cast<double>(rng());
      }
      break;
    }
  }
  return v;
}

TEST_CASE("property: random chunks round-trip with both encodings") {
  std::mt19937_64 rng(20240601);
  int decimal_count = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    size_t n = 1 + rng() % (iter % 10 == 0 ? 2000 : 200);
    int gen = iter % 5;
    auto ts = RandomTimestamps(rng, n);
    auto vals = RandomValues(rng, n, gen);
    std::vector<Sample> s(n);
    for (size_t i = 0; i < n; ++i) s[i] = {ts[i], vals[i]};

    std::string g, d;
    REQUIRE(EncodeWith(Encoding::kGorilla, s, &g));
    std::vector<Sample> got;
    REQUIRE(Decode(g, &got).ok());
    REQUIRE(SameBits(s, got));
    const bool is_decimal = EncodeWith(Encoding::kDecimal, s, &d);
    if (is_decimal) {
      ++decimal_count;
      got.clear();
      REQUIRE(Decode(d, &got).ok());
      REQUIRE(SameBits(s, got));
    }
    if (gen == 1 || gen == 2 || gen == 3) CHECK(is_decimal);  // these always qualify
    std::string best = Encode(s);
    CHECK(best.size() == (is_decimal ? std::min(g.size(), d.size()) : g.size()));
    // Decode appends.
    got.assign(1, Sample{1, 2});
    REQUIRE(Decode(best, &got).ok());
    REQUIRE(got.size() == n + 1);
    got.erase(got.begin());
    REQUIRE(SameBits(s, got));
  }
  CHECK(decimal_count >= 1800);
}

TEST_CASE("Encode picks decimal for reference-shaped data and Gorilla for random doubles") {
  std::mt19937_64 rng(1);
  std::vector<double> walk = RandomValues(rng, 720, 2);
  auto ref = Regular(walk);
  std::string enc = Encode(ref);
  ChunkMeta meta;
  REQUIRE(ReadMeta(enc, &meta).ok());
  CHECK(meta.encoding == Encoding::kDecimal);
  // About one byte per sample: 719 deltas + a handful of header/flag bytes.
  CHECK(enc.size() <= 720 + 24);

  auto random = Regular(RandomValues(rng, 720, 0));
  REQUIRE(ReadMeta(Encode(random), &meta).ok());
  CHECK(meta.encoding == Encoding::kGorilla);

  // A constant series costs Gorilla 2 bits/sample against decimal's byte: Gorilla wins.
  REQUIRE(ReadMeta(Encode(Regular(std::vector<double>(720, 42.5))), &meta).ok());
  CHECK(meta.encoding == Encoding::kGorilla);
}

// ---- corruption ------------------------------------------------------------------------------

std::vector<std::string> SampleChunks() {
  std::mt19937_64 rng(99);
  std::vector<std::string> chunks;
  for (int gen = 0; gen < 5; ++gen) {
    for (size_t n : {1, 2, 3, 40}) {
      auto ts = RandomTimestamps(rng, n);
      auto vals = RandomValues(rng, n, gen);
      std::vector<Sample> s(n);
      for (size_t i = 0; i < n; ++i) s[i] = {ts[i], vals[i]};
      std::string buf;
      EncodeWith(Encoding::kGorilla, s, &buf);
      chunks.push_back(buf);
      if (EncodeWith(Encoding::kDecimal, s, &buf)) chunks.push_back(buf);
    }
  }
  return chunks;
}

TEST_CASE("every strict prefix of a valid chunk is Corruption") {
  int checked = 0;
  for (const std::string& chunk : SampleChunks()) {
    for (size_t len = 0; len < chunk.size(); ++len) {
      // Heap copy of exactly `len` bytes so ASan catches any read past the end.
      std::vector<char> copy(chunk.begin(), chunk.begin() + len);
      std::string_view view(copy.data(), len);
      std::vector<Sample> out;
      Status st = Decode(view, &out);
      // A Gorilla chunk cut inside its final padding byte cannot be told apart; everything else must fail.
      if (st.ok()) continue;
      CHECK(st.code() == Status::Code::kCorruption);
      CHECK(out.empty());
      ++checked;
    }
  }
  CHECK(checked > 500);
}

TEST_CASE("random byte flips never crash and fail cleanly") {
  std::mt19937_64 rng(4242);
  auto chunks = SampleChunks();
  int corrupt = 0, decoded = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string c = chunks[rng() % chunks.size()];
    int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) c[rng() % c.size()] ^= static_cast<char>(1 + rng() % 255);
    std::vector<char> copy(c.begin(), c.end());
    std::vector<Sample> out;
    ChunkMeta meta;
    Status meta_st = ReadMeta(std::string_view(copy.data(), copy.size()), &meta);
    Status st = Decode(std::string_view(copy.data(), copy.size()), &out);
    if (st.ok()) {
      ++decoded;
      REQUIRE(meta_st.ok());
      CHECK(out.size() == meta.num_samples);
      if (!out.empty()) {
        CHECK(out.front().timestamp == meta.min_time);
        CHECK(out.back().timestamp == meta.max_time);
      }
    } else {
      ++corrupt;
      CHECK(st.code() == Status::Code::kCorruption);
      CHECK(out.empty());
    }
  }
  CHECK(corrupt > 1000);
  CHECK(corrupt + decoded == 20000);
}

TEST_CASE("hostile headers are rejected without huge allocations") {
  std::string c;
  c.push_back(static_cast<char>(Encoding::kDecimal));
  PutVarint64(&c, UINT32_MAX);
  PutZigZagVarint64(&c, 0);
  PutVarint64(&c, 1000);
  c += "\x00\x0a\x00";
  std::vector<Sample> out;
  CHECK(Decode(c, &out).code() == Status::Code::kCorruption);
  c[0] = static_cast<char>(Encoding::kGorilla);
  CHECK(Decode(c, &out).code() == Status::Code::kCorruption);
  std::string too_many;
  too_many.push_back(static_cast<char>(Encoding::kGorilla));
  PutVarint64(&too_many, uint64_t{1} << 40);
  PutZigZagVarint64(&too_many, 0);
  PutVarint64(&too_many, 0);
  ChunkMeta meta;
  CHECK(ReadMeta(too_many, &meta).code() == Status::Code::kCorruption);
  CHECK(ReadMeta(std::string_view("\x07\x01\x00\x00", 4), &meta).code() == Status::Code::kCorruption);
  CHECK(ReadMeta("", &meta).code() == Status::Code::kCorruption);
  CHECK(out.empty());
}

}  // namespace
}  // namespace gnomon::chunk
