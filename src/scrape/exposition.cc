// The exposition-format parsers (see exposition.h): hand-written scanners that accept what the golex
// lexers of Prometheus 2.42 (promlex.l, openmetricslex.l) and their parsers accept, entry by entry,
// over a 256-entry character table: no regex, no allocation per sample once the label vectors have
// grown (ParseExposition's output aside). Numbers, UTF-8 and Content-Types: go_parsing.h.
#include "scrape/exposition.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "scrape/go_parsing.h"
#include "util/go_strconv.h"

namespace gnomon::scrape {
namespace {

// ---- characters ---------------------------------------------------------------------------------

enum : uint8_t {
  kMetricStart = 1,  // [a-zA-Z_:]
  kMetricChar = 2,   // [a-zA-Z0-9_:]
  kLabelStart = 4,   // [a-zA-Z_]
  kLabelChar = 8,    // [a-zA-Z0-9_]
  kTextValue = 16,   // a text-format value or timestamp byte: not '{', ' ', '\t', '\n', NUL
  kOmValue = 32,     // an OpenMetrics value or timestamp byte: not ' ', '\n', NUL
};

constexpr std::array<uint8_t, 256> kClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    uint8_t v = 0;
    if (alpha || c == ':') v |= kMetricStart | kMetricChar;
    if (digit) v |= kMetricChar;
    if (alpha) v |= kLabelStart | kLabelChar;
    if (digit) v |= kLabelChar;
    if (c != '{' && c != ' ' && c != '\t' && c != '\n' && c != 0) v |= kTextValue;
    if (c != ' ' && c != '\n' && c != 0) v |= kOmValue;
    t[c] = v;
  }
  return t;
}();

inline bool Is(char c, uint8_t cls) { return (kClass[static_cast<unsigned char>(c)] & cls) != 0; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }

inline const char* Skip(const char* p, const char* e, uint8_t cls) {
  while (p < e && Is(*p, cls)) ++p;
  return p;
}
inline const char* SkipBlanks(const char* p, const char* e) {
  while (p < e && IsBlank(*p)) ++p;
  return p;
}
inline const char* EndOfLine(const char* p, const char* e) {
  const void* nl = std::memchr(p, '\n', static_cast<size_t>(e - p));
  return nl ? static_cast<const char*>(nl) : e;
}
inline bool StartsWith(const char* p, const char* e, std::string_view word) {
  return static_cast<size_t>(e - p) >= word.size() && std::memcmp(p, word.data(), word.size()) == 0;
}

// What the parser found at p, for a message: `end of input`, `end of line` or a quoted excerpt.
std::string Got(const char* p, const char* e) {
  if (p >= e) return "end of input";
  if (*p == '\n') return "end of line";
  const char* stop = p;
  while (stop < e && stop - p < 24 && *stop != '\n') ++stop;
  return GoQuote(std::string_view(p, static_cast<size_t>(stop - p))) + (stop < e && *stop != '\n' ? "..." : "");
}

// ---- numbers ------------------------------------------------------------------------------------

using go::FloatError;

// The reason a value or timestamp text failed, for a message.
std::string FloatProblem(std::string_view what, std::string_view text, FloatError err) {
  std::string reason = "invalid " + std::string(what) + " " + GoQuote(text);
  if (err == FloatError::kRange) return reason + ": out of range";
  if (text.find_first_of("pP_") != std::string_view::npos) return reason + ": unsupported character in float";
  return reason;
}

// Go's int64(seconds * 1000) on amd64: truncated toward zero; out of range gives INT64_MIN.
int64_t SecondsToMs(double seconds) {
  const double ms = seconds * 1000;
  if (ms >= -9223372036854775808.0 && ms < 9223372036854775808.0) return static_cast<int64_t>(ms);
  return std::numeric_limits<int64_t>::min();
}

// ---- labels -------------------------------------------------------------------------------------

// Undoes the escapes of Prometheus' lvalReplacer (\\ \" \n); any other backslash stays.
void Unescape(std::string_view raw, std::string* out) {
  out->clear();
  size_t from = 0;
  for (size_t i = raw.find('\\'); i != std::string_view::npos && i + 1 < raw.size(); i = raw.find('\\', i)) {
    const char c = raw[i + 1];
    if (c != '\\' && c != '"' && c != 'n') {
      ++i;  // a lone backslash: kept, and the next character read normally
      continue;
    }
    out->append(raw.data() + from, i - from);
    out->push_back(c == 'n' ? '\n' : c);
    i += 2;
    from = i;
  }
  out->append(raw.data() + from, raw.size() - from);
}

template <typename Ref>
void SortByName(std::vector<Ref>* refs) {
  auto& v = *refs;
  if (v.size() > 16) {
    std::stable_sort(v.begin(), v.end(), [](const Ref& a, const Ref& b) { return a.name < b.name; });
    return;
  }
  for (size_t i = 1; i < v.size(); ++i) {  // usually already sorted: one comparison each
    if (!(v[i].name < v[i - 1].name)) continue;
    Ref x = v[i];
    size_t j = i;
    for (; j > 0 && x.name < v[j - 1].name; --j) v[j] = v[j - 1];
    v[j] = x;
  }
}

}  // namespace

ExpositionFormat FormatFromContentType(std::string_view content_type) {
  // Prometheus' textparse.New: a Content-Type Go's mime.ParseMediaType rejects falls back to the
  // text format, as does every media type but OpenMetrics' (protobuf included: Gnomon never asks
  // for it).
  const std::optional<std::string> media = go::ParseMediaType(content_type);
  return media == "application/openmetrics-text" ? ExpositionFormat::kOpenMetrics : ExpositionFormat::kPrometheusText;
}

// ---- the parser ---------------------------------------------------------------------------------

ExpositionParser::ExpositionParser(std::string_view body, ExpositionFormat format, const ParseOptions& options)
    : begin_(body.data()),
      end_(body.data() + body.size()),
      format_(format),
      options_(options),
      p_(begin_),
      entry_(begin_),
      counted_to_(begin_) {}

size_t ExpositionParser::line() {
  line_ += static_cast<size_t>(std::count(counted_to_, entry_, '\n'));
  counted_to_ = entry_;
  return line_;
}

bool ExpositionParser::Fail(std::string reason) {
  done_ = true;
  status_ = Status::InvalidArgument("line " + std::to_string(line()) + ": " + reason);
  return false;
}

bool ExpositionParser::Finish() {
  done_ = true;
  return false;
}

bool ExpositionParser::Next() {
  if (done_) return false;
  return format_ == ExpositionFormat::kOpenMetrics ? NextOpenMetrics() : NextText();
}

const char* ExpositionParser::ParseLabels(const char* p, bool loose, bool allow_nul, std::vector<LabelRef>* out) {
  const char* const e = end_;
  ++p;  // '{'
  bool first = true;
  for (;;) {
    if (loose) {
      p = SkipBlanks(p, e);
      if (p < e && *p == '}') return p + 1;
      if (p == e || !Is(*p, kLabelStart)) {
        Fail("expected label name, got " + Got(p, e));
        return nullptr;
      }
    } else if (p < e && *p == '}') {
      return p + 1;
    } else if (p < e && *p == ',' && !first) {
      ++p;
      if (p == e || !Is(*p, kLabelStart)) {
        Fail("expected label name after \",\", got " + Got(p, e));
        return nullptr;
      }
    } else if (p == e || !Is(*p, kLabelStart) || !first) {
      Fail(std::string(first ? "expected label name or \"}\"" : "expected \",\" or \"}\" after a label") + ", got " +
           Got(p, e));
      return nullptr;
    }
    first = false;
    LabelRef ref;
    const char* const name = p;
    p = Skip(p + 1, e, kLabelChar);
    ref.name = std::string_view(name, static_cast<size_t>(p - name));
    if (loose) p = SkipBlanks(p, e);
    if (p == e || *p != '=') {
      Fail("expected \"=\" after label name " + std::string(ref.name) + ", got " + Got(p, e));
      return nullptr;
    }
    ++p;
    if (loose) p = SkipBlanks(p, e);
    if (p == e || *p != '"') {
      Fail("expected quoted label value for " + std::string(ref.name) + ", got " + Got(p, e));
      return nullptr;
    }
    const char* const value = ++p;
    bool high = false;  // a byte >= 0x80: the value needs a UTF-8 check
    for (;;) {
      if (p == e) {
        Fail("unterminated label value for " + std::string(ref.name));
        return nullptr;
      }
      const char c = *p;
      if (c == '"') break;
      if (c == '\\') {
        if (p + 1 == e || p[1] == '\n') {
          Fail("invalid escape at the end of the label value of " + std::string(ref.name));
          return nullptr;
        }
        ref.escaped = true;
        p += 2;
        continue;
      }
      if ((c == '\n' && !loose) || (c == 0 && !allow_nul)) {
        Fail("unterminated label value for " + std::string(ref.name) + ", got " + Got(p, e));
        return nullptr;
      }
      high |= static_cast<unsigned char>(c) >= 0x80;
      ++p;
    }
    ref.raw_value = std::string_view(value, static_cast<size_t>(p - value));
    ++p;  // the closing quote
    if (high && !go::ValidUtf8(ref.raw_value)) {
      Fail("label value of " + std::string(ref.name) + " is not valid UTF-8");
      return nullptr;
    }
    out->push_back(ref);
    if (loose) {  // commas are optional, one trailing comma is fine
      p = SkipBlanks(p, e);
      if (p < e && *p == ',') ++p;
    }
  }
}

// Labels as Prometheus' label builder leaves them: empty-valued names gone, "__name__" only from
// the metric name, no duplicates; sorted by name. Then the entry-length limit; `eol` is the entry's
// '\n' or the end of the body.
bool ExpositionParser::FinishSample(const char* eol) {
  bool empty = false;
  for (const LabelRef& l : labels_) {
    if (l.name == kMetricNameLabel) {
      return Fail(l.raw_value.empty() ? "an empty __name__ label deletes the metric name"
                                      : "duplicate label name \"__name__\"");
    }
    empty |= l.raw_value.empty();
  }
  if (empty) {
    std::vector<std::string_view> drop;
    for (const LabelRef& l : labels_) {
      if (l.raw_value.empty()) drop.push_back(l.name);
    }
    std::erase_if(labels_,
                  [&](const LabelRef& l) { return std::find(drop.begin(), drop.end(), l.name) != drop.end(); });
  }
  SortByName(&labels_);
  for (size_t i = 1; i < labels_.size(); ++i) {
    if (labels_[i].name == labels_[i - 1].name) {
      return Fail("duplicate label name \"" + std::string(labels_[i].name) + "\"");
    }
  }
  if (options_.max_line_bytes != 0 && static_cast<size_t>(eol - entry_) > options_.max_line_bytes) {
    return Fail("longer than " + std::to_string(options_.max_line_bytes) + " bytes");
  }
  p_ = eol < end_ ? eol + 1 : eol;
  return true;
}

// ---- the text format ----------------------------------------------------------------------------

bool ExpositionParser::NextText() {
  const char* const e = end_;
  for (;;) {
    entry_ = p_;
    const char* p = SkipBlanks(p_, e);
    if (p == e || *p == 0) return Finish();  // 2.42's lexer reads a NUL here as the end of input
    if (*p == '\n') {
      p_ = p + 1;
      continue;
    }
    if (*p == '#') {
      if (!TextComment(p)) return false;
      continue;
    }
    if (!Is(*p, kMetricStart)) {
      return Fail("expected a metric name, a comment or a blank line, got " + Got(p, e));
    }
    if (p != p_) {
      // 2.42 takes the blanks into the metric name, which then fails its validity check.
      return Fail("invalid metric name " +
                  GoQuote(std::string_view(p_, static_cast<size_t>(Skip(p, e, kMetricChar) - p_))) +
                  ": a sample cannot start with blanks");
    }
    return TextSample(p);
  }
}

bool ExpositionParser::TextComment(const char* p) {
  const char* const e = end_;
  const char* q = p + 1;
  const char* const eol = EndOfLine(q, e);
  const char* const next = eol < e ? eol + 1 : e;
  auto done = [&]() {
    if (options_.max_line_bytes != 0 && static_cast<size_t>(eol - entry_) > options_.max_line_bytes) {
      return Fail("longer than " + std::to_string(options_.max_line_bytes) + " bytes");
    }
    p_ = next;
    return true;
  };
  if (q == e || !IsBlank(*q)) {
    // "#text": a comment, read without skipping NULs; 2.42's lexer takes a NUL in it as the end.
    if (std::memchr(q, 0, static_cast<size_t>(eol - q)) != nullptr) return Finish();
    return done();
  }
  q = SkipBlanks(q, eol);
  const bool help = StartsWith(q, eol, "HELP"), type = StartsWith(q, eol, "TYPE");
  if ((!help && !type) || eol - q < 5 || !IsBlank(q[4])) return done();  // an ordinary comment
  q = SkipBlanks(q + 4, eol);
  if (q == eol || !Is(*q, kMetricStart)) {
    return Fail(std::string("expected metric name after ") + (help ? "HELP" : "TYPE") + ", got " + Got(q, e));
  }
  q = Skip(q + 1, eol, kMetricChar);
  // The text: the rest of the line minus its first byte, or "" if the rest is only blanks.
  std::string_view text;
  if (SkipBlanks(q, eol) != eol) text = std::string_view(q + 1, static_cast<size_t>(eol - q - 1));
  if (type) {
    if (text != "counter" && text != "gauge" && text != "histogram" && text != "summary" && text != "untyped") {
      return Fail("invalid metric type " + GoQuote(text));
    }
  } else if (!go::ValidUtf8(text)) {
    return Fail("help text is not valid UTF-8");
  }
  return done();
}

bool ExpositionParser::TextSample(const char* p) {
  const char* const e = end_;
  const char* const start = p;
  p = Skip(p + 1, e, kMetricChar);
  name_ = std::string_view(start, static_cast<size_t>(p - start));
  series_ = name_;
  labels_.clear();
  has_exemplar_ = false;
  p = SkipBlanks(p, e);
  if (p < e && *p == '{') {
    p = ParseLabels(p, /*loose=*/true, /*allow_nul=*/true, &labels_);
    if (p == nullptr) return false;
    series_ = std::string_view(start, static_cast<size_t>(p - start));
    p = SkipBlanks(p, e);
  }
  const char* const value = p;
  p = Skip(p, e, kTextValue);
  if (p == value) return Fail("expected value after metric, got " + Got(p, e));
  const std::string_view text(value, static_cast<size_t>(p - value));
  if (FloatError err = go::ParseFloat(text, &value_); err != FloatError::kNone) {
    return Fail(FloatProblem("value", text, err));
  }
  p = SkipBlanks(p, e);
  has_ts_ = false;
  if (p < e && *p != '\n') {
    if (!IsDigit(*p)) return Fail("expected timestamp or end of line, got " + Got(p, e));
    const char* const ts = p;
    uint64_t v = 0;
    bool overflow = false;
    for (; p < e && IsDigit(*p); ++p) {
      const uint64_t d = static_cast<uint64_t>(*p - '0');
      overflow |= v > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - d) / 10;
      if (!overflow) v = v * 10 + d;
    }
    if (overflow) {
      return Fail("invalid timestamp " + GoQuote(std::string_view(ts, static_cast<size_t>(p - ts))) + ": out of range");
    }
    ts_ = static_cast<int64_t>(v);
    has_ts_ = true;
    p = SkipBlanks(p, e);
    if (p < e && *p != '\n') return Fail("expected end of line after timestamp, got " + Got(p, e));
  }
  return FinishSample(p);
}

// ---- OpenMetrics --------------------------------------------------------------------------------

enum MetaKind { kHelp, kType, kUnit };

bool ExpositionParser::NextOpenMetrics() {
  const char* const e = end_;
  for (;;) {
    entry_ = p_;
    const char* const p = p_;
    if (p == e) return Fail("data does not end with # EOF");
    if (*p == '#' && e - p >= 2 && p[1] == ' ') {
      const char* q = p + 2;
      if (StartsWith(q, e, "EOF")) {
        q += 3;
        if (q < e && *q == '\n') ++q;
        if (q != e) return Fail("unexpected data after # EOF");
        return Finish();
      }
      const int kind = StartsWith(q, e, "HELP ")   ? kHelp
                       : StartsWith(q, e, "TYPE ") ? kType
                       : StartsWith(q, e, "UNIT ") ? kUnit
                                                   : -1;
      if (kind >= 0) {
        if (!OpenMetricsMeta(q + 5, kind)) return false;
        continue;
      }
    }
    if (!Is(*p, kMetricStart)) {
      return Fail("expected a metric name, # HELP, # TYPE, # UNIT or # EOF, got " + Got(p, e));
    }
    return OpenMetricsSample(p);
  }
}

bool ExpositionParser::OpenMetricsMeta(const char* p, int kind) {
  const char* const e = end_;
  static constexpr const char* kWord[] = {"HELP", "TYPE", "UNIT"};
  if (p == e || !Is(*p, kMetricStart)) {
    return Fail(std::string("expected metric name after ") + kWord[kind] + ", got " + Got(p, e));
  }
  const char* const name = p;
  p = Skip(p + 1, e, kMetricChar);
  const std::string_view metric(name, static_cast<size_t>(p - name));
  const char* const eol = EndOfLine(p, e);
  if (p == e || *p != ' ' || eol == e) {
    return Fail(std::string("expected a space and text after the metric name in ") + kWord[kind] +
                (eol == e ? " (and a line end)" : "") + ", got " + Got(p, e));
  }
  const std::string_view text(p + 1, static_cast<size_t>(eol - p - 1));
  if (kind == kType) {
    static constexpr std::string_view kTypes[] = {"counter", "gauge", "histogram", "gaugehistogram",
                                                  "summary", "info",  "stateset",  "unknown"};
    if (std::find(std::begin(kTypes), std::end(kTypes), text) == std::end(kTypes)) {
      return Fail("invalid metric type " + GoQuote(text));
    }
  } else if (kind == kHelp) {
    if (!go::ValidUtf8(text)) return Fail("help text is not valid UTF-8");
  } else if (!text.empty() && (metric.size() < text.size() + 1 || !metric.ends_with(text) ||
                               metric[metric.size() - text.size() - 1] != '_')) {
    return Fail("unit " + GoQuote(text) + " is not a suffix of metric " + GoQuote(metric));
  }
  if (options_.max_line_bytes != 0 && static_cast<size_t>(eol - entry_) > options_.max_line_bytes) {
    return Fail("longer than " + std::to_string(options_.max_line_bytes) + " bytes");
  }
  p_ = eol + 1;
  return true;
}

bool ExpositionParser::OpenMetricsSample(const char* p) {
  const char* const e = end_;
  const char* const start = p;
  p = Skip(p + 1, e, kMetricChar);
  name_ = std::string_view(start, static_cast<size_t>(p - start));
  series_ = name_;
  labels_.clear();
  has_exemplar_ = false;
  has_ts_ = false;
  if (p < e && *p == '{') {
    p = ParseLabels(p, /*loose=*/false, /*allow_nul=*/true, &labels_);
    if (p == nullptr) return false;
    series_ = std::string_view(start, static_cast<size_t>(p - start));
  }
  if (p == e || *p != ' ' || p + 1 == e || !Is(p[1], kOmValue)) {
    return Fail("expected a space and a value after the metric, got " + Got(p, e));
  }
  const char* const value = ++p;
  p = Skip(p, e, kOmValue);
  const std::string_view text(value, static_cast<size_t>(p - value));
  if (FloatError err = go::ParseFloat(text, &value_); err != FloatError::kNone) {
    return Fail(FloatProblem("value", text, err));
  }
  auto exemplar_next = [&](const char* q) { return e - q >= 4 && std::memcmp(q, " # {", 4) == 0; };
  if (p == e) return Fail("data does not end with # EOF");
  if (*p == ' ' && !exemplar_next(p)) {
    if (p + 1 == e || !Is(p[1], kOmValue)) return Fail("expected timestamp or exemplar, got " + Got(p, e));
    ++p;
    if (!OpenMetricsTimestamp(&p, "timestamp", &ts_)) return false;
    has_ts_ = true;
  }
  if (exemplar_next(p)) return OpenMetricsExemplar(p + 3);
  if (p == e || *p != '\n') {
    return Fail(std::string(has_ts_ ? "expected end of line or exemplar after timestamp"
                                    : "expected timestamp, exemplar or end of line") +
                ", got " + Got(p, e));
  }
  return FinishSample(p);
}

bool ExpositionParser::OpenMetricsTimestamp(const char** p, const char* what, int64_t* ms) {
  const char* const ts = *p;
  *p = Skip(ts, end_, kOmValue);
  const std::string_view ts_text(ts, static_cast<size_t>(*p - ts));
  double seconds = 0;
  if (FloatError err = go::ParseFloat(ts_text, &seconds); err != FloatError::kNone) {
    return Fail(FloatProblem(what, ts_text, err));
  }
  if (std::isnan(seconds) || std::isinf(seconds)) return Fail(std::string("invalid ") + what + " " + GoQuote(ts_text));
  *ms = SecondsToMs(seconds);
  return true;
}

bool ExpositionParser::OpenMetricsExemplar(const char* p) {
  const char* const e = end_;
  if (!name_.ends_with("_total") && !name_.ends_with("_bucket")) {
    return Fail("metric name " + std::string(name_) + " does not support exemplars (only *_total and *_bucket)");
  }
  exemplar_labels_.clear();
  p = ParseLabels(p, /*loose=*/false, /*allow_nul=*/false, &exemplar_labels_);
  if (p == nullptr) return false;
  if (p == e || *p != ' ' || p + 1 == e || !Is(p[1], kOmValue)) {
    return Fail("expected a space and a value after the exemplar labels, got " + Got(p, e));
  }
  const char* const value = ++p;
  p = Skip(p, e, kOmValue);
  const std::string_view text(value, static_cast<size_t>(p - value));
  if (FloatError err = go::ParseFloat(text, &exemplar_value_); err != FloatError::kNone) {
    return Fail(FloatProblem("exemplar value", text, err));
  }
  exemplar_has_ts_ = false;
  if (p < e && *p == ' ' && p + 1 < e && Is(p[1], kOmValue)) {
    ++p;
    if (!OpenMetricsTimestamp(&p, "exemplar timestamp", &exemplar_ts_)) return false;
    exemplar_has_ts_ = true;
  }
  if (p == e && !exemplar_has_ts_) return Fail("data does not end with # EOF");
  if (p == e || *p != '\n') return Fail("expected end of line after the exemplar, got " + Got(p, e));
  has_exemplar_ = true;
  return FinishSample(p);
}

// ---- results ------------------------------------------------------------------------------------

void ExpositionParser::ReadLabels(gnomon::Labels* out) const {
  out->resize(labels_.size() + 1);
  (*out)[0].name.assign(kMetricNameLabel);
  (*out)[0].value.assign(name_);
  for (size_t i = 0; i < labels_.size(); ++i) {
    Label& l = (*out)[i + 1];
    l.name.assign(labels_[i].name);
    if (labels_[i].escaped) {
      Unescape(labels_[i].raw_value, &l.value);
    } else {
      l.value.assign(labels_[i].raw_value);
    }
  }
}

void ExpositionParser::ReadExemplar(Exemplar* out) const {
  std::vector<LabelRef> refs = exemplar_labels_;
  SortByName(&refs);
  out->labels.resize(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    out->labels[i].name.assign(refs[i].name);
    if (refs[i].escaped) {
      Unescape(refs[i].raw_value, &out->labels[i].value);
    } else {
      out->labels[i].value.assign(refs[i].raw_value);
    }
  }
  out->value = exemplar_value_;
  out->timestamp_ms = exemplar_has_ts_ ? std::optional<int64_t>(exemplar_ts_) : std::nullopt;
}

Result<std::vector<ScrapedSample>> ParseExposition(std::string_view body, ExpositionFormat format,
                                                   const ParseOptions& options) {
  ExpositionParser parser(body, format, options);
  std::vector<ScrapedSample> samples;
  samples.reserve(static_cast<size_t>(std::count(body.begin(), body.end(), '\n')) + 1);
  while (parser.Next()) {
    ScrapedSample& s = samples.emplace_back();
    parser.ReadLabels(&s.labels);
    s.value = parser.value();
    s.timestamp_ms = parser.timestamp_ms();
    if (options.keep_exemplars && parser.has_exemplar()) parser.ReadExemplar(&s.exemplar.emplace());
  }
  if (!parser.status().ok()) return parser.status();
  return samples;
}

}  // namespace gnomon::scrape
