#include "logs/logql/line_filter.h"

#include <re2/re2.h>

#include "util/go_strconv.h"

namespace gnomon::logs::logql {

Result<LineFilter> LineFilter::Compile(const std::vector<LineFilterStage>& filters) {
  LineFilter out;
  for (const LineFilterStage& f : filters) {
    Step s;
    s.type = f.type;
    bool regex = f.type == LineMatchType::kRegex || f.type == LineMatchType::kNotRegex;
    for (size_t i = 0; i <= f.or_matches.size(); ++i) {
      const std::string& m = i == 0 ? f.match : f.or_matches[i - 1];
      if (!regex) {
        s.texts.push_back(m);
        continue;
      }
      RE2::Options opts;
      opts.set_log_errors(false);
      auto re = std::make_shared<const RE2>(m, opts);
      if (!re->ok()) return Status::InvalidArgument("invalid regex " + GoQuote(m) + ": " + re->error());
      s.res.push_back(std::move(re));
    }
    out.steps_.push_back(std::move(s));
  }
  return out;
}

bool LineFilter::Matches(std::string_view line) const {
  for (const Step& s : steps_) {
    bool hit = false;  // does any alternative occur in the line?
    for (const std::string& t : s.texts) {
      if (line.find(t) != std::string_view::npos) {
        hit = true;
        break;
      }
    }
    for (size_t i = 0; !hit && i < s.res.size(); ++i) hit = RE2::PartialMatch(line, *s.res[i]);
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
