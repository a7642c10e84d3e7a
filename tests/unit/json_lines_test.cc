// Tests for ingest/json_lines: VictoriaMetrics' JSON line import (errors per line, partial
// acceptance, NaN/Inf strings) and export (escaping, shortest numbers, bit-exact round trip).
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gnomon/write_batch.h"
#include "batch_contents.h"
#include "index/labels_util.h"
#include "ingest/json_lines.h"

using gnomon::Label;
using gnomon::Labels;
using gnomon::Sample;
using gnomon::Status;
using gnomon::WriteBatch;
using gnomon::ingest::AppendJsonLine;
using gnomon::ingest::JsonImportResult;
using gnomon::ingest::ParseJsonLines;

using gnomon::testing::Contents;
using gnomon::testing::SameBits;
using gnomon::testing::Series;

namespace {

// Parses a single-line body expected to be rejected; returns the reason.
std::string RejectReason(const std::string& line) {
  WriteBatch batch;
  JsonImportResult r = ParseJsonLines(line, &batch);
  REQUIRE(r.rejected_lines == 1);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 1);
  CHECK(batch.empty());
  return r.errors[0].reason;
}

std::string Export(const Labels& labels, const std::vector<Sample>& samples) {
  std::string out;
  AppendJsonLine(labels, samples, &out);
  return out;
}

}  // namespace

TEST_CASE("json lines: a valid line") {
  WriteBatch batch;
  auto r = ParseJsonLines(
      R"({"metric":{"__name__":"x","job":"a"},"values":[1.5,2,-3],"timestamps":[1700000000000,1700000010000,1.70000002e12]})",
      &batch);
  CHECK(r.lines == 1);
  CHECK(r.samples == 3);
  CHECK(r.rejected_lines == 0);
  CHECK(r.errors.empty());
  auto got = Contents(batch);
  REQUIRE(got.size() == 1);
  CHECK(got[0].labels == Labels{{"__name__", "x"}, {"job", "a"}});
  REQUIRE(got[0].samples.size() == 3);
  CHECK(got[0].samples[0].timestamp == 1700000000000);
  CHECK(got[0].samples[0].value == 1.5);
  CHECK(got[0].samples[1].timestamp == 1700000010000);
  CHECK(got[0].samples[1].value == 2.0);
  CHECK(got[0].samples[2].timestamp == 1700000020000);
  CHECK(got[0].samples[2].value == -3.0);
}

TEST_CASE("json lines: NaN and Inf strings") {
  WriteBatch batch;
  auto r = ParseJsonLines(
      R"({"metric":{"__name__":"x"},"values":["NaN","Inf","+Inf","-Inf","Infinity","-Infinity",0],"timestamps":[1,2,3,4,5,6,7]})",
      &batch);
  REQUIRE(r.errors.empty());
  auto got = Contents(batch);
  REQUIRE(got.size() == 1);
  const auto& s = got[0].samples;
  REQUIRE(s.size() == 7);
  CHECK(std::isnan(s[0].value));
  CHECK(s[1].value == std::numeric_limits<double>::infinity());
  CHECK(s[2].value == std::numeric_limits<double>::infinity());
  CHECK(s[3].value == -std::numeric_limits<double>::infinity());
  CHECK(s[4].value == std::numeric_limits<double>::infinity());
  CHECK(s[5].value == -std::numeric_limits<double>::infinity());
  CHECK(s[6].value == 0.0);

  // And on export.
  std::string line = Export({{"__name__", "x"}}, {{1, std::nan("")}, {2, INFINITY}, {3, -INFINITY}});
  CHECK(line == R"({"metric":{"__name__":"x"},"values":["NaN","+Inf","-Inf"],"timestamps":[1,2,3]})"
                "\n");
}

TEST_CASE("json lines: each error class names its line") {
  SUBCASE("bad JSON carries the parser's message") {
    std::string reason = RejectReason(R"({"metric":{"__name__":"x"},"values":[1],"timestamps":[1])");
    CHECK(reason.rfind("invalid JSON: ", 0) == 0);
    CHECK(reason.find("column") != std::string::npos);
    CHECK(reason.find("json.exception") == std::string::npos);
    CHECK(RejectReason("not json").rfind("invalid JSON: ", 0) == 0);
  }
  SUBCASE("not an object") { CHECK(RejectReason("[1,2,3]") == "line is not a JSON object"); }
  SUBCASE("missing fields") {
    CHECK(RejectReason(R"({"values":[1],"timestamps":[1]})") == "missing \"metric\"");
    CHECK(RejectReason(R"({"metric":{"a":"b"},"timestamps":[1]})") == "missing \"values\"");
    CHECK(RejectReason(R"({"metric":{"a":"b"},"values":[1]})") == "missing \"timestamps\"");
  }
  SUBCASE("wrong field types") {
    CHECK(RejectReason(R"({"metric":"x","values":[1],"timestamps":[1]})") == "\"metric\" is not an object");
    CHECK(RejectReason(R"({"metric":{"a":"b"},"values":1,"timestamps":[1]})") == "\"values\" is not an array");
    CHECK(RejectReason(R"({"metric":{"a":"b"},"values":[1],"timestamps":{}})") == "\"timestamps\" is not an array");
    CHECK(RejectReason(R"({"metric":{"a":1},"values":[1],"timestamps":[1]})") ==
          "label \"a\" has a value that is not a string");
  }
  SUBCASE("no labels") {
    CHECK(RejectReason(R"({"metric":{},"values":[1],"timestamps":[1]})") == "\"metric\" has no labels");
    CHECK(RejectReason(R"({"metric":{"a":""},"values":[1],"timestamps":[1]})") == "\"metric\" has no labels");
  }
  SUBCASE("length mismatch") {
    CHECK(RejectReason(R"({"metric":{"a":"b"},"values":[1,2,3],"timestamps":[1,2]})") ==
          "values and timestamps have different lengths (3 vs 2)");
  }
  SUBCASE("non-numeric values") {
    CHECK(RejectReason(R"({"metric":{"a":"b"},"values":[1,2,"x"],"timestamps":[1,2,3]})") == "value 2 is not a number");
    CHECK(RejectReason(R"({"metric":{"a":"b"},"values":[null],"timestamps":[1]})") == "value 0 is not a number");
    CHECK(RejectReason(R"({"metric":{"a":"b"},"values":[true],"timestamps":[1]})") == "value 0 is not a number");
    CHECK(RejectReason(R"({"metric":{"a":"b"},"values":["nan"],"timestamps":[1]})") == "value 0 is not a number");
  }
  SUBCASE("bad timestamps") {
    CHECK(RejectReason(R"({"metric":{"a":"b"},"values":[1,2],"timestamps":[1,1.5]})") == "timestamp 1 is not an integer");
    CHECK(RejectReason(R"({"metric":{"a":"b"},"values":[1],"timestamps":["1"]})") == "timestamp 0 is not a number");
    CHECK(RejectReason(R"({"metric":{"a":"b"},"values":[1],"timestamps":[9223372036854775808]})") ==
          "timestamp 0 is out of range");
    CHECK(RejectReason(R"({"metric":{"a":"b"},"values":[1],"timestamps":[1e19]})") == "timestamp 0 is out of range");
  }
}

TEST_CASE("json lines: partial acceptance, line numbers, blank lines, CRLF, max_errors") {
  std::string body =
      "{\"metric\":{\"__name__\":\"a\"},\"values\":[1],\"timestamps\":[10]}\n"     // 1 ok
      "\n"                                                                        // 2 blank
      "{\"metric\":{\"__name__\":\"b\"},\"values\":[1,2],\"timestamps\":[10]}\n"  // 3 bad
      "   \r\n"                                                                   // 4 blank
      "{\"metric\":{\"__name__\":\"c\"},\"values\":[3],\"timestamps\":[30]}\r\n"  // 5 ok (CRLF)
      "{oops\n"                                                                   // 6 bad
      "{\"metric\":{\"__name__\":\"d\"},\"values\":[4,5],\"timestamps\":[40,50]}";  // 7 ok, no final \n
  WriteBatch batch;
  auto r = ParseJsonLines(body, &batch);
  CHECK(r.lines == 5);
  CHECK(r.samples == 4);
  CHECK(r.rejected_lines == 2);
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].line == 3);
  CHECK(r.errors[0].reason == "values and timestamps have different lengths (2 vs 1)");
  CHECK(r.errors[1].line == 6);
  CHECK(r.errors[1].reason.rfind("invalid JSON: ", 0) == 0);
  auto got = Contents(batch);
  REQUIRE(got.size() == 3);
  CHECK(got[0].labels == Labels{{"__name__", "a"}});
  CHECK(got[1].labels == Labels{{"__name__", "c"}});
  CHECK(got[2].labels == Labels{{"__name__", "d"}});
  CHECK(got[2].samples.size() == 2);

  WriteBatch batch2;
  auto r2 = ParseJsonLines(body, &batch2, /*max_errors=*/1);
  CHECK(r2.rejected_lines == 2);
  REQUIRE(r2.errors.size() == 1);
  CHECK(r2.errors[0].line == 3);
  CHECK(r2.samples == 4);

  WriteBatch empty;
  auto r3 = ParseJsonLines("", &empty);
  CHECK(r3.lines == 0);
  CHECK(r3.rejected_lines == 0);
  CHECK(empty.empty());
}

TEST_CASE("json lines: export format and escaping") {
  std::string line = Export({{"__name__", "up"}, {"path", "a\"b\\c\nd\te\x01\x1f\x7f"}, {"city", "Z\xc3\xbcrich \xe2\x82\xac"}},
                            {{1700000000000, 1.5}, {-1, 0.1}, {0, 1e21}, {5, -0.0}, {6, 2}});
  CHECK(line ==
        "{\"metric\":{\"__name__\":\"up\",\"path\":\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\x7f\",\"city\":\"Z\xc3\xbcrich "
        "\xe2\x82\xac\"},\"values\":[1.5,0.1,1e+21,-0.0,2],\"timestamps\":[1700000000000,-1,0,5,6]}\n");

  // Escaped labels come back unchanged (sorted, as the batch keeps them).
  WriteBatch batch;
  auto r = ParseJsonLines(line, &batch);
  REQUIRE(r.errors.empty());
  auto got = Contents(batch);
  REQUIRE(got.size() == 1);
  CHECK(got[0].labels == Labels{{"__name__", "up"}, {"city", "Z\xc3\xbcrich \xe2\x82\xac"}, {"path", "a\"b\\c\nd\te\x01\x1f\x7f"}});
  REQUIRE(got[0].samples.size() == 5);
  CHECK(SameBits(got[0].samples[3].value, -0.0));

  // Every control character, one label each.
  Labels ctl = {{"__name__", "ctl"}};
  for (int c = 1; c < 0x20; ++c) {
    char name[16];
    std::snprintf(name, sizeof(name), "l%02d", c);
    ctl.push_back({name, std::string("x") + static_cast<char>(c)});
  }
  std::string ctl_line = Export(ctl, {{1, 1}});
  for (char c : ctl_line.substr(0, ctl_line.size() - 1)) CHECK(static_cast<unsigned char>(c) >= 0x20);
  WriteBatch ctl_batch;
  REQUIRE(ParseJsonLines(ctl_line, &ctl_batch).errors.empty());
  auto ctl_got = Contents(ctl_batch);
  REQUIRE(ctl_got.size() == 1);
  CHECK(ctl_got[0].labels == ctl);
}

TEST_CASE("json lines: random export/import round trip is bit-exact for finite values") {
  std::mt19937_64 rng(20240601);
  auto random_string = [&](size_t max_len) {
    static const std::vector<std::string> pieces = {"a", "Z", "0", "_", " ", "\"", "\\", "/", "\n", "\t", "\x01",
                                                    "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                                    "{", "}", "[", "]", ",", ":"};
    std::string s;
    size_t len = rng() % max_len;
    for (size_t i = 0; i < len; ++i) s += pieces[rng() % pieces.size()];
    return s;
  };
  auto random_double = [&]() {
    for (;;) {
      double d;
      switch (rng() % 6) {
        case 0: d = std::bit_cast<double>(rng()); break;                                // any bits
        case 1: d = static_cast<double>(static_cast<int64_t>(rng()) >> (rng() % 64)); break;  // integers
        case 2: d = std::round(std::uniform_real_distribution<double>(0, 100)(rng) * 100) / 100; break;
        case 3: d = std::bit_cast<double>(rng() & 0x800fffffffffffffULL); break;       // subnormals, ±0
        case 4: d = std::ldexp(1.0, static_cast<int>(rng() % 2098) - 1074); break;      // powers of two
        default: d = std::uniform_real_distribution<double>(-1e6, 1e6)(rng); break;
      }
      if (std::isfinite(d)) return d;
    }
  };

  std::string body;
  std::vector<Series> want;
  for (int i = 0; i < 300; ++i) {
    Series s;
    std::set<std::string> names;
    s.labels.push_back({"__name__", "metric_" + std::to_string(i)});  // distinct series
    names.insert("__name__");
    size_t n_labels = rng() % 6;
    for (size_t j = 0; j < n_labels; ++j) {
      std::string name = "l" + random_string(8);  // names are never empty
      std::string value = random_string(12);
      if (value.empty() || !names.insert(name).second) continue;
      s.labels.push_back({name, value});
    }
    std::sort(s.labels.begin(), s.labels.end());
    size_t n = rng() % 40;
    for (size_t j = 0; j < n; ++j) s.samples.push_back({static_cast<int64_t>(rng()), random_double()});
    AppendJsonLine(s.labels, s.samples, &body);
    if (!s.samples.empty()) want.push_back(std::move(s));  // an empty line adds no batch entry
  }

  WriteBatch batch;
  auto r = ParseJsonLines(body, &batch);
  CHECK(r.lines == 300);
  CHECK(r.rejected_lines == 0);
  if (!r.errors.empty()) FAIL("line " << r.errors[0].line << ": " << r.errors[0].reason);
  auto got = Contents(batch);
  REQUIRE(got.size() == want.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    CHECK(got[i].labels == want[i].labels);
    REQUIRE(got[i].samples.size() == want[i].samples.size());
    for (size_t j = 0; j < want[i].samples.size(); ++j) {
      if (got[i].samples[j].timestamp != want[i].samples[j].timestamp ||
          !SameBits(got[i].samples[j].value, want[i].samples[j].value)) {
        ++mismatches;
      }
    }
  }
  CHECK(mismatches == 0);

  // Export of the parsed batch reproduces the body byte for byte.
  std::string again;
  for (const auto& s : got) AppendJsonLine(s.labels, s.samples, &again);
  std::string want_body;
  for (const auto& s : want) AppendJsonLine(s.labels, s.samples, &want_body);
  CHECK(again == want_body);
}
