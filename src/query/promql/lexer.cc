#include "query/promql/lexer.h"

#include <cstdio>

#include "util/go_strconv.h"
#include "util/strings.h"

namespace gnomon::promql {

namespace {

bool IsSpace(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(int c) { return c >= '0' && c <= '9'; }
bool IsAlpha(int c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlphaNumeric(int c) { return IsAlpha(c) || IsDigit(c); }

struct Keyword {
  std::string_view word;
  TokenType type;
};

constexpr Keyword kKeywords[] = {
    {"and", TokenType::kLand},
    {"or", TokenType::kLor},
    {"unless", TokenType::kLunless},
    {"atan2", TokenType::kAtan2},
    {"sum", TokenType::kSum},
    {"avg", TokenType::kAvg},
    {"count", TokenType::kCount},
    {"min", TokenType::kMin},
    {"max", TokenType::kMax},
    {"group", TokenType::kGroup},
    {"stddev", TokenType::kStddev},
    {"stdvar", TokenType::kStdvar},
    {"topk", TokenType::kTopk},
    {"bottomk", TokenType::kBottomk},
    {"count_values", TokenType::kCountValues},
    {"quantile", TokenType::kQuantile},
    {"offset", TokenType::kOffset},
    {"by", TokenType::kBy},
    {"without", TokenType::kWithout},
    {"on", TokenType::kOn},
    {"ignoring", TokenType::kIgnoring},
    {"group_left", TokenType::kGroupLeft},
    {"group_right", TokenType::kGroupRight},
    {"bool", TokenType::kBool},
    {"start", TokenType::kStart},
    {"end", TokenType::kEnd},
    {"inf", TokenType::kNumber},
    {"nan", TokenType::kNumber},
};

// Length of the UTF-8 sequence starting at s[0], or 0 if it is not valid UTF-8.
size_t Utf8Length(std::string_view s, uint32_t* cp) {
  auto b0 = static_cast<unsigned char>(s[0]);
  size_t n;
  uint32_t c;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    c = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    c = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    c = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return 0;
    c = (c << 6) | (b & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *cp = c;
  return n;
}

void AppendEscaped(uint32_t r, std::string* out) {
  char buf[16];
  switch (r) {
    case '\a': *out += "\\a"; return;
    case '\b': *out += "\\b"; return;
    case '\f': *out += "\\f"; return;
    case '\n': *out += "\\n"; return;
    case '\r': *out += "\\r"; return;
    case '\t': *out += "\\t"; return;
    case '\v': *out += "\\v"; return;
    default: break;
  }
  if (r < 0x80) {
    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(r));
  } else if (r < 0x10000) {
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(r));
  } else {
    std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(r));
  }
  *out += buf;
}

// Go's unicode.IsPrint, approximated: ASCII graphics and space, and every non-ASCII code point
// except the C1 controls and the soft hyphen.
bool IsPrintable(uint32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  return r >= 0xA0 && r != 0xAD;
}

// Go's %q for a single character (rune) at the start of `s`.
std::string QuoteChar(std::string_view s) {
  uint32_t cp = 0;
  size_t n = s.empty() ? 0 : Utf8Length(s, &cp);
  std::string out = "'";
  if (n == 0) {
    out += "\\ufffd";  // Go decodes an invalid byte as utf8.RuneError, printed as '�'
  } else if (cp == '\'' || cp == '\\') {
    out.push_back('\\');
    out.push_back(static_cast<char>(cp));
  } else if (IsPrintable(cp)) {
    out.append(s.substr(0, n));
  } else {
    AppendEscaped(cp, &out);
  }
  out += "'";
  return out;
}

// Go's %q, or %.10q followed by "..." for texts longer than ten characters.
std::string QuoteShort(std::string_view s) {
  if (s.size() <= 10) return GoQuote(s);
  size_t chars = 0;
  size_t i = 0;
  while (i < s.size() && chars < 10) {
    uint32_t cp;
    size_t n = Utf8Length(s.substr(i), &cp);
    i += n == 0 ? 1 : n;
    ++chars;
  }
  if (i >= s.size()) return GoQuote(s);
  return GoQuote(s.substr(0, i)) + "...";
}

}  // namespace

bool IsOperatorToken(TokenType t) { return t >= TokenType::kAdd && t <= TokenType::kLunless; }
bool IsAggregatorToken(TokenType t) { return t >= TokenType::kSum && t <= TokenType::kQuantile; }
bool IsKeywordToken(TokenType t) { return t >= TokenType::kBool && t <= TokenType::kWithout; }

std::string DescribeToken(const Token& t) {
  switch (t.type) {
    case TokenType::kEOF: return "end of input";
    case TokenType::kError: return t.value;
    case TokenType::kIdentifier: return "identifier " + GoQuote(t.text);
    case TokenType::kMetricIdentifier: return "metric identifier " + GoQuote(t.text);
    case TokenType::kNumber: return "number " + QuoteShort(t.text);
    case TokenType::kDuration: return "duration " + QuoteShort(t.text);
    case TokenType::kString: return "string " + QuoteShort(t.text);
    default: break;
  }
  if (IsOperatorToken(t.type)) return "<op:" + std::string(t.text) + ">";
  if (IsAggregatorToken(t.type)) return "<aggr:" + std::string(t.text) + ">";
  if (IsKeywordToken(t.type)) return "<" + std::string(t.text) + ">";
  return QuoteShort(t.text);
}

Token Lexer::Emit(TokenType type) {
  Token t;
  t.type = type;
  t.pos = start_;
  t.text = input_.substr(start_, pos_ - start_);
  start_ = pos_;
  return t;
}

Token Lexer::Error(std::string message) {
  Token t;
  t.type = TokenType::kError;
  t.pos = start_;
  t.text = input_.substr(start_, pos_ - start_);
  t.value = std::move(message);
  done_ = true;
  return t;
}

bool Lexer::Accept(std::string_view valid) {
  int c = Peek();
  if (c >= 0 && valid.find(static_cast<char>(c)) != std::string_view::npos) {
    ++pos_;
    return true;
  }
  return false;
}

void Lexer::AcceptRun(std::string_view valid) {
  while (Accept(valid)) {
  }
}

bool Lexer::SkipSpaceAndComments() {
  for (;;) {
    int c = Peek();
    if (c < 0) return false;
    if (IsSpace(c)) {
      ++pos_;
    } else if (c == '#') {
      while (pos_ < input_.size() && input_[pos_] != '\n') ++pos_;
    } else {
      return true;
    }
  }
}

Token Lexer::Next() {
  if (done_) {
    start_ = input_.size();
    Token t;
    t.pos = input_.size();
    return t;
  }
  if (expect_duration_) {
    expect_duration_ = false;
    while (IsSpace(Peek())) ++pos_;
    start_ = pos_;
    return LexDuration();
  }
  if (brace_open_) return LexInsideBraces();
  return LexStatement();
}

Token Lexer::LexStatement() {
  bool more = SkipSpaceAndComments();
  start_ = pos_;
  if (!more) {
    if (paren_depth_ != 0) return Error("unclosed left parenthesis");
    if (bracket_open_) return Error("unclosed left bracket");
    done_ = true;
    return Emit(TokenType::kEOF);
  }
  const int c = Peek();
  const int c1 = pos_ + 1 < input_.size() ? static_cast<unsigned char>(input_[pos_ + 1]) : -1;
  ++pos_;
  switch (c) {
    case ',': return Emit(TokenType::kComma);
    case '*': return Emit(TokenType::kMul);
    case '/': return Emit(TokenType::kDiv);
    case '%': return Emit(TokenType::kMod);
    case '+': return Emit(TokenType::kAdd);
    case '-': return Emit(TokenType::kSub);
    case '^': return Emit(TokenType::kPow);
    case '@': return Emit(TokenType::kAt);
    case '=':
      if (c1 == '=') {
        ++pos_;
        return Emit(TokenType::kEqlc);
      }
      if (c1 == '~') return Error("unexpected character after '=': '~'");
      return Emit(TokenType::kEql);
    case '!':
      if (c1 != '=') return Error("unexpected character after '!': " + QuoteChar(input_.substr(pos_)));
      ++pos_;
      return Emit(TokenType::kNeq);
    case '<':
      if (c1 == '=') {
        ++pos_;
        return Emit(TokenType::kLte);
      }
      return Emit(TokenType::kLss);
    case '>':
      if (c1 == '=') {
        ++pos_;
        return Emit(TokenType::kGte);
      }
      return Emit(TokenType::kGtr);
    case '"':
    case '\'':
    case '`':
      --pos_;
      return LexString();
    case '(':
      ++paren_depth_;
      return Emit(TokenType::kLeftParen);
    case ')':
      if (--paren_depth_ < 0) return Error("unexpected right parenthesis ')'");
      return Emit(TokenType::kRightParen);
    case '{':
      brace_open_ = true;
      return Emit(TokenType::kLeftBrace);
    case '[':
      if (bracket_open_) return Error("unexpected left bracket '['");
      got_colon_ = false;
      bracket_open_ = true;
      expect_duration_ = true;
      return Emit(TokenType::kLeftBracket);
    case ']':
      if (!bracket_open_) return Error("unexpected right bracket ']'");
      bracket_open_ = false;
      return Emit(TokenType::kRightBracket);
    default: break;
  }
  if (IsDigit(c) || (c == '.' && IsDigit(c1))) {
    --pos_;
    return LexNumberOrDuration();
  }
  if (IsAlpha(c) || c == ':') {
    if (!bracket_open_) {
      --pos_;
      return LexIdentifier(/*keywords=*/true);
    }
    if (c != ':') return Error("unexpected character: " + QuoteChar(input_.substr(pos_ - 1)) + ", expected ':'");
    if (got_colon_) return Error("unexpected colon ':'");
    got_colon_ = true;
    return Emit(TokenType::kColon);
  }
  return Error("unexpected character: " + QuoteChar(input_.substr(pos_ - 1)));
}

Token Lexer::LexInsideBraces() {
  bool more = SkipSpaceAndComments();
  start_ = pos_;
  if (!more) return Error("unexpected end of input inside braces");
  const int c = Peek();
  const int c1 = pos_ + 1 < input_.size() ? static_cast<unsigned char>(input_[pos_ + 1]) : -1;
  if (IsAlpha(c)) return LexIdentifier(/*keywords=*/false);
  if (c == '"' || c == '\'' || c == '`') return LexString();
  ++pos_;
  switch (c) {
    case ',': return Emit(TokenType::kComma);
    case '=':
      if (c1 == '~') {
        ++pos_;
        return Emit(TokenType::kEqlRegex);
      }
      return Emit(TokenType::kEql);
    case '!':
      if (c1 == '~') {
        ++pos_;
        return Emit(TokenType::kNeqRegex);
      }
      if (c1 == '=') {
        ++pos_;
        return Emit(TokenType::kNeq);
      }
      return Error("unexpected character after '!' inside braces: " + QuoteChar(input_.substr(pos_)));
    case '{': return Error("unexpected left brace '{'");
    case '}':
      brace_open_ = false;
      return Emit(TokenType::kRightBrace);
    default: break;
  }
  return Error("unexpected character inside braces: " + QuoteChar(input_.substr(pos_ - 1)));
}

// Prometheus' scanNumber: a decimal or hexadecimal number with optional fraction and exponent,
// not followed by a letter or digit. Consumes what it scanned even when it returns false.
bool Lexer::ScanNumber() {
  std::string_view digits = "0123456789";
  if (Accept("0") && Accept("xX")) digits = "0123456789abcdefABCDEF";
  AcceptRun(digits);
  if (Accept(".")) AcceptRun(digits);
  if (Accept("eE")) {
    Accept("+-");
    AcceptRun("0123456789");
  }
  return !IsAlphaNumeric(Peek());
}

bool Lexer::AcceptRemainingDuration() {
  if (!Accept("smhdwy")) return false;
  Accept("s");  // ms; bad units such as "hs" are caught when the duration is parsed
  while (Accept("0123456789")) {
    AcceptRun("0123456789");
    if (!Accept("smhdw")) return false;
    Accept("s");
  }
  // Prometheus consumes the following character to test it; it is part of the error text.
  if (IsAlphaNumeric(Peek())) {
    ++pos_;
    return false;
  }
  return true;
}

Token Lexer::LexNumberOrDuration() {
  if (ScanNumber()) return Emit(TokenType::kNumber);
  if (AcceptRemainingDuration()) return Emit(TokenType::kDuration);
  return Error("bad number or duration syntax: " + GoQuote(input_.substr(start_, pos_ - start_)));
}

Token Lexer::LexDuration() {
  if (ScanNumber()) return Error("missing unit character in duration");
  if (!AcceptRemainingDuration()) {
    return Error("bad duration syntax: " + GoQuote(input_.substr(start_, pos_ - start_)));
  }
  return Emit(TokenType::kDuration);
}

Token Lexer::LexIdentifier(bool keywords) {
  while (IsAlphaNumeric(Peek()) || (keywords && Peek() == ':')) ++pos_;
  if (!keywords) return Emit(TokenType::kIdentifier);
  std::string_view word = input_.substr(start_, pos_ - start_);
  for (const Keyword& k : kKeywords) {
    if (EqualsIgnoreCase(word, k.word)) return Emit(k.type);
  }
  if (word.find(':') != std::string_view::npos) return Emit(TokenType::kMetricIdentifier);
  return Emit(TokenType::kIdentifier);
}

Token Lexer::LexString() {
  std::string value;
  size_t consumed = 0;
  std::string_view rest = input_.substr(pos_);
  Status s = UnquoteStringLiteral(rest, &value, &consumed);
  if (!s.ok()) {
    const std::string& m = s.message();
    if (rest[0] == '`') return Error("unterminated raw string");
    if (m == "newline in string" || m == "unterminated quoted string") return Error("unterminated quoted string");
    return Error(m);
  }
  pos_ += consumed;
  Token t = Emit(TokenType::kString);
  t.value = std::move(value);
  return t;
}

Status UnquoteStringLiteral(std::string_view text, std::string* value, size_t* consumed) {
  if (text.empty() || (text[0] != '"' && text[0] != '\'' && text[0] != '`')) {
    return Status::InvalidArgument("expected a quoted string");
  }
  const char quote = text[0];
  value->clear();
  size_t i = 1;
  if (quote == '`') {
    size_t end = text.find('`', 1);
    if (end == std::string_view::npos) return Status::InvalidArgument("unterminated raw string");
    value->assign(text.substr(1, end - 1));
    *consumed = end + 1;
    return Status::OK();
  }
  while (i < text.size() && text[i] != quote) {
    char c = text[i];
    if (c == '\n') return Status::InvalidArgument("newline in string");
    if (c != '\\') {
      value->push_back(c);
      ++i;
      continue;
    }
    if (++i >= text.size()) break;
    char e = text[i++];
    switch (e) {
      case 'a': value->push_back('\a'); break;
      case 'b': value->push_back('\b'); break;
      case 'f': value->push_back('\f'); break;
      case 'n': value->push_back('\n'); break;
      case 'r': value->push_back('\r'); break;
      case 't': value->push_back('\t'); break;
      case 'v': value->push_back('\v'); break;
      case '\\': value->push_back('\\'); break;
      case '"':
      case '\'':
        if (e != quote) return Status::InvalidArgument(std::string("unknown escape sequence \\") + e);
        value->push_back(e);
        break;
      case 'x':
      case 'u':
      case 'U': {
        int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (int d = 0; d < digits; ++d, ++i) {
          int h = i < text.size() ? HexDigitValue(text[i]) : -1;
          if (h < 0) return Status::InvalidArgument(std::string("invalid \\") + e + " escape");
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        if (e == 'x') {
          value->push_back(static_cast<char>(cp));
        } else {
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return Status::InvalidArgument("invalid Unicode code point");
          AppendUtf8(cp, value);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (int d = 0; d < 2; ++d, ++i) {
            if (i >= text.size() || text[i] < '0' || text[i] > '7') return Status::InvalidArgument("invalid octal escape");
            v = v * 8 + static_cast<uint32_t>(text[i] - '0');
          }
          if (v > 255) return Status::InvalidArgument("octal escape value > 255");
          value->push_back(static_cast<char>(v));
          break;
        }
        return Status::InvalidArgument(std::string("unknown escape sequence \\") + e);
    }
  }
  if (i >= text.size()) return Status::InvalidArgument("unterminated quoted string");
  *consumed = i + 1;
  return Status::OK();
}

}  // namespace gnomon::promql
