#include "http/api/logs_api.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "http/api/query_json.h"
#include "util/go_json.h"
#include "util/time_format.h"

namespace gnomon::api {

Result<int64_t> ParseLogTimeNs(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty time");
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && end == text.data() + text.size()) {
    const size_t digits = text.size() - (text[0] == '-' ? 1 : 0);
    if (digits <= 10) return n * 1'000'000'000;
    return n;
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
  return *ms * 1'000'000;
}

Result<std::unique_ptr<http::Component>> LogsApi::Create(const http::ComponentContext& context) {
  const logs::LogsConfig& cfg = context.config.Get<logs::LogsConfig>();
  auto store = logs::LogStore::Open(context.db, {cfg.correlation(), cfg.retention_ms});
  if (!store.ok()) return Status::IOError("cannot open the log store: " + store.status().ToString());
  return std::unique_ptr<http::Component>(std::make_unique<LogsApi>(std::move(store.value()), cfg));
}

void LogsApi::RegisterRoutes(http::Router* router) {
  router->Handle({"GET"}, "/api/v1/logs/correlation/{id}", http::Access::kRead,
                 [this](const http::Request& q, http::Response& r) { Correlation(q, r); });
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
