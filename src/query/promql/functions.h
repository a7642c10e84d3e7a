// The PromQL function table: each function's signature, used by the parser for type checking
// (argument count and types, variadic tails) and by the engine to dispatch evaluation.
// Signatures are Prometheus 2.x's (promql/parser/functions.go).
#pragma once

#include <string_view>
#include <vector>

#include "query/promql/ast.h"

namespace gnomon::promql {

struct FunctionSignature {
  std::string_view name;
  std::vector<ValueType> arg_types;
  // 0: exactly arg_types.size() args; n > 0: up to n trailing args of the last type may be
  // omitted; -1: the last type repeats any number of times (label_join).
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
};

// nullptr for an unknown function.
const FunctionSignature* LookupFunction(std::string_view name);

}  // namespace gnomon::promql
