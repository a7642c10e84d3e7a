#include "http/api/api.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>

#include "http/api/params.h"
#include "ingest/json_lines.h"
#include "ingest/line_protocol.h"
#include "ingest/remote_write.h"
#include "query/selector.h"

namespace gnomon::api {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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
  body["error"] = "partial write: " + std::to_string(rejected) + " of " + std::to_string(lines) +
                  " lines rejected; the other lines were stored" +
                  (errors.empty() ? std::string() : "; first: line " + std::to_string(errors.front().line) + ": " +
                                                        errors.front().reason);
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

void SetJsonError(http::Response& resp, int status, const char* type, const std::string& message) {
  nlohmann::json body = {{"status", "error"}, {"errorType", type}, {"error", message}};
  resp.status = status;
  resp.content_type = "application/json";
  resp.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Api::Register(http::Router* router) {
  router->Handle({"POST"}, "/write", [this](const http::Request& q, http::Response& r) { InfluxWrite(q, r, false); });
  router->Handle({"POST"}, "/api/v2/write", [this](const http::Request& q, http::Response& r) { InfluxWrite(q, r, true); });
  router->Handle({"POST"}, "/api/v1/write", [this](const http::Request& q, http::Response& r) { RemoteWrite(q, r); });
  router->Handle({"POST"}, "/api/v1/import", [this](const http::Request& q, http::Response& r) { Import(q, r); });
  router->Handle({"GET", "POST"}, "/api/v1/export", [this](const http::Request& q, http::Response& r) { Export(q, r); });
  router->Handle({"GET"}, "/metrics", [this](const http::Request&, http::Response& r) {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_->Render(db_);
  });
  auto ok = [](const http::Request&, http::Response& r) { r.body = "OK\n"; };
  router->Handle({"GET", "HEAD"}, "/health", ok);
  router->Handle({"GET", "HEAD"}, "/-/healthy", [](const http::Request&, http::Response& r) { r.body = "Gnomon is Healthy.\n"; });
  router->Handle({"GET", "HEAD"}, "/-/ready", [](const http::Request&, http::Response& r) { r.body = "Gnomon is Ready.\n"; });
  // Like VictoriaMetrics' /internal/force_flush and /internal/force_merge.
  router->Handle({"POST", "GET"}, "/internal/flush", [this](const http::Request&, http::Response& r) {
    Status s = db_->Flush();
    if (!s.ok()) return SetJsonError(r, 500, "internal", s.ToString());
    r.status = 204;
  });
  router->Handle({"POST", "GET"}, "/internal/compact", [this](const http::Request&, http::Response& r) {
    Status s = db_->Compact();
    if (!s.ok()) return SetJsonError(r, 500, "internal", s.ToString());
    r.status = 204;
  });
  // InfluxDB clients probe /ping before writing.
  router->Handle({"GET", "HEAD"}, "/ping", [](const http::Request&, http::Response& r) { r.status = 204; });
}

bool Api::Admit(size_t bytes, http::Response& resp) {
  if (!admission_.TryAcquire(bytes)) {
    metrics_->AddThrottled();
    resp.SetHeader("Retry-After", "1");
    SetJsonError(resp, 503, "unavailable", "ingest is busy: too many bytes being written at once; retry later");
    return false;
  }
  return true;
}

bool Api::WriteBatchTo(const WriteBatch& batch, http::Response& resp) {
  Status s = db_->Write(batch);
  if (s.ok()) return true;
  switch (s.code()) {
    case Status::Code::kInvalidArgument:
    case Status::Code::kResourceExhausted:
      SetJsonError(resp, 400, "bad_data", s.message());
      break;
    case Status::Code::kBusy:
      resp.SetHeader("Retry-After", "1");
      SetJsonError(resp, 503, "unavailable", s.message());
      break;
    default:
      SetJsonError(resp, 500, "internal", s.ToString());
  }
  return false;
}

void Api::InfluxWrite(const http::Request& req, http::Response& resp, bool v2) {
  const http::Params params = http::ParseQueryString(req.query);
  auto precision = ingest::ParsePrecision(Param(params, "precision"));
  if (!precision.ok()) {
    SetJsonError(resp, 400, "bad_data", "invalid precision: " + precision.status().message());
    return;
  }
  if (v2 && Param(params, "bucket").empty()) {
    SetJsonError(resp, 400, "bad_data", "missing bucket query parameter");
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

void Api::RemoteWrite(const http::Request& req, http::Response& resp) {
  if (!Admit(req.body.size(), resp)) return;
  WriteBatch batch;
  auto result = ingest::DecodeRemoteWrite(req.body, options_.max_decompressed_bytes, &batch);
  if (!result.ok()) {
    Release(req.body.size());
    SetJsonError(resp, 400, "bad_data", result.status().message());
    return;
  }
  bool written = WriteBatchTo(batch, resp);
  Release(req.body.size());
  if (!written) return;
  metrics_->AddIngested("remote_write", result->samples, 0, 0);
  resp.status = 204;
}

void Api::Import(const http::Request& req, http::Response& resp) {
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

void Api::Export(const http::Request& req, http::Response& resp) {
  const http::Params params = req.Params();
  int64_t start = INT64_MIN, end = NowMs();
  for (const auto& [k, v] : params) {
    if (k != "start" && k != "end") continue;
    auto t = ParseTimeParam(v);
    if (!t.ok()) {
      SetJsonError(resp, 400, "bad_data", "invalid parameter \"" + k + "\": " + t.status().message());
      return;
    }
    (k == "start" ? start : end) = *t;
  }
  std::vector<Matchers> selectors;
  for (const auto& [k, v] : params) {
    if (k != "match[]") continue;
    auto m = query::ParseSeriesSelector(v);
    if (!m.ok()) {
      SetJsonError(resp, 400, "bad_data", "invalid parameter \"match[]\": " + m.status().message());
      return;
    }
    selectors.push_back(std::move(*m));
  }
  if (selectors.empty()) {
    SetJsonError(resp, 400, "bad_data", "missing match[] parameter");
    return;
  }
  // Several selectors: the union of their series, each exported once, in label order.
  std::map<Labels, std::vector<Sample>> out;
  for (const Matchers& m : selectors) {
    auto set = db_->Select(m, start, end);
    if (!set.ok()) {
      SetJsonError(resp, 400, "bad_data", set.status().message());
      return;
    }
    while ((*set)->Next()) {
      if (out.size() >= options_.max_export_series && !out.count((*set)->labels())) {
        SetJsonError(resp, 422, "execution",
                     "export would return more than " + std::to_string(options_.max_export_series) + " series");
        return;
      }
      auto& samples = out[(*set)->labels()];
      if (!samples.empty()) continue;
      Status s = (*set)->samples()->TakeRemaining(&samples);
      if (!s.ok()) {
        SetJsonError(resp, 500, "internal", s.ToString());
        return;
      }
    }
    if (!(*set)->status().ok()) {
      SetJsonError(resp, 500, "internal", (*set)->status().ToString());
      return;
    }
  }
  resp.content_type = "application/stream+json";
  // About 24 bytes a sample ("58.23," and "1700000000000,") and 32 a series plus its labels.
  size_t size = 0;
  for (const auto& [labels, samples] : out) {
    size += 32 + samples.size() * 24;
    for (const auto& l : labels) size += l.name.size() + l.value.size() + 6;
  }
  resp.body.reserve(resp.body.size() + size);
  for (const auto& [labels, samples] : out) ingest::AppendJsonLine(labels, samples, &resp.body);
}

}  // namespace gnomon::api
