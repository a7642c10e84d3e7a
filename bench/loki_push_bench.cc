// Loki JSON push decoding (DecodeLokiPushJson) on a body shaped like gnomon-ship's: one stream per
// (service, level) with the labels {env, filename, host, level, service}, 10,000 entries
// ["<unix ns>", "<line>"] whose lines are ~190-byte JSON log lines (so their quotes arrive escaped).
//
// Reports items/s (log lines decoded per second) and bytes/s (of JSON body).
//   build/loki_push_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "logs/push/loki_push.h"

namespace gnomon::logs {
namespace {

constexpr const char* kServices[] = {"api", "auth", "billing"};
constexpr const char* kLevels[] = {"info", "info", "info", "info", "warn", "error", "debug"};
constexpr const char* kPaths[] = {"/api/v1/users", "/api/v1/orders", "/api/v1/invoices", "/login"};

// A push body of `lines` entries, built (and escaped) by nlohmann-json as gnomon-ship does.
std::string ShipperBody(int lines) {
  std::mt19937_64 rng(7);
  std::map<std::pair<std::string, std::string>, nlohmann::json> streams;
  const int64_t start_ns = 1'700'000'000'000'000'000;
  char buf[256];
  for (int i = 0; i < lines; ++i) {
    const char* service = kServices[rng() % std::size(kServices)];
    const char* level = kLevels[rng() % std::size(kLevels)];
    const int64_t ts = start_ns + int64_t{i} * 1'000'123;
    std::snprintf(buf, sizeof buf,
                  R"({"ts":"2023-11-14T22:13:%02d.%09dZ","level":"%s","service":"%s","msg":"GET %s/%d -> 200",)"
                  R"("trace_id":"%016llx%016llx","duration_ms":%d.%d,"user":"u-%d"})",
                  i / 1000 % 60, i % 1000 * 1'000'123, level, service, kPaths[rng() % std::size(kPaths)],
                  static_cast<int>(rng() % 100000), static_cast<unsigned long long>(rng()),
                  static_cast<unsigned long long>(rng()), static_cast<int>(rng() % 500), static_cast<int>(rng() % 10),
                  static_cast<int>(rng() % 10000));
    streams[{service, level}].push_back({std::to_string(ts), std::string(buf)});
  }
  nlohmann::json body;
  body["streams"] = nlohmann::json::array();
  for (auto& [key, values] : streams) {
    nlohmann::json labels = {{"env", "prod"},
                             {"host", "web-17.example.internal"},
                             {"filename", "/var/log/" + key.first + "/app.log"},
                             {"service", key.first},
                             {"level", key.second}};
    body["streams"].push_back({{"stream", std::move(labels)}, {"values", std::move(values)}});
  }
  return body.dump();
}

void BM_DecodeLokiPushJson(benchmark::State& state) {
  const std::string body = ShipperBody(static_cast<int>(state.range(0)));
  LogLimits limits;
  size_t lines = 0;
  for (auto _ : state) {
    Result<LogPushResult> r = DecodeLokiPushJson(body, limits);
    if (!r.ok()) {
      state.SkipWithError(r.status().message().c_str());
      break;
    }
    if (r->rejected != 0) {
      state.SkipWithError(r->rejections[0].reason.c_str());
      break;
    }
    lines += r->accepted;
    benchmark::DoNotOptimize(r->batch.streams.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(lines));
  state.counters["body_MB"] = static_cast<double>(body.size()) / 1e6;
}
BENCHMARK(BM_DecodeLokiPushJson)->Arg(10'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gnomon::logs

BENCHMARK_MAIN();
