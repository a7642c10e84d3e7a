// The LogQL abstract syntax tree, produced by the parser (parser.h) and read by the log store's
// query code. Node kinds and their printed form mirror Loki's pkg/logql/syntax (ast.go) and
// pkg/logql/log (label_filter.go), so String() gives Loki's canonical text of a query:
//
//   {app="a", env=~"p.*"} |= "x" | json | ( level="error" , status>=500 ) | line_format "{{.msg}}"
//   sum by (service)(count_over_time({app="a"} |= "x"[5m]))
//   topk(3,rate({app="a"}[1m]))
//
// A query is either a log query (Expr holds a LogSelector: stream matchers plus a pipeline of
// stages applied to each line in order) or a metric query (a RangeAggregation over a LogRange,
// possibly wrapped in VectorAggregations). Ranges are in milliseconds; duration label filters
// keep Go's nanoseconds, as Loki compares them.
//
// The parser guarantees: every regular expression in the tree (stream matchers, `|~`/`!~` line
// filters, `=~`/`!~` label filters) compiles with RE2; a selector has at least one matcher that
// does not match the empty string; ranges are > 0; topk/bottomk have k >= 1.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "gnomon/matcher.h"

namespace gnomon::logs::logql {

// ---- pipeline stages -------------------------------------------------------------------------

// `|= "s"` contains, `!= "s"` does not contain, `|~ "re"` matches, `!~ "re"` does not match.
// Substring tests are case-sensitive; regular expressions (RE2) are unanchored, as in Loki.
enum class LineMatchType : uint8_t { kContains, kNotContains, kRegex, kNotRegex };
const char* LineMatchTypeName(LineMatchType t);  // "|=", "!=", "|~", "!~"

// `|= "a" or "b"` holds if either string is in the line, `|~ "a" or "b"` if either regex matches;
// for the negative types `or` lists more strings that must all be absent (`!= "a" or "b"` is
// `!= "a" != "b"`), as in Loki.
struct LineFilterStage {
  LineMatchType type = LineMatchType::kContains;
  std::string match;                    // the unquoted string or regex
  std::vector<std::string> or_matches;  // further alternatives after `or`, usually empty
};

// `| json`, `| logfmt`, or `| json name="expression", ...` (extract only these fields; the
// expression is Loki's JSON path such as "a.b[0]", kept as written).
struct ParserStage {
  enum class Kind : uint8_t { kJson, kLogfmt };
  struct Param {
    std::string label;
    std::string expression;
  };
  Kind kind = Kind::kJson;
  std::vector<Param> params;  // only for kJson; empty for the bare forms
};

// Comparison of a numeric or duration label filter. `=` in a query means kEq (printed "==").
enum class CompareOp : uint8_t { kEq, kNeq, kGt, kGte, kLt, kLte };
const char* CompareOpName(CompareOp op);  // "==", "!=", ">", ">=", "<", "<="

// A label filter: a test on one label of the line (stream labels plus extracted ones), or an
// `and`/`or` of two filters. `a="x", b="y"`, `a="x" and b="y"` and `a="x" b="y"` are all kAnd.
struct LabelFilter {
  enum class Kind : uint8_t {
    kString,    // matcher: name = != =~ !~ "value" (regex anchored, as stream matchers)
    kNumber,    // name op number: the label value parsed as a float
    kDuration,  // name op duration: the label value parsed as a Go duration (e.g. "1.5s")
    kAnd,
    kOr,
  };
  Kind kind = Kind::kString;
  Matcher matcher;                           // kString
  std::string name;                          // kNumber, kDuration
  CompareOp op = CompareOp::kEq;             // kNumber, kDuration
  double number = 0;                         // kNumber
  int64_t duration_ns = 0;                   // kDuration
  std::unique_ptr<LabelFilter> left, right;  // kAnd, kOr

  // Loki's text: `level="error"`, `status>=500`, `duration>1m0s`, `( a="x" , b>1 )`, `( a or b )`.
  std::string String() const;
};

struct LabelFilterStage {
  std::unique_ptr<LabelFilter> filter;  // never null
};

// `| line_format "template"`: the Go text/template source, kept as written (not rendered here).
struct LineFormatStage {
  std::string template_text;
};

// `| drop a, b, c="x"` / `| keep a, b`: each item a label name, or a matcher on a label (drop or
// keep the label only where the matcher holds).
struct LabelsStage {
  struct Item {
    std::string name;  // a plain label name, or the matcher's name when has_matcher
    bool has_matcher = false;
    Matcher matcher;
  };
  bool keep = false;  // false: drop
  std::vector<Item> items;
};

using Stage = std::variant<LineFilterStage, ParserStage, LabelFilterStage, LineFormatStage, LabelsStage>;
// The stage as Loki prints it: `|= "x"`, `| json`, `| level="error"`, `| drop a,b`.
std::string StageString(const Stage& s);

// ---- queries ---------------------------------------------------------------------------------

// A log query: `{matchers} stage stage ...`.
struct LogSelector {
  Matchers matchers;  // in query order; at least one does not match ""
  std::vector<Stage> pipeline;
  std::string String() const;
};

// `<log query>[range]`: the range may be written after the selector or after the pipeline.
struct LogRange {
  LogSelector selector;
  int64_t range_ms = 0;
  std::string String() const;  // `{app="a"} |= "x"[5m]`
};

enum class RangeOp : uint8_t { kCountOverTime, kRate, kBytesOverTime, kBytesRate, kAbsentOverTime };
const char* RangeOpName(RangeOp op);  // "count_over_time", "rate", ...

struct RangeAggregation {
  RangeOp op = RangeOp::kCountOverTime;
  LogRange range;
};

enum class VectorOp : uint8_t { kSum, kAvg, kMin, kMax, kCount, kStddev, kStdvar, kTopk, kBottomk };
const char* VectorOpName(VectorOp op);  // "sum", ..., "topk", "bottomk"

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// `op [by|without (labels)] ([k,] expr) [by|without (labels)]`.
struct VectorAggregation {
  VectorOp op = VectorOp::kSum;
  bool has_grouping = false;  // a by/without clause was written
  bool without = false;
  std::vector<std::string> grouping;
  int64_t k = 0;  // topk/bottomk only
  ExprPtr expr;   // a metric expression (RangeAggregation or VectorAggregation), never null
};

struct Expr {
  std::variant<LogSelector, RangeAggregation, VectorAggregation> node;

  bool IsLogQuery() const { return std::holds_alternative<LogSelector>(node); }
  // Loki's canonical text; it parses back to an equal tree.
  std::string String() const;
};

// The log selector a query reads (the one inside a metric query); every query has exactly one.
const LogSelector& SelectorOf(const Expr& e);
// The range of a metric query's innermost range aggregation; 0 for a log query.
int64_t RangeOf(const Expr& e);

// Prometheus' matcher text: name="value", name=~"re" (values quoted as Go's strconv.Quote).
std::string MatcherString(const Matcher& m);

}  // namespace gnomon::logs::logql
