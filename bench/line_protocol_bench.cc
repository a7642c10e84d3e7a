// Line protocol parser benchmark on input shaped like the reference dataset (peers/gen_cpu.py):
// `cpu` with 10 tags and 10 two-decimal float fields per line, one line per host every 10 s,
// nanosecond timestamps, all hosts at t before t+10s. ~50k lines (~18 MB) per body.
//
// Reports bytes/s (MB/s of line protocol) and items/s (samples/s) of ParseLineProtocol, including
// handing the grouped series to a WriteBatch.
//   build/line_protocol_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "ingest/line_protocol.h"

namespace gnomon::ingest {
namespace {

constexpr const char* kFields[] = {"usage_user",   "usage_system",  "usage_idle", "usage_nice",
                                   "usage_iowait", "usage_irq",     "usage_softirq", "usage_steal",
                                   "usage_guest",  "usage_guest_nice"};
constexpr const char* kRegions[] = {"us-east-1",      "us-west-1",      "us-west-2",
                                    "eu-west-1",      "eu-central-1",   "ap-southeast-1",
                                    "ap-southeast-2", "ap-northeast-1", "sa-east-1"};
constexpr const char* kOs[] = {"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"};
constexpr const char* kArch[] = {"x64", "x86"};
constexpr const char* kTeam[] = {"SF", "NYC", "LON", "CHI"};
constexpr const char* kEnv[] = {"production", "staging", "test"};

// `steps` rounds of one line per host, like gen_cpu.py --hosts hosts.
std::string GenerateCpu(int hosts, int steps) {
  std::mt19937_64 rng(1);
  auto pick = [&](auto& arr) { return arr[rng() % std::size(arr)]; };
  std::uniform_real_distribution<double> start(0, 100), step(-1, 1);
  std::vector<std::string> prefixes;
  std::vector<std::vector<double>> values;
  for (int h = 0; h < hosts; ++h) {
    const std::string region = pick(kRegions);
    prefixes.push_back("cpu,hostname=host_" + std::to_string(h) + ",region=" + region + ",datacenter=" + region +
                       static_cast<char>('a' + rng() % 3) + ",rack=" + std::to_string(rng() % 100) +
                       ",os=" + pick(kOs) + ",arch=" + pick(kArch) + ",team=" + pick(kTeam) +
                       ",service=" + std::to_string(rng() % 20) + ",service_version=" + std::to_string(rng() % 2) +
                       ",service_environment=" + pick(kEnv) + " ");
    std::vector<double> v;
    for (size_t f = 0; f < std::size(kFields); ++f) v.push_back(start(rng));
    values.push_back(std::move(v));
  }
  const int64_t start_ms = 1'700'000'000'000 - int64_t{steps} * 10'000;
  std::string out;
  char buf[64];
  for (int s = 0; s < steps; ++s) {
    const std::string ts = " " + std::to_string((start_ms + int64_t{s} * 10'000) * 1'000'000) + "\n";
    for (int h = 0; h < hosts; ++h) {
      out += prefixes[h];
      for (size_t f = 0; f < std::size(kFields); ++f) {
        double& v = values[h][f];
        v += step(rng);
        v = v < 0 ? 0 : v > 100 ? 100 : v;
        std::snprintf(buf, sizeof buf, "%s%s=%.2f", f == 0 ? "" : ",", kFields[f], v);
        out += buf;
      }
      out += ts;
    }
  }
  return out;
}

// Parses `body` once per iteration into a fresh batch; reports bytes and samples per second.
void ParseEachIteration(benchmark::State& state, const std::string& body) {
  LineProtocolOptions options;
  WriteBatch batch;
  size_t samples = 0;
  for (auto _ : state) {
    batch.Clear();
    LineProtocolResult r = ParseLineProtocol(body, options, &batch);
    if (r.rejected_lines != 0) state.SkipWithError(r.errors[0].reason.c_str());
    samples += r.samples;
    benchmark::DoNotOptimize(batch.num_samples());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.counters["body_MB"] = static_cast<double>(body.size()) / 1e6;
}

void BM_ParseCpu(benchmark::State& state) {
  const int hosts = static_cast<int>(state.range(0));
  ParseEachIteration(state, GenerateCpu(hosts, 50'000 / hosts));
}
BENCHMARK(BM_ParseCpu)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// The same body cut into 1 MB requests (each its own parse: new series maps every time), as the
// HTTP handler sees a stream of moderate bodies.
void BM_ParseCpuInRequests(benchmark::State& state) {
  const std::string body = GenerateCpu(100, 500);
  std::vector<std::string_view> requests;
  for (size_t pos = 0; pos < body.size();) {
    size_t end = std::min(body.size(), pos + (1 << 20));
    end = body.find('\n', end == body.size() ? end - 1 : end);
    end = end == std::string::npos ? body.size() : end + 1;
    requests.emplace_back(body.data() + pos, end - pos);
    pos = end;
  }
  LineProtocolOptions options;
  WriteBatch batch;
  size_t samples = 0;
  for (auto _ : state) {
    for (std::string_view req : requests) {
      batch.Clear();
      samples += ParseLineProtocol(req, options, &batch).samples;
    }
    benchmark::DoNotOptimize(batch.num_samples());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(samples));
}
BENCHMARK(BM_ParseCpuInRequests)->Unit(benchmark::kMillisecond);

// Every line a series of its own (bench/cardinality_vs_vm.sh's shape: `req,service=svc-S,pod=pod-S-P
// count=V T`, 10,000 lines a body): the parser's cost of a series it has not seen in this body.
void BM_ParseDistinctSeries(benchmark::State& state) {
  std::string body;
  for (int s = 0; s < 10; ++s) {
    for (int p = 0; p < 1000; ++p) {
      body += "req,service=svc-" + std::to_string(s) + ",pod=pod-" + std::to_string(s) + "-" + std::to_string(p) +
              " count=" + std::to_string((s * 7 + p) % 1000) + " 1700000000000000000\n";
    }
  }
  ParseEachIteration(state, body);
}
BENCHMARK(BM_ParseDistinctSeries)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gnomon::ingest

BENCHMARK_MAIN();
