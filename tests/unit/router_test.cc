// Router: path patterns with parameters, precedence between patterns, 404/405, access levels
// carried by routes, and malformed or duplicate patterns refused.
#include <doctest/doctest.h>

#include "http/server/router.h"

using gnomon::http::Access;
using gnomon::http::Params;
using gnomon::http::Request;
using gnomon::http::Response;
using gnomon::http::Router;

namespace {

// A router whose handlers answer with their own name and the path parameters.
struct Fixture {
  Router router;
  Fixture() {
    Add({"GET"}, "/", "root");
    Add({"GET"}, "/api/v1/query", "query");
    Add({"GET"}, "/api/v1/label/{name}/values", "label-values");
    Add({"GET"}, "/api/v1/label/__name__/values", "metric-names");
    Add({"GET"}, "/api/v1/{anything}/values", "any-values");
    Add({"GET"}, "/static/{path...}", "static");
    Add({"GET"}, "/static/index.html", "index");
    Add({"GET", "POST"}, "/api/v1/logs/correlation/{id}", "correlation");
  }
  void Add(std::vector<std::string> methods, std::string pattern, std::string name) {
    REQUIRE(router.Handle(std::move(methods), pattern, Access::kRead, [name](const Request& q, Response& r) {
      r.body = name;
      for (const auto& [k, v] : q.path_params) r.body += " " + k + "=" + v;
    }));
  }
  Response Call(std::string method, std::string path) {
    Request q;
    q.method = std::move(method);
    q.path = std::move(path);
    Response r;
    router.Dispatch(q, r);
    return r;
  }
  std::string Body(std::string path) { return Call("GET", std::move(path)).body; }
};

}  // namespace

TEST_CASE("patterns: literals, {param} segments, {rest...}, most specific wins") {
  Fixture f;
  CHECK(f.Body("/") == "root");
  CHECK(f.Body("/api/v1/query") == "query");
  CHECK(f.Body("/api/v1/label/job/values") == "label-values name=job");
  CHECK(f.Body("/api/v1/label/__name__/values") == "metric-names");  // a literal beats {name}
  CHECK(f.Body("/api/v1/series/values") == "any-values anything=series");
  CHECK(f.Body("/static/index.html") == "index");
  CHECK(f.Body("/static/css/site.css") == "static path=css/site.css");
  CHECK(f.Body("/api/v1/logs/correlation/req-42") == "correlation id=req-42");
  CHECK(f.Call("POST", "/api/v1/logs/correlation/req-42").status == 200);
}

TEST_CASE("no match: 404 for unknown paths, empty or extra segments; 405 with Allow") {
  Fixture f;
  for (const char* path : {"/nope", "/api/v1", "/api/v1/query/extra", "/api/v1/label//values",
                           "/api/v1/label/a/b/values", "/static/", "/static", "/api/v1/query/"}) {
    CAPTURE(path);
    Response r = f.Call("GET", path);
    CHECK(r.status == 404);
    CHECK(r.body == R"({"status":"error","errorType":"not_found","error":"not found"})");
  }
  Response r = f.Call("DELETE", "/api/v1/logs/correlation/x");
  CHECK(r.status == 405);
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].second == "GET, POST");
  CHECK(f.Call("HEAD", "/api/v1/query").status == 200);  // GET routes answer HEAD
}

TEST_CASE("Match reports the route with its access and parameters") {
  Router router;
  auto noop = [](const Request&, Response&) {};
  REQUIRE(router.Handle({"GET"}, "/health", Access::kPublic, noop));
  REQUIRE(router.Handle({"POST"}, "/write", Access::kWrite, noop));
  REQUIRE(router.Handle({"POST"}, "/internal/{action}", Access::kAdmin, noop));
  Params params;
  const auto* route = router.Match("/internal/flush", &params);
  REQUIRE(route != nullptr);
  CHECK(route->access == Access::kAdmin);
  CHECK(route->pattern == "/internal/{action}");
  REQUIRE(params.size() == 1);
  CHECK(params[0] == std::pair<std::string, std::string>("action", "flush"));
  REQUIRE(router.Match("/health") != nullptr);
  CHECK(router.Match("/health")->access == Access::kPublic);
  CHECK(router.Match("/write")->access == Access::kWrite);
  CHECK(router.Match("/other") == nullptr);
  CHECK(router.routes().size() == 3);
}

TEST_CASE("malformed and duplicate patterns are refused") {
  Router router;
  auto noop = [](const Request&, Response&) {};
  CHECK(router.Handle({"GET"}, "/a", Access::kRead, noop));
  CHECK_FALSE(router.Handle({"GET"}, "/a", Access::kRead, noop));  // duplicate
  CHECK_FALSE(router.Handle({"GET"}, "relative", Access::kRead, noop));
  CHECK_FALSE(router.Handle({"GET"}, "", Access::kRead, noop));
  CHECK_FALSE(router.Handle({"GET"}, "/x/{}", Access::kRead, noop));
  CHECK_FALSE(router.Handle({"GET"}, "/x/{a", Access::kRead, noop));
  CHECK_FALSE(router.Handle({"GET"}, "/x/a{b}", Access::kRead, noop));
  CHECK_FALSE(router.Handle({"GET"}, "/x/{rest...}/y", Access::kRead, noop));  // rest only last
  CHECK(router.Handle({"GET"}, "/x/{rest...}", Access::kRead, noop));
  CHECK(router.routes().size() == 2);
}
