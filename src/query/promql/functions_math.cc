// Element-wise math on instant vectors: abs ceil floor exp ln log2 log10 sqrt, trigonometry,
// rad/deg, sgn, round(v, to_nearest), clamp/clamp_min/clamp_max, and pi(). All drop __name__.
#include <cmath>
#include <numbers>
#include <unordered_map>

#include "query/promql/eval_internal.h"

namespace gnomon::promql {
namespace {

using UnaryFn = double (*)(double);

const std::unordered_map<std::string_view, UnaryFn>& Simple() {
  static const std::unordered_map<std::string_view, UnaryFn> t = {
      {"abs", [](double v) { return std::fabs(v); }},
      {"ceil", [](double v) { return std::ceil(v); }},
      {"floor", [](double v) { return std::floor(v); }},
      {"exp", [](double v) { return std::exp(v); }},
      {"ln", [](double v) { return std::log(v); }},
      {"log2", [](double v) { return std::log2(v); }},
      {"log10", [](double v) { return std::log10(v); }},
      {"sqrt", [](double v) { return std::sqrt(v); }},
      {"sin", [](double v) { return std::sin(v); }},
      {"cos", [](double v) { return std::cos(v); }},
      {"tan", [](double v) { return std::tan(v); }},
      {"asin", [](double v) { return std::asin(v); }},
      {"acos", [](double v) { return std::acos(v); }},
      {"atan", [](double v) { return std::atan(v); }},
      {"sinh", [](double v) { return std::sinh(v); }},
      {"cosh", [](double v) { return std::cosh(v); }},
      {"tanh", [](double v) { return std::tanh(v); }},
      {"asinh", [](double v) { return std::asinh(v); }},
      {"acosh", [](double v) { return std::acosh(v); }},
      {"atanh", [](double v) { return std::atanh(v); }},
      {"rad", [](double v) { return v * std::numbers::pi / 180; }},
      {"deg", [](double v) { return v * 180 / std::numbers::pi; }},
      {"sgn", [](double v) { return v < 0 ? -1.0 : v > 0 ? 1.0 : v; }},
  };
  return t;
}

}  // namespace

std::optional<Value> EvalMathFunction(Evaluator& ev, const Call& call) {
  const std::string& f = call.func;
  if (f == "pi") {
    Value v;
    v.type = ValueType::kScalar;
    v.scalars.assign(ev.NumSteps(), std::numbers::pi);
    return v;
  }
  if (auto it = Simple().find(f); it != Simple().end()) {
    UnaryFn fn = it->second;
    return MapVector(ev, ev.Eval(*call.args.at(0)), true, [fn](double v, int64_t) { return fn(v); });
  }
  if (f == "round") {
    std::vector<double> nearest;
    if (call.args.size() >= 2) nearest = ev.EvalScalarArg(*call.args[1]);
    return MapVector(ev, ev.Eval(*call.args.at(0)), true, [&](double v, int64_t t) {
      const double to = nearest.empty() ? 1.0 : nearest[ev.StepIndex(t)];
      const double inv = 1.0 / to;  // inverted as Prometheus does, for fewer rounding surprises
      return std::floor(v * inv + 0.5) / inv;
    });
  }
  if (f == "clamp_min" || f == "clamp_max") {
    std::vector<double> bound = ev.EvalScalarArg(*call.args.at(1));
    const bool is_min = f == "clamp_min";
    return MapVector(ev, ev.Eval(*call.args.at(0)), true, [&](double v, int64_t t) {
      const double b = bound[ev.StepIndex(t)];
      return is_min ? GoMax(b, v) : GoMin(b, v);
    });
  }
  if (f == "clamp") {
    std::vector<double> lo = ev.EvalScalarArg(*call.args.at(1));
    std::vector<double> hi = ev.EvalScalarArg(*call.args.at(2));
    Value in = ev.Eval(*call.args.at(0));
    for (Series& s : in.series) {
      s.labels = DropMetricName(s.labels);
      std::vector<Sample> pts;
      for (const Sample& p : s.points) {
        const size_t i = ev.StepIndex(p.timestamp);
        if (hi[i] < lo[i]) continue;  // max < min: no output at this step
        pts.push_back({p.timestamp, GoMax(lo[i], GoMin(hi[i], p.value))});
      }
      s.points = std::move(pts);
    }
    std::erase_if(in.series, [](const Series& s) { return s.points.empty(); });
    ev.MergeAfterNameDrop(&in.series);
    return in;
  }
  return std::nullopt;
}

}  // namespace gnomon::promql
