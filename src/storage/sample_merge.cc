#include "storage/sample_merge.h"

#include <algorithm>

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

void MergeRuns(std::span<const std::vector<Sample>* const> runs, std::vector<Sample>* out) {
  out->clear();
  // Fast path: each non-empty run starts after the previous one ends (the common case of
  // in-order data sealed into consecutive chunks).
  bool disjoint = true;
  int64_t last = INT64_MIN;
  bool any = false;
  size_t total = 0;
  for (const auto* run : runs) {
    if (run->empty()) continue;
    if (any && run->front().timestamp <= last) disjoint = false;
    last = run->back().timestamp;
    any = true;
    total += run->size();
  }
  out->reserve(total);
  for (const auto* run : runs) out->insert(out->end(), run->begin(), run->end());
  if (disjoint) return;
  SortDedupLastWins(out);  // stable: higher-priority runs were appended later
}

}  // namespace gnomon::storage
