#include "http/api/query_json.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace gnomon::api {

namespace {

// Length of the valid UTF-8 sequence at s[i] (2-4), or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
    return 0;
  }
  return n;
}

bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80; }

}  // namespace

void AppendPromFloat(std::string* out, double v) { AppendFloat(out, v, true); }

void AppendFloatFixed(std::string* out, double v) { AppendFloat(out, v, false); }

void AppendFloat(std::string* out, double v, bool exponent_form) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  char buf[40];
  // The shortest digits that round-trip, as "[-]d[.ddd]e±XX"; Go picks the same digits.
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  double a = std::fabs(v);
  if (exponent_form && a != 0 && (a < 1e-6 || a >= 1e21)) {
    out->append(buf, r.ptr);  // Go's 'e' format has the same shape: 1e-07, 1.5e+21
    return;
  }
  const char* p = buf;
  if (*p == '-') {
    out->push_back('-');
    ++p;
  }
  char digits[24];
  size_t n = 0;
  while (*p != 'e') {
    if (*p != '.') digits[n++] = *p;
    ++p;
  }
  ++p;  // 'e'
  int exp = 0;
  std::from_chars(*p == '+' ? p + 1 : p, r.ptr, exp);
  if (exp < 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-exp - 1), '0');
    out->append(digits, n);
    return;
  }
  size_t int_digits = static_cast<size_t>(exp) + 1;
  if (n <= int_digits) {
    out->append(digits, n);
    out->append(int_digits - n, '0');
  } else {
    out->append(digits, int_digits);
    out->push_back('.');
    out->append(digits + int_digits, n - int_digits);
  }
}

void AppendPromTimestamp(std::string* out, int64_t ms) {
  uint64_t t = static_cast<uint64_t>(ms);
  if (ms < 0) {
    out->push_back('-');
    t = 0 - t;
  }
  char buf[28];
  auto r = std::to_chars(buf, buf + sizeof buf, t / 1000);
  out->append(buf, r.ptr);
  unsigned frac = static_cast<unsigned>(t % 1000);
  if (frac != 0) {
    char f[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                 static_cast<char>('0' + frac % 10)};
    out->append(f, 4);
  }
}

void AppendGoJsonString(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && !NeedsEscape(static_cast<unsigned char>(s[i]))) ++i;
    out->append(s.data() + start, i - start);
    if (i == s.size()) break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out->append("\\ufffd");
        ++i;
      } else if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                 (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
        out->append(static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
        i += 3;
      } else {
        out->append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default: {
        char e[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(e, 6);
      }
    }
    ++i;
  }
  out->push_back('"');
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
  out->push_back('[');
  AppendPromTimestamp(out, s.timestamp);
  out->append(",\"");
  AppendPromFloat(out, s.value);
  out->append("\"]");
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
        for (size_t j = 0; j < s.points.size(); ++j) {
          if (j) out.push_back(',');
          AppendPromPoint(&out, s.points[j]);
        }
        out.append("]}");
      }
      out.push_back(']');
      break;
    default:  // kVector (kNone does not come out of the engine; an empty vector is harmless)
      out.append("\"vector\",\"result\":[");
      for (size_t i = 0; i < result.series.size(); ++i) {
        const auto& s = result.series[i];
        if (i) out.push_back(',');
        out.append("{\"metric\":");
        AppendLabelsJson(&out, s.labels);
        out.append(",\"value\":");
        AppendPromPoint(&out, s.points.empty() ? Sample{} : s.points.front());
        out.push_back('}');
      }
      out.push_back(']');
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
