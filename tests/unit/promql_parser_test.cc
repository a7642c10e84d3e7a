// PromQL lexer and parser: the case table in tests/promql/parse_cases.txt, tree shapes,
// String() round trips, the function table and a fuzz run that must never crash.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "parse_cases.h"
#include "query/promql/functions.h"
#include "query/promql/lexer.h"
#include "query/promql/parser.h"
#include "util/go_strconv.h"

namespace gnomon::promql {
namespace {

// Parses and returns String(), or "ERROR: <message>".
std::string Canon(std::string_view q) {
  auto r = ParseExpr(q);
  if (!r.ok()) return "ERROR: " + r.status().message();
  return (*r)->String();
}

template <typename T>
const T& As(const ExprPtr& e) {
  const T* p = std::get_if<T>(&e->node);
  REQUIRE(p != nullptr);
  return *p;
}

using Case = testing::ParseCase;
std::vector<Case> LoadCases() { return testing::LoadParseCases("tests/promql/parse_cases.txt"); }

TEST_CASE("parse_cases.txt: String() output and error messages") {
  std::vector<Case> cases = LoadCases();
  CHECK(cases.size() >= 150);
  int ok = 0;
  int errors = 0;
  for (const Case& c : cases) {
    INFO("parse_cases.txt:" << c.line << ": " << c.query);
    auto r = ParseExpr(c.query);
    if (c.want_error) {
      ++errors;
      CHECK_FALSE(r.ok());
      if (r.ok()) continue;
      CHECK(r.status().code() == Status::Code::kInvalidArgument);
      CHECK_MESSAGE(r.status().message().find(c.want) != std::string::npos, "got: " << r.status().message());
      CHECK(r.status().message().find(": parse error: ") != std::string::npos);
    } else {
      ++ok;
      CHECK_MESSAGE(r.ok(), "got: " << r.status().message());
      if (!r.ok()) continue;
      std::string s = (*r)->String();
      CHECK(s == c.want);
      // Round trip: the canonical text parses to the same canonical text.
      CHECK(Canon(s) == s);
    }
  }
  CHECK(ok > 50);
  CHECK(errors > 50);
}

TEST_CASE("precedence and associativity build the right trees") {
  // 1 + 2 * 3 → +(1, *(2, 3))
  auto r = ParseExpr("1 + 2 * 3");
  REQUIRE(r.ok());
  const auto& add = As<BinaryExpr>(*r);
  CHECK(add.op == BinaryOp::kAdd);
  CHECK(As<NumberLiteral>(add.lhs).value == 1);
  CHECK(As<BinaryExpr>(add.rhs).op == BinaryOp::kMul);

  // 2 ^ 3 ^ 2 → ^(2, ^(3, 2))
  r = ParseExpr("2 ^ 3 ^ 2");
  REQUIRE(r.ok());
  const auto& pow = As<BinaryExpr>(*r);
  CHECK(As<NumberLiteral>(pow.lhs).value == 2);
  CHECK(As<BinaryExpr>(pow.rhs).op == BinaryOp::kPow);

  // 1 - 2 - 3 → -(-(1, 2), 3)
  r = ParseExpr("1 - 2 - 3");
  REQUIRE(r.ok());
  const auto& sub = As<BinaryExpr>(*r);
  CHECK(As<BinaryExpr>(sub.lhs).op == BinaryOp::kSub);
  CHECK(As<NumberLiteral>(sub.rhs).value == 3);

  // -2 ^ 2 → unary minus over 2 ^ 2
  r = ParseExpr("-2 ^ 2");
  REQUIRE(r.ok());
  const auto& neg = As<UnaryExpr>(*r);
  CHECK(neg.negate);
  CHECK(As<BinaryExpr>(neg.expr).op == BinaryOp::kPow);
  CHECK((*r)->Type() == ValueType::kScalar);

  // -1 * 2 → (-1) * 2, the literal folds the sign
  r = ParseExpr("-1 * 2");
  REQUIRE(r.ok());
  CHECK(As<NumberLiteral>(As<BinaryExpr>(*r).lhs).value == -1);

  // a or b and c → or(a, and(b, c))
  r = ParseExpr("a or b and c unless d");
  REQUIRE(r.ok());
  const auto& lor = As<BinaryExpr>(*r);
  CHECK(lor.op == BinaryOp::kLor);
  CHECK(As<BinaryExpr>(lor.rhs).op == BinaryOp::kLunless);
  CHECK(lor.matching.has_value());
  CHECK(lor.matching->card == VectorMatching::Card::kManyToMany);

  // comparisons bind looser than arithmetic
  r = ParseExpr("a + 1 > bool b * 2");
  REQUIRE(r.ok());
  const auto& gt = As<BinaryExpr>(*r);
  CHECK(gt.op == BinaryOp::kGtr);
  CHECK(gt.return_bool);
  CHECK(As<BinaryExpr>(gt.lhs).op == BinaryOp::kAdd);
  CHECK(As<BinaryExpr>(gt.rhs).op == BinaryOp::kMul);

  // atan2 binds like *
  r = ParseExpr("a + b atan2 c");
  REQUIRE(r.ok());
  CHECK(As<BinaryExpr>(As<BinaryExpr>(*r).rhs).op == BinaryOp::kAtan2);
}

TEST_CASE("selectors, modifiers and matching fill the AST") {
  auto r = ParseExpr(R"(foo{job="api", path=~"/a.*"} offset -5m @ 100.5)");
  REQUIRE(r.ok());
  const auto& vs = As<VectorSelector>(*r);
  CHECK(vs.name == "foo");
  REQUIRE(vs.matchers.size() == 3);
  CHECK(vs.matchers[0].name == "job");
  CHECK(vs.matchers[1].type == Matcher::Type::kRegexMatch);
  CHECK(vs.matchers[2].name == "__name__");
  CHECK(vs.matchers[2].value == "foo");
  CHECK(vs.offset_ms == -300000);
  REQUIRE(vs.at.has_value());
  CHECK(vs.at->kind == AtModifier::Kind::kTime);
  CHECK(vs.at->time_ms == 100500);

  r = ParseExpr(R"({__name__="bar"})");
  REQUIRE(r.ok());
  CHECK(As<VectorSelector>(*r).name.empty());
  CHECK(As<VectorSelector>(*r).matchers.size() == 1);

  r = ParseExpr("rate(foo[5m] @ end() offset 1h)");
  REQUIRE(r.ok());
  const auto& call = As<Call>(*r);
  CHECK(call.func == "rate");
  REQUIRE(call.args.size() == 1);
  const auto& m = As<MatrixSelector>(call.args[0]);
  CHECK(m.range_ms == 300000);
  const auto& inner = As<VectorSelector>(m.vector_selector);
  CHECK(inner.offset_ms == 3600000);
  REQUIRE(inner.at.has_value());
  CHECK(inner.at->kind == AtModifier::Kind::kEnd);

  r = ParseExpr("max_over_time(rate(x[1m])[30m:1m] offset 1d)");
  REQUIRE(r.ok());
  const auto& sq = As<SubqueryExpr>(As<Call>(*r).args[0]);
  CHECK(sq.range_ms == 1800000);
  CHECK(sq.step_ms == 60000);
  CHECK(sq.offset_ms == 86400000);

  r = ParseExpr("x[1h:]");
  REQUIRE(r.ok());
  CHECK(As<SubqueryExpr>(*r).step_ms == 0);

  r = ParseExpr("a / on(x, y) group_left(z) b");
  REQUIRE(r.ok());
  const auto& div = As<BinaryExpr>(*r);
  REQUIRE(div.matching.has_value());
  CHECK(div.matching->on);
  CHECK(div.matching->card == VectorMatching::Card::kManyToOne);
  CHECK(div.matching->matching_labels == std::vector<std::string>{"x", "y"});
  CHECK(div.matching->include == std::vector<std::string>{"z"});

  r = ParseExpr("a - ignoring(x) group_right b");
  REQUIRE(r.ok());
  CHECK_FALSE(As<BinaryExpr>(*r).matching->on);
  CHECK(As<BinaryExpr>(*r).matching->card == VectorMatching::Card::kOneToMany);

  // Vector matching is dropped when a side is a scalar.
  r = ParseExpr("a * 2");
  REQUIRE(r.ok());
  CHECK_FALSE(As<BinaryExpr>(*r).matching.has_value());

  r = ParseExpr("count_values without (a) (\"v\", x)");
  REQUIRE(r.ok());
  const auto& agg = As<AggregateExpr>(*r);
  CHECK(agg.op == AggregateOp::kCountValues);
  CHECK(agg.without);
  CHECK(As<StringLiteral>(agg.param).value == "v");
  CHECK(agg.grouping == std::vector<std::string>{"a"});

  r = ParseExpr("topk(3, x) by (a, b)");
  REQUIRE(r.ok());
  CHECK(As<AggregateExpr>(*r).grouping.size() == 2);
  CHECK(As<NumberLiteral>(As<AggregateExpr>(*r).param).value == 3);
}

TEST_CASE("numbers and strings") {
  struct {
    const char* q;
    double v;
  } nums[] = {{"1", 1},       {"0x1F", 31},   {"0X10", 16}, {"1e3", 1000}, {"1.5e-3", 0.0015},
              {".5", 0.5},    {"5.", 5},      {"0755", 493}, {"089", 89},  {"-7", -7},
              {"+7", 7},      {"1E+2", 100}};
  for (const auto& n : nums) {
    INFO(n.q);
    auto r = ParseExpr(n.q);
    REQUIRE(r.ok());
    CHECK(As<NumberLiteral>(*r).value == n.v);
  }
  for (const char* q : {"Inf", "inf", "+INF", "iNf"}) {
    auto r = ParseExpr(q);
    REQUIRE(r.ok());
    CHECK(std::isinf(As<NumberLiteral>(*r).value));
    CHECK(As<NumberLiteral>(*r).value > 0);
  }
  auto r = ParseExpr("-Inf");
  REQUIRE(r.ok());
  CHECK(As<NumberLiteral>(*r).value < 0);
  r = ParseExpr("NaN");
  REQUIRE(r.ok());
  CHECK(std::isnan(As<NumberLiteral>(*r).value));

  r = ParseExpr(R"("a\"b\n\u00e9")");
  REQUIRE(r.ok());
  CHECK(As<StringLiteral>(*r).value == "a\"b\n\xc3\xa9");
  CHECK((*r)->Type() == ValueType::kString);
  r = ParseExpr(R"('it\'s')");
  REQUIRE(r.ok());
  CHECK(As<StringLiteral>(*r).value == "it's");
  r = ParseExpr("`raw\\n`");
  REQUIRE(r.ok());
  CHECK(As<StringLiteral>(*r).value == "raw\\n");
}

TEST_CASE("error positions are line:column, 1-based") {
  CHECK(Canon("foo +") == "ERROR: 1:6: parse error: unexpected end of input");
  CHECK(Canon("1 == 1") == "ERROR: 1:3: parse error: comparisons between scalars must use BOOL modifier");
  CHECK(Canon("foo\n  + bar{") == "ERROR: 2:9: parse error: unexpected end of input inside braces");
  CHECK(Canon("sum(\n  rate(x)\n)") ==
        "ERROR: 2:8: parse error: expected type range vector in call to function \"rate\", got instant vector");
  CHECK(Canon("") == "ERROR: 1:1: parse error: no expression found in input");
  CHECK(Canon("# only a comment\n") == "ERROR: 1:1: parse error: no expression found in input");
}

TEST_CASE("positions cover each node") {
  std::string q = "sum by (a) (rate(foo{x=\"y\"}[5m])) + -bar offset 1m";
  auto r = ParseExpr(q);
  REQUIRE(r.ok());
  CHECK((*r)->pos.start == 0);
  CHECK((*r)->pos.end == q.size());
  const auto& b = As<BinaryExpr>(*r);
  CHECK(q.substr(b.lhs->pos.start, b.lhs->pos.end - b.lhs->pos.start) == "sum by (a) (rate(foo{x=\"y\"}[5m]))");
  CHECK(q.substr(b.rhs->pos.start, b.rhs->pos.end - b.rhs->pos.start) == "-bar offset 1m");
  const auto& call = As<Call>(As<AggregateExpr>(b.lhs).expr);
  const ExprPtr& m = call.args[0];
  CHECK(q.substr(m->pos.start, m->pos.end - m->pos.start) == "foo{x=\"y\"}[5m]");
  const ExprPtr& vs = As<MatrixSelector>(m).vector_selector;
  CHECK(q.substr(vs->pos.start, vs->pos.end - vs->pos.start) == "foo{x=\"y\"}");
}

TEST_CASE("every function in the table: argument counts and types are checked") {
  const char* names[] = {
      "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time",
      "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "days_in_month",
      "day_of_month", "day_of_week", "day_of_year", "deg", "delta", "deriv", "exp", "floor",
      "histogram_quantile", "holt_winters", "hour", "idelta", "increase", "irate", "label_join",
      "label_replace", "last_over_time", "ln", "log10", "log2", "max_over_time", "min_over_time", "minute",
      "month", "pi", "predict_linear", "present_over_time", "quantile_over_time", "rad", "rate", "resets",
      "round", "scalar", "sgn", "sin", "sinh", "sort", "sort_desc", "sqrt", "stddev_over_time",
      "stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year"};
  CHECK(std::size(names) == 67);
  CHECK(LookupFunction("nope") == nullptr);
  CHECK(LookupFunction("RATE") == nullptr);
  auto arg_for = [](ValueType t) -> std::string {
    switch (t) {
      case ValueType::kScalar: return "1";
      case ValueType::kVector: return "v";
      case ValueType::kMatrix: return "m[5m]";
      case ValueType::kString: return "\"s\"";
      default: return "?";
    }
  };
  // A wrong argument for each type: scalar ↔ vector, matrix → vector, string → scalar.
  auto wrong_for = [](ValueType t) -> std::pair<std::string, const char*> {
    switch (t) {
      case ValueType::kScalar: return {"v", "instant vector"};
      case ValueType::kVector: return {"1", "scalar"};
      case ValueType::kMatrix: return {"v", "instant vector"};
      case ValueType::kString: return {"1", "scalar"};
      default: return {"?", "?"};
    }
  };
  for (const char* name : names) {
    INFO(name);
    const FunctionSignature* f = LookupFunction(name);
    REQUIRE(f != nullptr);
    CHECK(f->name == name);
    std::vector<std::string> args;
    for (ValueType t : f->arg_types) args.push_back(arg_for(t));
    auto call = [&](const std::vector<std::string>& a) {
      std::string q = std::string(name) + "(";
      for (size_t i = 0; i < a.size(); ++i) q += (i ? ", " : "") + a[i];
      return q + ")";
    };
    // Full argument list parses, with the declared return type.
    auto r = ParseExpr(call(args));
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK((*r)->Type() == f->return_type);
    CHECK(Canon((*r)->String()) == (*r)->String());
    // One argument too many fails unless the function is variadic without bound.
    std::vector<std::string> more = args;
    more.push_back(args.empty() ? "1" : args.back());
    if (f->variadic == -1) {
      CHECK(ParseExpr(call(more)).ok());
    } else {
      auto bad = ParseExpr(call(more));
      REQUIRE_FALSE(bad.ok());
      CHECK(bad.status().message().find("argument(s) in call to \"" + std::string(name) + "\"") !=
            std::string::npos);
    }
    // Optional trailing arguments may be left out; one fewer than required fails.
    if (!args.empty()) {
      std::vector<std::string> fewer(args.begin(), args.end() - 1);
      auto res = ParseExpr(call(fewer));
      if (f->variadic != 0) {
        CHECK(res.ok());
      } else {
        REQUIRE_FALSE(res.ok());
        CHECK(res.status().message().find("expected " + std::to_string(args.size()) + " argument(s)") !=
              std::string::npos);
      }
    }
    // Each argument position rejects a value of the wrong type, naming the expected type.
    for (size_t i = 0; i < args.size(); ++i) {
      std::vector<std::string> wrong = args;
      auto [text, got] = wrong_for(f->arg_types[i]);
      wrong[i] = text;
      auto bad = ParseExpr(call(wrong));
      REQUIRE_FALSE(bad.ok());
      std::string want = std::string("expected type ") + ValueTypeName(f->arg_types[i]) + " in call to function \"" +
                         name + "\", got " + got;
      CHECK_MESSAGE(bad.status().message().find(want) != std::string::npos, bad.status().message());
    }
  }
}

TEST_CASE("lexer: token kinds and descriptions") {
  Lexer lx("sum BY(x) offset 5m + foo:bar{a!~'b'} @ 1.5 [5m:1m] # c\n and 0x1f");
  std::vector<TokenType> want = {
      TokenType::kSum,        TokenType::kBy,        TokenType::kLeftParen,   TokenType::kIdentifier,
      TokenType::kRightParen, TokenType::kOffset,    TokenType::kDuration,    TokenType::kAdd,
      TokenType::kMetricIdentifier, TokenType::kLeftBrace, TokenType::kIdentifier, TokenType::kNeqRegex,
      TokenType::kString,     TokenType::kRightBrace, TokenType::kAt,         TokenType::kNumber,
      TokenType::kLeftBracket, TokenType::kDuration, TokenType::kColon,       TokenType::kDuration,
      TokenType::kRightBracket, TokenType::kLand,    TokenType::kNumber,      TokenType::kEOF};
  for (size_t i = 0; i < want.size(); ++i) {
    Token t = lx.Next();
    INFO("token " << i << " '" << t.text << "'");
    CHECK(t.type == want[i]);
  }
  CHECK(lx.Next().type == TokenType::kEOF);

  Token t;
  t.type = TokenType::kIdentifier;
  t.text = "foo";
  CHECK(DescribeToken(t) == "identifier \"foo\"");
  t.type = TokenType::kMul;
  t.text = "*";
  CHECK(DescribeToken(t) == "<op:*>");
  t.type = TokenType::kSum;
  t.text = "sum";
  CHECK(DescribeToken(t) == "<aggr:sum>");
  t.type = TokenType::kBy;
  t.text = "by";
  CHECK(DescribeToken(t) == "<by>");
  t.type = TokenType::kString;
  t.text = "\"a long string literal\"";
  CHECK(DescribeToken(t) == "string \"\\\"a long st\"...");
  t.type = TokenType::kEOF;
  CHECK(DescribeToken(t) == "end of input");

  CHECK(GoQuote("a\"b\\c\n\t\x01\xff\xc3\xa9") == "\"a\\\"b\\\\c\\n\\t\\x01\\xff\xc3\xa9\"");
}

TEST_CASE("number formatting follows Go") {
  CHECK(Canon("1000000") == "1e+06");
  CHECK(Canon("100000") == "100000");
  CHECK(Canon("123456789") == "1.23456789e+08");
  CHECK(Canon("0.0001") == "0.0001");
  CHECK(Canon("0.00001") == "1e-05");
  CHECK(Canon("1.5") == "1.5");
  CHECK(Canon("-0.25") == "-0.25");
  CHECK(Canon("Inf") == "Inf");
  CHECK(Canon("+Inf ^ 2") == "+Inf ^ 2");
  CHECK(Canon("1 + Inf ^ -NaN") == "1 + Inf ^ NaN");
  CHECK(Canon("-inf") == "-Inf");
  CHECK(Canon("nan") == "NaN");
  CHECK(Canon("0x10") == "16");
  CHECK(Canon("1e308") == "1e+308");
  CHECK(Canon("5e-324") == "5e-324");
}

TEST_CASE("deep nesting is rejected, not a crash") {
  std::string deep(5000, '(');
  deep += "1";
  deep += std::string(5000, ')');
  auto r = ParseExpr(deep);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("nested too deeply") != std::string::npos);

  std::string chain = "1";
  for (int i = 0; i < 20000; ++i) chain += " + 1";
  r = ParseExpr(chain);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("nested too deeply") != std::string::npos);

  std::string unary(20000, '-');
  unary += "foo";
  CHECK_FALSE(ParseExpr(unary).ok());

  // Nesting up to the limit works for every kind of nesting (and String() and the destructor
  // cope with it), one level more fails.
  auto nest = [](int n, const std::string& open, const std::string& inner, const std::string& close) {
    std::string q;
    for (int i = 0; i < n; ++i) q += open;
    q += inner;
    for (int i = 0; i < n; ++i) q += close;
    return q;
  };
  const struct {
    const char* open;
    const char* inner;
    const char* close;
  } kinds[] = {{"(", "foo", ")"},          {"abs(", "foo", ")"},   {"sum(", "foo", ")"},
               {"-", "foo", ""},           {"2 ^ ", "2", ""},      {"max_over_time(", "foo", "[5m:])"},
               {"topk(1, ", "foo", ")"},   {"foo + (", "foo", ")"}};
  for (const auto& k : kinds) {
    INFO(k.open);
    auto r = ParseExpr(nest(300, k.open, k.inner, k.close));
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    CHECK_FALSE((*r)->String().empty());
    CHECK_FALSE(ParseExpr(nest(1001, k.open, k.inner, k.close)).ok());
  }
  std::string sum = "a";
  for (int i = 0; i < 900; ++i) sum += " or a";
  auto r2 = ParseExpr(sum);
  REQUIRE(r2.ok());
  CHECK((*r2)->String() == sum);
}

// Valid queries used as seeds for round trips and mutations.
const char* const kSeeds[] = {
    "foo",
    "foo{a=\"b\",c!~\"d.*\"}",
    "rate(http_requests_total{job=\"api\"}[5m] offset 1h)",
    "sum by (job, instance) (rate(x[1m])) / on(job) group_left(team) team_info",
    "histogram_quantile(0.9, sum without (le) (rate(bucket[10m] @ 1000)))",
    "-a ^ 2 * b % 3 - c atan2 d",
    "topk(5, foo) > bool 3 or absent(bar) unless baz and qux",
    "max_over_time(deriv(x[5m])[1h:5m] @ start() offset -10m)",
    "label_replace(up, \"a\", \"$1\", \"b\", \"(.*)\")",
    "count_values(\"v\", x) == ignoring(a) group_right() y",
    "quantile_over_time(0.5, x[1d]) + time() - vector(1) * scalar(foo)",
    "(a + b) / (c - d offset 5m)",
    "foo[5m:] @ end()",
    "`raw` ",
    "\"str\\n\\u00e9\"",
    "0x1f + .5 + 1e-3 + Inf - NaN",
    "sum(x) without (a,) ",
    "clamp(x, -1, +1) # trailing comment",
};

TEST_CASE("round trip: String() reparses to the same String()") {
  for (const char* q : kSeeds) {
    INFO(q);
    auto r = ParseExpr(q);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    std::string s = (*r)->String();
    auto again = ParseExpr(s);
    REQUIRE_MESSAGE(again.ok(), s << ": " << again.status().message());
    CHECK((*again)->String() == s);
    CHECK((*again)->Type() == (*r)->Type());
  }
}

TEST_CASE("fuzz: random tokens and mutations never crash, and successes round-trip") {
  const char* fragments[] = {
      "foo",  "bar{a=\"b\"}", "{x=~\".+\"}", "1", "0x1f", ".5", "Inf", "NaN", "\"s\"", "'t'", "`r`",
      "(",    ")",            "[5m]",        "[1h:1m]", "[", "]", ":", "{", "}", ",", "=", "=~", "!~",
      "+",    "-",            "*",           "/", "%", "^", "==", "!=", ">", "<", ">=", "<=", "and",
      "or",   "unless",       "atan2",       "bool", "on(a)", "ignoring(b)", "group_left", "group_right(c)",
      "sum",  "avg",          "topk",        "count_values", "by (a)", "without (b)", "offset 5m",
      "offset -1h", "@ 100", "@ start()", "@ end()", "rate", "abs", "label_join", "time()", "5m", "#c\n",
      " ",    "\n",           "\t",          "__name__", "x:y", "@", "offset", "start", "end", "-1e3",
      "9999999999999999999999", "0x", "1e", "\\", "!", "~", "$", "\xff", "\xc3\xa9",
  };
  std::mt19937 rng(12345);
  int parsed = 0;
  auto check = [&](const std::string& q) {
    auto r = ParseExpr(q);
    if (!r.ok()) {
      CHECK(r.status().message().find("parse error: ") != std::string::npos);
      return;
    }
    ++parsed;
    std::string s = (*r)->String();
    (void)(*r)->Type();
    CHECK_MESSAGE(Canon(s) == s, "query: " << q);
  };
  for (int i = 0; i < 20000; ++i) {
    std::string q;
    int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      q += fragments[rng() % std::size(fragments)];
      if (rng() % 2) q += ' ';
    }
    check(q);
  }
  // Byte-level mutations of valid queries: delete, insert, replace, duplicate a span.
  const std::string alphabet = "abz_:019.eExX+-*/%^=!~<>(){}[],@#\"'`\\ \n\t";
  for (int i = 0; i < 20000; ++i) {
    std::string q = kSeeds[rng() % std::size(kSeeds)];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !q.empty(); ++k) {
      size_t p = rng() % q.size();
      switch (rng() % 4) {
        case 0: q.erase(p, 1 + rng() % 3); break;
        case 1: q.insert(q.begin() + static_cast<long>(p), alphabet[rng() % alphabet.size()]); break;
        case 2: q[p] = alphabet[rng() % alphabet.size()]; break;
        case 3: q.insert(p, q.substr(p, 1 + rng() % 8)); break;
      }
    }
    check(q);
  }
  // Every prefix of every seed.
  for (const char* seed : kSeeds) {
    std::string s = seed;
    for (size_t n = 0; n <= s.size(); ++n) check(s.substr(0, n));
  }
  CHECK(parsed > 100);
}

}  // namespace
}  // namespace gnomon::promql
