// CompiledMatcher: a Matcher ready to test label values quickly (regexes compiled once with RE2,
// fully anchored as Prometheus requires).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/matcher.h"
#include "gnomon/status.h"

namespace re2 { class RE2; }

namespace gnomon::index {

class CompiledMatcher {
 public:
  // Fails with InvalidArgument naming the matcher when the regular expression does not compile.
  static Result<CompiledMatcher> Compile(const Matcher& m);

  // Whether a series whose label `name()` has `value` ("" when absent) matches.
  bool Matches(std::string_view value) const;
  bool MatchesEmpty() const { return matches_empty_; }
  const Matcher& matcher() const { return m_; }
  const std::string& name() const { return m_.name; }

  // For `!=` and `!~`: Matches(v) is the negation of an inner `=` / `=~` test.
  bool negated() const { return negated_; }
  // When the inner test matches exactly a finite set of strings (`=`, or a regex that is a literal
  // or an alternation of literals such as "a|b|c"), that set, sorted and distinct; else null. The
  // index resolves such matchers by lookup instead of testing every value.
  const std::vector<std::string>* literals() const { return kind_ == Kind::kLiterals ? &literals_ : nullptr; }
  // When Matches(v) is the same for every non-empty v (regexes ".*" and ".+"), that answer.
  std::optional<bool> MatchesAllNonEmpty() const;

 private:
  enum class Kind : unsigned char {
    kLiterals,  // inner test: value is in literals_
    kAny,       // inner test: always true (".*")
    kNonEmpty,  // inner test: value is non-empty (".+")
    kRegex,     // inner test: RE2::FullMatch(value, *re_)
  };

  Matcher m_;
  Kind kind_ = Kind::kLiterals;
  bool negated_ = false;
  std::vector<std::string> literals_;
  std::shared_ptr<re2::RE2> re_;
  bool matches_empty_ = false;
};

// PromQL text of a matcher, e.g. `job=~"api|web"`, for messages.
std::string MatcherToString(const Matcher& m);

// The operator of a matcher type as PromQL and LogQL write it: "=", "!=", "=~", "!~".
const char* MatcherOpText(Matcher::Type t);

}  // namespace gnomon::index
