#include "http/api/ingest_api.h"

#include <nlohmann/json.hpp>

#include <map>

#include "http/api/status_error.h"
#include "http/server/response_head.h"
#include "ingest/json_lines.h"
#include "ingest/line_protocol.h"
#include "ingest/remote_write.h"
#include "util/clock.h"

namespace gnomon::api {

namespace {

std::string_view Param(const http::Params& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

// The 400 body for bodies with invalid lines: which lines and why, and what was kept.
template <typename Errors>
void SetPartialWriteError(http::Response& resp, size_t rejected, size_t lines, size_t samples, const Errors& errors) {
  nlohmann::json body;
  body["status"] = "error";
  body["errorType"] = "bad_data";
  body["error"] =
      "partial write: " + std::to_string(rejected) + " of " + std::to_string(lines) +
      " lines rejected; the other lines were stored" +
      (errors.empty() ? std::string()
                      : "; first: line " + std::to_string(errors.front().line) + ": " + errors.front().reason);
  body["rejected_lines"] = rejected;
  body["accepted_samples"] = samples;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : errors) list.push_back({{"line", e.line}, {"reason", e.reason}});
  body["errors"] = std::move(list);
  resp.status = 400;
  resp.content_type = "application/json";
  resp.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

IngestApiOptions IngestApiOptions::FromConfig(const config::Config& config, const Options& engine) {
  IngestApiOptions o;
  o.max_inflight_ingest_bytes = config.server.max_inflight_ingest_bytes;
  o.max_decompressed_bytes = config.server.max_body_bytes;
  o.limits = engine.limits;
  return o;
}

Result<std::unique_ptr<http::Component>> IngestApi::Create(const http::ComponentContext& context) {
  return std::unique_ptr<http::Component>(std::make_unique<IngestApi>(
      context.db, context.metrics, IngestApiOptions::FromConfig(context.config, context.engine_options)));
}

void IngestApi::RegisterRoutes(http::Router* router) {
  using http::Access;
  router->Handle({"POST"}, "/write", Access::kWrite,
                 [this](const http::Request& q, http::Response& r) { InfluxWrite(q, r, false); });
  router->Handle({"POST"}, "/api/v2/write", Access::kWrite,
                 [this](const http::Request& q, http::Response& r) { InfluxWrite(q, r, true); });
  router->Handle({"POST"}, "/api/v1/write", Access::kWrite,
                 [this](const http::Request& q, http::Response& r) { RemoteWrite(q, r); });
  router->Handle({"POST"}, "/api/v1/import", Access::kWrite,
                 [this](const http::Request& q, http::Response& r) { Import(q, r); });
}

bool IngestApi::Admit(size_t bytes, http::Response& resp) {
  if (!admission_.TryAcquire(bytes)) {
    metrics_->AddThrottled();
    resp.SetHeader("Retry-After", "1");
    http::SetJsonError(resp, 503, "unavailable", "ingest is busy: too many bytes being written at once; retry later");
    return false;
  }
  return true;
}

bool IngestApi::WriteBatchTo(const WriteBatch& batch, http::Response& resp) {
  Status s = db_->Write(batch);
  if (s.ok()) return true;
  SetStatusError(resp, s, StatusContext::kWrite);
  return false;
}

void IngestApi::InfluxWrite(const http::Request& req, http::Response& resp, bool v2) {
  const http::Params params = http::ParseQueryString(req.query);
  auto precision = ingest::ParsePrecision(Param(params, "precision"));
  if (!precision.ok()) {
    http::SetJsonError(resp, 400, "bad_data", "invalid precision: " + precision.status().message());
    return;
  }
  if (v2 && Param(params, "bucket").empty()) {
    http::SetJsonError(resp, 400, "bad_data", "missing bucket query parameter");
    return;
  }
  if (!Admit(req.body.size(), resp)) return;
  WriteBatch batch;
  ingest::LineProtocolOptions opts;
  opts.precision = *precision;
  opts.default_time_ms = NowMs();
  opts.limits = options_.limits;
  ingest::LineProtocolResult result = ingest::ParseLineProtocol(req.body, opts, &batch);
  bool written = WriteBatchTo(batch, resp);
  Release(req.body.size());
  if (!written) return;
  metrics_->AddIngested("influx", result.samples, result.rejected_lines, result.skipped_string_fields);
  if (result.rejected_lines > 0) {
    SetPartialWriteError(resp, result.rejected_lines, result.lines, result.samples, result.errors);
    return;
  }
  resp.status = 204;
}

void IngestApi::RemoteWrite(const http::Request& req, http::Response& resp) {
  if (!Admit(req.body.size(), resp)) return;
  WriteBatch batch;
  auto result = ingest::DecodeRemoteWrite(req.body, options_.max_decompressed_bytes, &batch);
  if (!result.ok()) {
    Release(req.body.size());
    http::SetJsonError(resp, 400, "bad_data", result.status().message());
    return;
  }
  bool written = WriteBatchTo(batch, resp);
  Release(req.body.size());
  if (!written) return;
  metrics_->AddIngested("remote_write", result->samples, 0, 0);
  resp.status = 204;
}

void IngestApi::Import(const http::Request& req, http::Response& resp) {
  if (!Admit(req.body.size(), resp)) return;
  WriteBatch batch;
  ingest::JsonImportResult result = ingest::ParseJsonLines(req.body, &batch);
  bool written = WriteBatchTo(batch, resp);
  Release(req.body.size());
  if (!written) return;
  metrics_->AddIngested("import", result.samples, result.rejected_lines, 0);
  if (result.rejected_lines > 0) {
    SetPartialWriteError(resp, result.rejected_lines, result.lines, result.samples, result.errors);
    return;
  }
  resp.status = 204;
}

}  // namespace gnomon::api
