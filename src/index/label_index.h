// LabelIndex: the in-memory inverted index from label pairs to series, used to resolve matchers.
//
// It holds, for every label name and value, the sorted list of series references ("postings")
// that carry that pair, like the head index of Prometheus' tsdb. It is rebuilt on open from the
// series column family (see docs/format/keys.md) and kept current as series are created. Names
// are kept sorted; each name's values are hashed (ValueMap), and listings sort what they return.
// Thread-safe: lookups take a shared lock, Add and AddAll an exclusive one.
#pragma once

#include <cstdint>
#include <map>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/cardinality.h"
#include "gnomon/matcher.h"
#include "gnomon/series.h"
#include "gnomon/status.h"

namespace gnomon::index {

using SeriesRef = uint64_t;
using Postings = std::vector<SeriesRef>;  // sorted ascending, no duplicates

// One label's values and their postings (LabelIndex's own; here for its member's type): the
// entries in insertion order, found through an open-addressing hash of 8-byte slots (a tag of
// the hash and the entry's index), so an insertion of a new value touches one slot and appends
// one entry, with no node allocated. Iterating yields entries with members `value`, `postings`.
// Not thread-safe (LabelIndex locks).
class ValueMap {
 public:
  struct Entry {
    std::string value;
    Postings postings;
  };
  const Postings* Find(std::string_view value) const;
  // The postings of `value`, added empty if it is new (then *added is true).
  Postings& FindOrAdd(std::string_view value, bool* added);
  size_t size() const { return entries_.size(); }
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }

 private:
  size_t Probe(std::string_view value, uint64_t hash) const;  // its slot, or the empty one
  void Rehash(size_t slots);

  std::vector<Entry> entries_;
  std::vector<uint64_t> slots_;  // 0: empty; else the hash's top 32 bits, then entry index + 1
};

class LabelIndex {
 public:
  // Registers series `ref` with its (sorted) labels. Adding refs in increasing order is O(1) per
  // label; out-of-order refs are inserted in place.
  void Add(SeriesRef ref, const Labels& labels);
  // Registers many series under one lock (series creation in batches: concurrent selections
  // wait once, not once per series).
  void AddAll(std::span<const std::pair<SeriesRef, Labels>> series);
  // AddAll from canonical encodings (index::EncodeLabels), read in place: no Labels are built
  // (open loads a million series this way). Fails with Corruption on a malformed encoding; the
  // series before it are added.
  Status AddAllEncoded(std::span<const std::pair<SeriesRef, std::string_view>> series);

  // The series matching every matcher, with Prometheus semantics (absent label == ""). Fails with
  // InvalidArgument for a bad regular expression, or when every matcher matches the empty string
  // (such a selector would select every series: Prometheus refuses it too).
  Result<Postings> Select(const Matchers& matchers) const;

  // Like Select, but a selector whose matchers all match the empty string (or that has no
  // matchers) is allowed and starts from every series: {} selects all series, {job!="a"} every
  // series except those with job="a". For internal callers such as label listings with optional
  // filters; user-facing selectors should go through Select. Fails only for a bad regex.
  Result<Postings> SelectAllowEmpty(const Matchers& matchers) const;

  // Sorted distinct label names over the series in `refs` (all series when refs is null).
  std::vector<std::string> LabelNames(const Postings* refs) const;
  // Sorted distinct values of label `name` over the series in `refs` (all when null).
  std::vector<std::string> LabelValues(const std::string& name, const Postings* refs) const;

  // Fills num_series, num_label_pairs and the four top-`limit` lists of *out (Prometheus'
  // PostingsStats: a label's memory is the length of each of its values times its series).
  void Cardinality(size_t limit, CardinalityStats* out) const;

  // How many series carry name=value (0 if none).
  size_t NumSeriesWith(std::string_view name, std::string_view value) const;

  size_t num_series() const;
  // Approximate bytes of memory held.
  size_t memory_bytes() const;

 private:
  Result<Postings> SelectImpl(const Matchers& matchers, bool allow_all) const;
  void AddLocked(SeriesRef ref, const Labels& labels);  // mu_ held exclusively
  void AddPairLocked(SeriesRef ref, std::string_view name, std::string_view value);

  mutable std::shared_mutex mu_;
  // name -> value -> postings. Names (few) are kept sorted; values are hashed, as in Prometheus'
  // MemPostings: a million values of one label (pods) are inserted without walking a tree of
  // string compares, and listings sort what they return.
  std::map<std::string, ValueMap, std::less<>> postings_;
  Postings all_;
  size_t bytes_ = 0;
};

// Set operations on sorted postings lists.
Postings Intersect(const Postings& a, const Postings& b);
Postings Union(const Postings& a, const Postings& b);
Postings Subtract(const Postings& a, const Postings& b);  // a \ b

}  // namespace gnomon::index
