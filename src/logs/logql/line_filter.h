// Line filters compiled for the log store: the `|=`, `!=`, `|~`, `!~` stages of a query, run on
// each stored line before anything else. Substring tests are case-sensitive
// (std::string_view::find); regular expressions are RE2, unanchored (a match anywhere in the line),
// as Loki's. Immutable after Compile, so one LineFilter may be shared by threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/status.h"
#include "logs/logql/ast.h"

namespace re2 {
class RE2;
}

namespace gnomon::logs::logql {

class LineFilter {
 public:
  // A filter that passes every line.
  LineFilter() = default;

  // Compiles `filters`, all of which must hold. kInvalidArgument naming the regex if one does
  // not compile (never for filters from the parser, which checked them).
  static Result<LineFilter> Compile(const std::vector<LineFilterStage>& filters);

  // True if `line` passes every filter (always true for an empty chain).
  bool Matches(std::string_view line) const;

  bool empty() const { return steps_.empty(); }
  size_t size() const { return steps_.size(); }

 private:
  struct Step {
    LineMatchType type = LineMatchType::kContains;
    std::vector<std::string> texts;                    // kContains, kNotContains: the alternatives
    std::vector<std::shared_ptr<const re2::RE2>> res;  // kRegex, kNotRegex: the alternatives
  };
  std::vector<Step> steps_;
};

// The line filters of `pipeline` that test the line as stored: those before the first
// `line_format` (parsers, label filters and drop/keep do not change the line; filters after a
// line_format test the formatted line and stay with the pipeline).
std::vector<LineFilterStage> StoredLineFilters(const std::vector<Stage>& pipeline);

// The stream matchers of any query (its one log selector), for DB-style stream selection with
// the label index (gnomon::Matcher semantics: regexes anchored, a missing label is "").
const Matchers& StreamMatchers(const Expr& query);

}  // namespace gnomon::logs::logql
