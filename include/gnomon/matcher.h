// Label matchers: how a read says which series it wants.
//
// Semantics are Prometheus': a series that lacks a label is treated as having it with value "".
// Regular expressions (RE2 syntax) are fully anchored: `job=~"api"` matches only "api".
// So `job=""` selects series without a job label, and `job!=""` those that have one.
#pragma once

#include <string>
#include <vector>

namespace gnomon {

struct Matcher {
  enum class Type : unsigned char { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };
  Type type = Type::kEqual;
  std::string name;
  std::string value;  // a literal for kEqual/kNotEqual, a regular expression otherwise

  static Matcher Equal(std::string n, std::string v) { return {Type::kEqual, std::move(n), std::move(v)}; }
  static Matcher NotEqual(std::string n, std::string v) { return {Type::kNotEqual, std::move(n), std::move(v)}; }
  static Matcher Regex(std::string n, std::string v) { return {Type::kRegexMatch, std::move(n), std::move(v)}; }
  static Matcher NotRegex(std::string n, std::string v) { return {Type::kRegexNoMatch, std::move(n), std::move(v)}; }
};

using Matchers = std::vector<Matcher>;

}  // namespace gnomon
