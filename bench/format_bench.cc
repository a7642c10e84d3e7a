// Number formatting for JSON responses: the general code (std::to_chars, and for Go's 'f' form
// to_chars' 'e' form reshuffled, as query_json.cc's AppendFloat does) against util/decimal_format's
// fast path with that fallback, and timestamp seconds by std::to_chars against WriteUint.
//
// Value sets (4096 values each, items_per_second counts values):
//   gauge    2-decimal random walk in [0, 100] (as chunk_bench: what a text protocol stores)
//   counter  integers growing by 0-1000
//   mixed    decimals of 1-6 digits, 0-4 of them fractional, magnitudes 1e-3 .. 1e6
//   random   uniform(0, 1) doubles: 16-17 digits, never short
//   bits     random bit patterns (any exponent, NaN and Inf included)
// Then timestamp seconds (to_chars, WriteUint, SortedUintWriter; and for a range query's repeated
// timestamps, caches of their text by timestamp) and a whole export line (ingest::AppendJsonLine
// against the to_chars loop it replaced).
//   build-fmt/format_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "ingest/json_lines.h"
#include "util/decimal_format.h"

namespace gnomon {
namespace {

constexpr int kValues = 4096;

std::vector<double> Gauge() {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> start(0, 100), step(-1, 1);
  std::vector<double> out;
  double v = start(rng);
  for (int i = 0; i < kValues; ++i) {
    v += step(rng);
    v = v < 0 ? 0 : v > 100 ? 100 : v;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    out.push_back(std::strtod(buf, nullptr));
  }
  return out;
}

std::vector<double> Counter() {
  std::mt19937_64 rng(2);
  std::vector<double> out;
  double v = 1e6;
  for (int i = 0; i < kValues; ++i) out.push_back(v += static_cast<double>(rng() % 1000));
  return out;
}

std::vector<double> Mixed() {
  std::mt19937_64 rng(3);
  std::vector<double> out;
  for (int i = 0; i < kValues; ++i) {
    int digits = 1 + static_cast<int>(rng() % 6);
    long m = static_cast<long>(rng() % static_cast<uint64_t>(std::pow(10, digits))) + 1;
    std::string s = std::to_string(m) + "e-" + std::to_string(rng() % 5);
    out.push_back(std::strtod(s.c_str(), nullptr) * std::pow(10, static_cast<int>(rng() % 4) - 1));
  }
  return out;
}

std::vector<double> Random() {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> out;
  for (int i = 0; i < kValues; ++i) out.push_back(u(rng));
  return out;
}

std::vector<double> Bits() {
  std::mt19937_64 rng(5);
  std::vector<double> out;
  for (int i = 0; i < kValues; ++i) out.push_back(std::bit_cast<double>(rng()));
  return out;
}

const std::vector<double>& Values(int set) {
  static const std::vector<double> sets[] = {Gauge(), Counter(), Mixed(), Random(), Bits()};
  return sets[set];
}

// The general Go 'f' -1 code of query_json.cc (AppendFloat with exponent_form).
char* OldGo(double v, char* out) {
  if (std::isnan(v)) return std::copy_n("NaN", 3, out);
  if (std::isinf(v)) return std::copy_n(v > 0 ? "+Inf" : "-Inf", 4, out);
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  double a = std::fabs(v);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) return std::copy(buf, r.ptr, out);
  const char* p = buf;
  if (*p == '-') *out++ = *p++;
  char digits[24];
  size_t n = 0;
  for (; *p != 'e'; ++p) {
    if (*p != '.') digits[n++] = *p;
  }
  ++p;
  int exp = 0;
  std::from_chars(*p == '+' ? p + 1 : p, r.ptr, exp);
  if (exp < 0) {
    *out++ = '0';
    *out++ = '.';
    out = std::fill_n(out, -exp - 1, '0');
    return std::copy_n(digits, n, out);
  }
  size_t int_digits = static_cast<size_t>(exp) + 1;
  if (n <= int_digits) return std::fill_n(std::copy_n(digits, n, out), int_digits - n, '0');
  out = std::copy_n(digits, int_digits, out);
  *out++ = '.';
  return std::copy_n(digits + int_digits, n - int_digits, out);
}

char* OldShortest(double v, char* out) { return std::to_chars(out, out + 40, v).ptr; }

template <char* (*Format)(double, char*)>
void BM_Old(benchmark::State& state, int set) {
  const auto& values = Values(set);
  std::string out(values.size() * 40, '\0');
  for (auto _ : state) {
    char* p = out.data();
    for (double v : values) p = Format(v, p);
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(values.size()));
}

template <char* (DecimalFormatter::*Try)(double, char*), char* (*Fallback)(double, char*)>
void BM_New(benchmark::State& state, int set) {
  const auto& values = Values(set);
  std::string out(values.size() * 40, '\0');
  for (auto _ : state) {
    DecimalFormatter f;
    char* p = out.data();
    for (double v : values) {
      char* end = (f.*Try)(v, p);
      p = end ? end : Fallback(v, p);
    }
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(values.size()));
}

void Register() {
  const char* names[] = {"gauge", "counter", "mixed", "random", "bits"};
  for (int set = 0; set < 5; ++set) {
    std::string n = names[set];
    benchmark::RegisterBenchmark(("GoFixed/old/" + n).c_str(), BM_Old<OldGo>, set);
    benchmark::RegisterBenchmark(("GoFixed/new/" + n).c_str(), BM_New<&DecimalFormatter::TryGoFixed, OldGo>, set);
  }
  for (int set = 0; set < 5; ++set) {
    std::string n = names[set];
    benchmark::RegisterBenchmark(("Shortest/old/" + n).c_str(), BM_Old<OldShortest>, set);
    benchmark::RegisterBenchmark(("Shortest/new/" + n).c_str(),
                                 BM_New<&DecimalFormatter::TryShortest, OldShortest>, set);
  }
}

// Seconds of a day of 15 s steps from 1700000000 (the part of a Prometheus timestamp that is
// not milliseconds).
std::vector<uint64_t> Seconds() {
  std::vector<uint64_t> out;
  for (int i = 0; i < 5760; ++i) out.push_back(1'700'000'000 + static_cast<uint64_t>(i) * 15);
  return out;
}

void BM_SecondsToChars(benchmark::State& state) {
  auto secs = Seconds();
  std::string out(secs.size() * 24, '\0');
  for (auto _ : state) {
    char* p = out.data();
    for (uint64_t s : secs) p = std::to_chars(p, p + 24, s).ptr;
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(secs.size()));
}
BENCHMARK(BM_SecondsToChars);

void BM_SecondsWriteUint(benchmark::State& state) {
  auto secs = Seconds();
  std::string out(secs.size() * 24, '\0');
  for (auto _ : state) {
    char* p = out.data();
    for (uint64_t s : secs) p = WriteUint(s, p);
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(secs.size()));
}
BENCHMARK(BM_SecondsWriteUint);

// As query_json's PointWriter: the digits above the last four formatted once, while they repeat.
void BM_SecondsSortedWriter(benchmark::State& state) {
  auto secs = Seconds();
  std::string out(secs.size() * 24 + kNumberBufferSize, '\0');
  for (auto _ : state) {
    SortedUintWriter<4> w;
    char* p = out.data();
    for (uint64_t s : secs) p = w.Write(s, p);
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(secs.size()));
}
BENCHMARK(BM_SecondsSortedWriter);

// A range query's timestamps: 100 series with points at the same 1440 steps of 60 s, written as
// seconds: std::to_chars, SortedUintWriter, and caches of the text by timestamp filled on first
// use (a hash map; a sorted list looked up in order, as query_json.cc does).
std::vector<int64_t> RangeTimestamps() {
  std::vector<int64_t> out;
  for (int s = 0; s < 100; ++s) {
    for (int i = 0; i < 1440; ++i) out.push_back(1'700'000'000'000 + int64_t{i} * 60'000);
  }
  return out;
}

template <typename Write>
void RunTimestamps(benchmark::State& state, Write write) {
  auto ts = RangeTimestamps();
  std::string out(ts.size() * 24 + kNumberBufferSize, '\0');
  for (auto _ : state) {
    char* p = out.data();
    for (int64_t t : ts) p = write(t, p);
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(ts.size()));
}

void BM_RangeTimestampsToChars(benchmark::State& state) {
  RunTimestamps(state, [](int64_t t, char* p) { return std::to_chars(p, p + 24, t / 1000).ptr; });
}
BENCHMARK(BM_RangeTimestampsToChars);

void BM_RangeTimestampsSortedWriter(benchmark::State& state) {
  SortedUintWriter<4> w;
  RunTimestamps(state, [&](int64_t t, char* p) { return w.Write(static_cast<uint64_t>(t) / 1000, p); });
}
BENCHMARK(BM_RangeTimestampsSortedWriter);

void BM_RangeTimestampsHashMap(benchmark::State& state) {
  std::unordered_map<int64_t, std::string> cache;
  RunTimestamps(state, [&](int64_t t, char* p) {
    auto [it, added] = cache.try_emplace(t);
    if (added) it->second = std::to_string(t / 1000);
    std::memcpy(p, it->second.data(), it->second.size());
    return p + it->second.size();
  });
}
BENCHMARK(BM_RangeTimestampsHashMap);

// As query_json's TimestampTexts: each series looks its timestamps up in order among those of the
// series before it (here: the first).
void BM_RangeTimestampsInOrder(benchmark::State& state) {
  struct Entry {
    int64_t t;
    uint32_t len;
    char text[kNumberBufferSize];
  };
  std::vector<Entry> known;
  size_t cursor = 0, n = 0;
  RunTimestamps(state, [&](int64_t t, char* p) {
    if (n++ % 1440 == 0) cursor = 0;  // a new series
    while (cursor < known.size() && known[cursor].t < t) ++cursor;
    if (cursor == known.size() || known[cursor].t != t) {
      Entry e{t, 0, {}};
      e.len = static_cast<uint32_t>(WriteUint(static_cast<uint64_t>(t) / 1000, e.text) - e.text);
      known.insert(known.begin() + static_cast<ptrdiff_t>(cursor), e);
    }
    std::memcpy(p, known[cursor].text, sizeof known[cursor].text);
    return p + known[cursor].len;
  });
}
BENCHMARK(BM_RangeTimestampsInOrder);

// One export line (ingest::AppendJsonLine) of the gauge values at 10 s steps, against the loop it
// replaced: std::to_chars and one append per number. items_per_second counts samples.
std::vector<Sample> GaugeSamples() {
  std::vector<Sample> out;
  for (double v : Values(0)) out.push_back(Sample{1'700'000'000'000 + static_cast<int64_t>(out.size()) * 10'000, v});
  return out;
}

void BM_ExportLineOld(benchmark::State& state) {
  auto samples = GaugeSamples();
  std::string out;
  for (auto _ : state) {
    out.clear();
    out.append("{\"metric\":{\"__name__\":\"m\"},\"values\":[");
    for (size_t i = 0; i < samples.size(); ++i) {
      if (i > 0) out.push_back(',');
      char buf[32];
      out.append(buf, std::to_chars(buf, buf + sizeof buf, samples[i].value).ptr);
    }
    out.append("],\"timestamps\":[");
    for (size_t i = 0; i < samples.size(); ++i) {
      if (i > 0) out.push_back(',');
      char buf[24];
      out.append(buf, std::to_chars(buf, buf + sizeof buf, samples[i].timestamp).ptr);
    }
    out.append("]}\n");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(samples.size()));
}
BENCHMARK(BM_ExportLineOld);

void BM_ExportLineNew(benchmark::State& state) {
  auto samples = GaugeSamples();
  std::string out;
  for (auto _ : state) {
    out.clear();
    ingest::AppendJsonLine({{"__name__", "m"}}, samples, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(samples.size()));
}
BENCHMARK(BM_ExportLineNew);

}  // namespace
}  // namespace gnomon

int main(int argc, char** argv) {
  gnomon::Register();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
