// Go's strconv formatting, as far as Gnomon needs it (alert templates, the PromQL engine's
// count_values and label-set text, the rules API), and the UTF-8 helpers Go's fmt shares with it
// (gotemplate/go_format.h is the fmt side). In util/ because the engine library uses it.
//
// GoFormatFloat is strconv.FormatFloat(v, fmt, prec, 64): fmt is 'e', 'E', 'f', 'g' or 'G', prec
// -1 asks for the shortest text that reads back as `v`. Shortest 'g' (what fmt's %v prints for a
// float64) switches to the exponent form when the decimal exponent is below -4 or at least 6, so
// 1e6 prints as "1e+06", 123456 as "123456" and 0.0001 as "0.0001"; NaN and the infinities are
// "NaN", "+Inf" and "-Inf". The digits come from std::to_chars, which rounds exactly as strconv
// does (correctly, ties to even).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gnomon {

// strconv.FormatFloat(v, fmt, prec, 64). `prec` is capped at 1,000,000.
std::string GoFormatFloat(double v, char fmt, int prec);

// strconv.Quote: a double-quoted Go string literal, non-printable runes and invalid UTF-8
// escaped. `ascii_only` is strconv.QuoteToASCII.
std::string GoQuote(std::string_view s, bool ascii_only = false);

// UTF-8 as Go's strconv and fmt walk it.
namespace gostr {

// The number of runes in s (an invalid byte counts as one).
size_t RuneCount(std::string_view s);
// The rune at s[i] and its width in bytes; U+FFFD with width 1 for an invalid byte.
char32_t DecodeRune(std::string_view s, size_t i, size_t* width);
// Appends rune r (of `width` bytes in the source, or the invalid byte r) quoted as strconv does
// inside `quote` quotes.
void AppendQuotedRune(std::string* out, char32_t r, size_t width, bool invalid, char quote, bool ascii_only);
// strconv.CanBackquote.
bool CanBackquote(std::string_view s);

}  // namespace gostr
}  // namespace gnomon
