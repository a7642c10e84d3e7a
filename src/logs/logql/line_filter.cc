#include "logs/logql/line_filter.h"

#include <re2/re2.h>

#include "util/go_strconv.h"

namespace gnomon::logs::logql {

Result<LineFilter> LineFilter::Compile(const std::vector<LineFilterStage>& filters) {
  LineFilter out;
  for (const LineFilterStage& f : filters) {
    Step s;
    s.type = f.type;
    s.text = f.match;
    if (f.type == LineMatchType::kRegex || f.type == LineMatchType::kNotRegex) {
      RE2::Options opts;
      opts.set_log_errors(false);
      auto re = std::make_shared<const RE2>(f.match, opts);
      if (!re->ok()) return Status::InvalidArgument("invalid regex " + GoQuote(f.match) + ": " + re->error());
      s.re = std::move(re);
    }
    out.steps_.push_back(std::move(s));
  }
  return out;
}

bool LineFilter::Matches(std::string_view line) const {
  for (const Step& s : steps_) {
    bool hit;
    switch (s.type) {
      case LineMatchType::kContains:
      case LineMatchType::kNotContains: hit = line.find(s.text) != std::string_view::npos; break;
      default: hit = RE2::PartialMatch(line, *s.re); break;
    }
    bool want = s.type == LineMatchType::kContains || s.type == LineMatchType::kRegex;
    if (hit != want) return false;
  }
  return true;
}

std::vector<LineFilterStage> StoredLineFilters(const std::vector<Stage>& pipeline) {
  std::vector<LineFilterStage> out;
  for (const Stage& s : pipeline) {
    if (std::holds_alternative<LineFormatStage>(s)) break;
    if (const auto* f = std::get_if<LineFilterStage>(&s)) out.push_back(*f);
  }
  return out;
}

const Matchers& StreamMatchers(const Expr& query) { return SelectorOf(query).matchers; }

}  // namespace gnomon::logs::logql
