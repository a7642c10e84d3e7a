// The logs component: gnomond's log store (src/logs) and its HTTP API.
//
//   GET /api/v1/logs/correlation/{id}   read; every line of one correlation ID in time order,
//       optional start/end (unix seconds, unix ns or RFC 3339) and limit (default and maximum
//       [logs] max_entries_limit_per_query):
//       {"status":"success","data":{"id":ID,"lines":[{"ts":"<RFC 3339 ns>","offset_ms":N,
//        "service":S,"level":L,"labels":{...},"line":"<the line as sent>"},...]}}
//       offset_ms is the time since the request's first line; an unknown ID has no lines.
//
// Built from [logs] (logs/logs_config.h); the store lives in the engine's keyspace "logs".
#pragma once

#include <memory>

#include "http/component.h"
#include "http/server/router.h"
#include "logs/log_store.h"
#include "logs/logs_config.h"

namespace gnomon::api {

class LogsApi final : public http::Component {
 public:
  LogsApi(std::unique_ptr<logs::LogStore> store, logs::LogsConfig config)
      : store_(std::move(store)), config_(std::move(config)) {}
  static Result<std::unique_ptr<http::Component>> Create(const http::ComponentContext& context);

  std::string_view name() const override { return "logs"; }
  void RegisterRoutes(http::Router* router) override;

  logs::LogStore* store() { return store_.get(); }

 private:
  void Correlation(const http::Request& req, http::Response& resp);

  std::unique_ptr<logs::LogStore> store_;
  const logs::LogsConfig config_;
};

// A log query time: an integer of at most 10 digits is unix seconds, a longer one unix
// nanoseconds, a decimal fraction unix seconds, anything else RFC 3339 (as Loki reads them).
Result<int64_t> ParseLogTimeNs(std::string_view text);

}  // namespace gnomon::api
