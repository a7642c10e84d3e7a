// SelfMetrics: gnomond's own metrics, rendered in the Prometheus text exposition format at
// /metrics. Counters and histograms are lock-free on the hot path (atomics); label sets are few
// and fixed (route × status class, protocol), registered on first use under a mutex.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gnomon/db.h"

namespace gnomon::api {

class Histogram {
 public:
  // Upper bounds in seconds, as Prometheus' default buckets.
  static constexpr std::array<double, 11> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  void Observe(double v);
  void Render(const std::string& name, const std::string& labels, std::string* out) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

class SelfMetrics {
 public:
  SelfMetrics();

  void ObserveRequest(const std::string& route, int status, double seconds, size_t body_bytes);
  // Per ingest protocol ("influx", "remote_write", "import").
  void AddIngested(const std::string& protocol, uint64_t samples, uint64_t rejected_lines, uint64_t skipped_fields);
  void AddThrottled() { throttled_.fetch_add(1, std::memory_order_relaxed); }

  // The whole exposition, including the engine's stats, process figures and what the collectors
  // add.
  std::string Render(DB* db) const;

  // A component's own metrics: `collect` appends complete exposition lines (# HELP, # TYPE and
  // samples) at each scrape. It must stay callable while the registry lives; register before the
  // server starts.
  void AddCollector(std::function<void(std::string* out)> collect);

  // When the registry was made (gnomond's start), unix ms.
  int64_t start_time_ms() const { return start_time_ms_; }

 private:
  struct RouteStats {
    std::map<int, std::atomic<uint64_t>> by_status;  // guarded by mu_ for insertion
    Histogram latency;
    std::atomic<uint64_t> body_bytes{0};
  };
  struct ProtocolStats {
    std::atomic<uint64_t> samples{0}, rejected_lines{0}, skipped_fields{0};
  };
  RouteStats& Route(const std::string& route);
  ProtocolStats& Protocol(const std::string& protocol);

  const int64_t start_time_ms_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<RouteStats>> routes_;
  std::map<std::string, std::unique_ptr<ProtocolStats>> protocols_;
  std::atomic<uint64_t> throttled_{0};
  std::vector<std::function<void(std::string*)>> collectors_;  // guarded by mu_
};

}  // namespace gnomon::api
