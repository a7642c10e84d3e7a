// Series selectors for the `match[]` parameters of /api/v1/series, /api/v1/labels,
// /api/v1/label/<name>/values and /api/v1/export: `metric{label="v", other=~"re.*"}`,
// `{__name__="m"}` or a bare `metric`, in PromQL's own grammar — the text is parsed by the PromQL
// parser (query/promql/parser.h) and must be a plain instant vector selector: no offset, no @,
// no range, no parentheses, no other expression. As in PromQL (and Prometheus' match[]), at
// least one matcher must not match the empty string and every regex must compile.
#pragma once

#include <string_view>

#include "gnomon/matcher.h"
#include "gnomon/status.h"

namespace gnomon::query {

// The selector's matchers: the metric name's (`__name__="metric"`) first if one was written
// before the braces, then the braces' matchers in order. kInvalidArgument otherwise, as
// "parse error in selector at char N: <what is wrong>" (N 1-based, in bytes; the PromQL parser's
// message, e.g. `unexpected "}" in label matching, expected string`).
Result<Matchers> ParseSeriesSelector(std::string_view text);

}  // namespace gnomon::query
