#include "storage/series_table.h"

#include <mutex>

#include "index/labels_util.h"

namespace gnomon::storage {

std::optional<uint64_t> SeriesTable::Find(std::string_view key) const {
  std::shared_lock lock(mu_);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

bool SeriesTable::FindAll(const WriteBatch& batch, std::vector<uint64_t>* refs) const {
  refs->assign(batch.num_entries(), 0);
  bool missing = false;
  std::shared_lock lock(mu_);
  for (size_t i = 0; i < batch.num_entries(); ++i) {
    if (const uint64_t given = batch.RefOf(i); given != 0) {
      (*refs)[i] = given;
    } else if (auto it = by_key_.find(batch.EncodedLabels(i)); it != by_key_.end()) {
      (*refs)[i] = it->second;
    } else {
      missing = true;
    }
  }
  return !missing;
}

void SeriesTable::Insert(uint64_t ref, std::string key) {
  std::unique_lock lock(mu_);
  InsertLocked(ref, std::move(key));
}

void SeriesTable::InsertAll(std::span<const std::pair<uint64_t, std::string_view>> series) {
  std::unique_lock lock(mu_);
  for (const auto& [ref, key] : series) InsertLocked(ref, std::string(key));
}

void SeriesTable::InsertLocked(uint64_t ref, std::string key) {
  while (keys_.size() + 1 < ref) {  // holes (refs never used) stay empty
    keys_.emplace_back();
    ++holes_;
  }
  bytes_ += key.capacity() + sizeof(std::string) + 48;  // + hash node, roughly
  keys_.push_back(std::move(key));
  by_key_.emplace(keys_.back(), ref);
}

std::string_view SeriesTable::EncodedLabels(uint64_t ref) const {
  std::shared_lock lock(mu_);
  if (ref == 0 || ref > keys_.size()) return {};
  return keys_[ref - 1];
}

Status SeriesTable::GetLabels(uint64_t ref, Labels* labels) const {
  std::string_view key = EncodedLabels(ref);
  if (key.empty()) return Status::NotFound("series ref " + std::to_string(ref));
  labels->clear();
  return index::DecodeLabels(key, labels);
}

uint64_t SeriesTable::FirstUnknown(const WriteBatch& batch) const {
  std::shared_lock lock(mu_);
  for (size_t i = 0; i < batch.num_entries(); ++i) {
    const uint64_t ref = batch.RefOf(i);
    if (ref != 0 && (ref > keys_.size() || (holes_ != 0 && keys_[ref - 1].empty()))) return ref;
  }
  return 0;
}

uint64_t SeriesTable::size() const {
  std::shared_lock lock(mu_);
  return by_key_.size();
}

uint64_t SeriesTable::memory_bytes() const {
  std::shared_lock lock(mu_);
  return bytes_ + by_key_.bucket_count() * sizeof(void*);
}

}  // namespace gnomon::storage
