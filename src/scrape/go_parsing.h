// Go standard-library parsing as Prometheus' scrape path relies on it, byte for byte: strconv's
// ParseFloat behind textparse's parseFloat guard, unicode/utf8's Valid, and mime's ParseMediaType.
// The exposition parsers (exposition.h) are built on these, so that a value, a label value or a
// Content-Type is accepted exactly when Prometheus 2.42 accepts it. Pure functions, no allocation
// except ParseMediaType's result (and ParseFloat's rare overflow/underflow path).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gnomon::scrape::go {

enum class FloatError { kNone, kSyntax, kRange };

// Prometheus' parseFloat: strconv.ParseFloat(s, 64) refusing '_', 'p' and 'P' (so no hex float and
// no digit separator): [+-]digits[.digits][(e|E)[+-]digits] (a digit on at least one side of the
// point), [+-]inf and [+-]infinity, and nan without a sign, all case-insensitive. Correctly rounded.
// kRange when the value overflows a double (as Go's ErrRange); an underflow gives 0 or a subnormal
// without an error, as in Go. Every NaN is Prometheus' normal NaN, 0x7ff8000000000001.
FloatError ParseFloat(std::string_view s, double* out);

// unicode/utf8.Valid: no overlong forms, no surrogates, nothing past U+10FFFF.
bool ValidUtf8(std::string_view s);

// mime.ParseMediaType(v)'s media type, lower-cased ("type/subtype", spaces around it ignored), or
// nullopt where Go returns an error: no type, content after the subtype, a malformed parameter
// (`;` then token `=` token-or-quoted-string; one trailing `;` is fine) or a repeated one. Only
// ASCII counts as white space (Go also trims U+0085 and U+00A0).
std::optional<std::string> ParseMediaType(std::string_view v);

}  // namespace gnomon::scrape::go
