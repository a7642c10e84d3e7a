// The ingest component: gnomond's write endpoints (access: write).
//
//   POST /write, /api/v2/write   InfluxDB line protocol (1.x and 2.x query parameters)
//   POST /api/v1/write           Prometheus remote_write 1.0 (snappy + protobuf)
//   POST /api/v1/import          JSON lines (VictoriaMetrics' format)
//
// Ingest answers 204 on success; 400 with a JSON body naming line numbers and reasons for invalid
// input (valid lines of the same body are stored); 503 with Retry-After when more than
// `max_inflight_ingest_bytes` of request bodies are being written at once (backpressure instead
// of unbounded memory); 507 (disk full) or 503 (other I/O failure) with Retry-After when the
// engine cannot make the write durable (status_error.h). A 2xx is sent only after DB::Write
// returned, i.e. the samples are in the write-ahead log.
#pragma once

#include <atomic>
#include <cstddef>

#include "gnomon/db.h"
#include "http/api/admission.h"
#include "http/api/self_metrics.h"
#include "http/component.h"
#include "http/server/router.h"

namespace gnomon::api {

struct IngestApiOptions {
  size_t max_inflight_ingest_bytes = 256 << 20;
  size_t max_decompressed_bytes = 64 << 20;  // remote_write snappy payloads
  Limits limits;                             // label limits, checked per line by the line-protocol parser

  // [server] max_inflight_ingest_bytes and max_body_bytes, the engine's label limits.
  static IngestApiOptions FromConfig(const config::Config& config, const Options& engine);
};

class IngestApi final : public http::Component {
 public:
  IngestApi(DB* db, SelfMetrics* metrics, IngestApiOptions options)
      : db_(db), metrics_(metrics), options_(options), admission_(options.max_inflight_ingest_bytes) {}
  static Result<std::unique_ptr<http::Component>> Create(const http::ComponentContext& context);

  std::string_view name() const override { return "ingest"; }
  void RegisterRoutes(http::Router* router) override;

 private:
  void InfluxWrite(const http::Request& req, http::Response& resp, bool v2);
  void RemoteWrite(const http::Request& req, http::Response& resp);
  void Import(const http::Request& req, http::Response& resp);
  // Writes `batch`, mapping engine errors to HTTP; returns whether it succeeded.
  bool WriteBatchTo(const WriteBatch& batch, http::Response& resp);
  // Admission control for ingest bodies; false means 503 was set.
  bool Admit(size_t bytes, http::Response& resp);
  void Release(size_t bytes) { admission_.Release(bytes); }

  DB* db_;
  SelfMetrics* metrics_;
  IngestApiOptions options_;
  IngestAdmission admission_;
};

}  // namespace gnomon::api
