// gnomond's Prometheus HTTP query API (the subset Grafana, promtool and PromQL clients use),
// with Prometheus 2.x request parameters, response shapes and error types:
//
//   GET/POST /api/v1/query              query, time (default now), timeout
//   GET/POST /api/v1/query_range        query, start, end, step, timeout
//   GET/POST /api/v1/series             match[] (required, repeatable), start, end
//   GET/POST /api/v1/labels             match[] (optional), start, end
//   GET      /api/v1/label/{name}/values  match[] (optional), start, end
//   GET      /api/v1/status/buildinfo, /api/v1/metadata, /api/v1/query_exemplars
//
// Success: 200 {"status":"success","data":...}. Errors: {"status":"error","errorType":T,
// "error":message} with 400 bad_data (bad parameters or query), 422 execution (execution errors
// and query limits), 503 timeout, 500 internal (storage failures) — engine.h's mapping.
//
// Times are RFC 3339 or Unix seconds; durations (step, timeout) are float seconds or PromQL
// durations ("15s", "1m30s"). Form bodies of POSTs are read like query parameters. Every route
// needs read access.
#pragma once

#include <cstdint>
#include <string_view>

#include "gnomon/db.h"
#include "gnomon/status.h"
#include "http/component.h"
#include "http/server/router.h"
#include "query/promql/engine.h"

namespace gnomon::api {

struct QueryApiOptions {
  // Limits for every query (the [limits] section: max_query_samples, max_query_series,
  // query_timeout_ms). A request's `timeout` parameter can only shorten the timeout.
  // max_series also bounds /api/v1/series answers.
  promql::QueryOptions query;

  // The [limits] section's query limits.
  static QueryApiOptions FromConfig(const config::Config& config);
};

class QueryApi final : public http::Component {
 public:
  QueryApi(DB* db, QueryApiOptions options) : db_(db), options_(options) {}
  static Result<std::unique_ptr<http::Component>> Create(const http::ComponentContext& context);

  std::string_view name() const override { return "query"; }
  void RegisterRoutes(http::Router* router) override;

 private:
  void Query(const http::Request& req, http::Response& resp);
  void QueryRange(const http::Request& req, http::Response& resp);
  void Series(const http::Request& req, http::Response& resp);
  void LabelNames(const http::Request& req, http::Response& resp);
  void LabelValues(const http::Request& req, http::Response& resp);

  DB* db_;
  QueryApiOptions options_;
};

// Prometheus' duration parameters: float seconds ("15", "0.5") or a duration ("15s", "1h30m").
// Milliseconds; InvalidArgument "cannot parse \"x\" to a valid duration" otherwise.
Result<int64_t> ParseDurationParam(std::string_view text);

// Time parameters: ParseTimeParam, plus the two boundary times Go clients (promtool, client_golang)
// send for "no limit", "-292273086-05-16T16:47:06Z" and "292277025-08-18T07:12:54.999999999Z",
// which map to INT64_MIN and INT64_MAX.
Result<int64_t> ParseQueryTimeParam(std::string_view text);

}  // namespace gnomon::api
