// The template lexer: Go's text/template/parse/lex.go, run to completion into a token vector.
// Delimiters are "{{" and "}}"; "{{- " and " -}}" trim the whitespace next to them; comments
// "{{/* */}}" produce no token. The first lexical error ends the vector with a kError token.
#include <cstdio>
#include <string>

#include "gotemplate/template_internal.h"

namespace gnomon::gotemplate::tmpl {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsAlnum(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || u >= 0x80;
}

std::string RuneDesc(char c) {  // Go's %#U for a byte (non-ASCII bytes shown by value)
  char buf[32];
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) {
    std::snprintf(buf, sizeof(buf), "U+%04X '%c'", u, c);
  } else {
    std::snprintf(buf, sizeof(buf), "U+%04X", u);
  }
  return buf;
}

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Token> Run() {
    while (!done_) LexText();
    return std::move(tokens_);
  }

 private:
  int LineAt(size_t pos) {
    while (line_pos_ < pos && line_pos_ < in_.size()) {
      if (in_[line_pos_] == '\n') ++line_;
      ++line_pos_;
    }
    return line_;
  }
  void Emit(Tok t, size_t start, size_t end) {
    tokens_.push_back(Token{t, start, std::string(in_.substr(start, end - start)), LineAt(start)});
  }
  void Error(size_t at, std::string msg) {
    tokens_.push_back(Token{Tok::kError, at, std::move(msg), LineAt(at)});
    done_ = true;
  }
  bool StartsWith(size_t pos, std::string_view s) const { return pos <= in_.size() && in_.substr(pos).starts_with(s); }
  // " -}}" or "}}" at pos: returns the length of the marker+delimiter or 0.
  size_t RightDelimAt(size_t pos, bool* trim) const {
    *trim = false;
    if (StartsWith(pos, "}}")) return 2;
    if (pos + 1 < in_.size() && IsSpace(in_[pos]) && in_[pos + 1] == '-' && StartsWith(pos + 2, "}}")) {
      *trim = true;
      return 4;
    }
    return 0;
  }
  bool AtTerminator(size_t pos) const {
    if (pos >= in_.size()) return true;
    char c = in_[pos];
    if (IsSpace(c)) return true;
    switch (c) {
      case '.': case ',': case '|': case ':': case ')': case '(': return true;
      default: break;
    }
    return StartsWith(pos, "}}");
  }

  void LexText() {
    size_t x = in_.find("{{", pos_);
    if (x == std::string_view::npos) {
      if (pos_ < in_.size()) Emit(Tok::kText, pos_, in_.size());
      Emit(Tok::kEOF, in_.size(), in_.size());
      done_ = true;
      return;
    }
    bool trim = x + 3 < in_.size() && in_[x + 2] == '-' && IsSpace(in_[x + 3]);
    size_t text_end = x;
    if (trim) {
      while (text_end > pos_ && IsSpace(in_[text_end - 1])) --text_end;
    }
    if (text_end > pos_) Emit(Tok::kText, pos_, text_end);
    size_t after = x + 2 + (trim ? 2 : 0);
    if (StartsWith(after, "/*")) {
      size_t close = in_.find("*/", after + 2);
      if (close == std::string_view::npos) return Error(x, "unclosed comment");
      size_t p = close + 2;
      bool rtrim;
      size_t n = RightDelimAt(p, &rtrim);
      if (n == 0) return Error(x, "comment ends before closing delimiter");
      p += n;
      if (rtrim) {
        while (p < in_.size() && IsSpace(in_[p])) ++p;
      }
      pos_ = p;
      return;
    }
    Emit(Tok::kLeftDelim, x, x + 2);
    pos_ = after;
    LexInsideAction();
  }

  void LexInsideAction() {
    int paren_depth = 0;
    while (!done_) {
      bool trim;
      size_t n = RightDelimAt(pos_, &trim);
      if (n != 0) {
        if (paren_depth != 0) return Error(pos_, "unclosed left paren");
        size_t delim = pos_ + (trim ? 2 : 0);
        Emit(Tok::kRightDelim, delim, delim + 2);
        pos_ += n;
        if (trim) {
          while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
        }
        return;
      }
      if (pos_ >= in_.size()) return Error(pos_, "unclosed action");
      size_t start = pos_;
      char c = in_[pos_++];
      if (IsSpace(c)) {
        int spaces = 1;
        while (pos_ < in_.size() && IsSpace(in_[pos_])) {
          ++pos_;
          ++spaces;
        }
        // A trim-marked closing delimiter: leave its space for the check above.
        if (pos_ < in_.size() && in_[pos_] == '-' && StartsWith(pos_ + 1, "}}")) {
          --pos_;
          if (spaces == 1) continue;
        }
        Emit(Tok::kSpace, start, pos_);
        continue;
      }
      switch (c) {
        case '=': Emit(Tok::kAssign, start, pos_); continue;
        case ':':
          if (pos_ >= in_.size() || in_[pos_] != '=') return Error(start, "expected :=");
          ++pos_;
          Emit(Tok::kDeclare, start, pos_);
          continue;
        case '|': Emit(Tok::kPipe, start, pos_); continue;
        case '"': LexQuote(start); continue;
        case '`': {
          size_t close = in_.find('`', pos_);
          if (close == std::string_view::npos) return Error(start, "unterminated raw quoted string");
          pos_ = close + 1;
          Emit(Tok::kRawString, start, pos_);
          continue;
        }
        case '$': LexFieldOrVariable(start, Tok::kVariable); continue;
        case '\'': LexChar(start); continue;
        case '(':
          Emit(Tok::kLeftParen, start, pos_);
          ++paren_depth;
          continue;
        case ')':
          if (--paren_depth < 0) return Error(start, "unexpected right paren " + RuneDesc(c));
          Emit(Tok::kRightParen, start, pos_);
          continue;
        default: break;
      }
      if (c == '.' && pos_ < in_.size() && (in_[pos_] < '0' || in_[pos_] > '9')) {
        LexFieldOrVariable(start, Tok::kField);
        continue;
      }
      if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9')) {
        pos_ = start;
        LexNumber();
        continue;
      }
      if (IsAlnum(c)) {
        pos_ = start;
        LexIdentifier();
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x7F && c >= 0x20) {
        Emit(Tok::kChar, start, pos_);
        continue;
      }
      return Error(start, "unrecognized character in action: " + RuneDesc(c));
    }
  }

  void LexQuote(size_t start) {
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return Error(start, "unterminated quoted string");
      char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ >= in_.size() || in_[pos_] == '\n') return Error(start, "unterminated quoted string");
        ++pos_;
      } else if (c == '"') {
        break;
      }
    }
    Emit(Tok::kString, start, pos_);
  }

  void LexChar(size_t start) {
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return Error(start, "unterminated character constant");
      char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ >= in_.size() || in_[pos_] == '\n') return Error(start, "unterminated character constant");
        ++pos_;
      } else if (c == '\'') {
        break;
      }
    }
    Emit(Tok::kCharConstant, start, pos_);
  }

  void LexFieldOrVariable(size_t start, Tok type) {
    if (AtTerminator(pos_)) {  // "." or "$" alone
      Emit(type == Tok::kVariable ? Tok::kVariable : Tok::kDot, start, pos_);
      return;
    }
    while (pos_ < in_.size() && IsAlnum(in_[pos_])) ++pos_;
    if (!AtTerminator(pos_)) return Error(pos_, "bad character " + RuneDesc(in_[pos_]));
    Emit(type, start, pos_);
  }

  void LexIdentifier() {
    size_t start = pos_;
    while (pos_ < in_.size() && IsAlnum(in_[pos_])) ++pos_;
    if (!AtTerminator(pos_)) return Error(pos_, "bad character " + RuneDesc(in_[pos_]));
    std::string_view word = in_.substr(start, pos_ - start);
    static const std::pair<std::string_view, Tok> kKeywords[] = {
        {"block", Tok::kBlock}, {"break", Tok::kBreak}, {"continue", Tok::kContinue}, {"define", Tok::kDefine},
        {"else", Tok::kElse},   {"end", Tok::kEnd},     {"if", Tok::kIf},             {"nil", Tok::kNil},
        {"range", Tok::kRange}, {"template", Tok::kTemplate}, {"with", Tok::kWith},
    };
    for (const auto& [kw, tok] : kKeywords) {
      if (word == kw) return Emit(tok, start, pos_);
    }
    if (word == "true" || word == "false") return Emit(Tok::kBool, start, pos_);
    Emit(Tok::kIdentifier, start, pos_);
  }

  void Accept(std::string_view set) {
    if (pos_ < in_.size() && set.find(in_[pos_]) != std::string_view::npos) ++pos_;
  }
  bool AcceptOne(std::string_view set) {
    if (pos_ < in_.size() && set.find(in_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  void AcceptRun(std::string_view set) {
    while (pos_ < in_.size() && set.find(in_[pos_]) != std::string_view::npos) ++pos_;
  }

  void LexNumber() {
    size_t start = pos_;
    Accept("+-");
    std::string_view digits = "0123456789_";
    if (AcceptOne("0")) {
      if (AcceptOne("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (AcceptOne("oO")) {
        digits = "01234567_";
      } else if (AcceptOne("bB")) {
        digits = "01_";
      }
    }
    AcceptRun(digits);
    if (AcceptOne(".")) AcceptRun(digits);
    if (digits.size() == 11 && AcceptOne("eE")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    if (digits.size() == 23 && AcceptOne("pP")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    if (AcceptOne("i")) return Error(start, "complex numbers are not supported: " + std::string(in_.substr(start, pos_ - start)));
    if (pos_ < in_.size() && IsAlnum(in_[pos_])) {
      ++pos_;
      return Error(start, "bad number syntax: " + GoQuote(in_.substr(start, pos_ - start)));
    }
    Emit(Tok::kNumber, start, pos_);
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool done_ = false;
  std::vector<Token> tokens_;
  size_t line_pos_ = 0;
  int line_ = 1;
};

}  // namespace

std::vector<Token> Lex(std::string_view text) { return Lexer(text).Run(); }

std::string TokenString(const Token& t) {
  switch (t.type) {
    case Tok::kEOF: return "EOF";
    case Tok::kError: return t.val;
    case Tok::kBlock: case Tok::kBreak: case Tok::kContinue: case Tok::kDot: case Tok::kDefine:
    case Tok::kElse: case Tok::kEnd: case Tok::kIf: case Tok::kNil: case Tok::kRange: case Tok::kTemplate:
    case Tok::kWith:
      return "<" + t.val + ">";
    default: break;
  }
  if (t.val.size() > 10) {
    // Go's %.10q: the first 10 runes, quoted.
    size_t i = 0;
    for (int n = 0; i < t.val.size() && n < 10; ++n) {
      ++i;
      while (i < t.val.size() && (static_cast<unsigned char>(t.val[i]) & 0xC0) == 0x80) ++i;
    }
    return GoQuote(std::string_view(t.val).substr(0, i)) + "...";
  }
  return GoQuote(t.val);
}

}  // namespace gnomon::gotemplate::tmpl
