// The series notation of Prometheus' test files (promql/testdata `load` blocks and promtool's
// `input_series`): a series description `metric{label="value", ...}` and a list of values, one
// per step, where `a+bxN` (or `a-bxN`) expands to the N+1 values a, a+b, ..., a+N·b, `axN` to N+1
// copies of a, `_` is a step without a sample, `_xN` N such steps, `stale` a staleness marker,
// and numbers are Go's (`1e3`, `-2.5`, `Inf`, `-Inf`, `NaN`).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"

namespace gnomon::promql {

// Parses the series description at the start of `text` (leading spaces skipped): an optional
// metric name, then optionally `{name="value", ...}` with PromQL string literals. Only `=` is
// allowed; `{}` is the empty label set. Returns the labels sorted by name; *consumed (if given)
// is the number of bytes read.
Result<Labels> ParseSeriesDescription(std::string_view text, size_t* consumed = nullptr);

// Expands a value list; std::nullopt marks a step without a sample.
Result<std::vector<std::optional<double>>> ParseSeriesValues(std::string_view text);

}  // namespace gnomon::promql
