#include "http/api/status_api.h"

#include "http/server/response_head.h"

namespace gnomon::api {

Result<std::unique_ptr<http::Component>> StatusApi::Create(const http::ComponentContext& context) {
  return std::unique_ptr<http::Component>(std::make_unique<StatusApi>(context.db, context.metrics, context.reload_all));
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
    if (!s.ok()) return http::SetJsonError(r, 500, "internal", s.ToString());
    r.status = 204;
  });
  // Prometheus' lifecycle endpoint: what SIGHUP does. 200 when every component reloaded, else
  // 500 with the reason (the components keep what they ran before).
  router->Handle({"POST", "PUT"}, "/-/reload", Access::kAdmin, [this](const Request&, Response& r) {
    Status s = reload_ ? reload_() : Status::OK();
    if (!s.ok()) {
      r.status = 500;
      r.body = "failed to reload config: " + s.message() + "\n";
      return;
    }
    r.body = "reloaded\n";
  });
  router->Handle({"POST", "GET"}, "/internal/compact", Access::kAdmin, [this](const Request&, Response& r) {
    Status s = db_->Compact();
    if (!s.ok()) return http::SetJsonError(r, 500, "internal", s.ToString());
    r.status = 204;
  });
}

}  // namespace gnomon::api
