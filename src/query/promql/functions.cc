// Function calls: dispatch to the function families (functions_*.cc), and the few functions that
// belong to none of them (vector, scalar, sort, absent).
#include <algorithm>
#include <cmath>

#include "query/promql/eval_internal.h"

namespace gnomon::promql {
namespace {

// Labels that absent()/absent_over_time() report: the equality matchers of a selector argument
// (not __name__); a label matched more than once or by another matcher type is left out.
Labels AbsentLabels(const Expr& arg) {
  const VectorSelector* vs = std::get_if<VectorSelector>(&arg.node);
  if (auto* ms = std::get_if<MatrixSelector>(&arg.node)) vs = std::get_if<VectorSelector>(&ms->vector_selector->node);
  Labels out;
  if (!vs) return out;
  std::vector<std::string> drop;
  for (const Matcher& m : vs->matchers) {
    if (m.name == kMetricNameLabel) continue;
    if (m.type == Matcher::Type::kEqual && !GetLabel(out, m.name)) {
      SetLabel(out, m.name, m.value);
    } else {
      drop.push_back(m.name);
    }
  }
  for (const std::string& d : drop) DelLabel(out, d);
  return out;
}

Value SortByValue(Value v, bool desc) {
  // Prometheus 2.x sorts each step's vector; only instant queries show the order.
  std::stable_sort(v.series.begin(), v.series.end(), [&](const Series& a, const Series& b) {
    const double x = a.points.empty() ? 0 : a.points[0].value;
    const double y = b.points.empty() ? 0 : b.points[0].value;
    // NaN sorts last in both directions.
    if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
    return desc ? x > y : x < y;
  });
  return v;
}

}  // namespace

double KahanSumInc(double inc, double sum, double* c) {
  const double t = sum + inc;
  if (std::fabs(sum) >= std::fabs(inc)) {
    *c += (sum - t) + inc;
  } else {
    *c += (inc - t) + sum;
  }
  return t;
}

double QuantileOf(double q, std::vector<double>* values) {
  if (values->empty()) return std::nan("");
  if (std::isnan(q)) return std::nan("");
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  // NaN sorts first (Prometheus' vectorByValueHeap).
  std::sort(values->begin(), values->end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
    return a < b;
  });
  const double n = static_cast<double>(values->size());
  const double rank = q * (n - 1);
  const double lower = std::max(0.0, std::floor(rank));
  const double upper = std::min(n - 1, lower + 1);
  const double weight = rank - std::floor(rank);
  return (*values)[static_cast<size_t>(lower)] * (1 - weight) + (*values)[static_cast<size_t>(upper)] * weight;
}

Value Evaluator::EvalCall(const Call& c) {
  const std::string& f = c.func;
  if (f == "vector") {
    std::vector<double> s = EvalScalarArg(*c.args.at(0));
    Value v;
    v.type = ValueType::kVector;
    Series out;
    for (size_t i = 0; i < NumSteps(); ++i) out.points.push_back({StepTime(i), s[i]});
    if (!out.points.empty()) v.series.push_back(std::move(out));
    return v;
  }
  if (f == "scalar") {
    Value in = Eval(*c.args.at(0));
    Value v;
    v.type = ValueType::kScalar;
    v.scalars.assign(NumSteps(), std::nan(""));
    std::vector<uint32_t> count(NumSteps(), 0);
    for (const Series& s : in.series) {
      for (const Sample& p : s.points) {
        const size_t i = StepIndex(p.timestamp);
        if (++count[i] == 1) v.scalars[i] = p.value;
      }
    }
    for (size_t i = 0; i < NumSteps(); ++i) {
      if (count[i] != 1) v.scalars[i] = std::nan("");
    }
    return v;
  }
  if (f == "sort" || f == "sort_desc") {
    Value in = Eval(*c.args.at(0));
    return SortByValue(std::move(in), f == "sort_desc");
  }
  // absent / absent_over_time: 1 at each step where the argument had nothing, labelled from its
  // equality matchers.
  auto absent_result = [&](const std::vector<bool>& present) {
    Series out{AbsentLabels(*c.args.at(0)), {}};
    for (size_t i = 0; i < NumSteps(); ++i) {
      if (!present[i]) out.points.push_back({StepTime(i), 1});
    }
    Value v;
    v.type = ValueType::kVector;
    if (!out.points.empty()) v.series.push_back(std::move(out));
    return v;
  };
  if (f == "absent") {
    Value in = Eval(*c.args.at(0));
    std::vector<bool> present(NumSteps(), false);
    for (const Series& s : in.series) {
      for (const Sample& p : s.points) present[StepIndex(p.timestamp)] = true;
    }
    return absent_result(present);
  }
  if (f == "absent_over_time") {
    RangeWindowSpec spec;
    // One series per input holding a point at each step where its window has samples.
    Matrix covered = MapRangeSeries(*c.args.at(0), &spec, [&](const Labels&, std::span<const Sample> samples, Matrix* out) {
      Series s;
      ForEachWindow(*this, spec, samples, [&](size_t i, std::span<const Sample>) { s.points.push_back({StepTime(i), 0}); });
      if (!s.points.empty()) out->push_back(std::move(s));
    });
    std::vector<bool> present(NumSteps(), false);
    for (const Series& s : covered) {
      for (const Sample& p : s.points) present[StepIndex(p.timestamp)] = true;
    }
    return absent_result(present);
  }
  if (auto v = EvalRangeFunction(*this, c)) return std::move(*v);
  if (auto v = EvalMathFunction(*this, c)) return std::move(*v);
  if (auto v = EvalTimeFunction(*this, c)) return std::move(*v);
  if (auto v = EvalLabelFunction(*this, c)) return std::move(*v);
  if (auto v = EvalHistogramFunction(*this, c)) return std::move(*v);
  ThrowStatus(Status::InvalidArgument("unknown function with name \"" + f + "\""));
}

}  // namespace gnomon::promql
