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

void MergeRuns(std::span<const std::span<const Sample>> runs, std::vector<Sample>* out) {
  out->clear();
  size_t total = 0;
  for (std::span<const Sample> run : runs) total += run.size();
  out->reserve(total);
  std::vector<Sample> tail;
  for (std::span<const Sample> run : runs) {
    if (run.empty()) continue;
    if (out->empty() || run.front().timestamp > out->back().timestamp) {
      out->insert(out->end(), run.begin(), run.end());
      continue;
    }
    // Move out the part of *out that the run reaches into, then merge the two back; on equal
    // timestamps the run (newer) wins.
    auto from = std::lower_bound(out->begin(), out->end(), run.front().timestamp,
                                 [](const Sample& a, int64_t t) { return a.timestamp < t; });
    tail.assign(from, out->end());
    out->erase(from, out->end());
    size_t a = 0, b = 0;
    while (a < tail.size() && b < run.size()) {
      if (tail[a].timestamp < run[b].timestamp) {
        out->push_back(tail[a++]);
      } else {
        if (tail[a].timestamp == run[b].timestamp) ++a;
        out->push_back(run[b++]);
      }
    }
    out->insert(out->end(), tail.begin() + static_cast<ptrdiff_t>(a), tail.end());
    out->insert(out->end(), run.begin() + static_cast<ptrdiff_t>(b), run.end());
  }
}

}  // namespace gnomon::storage
