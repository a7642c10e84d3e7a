// Recursive-descent LogQL parser; see parser.h for the grammar. Modelled on Loki's
// pkg/logql/syntax/syntax.y (the yacc grammar) and its error texts.
#include "logs/logql/parser.h"

#include <re2/re2.h>

#include <charconv>
#include <cstdlib>

#include "logs/logql/go_duration.h"
#include "logs/logql/lexer.h"
#include "util/duration.h"
#include "util/go_strconv.h"

namespace gnomon::logs::logql {

namespace {

constexpr std::string_view kEmptyMatcherError =
    "parse error : queries require at least one regexp or equality matcher that does not have an "
    "empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will";

bool RangeOpOf(std::string_view s, RangeOp* op) {
  if (s == "count_over_time")
    *op = RangeOp::kCountOverTime;
  else if (s == "rate")
    *op = RangeOp::kRate;
  else if (s == "bytes_over_time")
    *op = RangeOp::kBytesOverTime;
  else if (s == "bytes_rate")
    *op = RangeOp::kBytesRate;
  else if (s == "absent_over_time")
    *op = RangeOp::kAbsentOverTime;
  else
    return false;
  return true;
}

bool VectorOpOf(std::string_view s, VectorOp* op) {
  if (s == "sum")
    *op = VectorOp::kSum;
  else if (s == "avg")
    *op = VectorOp::kAvg;
  else if (s == "min")
    *op = VectorOp::kMin;
  else if (s == "max")
    *op = VectorOp::kMax;
  else if (s == "count")
    *op = VectorOp::kCount;
  else if (s == "stddev")
    *op = VectorOp::kStddev;
  else if (s == "stdvar")
    *op = VectorOp::kStdvar;
  else if (s == "topk")
    *op = VectorOp::kTopk;
  else if (s == "bottomk")
    *op = VectorOp::kBottomk;
  else
    return false;
  return true;
}

// Loki functions and stages gnomond does not implement: named in the error rather than reported
// as a plain syntax error.
bool IsUnsupportedFunction(std::string_view s) {
  for (std::string_view f : {"sum_over_time", "avg_over_time", "min_over_time", "max_over_time", "stddev_over_time",
                             "stdvar_over_time", "quantile_over_time", "first_over_time", "last_over_time",
                             "rate_counter", "sort", "sort_desc", "label_replace", "vector", "approx_topk"}) {
    if (s == f) return true;
  }
  return false;
}

bool IsUnsupportedStage(std::string_view s) {
  for (std::string_view f : {"regexp", "pattern", "unpack", "unwrap", "label_format", "decolorize"}) {
    if (s == f) return true;
  }
  return false;
}

class Parser {
 public:
  Parser(std::string_view q, std::vector<Token> toks) : q_(q), toks_(std::move(toks)) {}

  Result<ExprPtr> ParseTop() {
    auto e = ParseExpr();
    if (!e.ok()) return e.status();
    if (Peek().type != TokenType::kEnd) return Unexpected(Peek(), "");
    return e;
  }

 private:
  const Token& Peek(size_t k = 0) const { return toks_[std::min(i_ + k, toks_.size() - 1)]; }
  const Token& Next() {
    const Token& t = toks_[i_];
    if (i_ + 1 < toks_.size()) ++i_;
    return t;
  }
  bool PeekIdent(std::string_view word, size_t k = 0) const {
    return Peek(k).type == TokenType::kIdentifier && Peek(k).text == word;
  }

  Status ErrorAt(const Token& t, std::string_view msg) const { return ParseErrorAt(q_, t.pos, msg); }
  Status Unexpected(const Token& t, std::string_view expecting) const {
    std::string msg = "syntax error: unexpected " + TokenName(t.type);
    if (!expecting.empty()) msg += ", expecting " + std::string(expecting);
    return ErrorAt(t, msg);
  }
  Status Expect(TokenType type, std::string_view expecting = "") {
    if (Peek().type != type) return Unexpected(Peek(), expecting.empty() ? TokenName(type) : expecting);
    Next();
    return Status::OK();
  }

  // Compiles `re` (and its anchored form, for label matchers) to check it; the error names the
  // regex as written.
  Status CheckRegex(const Token& at, const std::string& re, bool anchored) const {
    RE2::Options opts;
    opts.set_log_errors(false);
    for (bool anchor : {false, anchored}) {
      RE2 compiled(anchor ? "^(?:" + re + ")$" : re, opts);
      if (!compiled.ok()) return ErrorAt(at, "invalid regex " + GoQuote(re) + ": " + compiled.error());
      if (!anchored) break;
    }
    return Status::OK();
  }

  struct DepthGuard {
    explicit DepthGuard(int* d) : d_(d) { ++*d_; }
    ~DepthGuard() { --*d_; }
    int* d_;
  };
  Status CheckDepth() const {
    if (depth_ > kMaxDepth) return ErrorAt(Peek(), "syntax error: query nests too deeply");
    return Status::OK();
  }

  Result<ExprPtr> ParseExpr() {
    DepthGuard guard(&depth_);
    GNOMON_RETURN_IF_ERROR(CheckDepth());
    const Token& t = Peek();
    if (t.type == TokenType::kLParen) {
      Next();
      auto e = ParseExpr();
      if (!e.ok()) return e.status();
      GNOMON_RETURN_IF_ERROR(Expect(TokenType::kRParen));
      return e;
    }
    if (t.type == TokenType::kLBrace) {
      auto sel = ParseLogSelector();
      if (!sel.ok()) return sel.status();
      auto e = std::make_unique<Expr>();
      e->node = std::move(*sel);
      return e;
    }
    if (t.type == TokenType::kIdentifier) {
      RangeOp rop;
      VectorOp vop;
      if (RangeOpOf(t.text, &rop)) return ParseRangeAggregation(rop);
      if (VectorOpOf(t.text, &vop)) return ParseVectorAggregation(vop);
      if (IsUnsupportedFunction(t.text)) return ErrorAt(t, "function " + GoQuote(t.text) + " is not supported");
      if (Peek(1).type == TokenType::kLParen) return ErrorAt(t, "unknown function " + GoQuote(t.text));
    }
    return Unexpected(t, "{");
  }

  // "{" matcher { "," matcher } "}" followed by the pipeline.
  Result<LogSelector> ParseLogSelector() {
    LogSelector sel;
    GNOMON_RETURN_IF_ERROR(ParseMatchers(&sel.matchers));
    GNOMON_RETURN_IF_ERROR(ParsePipeline(&sel.pipeline));
    return sel;
  }

  Status ParseMatchers(Matchers* out) {
    GNOMON_RETURN_IF_ERROR(Expect(TokenType::kLBrace));
    while (true) {
      Matcher m;
      GNOMON_RETURN_IF_ERROR(ParseMatcher(&m));
      out->push_back(std::move(m));
      if (Peek().type == TokenType::kComma) {
        Next();
        continue;
      }
      if (Peek().type == TokenType::kRBrace) {
        Next();
        break;
      }
      return Unexpected(Peek(), "} or ,");
    }
    for (const Matcher& m : *out) {
      if (m.type == Matcher::Type::kEqual && !m.value.empty()) return Status::OK();
      if (m.type == Matcher::Type::kRegexMatch && !RE2::FullMatch("", RE2("^(?:" + m.value + ")$"))) {
        return Status::OK();
      }
    }
    return Status::InvalidArgument(std::string(kEmptyMatcherError));
  }

  // name op STRING, for stream selectors and drop/keep items.
  Status ParseMatcher(Matcher* m) {
    if (Peek().type != TokenType::kIdentifier) return Unexpected(Peek(), "IDENTIFIER");
    m->name = std::string(Next().text);
    switch (Peek().type) {
      case TokenType::kEq: m->type = Matcher::Type::kEqual; break;
      case TokenType::kNeq: m->type = Matcher::Type::kNotEqual; break;
      case TokenType::kRe: m->type = Matcher::Type::kRegexMatch; break;
      case TokenType::kNre: m->type = Matcher::Type::kRegexNoMatch; break;
      default: return Unexpected(Peek(), "=, !=, =~ or !~");
    }
    Next();
    if (Peek().type != TokenType::kString) return Unexpected(Peek(), "STRING");
    const Token& v = Next();
    m->value = v.value;
    if (m->type == Matcher::Type::kRegexMatch || m->type == Matcher::Type::kRegexNoMatch) {
      GNOMON_RETURN_IF_ERROR(CheckRegex(v, m->value, true));
    }
    return Status::OK();
  }

  static bool StartsStage(TokenType t) {
    return t == TokenType::kPipeExact || t == TokenType::kNeq || t == TokenType::kPipeMatch || t == TokenType::kNre ||
           t == TokenType::kPipe;
  }

  Status ParsePipeline(std::vector<Stage>* out) {
    while (StartsStage(Peek().type)) {
      const Token& op = Next();
      if (op.type != TokenType::kPipe) {
        LineFilterStage f;
        f.type = op.type == TokenType::kPipeExact   ? LineMatchType::kContains
                 : op.type == TokenType::kNeq       ? LineMatchType::kNotContains
                 : op.type == TokenType::kPipeMatch ? LineMatchType::kRegex
                                                    : LineMatchType::kNotRegex;
        if (Peek().type != TokenType::kString) return Unexpected(Peek(), "STRING");
        const Token& s = Next();
        f.match = s.value;
        bool regex = f.type == LineMatchType::kRegex || f.type == LineMatchType::kNotRegex;
        if (regex) GNOMON_RETURN_IF_ERROR(CheckRegex(s, f.match, false));
        while (PeekIdent("or")) {
          Next();
          if (Peek().type != TokenType::kString) return Unexpected(Peek(), "STRING");
          const Token& alt = Next();
          if (regex) GNOMON_RETURN_IF_ERROR(CheckRegex(alt, alt.value, false));
          f.or_matches.push_back(alt.value);
        }
        out->push_back(std::move(f));
        continue;
      }
      const Token& t = Peek();
      if (t.type == TokenType::kLParen) {  // a parenthesised label filter
        auto f = ParseLabelFilterOr();
        if (!f.ok()) return f.status();
        out->push_back(LabelFilterStage{std::move(*f)});
        continue;
      }
      if (t.type != TokenType::kIdentifier) return Unexpected(t, "IDENTIFIER");
      TokenType after = Peek(1).type;
      bool is_filter = after == TokenType::kEq || after == TokenType::kNeq || after == TokenType::kRe ||
                       after == TokenType::kNre || after == TokenType::kCmpEq || after == TokenType::kGt ||
                       after == TokenType::kGte || after == TokenType::kLt || after == TokenType::kLte;
      if (!is_filter && t.text == "json") {
        Next();
        ParserStage p;
        p.kind = ParserStage::Kind::kJson;
        while (Peek().type == TokenType::kIdentifier && Peek(1).type == TokenType::kEq) {
          ParserStage::Param param;
          param.label = std::string(Next().text);
          Next();
          if (Peek().type != TokenType::kString) return Unexpected(Peek(), "STRING");
          param.expression = Next().value;
          p.params.push_back(std::move(param));
          if (Peek().type != TokenType::kComma) break;
          Next();
          if (Peek().type != TokenType::kIdentifier) return Unexpected(Peek(), "IDENTIFIER");
        }
        out->push_back(std::move(p));
      } else if (!is_filter && t.text == "logfmt") {
        Next();
        ParserStage p;
        p.kind = ParserStage::Kind::kLogfmt;
        out->push_back(std::move(p));
      } else if (!is_filter && t.text == "line_format") {
        Next();
        if (Peek().type != TokenType::kString) return Unexpected(Peek(), "STRING");
        out->push_back(LineFormatStage{Next().value});
      } else if (!is_filter && (t.text == "drop" || t.text == "keep")) {
        LabelsStage l;
        l.keep = Next().text == "keep";
        while (true) {
          if (Peek().type != TokenType::kIdentifier) return Unexpected(Peek(), "IDENTIFIER");
          LabelsStage::Item item;
          TokenType op2 = Peek(1).type;
          if (op2 == TokenType::kEq || op2 == TokenType::kNeq || op2 == TokenType::kRe || op2 == TokenType::kNre) {
            item.has_matcher = true;
            GNOMON_RETURN_IF_ERROR(ParseMatcher(&item.matcher));
            item.name = item.matcher.name;
          } else {
            item.name = std::string(Next().text);
          }
          l.items.push_back(std::move(item));
          if (Peek().type != TokenType::kComma) break;
          Next();
        }
        out->push_back(std::move(l));
      } else if (!is_filter && IsUnsupportedStage(t.text)) {
        return ErrorAt(t, "the " + std::string(t.text) + " stage is not supported");
      } else {
        auto f = ParseLabelFilterOr();
        if (!f.ok()) return f.status();
        out->push_back(LabelFilterStage{std::move(*f)});
      }
    }
    return Status::OK();
  }

  using FilterPtr = std::unique_ptr<LabelFilter>;

  static FilterPtr Combine(LabelFilter::Kind kind, FilterPtr l, FilterPtr r) {
    auto f = std::make_unique<LabelFilter>();
    f->kind = kind;
    f->left = std::move(l);
    f->right = std::move(r);
    return f;
  }

  Result<FilterPtr> ParseLabelFilterOr() {
    auto l = ParseLabelFilterAnd();
    if (!l.ok()) return l.status();
    FilterPtr left = std::move(*l);
    while (PeekIdent("or")) {
      Next();
      auto r = ParseLabelFilterAnd();
      if (!r.ok()) return r.status();
      left = Combine(LabelFilter::Kind::kOr, std::move(left), std::move(*r));
    }
    return left;
  }

  Result<FilterPtr> ParseLabelFilterAnd() {
    auto l = ParseLabelFilterPrimary();
    if (!l.ok()) return l.status();
    FilterPtr left = std::move(*l);
    while (true) {
      if (PeekIdent("and") || Peek().type == TokenType::kComma) {
        Next();
      } else if (!(Peek().type == TokenType::kLParen || (Peek().type == TokenType::kIdentifier && !PeekIdent("or")))) {
        break;  // no implicit `and` either
      }
      auto r = ParseLabelFilterPrimary();
      if (!r.ok()) return r.status();
      left = Combine(LabelFilter::Kind::kAnd, std::move(left), std::move(*r));
    }
    return left;
  }

  Result<FilterPtr> ParseLabelFilterPrimary() {
    DepthGuard guard(&depth_);
    GNOMON_RETURN_IF_ERROR(CheckDepth());
    if (Peek().type == TokenType::kLParen) {
      Next();
      auto f = ParseLabelFilterOr();
      if (!f.ok()) return f.status();
      GNOMON_RETURN_IF_ERROR(Expect(TokenType::kRParen));
      return f;
    }
    if (Peek().type != TokenType::kIdentifier) return Unexpected(Peek(), "IDENTIFIER");
    const Token& name = Next();
    auto f = std::make_unique<LabelFilter>();
    const Token& op = Next();
    const Token& v = Peek();
    bool string_op = op.type == TokenType::kEq || op.type == TokenType::kNeq || op.type == TokenType::kRe ||
                     op.type == TokenType::kNre;
    if (string_op && v.type == TokenType::kString) {
      Next();
      f->kind = LabelFilter::Kind::kString;
      f->matcher.name = std::string(name.text);
      f->matcher.value = v.value;
      f->matcher.type = op.type == TokenType::kEq    ? Matcher::Type::kEqual
                        : op.type == TokenType::kNeq ? Matcher::Type::kNotEqual
                        : op.type == TokenType::kRe  ? Matcher::Type::kRegexMatch
                                                     : Matcher::Type::kRegexNoMatch;
      if (op.type == TokenType::kRe || op.type == TokenType::kNre) {
        GNOMON_RETURN_IF_ERROR(CheckRegex(v, f->matcher.value, true));
      }
      return f;
    }
    switch (op.type) {
      case TokenType::kEq:
      case TokenType::kCmpEq: f->op = CompareOp::kEq; break;
      case TokenType::kNeq: f->op = CompareOp::kNeq; break;
      case TokenType::kGt: f->op = CompareOp::kGt; break;
      case TokenType::kGte: f->op = CompareOp::kGte; break;
      case TokenType::kLt: f->op = CompareOp::kLt; break;
      case TokenType::kLte: f->op = CompareOp::kLte; break;
      case TokenType::kRe:
      case TokenType::kNre: return Unexpected(v, "STRING");
      default: return Unexpected(op, "=, !=, =~, !~, ==, >, >=, < or <=");
    }
    f->name = std::string(name.text);
    if (v.type == TokenType::kNumber) {
      Next();
      f->kind = LabelFilter::Kind::kNumber;
      std::string text(v.text);
      char* end = nullptr;
      f->number = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size()) return ErrorAt(v, "unable to parse float: " + GoQuote(text));
      return f;
    }
    if (v.type == TokenType::kDuration) {
      Next();
      auto d = ParseGoDuration(v.text);
      if (!d.ok()) return ErrorAt(v, d.status().message());
      f->kind = LabelFilter::Kind::kDuration;
      f->duration_ns = *d;
      return f;
    }
    return Unexpected(v, string_op && op.type != TokenType::kRe ? "STRING, NUMBER or DURATION" : "NUMBER or DURATION");
  }

  // "[" DURATION "]"
  Status ParseRange(int64_t* range_ms) {
    GNOMON_RETURN_IF_ERROR(Expect(TokenType::kLBracket));
    const Token& d = Peek();
    if (d.type != TokenType::kDuration) return Unexpected(d, "DURATION");
    Next();
    auto ms = ParseDurationMs(d.text);
    if (!ms.ok()) return ErrorAt(d, ms.status().message());
    if (*ms <= 0) return ErrorAt(d, "range must be greater than 0: " + std::string(d.text));
    *range_ms = *ms;
    return Expect(TokenType::kRBracket);
  }

  Result<ExprPtr> ParseRangeAggregation(RangeOp op) {
    const Token& name = Next();
    GNOMON_RETURN_IF_ERROR(Expect(TokenType::kLParen));
    RangeAggregation agg;
    agg.op = op;
    GNOMON_RETURN_IF_ERROR(ParseMatchers(&agg.range.selector.matchers));
    bool have_range = false;
    if (Peek().type == TokenType::kLBracket) {
      GNOMON_RETURN_IF_ERROR(ParseRange(&agg.range.range_ms));
      have_range = true;
    }
    GNOMON_RETURN_IF_ERROR(ParsePipeline(&agg.range.selector.pipeline));
    if (!have_range) {
      if (Peek().type != TokenType::kLBracket) return Unexpected(Peek(), "[ (a range such as [5m])");
      GNOMON_RETURN_IF_ERROR(ParseRange(&agg.range.range_ms));
    }
    GNOMON_RETURN_IF_ERROR(Expect(TokenType::kRParen));
    if ((PeekIdent("by") || PeekIdent("without")) && Peek(1).type == TokenType::kLParen) {
      return Status::InvalidArgument("parse error : grouping not allowed for " + std::string(name.text) +
                                     " aggregation");
    }
    auto e = std::make_unique<Expr>();
    e->node = std::move(agg);
    return e;
  }

  Status ParseGrouping(VectorAggregation* v) {
    v->has_grouping = true;
    v->without = Next().text == "without";
    GNOMON_RETURN_IF_ERROR(Expect(TokenType::kLParen));
    if (Peek().type == TokenType::kRParen) {
      Next();
      return Status::OK();
    }
    while (true) {
      if (Peek().type != TokenType::kIdentifier) return Unexpected(Peek(), "IDENTIFIER");
      v->grouping.emplace_back(Next().text);
      if (Peek().type == TokenType::kComma) {
        Next();
        continue;
      }
      return Expect(TokenType::kRParen, ", or )");
    }
  }

  Result<ExprPtr> ParseVectorAggregation(VectorOp op) {
    const Token& name = Next();
    VectorAggregation v;
    v.op = op;
    if (PeekIdent("by") || PeekIdent("without")) GNOMON_RETURN_IF_ERROR(ParseGrouping(&v));
    GNOMON_RETURN_IF_ERROR(Expect(TokenType::kLParen));
    bool takes_k = op == VectorOp::kTopk || op == VectorOp::kBottomk;
    if (Peek().type == TokenType::kNumber) {
      const Token& k = Next();
      if (!takes_k) {
        return Status::InvalidArgument("parse error : unsupported parameter for operation " + std::string(name.text) +
                                       "(" + std::string(k.text) + ",");
      }
      int64_t kv = 0;
      auto [p, ec] = std::from_chars(k.text.data(), k.text.data() + k.text.size(), kv);
      if (ec != std::errc() || p != k.text.data() + k.text.size()) {
        return Status::InvalidArgument("parse error : invalid parameter " + std::string(name.text) + "(" +
                                       std::string(k.text) + ",");
      }
      if (kv <= 0) {
        return Status::InvalidArgument("parse error : invalid parameter (must be greater than 0) " +
                                       std::string(name.text) + "(" + std::string(k.text));
      }
      v.k = kv;
      GNOMON_RETURN_IF_ERROR(Expect(TokenType::kComma));
    } else if (takes_k) {
      return Status::InvalidArgument("parse error : parameter required for operation " + std::string(name.text));
    }
    const Token& start = Peek();
    auto inner = ParseExpr();
    if (!inner.ok()) return inner.status();
    if ((*inner)->IsLogQuery()) {
      return ErrorAt(start, "syntax error: unexpected " + TokenName(start.type) +
                                ", expecting a metric expression (log queries cannot be aggregated)");
    }
    v.expr = std::move(*inner);
    GNOMON_RETURN_IF_ERROR(Expect(TokenType::kRParen));
    if (PeekIdent("by") || PeekIdent("without")) {
      if (v.has_grouping) return Unexpected(Peek(), "");
      GNOMON_RETURN_IF_ERROR(ParseGrouping(&v));
    }
    auto e = std::make_unique<Expr>();
    e->node = std::move(v);
    return e;
  }

  std::string_view q_;
  std::vector<Token> toks_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<ExprPtr> ParseQuery(std::string_view query) {
  auto toks = Lex(query);
  if (!toks.ok()) return toks.status();
  Parser p(query, std::move(*toks));
  return p.ParseTop();
}

}  // namespace gnomon::logs::logql
