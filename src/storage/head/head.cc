#include "storage/head/head.h"

#include <algorithm>
#include <mutex>

namespace gnomon::storage {

int64_t Head::WindowOf(int64_t t) const {
  const int64_t w = options_.chunk_window_ms;
  int64_t q = t / w;
  if (t % w < 0) --q;  // floor division for timestamps before 1970
  return q;
}

void Head::Cover(uint64_t ref) {
  if (run_of_.size() >= ref) return;
  sealed_max_time_.resize(ref, INT64_MAX);  // first: readers check run_of_'s size
  run_of_.resize(ref, kNoRun);
}

Head::Run* Head::MutableRun(uint64_t ref) {
  Cover(ref);
  uint32_t& slot = run_of_[ref - 1];
  if (slot == kNoRun) {
    if (free_runs_.empty()) {
      slot = static_cast<uint32_t>(runs_.size());
      runs_.emplace_back();
    } else {
      slot = free_runs_.back();
      free_runs_.pop_back();
    }
  }
  return &runs_[slot];
}

void Head::ReleaseRun(uint64_t ref) {
  uint32_t& slot = run_of_[ref - 1];
  Run& run = runs_[slot];
  run.samples.Clear(/*release=*/true);  // an idle series keeps no buffer
  run.max_time = INT64_MIN;
  free_runs_.push_back(slot);
  slot = kNoRun;
}

size_t Head::Append(uint64_t ref, std::span<const Sample> samples, uint32_t segment) {
  std::unique_lock lock(mu_);
  return AppendLocked(ref, samples, segment);
}

void Head::AppendAll(std::span<const WalEntry> entries, uint32_t segment, std::vector<size_t>* cuts) {
  cuts->resize(entries.size());
  std::unique_lock lock(mu_);
  // Each series' slot, run and bytes are usually cache misses: ask for them a few series ahead.
  constexpr size_t kSlotAhead = 12, kRunAhead = 6, kBytesAhead = 3;
  auto run_of = [&](size_t i) -> const Run* {
    const uint64_t ref = entries[i].ref;
    if (ref == 0 || ref > run_of_.size() || run_of_[ref - 1] == kNoRun) return nullptr;
    return &runs_[run_of_[ref - 1]];
  };
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i + kSlotAhead < entries.size()) {
      const uint64_t ref = entries[i + kSlotAhead].ref;
      if (ref != 0 && ref <= run_of_.size()) __builtin_prefetch(&run_of_[ref - 1]);
    }
    if (i + kRunAhead < entries.size()) {
      if (const Run* r = run_of(i + kRunAhead)) __builtin_prefetch(r, 1);
    }
    if (i + kBytesAhead < entries.size()) {
      if (const Run* r = run_of(i + kBytesAhead)) r->samples.PrefetchTail();
    }
    (*cuts)[i] = AppendLocked(entries[i].ref, entries[i].samples, segment);
  }
}

size_t Head::AppendLocked(uint64_t ref, std::span<const Sample> samples, uint32_t segment) {
  Run* run = MutableRun(ref);
  if (run->samples.empty()) run->first_segment = segment;
  size_t cut = 0;
  for (const Sample& s : samples) {
    if (!run->samples.empty() && s.timestamp > run->max_time && WindowOf(s.timestamp) > WindowOf(run->max_time)) {
      cut = run->samples.size();  // everything before this sample belongs to older windows
    }
    run->samples.Append(s);
    run->max_time = std::max(run->max_time, s.timestamp);
  }
  num_samples_ += samples.size();
  if (run->samples.size() >= options_.max_samples_per_chunk) cut = run->samples.size();
  return cut;
}

void Head::CopyPrefix(uint64_t ref, size_t n, std::vector<Sample>* out) const {
  std::shared_lock lock(mu_);
  out->clear();
  if (ref == 0 || ref > run_of_.size() || run_of_[ref - 1] == kNoRun) return;
  runs_[run_of_[ref - 1]].samples.Decode(out, n);
}

void Head::MarkNew(uint64_t first, uint64_t n) {
  std::unique_lock lock(mu_);
  Cover(first + n - 1);
  std::fill_n(sealed_max_time_.begin() + static_cast<ptrdiff_t>(first - 1), n, INT64_MIN);
}

void Head::DropPrefix(uint64_t ref, size_t n, uint32_t segment) {
  std::unique_lock lock(mu_);
  if (ref == 0 || ref > run_of_.size() || run_of_[ref - 1] == kNoRun) return;
  Run& run = runs_[run_of_[ref - 1]];
  num_samples_ -= std::min(n, run.samples.size());
  if (int64_t& sealed = sealed_max_time_[ref - 1]; sealed != INT64_MAX) {
    // The sealed samples' newest timestamp: at most the run's newest (a later write of an older
    // timestamp may make it an overestimate, which only costs a reader a look).
    sealed = std::max(sealed, run.max_time);
  }
  if (n >= run.samples.size()) {
    ReleaseRun(ref);
    return;
  }
  std::vector<Sample> rest;
  run.samples.Decode(&rest);
  run.samples.Clear(/*release=*/false);
  run.first_segment = segment;
  run.max_time = INT64_MIN;
  for (size_t i = n; i < rest.size(); ++i) {
    run.samples.Append(rest[i]);
    run.max_time = std::max(run.max_time, rest[i].timestamp);
  }
}

bool Head::CopyRange(uint64_t ref, int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
  std::shared_lock lock(mu_);
  if (ref == 0 || ref > run_of_.size()) return true;  // existed at open, never appended to since
  const bool may_have_chunks = sealed_max_time_[ref - 1] >= mint;
  if (run_of_[ref - 1] == kNoRun) return may_have_chunks;
  const Run& run = runs_[run_of_[ref - 1]];
  if (run.samples.empty() || run.max_time < mint) return may_have_chunks;
  const size_t start = out->size();
  run.samples.Decode(out);
  auto kept = std::remove_if(out->begin() + static_cast<ptrdiff_t>(start), out->end(),
                             [&](const Sample& s) { return s.timestamp < mint || s.timestamp > maxt; });
  out->erase(kept, out->end());
  return may_have_chunks;
}

std::vector<std::pair<uint64_t, size_t>> Head::SeriesOlderThan(uint32_t segment) const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<uint64_t, size_t>> out;
  for (size_t i = 0; i < run_of_.size(); ++i) {  // in ref order: chunks are written in key order
    if (run_of_[i] == kNoRun) continue;
    const Run& run = runs_[run_of_[i]];
    if (!run.samples.empty() && (segment == UINT32_MAX || run.first_segment < segment)) {
      out.emplace_back(i + 1, run.samples.size());
    }
  }
  return out;
}

uint32_t Head::OldestSegment(uint32_t current) const {
  std::shared_lock lock(mu_);
  uint32_t oldest = current;
  for (const Run& run : runs_) {
    if (!run.samples.empty()) oldest = std::min(oldest, run.first_segment);
  }
  return oldest;
}

uint64_t Head::num_series_with_samples() const {
  std::shared_lock lock(mu_);
  uint64_t n = 0;
  for (const Run& run : runs_) n += run.samples.empty() ? 0 : 1;
  return n;
}

bool Head::TimeRange(int64_t* min_time, int64_t* max_time) const {
  std::shared_lock lock(mu_);
  bool any = false;
  std::vector<Sample> samples;
  for (const Run& run : runs_) {
    if (run.samples.empty()) continue;
    samples.clear();
    run.samples.Decode(&samples);  // arrival order: the earliest may be anywhere
    int64_t earliest = INT64_MAX;
    for (const Sample& s : samples) earliest = std::min(earliest, s.timestamp);
    *min_time = any ? std::min(*min_time, earliest) : earliest;
    *max_time = any ? std::max(*max_time, run.max_time) : run.max_time;
    any = true;
  }
  return any;
}

uint64_t Head::num_samples() const {
  std::shared_lock lock(mu_);
  return num_samples_;
}

uint64_t Head::memory_bytes() const {
  std::shared_lock lock(mu_);
  uint64_t bytes = run_of_.size() * sizeof(uint32_t) + sealed_max_time_.size() * sizeof(int64_t) +
                   runs_.size() * sizeof(Run) + free_runs_.capacity() * sizeof(uint32_t);
  for (const Run& run : runs_) bytes += run.samples.memory_bytes();
  return bytes;
}

}  // namespace gnomon::storage
