// The PromQL engine's entry points and the core of the evaluator: literals, selectors, subqueries,
// unary minus, limits. Binary operators, aggregations and functions live in eval_*.cc and
// functions_*.cc.
#include "query/promql/engine.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <exception>
#include <system_error>
#include <iterator>
#include <thread>

#include "query/promql/eval_internal.h"
#include "query/promql/parser.h"

namespace gnomon::promql {

// ---- errors, limits -------------------------------------------------------------------------

void ThrowExec(std::string msg) { throw EvalError{Status::FailedPrecondition(std::move(msg))}; }
void ThrowStatus(Status s) { throw EvalError{std::move(s)}; }

void EvalContext::CheckDeadline() {
  if (has_deadline && std::chrono::steady_clock::now() > deadline) {
    ThrowStatus(Status::Aborted("query timed out in expression evaluation"));
  }
}

void EvalContext::AddSamples(uint64_t n) {
  const uint64_t total = samples.fetch_add(n, std::memory_order_relaxed) + n;
  if (options.max_samples != 0 && total > options.max_samples) {
    ThrowStatus(Status::ResourceExhausted("query processing would load too many samples into memory in query execution (limit " +
                                          std::to_string(options.max_samples) + ")"));
  }
}

void EvalContext::CheckSteps(uint64_t steps) const {
  if (options.max_samples != 0 && steps > options.max_samples) {
    ThrowStatus(Status::ResourceExhausted("query processing would load too many samples into memory in query execution (" +
                                          std::to_string(steps) + " evaluation steps, limit " +
                                          std::to_string(options.max_samples) + ")"));
  }
}

Status CheckEvalTime(int64_t t, const char* what) {
  if (t >= -kMaxEvalTimeMs && t <= kMaxEvalTimeMs) return Status::OK();
  return Status::InvalidArgument(std::string(what) + " out of range: queries are evaluated within ±" +
                                 std::to_string(kMaxEvalTimeMs / 1000) + " s of the epoch");
}

void EvalContext::AddSeries(uint64_t n) {
  const uint64_t total = series.fetch_add(n, std::memory_order_relaxed) + n;
  if (options.max_series != 0 && total > options.max_series) ThrowSeriesLimit();
}

void EvalContext::ThrowSeriesLimit() const {
  ThrowStatus(Status::ResourceExhausted("query would touch more than " + std::to_string(options.max_series) +
                                        " series (limit max_series)"));
}

// ---- labels helpers ---------------------------------------------------------------------------

const std::string* GetLabel(const Labels& l, std::string_view name) {
  for (const Label& x : l) {
    if (x.name == name) return &x.value;
  }
  return nullptr;
}

void SetLabel(Labels& l, std::string_view name, std::string_view value) {
  if (value.empty()) {
    DelLabel(l, name);
    return;
  }
  auto it = std::lower_bound(l.begin(), l.end(), name, [](const Label& a, std::string_view n) { return a.name < n; });
  if (it != l.end() && it->name == name) {
    it->value = std::string(value);
  } else {
    l.insert(it, Label{std::string(name), std::string(value)});
  }
}

void DelLabel(Labels& l, std::string_view name) {
  l.erase(std::remove_if(l.begin(), l.end(), [&](const Label& x) { return x.name == name; }), l.end());
}

Labels DropMetricName(const Labels& l) {
  Labels out;
  out.reserve(l.size());
  for (const Label& x : l) {
    if (x.name != kMetricNameLabel) out.push_back(x);
  }
  return out;
}

bool ParseFloatGo(std::string_view s, double* out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string tmp(s);
  char* end = nullptr;
  *out = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size();
}

void SortByLabels(Matrix* m) {
  // Usually sorted already: selections come in label order, and dropping one shared metric name
  // keeps it. A check costs one comparison of neighbours; a million series' sort, seconds.
  auto less = [](const Series& a, const Series& b) { return a.labels < b.labels; };
  if (!std::is_sorted(m->begin(), m->end(), less)) std::sort(m->begin(), m->end(), less);
}

void MergeSameLabels(Matrix* m) {
  SortByLabels(m);
  Matrix out;
  out.reserve(m->size());
  for (size_t i = 0; i < m->size();) {
    size_t j = i + 1;
    while (j < m->size() && (*m)[j].labels == (*m)[i].labels) ++j;
    if (j == i + 1) {
      out.push_back(std::move((*m)[i]));
    } else {
      Series merged{std::move((*m)[i].labels), {}};
      for (size_t k = i; k < j; ++k) {
        merged.points.insert(merged.points.end(), (*m)[k].points.begin(), (*m)[k].points.end());
      }
      std::sort(merged.points.begin(), merged.points.end(),
                [](const Sample& a, const Sample& b) { return a.timestamp < b.timestamp; });
      for (size_t k = 1; k < merged.points.size(); ++k) {
        if (merged.points[k].timestamp == merged.points[k - 1].timestamp) {
          ThrowExec("vector cannot contain metrics with the same labelset");
        }
      }
      out.push_back(std::move(merged));
    }
    i = j;
  }
  *m = std::move(out);
}

// ---- evaluator core ---------------------------------------------------------------------------

Evaluator::Evaluator(EvalContext* ctx, int64_t start, int64_t end, int64_t interval)
    : ctx_(ctx), start_(start), end_(end), interval_(interval > 0 ? interval : 1) {
  num_steps_ = end_ < start_ ? 0 : static_cast<size_t>((end_ - start_) / interval_) + 1;
}

std::optional<int64_t> Evaluator::ResolveAt(const std::optional<AtModifier>& at) const {
  if (!at) return std::nullopt;
  switch (at->kind) {
    case AtModifier::Kind::kStart: return ctx_->query_start;
    case AtModifier::Kind::kEnd: return ctx_->query_end;
    // Nothing is stored that far out; clamping keeps the time arithmetic within int64.
    case AtModifier::Kind::kTime: return std::clamp(at->time_ms, -kMaxEvalTimeMs, kMaxEvalTimeMs);
  }
  return std::nullopt;
}

std::vector<double> Evaluator::EvalScalarArg(const Expr& e) {
  Value v = Eval(e);
  if (v.type != ValueType::kScalar) ThrowStatus(Status::InvalidArgument("expected a scalar argument"));
  return std::move(v.scalars);
}

namespace {

unsigned Parallelism(const QueryOptions& o) {
  if (o.parallelism != 0) return o.parallelism;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

Matrix Evaluator::MapSelection(const Matchers& matchers, int64_t mint, int64_t maxt, bool drop_stale,
                               const SeriesFn& fn) {
  // The series this selection may still touch, so that the index refuses a selection over the
  // limit before anything is read (0: no limit, or none left, which AddSeries then reports).
  uint64_t budget = 0;
  if (const uint64_t max = ctx_->options.max_series; max != 0) {
    const uint64_t used = ctx_->series.load(std::memory_order_relaxed);
    budget = used < max ? max - used : 0;
  }
  // A series' cost grows with the range read: past an hour, fewer series justify a thread (down
  // to 4 a thread; a week of 100 series at 10 s is 60 M samples to decode).
  constexpr double kHourMs = 3'600'000;
  const double range_ms = static_cast<double>(maxt) - static_cast<double>(mint);
  size_t min_series = ctx_->options.min_series_per_thread;
  if (range_ms > kHourMs) {
    min_series = std::min(min_series, std::max<size_t>(4, static_cast<size_t>(min_series * kHourMs / range_ms)));
  }
  auto shards = ctx_->db->SelectShards(matchers, mint, maxt, Parallelism(ctx_->options), min_series, budget);
  if (!shards.ok()) {
    if (budget != 0 && shards.status().code() == Status::Code::kResourceExhausted) ctx_->ThrowSeriesLimit();
    ThrowStatus(shards.status());
  }
  const size_t n = shards->size();
  std::vector<Matrix> outs(n);
  std::vector<std::exception_ptr> errors(n);
  std::atomic<bool> failed{false};
  auto run = [&](size_t i) {
    try {
      SeriesSet* set = (*shards)[i].get();
      std::vector<Sample> buf;
      while (!failed.load(std::memory_order_relaxed) && set->Next()) {
        ctx_->AddSeries(1);
        ctx_->MaybeCheckDeadline();
        if (Status st = set->samples()->TakeRemaining(&buf); !st.ok()) ThrowStatus(st);
        // Stale markers end a series; in a range they are simply dropped.
        if (drop_stale) {
          buf.erase(std::remove_if(buf.begin(), buf.end(), [](const Sample& p) { return IsStaleNaN(p.value); }),
                    buf.end());
        }
        ctx_->AddSamples(buf.size());
        if (!buf.empty()) fn(set->labels(), std::span<const Sample>(buf), &outs[i]);
      }
      if (!set->status().ok()) ThrowStatus(set->status());
    } catch (...) {
      errors[i] = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(n > 0 ? n - 1 : 0);
  size_t spawned = 1;
  for (; spawned < n; ++spawned) {
    try {
      threads.emplace_back(run, spawned);
    } catch (const std::system_error&) {
      break;  // out of threads: the calling thread reads the remaining shards itself
    }
  }
  if (n > 0) run(0);
  for (size_t i = spawned; i < n; ++i) run(i);
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  if (n == 1) return std::move(outs[0]);
  Matrix out;
  size_t total = 0;
  for (const Matrix& m : outs) total += m.size();
  out.reserve(total);
  for (Matrix& m : outs) std::move(m.begin(), m.end(), std::back_inserter(out));
  return out;
}

Value Evaluator::EvalVectorSelector(const VectorSelector& vs, bool timestamps) {
  Value out;
  out.type = ValueType::kVector;
  const std::optional<int64_t> at = ResolveAt(vs.at);
  const int64_t lookback = ctx_->options.lookback_ms;
  // The reference time of step i is (at ? at : t_i) - offset; a sample at ref - lookback counts.
  const int64_t first_ref = (at ? *at : start_) - vs.offset_ms;
  const int64_t last_ref = (at ? *at : end_) - vs.offset_ms;
  if (num_steps_ == 0) return out;
  out.series = MapSelection(vs.matchers, first_ref - lookback, last_ref, false,
                            [&](const Labels& labels, std::span<const Sample> buf, Matrix* result) {
    Series s{labels, {}};
    auto value_at = [&](int64_t ref, size_t* cursor, Sample* found) {
      // Advance to the last sample with timestamp <= ref.
      while (*cursor < buf.size() && buf[*cursor].timestamp <= ref) ++*cursor;
      if (*cursor == 0) return false;
      const Sample& p = buf[*cursor - 1];
      if (p.timestamp < ref - lookback || IsStaleNaN(p.value)) return false;
      *found = p;
      return true;
    };
    size_t cursor = 0;
    Sample p;
    if (at) {
      if (value_at(*at - vs.offset_ms, &cursor, &p)) {
        s.points.reserve(num_steps_);
        for (size_t i = 0; i < num_steps_; ++i) {
          s.points.push_back({StepTime(i), timestamps ? static_cast<double>(p.timestamp) / 1000.0 : p.value});
        }
      }
    } else {
      for (size_t i = 0; i < num_steps_; ++i) {
        const int64_t t = StepTime(i);
        if (value_at(t - vs.offset_ms, &cursor, &p)) {
          s.points.push_back({t, timestamps ? static_cast<double>(p.timestamp) / 1000.0 : p.value});
        }
      }
    }
    if (!s.points.empty()) result->push_back(std::move(s));
  });
  return out;
}

Matrix Evaluator::MapRangeSeries(const Expr& arg, RangeWindowSpec* spec, const SeriesFn& fn) {
  const Expr* a = &arg;
  while (auto* p = std::get_if<ParenExpr>(&a->node)) a = p->expr.get();
  if (auto* ms = std::get_if<MatrixSelector>(&a->node)) {
    const auto& vs = std::get<VectorSelector>(ms->vector_selector->node);
    spec->range_ms = ms->range_ms;
    spec->offset_ms = vs.offset_ms;
    spec->at_ms = ResolveAt(vs.at);
    if (num_steps_ == 0) return {};
    const int64_t maxt = (spec->at_ms ? *spec->at_ms : end_) - vs.offset_ms;
    const int64_t mint = (spec->at_ms ? *spec->at_ms : start_) - vs.offset_ms - ms->range_ms;
    return MapSelection(vs.matchers, mint, maxt, true, fn);
  }
  if (auto* sq = std::get_if<SubqueryExpr>(&a->node)) {
    Value v = EvalSubqueryMatrix(*sq, spec);
    Matrix out;
    for (Series& s : v.series) {
      ctx_->MaybeCheckDeadline();
      fn(s.labels, std::span<const Sample>(s.points), &out);
    }
    return out;
  }
  ThrowStatus(Status::InvalidArgument("expected a range vector argument"));
}

Value Evaluator::EvalSubqueryMatrix(const SubqueryExpr& sq, RangeWindowSpec* spec) {
  spec->range_ms = sq.range_ms;
  spec->offset_ms = sq.offset_ms;
  spec->at_ms = ResolveAt(sq.at);
  // Prometheus 2.x: without a step the subquery runs at the evaluation interval the caller gives
  // (QueryOptions::no_step_subquery_interval_ms, which EvalInstant and EvalRange check is positive).
  const int64_t step = sq.step_ms > 0 ? sq.step_ms : ctx_->options.no_step_subquery_interval_ms;
  const int64_t base = (spec->at_ms ? *spec->at_ms : start_) - sq.offset_ms - sq.range_ms;
  const int64_t inner_end = (spec->at_ms ? *spec->at_ms : end_) - sq.offset_ms;
  // First step-aligned timestamp >= base (Prometheus aligns subquery steps to multiples of step).
  int64_t inner_start = step * (base / step);
  if (inner_start < base) inner_start += step;
  Evaluator inner(ctx_, inner_start, inner_end, step);
  // Every step of the inner evaluation takes memory before any sample is read.
  ctx_->CheckSteps(inner.NumSteps());
  Value v = inner.Eval(*sq.expr);
  Value out;
  out.type = ValueType::kMatrix;
  if (v.type == ValueType::kScalar) {
    Series s;
    for (size_t i = 0; i < inner.NumSteps(); ++i) s.points.push_back({inner.StepTime(i), v.scalars[i]});
    if (!s.points.empty()) out.series.push_back(std::move(s));
  } else if (v.type == ValueType::kVector) {
    out.series = std::move(v.series);
  } else {
    ThrowStatus(Status::InvalidArgument("subquery is only allowed on instant vector or scalar expressions"));
  }
  uint64_t points = 0;
  for (const Series& s : out.series) points += s.points.size();
  ctx_->AddSamples(points);
  return out;
}

Value Evaluator::EvalRangeRaw(const Expr& e, int64_t t) {
  Evaluator at_t(ctx_, t, t, 1);
  RangeWindowSpec spec;
  Value out;
  out.type = ValueType::kMatrix;
  out.series = at_t.MapRangeSeries(e, &spec, [&](const Labels& labels, std::span<const Sample> samples, Matrix* m) {
    ForEachWindow(at_t, spec, samples, [&](size_t, std::span<const Sample> w) {
      m->push_back(Series{labels, std::vector<Sample>(w.begin(), w.end())});
    });
  });
  SortByLabels(&out.series);
  return out;
}

Value Evaluator::EvalAggregationArg(const Expr& e) {
  relax_next_ = true;
  return Eval(e);
}

Value Evaluator::Eval(const Expr& e) {
  ctx_->MaybeCheckDeadline();
  struct Restore {
    Evaluator* ev;
    bool saved;
    ~Restore() { ev->relax_current_ = saved; }
  } restore{this, relax_current_};
  relax_current_ = relax_next_;
  relax_next_ = false;
  return std::visit(
      [&](const auto& n) -> Value {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, NumberLiteral>) {
          Value v;
          v.type = ValueType::kScalar;
          v.scalars.assign(num_steps_, n.value);
          return v;
        } else if constexpr (std::is_same_v<T, StringLiteral>) {
          Value v;
          v.type = ValueType::kString;
          v.str = n.value;
          return v;
        } else if constexpr (std::is_same_v<T, VectorSelector>) {
          return EvalVectorSelector(n, false);
        } else if constexpr (std::is_same_v<T, MatrixSelector> || std::is_same_v<T, SubqueryExpr>) {
          if (num_steps_ != 1) {
            ThrowStatus(Status::InvalidArgument("range vector expressions can only be evaluated at a single time"));
          }
          return EvalRangeRaw(e, start_);
        } else if constexpr (std::is_same_v<T, BinaryExpr>) {
          return EvalBinary(n);
        } else if constexpr (std::is_same_v<T, UnaryExpr>) {
          Value v = Eval(*n.expr);
          if (!n.negate) return v;
          if (v.type == ValueType::kScalar) {
            for (double& x : v.scalars) x = -x;
            return v;
          }
          return MapVector(*this, std::move(v), true, [](double x, int64_t) { return -x; });
        } else if constexpr (std::is_same_v<T, AggregateExpr>) {
          return EvalAggregate(n);
        } else if constexpr (std::is_same_v<T, Call>) {
          return EvalCall(n);
        } else if constexpr (std::is_same_v<T, ParenExpr>) {
          relax_next_ = relax_current_;
          return Eval(*n.expr);
        } else {
          ThrowStatus(Status::Internal("unknown expression node"));
        }
      },
      e.node);
}

// ---- entry points ---------------------------------------------------------------------------

namespace {

const Expr* Unparen(const Expr* e) {
  while (auto* p = std::get_if<ParenExpr>(&e->node)) e = p->expr.get();
  return e;
}

// Instant results keep the order of sort(), sort_desc(), topk() and bottomk(); everything else is
// sorted by labels so answers are deterministic.
bool KeepsOrder(const Expr& e) {
  const Expr* u = Unparen(&e);
  if (auto* c = std::get_if<Call>(&u->node)) return c->func == "sort" || c->func == "sort_desc";
  if (auto* a = std::get_if<AggregateExpr>(&u->node)) {
    return a->op == AggregateOp::kTopk || a->op == AggregateOp::kBottomk;
  }
  return false;
}

Status CheckOptions(const QueryOptions& options) {
  if (options.no_step_subquery_interval_ms <= 0) {
    return Status::InvalidArgument("the default subquery step (no_step_subquery_interval_ms) must be positive");
  }
  return Status::OK();
}

void InitContext(EvalContext* ctx, DB* db, const QueryOptions& options, int64_t start, int64_t end) {
  ctx->db = db;
  ctx->options = options;
  ctx->query_start = start;
  ctx->query_end = end;
  if (options.timeout_ms > 0) {
    ctx->has_deadline = true;
    ctx->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.timeout_ms);
  }
}

}  // namespace

Result<QueryResult> EvalInstant(DB* db, std::string_view query, int64_t time_ms, const QueryOptions& options) {
  GNOMON_RETURN_IF_ERROR(CheckOptions(options));
  GNOMON_RETURN_IF_ERROR(CheckEvalTime(time_ms, "evaluation time"));
  auto parsed = ParseExpr(query);
  if (!parsed.ok()) return parsed.status();
  const Expr& expr = **parsed;
  EvalContext ctx;
  InitContext(&ctx, db, options, time_ms, time_ms);
  QueryResult r;
  try {
    Evaluator ev(&ctx, time_ms, time_ms, 1);
    Value v = ev.Eval(expr);
    r.type = v.type;
    switch (v.type) {
      case ValueType::kScalar:
        r.scalar = Sample{time_ms, v.scalars.empty() ? 0 : v.scalars[0]};
        break;
      case ValueType::kString:
        r.string_value = std::move(v.str);
        r.string_time_ms = time_ms;
        break;
      case ValueType::kVector:
        if (!KeepsOrder(expr)) SortByLabels(&v.series);
        for (Series& s : v.series) r.series.push_back(SeriesResult{std::move(s.labels), std::move(s.points)});
        break;
      case ValueType::kMatrix:
        for (Series& s : v.series) r.series.push_back(SeriesResult{std::move(s.labels), std::move(s.points)});
        break;
      case ValueType::kNone:
        return Status::Internal("expression produced no value");
    }
  } catch (const EvalError& e) {
    return e.status;
  }
  r.samples_loaded = ctx.samples;
  return r;
}

Result<QueryResult> EvalRange(DB* db, std::string_view query, int64_t start_ms, int64_t end_ms, int64_t step_ms,
                              const QueryOptions& options) {
  if (step_ms <= 0) {
    return Status::InvalidArgument("zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if (end_ms < start_ms) return Status::InvalidArgument("end timestamp must not be before start time");
  GNOMON_RETURN_IF_ERROR(CheckOptions(options));
  GNOMON_RETURN_IF_ERROR(CheckEvalTime(start_ms, "start time"));
  GNOMON_RETURN_IF_ERROR(CheckEvalTime(end_ms, "end time"));
  auto parsed = ParseExpr(query);
  if (!parsed.ok()) return parsed.status();
  const Expr& expr = **parsed;
  const Expr* top = Unparen(&expr);
  if (std::holds_alternative<MatrixSelector>(top->node) || std::holds_alternative<SubqueryExpr>(top->node)) {
    return Status::InvalidArgument("invalid expression type \"range vector\" for range query, must be Scalar or instant Vector");
  }
  if (std::holds_alternative<StringLiteral>(top->node)) {
    return Status::InvalidArgument("invalid expression type \"string\" for range query, must be Scalar or instant Vector");
  }
  EvalContext ctx;
  InitContext(&ctx, db, options, start_ms, end_ms);
  QueryResult r;
  r.type = ValueType::kMatrix;
  try {
    Evaluator ev(&ctx, start_ms, end_ms, step_ms);
    ctx.CheckSteps(ev.NumSteps());
    Value v = ev.Eval(expr);
    if (v.type == ValueType::kScalar) {
      SeriesResult s;
      for (size_t i = 0; i < ev.NumSteps(); ++i) s.points.push_back({ev.StepTime(i), v.scalars[i]});
      r.series.push_back(std::move(s));
    } else if (v.type == ValueType::kVector) {
      SortByLabels(&v.series);
      for (Series& s : v.series) {
        if (!s.points.empty()) r.series.push_back(SeriesResult{std::move(s.labels), std::move(s.points)});
      }
    } else {
      return Status::InvalidArgument(std::string("invalid expression type \"") + ValueTypeName(v.type) +
                                     "\" for range query, must be Scalar or instant Vector");
    }
  } catch (const EvalError& e) {
    return e.status;
  }
  r.samples_loaded = ctx.samples;
  return r;
}

}  // namespace gnomon::promql
