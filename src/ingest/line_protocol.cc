// InfluxDB line protocol parser. See line_protocol.h for the accepted grammar and the mapping.
//
// Per line, the hot path is: find the series key (measurement + tag set, up to the first unescaped
// space), look its raw bytes up in a hash map, parse the field values with std::from_chars and
// append them to one sample vector; nothing is allocated once a series is known. The first time
// a raw key is seen, a plain key (no escapes, ASCII values: nearly all) has its tags checked and
// encoded straight from the bytes, once for all its fields; any other key is decoded into Labels
// and checked field by field as the engine would. At the end every series is handed to the batch
// once, with all its samples, in order of first appearance, in the engine's encoded form. The
// parser's buffers are per thread and reused from body to body.
#include "ingest/line_protocol.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <string>
#include <utility>

#include "index/labels_util.h"
#include "util/coding.h"

namespace gnomon::ingest {

namespace {

using index::QuoteForMessage;

constexpr std::string_view kMetricName = "__name__";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Resolves InfluxDB's escapes in a measurement, tag key, tag value or field key: a backslash
// before ',', '=', ' ' or '\' stands for that character; any other backslash is literal.
void Unescape(std::string_view raw, std::string* out) {
  if (std::memchr(raw.data(), '\\', raw.size()) == nullptr) {
    out->assign(raw);
    return;
  }
  out->clear();
  out->reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      const char n = raw[i + 1];
      if (n == ',' || n == '=' || n == ' ' || n == '\\') {
        out->push_back(n);
        ++i;
        continue;
      }
    }
    out->push_back(c);
  }
}

std::string Unescaped(std::string_view raw) {
  std::string s;
  Unescape(raw, &s);
  return s;
}

// The inverse of Unescape: a backslash before every ',', '=', ' ' and '\'.
void AppendEscaped(std::string_view s, std::string* out) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ',' || c == '=' || c == ' ' || c == '\\') {
      out->append(s.substr(start, i - start)).push_back('\\');
      start = i;  // the character itself goes with the next run
    }
  }
  out->append(s.substr(start));
}

// The first position in [p, end) holding `a` or `b` that is not escaped by a backslash, or end.
const char* FindUnescaped(const char* p, const char* end, char a, char b) {
  while (p < end) {
    const char c = *p;
    if (c == a || c == b) return p;
    p += (c == '\\' && p + 1 < end) ? 2 : 1;
  }
  return end;
}

// The end of the series key: the first unescaped space, or end.
const char* FindKeyEnd(const char* p, const char* end) {
  const char* space = static_cast<const char*>(std::memchr(p, ' ', end - p));
  if (space == nullptr) space = end;
  const char* backslash = static_cast<const char*>(std::memchr(p, '\\', space - p));
  if (backslash == nullptr) return space;
  return FindUnescaped(backslash, end, ' ', ' ');
}

bool IsValueEnd(const char* p, const char* end) { return p == end || *p == ',' || *p == ' '; }

// Parses a float, integer (`12i`), unsigned (`12u`) or boolean field value at p. On success stores
// the value and the position after it (end, or a ',' or ' ').
bool ParseNumericValue(const char* p, const char* end, double* value, const char** next) {
  const char c = *p;
  if (IsDigit(c) || c == '-' || c == '.') {
    auto [ptr, ec] = std::from_chars(p, end, *value);
    if (ec != std::errc()) return false;
    if (IsValueEnd(ptr, end)) {
      if (!std::isfinite(*value)) return false;  // "-inf", "-nan": InfluxDB has no such floats
      *next = ptr;
      return true;
    }
    if ((*ptr == 'i' || *ptr == 'u') && IsValueEnd(ptr + 1, end)) {
      if (*ptr == 'i') {
        int64_t v;
        auto r = std::from_chars(p, ptr, v);
        if (r.ec != std::errc() || r.ptr != ptr) return false;
        *value = static_cast<double>(v);
      } else {
        uint64_t v;
        auto r = std::from_chars(p, ptr, v);
        if (r.ec != std::errc() || r.ptr != ptr) return false;
        *value = static_cast<double>(v);
      }
      *next = ptr + 1;
      return true;
    }
    return false;
  }
  if (c == 't' || c == 'T' || c == 'f' || c == 'F') {
    const char* e = p;
    while (!IsValueEnd(e, end)) ++e;
    const std::string_view word(p, e - p);
    if (word == "t" || word == "T" || word == "true" || word == "True" || word == "TRUE") {
      *value = 1;
    } else if (word == "f" || word == "F" || word == "false" || word == "False" || word == "FALSE") {
      *value = 0;
    } else {
      return false;
    }
    *next = e;
    return true;
  }
  return false;
}

// Floor division (toward -inf) for a positive divisor.
int64_t FloorDiv(int64_t a, int64_t d) {
  int64_t q = a / d;
  if (a % d != 0 && a < 0) --q;
  return q;
}

// Converts a timestamp in `precision` units to milliseconds; false on overflow.
bool ToMillis(int64_t t, Precision precision, int64_t* ms) {
  int64_t factor = 1;
  switch (precision) {
    case Precision::kNanoseconds: *ms = FloorDiv(t, 1'000'000); return true;
    case Precision::kMicroseconds: *ms = FloorDiv(t, 1'000); return true;
    case Precision::kMilliseconds: *ms = t; return true;
    case Precision::kSeconds: factor = 1'000; break;
    case Precision::kMinutes: factor = 60'000; break;
    case Precision::kHours: factor = 3'600'000; break;
  }
  return !__builtin_mul_overflow(t, factor, ms);
}

const char* PrecisionName(Precision p) {
  switch (p) {
    case Precision::kNanoseconds: return "ns";
    case Precision::kMicroseconds: return "us";
    case Precision::kMilliseconds: return "ms";
    case Precision::kSeconds: return "s";
    case Precision::kMinutes: return "m";
    case Precision::kHours: return "h";
  }
  return "?";
}

// A fast hash for the ~200-byte series keys: 8 bytes per multiply, then a final avalanche.
uint64_t HashKey(std::string_view s) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  uint64_t h = s.size() * kMul;
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (std::rotl(h, 29) ^ w) * kMul;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (std::rotl(h, 29) ^ w) * kMul;
  }
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ULL;
  h ^= h >> 32;
  return h;
}

// Raw series key -> group index: open addressing with linear probing, the keys' bytes back to back
// in one arena. A lookup costs one hash of the key, usually one slot and one memcmp
// (std::unordered_map re-hashes whole keys while walking a bucket and chases three pointers).
class KeyTable {
 public:
  KeyTable() : slots_(1024) {}

  // The value stored for `key`, or nullptr.
  const uint32_t* Find(std::string_view key, uint64_t hash) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.value == kEmpty) return nullptr;
      if (s.hash == hash && KeyAt(s.offset) == key) return &s.value;
    }
  }

  // Empties the table; keeps its memory unless that passed `max_bytes`.
  void Clear(size_t max_bytes) {
    if (slots_.size() * sizeof(Slot) > max_bytes) {
      std::vector<Slot>(1024).swap(slots_);
    } else if (count_ > 0) {
      std::fill(slots_.begin(), slots_.end(), Slot{});
    }
    if (arena_.capacity() > max_bytes) {
      std::string().swap(arena_);
    } else {
      arena_.clear();
    }
    count_ = 0;
  }

  // Adds `key`, which must not be present. (Past 4 GB of keys it is not added: later lookups of
  // it miss and take the slow path again.)
  void Insert(std::string_view key, uint64_t hash, uint32_t value) {
    if (arena_.size() + 4 + key.size() > UINT32_MAX) return;
    if ((count_ + 1) * 2 > slots_.size()) Grow();
    Place({hash, value, static_cast<uint32_t>(arena_.size())});
    const auto size = static_cast<uint32_t>(key.size());
    arena_.append(reinterpret_cast<const char*>(&size), 4).append(key);
    ++count_;
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  // 16 bytes: the key's hash, the value, and where the key is in the arena (its length, 4 bytes,
  // then its bytes).
  struct Slot {
    uint64_t hash = 0;
    uint32_t value = kEmpty;
    uint32_t offset = 0;
  };

  std::string_view KeyAt(uint32_t offset) const {
    uint32_t size;
    std::memcpy(&size, arena_.data() + offset, 4);
    return {arena_.data() + offset + 4, size};
  }

  void Place(const Slot& slot) {
    const size_t mask = slots_.size() - 1;
    size_t i = slot.hash & mask;
    while (slots_[i].value != kEmpty) i = (i + 1) & mask;
    slots_[i] = slot;
  }

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.value != kEmpty) Place(s);
    }
  }

  std::vector<Slot> slots_;  // size is a power of two, at most half full
  std::string arena_;
  size_t count_ = 0;
};

// One parse's state. Kept per thread and reset between bodies, so its buffers' capacity is reused
// (a fresh parse per request faulted in new pages for every body).
class Parser {
 public:
  // Starts a new body; nothing from an earlier one is kept but buffer capacity.
  void Reset(const LineProtocolOptions& options, LineProtocolResult* result);
  void ParseBody(std::string_view body);
  // Hands every non-empty series to *batch, in order of first appearance.
  void Emit(WriteBatch* batch);

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  // One output series: its label set in canonical encoded form (in keys_) and how many of
  // samples_ are its; Emit then gathers them (a counting sort, line order kept).
  struct Series {
    size_t key_offset;
    size_t key_size;
    size_t samples = 0;  // Emit: then where its samples start in emit_
  };
  struct SeriesSample {
    int64_t timestamp;
    double value;
    uint32_t series;
  };
  struct Field {
    // Unescaped; a view into the body, since a field key that needs escapes never makes a valid
    // metric name (its unescaped form holds ',', '=', ' ' or '\'), so it never becomes a Field.
    std::string_view key;
    uint32_t series;
    uint32_t next = kNone;  // the group's next field
  };
  // A group whose raw key needed decoding (escapes, unsorted tags, non-ASCII values): its parts
  // decoded, validated in full per field as the engine would.
  struct DecodedGroup {
    std::string measurement;
    Labels tags;  // sorted by name
  };
  // One measurement + tag set.
  struct Group {
    std::string_view measurement;  // unescaped: a view into the body or into decoded_
    // The tags in canonical encoded form, in bytes_: those sorting before __name__, then the rest.
    size_t tags_offset = 0;
    size_t tags_before_size = 0;
    size_t tags_after_size = 0;
    uint32_t decoded = kNone;  // index into decoded_, or kNone: tags known valid (AddPlainGroup)
    uint32_t first_field = kNone;
    uint32_t last_field = kNone;
  };

  // Parses one line (without its line break); false with error_ set if the line is invalid.
  bool ParseLine(const char* p, const char* end);
  bool ResolveGroup(std::string_view raw_key, uint32_t* group);
  bool AddPlainGroup(std::string_view raw_key, uint32_t* group);
  bool ResolveField(uint32_t group, std::string_view raw_key, bool escaped, uint32_t* series);
  // A new series whose encoded label set is keys_ from key_offset to its end.
  uint32_t AddSeries(size_t key_offset);
  void LinkField(Group& g, std::string_view key, uint32_t series);
  std::string_view KeyOf(const Series& s) const { return std::string_view(keys_).substr(s.key_offset, s.key_size); }
  bool Fail(std::string reason) {
    error_ = std::move(reason);
    return false;
  }

  const LineProtocolOptions* options_ = nullptr;
  LineProtocolResult* result_ = nullptr;
  KeyTable raw_groups_;  // raw measurement+tags bytes -> group
  std::vector<Group> groups_;
  std::vector<Field> fields_;
  std::deque<DecodedGroup> decoded_;  // a deque: Group::measurement views stay valid
  std::string bytes_;                 // groups' encoded tags
  std::vector<Series> series_;
  std::string keys_;  // series' encoded label sets
  std::vector<SeriesSample> samples_;  // every stored sample, in line order
  // The current line's values, stored only once the whole line parsed.
  std::vector<std::pair<uint32_t, double>> pending_;
  std::vector<Sample> emit_;
  std::vector<std::pair<std::string_view, std::string_view>> tag_views_;  // AddPlainGroup's
  std::string error_;
  std::string scratch_;
};

// Releases a buffer that one large body grew, so that a thread does not keep it for good.
template <typename Buffer>
void ClearAndTrim(Buffer* b, size_t max_bytes) {
  if (b->capacity() * sizeof(typename Buffer::value_type) > max_bytes) {
    Buffer().swap(*b);
  } else {
    b->clear();
  }
}

void Parser::Reset(const LineProtocolOptions& options, LineProtocolResult* result) {
  // A body of 10,000 lines needs well under this per buffer; a larger one's buffers are freed.
  constexpr size_t kKeep = 2 << 20;
  options_ = &options;
  result_ = result;
  raw_groups_.Clear(kKeep / 2);
  ClearAndTrim(&groups_, kKeep);
  ClearAndTrim(&fields_, kKeep);
  decoded_.clear();
  ClearAndTrim(&bytes_, kKeep);
  ClearAndTrim(&series_, kKeep);
  ClearAndTrim(&keys_, kKeep);
  ClearAndTrim(&samples_, kKeep);
  ClearAndTrim(&emit_, kKeep);
  ClearAndTrim(&pending_, kKeep);
  ClearAndTrim(&tag_views_, kKeep);
  ClearAndTrim(&scratch_, kKeep);
}

void Parser::ParseBody(std::string_view body) {
  const char* p = body.data();
  const char* const end = p + body.size();
  size_t line_no = 0;
  while (p < end) {
    ++line_no;
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    const char* next = nl != nullptr ? nl + 1 : end;
    const char* e = nl != nullptr ? nl : end;
    if (e > p && e[-1] == '\r') --e;
    while (p < e && (*p == ' ' || *p == '\t')) ++p;
    if (p < e && *p != '#') {
      ++result_->lines;
      if (!ParseLine(p, e)) {
        ++result_->rejected_lines;
        if (result_->errors.size() < options_->max_errors) {
          result_->errors.push_back({line_no, std::move(error_)});
        }
      }
    }
    p = next;
  }
}

bool Parser::ParseLine(const char* p, const char* end) {
  pending_.clear();
  if (*p == ',') return Fail("missing measurement");
  const char* key_end = FindKeyEnd(p, end);
  const char* q = key_end;
  while (q < end && *q == ' ') ++q;
  if (q == end) return Fail("missing field set");
  uint32_t group;
  if (!ResolveGroup(std::string_view(p, key_end - p), &group)) return false;

  size_t strings = 0;
  // The group's next known field: lines of one group usually list their fields in one order.
  uint32_t next_known = groups_[group].first_field;
  for (;;) {
    // Fast path: the next known field, spelled exactly (known keys never need escapes).
    const Field* hint = next_known != kNone ? &fields_[next_known] : nullptr;
    const char* key_start = q;
    bool escaped = false;
    if (hint != nullptr && static_cast<size_t>(end - q) > hint->key.size() && q[hint->key.size()] == '=' &&
        std::memcmp(q, hint->key.data(), hint->key.size()) == 0) {
      q += hint->key.size();
    } else {
      hint = nullptr;
      while (q < end && *q != '=' && *q != ',' && *q != ' ') {
        if (*q == '\\' && q + 1 < end) {
          escaped = true;
          ++q;
        }
        ++q;
      }
    }
    const std::string_view raw_key(key_start, q - key_start);
    if (raw_key.empty()) return Fail(q == end || *q == ' ' ? "missing field after ','" : "missing field key");
    if (q == end || *q != '=') return Fail("missing \"=\" after field " + QuoteForMessage(Unescaped(raw_key)));
    ++q;
    if (IsValueEnd(q, end)) return Fail("missing value for field " + QuoteForMessage(Unescaped(raw_key)));
    const char* value_start = q;
    if (*q == '"') {
      ++q;
      while (q < end && *q != '"') q += (*q == '\\' && q + 1 < end) ? 2 : 1;
      if (q == end) return Fail("unterminated string field " + QuoteForMessage(Unescaped(raw_key)));
      ++q;
      ++strings;
    } else {
      double value;
      if (!ParseNumericValue(q, end, &value, &q)) q = nullptr;
      if (q != nullptr) {
        uint32_t series;
        if (hint != nullptr) {
          series = hint->series;
          next_known = hint->next;
        } else {
          if (!ResolveField(group, raw_key, escaped, &series)) return false;
          next_known = kNone;
        }
        pending_.emplace_back(series, value);
      }
    }
    if (q == nullptr || !IsValueEnd(q, end)) {
      const char* e = value_start;
      while (e < end && *e != ',' && *e != ' ') ++e;
      return Fail("invalid field value " + QuoteForMessage(std::string_view(value_start, e - value_start)) +
                  " for field " + QuoteForMessage(Unescaped(raw_key)));
    }
    if (q == end || *q == ' ') break;
    ++q;  // ','
  }

  int64_t ts = options_->default_time_ms;
  while (q < end && *q == ' ') ++q;
  const char* ts_end = end;
  while (ts_end > q && (ts_end[-1] == ' ' || ts_end[-1] == '\t')) --ts_end;
  if (q < ts_end) {
    int64_t raw;
    auto [ptr, ec] = std::from_chars(q, ts_end, raw);
    const std::string_view text(q, ts_end - q);
    if (ec == std::errc::result_out_of_range) return Fail("timestamp " + QuoteForMessage(text) + " is out of range");
    if (ec != std::errc() || ptr != ts_end) return Fail("invalid timestamp " + QuoteForMessage(text));
    if (!ToMillis(raw, options_->precision, &ts)) {
      return Fail("timestamp " + QuoteForMessage(text) + " with precision " + PrecisionName(options_->precision) +
                  " is out of range");
    }
  }

  for (const auto& [series, value] : pending_) {
    samples_.push_back({ts, value, series});
    ++series_[series].samples;
  }
  result_->skipped_string_fields += strings;
  return true;
}

bool Parser::ResolveGroup(std::string_view raw_key, uint32_t* group) {
  const uint64_t hash = HashKey(raw_key);
  if (const uint32_t* known = raw_groups_.Find(raw_key, hash)) {
    *group = *known;
    return true;
  }
  if (AddPlainGroup(raw_key, group)) {
    raw_groups_.Insert(raw_key, hash, *group);
    return true;
  }
  const char* p = raw_key.data();
  const char* const end = p + raw_key.size();
  const char* q = FindUnescaped(p, end, ',', ',');
  std::string measurement = Unescaped(std::string_view(p, q - p));
  if (measurement.empty()) return Fail("missing measurement");
  Labels tags;
  while (q < end) {
    ++q;  // ','
    const char* key_start = q;
    q = FindUnescaped(q, end, '=', ',');
    if (q == key_start) return Fail("missing tag key");
    std::string name = Unescaped(std::string_view(key_start, q - key_start));
    if (q == end || *q == ',') return Fail("missing \"=\" after tag key " + QuoteForMessage(name));
    ++q;  // '='
    const char* value_start = q;
    q = FindUnescaped(q, end, '=', ',');
    if (q == value_start) return Fail("tag " + QuoteForMessage(name) + " has an empty value");
    if (q < end && *q == '=') return Fail("tag " + QuoteForMessage(name) + " has an unescaped \"=\" in its value");
    if (!index::IsValidLabelName(name)) {
      return Fail("tag key " + QuoteForMessage(name) + " is not a valid label name (must match [a-zA-Z_][a-zA-Z0-9_]*)");
    }
    if (name.starts_with("__")) {
      return Fail("tag key " + QuoteForMessage(name) + " is reserved (names starting with \"__\" are internal)");
    }
    tags.push_back({std::move(name), Unescaped(std::string_view(value_start, q - value_start))});
  }
  std::sort(tags.begin(), tags.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  for (size_t i = 1; i < tags.size(); ++i) {
    if (tags[i].name == tags[i - 1].name) return Fail("duplicate tag key " + QuoteForMessage(tags[i].name));
  }

  // Different raw keys (tag order, optional escapes) may name the same series: each group is
  // also filed under its canonical raw key (sorted tags, exactly the needed escapes), which is
  // usually the raw key itself.
  scratch_.clear();
  AppendEscaped(measurement, &scratch_);
  for (const Label& t : tags) {
    scratch_.push_back(',');
    AppendEscaped(t.name, &scratch_);
    scratch_.push_back('=');
    AppendEscaped(t.value, &scratch_);
  }
  const uint64_t canonical_hash = scratch_ != raw_key ? HashKey(scratch_) : hash;
  if (const uint32_t* known = raw_groups_.Find(scratch_, canonical_hash)) {
    *group = *known;
  } else {
    *group = static_cast<uint32_t>(groups_.size());
    Group g;
    g.decoded = static_cast<uint32_t>(decoded_.size());
    decoded_.push_back({std::move(measurement), std::move(tags)});
    g.measurement = decoded_.back().measurement;
    groups_.push_back(g);
    raw_groups_.Insert(scratch_, canonical_hash, *group);
  }
  if (scratch_ != raw_key) raw_groups_.Insert(raw_key, hash, *group);
  return true;
}

bool Parser::AddPlainGroup(std::string_view raw_key, uint32_t* group) {
  // The common key needs no decoding: no backslash, keys valid label names, values of plain
  // ASCII, within the limits, no key twice. Its tags are then encoded straight from the raw bytes
  // and checked once here instead of at every field. When they are not sorted by key, the group
  // is also filed under its canonical raw key (see ResolveGroup). Anything else returns false,
  // with nothing added, for the general path and its messages.
  if (std::memchr(raw_key.data(), '\\', raw_key.size()) != nullptr) return false;
  const char* p = raw_key.data();
  const char* const end = p + raw_key.size();
  const char* comma = static_cast<const char*>(std::memchr(p, ',', raw_key.size()));
  if (comma == nullptr) comma = end;
  const std::string_view measurement(p, comma - p);
  if (measurement.empty() || measurement.find('=') != std::string_view::npos) return false;
  const Limits& limits = options_->limits;
  tag_views_.clear();
  bool sorted = true;
  for (const char* q = comma; q < end;) {
    ++q;  // ','
    const char* eq = q;
    while (eq < end && *eq != '=' && *eq != ',') ++eq;
    const std::string_view key(q, eq - q);
    bool plain = eq < end && *eq == '=' && key.size() <= limits.max_label_name_length &&
                 index::IsValidLabelName(key) && !key.starts_with("__");
    const char* v = plain ? eq + 1 : end;
    const char* v_end = v;
    for (; plain && v_end < end && *v_end != ','; ++v_end) {
      const auto c = static_cast<unsigned char>(*v_end);
      plain = c != '=' && c != 0 && c < 0x80;
    }
    const auto value_size = static_cast<size_t>(v_end - v);
    if (!plain || value_size == 0 || value_size > limits.max_label_value_length) return false;
    if (!tag_views_.empty() && key <= tag_views_.back().first) sorted = false;
    if (tag_views_.size() + 2 > limits.max_labels_per_series) return false;  // with __name__
    tag_views_.emplace_back(key, std::string_view(v, value_size));
    q = v_end;
  }
  if (tag_views_.size() + 1 > limits.max_labels_per_series) return false;
  if (!sorted) {
    std::sort(tag_views_.begin(), tag_views_.end());
    for (size_t i = 1; i < tag_views_.size(); ++i) {
      if (tag_views_[i].first == tag_views_[i - 1].first) return false;  // a duplicate key
    }
    scratch_.assign(measurement);
    for (const auto& [key, value] : tag_views_) scratch_.append(",").append(key).append("=").append(value);
    const uint64_t canonical_hash = HashKey(scratch_);
    if (const uint32_t* known = raw_groups_.Find(scratch_, canonical_hash)) {
      *group = *known;
      return true;
    }
    raw_groups_.Insert(scratch_, canonical_hash, static_cast<uint32_t>(groups_.size()));
  }
  Group g;
  g.measurement = measurement;
  g.tags_offset = bytes_.size();
  g.tags_before_size = SIZE_MAX;
  for (const auto& [key, value] : tag_views_) {
    if (g.tags_before_size == SIZE_MAX && key > kMetricName) g.tags_before_size = bytes_.size() - g.tags_offset;
    PutVarint64(&bytes_, key.size());
    bytes_.append(key);
    PutVarint64(&bytes_, value.size());
    bytes_.append(value);
  }
  const size_t tags_size = bytes_.size() - g.tags_offset;
  if (g.tags_before_size == SIZE_MAX) g.tags_before_size = tags_size;
  g.tags_after_size = tags_size - g.tags_before_size;
  *group = static_cast<uint32_t>(groups_.size());
  groups_.push_back(g);
  return true;
}

bool Parser::ResolveField(uint32_t group, std::string_view raw_key, bool escaped, uint32_t* series) {
  std::string_view key = raw_key;
  if (escaped) {
    Unescape(raw_key, &scratch_);
    key = scratch_;
  }
  Group& g = groups_[group];
  for (uint32_t f = g.first_field; f != kNone; f = fields_[f].next) {
    if (fields_[f].key == key) {
      *series = fields_[f].series;
      return true;
    }
  }
  std::string name;
  name.reserve(g.measurement.size() + 1 + key.size());
  name.append(g.measurement).append("_").append(key);
  if (!index::IsValidMetricName(name)) {
    return Fail("field " + QuoteForMessage(key) + " of measurement " + QuoteForMessage(g.measurement) +
                " makes metric name " + QuoteForMessage(name) +
                ", which is not valid (must match [a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  // Only a key without escapes gets here (see Field::key), so raw_key is the unescaped key.
  const Limits& limits = options_->limits;
  if (g.decoded == kNone && name.size() <= limits.max_label_value_length &&
      kMetricName.size() <= limits.max_label_name_length) {
    // The tags were checked when the group was added: encode the series directly.
    const size_t offset = keys_.size();
    const std::string_view tags = std::string_view(bytes_).substr(g.tags_offset, g.tags_before_size + g.tags_after_size);
    keys_.append(tags.substr(0, g.tags_before_size));
    PutVarint64(&keys_, kMetricName.size());
    keys_.append(kMetricName);
    PutVarint64(&keys_, name.size());
    keys_.append(name);
    keys_.append(tags.substr(g.tags_before_size));
    *series = AddSeries(offset);
    LinkField(g, raw_key, *series);
    return true;
  }
  Labels labels;
  if (g.decoded != kNone) {
    labels = decoded_[g.decoded].tags;
  } else if (Status st = index::DecodeLabels(std::string_view(bytes_).substr(g.tags_offset,
                                                                             g.tags_before_size + g.tags_after_size),
                                             &labels);
             !st.ok()) {
    return Fail(st.message());  // not expected: AddPlainGroup encoded them
  }
  auto pos = std::lower_bound(labels.begin(), labels.end(), kMetricName,
                              [](const Label& l, std::string_view n) { return l.name < n; });
  labels.insert(pos, {std::string(kMetricName), std::move(name)});
  if (Status st = index::ValidateLabels(labels, limits); !st.ok()) return Fail(st.message());
  const size_t offset = keys_.size();
  index::AppendEncodedLabels(labels, &keys_);
  *series = AddSeries(offset);
  LinkField(g, raw_key, *series);
  return true;
}

uint32_t Parser::AddSeries(size_t key_offset) {
  series_.push_back({key_offset, keys_.size() - key_offset});
  return static_cast<uint32_t>(series_.size() - 1);
}

void Parser::LinkField(Group& g, std::string_view key, uint32_t series) {
  const auto f = static_cast<uint32_t>(fields_.size());
  fields_.push_back({key, series, kNone});
  if (g.last_field == kNone) {
    g.first_field = f;
  } else {
    fields_[g.last_field].next = f;
  }
  g.last_field = f;
}

void Parser::Emit(WriteBatch* batch) {
  // Each series' samples together, in line order: counts to start positions, then one pass.
  size_t start = 0;
  for (Series& s : series_) start += std::exchange(s.samples, start);
  emit_.resize(samples_.size());
  for (const SeriesSample& x : samples_) emit_[series_[x.series].samples++] = {x.timestamp, x.value};
  size_t begin = 0;
  for (const Series& s : series_) {  // s.samples is now where the next series starts
    if (s.samples == begin) continue;
    batch->AddEncoded(KeyOf(s), std::span<const Sample>(emit_).subspan(begin, s.samples - begin));
    begin = s.samples;
  }
  result_->samples += samples_.size();
}

}  // namespace

Result<Precision> ParsePrecision(std::string_view text) {
  if (text.empty() || text == "ns" || text == "n") return Precision::kNanoseconds;
  if (text == "u" || text == "us" || text == "\xC2\xB5s" || text == "\xCE\xBCs") return Precision::kMicroseconds;
  if (text == "ms") return Precision::kMilliseconds;
  if (text == "s") return Precision::kSeconds;
  if (text == "m") return Precision::kMinutes;
  if (text == "h") return Precision::kHours;
  return Status::InvalidArgument("invalid precision " + QuoteForMessage(text) +
                                 ": must be one of ns, n, u, us, µs, ms, s, m, h");
}

LineProtocolResult ParseLineProtocol(std::string_view body, const LineProtocolOptions& options, WriteBatch* batch) {
  LineProtocolResult result;
  thread_local Parser parser;
  parser.Reset(options, &result);
  parser.ParseBody(body);
  parser.Emit(batch);
  return result;
}

}  // namespace gnomon::ingest
