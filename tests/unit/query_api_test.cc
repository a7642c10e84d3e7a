// The Prometheus query API: number, timestamp and string formatting (byte-compatible with
// Prometheus), response bodies, and (through a Router) parameter errors and response shapes.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "http/api/query_json.h"

using namespace gnomon;

namespace {

std::string F(double v) {
  std::string s;
  api::AppendPromFloat(&s, v);
  return s;
}

std::string T(int64_t ms) {
  std::string s;
  api::AppendPromTimestamp(&s, ms);
  return s;
}

std::string J(std::string_view v) {
  std::string s;
  api::AppendJsonString(&s, v);
  return s;
}

}  // namespace

TEST_CASE("values are formatted like Go's strconv.FormatFloat(v, 'f', -1, 64)") {
  CHECK(F(0) == "0");
  CHECK(F(-0.0) == "-0");
  CHECK(F(1) == "1");
  CHECK(F(-1.5) == "-1.5");
  CHECK(F(0.1) == "0.1");
  CHECK(F(0.1 + 0.2) == "0.30000000000000004");
  CHECK(F(100) == "100");
  CHECK(F(1234.5678) == "1234.5678");
  CHECK(F(1e20) == "100000000000000000000");
  CHECK(F(123456789012345678.0) == "123456789012345680");  // shortest digits, then zeros
  CHECK(F(0.000001) == "0.000001");
  CHECK(F(0.0000012345) == "0.0000012345");
  CHECK(F(1e21) == "1e+21");
  CHECK(F(1.5e21) == "1.5e+21");
  CHECK(F(1e-7) == "1e-07");
  CHECK(F(-2.5e-10) == "-2.5e-10");
  CHECK(F(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(F(5e-324) == "5e-324");
  CHECK(F(std::nan("")) == "NaN");
  CHECK(F(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(F(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(F(1700000000) == "1700000000");
  CHECK(F(0.9) == "0.9");
  CHECK(F(33.333333333333336) == "33.333333333333336");
}

TEST_CASE("timestamps are seconds with three millisecond digits when not whole") {
  CHECK(T(1700000000000) == "1700000000");
  CHECK(T(1700000000123) == "1700000000.123");
  CHECK(T(1700000000500) == "1700000000.500");
  CHECK(T(1700000000005) == "1700000000.005");
  CHECK(T(1700000000050) == "1700000000.050");
  CHECK(T(0) == "0");
  CHECK(T(-1500) == "-1.500");
  CHECK(T(-1000) == "-1");
  CHECK(T(999) == "0.999");
}

TEST_CASE("JSON strings are escaped as Go's encoding/json does") {
  CHECK(J("plain") == "\"plain\"");
  CHECK(J("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(J("l1\nl2\r\t") == "\"l1\\nl2\\r\\t\"");
  CHECK(J(std::string_view("\x01\x1f", 2)) == "\"\\u0001\\u001f\"");
  CHECK(J("<a&b>") == "\"\\u003ca\\u0026b\\u003e\"");
  CHECK(J("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80") == "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  CHECK(J("bad\xFFutf8\xC3") == "\"bad\\ufffdutf8\\ufffd\"");
  CHECK(J("\xE2\x80\xA8") == "\"\\u2028\"");
}

TEST_CASE("result bodies for each result type") {
  promql::QueryResult r;
  r.type = promql::ValueType::kScalar;
  r.scalar = {1700000000500, 2};
  CHECK(api::QueryResultJson(r) == R"({"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"2"]}})");
  r.scalar = {-1500, 1e21};
  CHECK(api::QueryResultJson(r) == R"({"status":"success","data":{"resultType":"scalar","result":[-1.5,"1000000000000000000000"]}})");
  r.scalar = {1700000000005, 1e-7};
  CHECK(api::QueryResultJson(r) == R"({"status":"success","data":{"resultType":"scalar","result":[1700000000.005,"0.0000001"]}})");

  r = {};
  r.type = promql::ValueType::kString;
  r.string_value = "hi \"x\"";
  r.string_time_ms = 1700000000050;
  CHECK(api::QueryResultJson(r) == R"({"status":"success","data":{"resultType":"string","result":[1700000000.05,"hi \"x\""]}})");

  r = {};
  r.type = promql::ValueType::kVector;
  CHECK(api::QueryResultJson(r) == R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  r.series.push_back({{{"__name__", "up"}, {"job", "a"}}, {{1700000000000, 1}}});
  r.series.push_back({{{"job", "b"}}, {{1700000000000, std::nan("")}}});
  CHECK(api::QueryResultJson(r) ==
        R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1700000000,"1"]},{"metric":{"job":"b"},"value":[1700000000,"NaN"]}]}})");

  r = {};
  r.type = promql::ValueType::kMatrix;
  r.series.push_back({{}, {{1000, 0.5}, {61000, -1e-9}}});
  CHECK(api::QueryResultJson(r) ==
        R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"0.5"],[61,"-1e-09"]]}]}})");
}

TEST_CASE("list bodies") {
  CHECK(api::StringListJson({}) == R"({"status":"success","data":[]})");
  CHECK(api::StringListJson({"a", "b"}) == R"({"status":"success","data":["a","b"]})");
  CHECK(api::LabelSetsJson({{{"__name__", "up"}}, {}}) == R"({"status":"success","data":[{"__name__":"up"},{}]})");
}
