// Go's fmt formatting, as far as alert templates need them (strconv's part: util/go_strconv.h).
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

#include "util/go_strconv.h"

namespace gnomon::gotemplate {

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

// fmt.Sprintf / fmt.Sprint / fmt.Sprintln.
std::string GoSprintf(std::string_view format, const std::vector<GoArg>& args);
std::string GoSprint(const std::vector<GoArg>& args);
std::string GoSprintln(const std::vector<GoArg>& args);

// %v of one operand, no flags ("<nil>" for kNil).
std::string GoFormatValue(const GoArg& arg);

}  // namespace gnomon::gotemplate
