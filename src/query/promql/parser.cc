// PromQL parser: a recursive-descent parser with the grammar, precedence and messages of
// Prometheus 2.x's yacc grammar (promql/parser/generated_parser.y) and its type checker
// (parse.go, checkAST).
//
// Precedence, lowest first: `or`; `and` `unless`; comparisons; `+` `-`; `*` `/` `%` `atan2`;
// unary `+` `-`; `^` (right-associative). Postfix `[range]`, `[range:step]`, `offset` and `@`
// bind tightest, to the selector or subquery right before them.
//
// Errors: the first one found, as "<line>:<col>: parse error: <message>" (1-based, column in
// bytes). Syntax errors and the errors Prometheus raises while building nodes (unknown function,
// misplaced offset, wrong aggregation arity, ...) come first; type errors are found afterwards by
// TypeChecker (type_checker.h), in the order Prometheus' checkAST reports them.
//
// Limit: expressions nest at most kMaxDepth levels deep (parentheses, operands, chains of binary
// operators), so that the recursive passes over the tree (String(), evaluation, destruction)
// cannot exhaust the stack.
#include "query/promql/parser.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <limits>
#include <unordered_map>

#include "index/labels_util.h"
#include "index/matcher_eval.h"
#include "query/promql/functions.h"
#include "query/promql/lexer.h"
#include "query/promql/type_checker.h"
#include "util/duration.h"
#include "util/go_strconv.h"

namespace gnomon::promql {

namespace {

constexpr int kMaxDepth = 1000;

// Binding power of binary operators; higher binds tighter.
enum Precedence : int {
  kPrecOr = 1,
  kPrecAndUnless = 2,
  kPrecComparison = 3,
  kPrecAdd = 4,
  kPrecMul = 5,
  kPrecPow = 6,
};

bool BinaryOpOf(TokenType t, BinaryOp* op, int* prec) {
  switch (t) {
    case TokenType::kLor: *op = BinaryOp::kLor; *prec = kPrecOr; return true;
    case TokenType::kLand: *op = BinaryOp::kLand; *prec = kPrecAndUnless; return true;
    case TokenType::kLunless: *op = BinaryOp::kLunless; *prec = kPrecAndUnless; return true;
    case TokenType::kEqlc: *op = BinaryOp::kEql; *prec = kPrecComparison; return true;
    case TokenType::kNeq: *op = BinaryOp::kNeq; *prec = kPrecComparison; return true;
    case TokenType::kGtr: *op = BinaryOp::kGtr; *prec = kPrecComparison; return true;
    case TokenType::kLss: *op = BinaryOp::kLss; *prec = kPrecComparison; return true;
    case TokenType::kGte: *op = BinaryOp::kGte; *prec = kPrecComparison; return true;
    case TokenType::kLte: *op = BinaryOp::kLte; *prec = kPrecComparison; return true;
    case TokenType::kAdd: *op = BinaryOp::kAdd; *prec = kPrecAdd; return true;
    case TokenType::kSub: *op = BinaryOp::kSub; *prec = kPrecAdd; return true;
    case TokenType::kMul: *op = BinaryOp::kMul; *prec = kPrecMul; return true;
    case TokenType::kDiv: *op = BinaryOp::kDiv; *prec = kPrecMul; return true;
    case TokenType::kMod: *op = BinaryOp::kMod; *prec = kPrecMul; return true;
    case TokenType::kAtan2: *op = BinaryOp::kAtan2; *prec = kPrecMul; return true;
    case TokenType::kPow: *op = BinaryOp::kPow; *prec = kPrecPow; return true;
    default: return false;
  }
}

bool AggregateOpOf(TokenType t, AggregateOp* op) {
  switch (t) {
    case TokenType::kSum: *op = AggregateOp::kSum; return true;
    case TokenType::kAvg: *op = AggregateOp::kAvg; return true;
    case TokenType::kCount: *op = AggregateOp::kCount; return true;
    case TokenType::kMin: *op = AggregateOp::kMin; return true;
    case TokenType::kMax: *op = AggregateOp::kMax; return true;
    case TokenType::kGroup: *op = AggregateOp::kGroup; return true;
    case TokenType::kStddev: *op = AggregateOp::kStddev; return true;
    case TokenType::kStdvar: *op = AggregateOp::kStdvar; return true;
    case TokenType::kTopk: *op = AggregateOp::kTopk; return true;
    case TokenType::kBottomk: *op = AggregateOp::kBottomk; return true;
    case TokenType::kCountValues: *op = AggregateOp::kCountValues; return true;
    case TokenType::kQuantile: *op = AggregateOp::kQuantile; return true;
    default: return false;
  }
}

bool HasParam(AggregateOp op) {
  return op == AggregateOp::kTopk || op == AggregateOp::kBottomk || op == AggregateOp::kQuantile ||
         op == AggregateOp::kCountValues;
}

// Tokens that may stand for a metric name outside braces (Prometheus' metric_identifier).
bool IsMetricIdentifier(TokenType t) {
  switch (t) {
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kBy:
    case TokenType::kWithout:
    case TokenType::kOffset:
    case TokenType::kLand:
    case TokenType::kLor:
    case TokenType::kLunless:
    case TokenType::kStart:
    case TokenType::kEnd: return true;
    default: return IsAggregatorToken(t);
  }
}

// Tokens that may stand for a label name in grouping lists (Prometheus' maybe_label).
bool IsMaybeLabel(TokenType t) {
  if (IsMetricIdentifier(t) || IsKeywordToken(t)) return true;
  return t == TokenType::kAtan2;
}

// Tokens that may follow a complete expression; used to tell the metric `sum` from `sum(...)`.
bool CanFollowExpr(TokenType t) {
  BinaryOp op;
  int prec;
  if (BinaryOpOf(t, &op, &prec)) return true;
  switch (t) {
    case TokenType::kEOF:
    case TokenType::kRightParen:
    case TokenType::kRightBracket:
    case TokenType::kComma:
    case TokenType::kLeftBrace:
    case TokenType::kLeftBracket:
    case TokenType::kOffset:
    case TokenType::kAt: return true;
    default: return false;
  }
}

// Go's strconv.ParseInt(s, 0, 64) falling back to strconv.ParseFloat(s, 64), as Prometheus reads
// number literals: "0x1f" is hexadecimal, "0755" octal, "Inf"/"NaN" any case.
bool ParseNumberText(std::string_view s, double* out) {
  if (s.size() == 3) {
    std::string lower;
    for (char c : s) lower.push_back(static_cast<char>(c | 0x20));
    if (lower == "inf") {
      *out = std::numeric_limits<double>::infinity();
      return true;
    }
    if (lower == "nan") {
      *out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    uint64_t v = 0;
    auto r = std::from_chars(s.data() + 2, s.data() + s.size(), v, 16);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<double>(v);
    return true;
  }
  if (s.size() > 1 && s[0] == '0' && s.find_first_not_of("01234567") == std::string_view::npos) {
    uint64_t v = 0;
    auto r = std::from_chars(s.data() + 1, s.data() + s.size(), v, 8);
    if (r.ec == std::errc() && v <= static_cast<uint64_t>(INT64_MAX)) {
      *out = static_cast<double>(v);
      return true;
    }
  }
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (r.ptr != s.data() + s.size()) return false;
  if (r.ec == std::errc::result_out_of_range) {
    // Underflow reads as (nearly) zero, as in Go; overflow is an error.
    std::string copy(s);
    v = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(v)) return false;
  } else if (r.ec != std::errc()) {
    return false;
  }
  *out = v;
  return true;
}

constexpr int64_t kMaxDurationMs = std::numeric_limits<int64_t>::max() / 1'000'000;

class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input), lexer_(input) {}

  Result<ExprPtr> Parse() {
    if (Peek().type == TokenType::kEOF) {
      Fail(0, "no expression found in input");
      return ErrorStatus();
    }
    ExprPtr e = ParseBinary(0);
    if (e && Peek().type != TokenType::kEOF) Unexpected(Peek(), "", "");
    if (failed_) return ErrorStatus();
    TypeChecker checker(input_);
    if (!checker.Run(*e)) {
      Fail(checker.error_pos(), checker.error());
      return ErrorStatus();
    }
    return e;
  }

 private:
  // ---- tokens and errors -------------------------------------------------------------------

  const Token& Peek(size_t k = 0) {
    while (buffer_.size() <= k) buffer_.push_back(lexer_.Next());
    return buffer_[k];
  }

  // Consumes the next token (Skip: without returning it, to keep callers' frames small).
  void Skip() {
    Peek();
    buffer_.pop_front();
  }

  Token Next() {
    Peek();
    Token t = std::move(buffer_.front());
    buffer_.pop_front();
    return t;
  }

  // Records the first error; always returns nullptr for convenience.
  std::nullptr_t Fail(size_t pos, std::string message) {
    if (!failed_) {
      failed_ = true;
      error_pos_ = pos;
      error_ = std::move(message);
    }
    return nullptr;
  }

  // "unexpected <token>[ in <context>][, expected <expected>]", or the lexer's own error.
  std::nullptr_t Unexpected(const Token& t, std::string_view context, std::string_view expected) {
    if (t.type == TokenType::kError) return Fail(t.pos, t.value);
    std::string msg = "unexpected " + DescribeToken(t);
    if (!context.empty()) msg += " in " + std::string(context);
    if (!expected.empty()) msg += ", expected " + std::string(expected);
    return Fail(t.pos, std::move(msg));
  }

  Status ErrorStatus() const {
    size_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < error_pos_ && i < input_.size(); ++i) {
      if (input_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    size_t col = error_pos_ - line_start + 1;
    return Status::InvalidArgument(std::to_string(line) + ":" + std::to_string(col) + ": parse error: " + error_);
  }

  // ---- node construction --------------------------------------------------------------------

  template <typename Node>
  [[gnu::noinline]] ExprPtr Make(Node node, size_t start, size_t end, int depth) {
    if (depth > kMaxDepth) {
      return Fail(start, "expression nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)");
    }
    auto e = std::make_unique<Expr>();
    e->node = std::move(node);
    e->pos = {start, end};
    depth_[e.get()] = depth;
    return e;
  }

  int DepthOf(const ExprPtr& e) const {
    auto it = depth_.find(e.get());
    return it == depth_.end() ? 1 : it->second;
  }

  // Guards the parser's own recursion (nested parentheses, unary chains, `^` chains).
  struct RecursionGuard {
    explicit RecursionGuard(Parser* p) : p(p) { ++p->recursion_; }
    ~RecursionGuard() { --p->recursion_; }
    Parser* p;
  };
  bool TooDeep(size_t pos) {
    if (recursion_ > kMaxDepth) {
      Fail(pos, "expression nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)");
      return true;
    }
    return false;
  }

  // ---- grammar ------------------------------------------------------------------------------

  // The functions on the recursion path (ParseBinary → ParseUnary → ParsePrimary → ParseParen)
  // keep their frames small; the work with bulky locals is done in non-inlined helpers.

  ExprPtr ParseBinary(int min_prec) {
    RecursionGuard guard(this);
    if (TooDeep(Peek().pos)) return nullptr;
    ExprPtr lhs = ParseUnary();
    if (!lhs) return nullptr;
    for (;;) {
      BinaryOp op;
      int prec;
      if (!BinaryOpOf(Peek().type, &op, &prec) || prec < min_prec) return lhs;
      Skip();
      std::unique_ptr<BinaryExpr> bin = ParseBinaryModifiers(op);
      if (!bin) return nullptr;
      // `^` is right-associative; everything else is left-associative.
      ExprPtr rhs = ParseBinary(op == BinaryOp::kPow ? prec : prec + 1);
      if (!rhs) return nullptr;
      lhs = MakeBinary(std::move(bin), std::move(lhs), std::move(rhs));
      if (!lhs) return nullptr;
    }
  }

  // [bool] [on|ignoring (labels) [group_left|group_right [(labels)]]] after a binary operator.
  [[gnu::noinline]] std::unique_ptr<BinaryExpr> ParseBinaryModifiers(BinaryOp op) {
    auto bin = std::make_unique<BinaryExpr>();
    bin->op = op;
    if (Peek().type == TokenType::kBool) {
      Next();
      bin->return_bool = true;
    }
    VectorMatching vm;
    if (Peek().type == TokenType::kOn || Peek().type == TokenType::kIgnoring) {
      vm.on = Next().type == TokenType::kOn;
      if (!ParseGroupingLabels(&vm.matching_labels)) return nullptr;
      TokenType g = Peek().type;
      if (g == TokenType::kGroupLeft || g == TokenType::kGroupRight) {
        Next();
        vm.card = g == TokenType::kGroupLeft ? VectorMatching::Card::kManyToOne : VectorMatching::Card::kOneToMany;
        if (Peek().type == TokenType::kLeftParen && !ParseGroupingLabels(&vm.include)) return nullptr;
      }
    }
    bin->matching = std::move(vm);
    return bin;
  }

  [[gnu::noinline]] ExprPtr MakeBinary(std::unique_ptr<BinaryExpr> bin, ExprPtr lhs, ExprPtr rhs) {
    size_t start = lhs->pos.start;
    size_t end = rhs->pos.end;
    int depth = std::max(DepthOf(lhs), DepthOf(rhs)) + 1;
    bin->lhs = std::move(lhs);
    bin->rhs = std::move(rhs);
    return Make(std::move(*bin), start, end, depth);
  }

  ExprPtr ParseUnary() {
    const TokenType type = Peek().type;
    if (type != TokenType::kAdd && type != TokenType::kSub) {
      ExprPtr e = ParsePrimary();
      if (!e) return nullptr;
      return ParsePostfix(std::move(e));
    }
    const size_t pos = Peek().pos;
    Skip();
    // The operand extends over `^` only: -2^2 is -(2^2), -1 * 2 is (-1) * 2.
    ExprPtr operand = ParseBinary(kPrecPow);
    if (!operand) return nullptr;
    return MakeUnary(type == TokenType::kSub, pos, std::move(operand));
  }

  // A sign before a number literal folds into it, as in Prometheus.
  [[gnu::noinline]] ExprPtr MakeUnary(bool negate, size_t pos, ExprPtr operand) {
    if (auto* num = std::get_if<NumberLiteral>(&operand->node)) {
      if (negate) num->value = -num->value;
      operand->pos.start = pos;
      return operand;
    }
    size_t end = operand->pos.end;
    int depth = DepthOf(operand) + 1;
    UnaryExpr u;
    u.negate = negate;
    u.expr = std::move(operand);
    return Make(std::move(u), pos, end, depth);
  }

  ExprPtr ParsePrimary() {
    const TokenType type = Peek().type;
    switch (type) {
      case TokenType::kNumber:
      case TokenType::kString: return ParseLiteral();
      case TokenType::kLeftParen: return ParseParen();
      case TokenType::kLeftBrace: return ParseVectorSelector();
      case TokenType::kIdentifier:
        if (Peek(1).type == TokenType::kLeftParen) return ParseCall();
        return ParseVectorSelector();
      default: break;
    }
    if (IsAggregatorToken(type)) {
      TokenType after = Peek(1).type;
      if (after == TokenType::kLeftParen || after == TokenType::kBy || after == TokenType::kWithout) {
        return ParseAggregate();
      }
      if (CanFollowExpr(after)) return ParseVectorSelector();  // a metric named like an aggregator
      Next();
      return Unexpected(Peek(), "aggregation", "");
    }
    if (IsMetricIdentifier(type)) return ParseVectorSelector();
    return Unexpected(Peek(), "", "");
  }

  [[gnu::noinline]] ExprPtr ParseLiteral() {
    Token tok = Next();
    if (tok.type == TokenType::kString) {
      return Make(StringLiteral{std::move(tok.value)}, tok.pos, tok.pos + tok.text.size(), 1);
    }
    double v = 0;
    if (!ParseNumberText(tok.text, &v)) {
      return Fail(tok.pos, "error parsing number: invalid syntax: " + GoQuote(tok.text));
    }
    return Make(NumberLiteral{v}, tok.pos, tok.pos + tok.text.size(), 1);
  }

  ExprPtr ParseParen() {
    const size_t open = Peek().pos;
    Skip();
    ExprPtr inner = ParseBinary(0);
    if (!inner) return nullptr;
    if (Peek().type != TokenType::kRightParen) return Unexpected(Peek(), "", "");
    const size_t close = Peek().pos;
    Skip();
    int depth = DepthOf(inner) + 1;
    return Make(ParenExpr{std::move(inner)}, open, close + 1, depth);
  }

  // metric_identifier [label_matchers] | label_matchers
  [[gnu::noinline]] ExprPtr ParseVectorSelector() {
    VectorSelector vs;
    size_t start = Peek().pos;
    size_t end = start;
    if (Peek().type != TokenType::kLeftBrace) {
      Token name = Next();
      vs.name = std::string(name.text);
      end = name.pos + name.text.size();
    }
    if (Peek().type == TokenType::kLeftBrace) {
      Next();
      for (;;) {
        const Token& t = Peek();
        if (t.type == TokenType::kRightBrace) {
          end = Next().pos + 1;
          break;
        }
        if (t.type != TokenType::kIdentifier) return Unexpected(t, "label matching", "identifier or \"}\"");
        Token label = Next();
        Matcher::Type type;
        switch (Peek().type) {
          case TokenType::kEql: type = Matcher::Type::kEqual; break;
          case TokenType::kNeq: type = Matcher::Type::kNotEqual; break;
          case TokenType::kEqlRegex: type = Matcher::Type::kRegexMatch; break;
          case TokenType::kNeqRegex: type = Matcher::Type::kRegexNoMatch; break;
          default: return Unexpected(Peek(), "label matching", "label matching operator");
        }
        Next();
        if (Peek().type != TokenType::kString) return Unexpected(Peek(), "label matching", "string");
        Token value = Next();
        Matcher m{type, std::string(label.text), std::move(value.value)};
        auto compiled = index::CompiledMatcher::Compile(m);
        if (!compiled.ok()) return Fail(label.pos, compiled.status().message());
        vs.matchers.push_back(std::move(m));
        if (Peek().type == TokenType::kComma) {
          Next();
        } else if (Peek().type != TokenType::kRightBrace) {
          return Unexpected(Peek(), "label matching", "\",\" or \"}\"");
        }
      }
    }
    if (!vs.name.empty()) vs.matchers.push_back(Matcher::Equal("__name__", vs.name));
    return Make(std::move(vs), start, end, 1);
  }

  // "(" [label {"," label} [","]] ")"
  bool ParseGroupingLabels(std::vector<std::string>* out) {
    out->clear();
    if (Peek().type != TokenType::kLeftParen) {
      Unexpected(Peek(), "grouping opts", "\"(\"");
      return false;
    }
    Next();
    for (;;) {
      const Token& t = Peek();
      if (t.type == TokenType::kRightParen) {
        last_closing_ = Next().pos + 1;
        return true;
      }
      if (!IsMaybeLabel(t.type)) {
        Unexpected(t, "grouping opts", "label");
        return false;
      }
      if (!index::IsValidLabelName(t.text)) {
        Fail(t.pos, "invalid label name for grouping: " + GoQuote(t.text));
        return false;
      }
      out->emplace_back(Next().text);
      if (Peek().type == TokenType::kComma) {
        Next();
      } else if (Peek().type != TokenType::kRightParen) {
        Unexpected(Peek(), "grouping opts", "\",\" or \")\"");
        return false;
      }
    }
  }

  // "(" [expr {"," expr}] ")"; stores the position after ")" in *end.
  bool ParseCallArgs(std::vector<ExprPtr>* args, size_t* end) {
    if (Peek().type != TokenType::kLeftParen) {
      Unexpected(Peek(), "", "");
      return false;
    }
    Next();
    if (Peek().type == TokenType::kRightParen) {
      *end = Next().pos + 1;
      return true;
    }
    for (;;) {
      ExprPtr arg = ParseBinary(0);
      if (!arg) return false;
      args->push_back(std::move(arg));
      const Token& t = Peek();
      if (t.type == TokenType::kComma) {
        size_t comma = Next().pos;
        if (Peek().type == TokenType::kRightParen) {
          Fail(comma, "trailing commas not allowed in function call args");
          return false;
        }
        continue;
      }
      if (t.type == TokenType::kRightParen) {
        *end = Next().pos + 1;
        return true;
      }
      Unexpected(t, "", "");
      return false;
    }
  }

  int MaxDepth(const std::vector<ExprPtr>& args) const {
    int d = 0;
    for (const auto& a : args) d = std::max(d, DepthOf(a));
    return d;
  }

  ExprPtr ParseCall() {
    Token name = Next();
    Call call;
    call.func = std::string(name.text);
    size_t end = 0;
    if (!ParseCallArgs(&call.args, &end)) return nullptr;
    if (LookupFunction(call.func) == nullptr) {
      return Fail(name.pos, "unknown function with name " + GoQuote(call.func));
    }
    int depth = MaxDepth(call.args) + 1;
    return Make(std::move(call), name.pos, end, depth);
  }

  ExprPtr ParseAggregate() {
    Token op_tok = Next();
    AggregateExpr agg;
    AggregateOpOf(op_tok.type, &agg.op);
    bool have_modifier = false;
    auto parse_modifier = [&]() {
      agg.without = Next().type == TokenType::kWithout;
      have_modifier = true;
      return ParseGroupingLabels(&agg.grouping);
    };
    if (Peek().type == TokenType::kBy || Peek().type == TokenType::kWithout) {
      if (!parse_modifier()) return nullptr;
      if (Peek().type != TokenType::kLeftParen) return Unexpected(Peek(), "aggregation", "");
    }
    std::vector<ExprPtr> args;
    size_t end = 0;
    if (!ParseCallArgs(&args, &end)) return nullptr;
    if (!have_modifier && (Peek().type == TokenType::kBy || Peek().type == TokenType::kWithout)) {
      if (!parse_modifier()) return nullptr;
      end = last_closing_;
    }
    if (args.empty()) return Fail(op_tok.pos, "no arguments for aggregate expression provided");
    size_t want = HasParam(agg.op) ? 2 : 1;
    if (args.size() != want) {
      return Fail(op_tok.pos, "wrong number of arguments for aggregate expression provided, expected " +
                                  std::to_string(want) + ", got " + std::to_string(args.size()));
    }
    int depth = MaxDepth(args) + 1;
    if (want == 2) agg.param = std::move(args[0]);
    agg.expr = std::move(args[want - 1]);
    return Make(std::move(agg), op_tok.pos, end, depth);
  }

  // Duration token → milliseconds; zero is not allowed (Prometheus 2.x).
  bool ParseDurationToken(const Token& t, int64_t* ms) {
    auto d = ParseDurationMs(t.text);
    if (!d.ok()) {
      Fail(t.pos, d.status().message());
      return false;
    }
    if (*d == 0) {
      Fail(t.pos, "duration must be greater than 0");
      return false;
    }
    // Prometheus' durations are Go time.Durations: at most 2^63-1 ns, about 292 years.
    if (*d > kMaxDurationMs) {
      Fail(t.pos, "duration out of range");
      return false;
    }
    *ms = *d;
    return true;
  }

  // [range] / [range:step] / offset / @ after a primary expression.
  [[gnu::noinline]] ExprPtr ParsePostfix(ExprPtr e) {
    for (;;) {
      switch (Peek().type) {
        case TokenType::kLeftBracket:
          e = ParseRangeOrSubquery(std::move(e));
          break;
        case TokenType::kOffset: e = ParseOffset(std::move(e)); break;
        case TokenType::kAt: e = ParseAt(std::move(e)); break;
        default: return e;
      }
      if (!e) return nullptr;
    }
  }

  ExprPtr ParseRangeOrSubquery(ExprPtr e) {
    Token open = Next();
    if (Peek().type != TokenType::kDuration) return Unexpected(Peek(), "subquery selector", "duration");
    Token range_tok = Next();
    int64_t range = 0;
    if (!ParseDurationToken(range_tok, &range)) return nullptr;
    if (Peek().type == TokenType::kRightBracket) {
      Token close = Next();
      auto* vs = std::get_if<VectorSelector>(&e->node);
      if (vs == nullptr) return Fail(open.pos, "ranges only allowed for vector selectors");
      if (vs->offset_ms != 0) return Fail(open.pos, "no offset modifiers allowed before range");
      if (vs->at) return Fail(open.pos, "no @ modifiers allowed before range");
      size_t start = e->pos.start;
      MatrixSelector m;
      m.vector_selector = std::move(e);
      m.range_ms = range;
      return Make(std::move(m), start, close.pos + 1, 2);
    }
    if (Peek().type != TokenType::kColon) return Unexpected(Peek(), "subquery or range", "\":\" or \"]\"");
    Next();
    int64_t step = 0;
    if (Peek().type == TokenType::kDuration) {
      Token step_tok = Next();
      if (!ParseDurationToken(step_tok, &step)) return nullptr;
      if (Peek().type != TokenType::kRightBracket) return Unexpected(Peek(), "subquery selector", "\"]\"");
    } else if (Peek().type != TokenType::kRightBracket) {
      return Unexpected(Peek(), "subquery selector", "duration or \"]\"");
    }
    Token close = Next();
    size_t start = e->pos.start;
    int depth = DepthOf(e) + 1;
    SubqueryExpr sq;
    sq.expr = std::move(e);
    sq.range_ms = range;
    sq.step_ms = step;
    return Make(std::move(sq), start, close.pos + 1, depth);
  }

  // The offset / @ fields of a selector or subquery; false (after an error) for other nodes.
  bool ModifierTarget(Expr* e, int64_t** offset, std::optional<AtModifier>** at, const char* what) {
    if (auto* vs = std::get_if<VectorSelector>(&e->node)) {
      *offset = &vs->offset_ms;
      *at = &vs->at;
      return true;
    }
    if (auto* m = std::get_if<MatrixSelector>(&e->node)) {
      auto* vs = std::get_if<VectorSelector>(&m->vector_selector->node);
      *offset = &vs->offset_ms;
      *at = &vs->at;
      return true;
    }
    if (auto* sq = std::get_if<SubqueryExpr>(&e->node)) {
      *offset = &sq->offset_ms;
      *at = &sq->at;
      return true;
    }
    Fail(e->pos.start, std::string(what) +
                           " must be preceded by an instant vector selector or range vector selector or a subquery");
    return false;
  }

  ExprPtr ParseOffset(ExprPtr e) {
    Next();
    bool negative = false;
    if (Peek().type == TokenType::kSub) {
      Next();
      negative = true;
    }
    if (Peek().type != TokenType::kDuration) return Unexpected(Peek(), "offset", "duration");
    Token d = Next();
    int64_t ms = 0;
    if (!ParseDurationToken(d, &ms)) return nullptr;
    int64_t* offset = nullptr;
    std::optional<AtModifier>* at = nullptr;
    if (!ModifierTarget(e.get(), &offset, &at, "offset modifier")) return nullptr;
    if (*offset != 0) return Fail(e->pos.start, "offset may not be set multiple times");
    *offset = negative ? -ms : ms;
    e->pos.end = d.pos + d.text.size();
    return e;
  }

  ExprPtr ParseAt(ExprPtr e) {
    Next();
    const Token& t = Peek();
    AtModifier at_mod;
    size_t end = 0;
    if (t.type == TokenType::kStart || t.type == TokenType::kEnd) {
      at_mod.kind = Next().type == TokenType::kStart ? AtModifier::Kind::kStart : AtModifier::Kind::kEnd;
      if (Peek().type != TokenType::kLeftParen) return Unexpected(Peek(), "", "");
      Next();
      if (Peek().type != TokenType::kRightParen) return Unexpected(Peek(), "", "");
      end = Next().pos + 1;
    } else if (t.type == TokenType::kNumber ||
               ((t.type == TokenType::kAdd || t.type == TokenType::kSub) && Peek(1).type == TokenType::kNumber)) {
      bool negative = false;
      if (t.type != TokenType::kNumber) negative = Next().type == TokenType::kSub;
      Token num = Next();
      double ts = 0;
      if (!ParseNumberText(num.text, &ts)) {
        return Fail(num.pos, "error parsing number: invalid syntax: " + GoQuote(num.text));
      }
      if (negative) ts = -ts;
      // Prometheus bounds the seconds by int64; milliseconds must fit too.
      if (std::isnan(ts) || std::isinf(ts) || ts * 1000 >= 9.2e18 || ts * 1000 <= -9.2e18) {
        char buf[64];
        if (std::isnan(ts)) {
          std::snprintf(buf, sizeof buf, "NaN");
        } else if (std::isinf(ts)) {
          std::snprintf(buf, sizeof buf, "%s", ts > 0 ? "+Inf" : "-Inf");
        } else {
          std::snprintf(buf, sizeof buf, "%f", ts);
        }
        return Fail(e->pos.start, std::string("timestamp out of bounds for @ modifier: ") + buf);
      }
      at_mod.kind = AtModifier::Kind::kTime;
      at_mod.time_ms = static_cast<int64_t>(std::llround(ts * 1000));
      end = num.pos + num.text.size();
    } else {
      return Unexpected(t, "@", "timestamp");
    }
    int64_t* offset = nullptr;
    std::optional<AtModifier>* at = nullptr;
    if (!ModifierTarget(e.get(), &offset, &at, "@ modifier")) return nullptr;
    if (at->has_value()) return Fail(e->pos.start, "@ <timestamp> may not be set multiple times");
    *at = at_mod;
    e->pos.end = end;
    return e;
  }

  std::string_view input_;
  Lexer lexer_;
  std::deque<Token> buffer_;
  bool failed_ = false;
  size_t error_pos_ = 0;
  std::string error_;
  int recursion_ = 0;
  size_t last_closing_ = 0;
  std::unordered_map<const Expr*, int> depth_;
};

}  // namespace

Result<ExprPtr> ParseExpr(std::string_view query) { return Parser(query).Parse(); }

Result<int64_t> ParseDurationLiteral(std::string_view text) { return ParseDurationMs(text); }

}  // namespace gnomon::promql
