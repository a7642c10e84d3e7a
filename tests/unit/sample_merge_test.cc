// Sample merge tests: MergeRuns and SortDedupLastWins against a plain reference (a map where the
// later write of a timestamp wins), on hand-made cases and on random overlapping runs.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <vector>

#include "storage/sample_merge.h"

namespace gnomon::storage {
namespace {

std::vector<Sample> Reference(const std::vector<std::vector<Sample>>& runs) {
  std::map<int64_t, double> m;
  for (const auto& run : runs)
    for (const Sample& s : run) m[s.timestamp] = s.value;
  std::vector<Sample> out;
  for (const auto& [t, v] : m) out.push_back({t, v});
  return out;
}

std::vector<Sample> Merge(const std::vector<std::vector<Sample>>& runs) {
  std::vector<std::span<const Sample>> spans(runs.begin(), runs.end());
  std::vector<Sample> out = {{1, 1}};  // MergeRuns clears it
  MergeRuns(spans, &out);
  return out;
}

bool Same(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].timestamp != b[i].timestamp || a[i].value != b[i].value) return false;
  return true;
}

TEST_CASE("MergeRuns: disjoint runs are concatenated, empty runs ignored") {
  const std::vector<std::vector<Sample>> runs = {{{1, 1}, {2, 2}}, {}, {{5, 5}}, {{7, 7}, {9, 9}}};
  CHECK(Same(Merge(runs), Reference(runs)));
  CHECK(Merge({}).empty());
}

TEST_CASE("MergeRuns: the later run wins a shared timestamp, wherever it falls") {
  const std::vector<std::vector<Sample>> runs = {{{1, 1}, {3, 3}, {5, 5}, {7, 7}}, {{3, 30}, {4, 40}}, {{0, 0}, {7, 70}}};
  const std::vector<Sample> want = {{0, 0}, {1, 1}, {3, 30}, {4, 40}, {5, 5}, {7, 70}};
  CHECK(Same(Merge(runs), want));
}

TEST_CASE("MergeRuns: a late run that lies before everything merged so far") {
  const std::vector<std::vector<Sample>> runs = {{{10, 1}, {20, 2}}, {{1, 9}, {2, 8}}};
  const std::vector<Sample> want = {{1, 9}, {2, 8}, {10, 1}, {20, 2}};
  CHECK(Same(Merge(runs), want));
}

TEST_CASE("MergeRuns: random overlapping runs match the reference") {
  std::mt19937_64 rng(42);
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<std::vector<Sample>> runs(1 + rng() % 8);
    for (auto& run : runs) {
      std::map<int64_t, double> m;  // sorted, unique timestamps
      const int64_t base = static_cast<int64_t>(rng() % 200) - 50;
      const size_t n = rng() % 40;
      for (size_t i = 0; i < n; ++i) m[base + static_cast<int64_t>(rng() % 100)] = static_cast<double>(rng() % 1000);
      for (const auto& [t, v] : m) run.push_back({t, v});
    }
    REQUIRE(Same(Merge(runs), Reference(runs)));
  }
}

TEST_CASE("MergeRuns: many runs that each reach back to the start (backfill in every chunk)") {
  std::vector<std::vector<Sample>> runs;
  for (int r = 0; r < 50; ++r) {
    std::vector<Sample> run = {{-r - 1, static_cast<double>(r)}};
    for (int i = 0; i < 1000; ++i) run.push_back({r * 1000 + i, static_cast<double>(i)});
    runs.push_back(std::move(run));
  }
  const std::vector<Sample> merged = Merge(runs);
  CHECK(merged.size() == 50 * 1001);
  CHECK(Same(merged, Reference(runs)));
}

TEST_CASE("SortDedupLastWins keeps the last sample written for each timestamp") {
  std::vector<Sample> s = {{5, 1}, {3, 1}, {5, 2}, {1, 1}, {3, 9}};
  SortDedupLastWins(&s);
  const std::vector<Sample> want = {{1, 1}, {3, 9}, {5, 2}};
  CHECK(Same(s, want));
}

}  // namespace
}  // namespace gnomon::storage
