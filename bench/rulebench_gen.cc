// rulebench_gen: the data and the rule file of bench/rules_vs_prometheus.sh (issue 11's rule
// evaluation benchmark), written once and loaded identically into gnomond and Prometheus.
//
// Series: S services x I instances x 2 metrics, labels {__name__, env, instance, job, service}:
//   http_requests_total            a counter; each series has its own rate, 0.2-2.0 per second,
//                                   integer increments with +-20 % noise per step
//   process_resident_memory_bytes  a gauge; each series has its own level, 200 MB-1 GB, and
//                                   random-walks by up to 2 MB per step (multiples of 4 KiB)
// one sample every --interval seconds in [--start-ms, --end-ms]. Values come from a hash of the
// series and the step, so they do not depend on how the output is cut into requests.
//
// Output, in --out:
//   rw/req_NNNNNN.bin  remote_write request bodies (snappy block format of a protobuf
//                      WriteRequest): time slice k (--samples-per-series-per-request samples of
//                      every series) is cut into requests of --series-per-request series; files
//                      sort in time order, as Prometheus' receiver needs (it rejects a sample older
//                      than the series' newest, and anything older than its head's max time - 1 h).
//   rules.yml          --groups groups of 10 x services-per-group alerting rules: each service
//                      gets the same 10 realistic alert shapes (rate, sum/count/max by, ratios,
//                      *_over_time, deriv, predict_linear; 3 of 10 with `for:`), with label and
//                      annotation templates.
//
//   rulebench_gen --services 1000 --instances 50 --groups 100 --start-ms A --end-ms B --out DIR
#include <snappy.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <cxxopts.hpp>

#include "remote.pb.h"

namespace {

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) from (a, b).
double Unit(uint64_t a, uint64_t b) { return static_cast<double>(Mix(Mix(a) ^ b) >> 11) * 0x1.0p-53; }

struct Series {
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name, __name__ first
  bool counter = false;
  double rate = 0;   // counter: increase per second
  double value = 0;  // current value
  double level = 0;  // gauge: the level it walks around
  uint64_t seed = 0;
};

std::string RulesYaml(int services, int groups) {  // rules for services [0, services)
  const int per_group = services / groups;
  std::string y = "groups:\n";
  for (int g = 0; g < groups; ++g) {
    y += fmt::format("  - name: services-{:03d}\n    rules:\n", g);
    for (int k = 0; k < per_group; ++k) {
      const int s = g * per_group + k;
      const std::string sel = fmt::format("{{service=\"s{}\"}}", s);
      const std::string req = "http_requests_total" + sel;
      const std::string mem = "process_resident_memory_bytes" + sel;
      const std::string team = fmt::format("team-{}", s % 20);
      auto rule = [&](const std::string& name, const std::string& expr, const std::string& for_, const char* severity,
                      const std::string& summary) {
        y += fmt::format("      - alert: {}\n        expr: '{}'\n", name, expr);
        if (!for_.empty()) y += fmt::format("        for: {}\n", for_);
        y += fmt::format("        labels:\n          severity: {}\n          team: {}\n", severity, team);
        y += fmt::format("        annotations:\n          summary: '{}'\n", summary);
      };
      rule("HighRequestRate", fmt::format("rate({}[5m]) > 1.95", req), "1m", "warning",
           "{{ $labels.instance }} of {{ $labels.service }} serves {{ $value | humanize }} req/s");
      rule("ServiceTrafficHigh", fmt::format("sum by (service) (rate({}[5m])) > 62", req), "", "warning",
           "{{ $labels.service }}: {{ $value | printf \"%.1f\" }} req/s");
      rule("LowTraffic", fmt::format("increase({}[5m]) < 70", req), "", "warning",
           "{{ $labels.instance }}: only {{ $value | humanize }} requests in 5m");
      rule("HighMemory", fmt::format("{} > 9.8e8", mem), "5m", "page",
           "{{ $labels.instance }}: {{ $value | humanize1024 }}B resident");
      rule("MemoryGrowing", fmt::format("deriv({}[10m]) > 40000", mem), "", "warning",
           "{{ $labels.instance }} grows {{ $value | humanize1024 }}B/s");
      rule("MemoryHighAverage", fmt::format("avg_over_time({}[10m]) > 9.8e8", mem), "", "warning",
           "{{ $labels.instance }}: {{ $value | humanize1024 }}B on average");
      rule("RequestsPerGigabyte",
           fmt::format("sum by (instance) (rate({}[5m])) / sum by (instance) ({} / 1e9) > 8", req, mem), "", "warning",
           "{{ $labels.instance }}: {{ $value | printf \"%.2f\" }} req/s per GB");
      rule("ServiceMemoryMax", fmt::format("max by (service) ({}) > 9.9e8", mem), "", "page",
           "{{ $labels.service }}: {{ $value | humanize1024 }}B at most");
      rule("ManyHotInstances", fmt::format("count by (service) (rate({}[5m]) > 1.5) > 20", req), "", "warning",
           "{{ $labels.service }}: {{ $value }} hot instances");
      rule("MemoryWillFill", fmt::format("predict_linear({}[15m], 3600) > 1.1e9", mem), "10m", "page",
           "{{ $labels.instance }} fills in an hour ({{ $value | humanize1024 }}B)");
    }
  }
  return y;
}

}  // namespace

int main(int argc, char** argv) {
  cxxopts::Options cli("rulebench_gen", "data and rules for bench/rules_vs_prometheus.sh");
  // clang-format off
  cli.add_options()
      ("services", "services (10 alerting rules each)", cxxopts::value<int>()->default_value("1000"))
      ("instances", "instances per service (2 series each)", cxxopts::value<int>()->default_value("50"))
      ("groups", "rule groups (services are split evenly)", cxxopts::value<int>()->default_value("100"))
      ("rule-services", "services that get rules (default: all)", cxxopts::value<int>()->default_value("0"))
      ("interval", "seconds between samples", cxxopts::value<int>()->default_value("15"))
      ("start-ms", "first sample, ms since the epoch", cxxopts::value<int64_t>())
      ("end-ms", "last sample at or before, ms since the epoch", cxxopts::value<int64_t>())
      ("samples-per-series-per-request", "samples of each series in one request", cxxopts::value<int>()->default_value("20"))
      ("series-per-request", "series in one request", cxxopts::value<int>()->default_value("5000"))
      ("out", "output folder (created)", cxxopts::value<std::string>())
      ("h,help", "show this help");
  // clang-format on
  cxxopts::ParseResult args;
  try {
    args = cli.parse(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n{}", e.what(), cli.help());
    return 2;
  }
  if (args.count("help") || !args.count("out") || !args.count("start-ms") || !args.count("end-ms")) {
    fmt::print(args.count("help") ? stdout : stderr, "{}", cli.help());
    return args.count("help") ? 0 : 2;
  }
  const int services = args["services"].as<int>();
  const int instances = args["instances"].as<int>();
  const int groups = args["groups"].as<int>();
  const int rule_services = args["rule-services"].as<int>() > 0 ? args["rule-services"].as<int>() : services;
  const int interval_s = args["interval"].as<int>();
  const int64_t start_ms = args["start-ms"].as<int64_t>();
  const int64_t end_ms = args["end-ms"].as<int64_t>();
  const int per_request = args["samples-per-series-per-request"].as<int>();
  const int series_per_request = args["series-per-request"].as<int>();
  if (services <= 0 || instances <= 0 || groups <= 0 || rule_services > services || rule_services % groups != 0 ||
      interval_s <= 0 || end_ms < start_ms || per_request <= 0 || series_per_request <= 0) {
    fmt::print(stderr, "bad arguments: counts must be positive, --groups must divide --rule-services, end >= start\n");
    return 2;
  }
  const std::filesystem::path out_dir = args["out"].as<std::string>();
  std::error_code ec;
  std::filesystem::create_directories(out_dir / "rw", ec);
  if (ec) {
    fmt::print(stderr, "cannot create {}: {}\n", (out_dir / "rw").string(), ec.message());
    return 1;
  }

  std::vector<Series> series;
  series.reserve(static_cast<size_t>(services) * instances * 2);
  for (int s = 0; s < services; ++s) {
    for (int i = 0; i < instances; ++i) {
      const std::string instance = fmt::format("10.{}.{}.{}:8080", s / 250, s % 250, i);
      const std::string service = fmt::format("s{}", s);
      const std::string job = fmt::format("app-{}", s % 50);
      for (int m = 0; m < 2; ++m) {
        Series x;
        x.counter = m == 0;
        x.labels = {{"__name__", x.counter ? "http_requests_total" : "process_resident_memory_bytes"},
                    {"env", "prod"},
                    {"instance", instance},
                    {"job", job},
                    {"service", service}};
        x.seed = Mix(series.size() + 1);
        if (x.counter) {
          x.rate = 0.2 + 1.8 * Unit(x.seed, 1);
          x.value = std::floor(Unit(x.seed, 2) * 1e6);
        } else {
          x.level = std::floor((2e8 + 8e8 * Unit(x.seed, 1)) / 4096) * 4096;
          x.value = x.level;
        }
        series.push_back(std::move(x));
      }
    }
  }

  const int64_t step_ms = int64_t{interval_s} * 1000;
  const int64_t steps = (end_ms - start_ms) / step_ms + 1;
  size_t files = 0, total_samples = 0, raw_bytes = 0, snappy_bytes = 0;
  std::string raw, body;
  std::vector<std::vector<std::pair<int64_t, double>>> slice(series.size());
  for (int64_t first = 0; first < steps; first += per_request) {
    const int64_t last = std::min<int64_t>(steps, first + per_request);
    for (size_t k = 0; k < series.size(); ++k) {
      Series& x = series[k];
      slice[k].clear();
      for (int64_t step = first; step < last; ++step) {
        const double u = Unit(x.seed, static_cast<uint64_t>(step) + 16);
        if (x.counter) {
          x.value += std::round(x.rate * interval_s * (0.8 + 0.4 * u));
        } else {
          x.value += std::round((u - 0.5) * 2 * 2e6 / 4096) * 4096;
          x.value += std::round((x.level - x.value) * 0.02 / 4096) * 4096;  // drift back to the level
        }
        slice[k].push_back({start_ms + step * step_ms, x.value});
      }
    }
    for (size_t from = 0; from < series.size(); from += static_cast<size_t>(series_per_request)) {
      const size_t to = std::min(series.size(), from + static_cast<size_t>(series_per_request));
      gnomon::prompb::WriteRequest req;
      for (size_t k = from; k < to; ++k) {
        auto* ts = req.add_timeseries();
        for (const auto& [name, value] : series[k].labels) {
          auto* l = ts->add_labels();
          l->set_name(name);
          l->set_value(value);
        }
        for (const auto& [t, v] : slice[k]) {
          auto* sample = ts->add_samples();
          sample->set_timestamp(t);
          sample->set_value(v);
        }
        total_samples += slice[k].size();
      }
      raw.clear();
      body.clear();
      if (!req.SerializeToString(&raw)) {
        fmt::print(stderr, "cannot serialize a request\n");
        return 1;
      }
      snappy::Compress(raw.data(), raw.size(), &body);
      raw_bytes += raw.size();
      snappy_bytes += body.size();
      const std::filesystem::path path = out_dir / "rw" / fmt::format("req_{:06d}.bin", files++);
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(body.data(), static_cast<std::streamsize>(body.size()));
      if (!out) {
        fmt::print(stderr, "cannot write {}\n", path.string());
        return 1;
      }
    }
  }

  const std::string rules = RulesYaml(rule_services, groups);
  std::ofstream rf(out_dir / "rules.yml", std::ios::trunc);
  rf << rules;
  if (!rf) {
    fmt::print(stderr, "cannot write {}\n", (out_dir / "rules.yml").string());
    return 1;
  }
  fmt::print("series={} samples={} requests={} protobuf_mb={:.1f} snappy_mb={:.1f} groups={} rules={}\n", series.size(),
             total_samples, files, raw_bytes / 1e6, snappy_bytes / 1e6, groups, rule_services * 10);
  return 0;
}
