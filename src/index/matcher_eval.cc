#include "index/matcher_eval.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "index/labels_util.h"

namespace gnomon::index {

namespace {

// If `re` (already known to compile) matches exactly a finite set of strings because it is a
// literal or an alternation of literals ("a|b|c", with `\.`-style escapes allowed), stores that
// set in *out and returns true.
bool ParseLiteralAlternation(std::string_view re, std::vector<std::string>* out) {
  std::vector<std::string> alts(1);
  for (size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '|') {
      alts.emplace_back();
    } else if (c == '\\') {
      if (i + 1 >= re.size()) return false;
      const auto next = static_cast<unsigned char>(re[i + 1]);
      // Only escaped punctuation is a literal; \d, \n, \x41, \Q...\E and friends are not handled.
      if (next >= 0x80 || !std::ispunct(next)) return false;
      alts.back().push_back(static_cast<char>(next));
      ++i;
    } else if (std::strchr(".+*?()[]{}^$", c) != nullptr && c != '\0') {
      return false;
    } else {
      alts.back().push_back(c);
    }
  }
  std::sort(alts.begin(), alts.end());
  alts.erase(std::unique(alts.begin(), alts.end()), alts.end());
  *out = std::move(alts);
  return true;
}

}  // namespace

const char* MatcherOpText(Matcher::Type t) {
  switch (t) {
    case Matcher::Type::kEqual: return "=";
    case Matcher::Type::kNotEqual: return "!=";
    case Matcher::Type::kRegexMatch: return "=~";
    case Matcher::Type::kRegexNoMatch: return "!~";
  }
  return "?";
}

std::string MatcherToString(const Matcher& m) { return m.name + MatcherOpText(m.type) + QuoteForMessage(m.value, 256); }

Result<CompiledMatcher> CompiledMatcher::Compile(const Matcher& m) {
  CompiledMatcher c;
  c.m_ = m;
  switch (m.type) {
    case Matcher::Type::kEqual:
    case Matcher::Type::kNotEqual:
      c.negated_ = m.type == Matcher::Type::kNotEqual;
      c.kind_ = Kind::kLiterals;
      c.literals_ = {m.value};
      break;
    case Matcher::Type::kRegexMatch:
    case Matcher::Type::kRegexNoMatch: {
      c.negated_ = m.type == Matcher::Type::kRegexNoMatch;
      // Prometheus compiles "^(?s:" + re + ")$": fully anchored, and `.` matches a newline too.
      // RE2::FullMatch anchors both ends without wrapping the text, so a pattern such as "a)|(b"
      // is rejected instead of being spliced into the wrapper.
      RE2::Options opts;
      opts.set_log_errors(false);
      opts.set_dot_nl(true);
      auto re = std::make_shared<RE2>(m.value, opts);
      if (!re->ok()) {
        return Status::InvalidArgument("matcher " + MatcherToString(m) +
                                       ": invalid regular expression: " + re->error());
      }
      if (m.value == ".*") {
        c.kind_ = Kind::kAny;
      } else if (m.value == ".+") {
        c.kind_ = Kind::kNonEmpty;
      } else if (ParseLiteralAlternation(m.value, &c.literals_)) {
        c.kind_ = Kind::kLiterals;
      } else {
        c.kind_ = Kind::kRegex;
        c.re_ = std::move(re);
      }
      break;
    }
  }
  c.matches_empty_ = c.Matches("");
  return c;
}

bool CompiledMatcher::Matches(std::string_view value) const {
  bool inner = false;
  switch (kind_) {
    case Kind::kLiterals:
      inner = literals_.size() == 1 ? literals_[0] == value
                                    : std::binary_search(literals_.begin(), literals_.end(), value);
      break;
    case Kind::kAny: inner = true; break;
    case Kind::kNonEmpty: inner = !value.empty(); break;
    case Kind::kRegex: inner = RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *re_); break;
  }
  return inner != negated_;
}

std::optional<bool> CompiledMatcher::MatchesAllNonEmpty() const {
  if (kind_ == Kind::kAny || kind_ == Kind::kNonEmpty) return !negated_;
  return std::nullopt;
}

}  // namespace gnomon::index
