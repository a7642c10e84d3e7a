// query::ParseSeriesSelector (match[] parameters) is PromQL's vector selector grammar: what the
// PromQL parser accepts as a plain instant vector selector, and nothing else.
#include <doctest/doctest.h>

#include <string>

#include "query/selector.h"

namespace gnomon::query {
namespace {

std::string Error(std::string_view text) {
  auto m = ParseSeriesSelector(text);
  REQUIRE_FALSE(m.ok());
  CHECK(m.status().code() == Status::Code::kInvalidArgument);
  return m.status().message();
}

bool Has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

TEST_CASE("series selectors: matchers in the order written, the metric name first") {
  auto m = ParseSeriesSelector("up{job=\"api\", code=~\"5..\"}");
  REQUIRE(m.ok());
  REQUIRE(m->size() == 3);
  CHECK((*m)[0].type == Matcher::Type::kEqual);
  CHECK((*m)[0].name == "__name__");
  CHECK((*m)[0].value == "up");
  CHECK((*m)[1].name == "job");
  CHECK((*m)[2].type == Matcher::Type::kRegexMatch);
  CHECK((*m)[2].value == "5..");
  auto bare = ParseSeriesSelector("  ns:metric:rate5m  ");
  REQUIRE(bare.ok());
  REQUIRE(bare->size() == 1);
  CHECK((*bare)[0].value == "ns:metric:rate5m");
  auto braces = ParseSeriesSelector("{__name__=\"m\", a!~\"x|y\",}");
  REQUIRE(braces.ok());
  REQUIRE(braces->size() == 2);
  CHECK((*braces)[1].type == Matcher::Type::kRegexNoMatch);
  auto comment = ParseSeriesSelector("m{a=\"1\"} # a comment");
  REQUIRE(comment.ok());
  CHECK(comment->size() == 2);
  auto lines = ParseSeriesSelector("m{\n  a=\"1\",\n  b=\"2\"\n}");
  REQUIRE(lines.ok());
  CHECK(lines->size() == 3);
}

TEST_CASE("series selectors: PromQL's errors, with the position") {
  CHECK(Has(Error("up{job=~}"), "char 9: unexpected \"}\" in label matching, expected string"));
  CHECK(Has(Error("up{job=\"a\""), "char 11"));
  CHECK(Has(Error("{job==\"a\"}"), "char 6"));
  CHECK(Has(Error("m{1a=\"x\"}"), "char 3"));
  CHECK(Has(Error("{a=\"\\q\"}"), "unknown escape sequence"));
  CHECK(Has(Error("m{\n  a=}"), "char 8"));  // line 2, column 5
  CHECK(Has(Error(""), "no expression found in input"));
  CHECK(Has(Error("{job=\"\"}"), "at least one non-empty matcher"));
  CHECK(Has(Error("{a=~\"(\"}"), "char"));  // a regex that does not compile
}

TEST_CASE("series selectors: only a plain instant vector selector") {
  CHECK(Has(Error("up offset 5m"), "cannot have an offset or @ modifier"));
  CHECK(Has(Error("up @ 100"), "cannot have an offset or @ modifier"));
  CHECK(Has(Error("up[5m]"), "got a range selector"));
  CHECK(Has(Error("rate(up[5m])"), "got a function call"));
  CHECK(Has(Error("sum(up)"), "got an aggregation"));
  CHECK(Has(Error("up + 1"), "got an operator expression"));
  CHECK(Has(Error("-up"), "got an operator expression"));
  CHECK(Has(Error("(up)"), "got parentheses"));
  CHECK(Has(Error("1"), "got a number"));
  CHECK(Has(Error("\"up\""), "got a string"));
  CHECK(Has(Error("up[5m:1m]"), "got a subquery"));
  CHECK(Has(Error("up}"), "char 3"));
}

}  // namespace
}  // namespace gnomon::query
