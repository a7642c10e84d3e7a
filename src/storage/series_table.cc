#include "storage/series_table.h"

#include <cstring>
#include <functional>
#include <mutex>

#include "index/labels_util.h"
#include "util/coding.h"

namespace gnomon::storage {

namespace {

uint64_t HashOf(std::string_view key) { return std::hash<std::string_view>{}(key); }

// The slot's tag: the hash's bits above the ref, never all zero together with a ref (refs start at 1).
uint64_t TagOf(uint64_t hash, int ref_bits) { return hash >> ref_bits << ref_bits; }

}  // namespace

std::string_view SeriesTable::KeyLocked(uint64_t ref) const {
  if (ref == 0 || ref > locations_.size()) return {};
  const Location loc = locations_[ref - 1];
  if (loc.block == kNoBlock) return {};
  const char* block = blocks_[loc.block].get();
  uint64_t len = 0;
  const char* p = GetVarint64(block + loc.offset, block + block_sizes_[loc.block], &len);  // written by Insert
  return {p, len};
}

size_t SeriesTable::Probe(std::string_view key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  const uint64_t tag = TagOf(hash, kRefBits);
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == 0) return i;
    if ((slot & ~kRefMask) == tag && KeyLocked(slot & kRefMask) == key) return i;
  }
}

std::optional<uint64_t> SeriesTable::Find(std::string_view key) const {
  std::shared_lock lock(mu_);
  if (slots_.empty()) return std::nullopt;
  const uint64_t slot = slots_[Probe(key, HashOf(key))];
  if (slot == 0) return std::nullopt;
  return slot & kRefMask;
}

bool SeriesTable::FindAll(const WriteBatch& batch, std::vector<uint64_t>* refs) const {
  refs->assign(batch.num_entries(), 0);
  bool missing = false;
  std::shared_lock lock(mu_);
  for (size_t i = 0; i < batch.num_entries(); ++i) {
    if (const uint64_t given = batch.RefOf(i); given != 0) {
      (*refs)[i] = given;
      continue;
    }
    const std::string_view key = batch.EncodedLabels(i);
    const uint64_t slot = slots_.empty() ? 0 : slots_[Probe(key, HashOf(key))];
    (*refs)[i] = slot & kRefMask;
    missing |= slot == 0;
  }
  return !missing;
}

void SeriesTable::Insert(uint64_t ref, std::string_view key) {
  std::unique_lock lock(mu_);
  InsertLocked(ref, key);
}

void SeriesTable::InsertAll(std::span<const std::pair<uint64_t, std::string_view>> series) {
  std::unique_lock lock(mu_);
  for (const auto& [ref, key] : series) InsertLocked(ref, key);
}

void SeriesTable::InsertLocked(uint64_t ref, std::string_view key) {
  if (ref == 0 || ref > kRefMask || ref <= locations_.size()) return;  // not a new ref: ignored
  // The encoding, with its length, at the end of the last block (or in a new one).
  const size_t need = key.size() + kMaxVarint64Bytes;
  if (blocks_.empty() || block_used_ + need > block_sizes_.back()) {
    const size_t size = std::max(kBlockBytes, need);
    blocks_.push_back(std::make_unique<char[]>(size));
    block_sizes_.push_back(size);
    block_bytes_ += size;
    block_used_ = 0;
  }
  char* p = blocks_.back().get() + block_used_;
  const size_t prefix = EncodeVarint64(p, key.size()) - p;
  std::memcpy(p + prefix, key.data(), key.size());
  while (locations_.size() + 1 < ref) {  // holes (refs never used) stay empty
    locations_.push_back({kNoBlock, 0});
    ++holes_;
  }
  locations_.push_back({static_cast<uint32_t>(blocks_.size() - 1), static_cast<uint32_t>(block_used_)});
  block_used_ += prefix + key.size();
  // The slot, at most 3/4 of them used.
  if ((count_ + 1) * 4 > slots_.size() * 3) Grow();
  const uint64_t hash = HashOf(key);
  const size_t i = Probe(key, hash);
  if (slots_[i] == 0) {
    slots_[i] = TagOf(hash, kRefBits) | ref;
    ++count_;
  }
}

void SeriesTable::Reserve(uint64_t n) {
  std::unique_lock lock(mu_);
  locations_.reserve(n);
  size_t slots = 1024;
  while (slots * 3 < n * 4) slots *= 2;
  if (slots > slots_.size()) Rehash(slots);
}

void SeriesTable::Grow() { Rehash(slots_.empty() ? 1024 : slots_.size() * 2); }

void SeriesTable::Rehash(size_t slots) {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(slots, 0);
  const size_t mask = slots_.size() - 1;
  for (uint64_t slot : old) {
    if (slot == 0) continue;
    size_t i = HashOf(KeyLocked(slot & kRefMask)) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

std::string_view SeriesTable::EncodedLabels(uint64_t ref) const {
  std::shared_lock lock(mu_);
  return KeyLocked(ref);
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
    if (ref != 0 && (ref > locations_.size() || (holes_ != 0 && locations_[ref - 1].block == kNoBlock))) return ref;
  }
  return 0;
}

uint64_t SeriesTable::size() const {
  std::shared_lock lock(mu_);
  return count_;
}

uint64_t SeriesTable::memory_bytes() const {
  std::shared_lock lock(mu_);
  return block_bytes_ + locations_.capacity() * sizeof(Location) + slots_.capacity() * sizeof(uint64_t);
}

}  // namespace gnomon::storage
