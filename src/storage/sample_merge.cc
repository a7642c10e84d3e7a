#include "storage/sample_merge.h"

#include <algorithm>
#include <cstdint>

namespace gnomon::storage {

void SortDedupLastWins(std::vector<Sample>* samples) {
  auto& s = *samples;
  bool sorted_unique = true;
  for (size_t i = 1; i < s.size() && sorted_unique; ++i) sorted_unique = s[i - 1].timestamp < s[i].timestamp;
  if (sorted_unique) return;
  std::stable_sort(s.begin(), s.end(), [](const Sample& a, const Sample& b) { return a.timestamp < b.timestamp; });
  size_t out = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i + 1 < s.size() && s[i + 1].timestamp == s[i].timestamp) continue;  // a later one wins
    s[out++] = s[i];
  }
  s.resize(out);
}

void MergeRuns(std::span<const std::span<const Sample>> runs, std::vector<Sample>* out) {
  out->clear();
  size_t total = 0;
  bool in_order = true;  // each non-empty run starts after the previous one ends
  int64_t last = INT64_MIN;
  bool any = false;
  for (std::span<const Sample> run : runs) {
    total += run.size();
    if (run.empty()) continue;
    if (any && run.front().timestamp <= last) in_order = false;
    last = run.back().timestamp;
    any = true;
  }
  out->reserve(total);
  if (in_order) {
    for (std::span<const Sample> run : runs) out->insert(out->end(), run.begin(), run.end());
    return;
  }
  // A k-way merge that moves whole blocks: the run with the smallest head contributes every sample
  // below the next smallest head in one copy, so runs that barely overlap cost little more than a
  // concatenation, and any overlap costs O(n log k). On equal timestamps the later run (higher
  // priority) comes out of the heap first and the others' samples are dropped.
  struct Head {
    size_t run;
    size_t pos;
  };
  auto ts = [&runs](const Head& h) { return runs[h.run][h.pos].timestamp; };
  auto after = [&ts](const Head& a, const Head& b) { return ts(a) != ts(b) ? ts(a) > ts(b) : a.run < b.run; };
  std::vector<Head> heap;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!runs[i].empty()) heap.push_back({i, 0});
  }
  std::make_heap(heap.begin(), heap.end(), after);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), after);
    const Head h = heap.back();
    heap.pop_back();
    const std::span<const Sample> run = runs[h.run];
    size_t end = run.size();
    if (!heap.empty()) {
      const int64_t limit = ts(heap.front());
      end = static_cast<size_t>(std::lower_bound(run.begin() + static_cast<ptrdiff_t>(h.pos) + 1, run.end(), limit,
                                                 [](const Sample& s, int64_t t) { return s.timestamp < t; }) -
                                run.begin());
    }
    size_t from = h.pos;
    if (!out->empty() && out->back().timestamp == run[from].timestamp) ++from;  // a newer run had it
    out->insert(out->end(), run.begin() + static_cast<ptrdiff_t>(from), run.begin() + static_cast<ptrdiff_t>(end));
    if (end < run.size()) {
      heap.push_back({h.run, end});
      std::push_heap(heap.begin(), heap.end(), after);
    }
  }
}

}  // namespace gnomon::storage
