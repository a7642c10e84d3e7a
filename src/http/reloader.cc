#include "http/reloader.h"

#include <fmt/format.h>

#include "util/clock.h"

namespace gnomon::http {

void Reloader::SetComponents(std::span<const std::unique_ptr<Component>> components, int64_t now_ms) {
  std::lock_guard lock(mu_);
  components_ = components;
  last_ = {true, now_ms};
}

Status Reloader::ReloadAll() {
  std::lock_guard reloading(reload_mu_);
  std::span<const std::unique_ptr<Component>> components;
  {
    std::lock_guard lock(mu_);
    components = components_;
  }
  Status first;
  for (const auto& c : components) {
    Status s = c->Reload();
    if (!s.ok() && first.ok()) first = Status::InvalidArgument(fmt::format("{}: {}", c->name(), s.message()));
  }
  std::lock_guard lock(mu_);
  last_.success = first.ok();
  if (first.ok()) last_.last_success_ms = NowMs();
  return first;
}

Status Reloader::FlushAll() {
  return EachComponent([](Component& c) { return c.Flush(); });
}

Status Reloader::CompactAll() {
  return EachComponent([](Component& c) { return c.Compact(); });
}

Status Reloader::EachComponent(const std::function<Status(Component&)>& fn) {
  std::span<const std::unique_ptr<Component>> components;
  {
    std::lock_guard lock(mu_);
    components = components_;
  }
  for (const auto& c : components) {
    Status s = fn(*c);
    if (!s.ok()) return Status::IOError(fmt::format("{}: {}", c->name(), s.ToString()));
  }
  return Status::OK();
}

Reloader::Outcome Reloader::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

}  // namespace gnomon::http
