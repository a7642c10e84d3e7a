// Reloader: what SIGHUP and POST /-/reload do — asks every component to re-read what can change
// without a restart (Component::Reload, in order) and keeps the outcome, which
// /api/v1/status/runtimeinfo reports as Prometheus does (reloadConfigSuccess, lastConfigTime).
// It also asks every component to flush or compact (Component::Flush, ::Compact), which POST
// /internal/flush and /internal/compact do beside the engine's. Thread-safe; one reload at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "gnomon/status.h"
#include "http/component.h"

namespace gnomon::http {

class Reloader {
 public:
  // The components must outlive the reloader; `now_ms` is when their config was loaded.
  void SetComponents(std::span<const std::unique_ptr<Component>> components, int64_t now_ms);

  // Reloads every component; the first failure is returned with the component's name (the
  // others are still reloaded).
  Status ReloadAll();

  struct Outcome {
    bool success = true;
    int64_t last_success_ms = 0;  // when the config was last loaded whole
  };
  Outcome last() const;

  // Flushes (compacts) every component; the first failure is returned with the component's name.
  Status FlushAll();
  Status CompactAll();

 private:
  Status EachComponent(const std::function<Status(Component&)>& fn);

  std::mutex reload_mu_;   // one reload at a time
  mutable std::mutex mu_;  // guards what follows; never held while components reload
  std::span<const std::unique_ptr<Component>> components_;
  Outcome last_;
};

}  // namespace gnomon::http
