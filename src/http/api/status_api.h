// The status component: health probes, gnomond's own metrics and the operator's actions.
//
//   GET  /health, /-/healthy     public; the process answers
//   GET  /-/ready                public; 200 while the engine can make writes durable, 503 (with
//                                the reason) while it cannot (disk full, I/O errors)
//   GET  /ping                   public; InfluxDB clients probe it before writing (204)
//   GET  /metrics                read; the Prometheus text exposition (self_metrics.h)
//   POST /internal/flush         admin; seal the head into chunks (VictoriaMetrics' force_flush), and
//                                every component's buffers (the log store's head into a segment)
//   POST /internal/compact       admin; merge chunks, apply retention (force_merge); first every
//                                component's rewrites (the log store recompresses its segments)
//   POST /-/reload               admin; reload every component (rule files), as SIGHUP does:
//                                200, or 500 "failed to reload config: REASON" (nothing changed)
//   GET  /api/v1/status/runtimeinfo  read; Prometheus' shape: startTime, CWD, reloadConfigSuccess,
//                                lastConfigTime, storageRetention (Go-runtime fields as neutral values)
//   GET  /api/v1/status/tsdb     read; Prometheus' shape: headStats and the top `limit` (default 10)
//                                metric names, label names and label pairs by series, values and bytes
#pragma once

#include "gnomon/db.h"
#include "http/api/self_metrics.h"
#include "http/component.h"
#include "http/reloader.h"

namespace gnomon::api {

class StatusApi final : public http::Component {
 public:
  // `reloader` may be null (nothing to reload); `retention_ms` is reported in runtimeinfo.
  StatusApi(DB* db, SelfMetrics* metrics, http::Reloader* reloader = nullptr, int64_t retention_ms = 0)
      : db_(db), metrics_(metrics), reloader_(reloader), retention_ms_(retention_ms) {}
  static Result<std::unique_ptr<http::Component>> Create(const http::ComponentContext& context);

  std::string_view name() const override { return "status"; }
  void RegisterRoutes(http::Router* router) override;

 private:
  DB* db_;
  SelfMetrics* metrics_;
  http::Reloader* reloader_;
  int64_t retention_ms_;
};

}  // namespace gnomon::api
