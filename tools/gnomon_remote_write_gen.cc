// gnomon_remote_write_gen: writes a TSBS cpu-only-shaped dataset as Prometheus remote_write
// request bodies (snappy block format of a protobuf WriteRequest), one file per request, for
// benchmarking remote_write ingest with shared/peers/load.py (which POSTs every file in a folder).
//
// The data has the shape of shared/peers/gen_cpu.py: H hosts with the tags hostname, region,
// datacenter, rack, os, arch, team, service, service_version, service_environment, and 10 fields
// (usage_user ... usage_guest_nice) that random-walk in [0,100] with 2 decimals, one point per
// host every --interval seconds for --hours hours ending at --end-ms. Field f of a host is the
// series __name__=cpu_<f> (the name line-protocol ingest gives it), labels sorted by name. The
// random numbers are not Python's, so the values differ from gen_cpu.py's; the shape does not.
//
// Request k holds, for every series, the samples of steps [k*N, (k+1)*N) with
// N = --samples-per-series-per-request. Files are named req_000000.bin, ... so that sorting them
// gives time order. With --verify every file is decoded again and the decode rate printed.
//
//   gnomon_remote_write_gen --hosts 100 --hours 24 --samples-per-series-per-request 10 --out DIR
#include <snappy.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <cxxopts.hpp>
#include <fmt/core.h>

#include "gnomon/write_batch.h"
#include "ingest/remote_write.h"
#include "remote.pb.h"

namespace {

constexpr std::array<const char*, 10> kFields = {"usage_user",   "usage_system", "usage_idle",    "usage_nice",
                                                 "usage_iowait", "usage_irq",    "usage_softirq", "usage_steal",
                                                 "usage_guest",  "usage_guest_nice"};
constexpr std::array<const char*, 9> kRegions = {"us-east-1",      "us-west-1",      "us-west-2",
                                                 "eu-west-1",      "eu-central-1",   "ap-southeast-1",
                                                 "ap-southeast-2", "ap-northeast-1", "sa-east-1"};
constexpr std::array<const char*, 3> kOs = {"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"};
constexpr std::array<const char*, 2> kArch = {"x64", "x86"};
constexpr std::array<const char*, 4> kTeam = {"SF", "NYC", "LON", "CHI"};
constexpr std::array<const char*, 3> kEnv = {"production", "staging", "test"};

struct Host {
  // (name, value) sorted by name, without __name__.
  std::vector<std::pair<std::string, std::string>> tags;
  std::array<double, kFields.size()> values;
};

template <size_t N>
const char* Pick(const std::array<const char*, N>& choices, std::mt19937_64& rng) {
  return choices[rng() % N];
}

std::vector<Host> MakeHosts(int count, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> start(0, 100);
  std::vector<Host> hosts;
  for (int h = 0; h < count; ++h) {
    Host host;
    std::string region = Pick(kRegions, rng);
    std::string datacenter = region + static_cast<char>('a' + rng() % 3);
    host.tags = {
        {"arch", Pick(kArch, rng)},
        {"datacenter", datacenter},
        {"hostname", "host_" + std::to_string(h)},
        {"os", Pick(kOs, rng)},
        {"rack", std::to_string(rng() % 100)},
        {"region", region},
        {"service", std::to_string(rng() % 20)},
        {"service_environment", Pick(kEnv, rng)},
        {"service_version", std::to_string(rng() % 2)},
        {"team", Pick(kTeam, rng)},
    };
    for (double& v : host.values) v = start(rng);
    hosts.push_back(std::move(host));
  }
  return hosts;
}

}  // namespace

int main(int argc, char** argv) {
  cxxopts::Options cli("gnomon_remote_write_gen", "TSBS cpu-only-shaped data as remote_write request bodies");
  cli.add_options()
      ("hosts", "number of hosts (10 series each)", cxxopts::value<int>()->default_value("100"))
      ("hours", "time span", cxxopts::value<double>()->default_value("24"))
      ("interval", "seconds between points", cxxopts::value<int>()->default_value("10"))
      ("end-ms", "end of the time span, ms since the epoch", cxxopts::value<int64_t>()->default_value("1700000000000"))
      ("samples-per-series-per-request", "samples of each series in one request", cxxopts::value<int>()->default_value("10"))
      ("seed", "random seed", cxxopts::value<uint64_t>()->default_value("1"))
      ("out", "output folder (created)", cxxopts::value<std::string>())
      ("verify", "decode every file again and print the decode rate")
      ("h,help", "show this help");
  cxxopts::ParseResult args;
  try {
    args = cli.parse(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n{}", e.what(), cli.help());
    return 2;
  }
  if (args.count("help") || !args.count("out")) {
    fmt::print(args.count("help") ? stdout : stderr, "{}", cli.help());
    return args.count("help") ? 0 : 2;
  }
  const int num_hosts = args["hosts"].as<int>();
  const double hours = args["hours"].as<double>();
  const int interval_s = args["interval"].as<int>();
  const int64_t end_ms = args["end-ms"].as<int64_t>();
  const int per_request = args["samples-per-series-per-request"].as<int>();
  const std::filesystem::path out_dir = args["out"].as<std::string>();
  if (num_hosts <= 0 || hours <= 0 || interval_s <= 0 || per_request <= 0) {
    fmt::print(stderr, "--hosts, --hours, --interval and --samples-per-series-per-request must be positive\n");
    return 2;
  }

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    fmt::print(stderr, "cannot create {}: {}\n", out_dir.string(), ec.message());
    return 1;
  }

  std::mt19937_64 rng(args["seed"].as<uint64_t>());
  std::vector<Host> hosts = MakeHosts(num_hosts, rng);
  std::uniform_real_distribution<double> step_dist(-1.0, 1.0);

  const int64_t steps = static_cast<int64_t>(hours * 3600) / interval_s;
  const int64_t start_ms = end_ms - steps * interval_s * int64_t{1000};
  const size_t num_series = hosts.size() * kFields.size();

  // The WriteRequest keeps its series and labels across requests; only the samples change.
  gnomon::prompb::WriteRequest req;
  for (const Host& host : hosts) {
    for (const char* field : kFields) {
      auto* ts = req.add_timeseries();
      auto* name = ts->add_labels();
      name->set_name("__name__");
      name->set_value(std::string("cpu_") + field);
      for (const auto& [k, v] : host.tags) {
        auto* l = ts->add_labels();
        l->set_name(k);
        l->set_value(v);
      }
    }
  }

  std::vector<std::string> files;
  size_t total_samples = 0;
  uint64_t raw_bytes = 0;
  uint64_t compressed_bytes = 0;
  std::string raw;
  std::string body;
  // samples[series][j]: generated in time order (all hosts at t, then t + interval), as TSBS does.
  std::vector<std::vector<std::pair<int64_t, double>>> samples(num_series);
  for (int64_t first = 0, file_no = 0; first < steps; first += per_request, ++file_no) {
    const int64_t last = std::min<int64_t>(steps, first + per_request);
    for (auto& s : samples) s.clear();
    for (int64_t step = first; step < last; ++step) {
      const int64_t t = start_ms + step * interval_s * int64_t{1000};
      for (size_t h = 0; h < hosts.size(); ++h) {
        for (size_t f = 0; f < kFields.size(); ++f) {
          double v = hosts[h].values[f] + step_dist(rng);
          v = v < 0 ? 0.0 : v > 100 ? 100.0 : v;
          hosts[h].values[f] = v;
          samples[h * kFields.size() + f].push_back({t, std::round(v * 100) / 100});
        }
      }
    }
    for (size_t i = 0; i < num_series; ++i) {
      auto* ts = req.mutable_timeseries(static_cast<int>(i));
      ts->clear_samples();
      for (const auto& [t, v] : samples[i]) {
        auto* s = ts->add_samples();
        s->set_timestamp(t);
        s->set_value(v);
      }
      total_samples += samples[i].size();
    }
    raw.clear();
    if (!req.SerializeToString(&raw)) {
      fmt::print(stderr, "cannot serialize request {}\n", file_no);
      return 1;
    }
    body.clear();
    snappy::Compress(raw.data(), raw.size(), &body);
    raw_bytes += raw.size();
    compressed_bytes += body.size();

    std::filesystem::path path = out_dir / fmt::format("req_{:06d}.bin", file_no);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    out.close();
    if (!out) {
      fmt::print(stderr, "cannot write {}\n", path.string());
      return 1;
    }
    files.push_back(path.string());
  }
  fmt::print("{} requests, {} series, {} samples; {:.1f} MB protobuf, {:.1f} MB snappy ({:.2f} B/sample) in {}\n",
             files.size(), num_series, total_samples, raw_bytes / 1e6, compressed_bytes / 1e6,
             total_samples ? static_cast<double>(compressed_bytes) / static_cast<double>(total_samples) : 0.0,
             out_dir.string());

  if (args.count("verify")) {
    // Read everything first so only decoding is timed.
    std::vector<std::string> bodies;
    for (const std::string& f : files) {
      std::ifstream in(f, std::ios::binary);
      bodies.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    gnomon::WriteBatch batch;
    size_t decoded = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < bodies.size(); ++i) {
      batch.Clear();
      auto r = gnomon::ingest::DecodeRemoteWrite(bodies[i], size_t{1} << 30, &batch);
      if (!r.ok()) {
        fmt::print(stderr, "{}: {}\n", files[i], r.status().ToString());
        return 1;
      }
      decoded += r->samples;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (decoded != total_samples) {
      fmt::print(stderr, "decoded {} samples, wrote {}\n", decoded, total_samples);
      return 1;
    }
    fmt::print("verify: decoded {} samples in {:.3f} s: {:.2f} M samples/s, {:.0f} MB/s of protobuf\n", decoded, secs,
               decoded / secs / 1e6, raw_bytes / secs / 1e6);
  }
  return 0;
}
