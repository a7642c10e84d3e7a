// Chunk codec benchmark on data shaped like the reference dataset (peers/gen_cpu.py): 2-decimal
// values random-walking by uniform(-1, 1) per step, clamped to [0, 100], 10 s interval, one day
// (8640 samples) per series, cut into 720-sample chunks.
//
// Reports encode/decode samples/s (items_per_second) per encoding, raw bytes/sample, and
// bytes/sample after zstd level 3 (whole concatenation, and per 16 KiB block as RocksDB does).
//   build/chunk_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "storage/chunk/chunk.h"

namespace gnomon::chunk {
namespace {

constexpr int kSeries = 100;
constexpr int kSamplesPerDay = 8640;
constexpr int kChunkSamples = 720;
constexpr int64_t kStartMs = 1'700'000'000'000 - int64_t{kSamplesPerDay} * 10'000;

// All chunks of the reference-shaped day, as sample runs.
const std::vector<std::vector<Sample>>& ReferenceChunks() {
  static const std::vector<std::vector<Sample>> chunks = [] {
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> start(0, 100), step(-1, 1);
    std::vector<std::vector<Sample>> out;
    for (int s = 0; s < kSeries; ++s) {
      double v = start(rng);
      std::vector<Sample> cur;
      for (int i = 0; i < kSamplesPerDay; ++i) {
        v += step(rng);
        v = v < 0 ? 0 : v > 100 ? 100 : v;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2f", v);  // exactly what a line-protocol parser yields
        cur.push_back({kStartMs + int64_t{i} * 10'000, std::strtod(buf, nullptr)});
        if (cur.size() == kChunkSamples) out.push_back(std::move(cur)), cur.clear();
      }
    }
    return out;
  }();
  return chunks;
}

int64_t TotalSamples() { return int64_t{kSeries} * kSamplesPerDay; }

std::vector<std::string> EncodeAll(Encoding enc) {
  std::vector<std::string> out;
  for (const auto& c : ReferenceChunks()) {
    std::string buf;
    if (!EncodeWith(enc, c, &buf)) std::abort();
    out.push_back(std::move(buf));
  }
  return out;
}

size_t Zstd(const std::string& data) {
  std::string dst(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(dst.data(), dst.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(n)) std::abort();
  return n;
}

void SizeCounters(benchmark::State& state, const std::vector<std::string>& chunks) {
  std::string all, block;
  size_t raw = 0, blocked = 0;
  for (const auto& c : chunks) {
    raw += c.size();
    all += c;
    block += c;
    if (block.size() >= 16 * 1024) blocked += Zstd(block), block.clear();
  }
  if (!block.empty()) blocked += Zstd(block);
  const double n = static_cast<double>(TotalSamples());
  state.counters["raw_B/sample"] = raw / n;
  state.counters["zstd_B/sample"] = Zstd(all) / n;
  state.counters["zstd16k_B/sample"] = blocked / n;
}

void BM_Encode(benchmark::State& state, Encoding enc) {
  const auto& chunks = ReferenceChunks();
  std::string buf;
  for (auto _ : state) {
    for (const auto& c : chunks) {
      EncodeWith(enc, c, &buf);
      benchmark::DoNotOptimize(buf.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * TotalSamples());
  SizeCounters(state, EncodeAll(enc));
}

void BM_EncodeAuto(benchmark::State& state) {
  const auto& chunks = ReferenceChunks();
  for (auto _ : state) {
    for (const auto& c : chunks) benchmark::DoNotOptimize(Encode(c));
  }
  state.SetItemsProcessed(state.iterations() * TotalSamples());
}

void BM_Decode(benchmark::State& state, Encoding enc) {
  const auto encoded = EncodeAll(enc);
  std::vector<Sample> out;
  out.reserve(kChunkSamples);
  for (auto _ : state) {
    for (const auto& c : encoded) {
      out.clear();
      if (!Decode(c, &out).ok()) std::abort();
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * TotalSamples());
}

void BM_ReadMeta(benchmark::State& state) {
  const auto encoded = EncodeAll(Encoding::kDecimal);
  ChunkMeta meta;
  for (auto _ : state) {
    for (const auto& c : encoded) benchmark::DoNotOptimize(ReadMeta(c, &meta).ok());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(encoded.size()));
}

BENCHMARK_CAPTURE(BM_Encode, decimal, Encoding::kDecimal)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, gorilla, Encoding::kGorilla)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeAuto)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, decimal, Encoding::kDecimal)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, gorilla, Encoding::kGorilla)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadMeta);

}  // namespace
}  // namespace gnomon::chunk

BENCHMARK_MAIN();
