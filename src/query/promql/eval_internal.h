// Internals of the PromQL engine (engine.h is the public contract).
//
// Every expression is evaluated over all steps of the query at once, Prometheus-style: an instant
// vector becomes a list of series, each with points at the step timestamps where it had a value;
// a scalar becomes one value per step. Label-derived work (grouping keys, match signatures, output
// labels) is done once per series rather than once per step, and each selector reads storage once
// for the whole query range.
//
// Errors inside the evaluator are thrown as EvalError and turned into a Status by engine.cc; no
// exception leaves the engine.
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/db.h"
#include "query/promql/ast.h"
#include "query/promql/engine.h"
#include "util/stale_marker.h"

namespace gnomon::promql {

struct EvalError {
  Status status;
};
[[noreturn]] void ThrowExec(std::string msg);  // FailedPrecondition (422 execution)

// Evaluation times (query times and @ times) stay within ±2^61 ms (±73 million years): with
// ranges, offsets and subquery steps bounded by the parser (±292 years each, at most 1000 nested
// levels) every timestamp the evaluator computes then fits in int64.
inline constexpr int64_t kMaxEvalTimeMs = int64_t{1} << 61;
// InvalidArgument naming `what` if t is outside ±kMaxEvalTimeMs.
Status CheckEvalTime(int64_t t, const char* what);
[[noreturn]] void ThrowStatus(Status s);

// ---- labels helpers -----------------------------------------------------------------------
// Label sets as text for messages: index::LabelsToString (index/labels_util.h).
const std::string* GetLabel(const Labels& l, std::string_view name);
void SetLabel(Labels& l, std::string_view name, std::string_view value);  // "" deletes
void DelLabel(Labels& l, std::string_view name);
Labels DropMetricName(const Labels& l);
// Go's strconv.ParseFloat (histogram `le`); FormatFloat is GoFormatFloat (util/go_strconv.h).
bool ParseFloatGo(std::string_view s, double* out);

// ---- values -------------------------------------------------------------------------------
struct Series {
  Labels labels;
  std::vector<Sample> points;  // time order; for step series t is the step timestamp
};
using Matrix = std::vector<Series>;

struct Value {
  ValueType type = ValueType::kNone;
  Matrix series;                // kVector: step series; kMatrix: raw samples (instant queries)
  std::vector<double> scalars;  // kScalar: one per step
  std::string str;              // kString
};

// Merges series with equal labels (their points interleave in time); two points at the same
// step mean two series with the same labelset → "vector cannot contain metrics with the same
// labelset". Result is sorted by labels.
void MergeSameLabels(Matrix* m);
void SortByLabels(Matrix* m);

// State shared by an evaluator and the evaluators of its subqueries. The counters are atomic:
// selections are read by several threads at once (Evaluator::MapSelection).
struct EvalContext {
  DB* db = nullptr;
  QueryOptions options;
  int64_t query_start = 0;  // for @ start()
  int64_t query_end = 0;    // for @ end()
  std::chrono::steady_clock::time_point deadline;
  bool has_deadline = false;
  std::atomic<uint64_t> samples{0};
  std::atomic<uint64_t> series{0};
  std::atomic<uint32_t> tick{0};

  void CheckDeadline();        // throws Aborted once past the deadline
  void MaybeCheckDeadline() {  // cheap; checks the clock every 256 calls
    if (((tick.fetch_add(1, std::memory_order_relaxed) + 1) & 255) == 0) CheckDeadline();
  }
  void AddSamples(uint64_t n);  // throws ResourceExhausted past max_samples
  void AddSeries(uint64_t n);   // throws ResourceExhausted past max_series
  [[noreturn]] void ThrowSeriesLimit() const;  // the error AddSeries throws
  // Throws ResourceExhausted if an evaluation over `steps` steps would pass max_samples (each step
  // holds at least one value).
  void CheckSteps(uint64_t steps) const;
};

// Per-series samples for one range argument (a matrix selector or a subquery) and how to place
// each step's window: [maxt - range, maxt] with maxt = (at ? *at : step) - offset (Prometheus 2.x
// windows are closed on both ends).
struct RangeWindowSpec {
  int64_t range_ms = 0;
  int64_t offset_ms = 0;
  std::optional<int64_t> at_ms;
};

class Evaluator {
 public:
  Evaluator(EvalContext* ctx, int64_t start, int64_t end, int64_t interval);

  Value Eval(const Expr& e);
  // Eval for the argument of an aggregation that drops __name__ (see MergeAfterNameDrop).
  Value EvalAggregationArg(const Expr& e);

  size_t NumSteps() const { return num_steps_; }
  int64_t StepTime(size_t i) const { return start_ + static_cast<int64_t>(i) * interval_; }
  size_t StepIndex(int64_t t) const { return static_cast<size_t>((t - start_) / interval_); }
  int64_t start() const { return start_; }
  int64_t end() const { return end_; }
  int64_t interval() const { return interval_; }
  EvalContext* ctx() { return ctx_; }

  std::optional<int64_t> ResolveAt(const std::optional<AtModifier>& at) const;

  // Instant vector selector over all steps. With `timestamps`, the value of each point is the
  // timestamp (seconds) of the sample it came from (for timestamp()).
  Value EvalVectorSelector(const VectorSelector& vs, bool timestamps);

  // Per-series work: turns one series' samples into zero or more output series (appended to
  // *out). It runs on several threads at once, so it may only read shared state.
  using SeriesFn = std::function<void(const Labels& labels, std::span<const Sample> samples, Matrix* out)>;
  // Reads every series matching `matchers` with its samples in [mint, maxt] (stale markers
  // dropped if `drop_stale`) and applies fn, spreading the series over up to
  // options.parallelism threads. The output keeps the selection's label order. Counts series and
  // samples against the limits and checks the deadline; the first error is thrown once all
  // threads stopped.
  Matrix MapSelection(const Matchers& matchers, int64_t mint, int64_t maxt, bool drop_stale, const SeriesFn& fn);
  // MapSelection over a range argument (MatrixSelector or SubqueryExpr, parentheses unwrapped):
  // fn sees each series' samples without stale markers; fills *spec with the window placement.
  Matrix MapRangeSeries(const Expr& arg, RangeWindowSpec* spec, const SeriesFn& fn);
  // A range argument evaluated as a raw matrix at a single time (instant queries).
  Value EvalRangeRaw(const Expr& e, int64_t t);

  // Expression kinds, each in its own file.
  Value EvalBinary(const BinaryExpr& e);
  Value EvalAggregate(const AggregateExpr& e);
  Value EvalCall(const Call& e);
  Value EvalSubqueryMatrix(const SubqueryExpr& e, RangeWindowSpec* spec);

  // A scalar-typed argument, one value per step.
  std::vector<double> EvalScalarArg(const Expr& e);

  // After __name__ was dropped: series that now share labels are merged, and two of them at the
  // same step are an error ("vector cannot contain metrics with the same labelset") — except
  // directly under an aggregation that drops __name__ anyway (sum by (host) (rate({__name__=~
  // "cpu_.*"}[5m]))), where the series are left apart for the aggregation to combine, as
  // Prometheus 3 does with delayed name removal. Prometheus 2.x fails such queries.
  bool relax_name_dups() const { return relax_current_; }
  void MergeAfterNameDrop(Matrix* m) {
    if (!relax_current_) MergeSameLabels(m);
  }

 private:
  EvalContext* ctx_;
  bool relax_current_ = false;  // see MergeAfterNameDrop; applies to the node being evaluated
  bool relax_next_ = false;     // set by an aggregation for its argument
  int64_t start_, end_, interval_;
  size_t num_steps_;
};

// The first index in [from, to) whose sample is not `before` (a predicate true for a prefix of
// the range), searched by galloping from `from`: O(log d) for a distance d, so a window's edge
// moves cheaply both by a few samples (short steps) and by thousands (a day's step).
template <typename Before>
size_t GallopTo(std::span<const Sample> samples, size_t from, size_t to, Before&& before) {
  size_t step = 1, lo = from;
  while (lo + step < to && before(samples[lo + step])) {
    lo += step;
    step *= 2;
  }
  if (lo == from && (lo == to || !before(samples[lo]))) return lo;
  auto it = std::partition_point(samples.begin() + static_cast<ptrdiff_t>(lo + 1),
                                 samples.begin() + static_cast<ptrdiff_t>(std::min(lo + step, to)), before);
  return static_cast<size_t>(it - samples.begin());
}

// Walks the windows of `samples` over the evaluator's steps: calls fn(step_index, window) for
// every step whose window is non-empty.
template <typename Fn>
void ForEachWindow(const Evaluator& ev, const RangeWindowSpec& spec, std::span<const Sample> samples,
                   Fn&& fn) {
  size_t lo = 0, hi = 0;
  const size_t n = samples.size();
  for (size_t i = 0; i < ev.NumSteps(); ++i) {
    const int64_t maxt = (spec.at_ms ? *spec.at_ms : ev.StepTime(i)) - spec.offset_ms;
    const int64_t mint = maxt - spec.range_ms;
    hi = GallopTo(samples, hi, n, [maxt](const Sample& s) { return s.timestamp <= maxt; });
    lo = GallopTo(samples, lo, hi, [mint](const Sample& s) { return s.timestamp < mint; });
    if (lo < hi) fn(i, samples.subspan(lo, hi - lo));
  }
}

// ---- function families (functions_*.cc) ----------------------------------------------------
// Each returns std::nullopt when `name` is not one of its functions.
std::optional<Value> EvalRangeFunction(Evaluator& ev, const Call& call);       // rate, *_over_time, ...
std::optional<Value> EvalMathFunction(Evaluator& ev, const Call& call);        // abs, clamp, round, ...
std::optional<Value> EvalLabelFunction(Evaluator& ev, const Call& call);       // label_replace/join
std::optional<Value> EvalTimeFunction(Evaluator& ev, const Call& call);        // time, timestamp, dates
std::optional<Value> EvalHistogramFunction(Evaluator& ev, const Call& call);   // histogram_quantile

// Prometheus' quantile over plain values (sorts `values`).
double QuantileOf(double q, std::vector<double>* values);
double KahanSumInc(double inc, double sum, double* c);
// Go's math.Max / math.Min: NaN wins, +0 > -0 (std::fmax would drop the NaN).
inline double GoMax(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::nan("");
  if (a == 0 && b == 0) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
inline double GoMin(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::nan("");
  if (a == 0 && b == 0) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

// Applies f(value, step) to every point, optionally dropping __name__, then merges equal labels.
template <typename F>
Value MapVector(Evaluator& ev, Value in, bool drop_name, F&& f) {
  for (Series& s : in.series) {
    if (drop_name) s.labels = DropMetricName(s.labels);
    for (Sample& p : s.points) p.value = f(p.value, p.timestamp);
  }
  if (drop_name) ev.MergeAfterNameDrop(&in.series);
  return in;
}

}  // namespace gnomon::promql
