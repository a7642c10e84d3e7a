#include "gnomon/write_batch.h"

namespace gnomon {

void WriteBatch::Add(const Labels& labels, int64_t timestamp_ms, double value) {
  if (entries_.empty() || entries_.back().labels != labels) {
    entries_.push_back({labels, samples_.size()});
  }
  samples_.push_back({timestamp_ms, value});
}

void WriteBatch::Add(const Labels& labels, std::span<const Sample> samples) {
  if (samples.empty()) return;
  if (entries_.empty() || entries_.back().labels != labels) {
    entries_.push_back({labels, samples_.size()});
  }
  samples_.insert(samples_.end(), samples.begin(), samples.end());
}

void WriteBatch::Clear() {
  entries_.clear();
  samples_.clear();
}

std::span<const Sample> WriteBatch::SamplesOf(size_t i) const {
  size_t begin = entries_[i].first_sample;
  size_t end = i + 1 < entries_.size() ? entries_[i + 1].first_sample : samples_.size();
  return std::span<const Sample>(samples_).subspan(begin, end - begin);
}

}  // namespace gnomon
