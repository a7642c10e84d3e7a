// An in-process generator of the TSBS cpu-only dataset shape used by ../shared/peers/gen_cpu.py:
// H hosts with 10 tags each, 10 fields that random-walk by uniform(-1, 1) clamped to [0, 100]
// and rounded to 2 decimals, one point every 10 s. Values are produced by formatting with %.2f
// and parsing back, exactly as a line-protocol parser would see them.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gnomon/db.h"
#include "gnomon/series.h"

namespace gnomon::bench {

inline const char* const kFields[10] = {"usage_user",    "usage_system", "usage_idle",  "usage_nice",
                                        "usage_iowait",  "usage_irq",    "usage_softirq", "usage_steal",
                                        "usage_guest",   "usage_guest_nice"};

struct TsbsSeries {
  Labels labels;
  std::vector<Sample> samples;
};

// Series are ordered host-major (host 0's 10 fields, then host 1's, ...).
inline std::vector<TsbsSeries> GenerateTsbs(int hosts, int steps, int64_t end_ms = 1700000000000, uint64_t seed = 1) {
  static const char* regions[] = {"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1",
                                  "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"};
  static const char* oses[] = {"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"};
  static const char* teams[] = {"SF", "NYC", "LON", "CHI"};
  static const char* envs[] = {"production", "staging", "test"};
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  std::uniform_real_distribution<double> step(-1.0, 1.0), init(0.0, 100.0);
  std::vector<TsbsSeries> out;
  const int64_t start_ms = end_ms - static_cast<int64_t>(steps) * 10000;
  for (int h = 0; h < hosts; ++h) {
    std::string region = regions[pick(9)];
    Labels tags = {{"arch", pick(2) ? "x64" : "x86"},
                   {"datacenter", region + static_cast<char>('a' + pick(3))},
                   {"hostname", "host_" + std::to_string(h)},
                   {"os", oses[pick(3)]},
                   {"rack", std::to_string(pick(100))},
                   {"region", region},
                   {"service", std::to_string(pick(20))},
                   {"service_environment", envs[pick(3)]},
                   {"service_version", std::to_string(pick(2))},
                   {"team", teams[pick(4)]}};
    for (int f = 0; f < 10; ++f) {
      TsbsSeries s;
      s.labels.push_back({"__name__", std::string("cpu_") + kFields[f]});
      s.labels.insert(s.labels.end(), tags.begin(), tags.end());
      s.samples.reserve(static_cast<size_t>(steps));
      double v = init(rng);
      char buf[32];
      for (int i = 0; i < steps; ++i) {
        v += step(rng);
        v = v < 0 ? 0 : v > 100 ? 100 : v;
        std::snprintf(buf, sizeof buf, "%.2f", v);
        v = std::strtod(buf, nullptr);
        s.samples.push_back({start_ms + static_cast<int64_t>(i) * 10000, v});
      }
      out.push_back(std::move(s));
    }
  }
  return out;
}

// The dataset (hosts × steps, ending at end_ms) written and flushed into a DB in a temporary
// directory: opened on the first call, the same DB on later ones, removed at exit. For benchmark
// programs, which load one dataset each.
inline DB* TsbsDatabase(int hosts, int steps, int64_t end_ms) {
  static std::unique_ptr<DB> db;
  static std::string dir;
  if (db) return db.get();
  char tmpl[] = "/tmp/gnomon-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) std::abort();
  dir = tmpl;
  Options o;
  o.sync_mode = SyncMode::kNever;
  if (!DB::Open(o, dir, &db).ok()) std::abort();
  // Registered after Open, so it runs before RocksDB's own statics are destroyed.
  std::atexit([] {
    db.reset();
    std::filesystem::remove_all(dir);
  });
  WriteBatch b;
  for (const auto& s : GenerateTsbs(hosts, steps, end_ms)) b.Add(s.labels, s.samples);
  if (!db->Write(b).ok() || !db->Flush().ok()) std::abort();
  return db.get();
}

}  // namespace gnomon::bench
