// Correlation-ID extraction (logs/correlation_id.h): structured metadata first, then JSON fields in
// order (traceparent's trace-id), then the plain-text pattern; lines without an ID give "".
#include <doctest/doctest.h>

#include "logs/correlation_id.h"

namespace gnomon::logs {
namespace {

std::unique_ptr<CorrelationIdExtractor> Default() {
  auto e = CorrelationIdExtractor::Create({});
  REQUIRE(e.ok());
  return std::move(e.value());
}

TEST_CASE("correlation IDs from JSON fields, in the configured order") {
  auto e = Default();
  CHECK(e->Extract(R"({"msg":"x","correlation_id":"c-1","trace_id":"t-1"})") == "c-1");
  CHECK(e->Extract(R"({"msg":"x","trace_id":"t-1","request_id":"r-1"})") == "t-1");
  CHECK(e->Extract(R"(  {"request_id":12345})") == "12345");
  CHECK(e->Extract(R"({"correlation_id":"","request_id":"r-2"})") == "r-2");  // empty values are skipped
  CHECK(e->Extract(R"({"correlation_id":{"nested":1},"request_id":"r-3"})") == "r-3");
  CHECK(e->Extract(R"({"msg":"no id here"})") == "");
  CHECK(e->Extract(R"({"correlation_id":")" + std::string(200, 'x') + R"("})") == "");  // too long
  CHECK(e->Extract(R"({"correlation_id":"first","correlation_id":"last"})") == "last");  // as a parsed document
  CHECK(e->Extract(R"({"correlation_id":null,"request_id":-7})") == "-7");
  // No usable field value (a float, a boolean, an array): the text pattern reads the line instead.
  CHECK(e->Extract(R"({"request_id":[1],"traceparent":false})") == "");
  CHECK(e->Extract(R"({"correlation_id":1.5})") == "1.5");
  CHECK(e->Extract(R"({"a":{"b":1},"x":[{"correlation_id":"deep"}],"trace_id":"top"})") == "top");
  CHECK(e->Extract(R"([{"trace_id":"in-array"}])") == "in-array");  // not an object: the text pattern
  CHECK(e->Extract(R"({"trace_id":"t-9", "msg": )") == "t-9");  // not JSON: the text pattern finds it
}

TEST_CASE("a W3C traceparent yields its trace-id") {
  auto e = Default();
  CHECK(e->Extract(R"({"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})") ==
        "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(CorrelationIdExtractor::TraceparentTraceId("00-00000000000000000000000000000000-00f067aa0ba902b7-01").empty());
  CHECK(CorrelationIdExtractor::TraceparentTraceId("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01").empty());
  CHECK(CorrelationIdExtractor::TraceparentTraceId("00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01").empty());
  // Not a traceparent: kept as it is.
  CHECK(e->Extract(R"({"traceparent":"abc"})") == "abc");
}

TEST_CASE("correlation IDs from plain text and structured metadata") {
  auto e = Default();
  CHECK(e->Extract("2026-12-07 INFO payment accepted cid=ab12-cd34 amount=3") == "ab12-cd34");
  CHECK(e->Extract("ERROR trace_id: \"tr-9\" failed") == "tr-9");
  CHECK(e->Extract("request_id='q.7' done") == "q.7");
  CHECK(e->Extract("nothing to see") == "");
  CHECK(e->Extract("acid=3") == "");  // the word must start at a boundary
  CHECK(e->Extract("plain", {{"trace_id", "meta-1"}}) == "meta-1");
  CHECK(e->Extract(R"({"correlation_id":"json"})", {{"correlation_id", "meta-2"}}) == "meta-2");
  // A JSON line without an ID field falls back to the pattern over its text.
  CHECK(e->Extract(R"({"msg":"retry cid=zz-1"})") == "zz-1");
}

TEST_CASE("configurable fields and pattern; a bad pattern is refused") {
  auto e = CorrelationIdExtractor::Create({.fields = {"txn"}, .pattern = R"(tx#(\w+))"});
  REQUIRE(e.ok());
  CHECK(e.value()->Extract(R"({"txn":"T1","correlation_id":"c"})") == "T1");
  CHECK(e.value()->Extract("paid tx#991") == "991");
  CHECK(e.value()->Extract("cid=1") == "");
  CHECK(!CorrelationIdExtractor::Create({.fields = {}, .pattern = "(unclosed"}).ok());
  CHECK(!CorrelationIdExtractor::Create({.fields = {}, .pattern = "no-group"}).ok());
}

}  // namespace
}  // namespace gnomon::logs
