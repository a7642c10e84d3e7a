#include "http/api/status_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/server/response_head.h"
#include "util/duration.h"
#include "util/go_json.h"
#include "util/time_format.h"

namespace gnomon::api {

Result<std::unique_ptr<http::Component>> StatusApi::Create(const http::ComponentContext& context) {
  return std::unique_ptr<http::Component>(
      std::make_unique<StatusApi>(context.db, context.metrics, context.reloader, context.engine_options.retention_ms));
}

void StatusApi::RegisterRoutes(http::Router* router) {
  using http::Access;
  using http::Request;
  using http::Response;
  router->Handle({"GET", "HEAD"}, "/health", Access::kPublic, [](const Request&, Response& r) { r.body = "OK\n"; });
  router->Handle({"GET", "HEAD"}, "/-/healthy", Access::kPublic,
                 [](const Request&, Response& r) { r.body = "Gnomon is Healthy.\n"; });
  router->Handle({"GET", "HEAD"}, "/-/ready", Access::kPublic, [this](const Request&, Response& r) {
    Stats st = db_->GetStats();
    if (!st.writable) {
      r.status = 503;
      r.body = "Gnomon is not ready: writes cannot be made durable: " + st.write_error + "\n";
      return;
    }
    r.body = "Gnomon is Ready.\n";
  });
  router->Handle({"GET", "HEAD"}, "/ping", Access::kPublic, [](const Request&, Response& r) { r.status = 204; });
  router->Handle({"GET"}, "/metrics", Access::kRead, [this](const Request&, Response& r) {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_->Render(db_);
  });
  router->Handle({"POST", "GET"}, "/internal/flush", Access::kAdmin, [this](const Request&, Response& r) {
    Status s = db_->Flush();
    if (s.ok() && reloader_ != nullptr) s = reloader_->FlushAll();
    if (!s.ok()) return http::SetJsonError(r, 500, "internal", s.ToString());
    r.status = 204;
  });
  // Prometheus' lifecycle endpoint: what SIGHUP does. 200 when every component reloaded, else
  // 500 with the reason (the components keep what they ran before).
  router->Handle({"POST", "PUT"}, "/-/reload", Access::kAdmin, [this](const Request&, Response& r) {
    Status s = reloader_ != nullptr ? reloader_->ReloadAll() : Status::OK();
    if (!s.ok()) {
      r.status = 500;
      r.body = "failed to reload config: " + s.message() + "\n";
      return;
    }
    r.body = "reloaded\n";
  });
  router->Handle({"GET"}, "/api/v1/status/runtimeinfo", Access::kRead, [this](const Request&, Response& r) {
    const http::Reloader::Outcome reload = reloader_ != nullptr ? reloader_->last() : http::Reloader::Outcome{};
    std::error_code ec;
    const std::string cwd = std::filesystem::current_path(ec).string();
    std::string out = "{\"status\":\"success\",\"data\":{\"startTime\":";
    AppendGoJsonString(&out, FormatRfc3339(metrics_->start_time_ms()));
    out += ",\"CWD\":";
    AppendGoJsonString(&out, cwd);
    out += fmt::format(",\"reloadConfigSuccess\":{},\"lastConfigTime\":", reload.success);
    AppendGoJsonString(&out,
                       FormatRfc3339(reload.last_success_ms != 0 ? reload.last_success_ms : metrics_->start_time_ms()));
    out += fmt::format(
        ",\"corruptionCount\":0,\"goroutineCount\":0,\"GOMAXPROCS\":{},\"GOGC\":\"\",\"GODEBUG\":\"\","
        "\"storageRetention\":",
        std::max(1u, std::thread::hardware_concurrency()));
    AppendGoJsonString(&out, retention_ms_ == 0 ? "0s" : FormatDuration(retention_ms_));
    out += "}}";
    r.content_type = "application/json";
    r.body = std::move(out);
  });
  router->Handle({"GET"}, "/api/v1/status/tsdb", Access::kRead, [this](const Request& req, Response& r) {
    size_t limit = 10;  // Prometheus' default
    for (const auto& [name, value] : req.Params()) {
      if (name != "limit") continue;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc() || end != value.data() + value.size() || limit == 0) {
        http::SetJsonError(r, 400, "bad_data", "limit must be a positive number");
        return;
      }
    }
    const CardinalityStats stats = db_->GetCardinality(limit);
    auto list = [](const std::vector<CardinalityStats::Entry>& entries) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& e : entries) out.push_back({{"name", e.name}, {"value", e.value}});
      return out;
    };
    nlohmann::json data = {{"headStats",
                            {{"numSeries", stats.num_series},
                             {"numLabelPairs", stats.num_label_pairs},
                             {"chunkCount", stats.head_series},
                             {"minTime", stats.head_min_time},
                             {"maxTime", stats.head_max_time}}},
                           {"seriesCountByMetricName", list(stats.series_count_by_metric_name)},
                           {"labelValueCountByLabelName", list(stats.label_value_count_by_label_name)},
                           {"memoryInBytesByLabelName", list(stats.memory_in_bytes_by_label_name)},
                           {"seriesCountByLabelValuePair", list(stats.series_count_by_label_value_pair)}};
    r.content_type = "application/json";
    r.body = nlohmann::json{{"status", "success"}, {"data", std::move(data)}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
  });
  router->Handle({"POST", "GET"}, "/internal/compact", Access::kAdmin, [this](const Request&, Response& r) {
    // The components' rewrites first, so the engine's compaction drops what they replaced.
    Status s = reloader_ != nullptr ? reloader_->CompactAll() : Status::OK();
    if (s.ok()) s = db_->Compact();
    if (!s.ok()) return http::SetJsonError(r, 500, "internal", s.ToString());
    r.status = 204;
  });
}

}  // namespace gnomon::api
