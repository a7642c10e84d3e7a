// InfluxDB line protocol parser. See line_protocol.h for the accepted grammar and the mapping.
//
// Per line, the hot path is: find the series key (measurement + tag set, up to the first unescaped
// space), look its raw bytes up in a hash map, parse the field values with std::from_chars and
// append them to per-series sample vectors; nothing is allocated once a series is known. Tags are
// decoded, validated and sorted only the first time a raw key is seen. At the end every series is
// handed to the batch once, with all its samples, in order of first appearance.
#include "ingest/line_protocol.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>

#include "index/labels_util.h"

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

class Parser {
 public:
  Parser(const LineProtocolOptions& options, LineProtocolResult* result) : options_(options), result_(result) {}

  void ParseBody(std::string_view body);
  // Hands every non-empty series to *batch, in order of first appearance.
  void Emit(WriteBatch* batch);

 private:
  // One output series: its full sorted label set and its samples in line order.
  struct Series {
    Labels labels;
    std::vector<Sample> samples;
  };
  struct Field {
    std::string key;  // unescaped
    uint32_t series;
  };
  // One measurement + tag set.
  struct Group {
    std::string measurement;
    Labels tags;  // sorted by name
    std::vector<Field> fields;  // numeric fields seen so far, usually in line order
  };

  // Parses one line (without its line break); false with error_ set if the line is invalid.
  bool ParseLine(const char* p, const char* end);
  bool ResolveGroup(std::string_view raw_key, uint32_t* group);
  bool ResolveField(uint32_t group, size_t position, std::string_view raw_key, bool escaped, uint32_t* series);
  bool Fail(std::string reason) {
    error_ = std::move(reason);
    return false;
  }

  const LineProtocolOptions& options_;
  LineProtocolResult* result_;
  KeyTable raw_groups_;  // raw measurement+tags bytes -> group
  std::vector<Group> groups_;
  std::vector<Series> series_;
  // The current line's values, stored only once the whole line parsed.
  std::vector<std::pair<uint32_t, double>> pending_;
  std::string error_;
  std::string scratch_;
};

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
        if (result_->errors.size() < options_.max_errors) {
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
  size_t numeric = 0;
  const std::vector<Field>& known = groups_[group].fields;
  for (;;) {
    // Fast path: the group's next known field, spelled exactly (known keys never need escapes,
    // since an escapable character is not valid in a metric name).
    const Field* hint = numeric < known.size() ? &known[numeric] : nullptr;
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
        } else if (!ResolveField(group, numeric, raw_key, escaped, &series)) {
          return false;
        }
        ++numeric;
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

  int64_t ts = options_.default_time_ms;
  while (q < end && *q == ' ') ++q;
  const char* ts_end = end;
  while (ts_end > q && (ts_end[-1] == ' ' || ts_end[-1] == '\t')) --ts_end;
  if (q < ts_end) {
    int64_t raw;
    auto [ptr, ec] = std::from_chars(q, ts_end, raw);
    const std::string_view text(q, ts_end - q);
    if (ec == std::errc::result_out_of_range) return Fail("timestamp " + QuoteForMessage(text) + " is out of range");
    if (ec != std::errc() || ptr != ts_end) return Fail("invalid timestamp " + QuoteForMessage(text));
    if (!ToMillis(raw, options_.precision, &ts)) {
      return Fail("timestamp " + QuoteForMessage(text) + " with precision " + PrecisionName(options_.precision) +
                  " is out of range");
    }
  }

  for (const auto& [series, value] : pending_) series_[series].samples.push_back({ts, value});
  result_->skipped_string_fields += strings;
  return true;
}

bool Parser::ResolveGroup(std::string_view raw_key, uint32_t* group) {
  const uint64_t hash = HashKey(raw_key);
  if (const uint32_t* known = raw_groups_.Find(raw_key, hash)) {
    *group = *known;
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
  if (scratch_ != raw_key) {
    const uint64_t canonical_hash = HashKey(scratch_);
    if (const uint32_t* known = raw_groups_.Find(scratch_, canonical_hash)) {
      *group = *known;
    } else {
      *group = static_cast<uint32_t>(groups_.size());
      groups_.push_back({std::move(measurement), std::move(tags), {}});
      raw_groups_.Insert(scratch_, canonical_hash, *group);
    }
  } else {
    *group = static_cast<uint32_t>(groups_.size());
    groups_.push_back({std::move(measurement), std::move(tags), {}});
  }
  raw_groups_.Insert(raw_key, hash, *group);
  return true;
}

bool Parser::ResolveField(uint32_t group, size_t position, std::string_view raw_key, bool escaped,
                          uint32_t* series) {
  std::string_view key = raw_key;
  if (escaped) {
    Unescape(raw_key, &scratch_);
    key = scratch_;
  }
  Group& g = groups_[group];
  if (position < g.fields.size() && g.fields[position].key == key) {
    *series = g.fields[position].series;
    return true;
  }
  for (const Field& f : g.fields) {
    if (f.key == key) {
      *series = f.series;
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
  Labels labels;
  labels.reserve(g.tags.size() + 1);
  auto pos = std::lower_bound(g.tags.begin(), g.tags.end(), kMetricName,
                              [](const Label& l, std::string_view n) { return l.name < n; });
  labels.insert(labels.end(), g.tags.begin(), pos);
  labels.push_back({std::string(kMetricName), std::move(name)});
  labels.insert(labels.end(), pos, g.tags.end());
  if (Status st = index::ValidateLabels(labels, options_.limits); !st.ok()) return Fail(st.message());
  *series = static_cast<uint32_t>(series_.size());
  series_.push_back({std::move(labels), {}});
  g.fields.push_back({std::string(key), *series});
  return true;
}

void Parser::Emit(WriteBatch* batch) {
  for (const Series& s : series_) {
    if (s.samples.empty()) continue;
    batch->Add(s.labels, s.samples);
    result_->samples += s.samples.size();
  }
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
  Parser parser(options, &result);
  parser.ParseBody(body);
  parser.Emit(batch);
  return result;
}

}  // namespace gnomon::ingest
