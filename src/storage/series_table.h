// SeriesTable: the in-memory registry of every series, mapping a label set's canonical encoding
// to its reference (a dense u64 assigned at creation, starting at 1) and back.
//
// Each series costs one copy of its encoded labels plus a hash-table slot; Labels objects are
// built only when a read asks for them. Thread-safe: lookups share a lock, Insert is exclusive.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gnomon/series.h"
#include "gnomon/status.h"
#include "gnomon/write_batch.h"

namespace gnomon::storage {

class SeriesTable {
 public:
  // The ref of the series whose canonical encoding is `key`, if it exists.
  std::optional<uint64_t> Find(std::string_view key) const;
  // For each entry of `batch`: its ref (WriteBatch::RefOf, not checked here) or the ref of its
  // encoded labels, 0 where unknown; true if none is 0. One shared lock for the whole batch.
  bool FindAll(const WriteBatch& batch, std::vector<uint64_t>* refs) const;
  // Registers `ref` (which must be the next dense ref or any larger one) for `key`.
  void Insert(uint64_t ref, std::string key);
  // Insert for many series under one lock, in increasing ref order.
  void InsertAll(std::span<const std::pair<uint64_t, std::string_view>> series);
  // The encoded labels of `ref`, or an empty view if unknown. Views stay valid for the table's life.
  std::string_view EncodedLabels(uint64_t ref) const;
  Status GetLabels(uint64_t ref, Labels* labels) const;
  // The first reference `batch` names its series by (WriteBatch::RefOf) that is not in the table,
  // or 0 when all are known. One shared lock for the whole batch.
  uint64_t FirstUnknown(const WriteBatch& batch) const;

  uint64_t size() const;
  uint64_t memory_bytes() const;

 private:
  void InsertLocked(uint64_t ref, std::string key);  // mu_ held exclusively

  mutable std::shared_mutex mu_;
  std::deque<std::string> keys_;  // index ref - 1; deque: elements never move
  std::unordered_map<std::string_view, uint64_t> by_key_;
  uint64_t bytes_ = 0;
  uint64_t holes_ = 0;  // refs below the largest that no series has
};

}  // namespace gnomon::storage
