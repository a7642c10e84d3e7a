#include "index/label_index.h"

#include <algorithm>
#include <mutex>

#include "index/labels_util.h"
#include "index/matcher_eval.h"

namespace gnomon::index {

namespace {

// Rough costs, used by memory_bytes(): a std::map node of a name (tree links, key, mapped
// object); a value's ValueMap entry and its share of the slots.
constexpr size_t kNameNodeBytes = 48 + sizeof(std::string) + sizeof(ValueMap);
constexpr size_t kValueNodeBytes = sizeof(ValueMap::Entry) + 2 * sizeof(uint64_t);  // entry and ~2 slots
// A list at least this many times longer than the other is searched, not merged.
constexpr size_t kGallopRatio = 32;

size_t StringHeapBytes(const std::string& s) {
  return s.size() > 15 ? s.capacity() + 1 : 0;  // beyond libstdc++'s small-string buffer
}

// Inserts ref into sorted p (no-op if present); returns the growth in bytes.
size_t InsertSorted(Postings* p, SeriesRef ref) {
  const size_t cap = p->capacity();
  if (p->empty() || p->back() < ref) {
    p->push_back(ref);
  } else {
    auto it = std::lower_bound(p->begin(), p->end(), ref);
    if (*it != ref) p->insert(it, ref);
  }
  return (p->capacity() - cap) * sizeof(SeriesRef);
}

// Whether sorted a and b share an element.
bool Intersects(const Postings& a, const Postings& b) {
  const Postings& small = a.size() <= b.size() ? a : b;
  const Postings& large = a.size() <= b.size() ? b : a;
  if (small.empty()) return false;
  if (small.back() < large.front() || large.back() < small.front()) return false;
  if (large.size() / small.size() >= kGallopRatio) {
    auto it = large.begin();
    for (SeriesRef x : small) {
      it = std::lower_bound(it, large.end(), x);
      if (it == large.end()) return false;
      if (*it == x) return true;
    }
    return false;
  }
  auto i = small.begin(), j = large.begin();
  while (i != small.end() && j != large.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      return true;
    }
  }
  return false;
}

// A postings list that is either borrowed from the index (valid while its lock is held) or owned.
struct PostingsView {
  const Postings* borrowed = nullptr;
  Postings owned;
  const Postings& get() const { return borrowed != nullptr ? *borrowed : owned; }
};

PostingsView UnionAll(const std::vector<const Postings*>& lists) {
  PostingsView out;
  if (lists.empty()) return out;
  if (lists.size() == 1) {
    out.borrowed = lists[0];
    return out;
  }
  if (lists.size() == 2) {
    out.owned = Union(*lists[0], *lists[1]);
    return out;
  }
  size_t total = 0;
  for (const Postings* p : lists) total += p->size();
  out.owned.reserve(total);
  for (const Postings* p : lists) out.owned.insert(out.owned.end(), p->begin(), p->end());
  std::sort(out.owned.begin(), out.owned.end());
  out.owned.erase(std::unique(out.owned.begin(), out.owned.end()), out.owned.end());
  return out;
}

// The union of the postings of the values v of one label (all non-empty: the index stores no
// empty values) for which m.Matches(v) == want.
PostingsView CollectPostings(const ValueMap* values, const CompiledMatcher& m, bool want) {
  std::vector<const Postings*> lists;
  if (values == nullptr) return {};
  if (std::optional<bool> all = m.MatchesAllNonEmpty()) {
    if (*all == want) {
      for (const auto& [v, p] : *values) lists.push_back(&p);
    }
  } else if (const std::vector<std::string>* lits = m.literals(); lits != nullptr && want != m.negated()) {
    // Matches(v) == want exactly when v is one of the literals: look them up.
    for (const std::string& lit : *lits) {
      if (const Postings* p = values->Find(lit)) lists.push_back(p);
    }
  } else {
    for (const auto& [v, p] : *values) {
      if (m.Matches(v) == want) lists.push_back(&p);
    }
  }
  return UnionAll(lists);
}

std::string SelectorToString(const Matchers& matchers) {
  std::string s = "{";
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i > 0) s += ", ";
    s += MatcherToString(matchers[i]);
  }
  return s + "}";
}

}  // namespace

// ---- ValueMap

namespace {
uint64_t HashValue(std::string_view v) { return std::hash<std::string_view>{}(v); }
}  // namespace

size_t ValueMap::Probe(std::string_view value, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  const uint64_t tag = hash >> 32 << 32;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == 0) return i;
    if ((slot & ~uint64_t{0xffffffff}) == tag && entries_[(slot & 0xffffffff) - 1].value == value) return i;
  }
}

const Postings* ValueMap::Find(std::string_view value) const {
  if (slots_.empty()) return nullptr;
  const uint64_t slot = slots_[Probe(value, HashValue(value))];
  return slot == 0 ? nullptr : &entries_[(slot & 0xffffffff) - 1].postings;
}

Postings& ValueMap::FindOrAdd(std::string_view value, bool* added) {
  if ((entries_.size() + 1) * 4 > slots_.size() * 3) Rehash(slots_.empty() ? 8 : slots_.size() * 2);
  const uint64_t hash = HashValue(value);
  const size_t i = Probe(value, hash);
  *added = slots_[i] == 0;
  if (*added) {
    entries_.push_back({std::string(value), {}});
    slots_[i] = (hash >> 32 << 32) | entries_.size();
  }
  return entries_[(slots_[i] & 0xffffffff) - 1].postings;
}

void ValueMap::Rehash(size_t slots) {
  slots_.assign(slots, 0);
  const size_t mask = slots - 1;
  for (size_t e = 0; e < entries_.size(); ++e) {
    const uint64_t hash = HashValue(entries_[e].value);
    size_t i = hash & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = (hash >> 32 << 32) | (e + 1);
  }
}

// ---- LabelIndex

void LabelIndex::Add(SeriesRef ref, const Labels& labels) {
  std::unique_lock lock(mu_);
  AddLocked(ref, labels);
}

void LabelIndex::AddAll(std::span<const std::pair<SeriesRef, Labels>> series) {
  std::unique_lock lock(mu_);
  for (const auto& [ref, labels] : series) AddLocked(ref, labels);
}

void LabelIndex::AddLocked(SeriesRef ref, const Labels& labels) {
  bytes_ += InsertSorted(&all_, ref);
  for (const Label& l : labels) AddPairLocked(ref, l.name, l.value);
}

void LabelIndex::AddPairLocked(SeriesRef ref, std::string_view name, std::string_view value) {
  if (value.empty()) return;  // an empty value is an absent label
  auto name_it = postings_.find(name);
  if (name_it == postings_.end()) {
    name_it = postings_.emplace(std::string(name), ValueMap()).first;
    bytes_ += kNameNodeBytes + StringHeapBytes(name_it->first);
  }
  bool added;
  Postings& postings = name_it->second.FindOrAdd(value, &added);
  if (added) bytes_ += kValueNodeBytes + (value.size() > 15 ? value.size() + 1 : 0);
  bytes_ += InsertSorted(&postings, ref);
}

Status LabelIndex::AddAllEncoded(std::span<const std::pair<SeriesRef, std::string_view>> series) {
  std::unique_lock lock(mu_);
  for (const auto& [ref, encoded] : series) {
    // Check the whole encoding first, so that a malformed one adds nothing of its series.
    std::string_view in = encoded;
    std::string_view pairs[2 * 64];
    size_t n = 0;
    bool fits = true;
    while (!in.empty()) {
      std::string_view s;
      if (!ReadStringView(&in, &s)) {
        return Status::Corruption("encoded labels of series " + std::to_string(ref) + ": truncated or malformed");
      }
      if (n == std::size(pairs)) fits = false;
      if (fits) pairs[n++] = s;
    }
    if (n % 2 != 0) return Status::Corruption("encoded labels of series " + std::to_string(ref) + ": a name without value");
    for (size_t i = 0; fits && i < n; i += 2) {  // as DecodeLabels checks: names non-empty, increasing
      if (pairs[i].empty() || (i > 0 && pairs[i - 2] >= pairs[i])) {
        return Status::Corruption("encoded labels of series " + std::to_string(ref) +
                                  ": label names out of order, duplicated or empty");
      }
    }
    if (!fits) {  // more labels than the stack holds: the general path
      Labels labels;
      GNOMON_RETURN_IF_ERROR(DecodeLabels(encoded, &labels));
      AddLocked(ref, labels);
      continue;
    }
    bytes_ += InsertSorted(&all_, ref);
    for (size_t i = 0; i < n; i += 2) AddPairLocked(ref, pairs[i], pairs[i + 1]);
  }
  return Status::OK();
}

Result<Postings> LabelIndex::Select(const Matchers& matchers) const { return SelectImpl(matchers, false); }

Result<Postings> LabelIndex::SelectAllowEmpty(const Matchers& matchers) const { return SelectImpl(matchers, true); }

// Prometheus' PostingsForMatchers, simplified: a matcher that does not match "" selects the union
// of the postings of the values it matches, and these sets are intersected; a matcher that matches
// "" also selects every series lacking the label, so it is applied by subtracting the postings of
// the values it rejects.
Result<Postings> LabelIndex::SelectImpl(const Matchers& matchers, bool allow_all) const {
  std::vector<CompiledMatcher> intersecting, subtracting;
  for (const Matcher& m : matchers) {
    Result<CompiledMatcher> c = CompiledMatcher::Compile(m);
    if (!c.ok()) return c.status();
    (c->MatchesEmpty() ? subtracting : intersecting).push_back(std::move(c).value());
  }
  if (intersecting.empty() && !allow_all) {
    return Status::InvalidArgument("selector " + SelectorToString(matchers) +
                                   " must contain at least one matcher that does not match the empty string");
  }
  // Literal matchers are lookups, cheap enough to resolve before regexes that scan every value:
  // when one of them selects nothing, the scans are skipped.
  std::stable_partition(intersecting.begin(), intersecting.end(),
                        [](const CompiledMatcher& m) { return m.literals() != nullptr; });

  std::shared_lock lock(mu_);
  auto values_of = [this](const std::string& name) -> const ValueMap* {
    auto it = postings_.find(name);
    return it == postings_.end() ? nullptr : &it->second;
  };

  std::vector<PostingsView> lists;
  lists.reserve(intersecting.size());
  for (const CompiledMatcher& m : intersecting) {
    lists.push_back(CollectPostings(values_of(m.name()), m, true));
    if (lists.back().get().empty()) return Postings{};
  }
  // Intersect the smallest lists first so intermediate results stay small.
  std::sort(lists.begin(), lists.end(),
            [](const PostingsView& a, const PostingsView& b) { return a.get().size() < b.get().size(); });
  Postings result;
  if (lists.empty()) {
    result = all_;
  } else {
    result = lists[0].get();
    for (size_t i = 1; i < lists.size() && !result.empty(); ++i) result = Intersect(result, lists[i].get());
  }
  for (const CompiledMatcher& m : subtracting) {
    if (result.empty()) break;
    PostingsView drop = CollectPostings(values_of(m.name()), m, false);
    if (!drop.get().empty()) result = Subtract(result, drop.get());
  }
  return result;
}

std::vector<std::string> LabelIndex::LabelNames(const Postings* refs) const {
  std::shared_lock lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, values] : postings_) {
    if (refs == nullptr) {
      names.push_back(name);
      continue;
    }
    for (const auto& [value, p] : values) {
      if (Intersects(p, *refs)) {
        names.push_back(name);
        break;
      }
    }
  }
  return names;
}

std::vector<std::string> LabelIndex::LabelValues(const std::string& name, const Postings* refs) const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  auto it = postings_.find(name);
  if (it == postings_.end()) return out;
  for (const auto& [value, p] : it->second) {
    if (refs == nullptr || Intersects(p, *refs)) out.push_back(value);
  }
  lock.unlock();
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// The `limit` largest entries offered, largest first (ties: the first offered); names are built
// only for entries that make it in.
class TopEntries {
 public:
  explicit TopEntries(size_t limit) : limit_(limit) {}

  template <typename MakeName>
  void Offer(uint64_t value, MakeName&& make_name) {
    if (limit_ == 0) return;
    if (heap_.size() == limit_) {
      if (value <= heap_.front().value) return;
      std::pop_heap(heap_.begin(), heap_.end(), Greater);
      heap_.pop_back();
    }
    heap_.push_back({make_name(), value});
    std::push_heap(heap_.begin(), heap_.end(), Greater);
  }

  std::vector<CardinalityStats::Entry> Take() {
    std::stable_sort(heap_.begin(), heap_.end(), [](const auto& a, const auto& b) {
      return a.value != b.value ? a.value > b.value : a.name < b.name;
    });
    return std::move(heap_);
  }

 private:
  static bool Greater(const CardinalityStats::Entry& a, const CardinalityStats::Entry& b) { return a.value > b.value; }
  size_t limit_;
  std::vector<CardinalityStats::Entry> heap_;  // a min-heap by value
};

}  // namespace

void LabelIndex::Cardinality(size_t limit, CardinalityStats* out) const {
  TopEntries metrics(limit), values(limit), memory(limit), pairs(limit);
  uint64_t num_pairs = 0;
  std::shared_lock lock(mu_);
  for (const auto& [name, by_value] : postings_) {
    values.Offer(by_value.size(), [&] { return name; });
    num_pairs += by_value.size();
    uint64_t bytes = 0;
    for (const auto& [value, refs] : by_value) {
      if (name == "__name__") metrics.Offer(refs.size(), [&] { return value; });
      pairs.Offer(refs.size(), [&] { return name + "=" + value; });
      bytes += value.size() * refs.size();
    }
    memory.Offer(bytes, [&] { return name; });
  }
  out->num_series = all_.size();
  out->num_label_pairs = num_pairs;
  lock.unlock();
  out->series_count_by_metric_name = metrics.Take();
  out->label_value_count_by_label_name = values.Take();
  out->memory_in_bytes_by_label_name = memory.Take();
  out->series_count_by_label_value_pair = pairs.Take();
}

size_t LabelIndex::NumSeriesWith(std::string_view name, std::string_view value) const {
  std::shared_lock lock(mu_);
  auto by_name = postings_.find(name);
  if (by_name == postings_.end()) return 0;
  const Postings* p = by_name->second.Find(value);
  return p == nullptr ? 0 : p->size();
}

size_t LabelIndex::num_series() const {
  std::shared_lock lock(mu_);
  return all_.size();
}

size_t LabelIndex::memory_bytes() const {
  std::shared_lock lock(mu_);
  return sizeof(*this) + bytes_;
}

Postings Intersect(const Postings& a, const Postings& b) {
  const Postings& small = a.size() <= b.size() ? a : b;
  const Postings& large = a.size() <= b.size() ? b : a;
  Postings out;
  if (small.empty()) return out;
  if (large.size() / small.size() >= kGallopRatio) {
    auto it = large.begin();
    for (SeriesRef x : small) {
      it = std::lower_bound(it, large.end(), x);
      if (it == large.end()) break;
      if (*it == x) out.push_back(x);
    }
    return out;
  }
  out.reserve(small.size());
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings Union(const Postings& a, const Postings& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  Postings out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings Subtract(const Postings& a, const Postings& b) {
  if (a.empty() || b.empty()) return a;
  Postings out;
  if (b.size() / a.size() >= kGallopRatio) {
    out.reserve(a.size());
    auto it = b.begin();
    for (SeriesRef x : a) {
      it = std::lower_bound(it, b.end(), x);
      if (it == b.end() || *it != x) out.push_back(x);
    }
    return out;
  }
  out.reserve(a.size());
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace gnomon::index
