// storage_driver: the embedded-engine benchmark of issue 2 on the TSBS cpu-only shape
// (100 hosts x 10 fields x 24 h at 10 s = 8.64 M samples by default).
//
//   storage_driver [--hosts N] [--hours H] [--dir DIR] [--sync always|interval|never]
//                  [--chunk-window-hours H] [--head-series N]
//                  [--scrape-series N [--rounds R] [--pause-us U]]
//
// Prints one line per figure: ingest samples/s (one writer thread; batches of 10,000 lines, i.e.
// 100 samples for each of 1,000 series, each batch appended to the WAL before Write returns),
// bytes/sample on disk (du of the data dir after Flush and Compact), select of one series over
// 24 h (median of 200), full-scan decode samples/s, peak RSS, and head bytes per series with
// --head-series N active series.
//
// --scrape-series N is a scraper's write pattern instead: N series in targets of 1,000, each
// target's scrape one Write of 1,000 samples named by SeriesRef (the refs its first scrape got
// back), R rounds 5 s apart; prints the writer's CPU ns per sample (CLOCK_THREAD_CPUTIME_ID) over
// the rounds after the first. With N far beyond the caches this is the head's cache-miss cost.
// --pause-us U sleeps U us after each target's write, as a scrape thread sleeps between scrapes:
// the caches and address translations go cold in between, which is what a scraper really pays.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gnomon/db.h"
#include "tsbs_data.h"

using namespace gnomon;
using Clock = std::chrono::steady_clock;

namespace {

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

long PeakRssKb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

long CurrentRssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

void Die(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

int HeadMemory(int n_series, const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::unique_ptr<DB> db;
  Die(DB::Open(Options(), dir, &db), "open");
  long before = CurrentRssKb();
  const int samples_per_series = 10;
  for (int start = 0; start < n_series; start += 10000) {
    WriteBatch b;
    for (int i = start; i < std::min(n_series, start + 10000); ++i) {
      Labels l = {{"__name__", "node_cpu_seconds_total"}, {"instance", "host-" + std::to_string(i / 16) + ":9100"},
                  {"job", "node"}, {"cpu", std::to_string(i % 16)}, {"mode", "user"}};
      for (int k = 0; k < samples_per_series; ++k) b.Add(l, 1700000000000 + k * 15000, i + k);
    }
    Die(db->Write(b), "write");
  }
  long after = CurrentRssKb();
  Stats st = db->GetStats();
  const double open_chunk = samples_per_series * sizeof(Sample);
  std::printf("head_series=%d rss_per_series_bytes=%.0f head_bytes_per_series=%.0f open_chunk_bytes=%.0f "
              "beyond_open_chunk_bytes=%.0f\n",
              n_series, (after - before) * 1024.0 / n_series, double(st.head_bytes) / n_series, open_chunk,
              (after - before) * 1024.0 / n_series - open_chunk);
  return 0;
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int ScrapePattern(int n_series, int rounds, int pause_us, const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::unique_ptr<DB> db;
  Options options;
  options.sync_mode = SyncMode::kNever;
  Die(DB::Open(options, dir, &db), "open");
  constexpr int kPerTarget = 1000;
  const int targets = std::max(1, n_series / kPerTarget);
  std::vector<std::vector<SeriesRef>> refs(targets);
  const int64_t t0 = 1700000000000;
  WriteBatch b;
  for (int t = 0; t < targets; ++t) {  // the first scrape: by labels
    b.Clear();
    for (int i = 0; i < kPerTarget; ++i) {
      Labels l = {{"__name__", "bench_metric"}, {"instance", "127.0.0.1:" + std::to_string(20000 + t)},
                  {"job", "bench"}, {"series", "s" + std::to_string(i)}, {"group", "g" + std::to_string(i % 20)}};
      b.Add(l, t0, 1000.0 * t + 7 * i);
    }
    Die(db->Write(b, &refs[t]), "write");
  }
  const double c0 = ThreadCpuSeconds();
  auto w0 = Clock::now();
  for (int r = 1; r < rounds; ++r) {
    for (int t = 0; t < targets; ++t) {
      b.Clear();
      for (int i = 0; i < kPerTarget; ++i) b.Add(refs[t][i], t0 + r * 5000, 1000.0 * t + 7 * i + r * (i % 4));
      Die(db->Write(b), "write");
      if (pause_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    }
  }
  const double cpu = ThreadCpuSeconds() - c0, wall = Seconds(w0, Clock::now());
  const double samples = double(targets) * kPerTarget * (rounds - 1);
  std::printf("scrape_series=%d rounds=%d cpu_ns_per_sample=%.1f wall_ns_per_sample=%.1f peak_rss_mb=%.1f\n",
              targets * kPerTarget, rounds, cpu * 1e9 / samples, wall * 1e9 / samples, PeakRssKb() / 1024.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int hosts = 100;
  double hours = 24;
  int head_series = 0, scrape_series = 0, rounds = 24, pause_us = 0;
  std::string dir = "/tmp/gnomon-storage-bench";
  SyncMode sync = SyncMode::kInterval;
  int64_t chunk_window_ms = Options().chunk_window_ms;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--hosts") hosts = std::atoi(v.c_str());
    else if (a == "--hours") hours = std::atof(v.c_str());
    else if (a == "--dir") dir = v;
    else if (a == "--head-series") head_series = std::atoi(v.c_str());
    else if (a == "--scrape-series") scrape_series = std::atoi(v.c_str());
    else if (a == "--pause-us") pause_us = std::atoi(v.c_str());
    else if (a == "--rounds") rounds = std::max(2, std::atoi(v.c_str()));
    else if (a == "--chunk-window-hours") chunk_window_ms = static_cast<int64_t>(std::atof(v.c_str()) * 3600000);
    else if (a == "--sync") sync = v == "always" ? SyncMode::kAlways : v == "never" ? SyncMode::kNever : SyncMode::kInterval;
  }
  if (head_series > 0) return HeadMemory(head_series, dir);
  if (scrape_series > 0) return ScrapePattern(scrape_series, rounds, pause_us, dir);

  const int steps = static_cast<int>(hours * 360);
  auto data = bench::GenerateTsbs(hosts, steps);
  const uint64_t total = static_cast<uint64_t>(data.size()) * steps;

  // Batches of 10,000 lines: 100 time steps of every series when hosts = 100.
  const int steps_per_batch = std::max(1, 10000 / hosts);
  std::vector<WriteBatch> batches;
  for (int s0 = 0; s0 < steps; s0 += steps_per_batch) {
    WriteBatch b;
    int n = std::min(steps_per_batch, steps - s0);
    for (auto& series : data) b.Add(series.labels, std::span<const Sample>(series.samples).subspan(s0, n));
    batches.push_back(std::move(b));
  }

  std::filesystem::remove_all(dir);
  Options options;
  options.sync_mode = sync;
  options.chunk_window_ms = chunk_window_ms;
  std::unique_ptr<DB> db;
  Die(DB::Open(options, dir, &db), "open");
  auto t0 = Clock::now();
  for (auto& b : batches) Die(db->Write(b), "write");
  auto t1 = Clock::now();
  std::printf("samples=%llu series=%zu batches=%zu\n", (unsigned long long)total, data.size(), batches.size());
  std::printf("ingest_seconds=%.3f ingest_samples_per_sec=%.0f\n", Seconds(t0, t1), total / Seconds(t0, t1));
  batches.clear();

  auto t2 = Clock::now();
  Die(db->Flush(), "flush");
  Die(db->Compact(), "compact");
  auto t3 = Clock::now();
  db.reset();
  uint64_t bytes = DirBytes(dir);
  std::printf("flush_compact_seconds=%.3f disk_bytes=%llu bytes_per_sample=%.3f\n", Seconds(t2, t3),
              (unsigned long long)bytes, double(bytes) / total);

  Die(DB::Open(options, dir, &db), "reopen");
  const int64_t end = data[0].samples.back().timestamp, begin = data[0].samples.front().timestamp;
  std::vector<double> lat;
  size_t got = 0;
  for (int rep = 0; rep < 200; ++rep) {
    auto q0 = Clock::now();
    auto set = db->Select({Matcher::Equal("__name__", "cpu_usage_user"), Matcher::Equal("hostname", "host_7")}, begin, end);
    Die(set.status(), "select");
    got = 0;
    while ((*set)->Next()) {
      for (auto* it = (*set)->samples(); it->Next();) ++got;
    }
    lat.push_back(Seconds(q0, Clock::now()) * 1000);
  }
  std::sort(lat.begin(), lat.end());
  std::printf("select_one_series_24h_ms median=%.3f p90=%.3f samples=%zu\n", lat[lat.size() / 2], lat[lat.size() * 9 / 10], got);

  auto d0 = Clock::now();
  auto set = db->Select({Matcher::Regex("__name__", "cpu_.*")}, INT64_MIN, INT64_MAX);
  Die(set.status(), "select all");
  uint64_t n = 0;
  double sum = 0;
  while ((*set)->Next()) {
    for (auto* it = (*set)->samples(); it->Next(); ++n) sum += it->At().value;
  }
  auto d1 = Clock::now();
  std::printf("full_scan_samples=%llu full_scan_seconds=%.3f decode_samples_per_sec=%.0f (checksum %.0f)\n",
              (unsigned long long)n, Seconds(d0, d1), n / Seconds(d0, d1), sum);
  std::printf("peak_rss_mb=%.1f\n", PeakRssKb() / 1024.0);
  return n == total ? 0 : 1;
}
