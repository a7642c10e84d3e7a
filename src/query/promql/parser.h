// PromQL parser: query text → AST, with Prometheus' grammar, precedence and type checks.
//
// Errors are InvalidArgument with Prometheus-style messages that point at the position:
//   "1:14: parse error: unexpected <op:*> ..." (line:column, 1-based).
// Type checking follows Prometheus: e.g. rate() needs a range vector, comparison between scalars
// needs `bool`, aggregation parameters have the right type, set operators need vectors, a vector
// selector needs at least one matcher that does not match "" ("vector selector must contain at
// least one non-empty matcher").
#pragma once

#include <string_view>

#include "gnomon/status.h"
#include "query/promql/ast.h"

namespace gnomon::promql {

Result<ExprPtr> ParseExpr(std::string_view query);

// Durations as PromQL writes them ("5m", "1h30m", "1.5" seconds is NOT a duration here).
Result<int64_t> ParseDurationLiteral(std::string_view text);

}  // namespace gnomon::promql
