// Go's strconv formatting (see go_strconv.h): FormatFloat's digits from std::to_chars (rounding
// exactly like strconv: correctly, ties to even) laid out as strconv's formatDigits / fmtE / fmtF,
// Quote, and the UTF-8 helpers the fmt side shares.
#include "util/go_strconv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "util/decimal_format.h"
#include "util/strings.h"

namespace gnomon {
namespace {

constexpr int kMaxPrecision = 1000000;  // fmt's tooLarge bound for precisions

// Decimal digits of |v| without trailing zeros; the value is 0.d1d2... * 10^dp.
struct Digits {
  std::string d;
  int dp = 0;
};

// `sig` significant digits, or the shortest round-tripping digits if sig < 0.
Digits MakeDigits(double a, int sig) {
  Digits out;
  if (a == 0) return out;
  std::string buf(static_cast<size_t>(std::max(sig, 0)) + 40, '\0');
  std::to_chars_result r = sig < 0 ? std::to_chars(buf.data(), buf.data() + buf.size(), a, std::chars_format::scientific)
                                   : std::to_chars(buf.data(), buf.data() + buf.size(), a, std::chars_format::scientific,
                                                   sig - 1);
  std::string_view s(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
  size_t e = s.find('e');
  if (e == std::string_view::npos) return out;
  for (size_t i = 0; i < e; ++i) {
    if (s[i] != '.') out.d.push_back(s[i]);
  }
  int exp = std::atoi(std::string(s.substr(e + 1)).c_str());
  while (!out.d.empty() && out.d.back() == '0') out.d.pop_back();
  out.dp = out.d.empty() ? 0 : exp + 1;
  return out;
}

void AppendE(std::string* out, const Digits& d, int prec, char fmt) {
  int nd = static_cast<int>(d.d.size());
  out->push_back(nd ? d.d[0] : '0');
  if (prec > 0) {
    out->push_back('.');
    int i = 1;
    int m = std::min(nd, prec + 1);
    if (i < m) {
      out->append(d.d, static_cast<size_t>(i), static_cast<size_t>(m - i));
      i = m;
    }
    for (; i <= prec; ++i) out->push_back('0');
  }
  out->push_back(fmt);
  int exp = nd == 0 ? 0 : d.dp - 1;
  out->push_back(exp < 0 ? '-' : '+');
  if (exp < 0) exp = -exp;
  if (exp < 10) {
    out->push_back('0');
    out->push_back(static_cast<char>('0' + exp));
  } else {
    out->append(std::to_string(exp));
  }
}

void AppendF(std::string* out, const Digits& d, int prec) {
  int nd = static_cast<int>(d.d.size());
  if (d.dp > 0) {
    int m = std::min(nd, d.dp);
    out->append(d.d, 0, static_cast<size_t>(m));
    for (; m < d.dp; ++m) out->push_back('0');
  } else {
    out->push_back('0');
  }
  if (prec > 0) {
    out->push_back('.');
    for (int i = 1; i <= prec; ++i) {
      int j = d.dp + i - 1;
      out->push_back(j >= 0 && j < nd ? d.d[static_cast<size_t>(j)] : '0');
    }
  }
}

}  // namespace

namespace gostr {

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Decodes one UTF-8 rune at s[i]; an invalid byte yields 0xFFFD with width 1 (Go's RuneError).
char32_t DecodeRune(std::string_view s, size_t i, size_t* width) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  *width = 1;
  if (c < 0x80) return c;
  int n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0xFFFD;
  char32_t r = c & (0x7F >> n);
  for (int k = 1; k < n; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0xFFFD;
    r = (r << 6) | (cc & 0x3F);
  }
  if ((n == 3 && (r < 0x800 || (r >= 0xD800 && r <= 0xDFFF))) || (n == 4 && (r < 0x10000 || r > 0x10FFFF))) {
    return 0xFFFD;
  }
  *width = static_cast<size_t>(n);
  return r;
}

}  // namespace gostr

namespace {

// An approximation of unicode.IsPrint for non-ASCII runes: C1 controls, the soft hyphen,
// surrogates, private use, noncharacters and the line/paragraph separators are not printable.
bool IsPrintRune(char32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (r < 0xA0 || r == 0xAD) return false;
  if (r >= 0x2028 && r <= 0x202E) return false;
  if (r >= 0x200B && r <= 0x200F) return false;
  if (r >= 0xE000 && r <= 0xF8FF) return false;
  if ((r & 0xFFFE) == 0xFFFE || r == 0xFEFF) return false;
  return r <= 0x10FFFF;
}

}  // namespace

namespace gostr {

void AppendQuotedRune(std::string* out, char32_t r, size_t width, bool invalid, char quote, bool ascii_only) {
  static constexpr char kHex[] = "0123456789abcdef";
  if (invalid) {  // an invalid byte: \xHH of the byte itself (r holds it)
    out->append("\\x");
    out->push_back(kHex[(r >> 4) & 0xF]);
    out->push_back(kHex[r & 0xF]);
    return;
  }
  (void)width;
  if (r == static_cast<char32_t>(quote) || r == '\\') {
    out->push_back('\\');
    out->push_back(static_cast<char>(r));
    return;
  }
  if (ascii_only ? (r < 0x80 && IsPrintRune(r)) : IsPrintRune(r)) {
    AppendUtf8(static_cast<uint32_t>(r), out);
    return;
  }
  switch (r) {
    case '\a': out->append("\\a"); return;
    case '\b': out->append("\\b"); return;
    case '\f': out->append("\\f"); return;
    case '\n': out->append("\\n"); return;
    case '\r': out->append("\\r"); return;
    case '\t': out->append("\\t"); return;
    case '\v': out->append("\\v"); return;
    default: break;
  }
  char buf[16];
  if (r < ' ' || r == 0x7F) {
    std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(r));
  } else if (r < 0x10000) {
    std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(r));
  } else {
    std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(r));
  }
  out->append(buf);
}

bool CanBackquote(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t w;
    char32_t r = DecodeRune(s, i, &w);
    if (r == 0xFFFD && w == 1 && static_cast<unsigned char>(s[i]) >= 0x80) return false;
    if (w == 1) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if ((c < ' ' && c != '\t') || c == '`' || c == 0x7F) return false;
    } else if (r == 0xFEFF) {
      return false;
    }
    i += w;
  }
  return true;
}

}  // namespace gostr


using gostr::AppendQuotedRune;
using gostr::DecodeRune;

std::string GoFormatFloat(double v, char fmt, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (prec > kMaxPrecision) prec = kMaxPrecision;
  if (fmt == 'f' && prec < 0) {  // count_values formats every value: most are short decimals
    DecimalFormatter fast;
    char buf[kNumberBufferSize];
    if (char* end = fast.TryGoFixed(v, buf)) return std::string(buf, end);
  }
  bool neg = std::signbit(v);
  double a = std::fabs(v);
  std::string out = neg ? "-" : "";
  if (fmt == 'f' && prec >= 0) {
    std::string buf(static_cast<size_t>(prec) + 400, '\0');
    auto r = std::to_chars(buf.data(), buf.data() + buf.size(), a, std::chars_format::fixed, prec);
    out.append(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
    return out;
  }
  bool shortest = prec < 0;
  Digits d;
  if (shortest) {
    d = MakeDigits(a, -1);
  } else if (fmt == 'e' || fmt == 'E') {
    d = MakeDigits(a, prec + 1);
  } else {  // 'g', 'G'
    if (prec == 0) prec = 1;
    d = MakeDigits(a, prec);
  }
  int nd = static_cast<int>(d.d.size());
  if (shortest) {
    if (fmt == 'e' || fmt == 'E') prec = std::max(nd - 1, 0);
    if (fmt == 'f') prec = std::max(nd - d.dp, 0);
    if (fmt == 'g' || fmt == 'G') prec = nd;
  }
  switch (fmt) {
    case 'e':
    case 'E':
      AppendE(&out, d, prec, fmt);
      return out;
    case 'f':
      AppendF(&out, d, prec);
      return out;
    case 'g':
    case 'G': {
      int eprec = prec;
      if (eprec > nd && nd >= d.dp) eprec = nd;
      if (shortest) eprec = 6;
      int exp = d.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > nd) prec = nd;
        AppendE(&out, d, prec - 1, fmt == 'g' ? 'e' : 'E');
        return out;
      }
      if (prec > d.dp) prec = nd;
      AppendF(&out, d, std::max(prec - d.dp, 0));
      return out;
    }
    default:
      return std::string("%") + fmt;
  }
}

std::string GoQuote(std::string_view s, bool ascii_only) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t w;
    char32_t r = DecodeRune(s, i, &w);
    bool invalid = r == 0xFFFD && w == 1 && static_cast<unsigned char>(s[i]) >= 0x80;
    AppendQuotedRune(&out, invalid ? static_cast<unsigned char>(s[i]) : r, w, invalid, '"', ascii_only);
    i += w;
  }
  out.push_back('"');
  return out;
}

}  // namespace gnomon
