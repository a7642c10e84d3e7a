// Functions over range vectors (a matrix selector or a subquery): rate/irate/increase/delta/
// idelta with Prometheus' extrapolation, deriv/predict_linear, resets, changes, holt_winters and
// the *_over_time family. Each series' samples are loaded once; the window of each step is found
// by advancing two indices.
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "query/promql/eval_internal.h"

namespace gnomon::promql {
namespace {

enum class Fn {
  kRate, kIncrease, kDelta, kIrate, kIdelta, kDeriv, kPredictLinear, kResets, kChanges, kHoltWinters,
  kAvg, kSum, kMin, kMax, kCount, kLast, kStddev, kStdvar, kQuantile, kPresent,
};

const std::unordered_map<std::string_view, Fn>& Table() {
  static const std::unordered_map<std::string_view, Fn> t = {
      {"rate", Fn::kRate}, {"increase", Fn::kIncrease}, {"delta", Fn::kDelta}, {"irate", Fn::kIrate},
      {"idelta", Fn::kIdelta}, {"deriv", Fn::kDeriv}, {"predict_linear", Fn::kPredictLinear},
      {"resets", Fn::kResets}, {"changes", Fn::kChanges}, {"holt_winters", Fn::kHoltWinters},
      {"avg_over_time", Fn::kAvg}, {"sum_over_time", Fn::kSum}, {"min_over_time", Fn::kMin},
      {"max_over_time", Fn::kMax}, {"count_over_time", Fn::kCount}, {"last_over_time", Fn::kLast},
      {"stddev_over_time", Fn::kStddev}, {"stdvar_over_time", Fn::kStdvar},
      {"quantile_over_time", Fn::kQuantile}, {"present_over_time", Fn::kPresent},
  };
  return t;
}

struct WindowCtx {
  int64_t range_start;  // maxt - range
  int64_t range_end;    // maxt
  int64_t range_ms;
  int64_t step_ts;      // evaluation time of the step (predict_linear's intercept)
  double arg1 = 0, arg2 = 0;
};

// Prometheus' extrapolatedRate.
std::optional<double> ExtrapolatedRate(std::span<const Sample> s, const WindowCtx& c, bool is_counter, bool is_rate) {
  if (s.size() < 2) return std::nullopt;
  double result = s.back().value - s.front().value;
  if (is_counter) {
    double last = 0;
    for (const Sample& p : s) {
      if (p.value < last) result += last;
      last = p.value;
    }
  }
  double to_start = static_cast<double>(s.front().timestamp - c.range_start) / 1000;
  const double to_end = static_cast<double>(c.range_end - s.back().timestamp) / 1000;
  const double sampled = static_cast<double>(s.back().timestamp - s.front().timestamp) / 1000;
  const double avg_between = sampled / static_cast<double>(s.size() - 1);
  if (is_counter && result > 0 && s.front().value >= 0) {
    const double to_zero = sampled * (s.front().value / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  const double threshold = avg_between * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_between / 2;
  interval += to_end < threshold ? to_end : avg_between / 2;
  result = result * (interval / sampled);
  if (is_rate) result /= static_cast<double>(c.range_ms) / 1000;
  return result;
}

std::optional<double> InstantValue(std::span<const Sample> s, bool is_rate) {
  if (s.size() < 2) return std::nullopt;
  const Sample& last = s[s.size() - 1];
  const Sample& prev = s[s.size() - 2];
  double result = (is_rate && last.value < prev.value) ? last.value : last.value - prev.value;
  const int64_t interval = last.timestamp - prev.timestamp;
  if (interval == 0) return std::nullopt;
  if (is_rate) result /= static_cast<double>(interval) / 1000;
  return result;
}

// Least squares with Kahan sums, as Prometheus' linearRegression.
std::pair<double, double> LinearRegression(std::span<const Sample> s, int64_t intercept_time) {
  double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
  const double init_y = s[0].value;
  bool const_y = true;
  for (size_t i = 0; i < s.size(); ++i) {
    const double v = s[i].value;
    if (const_y && i > 0 && v != init_y) const_y = false;
    n += 1;
    const double x = static_cast<double>(s[i].timestamp - intercept_time) / 1e3;
    sx = KahanSumInc(x, sx, &cx);
    sy = KahanSumInc(v, sy, &cy);
    sxy = KahanSumInc(x * v, sxy, &cxy);
    sx2 = KahanSumInc(x * x, sx2, &cx2);
  }
  if (const_y) {
    if (std::isinf(init_y)) return {std::nan(""), std::nan("")};
    return {0, init_y};
  }
  sx += cx;
  sy += cy;
  sxy += cxy;
  sx2 += cx2;
  const double cov = sxy - sx * sy / n;
  const double var = sx2 - sx * sx / n;
  const double slope = cov / var;
  return {slope, sy / n - slope * sx / n};
}

std::string GoF(double v) {  // Go's %f
  char buf[64];
  std::snprintf(buf, sizeof buf, "%f", v);
  return buf;
}

std::optional<double> HoltWinters(std::span<const Sample> s, double sf, double tf) {
  if (sf <= 0 || sf >= 1) ThrowExec("invalid smoothing factor. Expected: 0 < sf < 1, got: " + GoF(sf));
  if (tf <= 0 || tf >= 1) ThrowExec("invalid trend factor. Expected: 0 < tf < 1, got: " + GoF(tf));
  if (s.size() < 2) return std::nullopt;
  double s0 = 0, s1 = s[0].value, b = s[1].value - s[0].value;
  for (size_t i = 1; i < s.size(); ++i) {
    const double x = sf * s[i].value;
    if (i - 1 != 0) b = tf * (s1 - s0) + (1 - tf) * b;  // calcTrendValue(i-1, ...)
    const double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

// Prometheus' min/max_over_time: a NaN is replaced by the next value and never wins afterwards.
// Skipping leading NaNs first lets the rest be branchless minsd/maxsd (they keep the accumulator
// when the sample is NaN), in four independent chains so that a long window is not one chain of
// dependent instructions. Lanes only reorder the comparisons, which changes nothing but which of
// two equal values is kept: for a result of zero (+0 against -0) the window is walked again in
// order. Out of line, so the accumulators stay in registers.
template <typename Better>
double ExtremeOverWindow(std::span<const Sample> w, Better better) {
  size_t k = 0;
  while (k + 1 < w.size() && std::isnan(w[k].value)) ++k;
  const double first = w[k].value;
  double a0 = first, a1 = first, a2 = first, a3 = first;
  size_t i = k + 1;
  for (; i + 4 <= w.size(); i += 4) {
    a0 = better(w[i].value, a0) ? w[i].value : a0;
    a1 = better(w[i + 1].value, a1) ? w[i + 1].value : a1;
    a2 = better(w[i + 2].value, a2) ? w[i + 2].value : a2;
    a3 = better(w[i + 3].value, a3) ? w[i + 3].value : a3;
  }
  for (; i < w.size(); ++i) a0 = better(w[i].value, a0) ? w[i].value : a0;
  double v = better(a1, a0) ? a1 : a0;
  v = better(a2, v) ? a2 : v;
  v = better(a3, v) ? a3 : v;
  if (v == 0) {
    v = first;
    for (size_t j = k + 1; j < w.size(); ++j) v = better(w[j].value, v) ? w[j].value : v;
  }
  return v;
}

[[gnu::noinline]] double MaxOverWindow(std::span<const Sample> w) {
  return ExtremeOverWindow(w, [](double x, double acc) { return acc < x; });
}

[[gnu::noinline]] double MinOverWindow(std::span<const Sample> w) {
  return ExtremeOverWindow(w, [](double x, double acc) { return x < acc; });
}

std::optional<double> Compute(Fn fn, std::span<const Sample> w, const WindowCtx& c, std::vector<double>* scratch) {
  switch (fn) {
    case Fn::kRate: return ExtrapolatedRate(w, c, true, true);
    case Fn::kIncrease: return ExtrapolatedRate(w, c, true, false);
    case Fn::kDelta: return ExtrapolatedRate(w, c, false, false);
    case Fn::kIrate: return InstantValue(w, true);
    case Fn::kIdelta: return InstantValue(w, false);
    case Fn::kDeriv:
      if (w.size() < 2) return std::nullopt;
      return LinearRegression(w, w[0].timestamp).first;
    case Fn::kPredictLinear: {
      if (w.size() < 2) return std::nullopt;
      auto [slope, intercept] = LinearRegression(w, c.step_ts);
      return slope * c.arg1 + intercept;
    }
    case Fn::kResets: {
      double n = 0;
      for (size_t i = 1; i < w.size(); ++i) n += w[i].value < w[i - 1].value ? 1 : 0;
      return n;
    }
    case Fn::kChanges: {
      double n = 0;
      for (size_t i = 1; i < w.size(); ++i) {
        const double cur = w[i].value, prev = w[i - 1].value;
        if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) n += 1;
      }
      return n;
    }
    case Fn::kHoltWinters: return HoltWinters(w, c.arg1, c.arg2);
    case Fn::kAvg: {
      double mean = 0, count = 0, comp = 0;
      for (const Sample& p : w) {
        count++;
        const double v = p.value;
        if (std::isinf(mean)) {
          if (std::isinf(v) && (mean > 0) == (v > 0)) continue;
          if (!std::isinf(v) && !std::isnan(v)) continue;
        }
        mean = KahanSumInc(v / count - mean / count, mean, &comp);
      }
      return std::isinf(mean) ? mean : mean + comp;
    }
    case Fn::kSum: {
      double sum = 0, comp = 0;
      for (const Sample& p : w) sum = KahanSumInc(p.value, sum, &comp);
      return std::isinf(sum) ? sum : sum + comp;
    }
    // Prometheus: a NaN is replaced by the next value and never wins afterwards. Skipping leading
    // NaNs first lets the rest be a branchless min/max (minsd/maxsd keep the first operand when
    // the second is NaN), which matters on unpredictable data.
    case Fn::kMin: return MinOverWindow(w);
    case Fn::kMax: return MaxOverWindow(w);
    case Fn::kCount: return static_cast<double>(w.size());
    case Fn::kLast: return w.back().value;
    case Fn::kPresent: return 1.0;
    case Fn::kStddev:
    case Fn::kStdvar: {
      double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
      for (const Sample& p : w) {
        count++;
        const double delta = p.value - (mean + cmean);
        mean = KahanSumInc(delta / count, mean, &cmean);
        aux = KahanSumInc(delta * (p.value - (mean + cmean)), aux, &caux);
      }
      const double var = (aux + caux) / count;
      return fn == Fn::kStddev ? std::sqrt(var) : var;
    }
    case Fn::kQuantile: {
      scratch->clear();
      for (const Sample& p : w) scratch->push_back(p.value);
      return QuantileOf(c.arg1, scratch);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Value> EvalRangeFunction(Evaluator& ev, const Call& call) {
  auto it = Table().find(call.func);
  if (it == Table().end()) return std::nullopt;
  const Fn fn = it->second;
  const size_t matrix_arg = fn == Fn::kQuantile ? 1 : 0;
  if (call.args.size() <= matrix_arg) ThrowStatus(Status::InvalidArgument("missing range vector argument"));
  std::vector<double> arg1, arg2;
  if (fn == Fn::kQuantile) arg1 = ev.EvalScalarArg(*call.args[0]);
  if (fn == Fn::kPredictLinear || fn == Fn::kHoltWinters) arg1 = ev.EvalScalarArg(*call.args.at(1));
  if (fn == Fn::kHoltWinters) arg2 = ev.EvalScalarArg(*call.args.at(2));

  Value out;
  out.type = ValueType::kVector;
  RangeWindowSpec spec;
  // Runs on several threads at once (Evaluator::MapSelection): only reads what it shares.
  auto per_series = [&](const Labels& labels, std::span<const Sample> samples, Matrix* result) {
    std::vector<double> scratch;
    Series s{fn == Fn::kLast ? labels : DropMetricName(labels), {}};
    ForEachWindow(ev, spec, samples, [&](size_t i, std::span<const Sample> w) {
      WindowCtx c;
      c.range_end = (spec.at_ms ? *spec.at_ms : ev.StepTime(i)) - spec.offset_ms;
      c.range_start = c.range_end - spec.range_ms;
      c.range_ms = spec.range_ms;
      c.step_ts = ev.StepTime(i);
      if (!arg1.empty()) c.arg1 = arg1[i];
      if (!arg2.empty()) c.arg2 = arg2[i];
      if (auto v = Compute(fn, w, c, &scratch)) s.points.push_back({ev.StepTime(i), *v});
    });
    if (!s.points.empty()) result->push_back(std::move(s));
  };
  out.series = ev.MapRangeSeries(*call.args[matrix_arg], &spec, per_series);
  // Prometheus checks the whole result (not step by step) for equal labelsets here.
  SortByLabels(&out.series);
  for (size_t i = 1; i < out.series.size() && !ev.relax_name_dups(); ++i) {
    if (out.series[i].labels == out.series[i - 1].labels) {
      ThrowExec("vector cannot contain metrics with the same labelset");
    }
  }
  return out;
}

}  // namespace gnomon::promql
