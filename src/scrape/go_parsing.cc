// Go standard-library parsing (see go_parsing.h): strconv.ParseFloat's grammar checked by hand, the
// digits converted by std::from_chars (correctly rounded, as strconv); utf8.Valid with an ASCII fast
// path; mime.ParseMediaType's token and parameter rules.
#include "scrape/go_parsing.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

namespace gnomon::scrape::go {
namespace {

constexpr uint64_t kNormalNaNBits = 0x7ff8000000000001ull;  // Prometheus' value.NormalNaN

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool EqualsFold(const char* p, const char* e, std::string_view lower) {
  if (static_cast<size_t>(e - p) != lower.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i) {
    if ((p[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
// A token byte of RFC 1521 / Go's mime: printable ASCII but no tspecial.
bool IsTokenChar(char c) { return c > 0x20 && c < 0x7f && std::strchr("()<>@,;:\\\"/[]?=", c) == nullptr; }
bool IsTSpecial(char c) { return c > 0x20 && c < 0x7f && !IsTokenChar(c); }

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}
std::string_view Trim(std::string_view s) {
  s = TrimLeft(s);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}
std::string_view ConsumeToken(std::string_view* s) {
  size_t n = 0;
  while (n < s->size() && IsTokenChar((*s)[n])) ++n;
  const std::string_view token = s->substr(0, n);
  s->remove_prefix(n);
  return token;
}
// Go's consumeValue: a token or a quoted string; false when there is neither.
bool ConsumeValue(std::string_view* s) {
  if (s->empty()) return false;
  if (s->front() != '"') return !ConsumeToken(s).empty();
  for (size_t i = 1; i < s->size(); ++i) {
    const char c = (*s)[i];
    if (c == '"') {
      s->remove_prefix(i + 1);
      return true;
    }
    if (c == '\\' && i + 1 < s->size() && IsTSpecial((*s)[i + 1])) {
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') return false;
  }
  return false;  // no closing quote
}

}  // namespace

FloatError ParseFloat(std::string_view s, double* out) {
  const char* p = s.data();
  const char* const e = p + s.size();
  bool neg = false;
  if (p < e && (*p == '+' || *p == '-')) {
    neg = *p == '-';
    ++p;
  }
  const char* const m = p;
  uint64_t mantissa = 0;
  int digits = 0;
  for (; p < e && IsDigit(*p); ++p, ++digits) mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
  if (p == e && digits > 0 && digits <= 15) {  // an integer a double holds exactly: the common case
    const double v = static_cast<double>(mantissa);
    *out = neg ? -v : v;
    return FloatError::kNone;
  }
  if (p < e && *p == '.') {
    for (++p; p < e && IsDigit(*p); ++p) ++digits;
  }
  if (digits == 0) {
    if (EqualsFold(m, e, "inf") || EqualsFold(m, e, "infinity")) {
      *out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
      return FloatError::kNone;
    }
    if (m == s.data() && EqualsFold(m, e, "nan")) {  // Go takes no sign before NaN
      *out = std::bit_cast<double>(kNormalNaNBits);
      return FloatError::kNone;
    }
    return FloatError::kSyntax;
  }
  if (p < e && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < e && (*p == '+' || *p == '-')) ++p;
    const char* const x = p;
    while (p < e && IsDigit(*p)) ++p;
    if (p == x) return FloatError::kSyntax;
  }
  if (p != e) return FloatError::kSyntax;
  double v = 0;
  const std::from_chars_result r = std::from_chars(m, e, v, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) {
    // Overflow or underflow: strtod tells them apart (HUGE_VAL, or 0 / a subnormal as Go gives).
    const std::string copy(m, e);
    v = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(v)) return FloatError::kRange;
  } else if (r.ec != std::errc() || r.ptr != e) {
    return FloatError::kSyntax;
  }
  *out = neg ? -v : v;
  return FloatError::kNone;
}

bool ValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* const e = p + s.size();
  while (p < e) {
    if (e - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if ((w & 0x8080808080808080ull) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    ptrdiff_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range (Go's acceptRanges)
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlong form
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90;  // no overlong form
      if (c == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
    } else {
      return false;
    }
    if (e - p < n || p[1] < lo || p[1] > hi) return false;
    for (ptrdiff_t i = 2; i < n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += n;
  }
  return true;
}

std::optional<std::string> ParseMediaType(std::string_view v) {
  const std::string_view base = v.substr(0, v.find(';'));
  const std::string_view media = Trim(base);
  std::string_view rest = media;
  if (ConsumeToken(&rest).empty()) return std::nullopt;
  if (!rest.empty()) {  // "type" alone is a media type to Go; "type/subtype" the usual one
    if (rest.front() != '/') return std::nullopt;
    rest.remove_prefix(1);
    if (ConsumeToken(&rest).empty() || !rest.empty()) return std::nullopt;
  }
  std::vector<std::string> seen;
  std::string_view params = v.substr(base.size());
  while (!(params = TrimLeft(params)).empty()) {
    std::string_view p = params;
    bool ok = p.front() == ';';
    std::string key;
    if (ok) {
      p = TrimLeft(p.substr(1));
      for (char c : ConsumeToken(&p)) key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      p = TrimLeft(p);
      ok = !key.empty() && !p.empty() && p.front() == '=';
    }
    if (ok) {
      p = TrimLeft(p.substr(1));
      ok = ConsumeValue(&p);
    }
    if (!ok) {
      if (Trim(params) == ";") break;  // one trailing semicolon is fine
      return std::nullopt;
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) return std::nullopt;  // repeated
    seen.push_back(std::move(key));
    params = p;
  }
  std::string out(media);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace gnomon::scrape::go
