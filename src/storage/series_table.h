// SeriesTable: the in-memory registry of every series, mapping a label set's canonical encoding
// to its reference (a dense u64 assigned at creation, starting at 1) and back.
//
// Compact at a million series and more: the encodings are packed one after another in large
// blocks (a length prefix each, no per-series allocation), a ref finds its encoding through an
// 8-byte location, and the way back is an open-addressing hash table of 8-byte slots (the ref and
// a tag of the hash, so a probe rarely reads an encoding that does not match). About 75 bytes a
// series with 50-byte label sets. Labels objects are built only when a read asks for them.
// Thread-safe: lookups share a lock, insertions are exclusive.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
  // Registers `ref` (which must be above every ref registered so far) for `key`.
  void Insert(uint64_t ref, std::string_view key);
  // Makes room for `n` series without growing (open knows how many there are).
  void Reserve(uint64_t n);
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
  // Where a ref's encoding starts: block index and offset; kNoBlock for a ref no series has.
  struct Location {
    uint32_t block;
    uint32_t offset;
  };
  static constexpr uint32_t kNoBlock = UINT32_MAX;
  static constexpr size_t kBlockBytes = 1 << 20;
  // A slot: 0 when empty, else the ref in the low kRefBits bits and the hash's top bits above.
  static constexpr int kRefBits = 40;
  static constexpr uint64_t kRefMask = (uint64_t{1} << kRefBits) - 1;

  void InsertLocked(uint64_t ref, std::string_view key);  // mu_ held exclusively
  std::string_view KeyLocked(uint64_t ref) const;
  // The slot holding `key`'s ref, or the empty slot where it would go.
  size_t Probe(std::string_view key, uint64_t hash) const;
  void Grow();                // doubles the slots
  void Rehash(size_t slots);  // re-places every ref in `slots` slots (a power of two)

  mutable std::shared_mutex mu_;
  std::vector<std::unique_ptr<char[]>> blocks_;  // encodings: varint length, then the bytes
  std::vector<size_t> block_sizes_;              // capacity of each block
  size_t block_used_ = 0;                        // bytes used in the last block
  std::vector<Location> locations_;              // index: ref - 1
  std::vector<uint64_t> slots_;                  // power-of-two size
  uint64_t count_ = 0;                           // series (refs with an encoding)
  uint64_t holes_ = 0;                           // refs below the largest that no series has
  uint64_t block_bytes_ = 0;
};

}  // namespace gnomon::storage
