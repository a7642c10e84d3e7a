#include "gnomon/write_batch.h"

#include <algorithm>

#include "index/labels_util.h"

namespace gnomon {

void WriteBatch::StartEntry(const Labels& labels) {
  bool canonical = true;
  for (size_t i = 0; i < labels.size() && canonical; ++i) {
    canonical = !labels[i].value.empty() && (i == 0 || labels[i - 1].name < labels[i].name);
  }
  const Labels* sorted = &labels;
  if (!canonical) {
    labels_scratch_ = labels;
    index::DropEmptyLabels(&labels_scratch_);
    std::stable_sort(labels_scratch_.begin(), labels_scratch_.end(),
                     [](const Label& a, const Label& b) { return a.name < b.name; });
    sorted = &labels_scratch_;
  }
  key_scratch_.clear();
  index::AppendEncodedLabels(*sorted, &key_scratch_);
  StartEncodedEntry(key_scratch_);
}

void WriteBatch::StartEncodedEntry(std::string_view encoded) {
  if (!entries_.empty() && entries_.back().ref == 0 && EncodedLabels(entries_.size() - 1) == encoded) {
    return;  // the same series as the last entry
  }
  entries_.push_back({keys_.size(), encoded.size(), samples_.size(), 0});
  keys_.append(encoded);
}

void WriteBatch::AddEncoded(std::string_view encoded_labels, std::span<const Sample> samples) {
  if (samples.empty()) return;
  StartEncodedEntry(encoded_labels);
  samples_.insert(samples_.end(), samples.begin(), samples.end());
}

void WriteBatch::Add(const Labels& labels, int64_t timestamp_ms, double value) {
  StartEntry(labels);
  samples_.push_back({timestamp_ms, value});
}

void WriteBatch::Add(const Labels& labels, std::span<const Sample> samples) {
  if (samples.empty()) return;
  StartEntry(labels);
  samples_.insert(samples_.end(), samples.begin(), samples.end());
}

void WriteBatch::Add(SeriesRef ref, int64_t timestamp_ms, double value) {
  if (entries_.empty() || entries_.back().ref != ref || ref == 0) {
    entries_.push_back({keys_.size(), 0, samples_.size(), ref});
  }
  samples_.push_back({timestamp_ms, value});
}

void WriteBatch::Clear() {
  keys_.clear();
  entries_.clear();
  samples_.clear();
}

std::span<const Sample> WriteBatch::SamplesOf(size_t i) const {
  size_t begin = entries_[i].first_sample;
  size_t end = i + 1 < entries_.size() ? entries_[i + 1].first_sample : samples_.size();
  return std::span<const Sample>(samples_).subspan(begin, end - begin);
}

}  // namespace gnomon
