#include "query/selector.h"

#include <cctype>

#include "util/strings.h"

namespace gnomon::query {

namespace {

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool IsNameChar(char c) { return IsNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }
bool IsLabelStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsLabelChar(char c) { return IsLabelStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

class SelectorParser {
 public:
  explicit SelectorParser(std::string_view text) : text_(text) {}

  Result<Matchers> Parse() {
    Matchers out;
    SkipSpace();
    if (pos_ < text_.size() && IsNameStart(text_[pos_])) {
      size_t start = pos_;
      while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
      out.push_back(Matcher::Equal("__name__", std::string(text_.substr(start, pos_ - start))));
      SkipSpace();
    }
    if (pos_ < text_.size() && text_[pos_] == '{') {
      ++pos_;
      GNOMON_RETURN_IF_ERROR(ParseMatchers(&out));
    }
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected character '" + std::string(1, text_[pos_]) + "'");
    if (out.empty()) return Error("empty selector: expected a metric name or '{'");
    return out;
  }

 private:
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("parse error in selector at char " + std::to_string(pos_ + 1) + ": " + what);
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  Status ParseMatchers(Matchers* out) {
    for (;;) {
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return Status::OK();
      }
      if (pos_ >= text_.size() || !IsLabelStart(text_[pos_])) return Error("expected label name or '}'");
      size_t start = pos_;
      while (pos_ < text_.size() && IsLabelChar(text_[pos_])) ++pos_;
      std::string name(text_.substr(start, pos_ - start));
      SkipSpace();
      Matcher::Type type;
      if (text_.substr(pos_, 2) == "=~") {
        type = Matcher::Type::kRegexMatch;
        pos_ += 2;
      } else if (text_.substr(pos_, 2) == "!~") {
        type = Matcher::Type::kRegexNoMatch;
        pos_ += 2;
      } else if (text_.substr(pos_, 2) == "!=") {
        type = Matcher::Type::kNotEqual;
        pos_ += 2;
      } else if (text_.substr(pos_, 1) == "=") {
        type = Matcher::Type::kEqual;
        pos_ += 1;
      } else {
        return Error("expected one of =, !=, =~, !~ after label \"" + name + "\"");
      }
      SkipSpace();
      std::string value;
      size_t consumed = 0;
      Status s = UnquoteStringLiteral(text_.substr(pos_), &value, &consumed);
      if (!s.ok()) return Error(s.message());
      pos_ += consumed;
      out->push_back({type, std::move(name), std::move(value)});
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') continue;
      return Error("expected ',' or '}'");
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

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

Result<Matchers> ParseSeriesSelector(std::string_view text) { return SelectorParser(text).Parse(); }

}  // namespace gnomon::query
