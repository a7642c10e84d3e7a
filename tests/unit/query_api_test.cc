// The Prometheus query API: number, timestamp and string formatting (byte-compatible with
// Prometheus), response bodies, and (through a Router) parameter errors and response shapes.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "gnomon/db.h"
#include "http/api/query_api.h"
#include "http/api/query_json.h"
#include "http/api/status_error.h"
#include "http/server/router.h"
#include "test_util.h"

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
  gnomon::AppendGoJsonString(&s, v);
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

TEST_CASE("duration and time parameters") {
  CHECK(*api::ParseDurationParam("15s") == 15000);
  CHECK(*api::ParseDurationParam("1m") == 60000);
  CHECK(*api::ParseDurationParam("1h30m") == 5400000);
  CHECK(*api::ParseDurationParam("15") == 15000);
  CHECK(*api::ParseDurationParam("0.5") == 500);
  CHECK(*api::ParseDurationParam("-1") == -1000);
  CHECK(api::ParseDurationParam("x").status().message() == "cannot parse \"x\" to a valid duration");
  CHECK_FALSE(api::ParseDurationParam("").ok());
  CHECK_FALSE(api::ParseDurationParam("1e300").ok());
  CHECK(*api::ParseQueryTimeParam("1700000000.5") == 1700000000500);
  CHECK(*api::ParseQueryTimeParam("-292273086-05-16T16:47:06Z") == INT64_MIN);
  CHECK(*api::ParseQueryTimeParam("292277025-08-18T07:12:54.999999999Z") == INT64_MAX);
  CHECK_FALSE(api::ParseQueryTimeParam("soon").ok());
}

TEST_CASE("engine errors map to Prometheus' error types") {
  auto map = [](Status s) {
    http::Response r;
    api::SetStatusError(r, s, api::StatusContext::kQuery);
    return std::to_string(r.status) + " " + r.body;
  };
  CHECK(map(Status::InvalidArgument("bad")) == R"(400 {"status":"error","errorType":"bad_data","error":"bad"})");
  CHECK(map(Status::FailedPrecondition("dup")) == R"(422 {"status":"error","errorType":"execution","error":"dup"})");
  CHECK(map(Status::ResourceExhausted("big")) == R"(422 {"status":"error","errorType":"execution","error":"big"})");
  CHECK(map(Status::Aborted("slow")) == R"(503 {"status":"error","errorType":"timeout","error":"slow"})");
  CHECK(map(Status::IOError("disk")).starts_with(R"(500 {"status":"error","errorType":"internal","error":")"));
}

namespace {

struct Fixture {
  gnomon::testing::TempDir dir;
  std::unique_ptr<DB> db;
  std::unique_ptr<api::QueryApi> query_api;
  http::Router router;

  explicit Fixture(api::QueryApiOptions options = {}) {
    REQUIRE(DB::Open(Options(), dir.path(), &db).ok());
    WriteBatch b;
    for (int i = 0; i <= 20; ++i) {
      int64_t t = 1699999700000 + 15000 * i;
      b.Add({{"__name__", "m"}, {"job", "a"}, {"zone", "x"}}, t, 1.5 + i);
      b.Add({{"__name__", "m"}, {"job", "b"}, {"zone", "y"}}, t, 10);
      b.Add({{"__name__", "other"}, {"job", "a"}}, t, 0.25);
    }
    b.Add({{"__name__", "gone"}, {"job", "c"}}, 1600000000000, 1);
    REQUIRE(db->Write(b).ok());
    query_api = std::make_unique<api::QueryApi>(db.get(), options);
    query_api->RegisterRoutes(&router);
  }

  // "STATUS BODY"
  std::string Call(const char* method, std::string path, std::string query, std::string body = "") {
    http::Request req;
    req.method = method;
    req.path = std::move(path);
    req.query = std::move(query);
    req.body = std::move(body);
    if (!req.body.empty()) req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    http::Response resp;
    router.Dispatch(req, resp);
    return std::to_string(resp.status) + " " + resp.body;
  }
  std::string Get(std::string path, std::string query) { return Call("GET", std::move(path), std::move(query)); }
};

}  // namespace

TEST_CASE("query and query_range: response shapes") {
  Fixture f;
  CHECK(f.Get("/api/v1/query", "query=m&time=1700000000") ==
        R"(200 {"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"m","job":"a","zone":"x"},"value":[1700000000,"21.5"]},{"metric":{"__name__":"m","job":"b","zone":"y"},"value":[1700000000,"10"]}]}})");
  CHECK(f.Call("POST", "/api/v1/query", "", "query=sum+by+(job)+(m%7Bjob%3D%22b%22%7D)&time=1700000000") ==
        R"(200 {"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"b"},"value":[1700000000,"10"]}]}})");
  CHECK(f.Get("/api/v1/query", "query=1e-7&time=1700000000.5") ==
        R"(200 {"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"0.0000001"]}})");
  CHECK(f.Get("/api/v1/query", "query=%22s%22&time=1700000000") ==
        R"(200 {"status":"success","data":{"resultType":"string","result":[1700000000,"s"]}})");
  CHECK(f.Get("/api/v1/query", "query=m%7Bjob%3D%22b%22%7D%5B30s%5D&time=1700000000") ==
        R"(200 {"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"m","job":"b","zone":"y"},"values":[[1699999970,"10"],[1699999985,"10"],[1700000000,"10"]]}]}})");
  CHECK(f.Get("/api/v1/query", "query=nothing&time=1700000000") ==
        R"(200 {"status":"success","data":{"resultType":"vector","result":[]}})");
  CHECK(f.Get("/api/v1/query_range", "query=time()&start=1.5&end=2&step=0.5") ==
        R"(200 {"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1.500,"1.5"],[2,"2"]]}]}})");
  CHECK(f.Get("/api/v1/query_range", "query=m%7Bjob%3D%22a%22%7D&start=1699999970&end=1700000000&step=15s") ==
        R"(200 {"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"m","job":"a","zone":"x"},"values":[[1699999970,"19.5"],[1699999985,"20.5"],[1700000000,"21.5"]]}]}})");
}

TEST_CASE("query and query_range: parameter errors") {
  Fixture f;
  auto has = [](const std::string& got, int status, std::string_view type, std::string_view msg) {
    return got.starts_with(std::to_string(status) + " ") &&
           got.find("\"errorType\":\"" + std::string(type) + "\"") != std::string::npos &&
           got.find(std::string(msg)) != std::string::npos;
  };
  CHECK(f.Get("/api/v1/query", "query=1&time=abc") ==
        R"(400 {"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": Invalid time value for 'time': cannot parse \"abc\" to a valid timestamp"})");
  CHECK(has(f.Get("/api/v1/query", "query=1&time=abc"), 400, "bad_data",
            R"(invalid parameter \"time\": Invalid time value for 'time': cannot parse \"abc\" to a valid timestamp)"));
  CHECK(has(f.Get("/api/v1/query", "query=1&timeout=abc"), 400, "bad_data",
            R"(invalid parameter \"timeout\": cannot parse \"abc\" to a valid duration)"));
  CHECK(has(f.Get("/api/v1/query", "query=m%7B"), 400, "bad_data", R"(invalid parameter \"query\": 1:)"));
  CHECK(has(f.Get("/api/v1/query", ""), 400, "bad_data", R"(invalid parameter \"query\")"));
  CHECK(has(f.Get("/api/v1/query_range", "query=1&start=10&end=5&step=1"), 400, "bad_data",
            R"(invalid parameter \"end\": end timestamp must not be before start time)"));
  CHECK(has(f.Get("/api/v1/query_range", "query=1&start=1&end=5&step=0"), 400, "bad_data",
            R"(invalid parameter \"step\": zero or negative query resolution step widths are not accepted)"));
  CHECK(has(f.Get("/api/v1/query_range", "query=1&start=1&end=5&step=-1"), 400, "bad_data", "zero or negative"));
  CHECK(has(f.Get("/api/v1/query_range", "query=1&start=1&end=5&step=-1s"), 400, "bad_data", "cannot parse"));
  CHECK(has(f.Get("/api/v1/query_range", "query=1&start=1&end=5&step=x"), 400, "bad_data",
            R"(invalid parameter \"step\": cannot parse \"x\" to a valid duration)"));
  CHECK(has(f.Get("/api/v1/query_range", "query=1&start=1&end=50000&step=1"), 400, "bad_data",
            "exceeded maximum resolution of 11,000 points per timeseries"));
  CHECK(f.Get("/api/v1/query_range", "query=1&start=1&end=11001&step=1").starts_with("200 "));
  CHECK(has(f.Get("/api/v1/query_range", "query=1&end=5&step=1"), 400, "bad_data",
            R"(invalid parameter \"start\": cannot parse \"\" to a valid timestamp)"));
  CHECK(has(f.Get("/api/v1/query_range", "query=up%5B5m%5D&start=1&end=5&step=1"), 400, "bad_data",
            R"(invalid parameter \"query\")"));
  CHECK(has(f.Get("/api/v1/query", "query=m+%2B+ignoring(job,zone)+m&time=1700000000"), 422, "execution", ""));
  CHECK(f.Call("DELETE", "/api/v1/query", "").starts_with("405 "));
}

TEST_CASE("query limits come from the options") {
  api::QueryApiOptions options;
  options.query.max_samples = 5;
  Fixture f(options);
  CHECK(f.Get("/api/v1/query", "query=count_over_time(m%5B5m%5D)&time=1700000000").starts_with("422 "));
  options = {};
  options.query.max_series = 1;
  Fixture g(options);
  CHECK(g.Get("/api/v1/query", "query=m&time=1700000000").starts_with("422 "));
  CHECK(g.Get("/api/v1/query", "query=other&time=1700000000").starts_with("200 "));
  CHECK(g.Get("/api/v1/series", "match[]=m").starts_with("422 "));
}

TEST_CASE("series, labels and label values") {
  Fixture f;
  CHECK(f.Get("/api/v1/series", "match[]=m&start=1699999000&end=1700000000") ==
        R"(200 {"status":"success","data":[{"__name__":"m","job":"a","zone":"x"},{"__name__":"m","job":"b","zone":"y"}]})");
  CHECK(f.Call("POST", "/api/v1/series", "", "match%5B%5D=m%7Bjob%3D%22a%22%7D&match%5B%5D=%7Bjob%3D%22a%22%7D") ==
        R"(200 {"status":"success","data":[{"__name__":"m","job":"a","zone":"x"},{"__name__":"other","job":"a"}]})");
  CHECK(f.Get("/api/v1/series", "match[]=gone&start=1699999000") == R"(200 {"status":"success","data":[]})");
  CHECK(f.Get("/api/v1/series", "match[]=gone") == R"(200 {"status":"success","data":[{"__name__":"gone","job":"c"}]})");
  CHECK(f.Get("/api/v1/series", "").starts_with("400 "));
  CHECK(f.Get("/api/v1/series", "match[]=m%7B").starts_with("400 "));
  CHECK(f.Get("/api/v1/series", "match[]=m&start=x").starts_with("400 "));

  CHECK(f.Get("/api/v1/labels", "") == R"(200 {"status":"success","data":["__name__","job","zone"]})");
  CHECK(f.Get("/api/v1/labels", "match[]=other") == R"(200 {"status":"success","data":["__name__","job"]})");
  CHECK(f.Get("/api/v1/labels", "start=1500000000&end=1650000000") == R"(200 {"status":"success","data":["__name__","job"]})");
  CHECK(f.Get("/api/v1/labels", "match[]=other&match[]=m") == R"(200 {"status":"success","data":["__name__","job","zone"]})");

  CHECK(f.Get("/api/v1/label/job/values", "") == R"(200 {"status":"success","data":["a","b","c"]})");
  CHECK(f.Get("/api/v1/label/__name__/values", "start=1699999000&end=1700000000") ==
        R"(200 {"status":"success","data":["m","other"]})");
  CHECK(f.Get("/api/v1/label/zone/values", "match[]=m%7Bjob%3D%22a%22%7D") == R"(200 {"status":"success","data":["x"]})");
  CHECK(f.Get("/api/v1/label/job/values", "match[]=gone&match[]=other") == R"(200 {"status":"success","data":["a","c"]})");
  CHECK(f.Get("/api/v1/label/nope/values", "") == R"(200 {"status":"success","data":[]})");
  CHECK(f.Get("/api/v1/label/a-b/values", "").starts_with("400 "));
  CHECK(f.Get("/api/v1/label/job", "").starts_with("404 "));

  CHECK(f.Get("/api/v1/status/buildinfo", "").find(R"("goVersion":)") != std::string::npos);
  CHECK(f.Get("/api/v1/metadata", "") == R"(200 {"status":"success","data":{}})");
}
