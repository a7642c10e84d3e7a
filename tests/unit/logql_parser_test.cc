// LogQL lexer and parser: the case table in tests/logql/parse_cases.txt, tree shapes, String()
// round trips, Go durations, the line-filter chain, stream matchers, and a bounded fuzz run of
// mutated queries that must never crash (run under ASan+UBSan too).
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "logs/logql/go_duration.h"
#include "logs/logql/line_filter.h"
#include "logs/logql/parser.h"
#include "parse_cases.h"

namespace gnomon::logs::logql {
namespace {

// Parses and returns String(), or "ERROR: <message>".
std::string Canon(std::string_view q) {
  auto r = ParseQuery(q);
  if (!r.ok()) return "ERROR: " + r.status().message();
  return (*r)->String();
}

using Case = testing::ParseCase;
std::vector<Case> LoadCases() { return testing::LoadParseCases("tests/logql/parse_cases.txt"); }

TEST_CASE("parse_cases.txt") {
  auto cases = LoadCases();
  int errors = 0, oks = 0;
  for (const Case& c : cases) {
    CAPTURE(c.line);
    CAPTURE(c.query);
    std::string got = Canon(c.query);
    if (c.want_error) {
      ++errors;
      CHECK_MESSAGE(got.rfind("ERROR: ", 0) == 0, "expected an error, got " << got);
      CHECK_MESSAGE(got.find(c.want) != std::string::npos, "error " << got << " lacks " << c.want);
    } else {
      ++oks;
      CHECK(got == c.want);
      // Canonical text is a fixed point: it parses back to itself.
      if (got == c.want) CHECK(Canon(got) == got);
    }
  }
  CHECK(oks >= 60);
  CHECK(errors >= 25);
  MESSAGE(oks << " valid and " << errors << " error cases");
}

TEST_CASE("tree shapes") {
  auto r = ParseQuery(R"(sum by (service)(count_over_time({app="a", env=~"p.*"} |= "x" | json | status>=500 [5m])))");
  REQUIRE(r.ok());
  const Expr& e = **r;
  CHECK_FALSE(e.IsLogQuery());
  const auto& v = std::get<VectorAggregation>(e.node);
  CHECK(v.op == VectorOp::kSum);
  CHECK(v.has_grouping);
  CHECK_FALSE(v.without);
  CHECK(v.grouping == std::vector<std::string>{"service"});
  const auto& ra = std::get<RangeAggregation>(v.expr->node);
  CHECK(ra.op == RangeOp::kCountOverTime);
  CHECK(ra.range.range_ms == 300000);
  CHECK(RangeOf(e) == 300000);
  const LogSelector& sel = SelectorOf(e);
  REQUIRE(sel.matchers.size() == 2);
  CHECK(sel.matchers[1].type == Matcher::Type::kRegexMatch);
  CHECK(sel.matchers[1].value == "p.*");
  REQUIRE(sel.pipeline.size() == 3);
  CHECK(std::get<LineFilterStage>(sel.pipeline[0]).match == "x");
  CHECK(std::get<ParserStage>(sel.pipeline[1]).kind == ParserStage::Kind::kJson);
  const LabelFilter& f = *std::get<LabelFilterStage>(sel.pipeline[2]).filter;
  CHECK(f.kind == LabelFilter::Kind::kNumber);
  CHECK(f.name == "status");
  CHECK(f.op == CompareOp::kGte);
  CHECK(f.number == 500);

  auto d = ParseQuery(R"({a="b"} | logfmt | latency > 1.5s)");
  REQUIRE(d.ok());
  const auto& df = *std::get<LabelFilterStage>(std::get<LogSelector>((*d)->node).pipeline[1]).filter;
  CHECK(df.kind == LabelFilter::Kind::kDuration);
  CHECK(df.duration_ns == 1500000000);

  auto t = ParseQuery(R"(topk(5, rate({a="b"}[1m])))");
  REQUIRE(t.ok());
  CHECK(std::get<VectorAggregation>((*t)->node).k == 5);
}

TEST_CASE("Go durations") {
  struct {
    const char* in;
    int64_t ns;
    const char* out;
  } cases[] = {
      {"0", 0, "0s"},
      {"10s", 10000000000, "10s"},
      {"1.5s", 1500000000, "1.5s"},
      {"250ms", 250000000, "250ms"},
      {"90s", 90000000000, "1m30s"},
      {"1h", 3600000000000, "1h0m0s"},
      {"1h2m3.5s", 3723500000000, "1h2m3.5s"},
      {"10us", 10000, "10µs"},
      {"7ns", 7, "7ns"},
      {"-2m", -120000000000, "-2m0s"},
      {".5ms", 500000, "500µs"},
      {"1.000001ms", 1000001, "1.000001ms"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    auto r = ParseGoDuration(c.in);
    REQUIRE(r.ok());
    CHECK(*r == c.ns);
    CHECK(FormatGoDuration(c.ns) == c.out);
    auto back = ParseGoDuration(FormatGoDuration(c.ns));
    REQUIRE(back.ok());
    CHECK(*back == c.ns);
  }
  for (const char* bad : {"", "s", "1", "1d", "1.s.", "--1s", "99999999999999999999s", "1e3s"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseGoDuration(bad).ok());
  }
}

TEST_CASE("line filter chain") {
  auto r = ParseQuery(
      R"({a="b"} |= "error" != "timeout" |~ "code=5\\d\\d" !~ "(?i)health" | json | line_format "{{.msg}}" |= "late")");
  REQUIRE(r.ok());
  const LogSelector& sel = SelectorOf(**r);
  auto stored = StoredLineFilters(sel.pipeline);
  REQUIRE(stored.size() == 4);  // the filter after line_format tests the formatted line
  auto lf = LineFilter::Compile(stored);
  REQUIRE(lf.ok());
  CHECK(lf->size() == 4);
  CHECK(lf->Matches("GET /x error code=503"));
  CHECK_FALSE(lf->Matches("GET /x Error code=503"));          // case-sensitive substring
  CHECK_FALSE(lf->Matches("GET /x error timeout code=503"));  // != "timeout"
  CHECK_FALSE(lf->Matches("GET /x error code=404"));          // |~ fails
  CHECK_FALSE(lf->Matches("GET /HEALTH error code=500"));     // !~ (case-insensitive regex) hits
  CHECK(LineFilter().Matches("anything"));
  CHECK_FALSE(LineFilter::Compile({LineFilterStage{LineMatchType::kRegex, "(x", {}}}).ok());
  CHECK_FALSE(LineFilter::Compile({LineFilterStage{LineMatchType::kRegex, "x", {"(y"}}}).ok());
  // `or`: any alternative for |= and |~, none of them for != and !~.
  auto o = ParseQuery(R"({a="b"} |= "GET" or "PUT" !~ "/health" or "/ready")");
  REQUIRE(o.ok());
  auto ol = LineFilter::Compile(StoredLineFilters(SelectorOf(**o).pipeline));
  REQUIRE(ol.ok());
  CHECK(ol->Matches("PUT /x"));
  CHECK(ol->Matches("GET /x"));
  CHECK_FALSE(ol->Matches("POST /x"));
  CHECK_FALSE(ol->Matches("GET /ready"));
  CHECK_FALSE(ol->Matches("GET /health"));
  auto ne = ParseQuery(R"({a="b"} != "x" or "y")");
  REQUIRE(ne.ok());
  auto nl = LineFilter::Compile(StoredLineFilters(SelectorOf(**ne).pipeline));
  REQUIRE(nl.ok());
  CHECK(nl->Matches("z"));
  CHECK_FALSE(nl->Matches("y"));
  CHECK_FALSE(nl->Matches("x"));
  auto empty = LineFilter::Compile({LineFilterStage{LineMatchType::kContains, "", {}}});
  REQUIRE(empty.ok());
  CHECK(empty->Matches(""));
}

TEST_CASE("stream matchers") {
  auto r = ParseQuery(R"(sum(rate({app="a", env=~"p.*", x!="y", z!~"q"} |= "x" [1m])))");
  REQUIRE(r.ok());
  const Matchers& m = StreamMatchers(**r);
  REQUIRE(m.size() == 4);
  CHECK(m[0].type == Matcher::Type::kEqual);
  CHECK(m[0].name == "app");
  CHECK(m[1].type == Matcher::Type::kRegexMatch);
  CHECK(m[2].type == Matcher::Type::kNotEqual);
  CHECK(m[3].type == Matcher::Type::kRegexNoMatch);
  CHECK(m[3].value == "q");
}

TEST_CASE("deep nesting is refused, not a stack overflow") {
  std::string q;
  for (int i = 0; i < 100000; ++i) q += "(";
  CHECK(Canon(q).find("nests too deeply") != std::string::npos);
  std::string f = R"({a="b"} | )";
  for (int i = 0; i < 100000; ++i) f += "(";
  CHECK(Canon(f).find("nests too deeply") != std::string::npos);
  std::string s;
  for (int i = 0; i < 50; ++i) s += "sum(";
  s += R"(rate({a="b"}[1m]))";
  for (int i = 0; i < 50; ++i) s += ")";
  CHECK(Canon(s) == s);
}

TEST_CASE("fuzz: mutated queries never crash, and what parses round-trips") {
  std::vector<std::string> seeds;
  for (const Case& c : LoadCases()) {
    if (!c.want_error) seeds.push_back(c.query);
  }
  REQUIRE(!seeds.empty());
  const std::string alphabet = "{}()[],=!~|<>\"`\\ .#\nabzjson5m1s_-+";
  std::mt19937 rng(12345);
  int parsed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string q = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = q.empty() ? 0 : rng() % (q.size() + 1);
      switch (rng() % 4) {
        case 0: q.insert(q.begin() + static_cast<std::ptrdiff_t>(pos), alphabet[rng() % alphabet.size()]); break;
        case 1:
          if (pos < q.size()) q.erase(pos, 1 + rng() % 3);
          break;
        case 2:
          if (pos < q.size()) q[pos] = static_cast<char>(rng() % 256);
          break;
        case 3: {  // splice a piece of another seed
          const std::string& o = seeds[rng() % seeds.size()];
          size_t from = rng() % o.size();
          q.insert(pos, o.substr(from, 1 + rng() % 12));
          break;
        }
      }
    }
    auto r = ParseQuery(q);
    if (r.ok()) {
      ++parsed;
      std::string canon = (*r)->String();
      auto again = ParseQuery(canon);
      REQUIRE_MESSAGE(again.ok(), q << " -> " << canon << ": " << again.status().message());
      CHECK_MESSAGE((*again)->String() == canon, q);
    } else {
      CHECK(r.status().message().rfind("parse error", 0) == 0);
    }
  }
  MESSAGE(parsed << " of 20000 mutations parsed");
}

}  // namespace
}  // namespace gnomon::logs::logql
