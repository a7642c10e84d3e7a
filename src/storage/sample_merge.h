// Merging one series' samples from several sources into one time-ordered run.
//
// Sources are given lowest priority first (older chunks before newer ones, the head last); when
// two sources hold the same timestamp, the higher-priority (later written) sample wins. Within one
// source given in arrival order, SortDedupLastWins keeps the last sample of each timestamp.
#pragma once

#include <span>
#include <vector>

#include "gnomon/series.h"

namespace gnomon::storage {

// Stable-sorts by timestamp and keeps, for each timestamp, the sample that came last.
void SortDedupLastWins(std::vector<Sample>* samples);

// Merges sorted, duplicate-free runs (lowest priority first) into *out (cleared first; it must not
// alias a run). Runs already in time order are concatenated; otherwise a k-way merge copies
// non-overlapping stretches whole, so the cost follows the overlap: O(n log k) at worst.
void MergeRuns(std::span<const std::span<const Sample>> runs, std::vector<Sample>* out);

// Splits a sorted run into pieces that each fit in one aligned window of `window_ms` and hold at
// most `max_samples` samples; calls fn(span) for each piece in order.
template <typename Fn>
void SplitByWindow(std::span<const Sample> sorted, int64_t window_ms, size_t max_samples, Fn&& fn) {
  auto window_of = [window_ms](int64_t t) {
    int64_t q = t / window_ms;
    return (t % window_ms < 0) ? q - 1 : q;
  };
  size_t begin = 0;
  while (begin < sorted.size()) {
    const int64_t w = window_of(sorted[begin].timestamp);
    size_t end = begin + 1;
    while (end < sorted.size() && end - begin < max_samples && window_of(sorted[end].timestamp) == w) ++end;
    fn(sorted.subspan(begin, end - begin));
    begin = end;
  }
}

}  // namespace gnomon::storage
