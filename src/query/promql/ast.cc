// AST helpers: operator names, expression types and the canonical PromQL text of a tree
// (Prometheus' Node.String()).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "index/matcher_eval.h"
#include "query/promql/ast.h"
#include "query/promql/functions.h"
#include "query/promql/lexer.h"
#include "util/duration.h"
#include "util/go_strconv.h"

namespace gnomon::promql {

namespace {

// Go's fmt.Sprint(float64), which Prometheus uses for number literals: the shortest digits that
// read back to the same value, in exponent form ("1e+06", "1.5e-05") when the decimal exponent is
// below -4 or at least 6 (Go's 'g' format with shortest precision), else in fixed form. One
// deviation: +Inf is written "Inf".
std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  // Go prints "+Inf"; that would read back as a unary plus, which binds looser than `^`
  // ("+Inf ^ 2" is +(Inf ^ 2)), so the sign is left out.
  if (std::isinf(v)) return v > 0 ? "Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));  // e.g. "-1.2345e+08"
  bool neg = sci.front() == '-';
  if (neg) sci.remove_prefix(1);
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  std::string out = neg ? "-" : "";
  if (exp < -4 || exp >= 6) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += eb;
    return out;
  }
  // Fixed form.
  int dp = exp + 1;  // digits before the decimal point
  if (dp <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-dp), '0');
    out += digits;
  } else if (static_cast<size_t>(dp) >= digits.size()) {
    out += digits;
    out.append(static_cast<size_t>(dp) - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(dp));
    out += '.';
    out += digits.substr(static_cast<size_t>(dp));
  }
  return out;
}

std::string JoinLabels(const std::vector<std::string>& labels) {
  std::string out;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels[i];
  }
  return out;
}

// " @ 123.000" / " @ start()" / " @ end()" and " offset 5m" / " offset -5m".
std::string AtAndOffset(const std::optional<AtModifier>& at, int64_t offset_ms) {
  std::string out;
  if (at) {
    switch (at->kind) {
      case AtModifier::Kind::kStart: out += " @ start()"; break;
      case AtModifier::Kind::kEnd: out += " @ end()"; break;
      case AtModifier::Kind::kTime: {
        char buf[64];
        std::snprintf(buf, sizeof buf, " @ %.3f", static_cast<double>(at->time_ms) / 1000.0);
        out += buf;
        break;
      }
    }
  }
  if (offset_ms > 0) {
    out += " offset " + FormatDuration(offset_ms);
  } else if (offset_ms < 0) {
    // -INT64_MIN does not exist; the parser never produces it (durations are non-negative).
    out += " offset -" + FormatDuration(offset_ms == INT64_MIN ? INT64_MAX : -offset_ms);
  }
  return out;
}

std::string VectorSelectorString(const VectorSelector& vs, bool with_modifiers) {
  std::vector<std::string> parts;
  for (const Matcher& m : vs.matchers) {
    // The __name__ matcher that came from the name outside the braces is not repeated.
    if (!vs.name.empty() && m.name == "__name__" && m.type == Matcher::Type::kEqual && m.value == vs.name) continue;
    parts.push_back(m.name + index::MatcherOpText(m.type) + GoQuote(m.value));
  }
  std::string out = vs.name;
  if (!parts.empty()) {
    std::sort(parts.begin(), parts.end());
    out += '{';
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) out += ',';
      out += parts[i];
    }
    out += '}';
  }
  if (with_modifiers) out += AtAndOffset(vs.at, vs.offset_ms);
  return out;
}

struct StringVisitor {
  std::string operator()(const NumberLiteral& n) const { return FormatNumber(n.value); }
  std::string operator()(const StringLiteral& s) const { return GoQuote(s.value); }
  std::string operator()(const VectorSelector& vs) const { return VectorSelectorString(vs, true); }
  std::string operator()(const MatrixSelector& m) const {
    const auto* vs = m.vector_selector ? std::get_if<VectorSelector>(&m.vector_selector->node) : nullptr;
    if (vs == nullptr) return "[" + FormatDuration(m.range_ms) + "]";
    return VectorSelectorString(*vs, false) + "[" + FormatDuration(m.range_ms) + "]" +
           AtAndOffset(vs->at, vs->offset_ms);
  }
  std::string operator()(const SubqueryExpr& s) const {
    std::string out = s.expr ? s.expr->String() : "";
    out += "[" + FormatDuration(s.range_ms) + ":";
    if (s.step_ms != 0) out += FormatDuration(s.step_ms);
    out += "]";
    out += AtAndOffset(s.at, s.offset_ms);
    return out;
  }
  std::string operator()(const BinaryExpr& b) const {
    std::string out = b.lhs ? b.lhs->String() : "";
    out += ' ';
    out += BinaryOpName(b.op);
    if (b.return_bool) out += " bool";
    if (b.matching) {
      const VectorMatching& vm = *b.matching;
      bool grouped = vm.card == VectorMatching::Card::kManyToOne || vm.card == VectorMatching::Card::kOneToMany;
      // Prometheus prints matching only when on() or labels were given; a group modifier after
      // an empty ignoring() is kept too, so that the text still means the same thing.
      if (vm.on || !vm.matching_labels.empty() || grouped) {
        out += vm.on ? " on (" : " ignoring (";
        out += JoinLabels(vm.matching_labels);
        out += ")";
        if (grouped) {
          out += vm.card == VectorMatching::Card::kManyToOne ? " group_left (" : " group_right (";
          out += JoinLabels(vm.include);
          out += ")";
        }
      }
    }
    out += ' ';
    out += b.rhs ? b.rhs->String() : "";
    return out;
  }
  std::string operator()(const UnaryExpr& u) const {
    return std::string(u.negate ? "-" : "+") + (u.expr ? u.expr->String() : "");
  }
  std::string operator()(const AggregateExpr& a) const {
    std::string out = AggregateOpName(a.op);
    if (a.without) {
      out += " without (" + JoinLabels(a.grouping) + ") ";
    } else if (!a.grouping.empty()) {
      out += " by (" + JoinLabels(a.grouping) + ") ";
    }
    out += "(";
    if (a.param) out += a.param->String() + ", ";
    if (a.expr) out += a.expr->String();
    out += ")";
    return out;
  }
  std::string operator()(const Call& c) const {
    std::string out = c.func + "(";
    for (size_t i = 0; i < c.args.size(); ++i) {
      if (i > 0) out += ", ";
      if (c.args[i]) out += c.args[i]->String();
    }
    out += ")";
    return out;
  }
  std::string operator()(const ParenExpr& p) const { return "(" + (p.expr ? p.expr->String() : "") + ")"; }
};

struct TypeVisitor {
  ValueType operator()(const NumberLiteral&) const { return ValueType::kScalar; }
  ValueType operator()(const StringLiteral&) const { return ValueType::kString; }
  ValueType operator()(const VectorSelector&) const { return ValueType::kVector; }
  ValueType operator()(const MatrixSelector&) const { return ValueType::kMatrix; }
  ValueType operator()(const SubqueryExpr&) const { return ValueType::kMatrix; }
  ValueType operator()(const BinaryExpr& b) const {
    if (b.lhs && b.rhs && b.lhs->Type() == ValueType::kScalar && b.rhs->Type() == ValueType::kScalar) {
      return ValueType::kScalar;
    }
    return ValueType::kVector;
  }
  ValueType operator()(const UnaryExpr& u) const { return u.expr ? u.expr->Type() : ValueType::kNone; }
  ValueType operator()(const AggregateExpr&) const { return ValueType::kVector; }
  ValueType operator()(const Call& c) const {
    const FunctionSignature* f = LookupFunction(c.func);
    return f ? f->return_type : ValueType::kNone;
  }
  ValueType operator()(const ParenExpr& p) const { return p.expr ? p.expr->Type() : ValueType::kNone; }
};

}  // namespace

const char* ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNone: return "none";
    case ValueType::kScalar: return "scalar";
    case ValueType::kVector: return "instant vector";
    case ValueType::kMatrix: return "range vector";
    case ValueType::kString: return "string";
  }
  return "none";
}

const char* BinaryOpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kMod: return "%";
    case BinaryOp::kPow: return "^";
    case BinaryOp::kAtan2: return "atan2";
    case BinaryOp::kEql: return "==";
    case BinaryOp::kNeq: return "!=";
    case BinaryOp::kGtr: return ">";
    case BinaryOp::kLss: return "<";
    case BinaryOp::kGte: return ">=";
    case BinaryOp::kLte: return "<=";
    case BinaryOp::kLand: return "and";
    case BinaryOp::kLor: return "or";
    case BinaryOp::kLunless: return "unless";
  }
  return "?";
}

bool IsComparisonOp(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEql:
    case BinaryOp::kNeq:
    case BinaryOp::kGtr:
    case BinaryOp::kLss:
    case BinaryOp::kGte:
    case BinaryOp::kLte: return true;
    default: return false;
  }
}

bool IsSetOp(BinaryOp op) { return op == BinaryOp::kLand || op == BinaryOp::kLor || op == BinaryOp::kLunless; }

const char* AggregateOpName(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum: return "sum";
    case AggregateOp::kAvg: return "avg";
    case AggregateOp::kMin: return "min";
    case AggregateOp::kMax: return "max";
    case AggregateOp::kCount: return "count";
    case AggregateOp::kGroup: return "group";
    case AggregateOp::kStddev: return "stddev";
    case AggregateOp::kStdvar: return "stdvar";
    case AggregateOp::kQuantile: return "quantile";
    case AggregateOp::kTopk: return "topk";
    case AggregateOp::kBottomk: return "bottomk";
    case AggregateOp::kCountValues: return "count_values";
  }
  return "?";
}

ValueType Expr::Type() const { return std::visit(TypeVisitor{}, node); }

std::string Expr::String() const { return std::visit(StringVisitor{}, node); }

}  // namespace gnomon::promql
