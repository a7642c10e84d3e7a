// Go literal syntax for the template parser: strconv.Unquote for "..." and `...` strings,
// character constants 'x', and integers as strconv.ParseInt/ParseUint with base 0 read them.
#include <string>

#include "gotemplate/template_internal.h"
#include "util/strings.h"

namespace gnomon::gotemplate::tmpl {
namespace {

// Decodes one Go escape sequence at body[*i] (just after the backslash). Returns false if invalid.
// *is_byte tells whether the value is a raw byte (\x, octal) rather than a rune.
bool UnescapeOne(std::string_view body, size_t* i, char quote, uint32_t* value, bool* is_byte) {
  if (*i >= body.size()) return false;
  char c = body[(*i)++];
  *is_byte = false;
  switch (c) {
    case 'a': *value = '\a'; return true;
    case 'b': *value = '\b'; return true;
    case 'f': *value = '\f'; return true;
    case 'n': *value = '\n'; return true;
    case 'r': *value = '\r'; return true;
    case 't': *value = '\t'; return true;
    case 'v': *value = '\v'; return true;
    case '\\': *value = '\\'; return true;
    case '\'':
    case '"':
      if (c != quote) return false;
      *value = static_cast<uint32_t>(c);
      return true;
    case 'x':
    case 'u':
    case 'U': {
      int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
      if (*i + n > body.size()) return false;
      uint32_t v = 0;
      for (int k = 0; k < n; ++k) {
        int h = HexDigitValue(body[*i + k]);
        if (h < 0) return false;
        v = v * 16 + static_cast<uint32_t>(h);
      }
      *i += static_cast<size_t>(n);
      if (c == 'x') {
        *is_byte = quote == '"';
      } else if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        return false;
      }
      *value = v;
      return true;
    }
    default:
      if (c >= '0' && c <= '7') {
        if (*i + 2 > body.size()) return false;
        uint32_t v = static_cast<uint32_t>(c - '0');
        for (int k = 0; k < 2; ++k) {
          char d = body[*i + k];
          if (d < '0' || d > '7') return false;
          v = v * 8 + static_cast<uint32_t>(d - '0');
        }
        *i += 2;
        if (v > 255) return false;
        *is_byte = quote == '"';
        *value = v;
        return true;
      }
      return false;
  }
}

}  // namespace

// strconv.Unquote for "..." and `...` literals.
bool Unquote(std::string_view lit, std::string* out) {
  out->clear();
  if (lit.size() < 2 || lit.front() != lit.back()) return false;
  std::string_view body = lit.substr(1, lit.size() - 2);
  if (lit.front() == '`') {
    for (char c : body) {
      if (c != '\r') out->push_back(c);
    }
    return true;
  }
  for (size_t i = 0; i < body.size();) {
    char c = body[i++];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    uint32_t v;
    bool is_byte;
    if (!UnescapeOne(body, &i, '"', &v, &is_byte)) return false;
    if (is_byte) {
      out->push_back(static_cast<char>(v));
    } else {
      AppendUtf8(v, out);
    }
  }
  return true;
}

// A character constant 'x' as a rune value.
bool UnquoteChar(std::string_view lit, int64_t* rune) {
  if (lit.size() < 3) return false;
  std::string_view body = lit.substr(1, lit.size() - 2);
  size_t i = 0;
  uint32_t v;
  if (body[0] == '\\') {
    ++i;
    bool is_byte;
    if (!UnescapeOne(body, &i, '\'', &v, &is_byte)) return false;
  } else {
    unsigned char c = static_cast<unsigned char>(body[0]);
    int n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (n == 0 || static_cast<size_t>(n) > body.size()) return false;
    v = n == 1 ? c : c & (0x7F >> n);
    for (int k = 1; k < n; ++k) v = (v << 6) | (static_cast<unsigned char>(body[k]) & 0x3F);
    i = static_cast<size_t>(n);
  }
  if (i != body.size()) return false;
  *rune = v;
  return true;
}

// strconv.ParseInt/ParseUint with base 0 (sign, 0x/0o/0b/0 prefixes, underscores after a prefix).
bool ParseGoInt(std::string_view s, bool* neg, uint64_t* mag) {
  *neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    *neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  int base = 10;
  bool prefixed = false;
  if (s.size() > 1 && s[0] == '0') {
    char p = s[1];
    if (p == 'x' || p == 'X') {
      base = 16;
    } else if (p == 'o' || p == 'O') {
      base = 8;
    } else if (p == 'b' || p == 'B') {
      base = 2;
    } else {
      base = 8;
      s.remove_prefix(1);
      prefixed = true;
    }
    if (!prefixed) s.remove_prefix(2);
    prefixed = true;
  }
  uint64_t v = 0;
  bool any = false;
  for (char c : s) {
    if (c == '_') {
      if (!prefixed) return false;
      continue;
    }
    int d = HexDigitValue(c);
    if (d < 0 || d >= base) return false;
    if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    any = true;
  }
  if (!any && !(base == 8 && prefixed)) return false;
  *mag = v;
  return true;
}

}  // namespace gnomon::gotemplate::tmpl
