// gnomond's HTTP API: registers every endpoint on a Router.
//
//   POST /write, /api/v2/write   InfluxDB line protocol (1.x and 2.x query parameters)
//   POST /api/v1/write           Prometheus remote_write 1.0 (snappy + protobuf)
//   POST /api/v1/import          JSON lines (VictoriaMetrics' format)
//   GET  /api/v1/export          JSON lines of the series matching match[] in [start, end]
//   GET  /metrics                gnomond's own metrics
//   POST /internal/flush         seal the head into chunks (like VictoriaMetrics' force_flush)
//   POST /internal/compact       merge chunks, apply retention (like force_merge)
//   GET  /health, /-/healthy, /-/ready
//
// Ingest answers 204 on success; 400 with a JSON body naming line numbers and reasons for invalid
// input (valid lines of the same body are stored); 503 with Retry-After when more than
// `max_inflight_ingest_bytes` of request bodies are being written at once (backpressure instead
// of unbounded memory); 500 if the engine fails to write. A 2xx is sent only after DB::Write
// returned, i.e. the samples are in the write-ahead log.
#pragma once

#include <atomic>
#include <cstddef>

#include "gnomon/db.h"
#include "http/api/admission.h"
#include "http/api/self_metrics.h"
#include "http/server/router.h"

namespace gnomon::api {

struct ApiOptions {
  size_t max_inflight_ingest_bytes = 256 << 20;
  size_t max_decompressed_bytes = 64 << 20;  // remote_write snappy payloads
  size_t max_export_series = 100000;
  Limits limits;  // label limits, checked per line by the line-protocol parser
};

class Api {
 public:
  Api(DB* db, SelfMetrics* metrics, ApiOptions options)
      : db_(db), metrics_(metrics), options_(options), admission_(options.max_inflight_ingest_bytes) {}
  void Register(http::Router* router);

 private:
  void InfluxWrite(const http::Request& req, http::Response& resp, bool v2);
  void RemoteWrite(const http::Request& req, http::Response& resp);
  void Import(const http::Request& req, http::Response& resp);
  void Export(const http::Request& req, http::Response& resp);
  // Writes `batch`, mapping engine errors to HTTP; returns whether it succeeded.
  bool WriteBatchTo(const WriteBatch& batch, http::Response& resp);
  // Admission control for ingest bodies; false means 503 was set.
  bool Admit(size_t bytes, http::Response& resp);
  void Release(size_t bytes) { admission_.Release(bytes); }

  DB* db_;
  SelfMetrics* metrics_;
  ApiOptions options_;
  IngestAdmission admission_;
};

// {"status":"error","errorType":type,"error":message} with `status`.
void SetJsonError(http::Response& resp, int status, const char* type, const std::string& message);

}  // namespace gnomon::api
