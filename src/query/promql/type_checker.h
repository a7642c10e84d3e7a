// TypeChecker: the pass over a parsed PromQL tree that Prometheus calls checkAST. It checks
// operand and argument types, modifiers that need vectors, selectors that need a non-empty
// matcher, and reports the first error in the order Prometheus does, with its byte position.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "query/promql/ast.h"

namespace gnomon::promql {

class TypeChecker {
 public:
  // `input` is the query text the tree was parsed from (for operator positions and messages).
  explicit TypeChecker(std::string_view input) : input_(input) {}

  // Checks the tree; false if it is ill-typed (see error() and error_pos()).
  bool Run(Expr& root) {
    Check(root);
    return !failed_;
  }
  size_t error_pos() const { return error_pos_; }
  const std::string& error() const { return error_; }

 private:
  void Fail(size_t pos, std::string message) {
    if (!failed_) {
      failed_ = true;
      error_pos_ = pos;
      error_ = std::move(message);
    }
  }

  void ExpectType(Expr& e, ValueType want, const std::string& context);
  size_t OperatorPos(const BinaryExpr& b) const;
  ValueType Check(Expr& e);
  void CheckAggregate(AggregateExpr& agg);
  void CheckVectorSelector(const Expr& e, const VectorSelector& vs);
  ValueType CheckBinary(const Expr& e, BinaryExpr& b);
  void CheckBinaryOperands(const Expr& e, BinaryExpr& b, ValueType lt, ValueType rt);
  void CheckCall(const Expr& e, Call& call);

  std::string_view input_;
  bool failed_ = false;
  size_t error_pos_ = 0;
  std::string error_;
};

}  // namespace gnomon::promql
