// Go's fmt / strconv formatting (see go_format.h). The digit generation is std::to_chars, which
// rounds exactly like strconv (correctly, ties to even); the layout follows strconv's
// formatDigits / fmtE / fmtF and fmt's padding and sign rules.
#include "alert/go_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "util/strings.h"

namespace gnomon::alert {
namespace {

constexpr int kMaxPrecision = 1000000;  // fmt's tooLarge bound for widths and precisions

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

// The state of one verb: fmt's flags.
struct Spec {
  bool plus = false, minus = false, sharp = false, space = false, zero = false;
  bool wid_present = false, prec_present = false;
  int wid = 0, prec = 0;
};

void WritePadding(std::string* out, const Spec& sp, int n) {
  if (n <= 0) return;
  out->append(static_cast<size_t>(n), sp.zero ? '0' : ' ');
}

void Pad(std::string* out, const Spec& sp, std::string_view s) {
  if (!sp.wid_present || sp.wid == 0) {
    out->append(s);
    return;
  }
  int width = sp.wid - static_cast<int>(RuneCount(s));
  if (!sp.minus) {
    WritePadding(out, sp, width);
    out->append(s);
  } else {
    out->append(s);
    Spec sp2 = sp;
    sp2.zero = false;
    WritePadding(out, sp2, width);
  }
}

void FmtInteger(std::string* out, Spec sp, uint64_t u, int base, bool is_signed, char verb) {
  bool negative = is_signed && static_cast<int64_t>(u) < 0;
  if (negative) u = ~u + 1;
  int prec = 0;
  if (sp.prec_present) {
    prec = sp.prec;
    if (prec == 0 && u == 0) {
      sp.zero = false;
      WritePadding(out, sp, sp.wid);
      return;
    }
  } else if (sp.zero && sp.wid_present) {
    prec = sp.wid;
    if (negative || sp.plus || sp.space) --prec;
  }
  const char* digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string buf;
  do {
    buf.push_back(digits[u % static_cast<uint64_t>(base)]);
    u /= static_cast<uint64_t>(base);
  } while (u != 0);
  while (static_cast<int>(buf.size()) < prec) buf.push_back('0');
  if (sp.sharp) {
    if (base == 2) buf.append("b0");
    if (base == 8 && buf.back() != '0') buf.push_back('0');
    if (base == 16) buf.append(verb == 'X' ? "X0" : "x0");
  }
  if (verb == 'O') buf.append("o0");
  if (negative) {
    buf.push_back('-');
  } else if (sp.plus) {
    buf.push_back('+');
  } else if (sp.space) {
    buf.push_back(' ');
  }
  std::reverse(buf.begin(), buf.end());
  sp.zero = false;
  Pad(out, sp, buf);
}

void FmtFloat(std::string* out, Spec sp, double v, char verb, int prec) {
  if (sp.prec_present) prec = sp.prec;
  std::string num = GoFormatFloat(v, verb, prec);
  if (num[0] != '-' && num[0] != '+') num.insert(num.begin(), '+');
  if (sp.space && num[0] == '+' && !sp.plus) num[0] = ' ';
  if (num[1] == 'I' || num[1] == 'N') {
    if (num[1] == 'N' && !sp.space && !sp.plus) num.erase(0, 1);
    sp.zero = false;
    Pad(out, sp, num);
    return;
  }
  if (sp.plus || num[0] != '+') {
    if (sp.zero && sp.wid_present && sp.wid > static_cast<int>(num.size())) {
      out->push_back(num[0]);
      WritePadding(out, sp, sp.wid - static_cast<int>(num.size()));
      out->append(num, 1, std::string::npos);
      return;
    }
    Pad(out, sp, num);
    return;
  }
  Pad(out, sp, std::string_view(num).substr(1));
}

std::string TruncateRunes(std::string_view s, const Spec& sp) {
  if (!sp.prec_present) return std::string(s);
  size_t i = 0;
  for (int n = 0; i < s.size() && n < sp.prec; ++n) {
    size_t w;
    DecodeRune(s, i, &w);
    i += w;
  }
  return std::string(s.substr(0, i));
}

void BadVerb(std::string* out, const GoArg& arg, char32_t verb) {
  out->append("%!");
  AppendUtf8(static_cast<uint32_t>(verb), out);
  out->push_back('(');
  if (arg.kind == GoArg::Kind::kNil) {
    out->append("<nil>");
  } else {
    out->append(arg.type_name);
    out->push_back('=');
    out->append(GoFormatValue(arg));
  }
  out->push_back(')');
}

void PrintArg(std::string* out, const Spec& sp, const GoArg& arg, char32_t verb) {
  if (verb == 'T') {
    Pad(out, sp, arg.kind == GoArg::Kind::kNil ? "<nil>" : arg.type_name);
    return;
  }
  switch (arg.kind) {
    case GoArg::Kind::kNil:
      if (verb == 'v') {
        Pad(out, sp, "<nil>");
      } else {
        BadVerb(out, arg, verb);
      }
      return;
    case GoArg::Kind::kBool:
      if (verb == 't' || verb == 'v') {
        Pad(out, sp, arg.b ? "true" : "false");
      } else {
        BadVerb(out, arg, verb);
      }
      return;
    case GoArg::Kind::kInt: {
      uint64_t u = static_cast<uint64_t>(arg.i);
      switch (verb) {
        case 'v': case 'd': FmtInteger(out, sp, u, 10, true, 'd'); return;
        case 'b': FmtInteger(out, sp, u, 2, true, 'b'); return;
        case 'o': case 'O': FmtInteger(out, sp, u, 8, true, static_cast<char>(verb)); return;
        case 'x': case 'X': FmtInteger(out, sp, u, 16, true, static_cast<char>(verb)); return;
        case 'c': {
          std::string s;
          AppendUtf8(arg.i < 0 || arg.i > 0x10FFFF ? 0xFFFD : static_cast<uint32_t>(arg.i), &s);
          Pad(out, sp, s);
          return;
        }
        case 'q': {
          std::string s = "'";
          char32_t r = arg.i < 0 || arg.i > 0x10FFFF ? 0xFFFD : static_cast<char32_t>(arg.i);
          AppendQuotedRune(&s, r, 1, false, '\'', sp.plus);
          s.push_back('\'');
          Pad(out, sp, s);
          return;
        }
        case 'U': {
          char buf[32];
          std::snprintf(buf, sizeof(buf), "U+%04llX", static_cast<unsigned long long>(u));
          Pad(out, sp, buf);
          return;
        }
        default: BadVerb(out, arg, verb); return;
      }
    }
    case GoArg::Kind::kFloat:
      switch (verb) {
        case 'v': FmtFloat(out, sp, arg.f, 'g', -1); return;
        case 'g': case 'G': FmtFloat(out, sp, arg.f, static_cast<char>(verb), -1); return;
        case 'e': case 'E': case 'f': FmtFloat(out, sp, arg.f, static_cast<char>(verb), 6); return;
        case 'F': FmtFloat(out, sp, arg.f, 'f', 6); return;
        default: BadVerb(out, arg, verb); return;
      }
    case GoArg::Kind::kString:
      switch (verb) {
        case 'v': case 's': Pad(out, sp, TruncateRunes(arg.text, sp)); return;
        case 'q': {
          std::string s = TruncateRunes(arg.text, sp);
          if (sp.sharp && CanBackquote(s)) {
            Pad(out, sp, "`" + s + "`");
          } else {
            Pad(out, sp, GoQuote(s, sp.plus));
          }
          return;
        }
        case 'x': case 'X': {
          const char* digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
          std::string s;
          size_t n = arg.text.size();
          if (sp.prec_present && static_cast<size_t>(sp.prec) < n) n = static_cast<size_t>(sp.prec);
          for (size_t i = 0; i < n; ++i) {
            if (sp.space && i > 0) s.push_back(' ');
            unsigned char c = static_cast<unsigned char>(arg.text[i]);
            s.push_back(digits[c >> 4]);
            s.push_back(digits[c & 0xF]);
          }
          Pad(out, sp, s);
          return;
        }
        default: BadVerb(out, arg, verb); return;
      }
    case GoArg::Kind::kOther:
      if (verb == 'v' || verb == 's') {
        Pad(out, sp, arg.text);
      } else {
        BadVerb(out, arg, verb);
      }
      return;
  }
}

// Parses a decimal number at format[*i]; false (and *i past the digits) if there is none or it
// is too large.
bool ParseNum(std::string_view format, size_t* i, int* num) {
  if (*i >= format.size() || format[*i] < '0' || format[*i] > '9') return false;
  long long n = 0;
  bool ok = true;
  while (*i < format.size() && format[*i] >= '0' && format[*i] <= '9') {
    if (n > kMaxPrecision) ok = false;
    if (ok) n = n * 10 + (format[*i] - '0');
    ++*i;
  }
  if (n > kMaxPrecision) ok = false;
  *num = static_cast<int>(n);
  return ok;
}

}  // namespace

GoArg GoArg::Bool(bool v) {
  GoArg a;
  a.kind = Kind::kBool;
  a.b = v;
  a.type_name = "bool";
  return a;
}

GoArg GoArg::Int(int64_t v) {
  GoArg a;
  a.kind = Kind::kInt;
  a.i = v;
  a.type_name = "int";
  return a;
}

GoArg GoArg::Float(double v) {
  GoArg a;
  a.kind = Kind::kFloat;
  a.f = v;
  a.type_name = "float64";
  return a;
}

GoArg GoArg::String(std::string v, std::string type_name) {
  GoArg a;
  a.kind = Kind::kString;
  a.text = std::move(v);
  a.type_name = std::move(type_name);
  return a;
}

GoArg GoArg::Other(std::string text, std::string type_name) {
  GoArg a;
  a.kind = Kind::kOther;
  a.text = std::move(text);
  a.type_name = std::move(type_name);
  return a;
}

std::string GoFormatFloat(double v, char fmt, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (prec > kMaxPrecision) prec = kMaxPrecision;
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

std::string GoSprintf(std::string_view format, const std::vector<GoArg>& args) {
  std::string out;
  size_t argn = 0;
  size_t i = 0;
  const size_t end = format.size();
  while (i < end) {
    size_t last = i;
    while (i < end && format[i] != '%') ++i;
    out.append(format.substr(last, i - last));
    if (i >= end) break;
    ++i;  // the '%'
    Spec sp;
    for (; i < end; ++i) {
      char c = format[i];
      if (c == '#') {
        sp.sharp = true;
      } else if (c == '0') {
        sp.zero = !sp.minus;
      } else if (c == '+') {
        sp.plus = true;
      } else if (c == '-') {
        sp.minus = true;
        sp.zero = false;
      } else if (c == ' ') {
        sp.space = true;
      } else {
        break;
      }
    }
    // Width.
    if (i < end && format[i] == '*') {
      ++i;
      if (argn < args.size() && args[argn].kind == GoArg::Kind::kInt && args[argn].i <= kMaxPrecision &&
          args[argn].i >= -kMaxPrecision) {
        sp.wid = static_cast<int>(args[argn].i);
        sp.wid_present = true;
        if (sp.wid < 0) {
          sp.minus = true;
          sp.zero = false;
          sp.wid = -sp.wid;
        }
      } else {
        out.append("%!(BADWIDTH)");
      }
      ++argn;
    } else {
      sp.wid_present = ParseNum(format, &i, &sp.wid);
    }
    // Precision.
    if (i + 1 <= end && i < end && format[i] == '.') {
      ++i;
      if (i < end && format[i] == '*') {
        ++i;
        if (argn < args.size() && args[argn].kind == GoArg::Kind::kInt && args[argn].i <= kMaxPrecision &&
            args[argn].i >= 0) {
          sp.prec = static_cast<int>(args[argn].i);
          sp.prec_present = true;
        } else {
          if (argn < args.size() && args[argn].kind == GoArg::Kind::kInt && args[argn].i < 0) {
            sp.prec_present = false;
          } else {
            out.append("%!(BADPREC)");
          }
        }
        ++argn;
      } else {
        sp.prec_present = ParseNum(format, &i, &sp.prec);
        if (!sp.prec_present) {
          sp.prec = 0;
          sp.prec_present = true;
        }
      }
    }
    if (i >= end) {
      out.append("%!(NOVERB)");
      break;
    }
    size_t w;
    char32_t verb = DecodeRune(format, i, &w);
    i += w;
    if (verb == '%') {
      out.push_back('%');
      continue;
    }
    if (argn >= args.size()) {
      out.append("%!");
      AppendUtf8(static_cast<uint32_t>(verb), &out);
      out.append("(MISSING)");
      continue;
    }
    PrintArg(&out, sp, args[argn], verb);
    ++argn;
  }
  if (argn < args.size()) {
    out.append("%!(EXTRA ");
    for (size_t k = argn; k < args.size(); ++k) {
      if (k > argn) out.append(", ");
      if (args[k].kind == GoArg::Kind::kNil) {
        out.append("<nil>");
      } else {
        out.append(args[k].type_name);
        out.push_back('=');
        out.append(GoFormatValue(args[k]));
      }
    }
    out.push_back(')');
  }
  return out;
}

std::string GoFormatValue(const GoArg& arg) {
  std::string out;
  PrintArg(&out, Spec(), arg, 'v');
  return out;
}

std::string GoSprint(const std::vector<GoArg>& args) {
  std::string out;
  bool prev_string = false;
  for (size_t k = 0; k < args.size(); ++k) {
    bool is_string = args[k].kind == GoArg::Kind::kString;
    if (k > 0 && !is_string && !prev_string) out.push_back(' ');
    out.append(GoFormatValue(args[k]));
    prev_string = is_string;
  }
  return out;
}

std::string GoSprintln(const std::vector<GoArg>& args) {
  std::string out;
  for (size_t k = 0; k < args.size(); ++k) {
    if (k > 0) out.push_back(' ');
    out.append(GoFormatValue(args[k]));
  }
  out.push_back('\n');
  return out;
}

}  // namespace gnomon::alert
