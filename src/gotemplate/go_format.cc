// Go's fmt formatting (see go_format.h): verbs, flags, padding and sign rules, Go's error texts;
// floats and quoting come from go_strconv.
#include "gotemplate/go_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "util/strings.h"

namespace gnomon::gotemplate {
namespace {

constexpr int kMaxPrecision = 1000000;  // fmt's tooLarge bound for widths and precisions

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
  int width = sp.wid - static_cast<int>(gostr::RuneCount(s));
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
    gostr::DecodeRune(s, i, &w);
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
          gostr::AppendQuotedRune(&s, r, 1, false, '\'', sp.plus);
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
          if (sp.sharp && gostr::CanBackquote(s)) {
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
    char32_t verb = gostr::DecodeRune(format, i, &w);
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

}  // namespace gnomon::gotemplate
