#include "http/api/self_metrics.h"
#include "util/clock.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gnomon::api {

namespace {

void Header(std::string* out, const char* name, const char* type, const char* help) {
  fmt::format_to(std::back_inserter(*out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// Resident memory and CPU seconds of this process, from /proc.
void ProcessStats(double* rss_bytes, double* cpu_seconds, double* open_fds) {
  *rss_bytes = 0;
  *cpu_seconds = 0;
  *open_fds = 0;
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_rss = 0;
  if (statm >> pages_total >> pages_rss) *rss_bytes = static_cast<double>(pages_rss) * sysconf(_SC_PAGESIZE);
  std::ifstream stat("/proc/self/stat");
  std::string field;
  for (int i = 1; i <= 15 && stat >> field; ++i) {
    if (i == 14 || i == 15) *cpu_seconds += std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    *open_fds += 1;
  }
}

}  // namespace

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < kBounds.size() && v > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(v * 1e6), std::memory_order_relaxed);
}

void Histogram::Render(const std::string& name, const std::string& labels, std::string* out) const {
  uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    fmt::format_to(std::back_inserter(*out), "{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, kBounds[i], cumulative);
  }
  cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  fmt::format_to(std::back_inserter(*out), "{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
  fmt::format_to(std::back_inserter(*out), "{}_sum{{{}}} {}\n", name, labels, sum_micros_.load() / 1e6);
  fmt::format_to(std::back_inserter(*out), "{}_count{{{}}} {}\n", name, labels, count_.load());
}

SelfMetrics::SelfMetrics() : start_time_ms_(NowMs()) {}

void SelfMetrics::AddCollector(std::function<void(std::string* out)> collect) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collect));
}

SelfMetrics::RouteStats& SelfMetrics::Route(const std::string& route) {
  std::lock_guard lock(mu_);
  auto& slot = routes_[route];
  if (!slot) slot = std::make_unique<RouteStats>();
  return *slot;
}

SelfMetrics::ProtocolStats& SelfMetrics::Protocol(const std::string& protocol) {
  std::lock_guard lock(mu_);
  auto& slot = protocols_[protocol];
  if (!slot) slot = std::make_unique<ProtocolStats>();
  return *slot;
}

void SelfMetrics::ObserveRequest(const std::string& route, int status, double seconds, size_t body_bytes) {
  RouteStats& r = Route(route.empty() ? "other" : route);
  {
    std::lock_guard lock(mu_);
    r.by_status[status].fetch_add(1, std::memory_order_relaxed);
  }
  r.latency.Observe(seconds);
  r.body_bytes.fetch_add(body_bytes, std::memory_order_relaxed);
}

void SelfMetrics::AddIngested(const std::string& protocol, uint64_t samples, uint64_t rejected_lines,
                              uint64_t skipped_fields) {
  ProtocolStats& p = Protocol(protocol);
  p.samples.fetch_add(samples, std::memory_order_relaxed);
  p.rejected_lines.fetch_add(rejected_lines, std::memory_order_relaxed);
  p.skipped_fields.fetch_add(skipped_fields, std::memory_order_relaxed);
}

std::string SelfMetrics::Render(DB* db) const {
  std::string out;
  auto it = std::back_inserter(out);
  std::lock_guard lock(mu_);

  Header(&out, "gnomon_http_requests_total", "counter", "HTTP requests answered, by route and status code.");
  for (const auto& [route, r] : routes_) {
    for (const auto& [status, n] : r->by_status) {
      fmt::format_to(it, "gnomon_http_requests_total{{route=\"{}\",code=\"{}\"}} {}\n", route, status, n.load());
    }
  }
  Header(&out, "gnomon_http_request_duration_seconds", "histogram", "Time to handle and answer a request.");
  for (const auto& [route, r] : routes_) {
    r->latency.Render("gnomon_http_request_duration_seconds", fmt::format("route=\"{}\"", route), &out);
  }
  Header(&out, "gnomon_http_request_body_bytes_total", "counter", "Request body bytes received (after decoding).");
  for (const auto& [route, r] : routes_) {
    fmt::format_to(it, "gnomon_http_request_body_bytes_total{{route=\"{}\"}} {}\n", route, r->body_bytes.load());
  }
  Header(&out, "gnomon_ingested_samples_total", "counter", "Samples accepted, by ingest protocol.");
  for (const auto& [proto, p] : protocols_) {
    fmt::format_to(it, "gnomon_ingested_samples_total{{protocol=\"{}\"}} {}\n", proto, p->samples.load());
  }
  Header(&out, "gnomon_ingest_rejected_lines_total", "counter", "Ingest lines rejected as invalid, by protocol.");
  for (const auto& [proto, p] : protocols_) {
    fmt::format_to(it, "gnomon_ingest_rejected_lines_total{{protocol=\"{}\"}} {}\n", proto, p->rejected_lines.load());
  }
  Header(&out, "gnomon_ingest_skipped_string_fields_total", "counter", "Line-protocol string fields skipped.");
  for (const auto& [proto, p] : protocols_) {
    fmt::format_to(it, "gnomon_ingest_skipped_string_fields_total{{protocol=\"{}\"}} {}\n", proto, p->skipped_fields.load());
  }
  Header(&out, "gnomon_ingest_throttled_total", "counter", "Ingest requests answered 503 because the engine was busy.");
  fmt::format_to(it, "gnomon_ingest_throttled_total {}\n", throttled_.load());

  Stats st = db->GetStats();
  auto gauge = [&](const char* name, const char* help, double v) {
    Header(&out, name, "gauge", help);
    fmt::format_to(it, "{} {}\n", name, v);
  };
  gauge("gnomon_series", "Series known to the engine.", static_cast<double>(st.num_series));
  gauge("gnomon_head_series", "Series with samples not yet sealed into chunks.", static_cast<double>(st.head_series));
  gauge("gnomon_head_samples", "Samples held in memory, not yet sealed.", static_cast<double>(st.head_samples));
  gauge("gnomon_head_bytes", "Approximate memory held by the head and indexes.", static_cast<double>(st.head_bytes));
  gauge("gnomon_head_run_bytes", "Of gnomon_head_bytes: unsealed samples and per-series head state.",
        static_cast<double>(st.head_run_bytes));
  gauge("gnomon_index_bytes", "Of gnomon_head_bytes: the series table and the label index.",
        static_cast<double>(st.index_bytes));
  gauge("gnomon_wal_bytes", "Size of the write-ahead log.", static_cast<double>(st.wal_bytes));
  gauge("gnomon_rocksdb_sst_bytes", "Size of RocksDB's live SST files.", static_cast<double>(st.disk_bytes));
  Header(&out, "gnomon_engine_samples_written_total", "counter", "Samples written to the engine since start.");
  fmt::format_to(it, "gnomon_engine_samples_written_total {}\n", st.samples_written);
  Header(&out, "gnomon_engine_chunks_written_total", "counter", "Chunks sealed since start.");
  fmt::format_to(it, "gnomon_engine_chunks_written_total {}\n", st.chunks_written);
  Header(&out, "gnomon_wal_write_errors_total", "counter",
         "Failed write-ahead log and RocksDB appends (disk full, I/O errors) since start.");
  fmt::format_to(it, "gnomon_wal_write_errors_total {}\n", st.wal_write_errors);
  Header(&out, "gnomon_wal_sync_errors_total", "counter", "Failed write-ahead log and RocksDB log syncs since start.");
  fmt::format_to(it, "gnomon_wal_sync_errors_total {}\n", st.wal_sync_errors);
  gauge("gnomon_storage_writable",
        "1 while the engine can make writes durable; 0 while appends or syncs fail (writes answer 507/503).",
        st.writable ? 1 : 0);
  Header(&out, "gnomon_compactions_total", "counter", "Compactions completed since start (periodic and requested).");
  fmt::format_to(it, "gnomon_compactions_total {}\n", st.compactions);
  Header(&out, "gnomon_compaction_errors_total", "counter", "Compactions that failed since start.");
  fmt::format_to(it, "gnomon_compaction_errors_total {}\n", st.compaction_errors);

  double rss, cpu, fds;
  ProcessStats(&rss, &cpu, &fds);
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", rss);
  Header(&out, "process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.");
  fmt::format_to(it, "process_cpu_seconds_total {}\n", cpu);
  gauge("process_open_fds", "Number of open file descriptors.", fds);
  gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds.",
        static_cast<double>(start_time_ms_) / 1000);
  for (const auto& collect : collectors_) collect(&out);
  Header(&out, "gnomon_build_info", "gauge", "Build information.");
  fmt::format_to(it, "gnomon_build_info{{version=\"{}\"}} 1\n", GNOMON_VERSION);
  return out;
}

}  // namespace gnomon::api
