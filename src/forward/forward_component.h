// ForwardComponent: gnomond forwards what it stores to remote_write receivers (issue 17). Its
// config, Prometheus' remote_write list in TOML:
//
//   [[remote_write]]
//   url = "http://mimir:9009/api/v1/push"
//   name = "mimir"                          # optional: [a-z0-9_], else made from the url
//   headers = { "X-Scope-OrgID" = "team-a" }
//   bearer_token = "..."
//   remote_timeout = "30s"
//   queue = { max_samples_per_send = 2000, batch_send_deadline = "5s", min_backoff = "30ms",
//             max_backoff = "5s", capacity = 10000, min_shards = 1, max_shards = 200 }
//
// Each destination is a RemoteWriteQueue (remote_write_queue.h): it sends from the write-ahead
// log, so what was acknowledged locally reaches the receiver across receiver outages and
// restarts. /metrics: gnomon_remote_storage_* per destination (remote_name, url).
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "config/section.h"
#include "forward/remote_write_queue.h"
#include "http/component.h"

namespace gnomon::forward {

struct RemoteWriteSection {
  static constexpr std::string_view kName = "remote_write";
  static std::span<const config::Field<RemoteWriteSection>> Fields();

  std::vector<RemoteWriteOptions> destinations;
  bool operator==(const RemoteWriteSection&) const = default;
};

class ForwardComponent final : public http::Component {
 public:
  static Result<std::unique_ptr<http::Component>> Create(const http::ComponentContext& context);
  ~ForwardComponent() override { Stop(); }

  std::string_view name() const override { return "forward"; }
  void RegisterRoutes(http::Router*) override {}
  Status Start() override;
  void Stop() override;

 private:
  explicit ForwardComponent(std::vector<std::unique_ptr<RemoteWriteQueue>> queues) : queues_(std::move(queues)) {}
  std::vector<std::unique_ptr<RemoteWriteQueue>> queues_;
};

}  // namespace gnomon::forward
