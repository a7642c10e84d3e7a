#include "query/selector.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <variant>

#include "query/promql/ast.h"
#include "query/promql/parser.h"

namespace gnomon::query {

namespace {

Status SelectorError(size_t char_pos, const std::string& what) {
  return Status::InvalidArgument("parse error in selector at char " + std::to_string(char_pos) + ": " + what);
}

// The PromQL parser's "<line>:<col>: parse error: <what>" as a SelectorError.
Status FromParseError(std::string_view text, const Status& s) {
  const std::string& m = s.message();
  size_t line = 0, col = 0;
  const char* p = m.data();
  const char* end = m.data() + m.size();
  auto r1 = std::from_chars(p, end, line);
  if (r1.ec == std::errc() && r1.ptr < end && *r1.ptr == ':') {
    auto r2 = std::from_chars(r1.ptr + 1, end, col);
    constexpr std::string_view kPrefix = ": parse error: ";
    if (r2.ec == std::errc() && std::string_view(r2.ptr, static_cast<size_t>(end - r2.ptr)).starts_with(kPrefix)) {
      size_t line_start = 0;
      for (size_t l = 1; l < line && line_start < text.size(); ++l) {
        const size_t nl = text.find('\n', line_start);
        line_start = nl == std::string_view::npos ? text.size() : nl + 1;
      }
      return SelectorError(line_start + col, std::string(r2.ptr + kPrefix.size(), end));
    }
  }
  return Status::InvalidArgument("parse error in selector: " + m);
}

const char* Describe(const promql::Expr& e) {
  const auto& n = e.node;
  if (std::holds_alternative<promql::NumberLiteral>(n)) return "a number";
  if (std::holds_alternative<promql::StringLiteral>(n)) return "a string";
  if (std::holds_alternative<promql::MatrixSelector>(n)) return "a range selector";
  if (std::holds_alternative<promql::SubqueryExpr>(n)) return "a subquery";
  if (std::holds_alternative<promql::AggregateExpr>(n)) return "an aggregation";
  if (std::holds_alternative<promql::Call>(n)) return "a function call";
  if (std::holds_alternative<promql::ParenExpr>(n)) return "parentheses";
  return "an operator expression";
}

}  // namespace

Result<Matchers> ParseSeriesSelector(std::string_view text) {
  auto parsed = promql::ParseExpr(text);
  if (!parsed.ok()) return FromParseError(text, parsed.status());
  promql::Expr& e = **parsed;
  const size_t at = e.pos.start + 1;
  auto* vs = std::get_if<promql::VectorSelector>(&e.node);
  if (vs == nullptr) {
    return SelectorError(at,
                         std::string("expected a series selector like metric{label=\"value\"}, got ") + Describe(e));
  }
  if (vs->offset_ms != 0 || vs->at.has_value()) {
    return SelectorError(at, "a series selector cannot have an offset or @ modifier");
  }
  Matchers out = std::move(vs->matchers);
  // The parser appends the metric name's matcher; list it first, as it was written.
  if (!vs->name.empty()) std::rotate(out.rbegin(), out.rbegin() + 1, out.rend());
  return out;
}

}  // namespace gnomon::query
