// util/coding.h: the one varint codec (LEB128 + zig-zag) behind the WAL records, the chunk
// headers and payloads, and the canonical label encoding; and the fixed-width helpers.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>

#include "util/coding.h"

using namespace gnomon;

TEST_CASE("varints round-trip every width, with the length VarintLength predicts") {
  std::mt19937_64 rng(42);
  std::vector<uint64_t> values = {0, 1, 127, 128, 16383, 16384, UINT32_MAX, UINT64_MAX - 1, UINT64_MAX};
  for (int bits = 1; bits <= 64; ++bits) values.push_back(rng() >> (64 - bits));
  for (uint64_t v : values) {
    std::string s;
    PutVarint64(&s, v);
    CHECK(s.size() == VarintLength(v));
    CHECK(s.size() <= kMaxVarint64Bytes);
    uint64_t got = 0;
    const char* end = GetVarint64(s.data(), s.data() + s.size(), &got);
    REQUIRE(end == s.data() + s.size());
    CHECK(got == v);
    // The byte-pointer and string_view forms agree.
    const auto* u = reinterpret_cast<const uint8_t*>(s.data());
    CHECK(GetVarint64(u, u + s.size(), &got) == u + s.size());
    std::string_view in = s;
    REQUIRE(GetVarint64(&in, &got));
    CHECK(in.empty());
    CHECK(got == v);
    // Every strict prefix is rejected, and the string_view is left alone.
    for (size_t len = 0; len < s.size(); ++len) {
      CHECK(GetVarint64(s.data(), s.data() + len, &got) == nullptr);
      std::string_view part(s.data(), len);
      CHECK_FALSE(GetVarint64(&part, &got));
      CHECK(part.size() == len);
    }
  }
}

TEST_CASE("varint decoding is strict: overlong, overflowing and non-minimal encodings are rejected") {
  uint64_t v;
  auto rejects = [&](const std::string& s) { return GetVarint64(s.data(), s.data() + s.size(), &v) == nullptr; };
  CHECK(rejects(std::string(10, '\xff') + '\x01'));  // 11 bytes
  CHECK(rejects(std::string(9, '\xff') + '\x02'));   // 10 bytes, 65 bits
  CHECK_FALSE(rejects(std::string(9, '\xff') + '\x01'));
  CHECK(v == UINT64_MAX);
  CHECK(rejects(std::string("\x80\x00", 2)));  // 0 in two bytes
  CHECK(rejects(std::string("\x81\x80\x00", 3)));
  CHECK_FALSE(rejects(std::string("\x00", 1)));  // a lone zero byte is 0
  CHECK(v == 0);
}

TEST_CASE("zig-zag is a bijection that keeps small magnitudes small") {
  CHECK(ZigZagEncode(0) == 0);
  CHECK(ZigZagEncode(-1) == 1);
  CHECK(ZigZagEncode(1) == 2);
  CHECK(ZigZagEncode(-2) == 3);
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
  CHECK(ZigZagEncode(kMin) == UINT64_MAX);
  CHECK(ZigZagEncode(kMax) == UINT64_MAX - 1);
  for (int64_t x : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{-64}, int64_t{63}, kMin, kMax}) {
    CHECK(ZigZagDecode(ZigZagEncode(x)) == x);
    std::string s;
    PutZigZagVarint64(&s, x);
    int64_t got = 0;
    CHECK(GetZigZagVarint64(s.data(), s.data() + s.size(), &got) == s.data() + s.size());
    CHECK(got == x);
  }
  std::string one;
  PutZigZagVarint64(&one, -64);
  CHECK(one.size() == 1);
}

TEST_CASE("fixed-width helpers: big-endian keys sort like the numbers") {
  std::string a, b;
  PutFixed64BE(&a, 255);
  PutFixed64BE(&b, 256);
  CHECK(a < b);
  CHECK(DecodeFixed64BE(a.data()) == 255);
  std::string t1, t2;
  PutTimestampKey(&t1, -5);
  PutTimestampKey(&t2, 3);
  CHECK(t1 < t2);
  CHECK(DecodeTimestampKey(t1.data()) == -5);
  std::string le;
  PutFixed32LE(&le, 0x01020304);
  CHECK(le == std::string("\x04\x03\x02\x01", 4));
  CHECK(DecodeFixed32LE(le.data()) == 0x01020304);
}
