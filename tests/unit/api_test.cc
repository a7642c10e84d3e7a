// gnomond API pieces that are easiest to pin down without a socket: ingest admission
// (backpressure), time parameters, series selectors, and the handlers driven through a Router.
#include <doctest/doctest.h>

#include <algorithm>
#include <tuple>

#include "gnomon/db.h"
#include "http/api/admission.h"
#include "http/api/export_api.h"
#include "http/api/ingest_api.h"
#include "http/api/status_api.h"
#include "http/api/params.h"
#include "query/selector.h"
#include "test_util.h"

using namespace gnomon;

TEST_CASE("admission bounds bytes in flight and always lets a lone body in") {
  api::IngestAdmission a(1000);
  CHECK(a.TryAcquire(5000));  // alone: admitted although larger than the limit
  CHECK_FALSE(a.TryAcquire(1));
  a.Release(5000);
  CHECK(a.TryAcquire(600));
  CHECK(a.TryAcquire(400));
  CHECK_FALSE(a.TryAcquire(1));
  CHECK(a.inflight() == 1000);
  a.Release(600);
  CHECK(a.TryAcquire(1));
  a.Release(401);
  CHECK(a.inflight() == 0);
}

TEST_CASE("export streams the union of its selectors series by series, within the series limit") {
  gnomon::testing::TempDir dir;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(Options(), dir.path(), &db).ok());
  WriteBatch b;
  for (int i = 0; i < 50; ++i) {
    for (int t = 0; t < 20; ++t) b.Add({{"__name__", "m"}, {"i", std::to_string(100 + i)}}, 1000 * (t + 1), t);
  }
  REQUIRE(db->Write(b).ok());
  auto run = [&](api::ExportApiOptions options, std::string query, std::string* body) {
    api::ExportApi exporter(db.get(), options);
    http::Router router;
    exporter.RegisterRoutes(&router);
    http::Request req;
    req.method = "GET";
    req.path = "/api/v1/export";
    req.query = std::move(query);
    http::Response resp;
    router.Dispatch(req, resp);
    *body = resp.body;
    int pieces = 0;
    Status s;
    for (bool done = resp.stream == nullptr; !done && s.ok(); ++pieces) s = resp.stream(body, &done);
    return std::make_tuple(resp.status, pieces, s);
  };
  std::string whole, streamed, limited;
  auto [status, pieces, s] = run(api::ExportApiOptions(), "match[]=m&start=0", &whole);
  CHECK(status == 200);
  CHECK(pieces == 0);  // small: one body
  CHECK(s.ok());
  CHECK(std::count(whole.begin(), whole.end(), '\n') == 50);
  api::ExportApiOptions small;
  small.first_piece_bytes = 1;  // decide after the first series, stream the rest
  // Overlapping selectors: each series once, in label order, the same bytes as one selector.
  std::tie(status, pieces, s) = run(small, "match[]={i=~\"1[0-2].\"}&match[]=m&match[]={i=\"149\"}&start=0", &streamed);
  CHECK(status == 200);
  CHECK(pieces >= 1);
  CHECK(s.ok());
  CHECK(streamed == whole);
  // Over the limit before the status line: 422; after it: the stream fails (the transfer is cut).
  api::ExportApiOptions few;
  few.max_series = 10;
  std::tie(status, pieces, s) = run(few, "match[]=m&start=0", &limited);
  CHECK(status == 422);
  CHECK(limited.find("more than 10 series") != std::string::npos);
  few.first_piece_bytes = 1;
  std::tie(status, pieces, s) = run(few, "match[]=m&start=0", &limited);
  CHECK(status == 200);
  CHECK(s.code() == Status::Code::kResourceExhausted);
  CHECK(std::count(limited.begin(), limited.end(), '\n') == 10);
}

TEST_CASE("handlers through the router: ingest status codes and export") {
  gnomon::testing::TempDir dir;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(Options(), dir.path(), &db).ok());
  api::SelfMetrics metrics;
  api::IngestApi ingest(db.get(), &metrics, api::IngestApiOptions());
  api::ExportApi exporter(db.get(), api::ExportApiOptions());
  api::StatusApi status(db.get(), &metrics);
  http::Router router;
  ingest.RegisterRoutes(&router);
  exporter.RegisterRoutes(&router);
  status.RegisterRoutes(&router);
  auto call = [&](const char* method, const char* path, std::string query, std::string body) {
    http::Request req;
    req.method = method;
    req.path = path;
    req.query = std::move(query);
    req.body = std::move(body);
    http::Response resp;
    router.Dispatch(req, resp);
    return resp;
  };
  CHECK(call("POST", "/write", "", "m v=1 1700000000000000000\n").status == 204);
  auto partial = call("POST", "/write", "", "m v=2 1700000001000000000\nm v=oops\n");
  CHECK(partial.status == 400);
  CHECK(partial.body.find("\"line\":2") != std::string::npos);
  auto exported = call("GET", "/api/v1/export", "match[]=m_v&start=0", "");
  CHECK(exported.status == 200);
  CHECK(exported.body == "{\"metric\":{\"__name__\":\"m_v\"},\"values\":[1,2],\"timestamps\":[1700000000000,1700000001000]}\n");
  CHECK(call("POST", "/api/v1/write", "", "garbage").status == 400);
  CHECK(call("GET", "/write", "", "").status == 405);
  CHECK(call("GET", "/nope", "", "").status == 404);
  CHECK(call("POST", "/internal/flush", "", "").status == 204);
  CHECK(call("POST", "/internal/compact", "", "").status == 204);
  CHECK(call("GET", "/api/v1/export", "match[]=m_v&start=0", "").body == exported.body);
  CHECK(metrics.Render(db.get()).find("gnomon_ingested_samples_total{protocol=\"influx\"} 2") != std::string::npos);
}

TEST_CASE("time parameters: unix seconds and RFC 3339") {
  CHECK(*api::ParseTimeParam("1700000000") == 1700000000000);
  CHECK(*api::ParseTimeParam("1700000000.123") == 1700000000123);
  CHECK(*api::ParseTimeParam("2023-11-14T22:13:20Z") == 1700000000000);
  CHECK(*api::ParseTimeParam("2023-11-14T22:13:20.5Z") == 1700000000500);
  CHECK(*api::ParseTimeParam("2023-11-14T23:13:20+01:00") == 1700000000000);
  CHECK_FALSE(api::ParseTimeParam("yesterday").ok());
  CHECK_FALSE(api::ParseTimeParam("").ok());
  CHECK_FALSE(api::ParseTimeParam("2023-13-14T22:13:20Z").ok());
  CHECK_FALSE(api::ParseTimeParam("inf").ok());
}

TEST_CASE("series selectors") {
  auto m = query::ParseSeriesSelector(R"(http_requests_total{job="api", code=~"5..",env!="", x!~'a\'b',})");
  REQUIRE(m.ok());
  REQUIRE(m->size() == 5);
  CHECK((*m)[0].name == "__name__");
  CHECK((*m)[0].value == "http_requests_total");
  CHECK((*m)[2].type == Matcher::Type::kRegexMatch);
  CHECK((*m)[3].type == Matcher::Type::kNotEqual);
  CHECK((*m)[4].value == "a'b");
  auto raw = query::ParseSeriesSelector("{__name__=`a\\b`}");
  REQUIRE(raw.ok());
  CHECK((*raw)[0].value == "a\\b");
  auto esc = query::ParseSeriesSelector(R"({a="\u00e9\x41\101\n"})");
  REQUIRE(esc.ok());
  CHECK((*esc)[0].value == "\xc3\xa9" "AA\n");
  CHECK_FALSE(query::ParseSeriesSelector("").ok());
  CHECK_FALSE(query::ParseSeriesSelector("{job=}").ok());
  CHECK_FALSE(query::ParseSeriesSelector("{job=\"a\"").ok());
  CHECK_FALSE(query::ParseSeriesSelector("{job==\"a\"}").ok());
  CHECK_FALSE(query::ParseSeriesSelector("m{1a=\"x\"}").ok());
  CHECK_FALSE(query::ParseSeriesSelector("{a=\"\\q\"}").ok());
  auto err = query::ParseSeriesSelector("up{job=~}");
  CHECK(err.status().message().find("char 9") != std::string::npos);  // points at the missing value
}
