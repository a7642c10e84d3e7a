// The head's compressed runs (storage/head/sample_run.h): every timestamp order and every value bit
// pattern comes back exactly, prefixes decode alone, and a scrape-like series costs a few bytes a
// sample.
#include "storage/head/sample_run.h"

#include <doctest/doctest.h>

#include <bit>
#include <cstring>
#include <limits>
#include <random>

namespace gnomon::storage {
namespace {

void CheckRoundTrip(const std::vector<Sample>& in) {
  SampleRun run;
  for (const Sample& s : in) run.Append(s);
  REQUIRE(run.size() == in.size());
  std::vector<Sample> out;
  run.Decode(&out);
  REQUIRE(out.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    CHECK(out[i].timestamp == in[i].timestamp);
    CHECK(std::bit_cast<uint64_t>(out[i].value) == std::bit_cast<uint64_t>(in[i].value));
  }
  for (size_t n : {size_t{0}, size_t{1}, in.size() / 2}) {
    std::vector<Sample> prefix;
    run.Decode(&prefix, n);
    REQUIRE(prefix.size() == std::min(n, in.size()));
    for (size_t i = 0; i < prefix.size(); ++i) CHECK(prefix[i].timestamp == in[i].timestamp);
  }
}

TEST_CASE("sample run: extremes and odd values round-trip") {
  const double nan_payload = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  const double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  CheckRoundTrip({{0, 0}});
  CheckRoundTrip({{std::numeric_limits<int64_t>::min(), -0.0},
                  {std::numeric_limits<int64_t>::max(), std::numeric_limits<double>::infinity()},
                  {std::numeric_limits<int64_t>::min(), nan_payload},
                  {0, stale},
                  {-1, std::numeric_limits<double>::denorm_min()},
                  {-1, std::numeric_limits<double>::max()},
                  {5, 1},
                  {5, 1}});
}

TEST_CASE("sample run: random orders, jitter and values") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<Sample> in;
    int64_t t = static_cast<int64_t>(rng() % 2'000'000'000'000);
    double v = 0;
    const int n = static_cast<int>(rng() % 300) + 1;
    for (int i = 0; i < n; ++i) {
      switch (rng() % 6) {
        case 0: t += 15'000; break;                                            // regular
        case 1: t += 15'000 + static_cast<int64_t>(rng() % 200) - 100; break;  // jitter
        case 2: t -= static_cast<int64_t>(rng() % 1'000'000); break;           // out of order
        case 3: t += static_cast<int64_t>(rng() % (int64_t{1} << 40)); break;  // a jump
        case 4: break;                                                         // the same time
        default: t = static_cast<int64_t>(rng()); break;                       // anywhere
      }
      switch (rng() % 4) {
        case 0: break;
        case 1: v += 1; break;
        case 2: v = static_cast<double>(rng() % 1000) / 7; break;
        default: v = std::bit_cast<double>(rng()); break;
      }
      in.push_back({t, v});
    }
    CheckRoundTrip(in);
  }
}

TEST_CASE("sample run: a scraped counter costs a few bytes a sample; Clear empties") {
  SampleRun run;
  int64_t t = 1'700'000'000'000;
  double v = 1000;
  for (int i = 0; i < 120; ++i) {
    t += 15'000 + (i % 3) - 1;  // a little jitter, as real scrapes have
    v += (i % 7) * 3;
    run.Append({t, v});
  }
  CHECK(run.memory_bytes() < 120 * 5);
  run.Clear(true);
  CHECK(run.empty());
  run.Append({1, 2});
  std::vector<Sample> out;
  run.Decode(&out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].timestamp == 1);
  CHECK(out[0].value == 2);
}

}  // namespace
}  // namespace gnomon::storage
