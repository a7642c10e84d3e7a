// CompiledMatcher: a Matcher ready to test label values quickly (regexes compiled once with RE2,
// fully anchored as Prometheus requires).
#pragma once

#include <memory>
#include <string_view>

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

 private:
  Matcher m_;
  std::shared_ptr<re2::RE2> re_;
  bool matches_empty_ = false;
};

}  // namespace gnomon::index
