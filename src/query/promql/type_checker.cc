#include "query/promql/type_checker.h"

#include "index/matcher_eval.h"
#include "query/promql/functions.h"
#include "query/promql/lexer.h"
#include "util/go_strconv.h"

namespace gnomon::promql {

[[gnu::noinline]] void TypeChecker::ExpectType(Expr& e, ValueType want, const std::string& context) {
  ValueType got = Check(e);
  if (!failed_ && got != want) {
    Fail(e.pos.start, std::string("expected type ") + ValueTypeName(want) + " in " + context + ", got " +
                          ValueTypeName(got));
  }
}

// Position of a binary expression's operator: the first non-space after the left operand.
size_t TypeChecker::OperatorPos(const BinaryExpr& b) const {
  size_t p = b.lhs->pos.end;
  while (p < input_.size() && (input_[p] == ' ' || input_[p] == '\t' || input_[p] == '\n' || input_[p] == '\r')) ++p;
  return p;
}

// Returns the type of `e` (computed from its children's, so the pass stays linear).
ValueType TypeChecker::Check(Expr& e) {
  if (failed_) return ValueType::kNone;
  if (auto* agg = std::get_if<AggregateExpr>(&e.node)) {
    CheckAggregate(*agg);
    return ValueType::kVector;
  }
  if (auto* b = std::get_if<BinaryExpr>(&e.node)) return CheckBinary(e, *b);
  if (auto* call = std::get_if<Call>(&e.node)) {
    CheckCall(e, *call);
    return e.Type();
  }
  if (auto* p = std::get_if<ParenExpr>(&e.node)) return Check(*p->expr);
  if (auto* u = std::get_if<UnaryExpr>(&e.node)) {
    ValueType t = Check(*u->expr);
    if (!failed_ && t != ValueType::kScalar && t != ValueType::kVector) {
      Fail(e.pos.start, std::string("unary expression only allowed on expressions of type scalar or instant "
                                    "vector, got \"") +
                            ValueTypeName(t) + "\"");
    }
    return t;
  }
  if (auto* sq = std::get_if<SubqueryExpr>(&e.node)) {
    ValueType t = Check(*sq->expr);
    if (!failed_ && t != ValueType::kVector) {
      static const char* kGoNames[] = {"none", "scalar", "vector", "matrix", "string"};
      Fail(e.pos.start, std::string("subquery is only allowed on instant vector, got ") +
                            kGoNames[static_cast<int>(t)] + " in " + GoQuote(e.String()) + " instead");
    }
    return ValueType::kMatrix;
  }
  if (auto* m = std::get_if<MatrixSelector>(&e.node)) {
    Check(*m->vector_selector);
    return ValueType::kMatrix;
  }
  if (auto* vs = std::get_if<VectorSelector>(&e.node)) {
    CheckVectorSelector(e, *vs);
    return ValueType::kVector;
  }
  return e.Type();  // literals
}

[[gnu::noinline]] void TypeChecker::CheckAggregate(AggregateExpr& agg) {
  ExpectType(*agg.expr, ValueType::kVector, "aggregation expression");
  if (agg.op == AggregateOp::kTopk || agg.op == AggregateOp::kBottomk || agg.op == AggregateOp::kQuantile) {
    ExpectType(*agg.param, ValueType::kScalar, "aggregation parameter");
  }
  if (agg.op == AggregateOp::kCountValues) ExpectType(*agg.param, ValueType::kString, "aggregation parameter");
}

void TypeChecker::CheckVectorSelector(const Expr& e, const VectorSelector& vs) {
  if (!vs.name.empty()) {
    // The last matcher is the one for the name outside the braces.
    for (size_t i = 0; i + 1 < vs.matchers.size(); ++i) {
      if (vs.matchers[i].name == "__name__") {
        Fail(e.pos.start, "metric name must not be set twice: " + GoQuote(vs.name) + " or " +
                              GoQuote(vs.matchers[i].value));
        return;
      }
    }
    return;
  }
  for (const Matcher& m : vs.matchers) {
    auto compiled = index::CompiledMatcher::Compile(m);
    if (compiled.ok() && !compiled->MatchesEmpty()) return;
  }
  Fail(e.pos.start, "vector selector must contain at least one non-empty matcher");
}

ValueType TypeChecker::CheckBinary(const Expr& e, BinaryExpr& b) {
  ValueType lt = Check(*b.lhs);
  ValueType rt = Check(*b.rhs);
  if (failed_) return ValueType::kNone;
  CheckBinaryOperands(e, b, lt, rt);
  return lt == ValueType::kScalar && rt == ValueType::kScalar ? ValueType::kScalar : ValueType::kVector;
}

[[gnu::noinline]] void TypeChecker::CheckBinaryOperands(const Expr& e, BinaryExpr& b, ValueType lt, ValueType rt) {
  const bool comparison = IsComparisonOp(b.op);
  const bool set_op = IsSetOp(b.op);
  if (b.return_bool && !comparison) {
    Fail(OperatorPos(b), "bool modifier can only be used on comparison operators");
    return;
  }
  if (comparison && !b.return_bool && lt == ValueType::kScalar && rt == ValueType::kScalar) {
    Fail(OperatorPos(b), "comparisons between scalars must use BOOL modifier");
    return;
  }
  VectorMatching& vm = *b.matching;
  if (set_op && vm.card == VectorMatching::Card::kOneToOne) vm.card = VectorMatching::Card::kManyToMany;
  if (vm.on) {
    for (const std::string& l1 : vm.matching_labels) {
      for (const std::string& l2 : vm.include) {
        if (l1 == l2) {
          Fail(OperatorPos(b), "label " + GoQuote(l1) + " must not occur in ON and GROUP clause at once");
          return;
        }
      }
    }
  }
  if (lt != ValueType::kScalar && lt != ValueType::kVector) {
    Fail(b.lhs->pos.start, "binary expression must contain only scalar and instant vector types");
    return;
  }
  if (rt != ValueType::kScalar && rt != ValueType::kVector) {
    Fail(b.rhs->pos.start, "binary expression must contain only scalar and instant vector types");
    return;
  }
  if (lt != ValueType::kVector || rt != ValueType::kVector) {
    if (!vm.matching_labels.empty()) {
      Fail(e.pos.start, "vector matching only allowed between instant vectors");
      return;
    }
    b.matching.reset();
  } else if (set_op) {
    if (vm.card == VectorMatching::Card::kOneToMany || vm.card == VectorMatching::Card::kManyToOne) {
      Fail(e.pos.start, std::string("no grouping allowed for \"") + BinaryOpName(b.op) + "\" operation");
      return;
    }
  }
  if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && set_op) {
    Fail(e.pos.start, std::string("set operator \"") + BinaryOpName(b.op) + "\" not allowed in binary scalar expression");
  }
}

[[gnu::noinline]] void TypeChecker::CheckCall(const Expr& e, Call& call) {
  const FunctionSignature* f = LookupFunction(call.func);
  if (f == nullptr) {
    Fail(e.pos.start, "unknown function with name " + GoQuote(call.func));
    return;
  }
  const size_t nargs = f->arg_types.size();
  const std::string name = GoQuote(call.func);
  if (f->variadic == 0) {
    if (nargs != call.args.size()) {
      Fail(e.pos.start, "expected " + std::to_string(nargs) + " argument(s) in call to " + name + ", got " +
                            std::to_string(call.args.size()));
      return;
    }
  } else {
    const size_t na = nargs - 1;
    if (na > call.args.size()) {
      Fail(e.pos.start, "expected at least " + std::to_string(na) + " argument(s) in call to " + name + ", got " +
                            std::to_string(call.args.size()));
      return;
    }
    if (f->variadic > 0 && na + static_cast<size_t>(f->variadic) < call.args.size()) {
      Fail(e.pos.start, "expected at most " + std::to_string(na + static_cast<size_t>(f->variadic)) +
                            " argument(s) in call to " + name + ", got " + std::to_string(call.args.size()));
      return;
    }
  }
  for (size_t i = 0; i < call.args.size() && !failed_; ++i) {
    size_t k = i < nargs ? i : nargs - 1;
    ExpectType(*call.args[i], f->arg_types[k], "call to function " + name);
  }
}

}  // namespace gnomon::promql
