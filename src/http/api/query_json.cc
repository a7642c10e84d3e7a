#include "http/api/query_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "util/decimal_format.h"

namespace gnomon::api {

namespace {

// Length of the valid UTF-8 sequence at s[i] (2-4), or 0 if it is not one.
// The same as out->append(begin, end), which goes through the slower replace().
void AppendChars(std::string* out, const char* begin, const char* end) {
  out->append(begin, static_cast<size_t>(end - begin));
}

// Room WriteFloat needs: the fixed form of a double is at most 327 chars ("-0.", 323 zeros and
// more digits for the smallest, 309 digits for the largest).
constexpr size_t kMaxFloatText = 352;

char* Copy(std::string_view s, char* p) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// The text of AppendFloat: kMaxFloatText chars at most, 26 if `exponent_form`.
char* WriteFloat(double v, bool exponent_form, char* out) {
  if (std::isnan(v)) return Copy("NaN", out);
  if (std::isinf(v)) return Copy(v > 0 ? "+Inf" : "-Inf", out);
  char buf[40];
  // The shortest digits that round-trip, as "[-]d[.ddd]e±XX"; Go picks the same digits.
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  double a = std::fabs(v);
  if (exponent_form && a != 0 && (a < 1e-6 || a >= 1e21)) {
    return Copy(std::string_view(buf, r.ptr), out);  // Go's 'e' format has the same shape: 1e-07, 1.5e+21
  }
  const char* p = buf;
  if (*p == '-') *out++ = *p++;
  char digits[24];
  size_t n = 0;
  for (; *p != 'e'; ++p) {
    if (*p != '.') digits[n++] = *p;
  }
  ++p;  // 'e'
  int exp = 0;
  std::from_chars(*p == '+' ? p + 1 : p, r.ptr, exp);
  if (exp < 0) {
    out = Copy("0.", out);
    std::memset(out, '0', static_cast<size_t>(-exp - 1));
    return Copy(std::string_view(digits, n), out + (-exp - 1));
  }
  size_t int_digits = static_cast<size_t>(exp) + 1;
  if (n <= int_digits) {
    out = Copy(std::string_view(digits, n), out);
    std::memset(out, '0', int_digits - n);
    return out + (int_digits - n);
  }
  out = Copy(std::string_view(digits, int_digits), out);
  *out++ = '.';
  return Copy(std::string_view(digits + int_digits, n - int_digits), out);
}

// The text of AppendPromTimestamp; at most 25 chars.
char* WritePromTimestamp(int64_t ms, char* p) {
  uint64_t t = static_cast<uint64_t>(ms);
  if (ms < 0) {
    *p++ = '-';
    t = 0 - t;
  }
  p = WriteUint(t / 1000, p);
  auto frac = static_cast<unsigned>(t % 1000);
  if (frac != 0) {
    *p = '.';
    p = WriteDigits(frac, 3, p + 1);
  }
  return p;
}

// The text of a matrix's timestamps. The series of a range query have their points at the same
// steps, so the text of each step is kept: a series' timestamps are looked up in order among those
// of the series before it (Write must find the same text as WritePromTimestamp, whatever the
// order; it is only slower when timestamps are out of order or new).
class TimestampTexts {
 public:
  // Call before each series.
  void BeginSeries() {
    if (fresh_.size() > known_.size() / 8) Learn();
    fresh_.clear();
    cursor_ = 0;
  }

  char* Write(int64_t ms, char* p) {
    while (cursor_ < known_.size() && known_[cursor_].ms < ms) ++cursor_;
    const Entry* e;
    if (cursor_ < known_.size() && known_[cursor_].ms == ms) {
      e = &known_[cursor_];
    } else {
      e = &fresh_.emplace_back();
      fresh_.back().ms = ms;
      fresh_.back().len = static_cast<uint32_t>(Format(ms, fresh_.back().text) - fresh_.back().text);
    }
    std::memcpy(p, e->text, sizeof e->text);
    return p + e->len;
  }

 private:
  static constexpr size_t kMaxKnown = 1 << 16;  // 3 MiB of text at most

  struct Entry {
    int64_t ms;
    uint32_t len;
    char text[kNumberBufferSize];
  };

  char* Format(int64_t ms, char* p) {
    if (ms < 0) return WritePromTimestamp(ms, p);
    auto t = static_cast<uint64_t>(ms);
    p = seconds_.Write(t / 1000, p);
    auto frac = static_cast<unsigned>(t % 1000);
    if (frac != 0) {
      *p = '.';
      p = WriteDigits(frac, 3, p + 1);
    }
    return p;
  }

  // Adds the timestamps met for the first time in the last series to the known ones.
  void Learn() {
    auto by_time = [](const Entry& a, const Entry& b) { return a.ms < b.ms; };
    if (known_.size() + fresh_.size() > kMaxKnown || !std::is_sorted(fresh_.begin(), fresh_.end(), by_time)) return;
    std::vector<Entry> merged(known_.size() + fresh_.size());
    std::merge(known_.begin(), known_.end(), fresh_.begin(), fresh_.end(), merged.begin(), by_time);
    known_.swap(merged);
  }

  std::vector<Entry> known_;  // in time order
  std::vector<Entry> fresh_;  // those of the current series not in known_
  size_t cursor_ = 0;
  SortedUintWriter<4> seconds_;
};

// Writes the points of vectors and matrices, keeping state from point to point: the scale of the
// values (see DecimalFormatter) and the text of the timestamps.
class PointWriter {
 public:
  void BeginSeries() { timestamps_.BeginSeries(); }

  // Writes "[ts,\"value\"]", after a comma unless `first`, at p (ChunkedAppender::kRoom chars
  // there); returns the end.
  char* Write(char* p, const Sample& s, bool first) {
    if (!first) *p++ = ',';
    *p++ = '[';
    p = timestamps_.Write(s.timestamp, p);
    *p++ = ',';
    *p++ = '"';
    char* end = values_.TryGoFixed(s.value, p);
    if (end == nullptr) end = WriteFloat(s.value, true, p);
    end[0] = '"';
    end[1] = ']';
    return end + 2;
  }

 private:
  DecimalFormatter values_;
  TimestampTexts timestamps_;
};

}  // namespace

void AppendPromFloat(std::string* out, double v) {
  char buf[kNumberBufferSize];
  DecimalFormatter f;
  if (char* end = f.TryGoFixed(v, buf)) {
    AppendChars(out, buf, end);
    return;
  }
  AppendFloat(out, v, true);
}

void AppendFloatFixed(std::string* out, double v) { AppendFloat(out, v, false); }

void AppendFloat(std::string* out, double v, bool exponent_form) {
  char buf[kMaxFloatText];
  AppendChars(out, buf, WriteFloat(v, exponent_form, buf));
}

void AppendPromTimestamp(std::string* out, int64_t ms) {
  char buf[kNumberBufferSize];
  AppendChars(out, buf, WritePromTimestamp(ms, buf));
}

void AppendScalarTimestamp(std::string* out, int64_t ms) {
  AppendFloatFixed(out, static_cast<double>(ms) / 1000);
}

void AppendLabelsJson(std::string* out, const Labels& labels) {
  out->push_back('{');
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out->push_back(',');
    AppendGoJsonString(out, labels[i].name);
    out->push_back(':');
    AppendGoJsonString(out, labels[i].value);
  }
  out->push_back('}');
}

void AppendPromPoint(std::string* out, const Sample& s) {
  char buf[ChunkedAppender::kRoom];
  AppendChars(out, buf, PointWriter().Write(buf, s, true));
}

std::string QueryResultJson(const promql::QueryResult& result) {
  std::string out;
  size_t points = 0, label_bytes = 0;
  for (const auto& s : result.series) {
    points += s.points.size();
    for (const auto& l : s.labels) label_bytes += l.name.size() + l.value.size() + 6;
  }
  out.reserve(64 + points * 32 + label_bytes + result.series.size() * 32 + result.string_value.size());
  out.append("{\"status\":\"success\",\"data\":{\"resultType\":");
  PointWriter writer;
  switch (result.type) {
    case promql::ValueType::kScalar:
      out.append("\"scalar\",\"result\":[");
      AppendScalarTimestamp(&out, result.scalar.timestamp);
      out.append(",\"");
      AppendFloatFixed(&out, result.scalar.value);
      out.append("\"]");
      break;
    case promql::ValueType::kString:
      out.append("\"string\",\"result\":[");
      AppendScalarTimestamp(&out, result.string_time_ms);
      out.push_back(',');
      AppendGoJsonString(&out, result.string_value);
      out.push_back(']');
      break;
    case promql::ValueType::kMatrix:
      out.append("\"matrix\",\"result\":[");
      for (size_t i = 0; i < result.series.size(); ++i) {
        const auto& s = result.series[i];
        if (i) out.push_back(',');
        out.append("{\"metric\":");
        AppendLabelsJson(&out, s.labels);
        out.append(",\"values\":[");
        writer.BeginSeries();
        {
          ChunkedAppender chunk(&out);
          for (size_t j = 0; j < s.points.size(); ++j) {
            chunk.Commit(writer.Write(chunk.Next(), s.points[j], j == 0));
          }
        }
        out.append("]}");
      }
      out.push_back(']');
      break;
    default: {  // kVector (kNone does not come out of the engine; an empty vector is harmless)
      out.append("\"vector\",\"result\":[");
      char buf[ChunkedAppender::kRoom];
      for (size_t i = 0; i < result.series.size(); ++i) {
        const auto& s = result.series[i];
        if (i) out.push_back(',');
        out.append("{\"metric\":");
        AppendLabelsJson(&out, s.labels);
        out.append(",\"value\":");
        writer.BeginSeries();
        AppendChars(&out, buf, writer.Write(buf, s.points.empty() ? Sample{} : s.points.front(), true));
        out.push_back('}');
      }
      out.push_back(']');
    }
  }
  out.append("}}");
  return out;
}

std::string StringListJson(const std::vector<std::string>& values) {
  std::string out = "{\"status\":\"success\",\"data\":[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    AppendGoJsonString(&out, values[i]);
  }
  out.append("]}");
  return out;
}

std::string LabelSetsJson(const std::vector<Labels>& sets) {
  std::string out = "{\"status\":\"success\",\"data\":[";
  for (size_t i = 0; i < sets.size(); ++i) {
    if (i) out.push_back(',');
    AppendLabelsJson(&out, sets[i]);
  }
  out.append("]}");
  return out;
}


}  // namespace gnomon::api
