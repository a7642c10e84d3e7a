// LogQL parser: query text → AST (ast.h), with Loki's grammar and, where practical, its messages.
//
// Grammar (what gnomond supports; anything else is a syntax error):
//   query       := logQuery | metricQuery | "(" query ")"
//   logQuery    := selector { stage }
//   selector    := "{" matcher { "," matcher } "}"          matcher := name ("="|"!="|"=~"|"!~") STRING
//   stage       := ("|=" | "!=" | "|~" | "!~") STRING { "or" STRING }       line filter
//               |  "|" "json" [ name "=" STRING { "," name "=" STRING } ]  |  "|" "logfmt"
//               |  "|" "line_format" STRING  |  "|" ("drop"|"keep") item { "," item }
//               |  "|" labelFilter
//   labelFilter := and { "or" and };  and := primary { ["and" | ","] primary }
//   primary     := "(" labelFilter ")" | name ("="|"!="|"=~"|"!~") STRING
//               |  name ("=="|"="|"!="|">"|">="|"<"|"<=") (NUMBER | DURATION)
//   metricQuery := rangeOp "(" selector [range] { stage } [range] ")"      exactly one range
//               |  vectorOp [grouping] "(" [NUMBER ","] metricQuery ")" [grouping]
//   rangeOp     := count_over_time | rate | bytes_over_time | bytes_rate | absent_over_time
//   vectorOp    := sum | avg | min | max | count | stddev | stdvar | topk | bottomk (k for the last two)
//   grouping    := ("by" | "without") "(" [ name { "," name } ] ")";   range := "[" DURATION "]"
//
// Errors are kInvalidArgument with Loki's text: "parse error at line 1, col 12: syntax error:
// unexpected }, expecting IDENTIFIER" for syntax (1-based, columns in characters), "parse error :
// queries require at least one regexp or equality matcher ..." for a selector whose matchers all
// match the empty string. Bad regular expressions (RE2) name the regex; range durations follow
// Prometheus (util/duration.h), label-filter durations Go (go_duration.h). Nesting is limited to
// kMaxDepth levels so that no input can exhaust the stack.
#pragma once

#include <string_view>

#include "gnomon/status.h"
#include "logs/logql/ast.h"

namespace gnomon::logs::logql {

inline constexpr int kMaxDepth = 100;

Result<ExprPtr> ParseQuery(std::string_view query);

}  // namespace gnomon::logs::logql
