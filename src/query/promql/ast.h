// The PromQL abstract syntax tree, produced by the parser (parser.h) and evaluated by the engine
// (engine.h). Node kinds and fields mirror Prometheus' promql/parser/ast.go so behaviour can be
// compared one-to-one. Durations and times are in milliseconds.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gnomon/matcher.h"

namespace gnomon::promql {

enum class ValueType : uint8_t { kNone, kScalar, kVector, kMatrix, kString };
const char* ValueTypeName(ValueType t);  // "scalar", "instant vector", "range vector", "string"

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

// Byte offsets into the query text, for error messages.
struct PositionRange {
  size_t start = 0;
  size_t end = 0;
};

struct NumberLiteral {
  double value = 0;
};

struct StringLiteral {
  std::string value;
};

// `@ <time>`, `@ start()`, `@ end()`.
struct AtModifier {
  enum class Kind : uint8_t { kTime, kStart, kEnd };
  Kind kind = Kind::kTime;
  int64_t time_ms = 0;  // for kTime
};

struct VectorSelector {
  std::string name;           // metric name if given outside braces ("" otherwise)
  Matchers matchers;          // includes __name__="name" when a name was given
  int64_t offset_ms = 0;      // `offset 5m` → 300000; negative offsets allowed
  std::optional<AtModifier> at;
};

struct MatrixSelector {
  ExprPtr vector_selector;    // always a VectorSelector
  int64_t range_ms = 0;
};

struct SubqueryExpr {
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // 0: QueryOptions::no_step_subquery_interval_ms
  int64_t offset_ms = 0;
  std::optional<AtModifier> at;
};

enum class BinaryOp : uint8_t {
  kAdd, kSub, kMul, kDiv, kMod, kPow, kAtan2,
  kEql, kNeq, kGtr, kLss, kGte, kLte,
  kLand, kLor, kLunless,
};
const char* BinaryOpName(BinaryOp op);
bool IsComparisonOp(BinaryOp op);
bool IsSetOp(BinaryOp op);

struct VectorMatching {
  enum class Card : uint8_t { kOneToOne, kManyToOne, kOneToMany, kManyToMany };
  Card card = Card::kOneToOne;
  std::vector<std::string> matching_labels;  // on(...) / ignoring(...) labels
  bool on = false;                           // true: on(...); false: ignoring(...)
  std::vector<std::string> include;          // group_left(...) / group_right(...) labels
};

struct BinaryExpr {
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs, rhs;
  bool return_bool = false;                  // comparison with the `bool` modifier
  std::optional<VectorMatching> matching;    // set when both sides are vectors
};

struct UnaryExpr {
  bool negate = false;                       // `-x`; `+x` is kept as negate=false
  ExprPtr expr;
};

enum class AggregateOp : uint8_t {
  kSum, kAvg, kMin, kMax, kCount, kGroup, kStddev, kStdvar, kQuantile, kTopk, kBottomk, kCountValues,
};
const char* AggregateOpName(AggregateOp op);

struct AggregateExpr {
  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;                             // quantile φ, topk k, count_values label (string)
  std::vector<std::string> grouping;
  bool without = false;
};

struct Call {
  std::string func;                          // e.g. "rate"
  std::vector<ExprPtr> args;
};

struct ParenExpr {
  ExprPtr expr;
};

struct Expr {
  std::variant<NumberLiteral, StringLiteral, VectorSelector, MatrixSelector, SubqueryExpr, BinaryExpr,
               UnaryExpr, AggregateExpr, Call, ParenExpr>
      node;
  PositionRange pos;

  // The type this expression evaluates to.
  ValueType Type() const;
  // PromQL text that parses back to an equal tree (for messages and tests).
  std::string String() const;
};

}  // namespace gnomon::promql
