// Small string helpers shared across components.
#pragma once

#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gnomon {

// Appends code point `cp` (at most 0x10FFFF) encoded as UTF-8.
inline void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Whether `text` occurs in `haystack`, 16 positions at a time where SSE2 is there: a position
// is compared in full only when its first and last bytes match (several times faster than
// memmem on the short needles of a log search).
inline bool ContainsText(std::string_view haystack, std::string_view text) {
  const size_t n = text.size(), m = haystack.size();
  if (n == 0) return true;
  if (n > m) return false;
  const char* h = haystack.data();
  size_t at = 0;
#if defined(__SSE2__)
  const __m128i first = _mm_set1_epi8(text[0]), last = _mm_set1_epi8(text[n - 1]);
  for (; at + n - 1 + 16 <= m; at += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + at));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + at + n - 1));
    unsigned mask =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last))));
    while (mask != 0) {
      const unsigned bit = static_cast<unsigned>(__builtin_ctz(mask));
      if (std::memcmp(h + at + bit, text.data(), n) == 0) return true;
      mask &= mask - 1;
    }
  }
#endif
  return haystack.substr(at).find(text) != std::string_view::npos;
}

// The value of a hexadecimal digit, or -1.
inline int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ASCII case-insensitive equality (HTTP header names, tokens).
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Appends `s` as a JSON string literal (quotes included): `"` `\` and control bytes escaped,
// other bytes (UTF-8) copied as they are. Sized first, then written in place: one growth of `out`.
inline void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Extra bytes an escaped byte takes: 1 for \" \\ \n \r \t \b \f, 5 for \u00XX, 0 otherwise.
  static constexpr auto kExtra = [] {
    std::array<unsigned char, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = 5;
    for (unsigned char c : {'"', '\\', '\n', '\r', '\t', '\b', '\f'}) t[c] = 1;
    return t;
  }();
  size_t extra = 0;
  for (unsigned char c : s) extra += kExtra[c];
  const size_t at = out->size();
  out->resize(at + s.size() + extra + 2);
  char* p = out->data() + at;
  *p++ = '"';
  if (extra == 0) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  } else {
    for (unsigned char c : s) {
      if (kExtra[c] == 0) {
        *p++ = static_cast<char>(c);
        continue;
      }
      *p++ = '\\';
      switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        default:
          *p++ = 'u';
          *p++ = '0';
          *p++ = '0';
          *p++ = kHex[c >> 4];
          *p++ = kHex[c & 0xf];
      }
    }
  }
  *p = '"';
}

}  // namespace gnomon
