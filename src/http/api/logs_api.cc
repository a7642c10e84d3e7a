#include "http/api/logs_api.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "http/api/loki_query_api.h"
#include "http/api/query_json.h"
#include "http/api/status_error.h"
#include "logs/push/loki_push.h"
#include "logs/push/ndjson_push.h"
#include "util/clock.h"
#include "util/go_json.h"
#include "util/time_format.h"

namespace gnomon::api {

Result<int64_t> ParseLogTimeNs(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty time");
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && end == text.data() + text.size()) {
    const size_t digits = text.size() - (text[0] == '-' ? 1 : 0);
    if (digits > 10) return n;
    if (n > INT64_MAX / 1'000'000'000 || n < INT64_MIN / 1'000'000'000) {
      return Status::InvalidArgument("time \"" + std::string(text) + "\" is out of range");
    }
    return n * 1'000'000'000;
  }
  if (text.find_first_not_of("0123456789.-") == std::string_view::npos) {
    char* stop = nullptr;
    const std::string copy(text);
    const double secs = std::strtod(copy.c_str(), &stop);
    if (*stop == '\0' && std::isfinite(secs) && std::fabs(secs) < 9.2e9)
      return static_cast<int64_t>(std::llround(secs * 1e9));
  }
  auto ms = ParseRfc3339(text);
  if (!ms.ok())
    return Status::InvalidArgument("cannot parse \"" + std::string(text) +
                                   "\" as a time: use unix seconds, unix nanoseconds or RFC 3339");
  if (*ms > INT64_MAX / 1'000'000 || *ms < INT64_MIN / 1'000'000) {
    return Status::InvalidArgument("time \"" + std::string(text) + "\" is out of range");
  }
  return *ms * 1'000'000;
}

namespace {

// A push's source for exactly-once delivery: `X-Gnomon-Source: ID` with `X-Gnomon-Source-Range:
// START-END` (bytes [START, END) of that source), both or neither.
Result<std::optional<logs::LogSource>> SourceOf(const http::Request& req) {
  const std::string_view id = req.Header("X-Gnomon-Source"), range = req.Header("X-Gnomon-Source-Range");
  if (id.empty() && range.empty()) return std::optional<logs::LogSource>();
  if (id.empty() || range.empty()) {
    return Status::InvalidArgument("X-Gnomon-Source and X-Gnomon-Source-Range go together");
  }
  if (id.size() > logs::LogSource::kMaxIdBytes) {
    return Status::InvalidArgument("X-Gnomon-Source is longer than " + std::to_string(logs::LogSource::kMaxIdBytes) +
                                   " bytes");
  }
  logs::LogSource src;
  src.id = std::string(id);
  const size_t dash = range.find('-');
  auto number = [](std::string_view text, uint64_t* v) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *v);
    return !text.empty() && ec == std::errc() && p == text.data() + text.size();
  };
  if (dash == std::string_view::npos || !number(range.substr(0, dash), &src.start) ||
      !number(range.substr(dash + 1), &src.end) || src.end <= src.start) {
    return Status::InvalidArgument("X-Gnomon-Source-Range: expected START-END, byte offsets with START < END, got \"" +
                                   std::string(range) + "\"");
  }
  return std::optional<logs::LogSource>(std::move(src));
}

logs::LogLimits LimitsOf(const logs::LogsConfig& c) {
  logs::LogLimits l;
  l.max_line_bytes = c.max_line_bytes;
  l.max_labels_per_stream = c.max_labels_per_stream;
  l.max_streams = c.max_streams_per_push;
  l.max_lines = c.max_lines_per_push;
  return l;
}

bool ContentTypeIs(const http::Request& req, std::string_view type) {
  std::string_view ct = req.Header("content-type");
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  if (ct.size() != type.size()) return false;
  for (size_t i = 0; i < ct.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(ct[i])) != type[i]) return false;
  }
  return true;
}

}  // namespace

LogsApi::LogsApi(std::unique_ptr<logs::LogStore> store, logs::LogsConfig config, size_t max_inflight_bytes,
                 size_t max_decompressed_bytes)
    : store_(std::move(store)),
      config_(std::move(config)),
      limits_(LimitsOf(config_)),
      max_decompressed_bytes_(max_decompressed_bytes),
      admission_(max_inflight_bytes) {}

Result<std::unique_ptr<http::Component>> LogsApi::Create(const http::ComponentContext& context) {
  const logs::LogsConfig& cfg = context.config.Get<logs::LogsConfig>();
  logs::LogStoreOptions options;
  options.correlation = cfg.correlation();
  options.retention_ms = cfg.retention_ms;
  options.segment_max_rows = cfg.segment_max_lines;
  options.segment_max_bytes = cfg.segment_max_bytes;
  options.head_max_age_ms = cfg.segment_max_age_ms;
  options.compression_level = static_cast<int>(cfg.segment_compression_level);
  options.compaction_level = static_cast<int>(cfg.compaction_level);
  options.compaction_delay_ms = cfg.compaction_delay_ms;
  auto store = logs::LogStore::Open(context.db, options);
  if (!store.ok()) return Status::IOError("cannot open the log store: " + store.status().ToString());
  return std::unique_ptr<http::Component>(std::make_unique<LogsApi>(std::move(store.value()), cfg,
                                                                    context.config.server.max_inflight_ingest_bytes,
                                                                    context.config.server.max_body_bytes));
}

void LogsApi::RegisterRoutes(http::Router* router) {
  router->Handle({"GET"}, "/api/v1/logs/correlation/{id}", http::Access::kRead,
                 [this](const http::Request& q, http::Response& r) { Correlation(q, r); });
  router->Handle({"POST"}, "/loki/api/v1/push", http::Access::kWrite,
                 [this](const http::Request& q, http::Response& r) { LokiPush(q, r); });
  router->Handle({"POST"}, "/api/v1/logs", http::Access::kWrite,
                 [this](const http::Request& q, http::Response& r) { NdjsonPush(q, r); });
  RegisterLokiQueryRoutes(router, store_.get(), config_);
}

void LogsApi::LokiPush(const http::Request& req, http::Response& resp) {
  if (!admission_.TryAcquire(req.body.size())) {
    resp.headers.emplace_back("Retry-After", "1");
    return http::SetJsonError(resp, 503, "unavailable", "too many log pushes in flight; retry later");
  }
  auto decoded = ContentTypeIs(req, "application/json")
                     ? logs::DecodeLokiPushJson(req.body, limits_)
                     : logs::DecodeLokiPushProtobuf(req.body, max_decompressed_bytes_, limits_);
  Store(req, std::move(decoded), "stream", resp);
  admission_.Release(req.body.size());
}

void LogsApi::NdjsonPush(const http::Request& req, http::Response& resp) {
  if (!admission_.TryAcquire(req.body.size())) {
    resp.headers.emplace_back("Retry-After", "1");
    return http::SetJsonError(resp, 503, "unavailable", "too many log pushes in flight; retry later");
  }
  Result<logs::LogPushResult> decoded = Status::InvalidArgument("unreachable");
  if (ContentTypeIs(req, "text/plain")) {
    std::string service, level;
    for (const auto& [name, value] : req.Params()) {
      if (name == "service") service = value;
      if (name == "level") level = value;
    }
    if (service.empty()) {
      admission_.Release(req.body.size());
      return http::SetJsonError(resp, 400, "bad_data", "text/plain log lines need ?service=NAME");
    }
    decoded = logs::DecodePlainTextLogs(req.body, service, level, NowNs(), limits_);
  } else {
    decoded = logs::DecodeNdjsonLogs(req.body, NowNs(), limits_);
  }
  Store(req, std::move(decoded), "line", resp);
  admission_.Release(req.body.size());
}

void LogsApi::Store(const http::Request& req, Result<logs::LogPushResult> decoded, std::string_view unit,
                    http::Response& resp) {
  if (!decoded.ok()) {
    const bool too_big = decoded.status().code() == Status::Code::kResourceExhausted;
    return http::SetJsonError(resp, too_big ? 413 : 400, "bad_data", decoded.status().message());
  }
  auto source = SourceOf(req);
  if (!source.ok()) return http::SetJsonError(resp, 400, "bad_data", source.status().message());
  logs::LogPushResult& r = *decoded;
  r.batch.source = std::move(*source);
  auto stored = store_->Append(r.batch);
  if (!stored.ok() && r.batch.source.has_value() && stored.status().code() == Status::Code::kFailedPrecondition) {
    // It overlaps what this source already stored: the sender resumes where that ends.
    resp.headers.emplace_back("X-Gnomon-Source-End", std::to_string(store_->SourceEnd(r.batch.source->id).value_or(0)));
    return http::SetJsonError(resp, 409, "conflict", stored.status().message());
  }
  if (!stored.ok()) return SetStatusError(resp, stored.status(), StatusContext::kWrite);
  if (stored->duplicate) {
    resp.headers.emplace_back("X-Gnomon-Duplicate", "true");  // stored before: nothing was written again
    resp.status = 204;
    return;
  }
  if (r.rejected == 0) {
    resp.status = 204;
    return;
  }
  nlohmann::json body;
  body["status"] = "error";
  body["errorType"] = "bad_data";
  body["error"] = fmt::format("partial write: {} of {} lines rejected; the other lines were stored; first: {}",
                              r.rejected, r.rejected + r.accepted,
                              r.rejections.empty() ? std::string() : logs::FormatRejection(r.rejections.front(), unit));
  body["rejected_lines"] = r.rejected;
  body["accepted_lines"] = r.accepted;
  nlohmann::json list = nlohmann::json::array();
  for (const logs::LogRejection& e : r.rejections) list.push_back(logs::FormatRejection(e, unit));
  body["errors"] = std::move(list);
  resp.status = 400;
  resp.content_type = "application/json";
  resp.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void LogsApi::Correlation(const http::Request& req, http::Response& resp) {
  const std::string id(req.PathParam("id"));
  int64_t start = INT64_MIN, end = INT64_MAX;
  size_t limit = config_.max_entries_limit_per_query;
  for (const auto& [name, value] : req.Params()) {
    if (name == "start" || name == "end") {
      auto t = ParseLogTimeNs(value);
      if (!t.ok())
        return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"" + name + "\": " + t.status().message());
      (name == "start" ? start : end) = *t;
    } else if (name == "limit") {
      size_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || n == 0) {
        return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"limit\": expected a positive integer");
      }
      if (n > config_.max_entries_limit_per_query) {
        return http::SetJsonError(resp, 400, "bad_data",
                                  "invalid parameter \"limit\": max entries limit per query exceeded, limit > " +
                                      std::to_string(config_.max_entries_limit_per_query));
      }
      limit = n;
    }
  }
  if (start > end) return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"end\": before \"start\"");
  auto lines = store_->ByCorrelationId(id, start, end, limit);
  if (!lines.ok()) return http::SetJsonError(resp, 500, "internal", lines.status().ToString());
  std::string out = "{\"status\":\"success\",\"data\":{\"id\":";
  AppendGoJsonString(&out, id);
  out += ",\"lines\":[";
  const int64_t first = lines->empty() ? 0 : lines->front().ts_ns;
  for (size_t i = 0; i < lines->size(); ++i) {
    const logs::StoredLine& l = (*lines)[i];
    std::string_view service, level;
    for (const Label& label : *l.stream) {
      if (label.name == "service" || (service.empty() && label.name == "service_name")) service = label.value;
      if (label.name == "level") level = label.value;
    }
    if (i) out += ',';
    out += "{\"ts\":";
    AppendGoJsonString(&out, FormatRfc3339Nano(l.ts_ns));
    out += ",\"offset_ms\":" + std::to_string((l.ts_ns - first) / 1'000'000) + ",\"service\":";
    AppendGoJsonString(&out, service);
    out += ",\"level\":";
    AppendGoJsonString(&out, level);
    out += ",\"labels\":";
    AppendLabelsJson(&out, *l.stream);
    out += ",\"line\":";
    AppendGoJsonString(&out, l.line);
    out += '}';
  }
  out += "]}}";
  resp.content_type = "application/json";
  resp.body = std::move(out);
}

}  // namespace gnomon::api
