// String() of every node, as Loki's String() methods print them (pkg/logql/syntax/ast.go,
// pkg/logql/log/label_filter.go).
#include "logs/logql/ast.h"

#include "index/matcher_eval.h"
#include "logs/logql/go_duration.h"
#include "util/duration.h"
#include "util/go_strconv.h"

namespace gnomon::logs::logql {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

const char* LineMatchTypeName(LineMatchType t) {
  switch (t) {
    case LineMatchType::kContains: return "|=";
    case LineMatchType::kNotContains: return "!=";
    case LineMatchType::kRegex: return "|~";
    case LineMatchType::kNotRegex: return "!~";
  }
  return "|=";
}

const char* CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "==";
    case CompareOp::kNeq: return "!=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGte: return ">=";
    case CompareOp::kLt: return "<";
    case CompareOp::kLte: return "<=";
  }
  return "==";
}

const char* RangeOpName(RangeOp op) {
  switch (op) {
    case RangeOp::kCountOverTime: return "count_over_time";
    case RangeOp::kRate: return "rate";
    case RangeOp::kBytesOverTime: return "bytes_over_time";
    case RangeOp::kBytesRate: return "bytes_rate";
    case RangeOp::kAbsentOverTime: return "absent_over_time";
  }
  return "";
}

const char* VectorOpName(VectorOp op) {
  switch (op) {
    case VectorOp::kSum: return "sum";
    case VectorOp::kAvg: return "avg";
    case VectorOp::kMin: return "min";
    case VectorOp::kMax: return "max";
    case VectorOp::kCount: return "count";
    case VectorOp::kStddev: return "stddev";
    case VectorOp::kStdvar: return "stdvar";
    case VectorOp::kTopk: return "topk";
    case VectorOp::kBottomk: return "bottomk";
  }
  return "";
}

std::string MatcherString(const Matcher& m) { return m.name + index::MatcherOpText(m.type) + GoQuote(m.value); }

std::string LabelFilter::String() const {
  switch (kind) {
    case Kind::kString: return MatcherString(matcher);
    case Kind::kNumber: return name + CompareOpName(op) + GoFormatFloat(number, 'f', -1);
    case Kind::kDuration: return name + CompareOpName(op) + FormatGoDuration(duration_ns);
    case Kind::kAnd:
    case Kind::kOr: {
      std::string out = "( ";
      out += left ? left->String() : "";
      out += kind == Kind::kAnd ? " , " : " or ";
      out += right ? right->String() : "";
      out += " )";
      return out;
    }
  }
  return "";
}

std::string StageString(const Stage& s) {
  return std::visit(
      Overloaded{
          [](const LineFilterStage& f) {
            std::string out = std::string(LineMatchTypeName(f.type)) + " " + GoQuote(f.match);
            for (const std::string& m : f.or_matches) out += " or " + GoQuote(m);
            return out;
          },
          [](const ParserStage& p) {
            if (p.kind == ParserStage::Kind::kLogfmt) return std::string("| logfmt");
            if (p.params.empty()) return std::string("| json");
            std::string out = "| json ";
            for (size_t i = 0; i < p.params.size(); ++i) {
              if (i > 0) out += ",";
              out += p.params[i].label + "=" + GoQuote(p.params[i].expression);
            }
            return out;
          },
          [](const LabelFilterStage& f) { return "| " + (f.filter ? f.filter->String() : std::string()); },
          [](const LineFormatStage& f) { return "| line_format " + GoQuote(f.template_text); },
          [](const LabelsStage& l) {
            std::string out = l.keep ? "| keep " : "| drop ";
            for (size_t i = 0; i < l.items.size(); ++i) {
              if (i > 0) out += ",";
              out += l.items[i].has_matcher ? MatcherString(l.items[i].matcher) : l.items[i].name;
            }
            return out;
          },
      },
      s);
}

std::string LogSelector::String() const {
  std::string out = "{";
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i > 0) out += ", ";
    out += MatcherString(matchers[i]);
  }
  out += "}";
  if (!pipeline.empty()) {
    out += " ";
    for (size_t i = 0; i < pipeline.size(); ++i) {
      if (i > 0) out += " ";
      out += StageString(pipeline[i]);
    }
  }
  return out;
}

std::string LogRange::String() const { return selector.String() + "[" + FormatDuration(range_ms) + "]"; }

std::string Expr::String() const {
  return std::visit(
      Overloaded{
          [](const LogSelector& s) { return s.String(); },
          [](const RangeAggregation& r) { return std::string(RangeOpName(r.op)) + "(" + r.range.String() + ")"; },
          [](const VectorAggregation& v) {
            std::string out = VectorOpName(v.op);
            // Loki drops a grouping that is `by ()` (it changes nothing).
            if (v.has_grouping && (v.without || !v.grouping.empty())) {
              out += v.without ? " without (" : " by (";
              for (size_t i = 0; i < v.grouping.size(); ++i) {
                if (i > 0) out += ",";
                out += v.grouping[i];
              }
              out += ")";
            }
            out += "(";
            if (v.op == VectorOp::kTopk || v.op == VectorOp::kBottomk) {
              out += std::to_string(v.k) + ",";
            }
            out += v.expr ? v.expr->String() : "";
            out += ")";
            return out;
          },
      },
      node);
}

const LogSelector& SelectorOf(const Expr& e) {
  const Expr* cur = &e;
  while (const auto* v = std::get_if<VectorAggregation>(&cur->node)) cur = v->expr.get();
  if (const auto* r = std::get_if<RangeAggregation>(&cur->node)) return r->range.selector;
  return std::get<LogSelector>(cur->node);
}

int64_t RangeOf(const Expr& e) {
  const Expr* cur = &e;
  while (const auto* v = std::get_if<VectorAggregation>(&cur->node)) cur = v->expr.get();
  if (const auto* r = std::get_if<RangeAggregation>(&cur->node)) return r->range.range_ms;
  return 0;
}

}  // namespace gnomon::logs::logql
