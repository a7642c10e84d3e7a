// Prometheus-style durations: ParseDurationMs and FormatDuration.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "util/duration.h"

namespace gnomon {
namespace {

constexpr int64_t kS = 1000;
constexpr int64_t kM = 60 * kS;
constexpr int64_t kH = 60 * kM;
constexpr int64_t kD = 24 * kH;
constexpr int64_t kW = 7 * kD;
constexpr int64_t kY = 365 * kD;

TEST_CASE("ParseDurationMs accepts what Prometheus accepts") {
  struct Case {
    const char* text;
    int64_t ms;
  };
  const Case cases[] = {
      {"0", 0},
      {"0s", 0},
      {"0ms", 0},
      {"1ms", 1},
      {"500ms", 500},
      {"1s", kS},
      {"30s", 30 * kS},
      {"5m", 5 * kM},
      {"1h", kH},
      {"1h30m", kH + 30 * kM},
      {"15d", 15 * kD},
      {"2w", 2 * kW},
      {"1y", kY},
      {"1y2w3d4h5m6s7ms", kY + 2 * kW + 3 * kD + 4 * kH + 5 * kM + 6 * kS + 7},
      {"1m5ms", kM + 5},
      {"1h0m", kH},
      {"007s", 7 * kS},
      {"90d", 90 * kD},
      {"120s", 120 * kS},
      {"9223372036854775807ms", std::numeric_limits<int64_t>::max()},
      {"292471208y35w", 292471208 * kY + 35 * kW},  // just below the int64 limit
  };
  for (const Case& c : cases) {
    std::string text = c.text;
    CAPTURE(text);
    Result<int64_t> r = ParseDurationMs(c.text);
    REQUIRE(r.ok());
    CHECK(*r == c.ms);
  }
}

TEST_CASE("ParseDurationMs rejects what Prometheus rejects, saying why") {
  struct Case {
    const char* text;
    const char* reason;  // a fragment of the message
  };
  const Case cases[] = {
      {"", "empty"},
      {"-1s", "sign"},
      {"+1s", "sign"},
      {"1", "missing unit"},
      {"00", "missing unit"},
      {"1h30", "missing unit"},
      {"s", "expected a number"},
      {"h1", "expected a number"},
      {"1.5h", "unknown unit \".\""},
      {"1us", "unknown unit \"us\""},
      {"1ns", "unknown unit \"ns\""},
      {"1H", "unknown unit \"H\""},
      {"1h 30m", "unknown unit \"h \""},
      {" 1h", "expected a number"},
      {"1hour", "unknown unit \"hour\""},
      {"30m1h", "largest to smallest"},
      {"1s1m", "largest to smallest"},
      {"1ms1s", "largest to smallest"},
      {"1h1h", "twice"},
      {"1m1m", "twice"},
      {"9223372036854775808ms", "out of range"},
      {"9223372036854775807s", "out of range"},
      {"300000000y", "out of range"},
      {"292471208y36w", "out of range"},
      {"99999999999999999999999ms", "out of range"},
  };
  for (const Case& c : cases) {
    std::string text = c.text;
    CAPTURE(text);
    Result<int64_t> r = ParseDurationMs(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK(r.status().message().find(c.reason) != std::string::npos);
    CHECK(r.status().message().find("\"" + std::string(c.text) + "\"") != std::string::npos);
  }
}

TEST_CASE("FormatDuration writes what Prometheus writes") {
  struct Case {
    int64_t ms;
    const char* text;
  };
  const Case cases[] = {
      {0, "0s"},
      {1, "1ms"},
      {1500, "1s500ms"},
      {30 * kS, "30s"},
      {120 * kS, "2m"},
      {5400000, "1h30m"},
      {15 * kD, "15d"},
      {2 * kW, "2w"},
      {90 * kD, "90d"},  // not "12w6d": weeks only when exact
      {kY, "1y"},
      {kY + kD, "366d"},  // not "1y1d": years only when exact
      {3 * kY, "3y"},
      {kD + kH + kM + kS + 1, "1d1h1m1s1ms"},
      {-1500, "-1s500ms"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.ms);
    CHECK(FormatDuration(c.ms) == c.text);
  }
}

TEST_CASE("FormatDuration output parses back to the same value") {
  const int64_t values[] = {0,  1,      999,         1000,   61 * kS, kH - 1, kD + 1,
                            kW, kW + 1, 90 * kD,     kY - 1, kY,      10 * kY + 3 * kW,
                            std::numeric_limits<int64_t>::max()};
  for (int64_t v : values) {
    CAPTURE(v);
    Result<int64_t> back = ParseDurationMs(FormatDuration(v));
    REQUIRE(back.ok());
    CHECK(*back == v);
  }
  // And a text written in canonical form formats back to itself.
  for (const char* text : {"1h30m", "15d", "2w", "1y", "500ms", "1d2h3m4s5ms"}) {
    std::string s = text;
    CAPTURE(s);
    Result<int64_t> ms = ParseDurationMs(text);
    REQUIRE(ms.ok());
    CHECK(FormatDuration(*ms) == text);
  }
}

TEST_CASE("FormatDuration of the most negative value does not overflow") {
  std::string s = FormatDuration(std::numeric_limits<int64_t>::min());
  REQUIRE(s.size() > 1);
  CHECK(s[0] == '-');
  CHECK(ParseDurationMs(s.substr(1)).ok() == false);  // one past int64 max: out of range
}

}  // namespace
}  // namespace gnomon
