// PromQL engine benchmark, in process (no HTTP, no JSON): the three queries of issue 4's
// comparison with VictoriaMetrics on the reference TSBS cpu-only shape (100 hosts x 10 fields x
// 24 h at 10 s = 8.64 M samples, sealed into chunks), each with one thread and with the default
// parallelism (one thread per core). items_per_second is samples read per second.
//   build/promql_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "gnomon/db.h"
#include "query/promql/engine.h"
#include "tsbs_data.h"

namespace gnomon {
namespace {

constexpr int kHosts = 100;
constexpr int kSteps = 8640;
constexpr int64_t kEndMs = 1'700'000'000'000;
constexpr int64_t kStartMs = kEndMs - 86'400'000;

DB* Dataset() { return bench::TsbsDatabase(kHosts, kSteps, kEndMs); }

void RunRange(benchmark::State& state, const char* query, int64_t step_ms) {
  DB* db = Dataset();
  promql::QueryOptions o;
  o.parallelism = static_cast<unsigned>(state.range(0));
  uint64_t samples = 0;
  for (auto _ : state) {
    auto r = promql::EvalRange(db, query, kStartMs, kEndMs, step_ms, o);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    samples += r->samples_loaded;
    benchmark::DoNotOptimize(r->series.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples));
}

void BM_AvgByHostname(benchmark::State& state) {
  RunRange(state, "avg by (hostname) (cpu_usage_user)", 60'000);
}
void BM_MaxOverTimeAllFields(benchmark::State& state) {
  RunRange(state, "max by (hostname) (max_over_time({__name__=~\"cpu_usage_.*\"}[5m]))", 300'000);
}
void BM_RateAllFields(benchmark::State& state) {
  RunRange(state, "sum by (hostname) (rate({__name__=~\"cpu_usage_.*\"}[5m]))", 300'000);
}

// Arg: threads per query (0 = one per core).
BENCHMARK(BM_AvgByHostname)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MaxOverTimeAllFields)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RateAllFields)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace gnomon

BENCHMARK_MAIN();
