// The logs component: gnomond's log store (src/logs) and its HTTP API.
//
//   POST /loki/api/v1/push     write; Loki's push API: JSON (application/json) or snappy protobuf
//                              (application/x-protobuf, what promtail, Alloy, Fluent Bit and Vector
//                              send), with structured metadata
//   POST /api/v1/logs          write; NDJSON (application/x-ndjson or application/json: one object
//                              per line, `ts`, `service`, `level`, ...), or text/plain lines with
//                              ?service=NAME[&level=LEVEL]
// A push answers 204 once every line is durable; 400 naming each rejected line or stream and
// why while the valid ones are stored; 413 past the request limits ([logs] max_streams_per_push,
// max_lines_per_push; the body size is [server] max_body_bytes); 503 + Retry-After when too many
// bodies are being written at once; 507/503 when the disk cannot take them (nothing stored).
//
//   GET /api/v1/logs/correlation/{id}   read; every line of one correlation ID in time order,
//       optional start/end (unix seconds, unix ns or RFC 3339) and limit (default and maximum
//       [logs] max_entries_limit_per_query):
//       {"status":"success","data":{"id":ID,"lines":[{"ts":"<RFC 3339 ns>","offset_ms":N,
//        "service":S,"level":L,"labels":{...},"line":"<the line as sent>"},...]}}
//       offset_ms is the time since the request's first line; an unknown ID has no lines.
//
//   GET/POST /loki/api/v1/query_range, /loki/api/v1/query; GET /loki/api/v1/labels,
//   /loki/api/v1/label/{name}/values, /loki/api/v1/series   read; Loki's query API with LogQL
//       (http/api/loki_query_api.h, logs/logql/eval.h)
//
// Built from [logs] (logs/logs_config.h); the store lives in the engine's keyspace "logs".
#pragma once

#include <memory>

#include "http/api/admission.h"
#include "http/component.h"
#include "http/server/router.h"
#include "logs/log_store.h"
#include "logs/logs_config.h"

namespace gnomon::api {

class LogsApi final : public http::Component {
 public:
  LogsApi(std::unique_ptr<logs::LogStore> store, logs::LogsConfig config, size_t max_inflight_bytes,
          size_t max_decompressed_bytes);
  static Result<std::unique_ptr<http::Component>> Create(const http::ComponentContext& context);

  std::string_view name() const override { return "logs"; }
  void RegisterRoutes(http::Router* router) override;
  Status Flush() override { return store_->Flush(); }
  Status Compact() override { return store_->Compact(); }

  logs::LogStore* store() { return store_.get(); }

 private:
  void Correlation(const http::Request& req, http::Response& resp);
  void LokiPush(const http::Request& req, http::Response& resp);
  void NdjsonPush(const http::Request& req, http::Response& resp);
  // Stores a decoded push and answers it (204, 400 with the rejections, or the write's error).
  // Stores a decoded push; `req`'s X-Gnomon-Source headers (gnomon-ship's) make it exactly-once.
  void Store(const http::Request& req, Result<logs::LogPushResult> decoded, std::string_view unit,
             http::Response& resp);

  std::unique_ptr<logs::LogStore> store_;
  const logs::LogsConfig config_;
  const logs::LogLimits limits_;
  const size_t max_decompressed_bytes_;
  IngestAdmission admission_;
};

// A log query time: an integer of at most 10 digits is unix seconds, a longer one unix
// nanoseconds, a decimal fraction unix seconds, anything else RFC 3339 (as Loki reads them).
Result<int64_t> ParseLogTimeNs(std::string_view text);

}  // namespace gnomon::api
