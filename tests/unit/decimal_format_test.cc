// Property tests for util/decimal_format and its users: the fast paths write byte for byte what
// the general code writes (the reshuffled to_chars 'e' form that query_json.cc used for Go's 'f'
// form, std::to_chars for the shortest form) over random bits, short decimals of every magnitude,
// integers, values next to 1e-6 / 1e15 / 1e21, negatives and denormals, with a formatter's state
// carried from value to value as in a response; and they do take the fast path for short
// decimals. Also timestamps, whole matrix bodies and export lines against the general code.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "http/api/query_json.h"
#include "ingest/json_lines.h"
#include "util/decimal_format.h"

namespace gnomon {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// query_json.cc's AppendFloat as it was before the fast paths: to_chars' 'e' form reshuffled into
// Go's 'f' form (and kept for magnitudes below 1e-6 and from 1e21 on if `exponent_form`).
std::string ReferenceFloat(double v, bool exponent_form) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  double a = std::fabs(v);
  if (exponent_form && a != 0 && (a < 1e-6 || a >= 1e21)) return std::string(buf, r.ptr);
  std::string out;
  const char* p = buf;
  if (*p == '-') {
    out.push_back('-');
    ++p;
  }
  char digits[24];
  size_t n = 0;
  while (*p != 'e') {
    if (*p != '.') digits[n++] = *p;
    ++p;
  }
  ++p;
  int exp = 0;
  std::from_chars(*p == '+' ? p + 1 : p, r.ptr, exp);
  if (exp < 0) {
    out.append("0.");
    out.append(static_cast<size_t>(-exp - 1), '0');
    out.append(digits, n);
    return out;
  }
  size_t int_digits = static_cast<size_t>(exp) + 1;
  if (n <= int_digits) {
    out.append(digits, n);
    out.append(int_digits - n, '0');
  } else {
    out.append(digits, int_digits);
    out.push_back('.');
    out.append(digits + int_digits, n - int_digits);
  }
  return out;
}

std::string GoReference(double v) { return ReferenceFloat(v, true); }

std::string ShortestReference(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string Go(double v) {
  DecimalFormatter f;
  char buf[kNumberBufferSize];
  char* end = f.TryGoFixed(v, buf);
  return end ? std::string(buf, end) : "(none)";
}

std::string Shortest(double v) {
  DecimalFormatter f;
  char buf[kNumberBufferSize];
  char* end = f.TryShortest(v, buf);
  return end ? std::string(buf, end) : "(none)";
}

// Runs values through formatters that keep their state, as one response does, and through fresh
// ones; counts the values handled and keeps the first mismatches.
struct Checker {
  DecimalFormatter go, shortest;
  size_t total = 0, go_handled = 0, shortest_handled = 0, fresh_go_handled = 0;
  std::vector<std::string> failures;

  void Fail(const char* what, double v, const std::string& got, const std::string& want) {
    if (failures.size() >= 10) return;
    char bits[32];
    std::snprintf(bits, sizeof bits, "%016llx", static_cast<unsigned long long>(std::bit_cast<uint64_t>(v)));
    failures.push_back(std::string(what) + " " + bits + ": got " + got + ", want " + want);
  }

  // Returns whether the fresh Go formatter handled v.
  bool Check(double v) {
    ++total;
    char buf[kNumberBufferSize];
    std::string go_want = GoReference(v);
    if (char* end = go.TryGoFixed(v, buf)) {
      ++go_handled;
      if (std::string(buf, end) != go_want) Fail("go", v, std::string(buf, end), go_want);
    }
    if (char* end = shortest.TryShortest(v, buf)) {
      ++shortest_handled;
      std::string want = ShortestReference(v);
      if (std::string(buf, end) != want) Fail("shortest", v, std::string(buf, end), want);
    }
    DecimalFormatter fresh;
    char* end = fresh.TryGoFixed(v, buf);
    if (end) {
      ++fresh_go_handled;
      if (std::string(buf, end) != go_want) Fail("fresh go", v, std::string(buf, end), go_want);
    }
    std::string prom;
    api::AppendPromFloat(&prom, v);
    if (prom != go_want) Fail("AppendPromFloat", v, prom, go_want);
    std::string scalar, scalar_want = ReferenceFloat(v, false);
    api::AppendFloatFixed(&scalar, v);
    if (scalar != scalar_want) Fail("AppendFloatFixed", v, scalar, scalar_want);
    return end != nullptr;
  }

  void Report() {
    for (const auto& f : failures) MESSAGE(f);
    CHECK(failures.empty());
  }
};

uint64_t Pow10(int n) {
  uint64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// A random integer of exactly `digits` digits (1-19).
uint64_t RandomDigits(std::mt19937_64& rng, int digits) {
  uint64_t lo = digits == 1 ? 0 : Pow10(digits - 1);
  return lo + rng() % (Pow10(digits) - lo);
}

// m·10^e correctly rounded, as a parser reads "<m>e<e>".
double Decimal(uint64_t m, int e) {
  std::string s = std::to_string(m) + "e" + std::to_string(e);
  return std::strtod(s.c_str(), nullptr);
}

double Signed(std::mt19937_64& rng, double v) { return rng() & 1 ? -v : v; }

TEST_CASE("examples") {
  CHECK(Go(58.23) == "58.23");
  CHECK(Go(0.5) == "0.5");
  CHECK(Go(0.05) == "0.05");
  CHECK(Go(1234) == "1234");
  CHECK(Go(-1200) == "-1200");
  CHECK(Go(100000) == "100000");
  CHECK(Go(0.000001) == "0.000001");
  CHECK(Go(0.0000012345) == "0.0000012345");
  CHECK(Go(999999999999999) == "999999999999999");
  CHECK(Go(123456789.123456) == "123456789.123456");
  CHECK(Go(0.1 + 0.2) == "(none)");  // 17 digits
  CHECK(Go(1e15) == "(none)");
  CHECK(Go(9.99e-7) == "(none)");
  CHECK(Go(0) == "(none)");
  CHECK(Go(-0.0) == "(none)");
  CHECK(Go(std::nan("")) == "(none)");
  CHECK(Go(kInf) == "(none)");

  CHECK(Shortest(58.23) == "58.23");
  CHECK(Shortest(10000) == "10000");
  CHECK(Shortest(100000) == "(none)");  // "1e+05"
  CHECK(Shortest(120000) == "120000");
  CHECK(Shortest(1200000) == "1200000");
  CHECK(Shortest(0.001) == "0.001");
  CHECK(Shortest(0.0001) == "(none)");  // "1e-04"
  CHECK(Shortest(0.00012) == "0.00012");
  CHECK(Shortest(-0.00012) == "-0.00012");
  CHECK(Shortest(0.000012) == "(none)");  // "1.2e-05"
}

TEST_CASE("WriteUint and WriteDigits match std::to_chars") {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> values = {0, 1, 9, 10, 99, 100, std::numeric_limits<uint64_t>::max()};
  for (int n = 1; n <= 19; ++n) {
    values.push_back(Pow10(n) - 1);
    values.push_back(Pow10(n));
    values.push_back(Pow10(n) + 1);
  }
  for (int i = 0; i < 100000; ++i) values.push_back(rng() >> (rng() % 64));
  for (uint64_t v : values) {
    char want[32], got[32];
    auto r = std::to_chars(want, want + sizeof want, v);
    char* end = WriteUint(v, got);
    REQUIRE(std::string(got, end) == std::string(want, r.ptr));
  }
  char buf[8];
  CHECK(std::string(buf, WriteDigits(7, 3, buf)) == "007");
  CHECK(std::string(buf, WriteDigits(1234, 4, buf)) == "1234");
  CHECK(std::string(buf, WriteDigits(50, 3, buf)) == "050");
}

TEST_CASE("short decimals of every magnitude are handled and exact") {
  std::mt19937_64 rng(1);
  Checker c;
  size_t in_scope = 0, missed = 0;
  for (int i = 0; i < 400000; ++i) {
    int digits = 1 + static_cast<int>(rng() % 17);
    uint64_t m = RandomDigits(rng, digits);
    int e = static_cast<int>(rng() % 44) - 28;  // 1e-28 .. 1e15 scale factors
    double v = Signed(rng, Decimal(m, e));
    bool handled = c.Check(v);
    // Every decimal of at most 15 digits in [1e-6, 1e15) must take the fast path.
    double a = std::fabs(v);
    if (digits <= 15 && m != 0 && a >= 1e-6 && a < 1e15) {
      ++in_scope;
      if (!handled) {
        if (++missed <= 5) MESSAGE("not handled: " << m << "e" << e);
      }
    }
  }
  c.Report();
  CHECK(in_scope > 100000);
  CHECK(missed == 0);
}

TEST_CASE("random bits, denormals and integers match the general code") {
  std::mt19937_64 rng(2);
  Checker c;
  for (int i = 0; i < 300000; ++i) c.Check(std::bit_cast<double>(rng()));
  for (int i = 0; i < 50000; ++i) c.Check(std::bit_cast<double>((rng() & ((1ULL << 52) - 1)) | (rng() & (1ULL << 63))));
  for (int i = 0; i < 200000; ++i) {
    uint64_t n = rng() >> (rng() % 64);
    c.Check(Signed(rng, static_cast<double>(n)));
  }
  for (int n = -100000; n <= 100000; ++n) c.Check(n);
  c.Report();
  CHECK(c.go_handled > 100000);
}

TEST_CASE("values next to the edges of the fast path match the general code") {
  Checker c;
  std::vector<double> edges = {1e-6, 1e-5, 1e-4, 1e-3, 1e4, 1e5, 1e6, 1e14, 1e15, 1e16, 1e21, 1e22,
                               1.2e-4, 1.2e-5, 1.5e5, 1.25e6, 999999999999999, 999999999999999.9,
                               0.000000999999, 4503599627370496.0, 9007199254740992.0};
  for (int e = -30; e <= 30; ++e) edges.push_back(std::pow(10.0, e));
  for (double edge : edges) {
    for (double sign : {1.0, -1.0}) {
      double v = sign * edge;
      for (int i = 0; i < 200; ++i) v = std::nextafter(v, 0.0);
      for (int i = 0; i < 400; ++i) {
        c.Check(v);
        v = std::nextafter(v, sign * kInf);
      }
    }
  }
  for (int e = -8; e <= 22; ++e) {
    for (uint64_t m : {1ULL, 9ULL, 12ULL, 99ULL, 999999999999999ULL, 100000000000001ULL, 123456789012345ULL}) {
      c.Check(Decimal(m, e - 15));
      c.Check(Decimal(m, e));
      c.Check(-Decimal(m, e - 7));
    }
  }
  c.Report();
}

TEST_CASE("a formatter's state never changes the text, and it resumes after misses") {
  std::mt19937_64 rng(3);
  Checker c;
  std::uniform_real_distribution<double> uniform(-1, 1);
  for (int run = 0; run < 2000; ++run) {
    size_t n = 1 + rng() % 100;
    int kind = static_cast<int>(rng() % 5);
    int scale = static_cast<int>(rng() % 8);
    double v = std::ldexp(uniform(rng), static_cast<int>(rng() % 60) - 20);
    for (size_t i = 0; i < n; ++i) {
      switch (kind) {
        case 0:  // a random walk rounded to `scale` decimals, as a gauge stored from text
          v += uniform(rng);
          c.Check(std::round(v * std::pow(10, scale)) / std::pow(10, scale));
          break;
        case 1:  // a counter
          c.Check(static_cast<double>(run * 1000 + i * (1 + rng() % 100)));
          break;
        case 2:  // a rate: not short
          c.Check(uniform(rng) / 3);
          break;
        case 3:  // random bits
          c.Check(std::bit_cast<double>(rng()));
          break;
        default:  // short decimals of mixed scales
          c.Check(Decimal(RandomDigits(rng, 1 + static_cast<int>(rng() % 6)), -static_cast<int>(rng() % 10)));
      }
    }
  }
  c.Report();

  // After a long run of values it cannot handle, a formatter gives up for a while, then takes
  // short decimals again.
  DecimalFormatter f;
  char buf[kNumberBufferSize];
  for (int i = 0; i < 1000; ++i) f.TryGoFixed(uniform(rng) / 3 + 5, buf);
  int handled = 0;
  for (int i = 0; i < 100; ++i) handled += f.TryGoFixed(58.25 + i, buf) != nullptr;
  CHECK(handled >= 80);
}

std::string ReferenceTimestamp(int64_t ms) {
  uint64_t t = static_cast<uint64_t>(ms);
  std::string out;
  if (ms < 0) {
    out.push_back('-');
    t = 0 - t;
  }
  out += std::to_string(t / 1000);
  unsigned frac = static_cast<unsigned>(t % 1000);
  if (frac != 0) {
    char f[8];
    std::snprintf(f, sizeof f, ".%03u", frac);
    out += f;
  }
  return out;
}

TEST_CASE("timestamps match the general code") {
  std::mt19937_64 rng(4);
  std::vector<int64_t> values = {0, 1, -1, 999, -999, 1000, -1000, 9999999, 10000000, 10000001, 10001000,
                                 std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
  for (int i = 0; i < 100000; ++i) values.push_back(static_cast<int64_t>(rng()) >> (rng() % 64));
  for (int64_t ms : values) {
    std::string got;
    api::AppendPromTimestamp(&got, ms);
    REQUIRE(got == ReferenceTimestamp(ms));
  }
}

TEST_CASE("a matrix body matches one written point by point with the general code") {
  std::mt19937_64 rng(5);
  promql::QueryResult result;
  result.type = promql::ValueType::kMatrix;
  std::uniform_real_distribution<double> uniform(0, 100);
  int64_t starts[] = {1'700'000'000'000, 1'699'999'990'500, 0, -50'000, 9'990'000};
  for (int s = 0; s < 40; ++s) {
    promql::SeriesResult series;
    series.labels = {{"__name__", "m"}, {"i", std::to_string(s)}};
    int64_t t = starts[s % 5];
    int64_t step = s % 3 == 0 ? 15'000 : s % 3 == 1 ? 1'250 : 7;
    for (int i = 0; i < 3000; ++i, t += step) {
      if (rng() % 10 == 0) continue;  // gaps
      double v = s % 4 == 0 ? uniform(rng) : std::round(uniform(rng) * 100) / 100;
      if (rng() % 50 == 0) v = std::bit_cast<double>(rng());
      series.points.push_back(Sample{t, v});
    }
    // Out of order: the timestamp cache must still give each point its own text.
    if (s % 7 == 6) std::shuffle(series.points.begin(), series.points.end(), rng);
    result.series.push_back(std::move(series));
  }
  std::string want = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[";
  for (size_t s = 0; s < result.series.size(); ++s) {
    if (s) want += ',';
    want += "{\"metric\":";
    api::AppendLabelsJson(&want, result.series[s].labels);
    want += ",\"values\":[";
    const auto& points = result.series[s].points;
    for (size_t i = 0; i < points.size(); ++i) {
      if (i) want += ',';
      want += "[" + ReferenceTimestamp(points[i].timestamp) + ",\"" + GoReference(points[i].value) + "\"]";
    }
    want += "]}";
  }
  want += "]}}";
  CHECK(api::QueryResultJson(result) == want);

  result.type = promql::ValueType::kVector;
  for (auto& s : result.series) s.points.resize(1);
  std::string got = api::QueryResultJson(result);
  CHECK(got.find("\"resultType\":\"vector\"") != std::string::npos);
  const auto& p = result.series[3].points[0];
  CHECK(got.find("\"value\":[" + ReferenceTimestamp(p.timestamp) + ",\"" + GoReference(p.value) + "\"]") !=
        std::string::npos);
}

TEST_CASE("an export line matches one written with std::to_chars") {
  std::mt19937_64 rng(6);
  std::uniform_real_distribution<double> uniform(0, 100);
  for (int s = 0; s < 200; ++s) {
    std::vector<Sample> samples;
    for (int i = 0; i < 500; ++i) {
      double v;
      switch (rng() % 6) {
        case 0: v = std::bit_cast<double>(rng()); break;
        case 1: v = uniform(rng); break;
        case 2: v = static_cast<double>(rng() >> (rng() % 64)); break;
        case 3: v = i % 7 == 0 ? -0.0 : 0.0; break;
        default: v = Decimal(RandomDigits(rng, 1 + static_cast<int>(rng() % 16)), -static_cast<int>(rng() % 24));
      }
      samples.push_back(Sample{1'700'000'000'000 + i * 10'000, Signed(rng, v)});
    }
    std::string want = "{\"metric\":{\"__name__\":\"m\"},\"values\":[";
    for (size_t i = 0; i < samples.size(); ++i) {
      if (i) want += ',';
      double v = samples[i].value;
      if (std::isnan(v)) {
        want += "\"NaN\"";
      } else if (std::isinf(v)) {
        want += v > 0 ? "\"+Inf\"" : "\"-Inf\"";
      } else if (v == 0 && std::signbit(v)) {
        want += "-0.0";
      } else {
        want += ShortestReference(v);
      }
    }
    want += "],\"timestamps\":[";
    for (size_t i = 0; i < samples.size(); ++i) {
      if (i) want += ',';
      want += std::to_string(samples[i].timestamp);
    }
    want += "]}\n";
    std::string got;
    ingest::AppendJsonLine({{"__name__", "m"}}, samples, &got);
    REQUIRE(got == want);
  }
}

}  // namespace
}  // namespace gnomon
