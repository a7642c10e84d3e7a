// Go's fmt and strconv formatting, as far as alert templates need them.
//
// GoFormatFloat is strconv.FormatFloat(v, fmt, prec, 64): fmt is 'e', 'E', 'f', 'g' or 'G', prec
// -1 asks for the shortest text that reads back as `v`. Shortest 'g' (what fmt's %v prints for a
// float64) switches to the exponent form when the decimal exponent is below -4 or at least 6, so
// 1e6 prints as "1e+06", 123456 as "123456" and 0.0001 as "0.0001"; NaN and the infinities are
// "NaN", "+Inf" and "-Inf".
//
// GoSprintf is fmt.Sprintf over GoArg values: flags "+- #0", width and precision (also `*`), the
// verbs %v %s %q %d %b %o %O %x %X %c %U %t %e %E %f %F %g %G %T and %%, and Go's error texts
// for a bad verb ("%!d(string=x)"), a missing argument ("%!d(MISSING)"), extra arguments
// ("%!(EXTRA int=1)") and a missing verb ("%!(NOVERB)"). GoSprint / GoSprintln are fmt.Sprint /
// fmt.Sprintln. None of them fails or throws (beyond std::bad_alloc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gnomon::alert {

// One operand of GoSprintf / GoSprint. kOther is any composite value (map, struct, pointer,
// time): `text` is what %v prints for it; other verbs report it as a bad verb.
struct GoArg {
  enum class Kind : unsigned char { kNil, kBool, kInt, kFloat, kString, kOther };
  Kind kind = Kind::kNil;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string text;       // kString: the string; kOther: its %v form
  std::string type_name;  // Go's name of the type, for %T and error texts ("int", "float64", ...)

  static GoArg Nil() { return GoArg(); }
  static GoArg Bool(bool v);
  static GoArg Int(int64_t v);
  static GoArg Float(double v);
  static GoArg String(std::string v, std::string type_name = "string");
  static GoArg Other(std::string text, std::string type_name);
};

// strconv.FormatFloat(v, fmt, prec, 64). `prec` is capped at 1,000,000.
std::string GoFormatFloat(double v, char fmt, int prec);

// strconv.Quote: a double-quoted Go string literal, non-printable runes and invalid UTF-8
// escaped. `ascii_only` is strconv.QuoteToASCII.
std::string GoQuote(std::string_view s, bool ascii_only = false);

// fmt.Sprintf / fmt.Sprint / fmt.Sprintln.
std::string GoSprintf(std::string_view format, const std::vector<GoArg>& args);
std::string GoSprint(const std::vector<GoArg>& args);
std::string GoSprintln(const std::vector<GoArg>& args);

// %v of one operand, no flags ("<nil>" for kNil).
std::string GoFormatValue(const GoArg& arg);

}  // namespace gnomon::alert
