// The PromQL engine: evaluates a parsed query against a gnomon::DB at one instant or over a range
// of steps, with Prometheus 2.x semantics: 5-minute lookback for instant selectors, staleness
// markers end a series, rate/increase extrapolation and counter resets, `__name__` dropped by
// functions and arithmetic, NaN handling, duplicate-labelset errors, `offset` and `@`, subqueries.
//
// Evaluation streams from the engine's iterators and is bounded: a query that would load more
// than `max_samples` samples or touch more than `max_series` series fails with
// ResourceExhausted, and one running past `timeout_ms` fails with Aborted.
//
// Error codes (the HTTP API maps them to Prometheus' error types):
//   InvalidArgument     bad query or parameters           → 400 bad_data
//   FailedPrecondition  execution error (duplicate series,  → 422 execution
//                       many-to-many matching, ...)
//   ResourceExhausted   a query limit was hit               → 422 execution
//   Aborted             timeout                             → 503 timeout
//   anything else       storage failure                     → 500 internal
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gnomon/db.h"
#include "query/promql/ast.h"

namespace gnomon::promql {

struct QueryOptions {
  int64_t lookback_ms = 5 * 60 * 1000;
  uint64_t max_samples = 50'000'000;  // 0: unlimited
  uint64_t max_series = 100'000;      // 0: unlimited
  int64_t timeout_ms = 2 * 60 * 1000; // 0: none
  // Threads one query may use to read and process series (the calling thread included);
  // 0: one per CPU core.
  unsigned parallelism = 0;
  // A selection is split only into pieces of at least this many series: each extra piece is a
  // thread started and joined, which costs about what reading a few dozen short series does, and
  // under load the join waits for a core. Rules select tens of series each; with 8 here, 10,000
  // alerting rules over 100k series took 1.3-1.8x the CPU per round, and on a loaded machine up to
  // 4x the evaluation time (bench/rules_vs_prometheus.sh); a 1,000-series query still uses every
  // core. A selection reading more than an hour lowers it in proportion to the range (to 4 at
  // least): its series cost more each.
  unsigned min_series_per_thread = 64;
  // The step of a subquery written without one (`x[5m:]`), in ms; must be positive (EvalInstant
  // and EvalRange fail with InvalidArgument otherwise). Prometheus uses its global
  // evaluation_interval here, for rules and for the query API alike; `promtool test rules` uses
  // the test file's evaluation_interval. The default is Prometheus' default evaluation_interval.
  int64_t no_step_subquery_interval_ms = 60 * 1000;
};

// One series of a result: for an instant vector exactly one point (at the evaluation time); for
// a range vector or a range query, its points in time order.
struct SeriesResult {
  Labels labels;
  std::vector<Sample> points;
};

struct QueryResult {
  ValueType type = ValueType::kNone;  // kScalar, kVector, kMatrix or kString
  Sample scalar;                      // kScalar: time and value
  std::string string_value;           // kString
  int64_t string_time_ms = 0;         // kString
  std::vector<SeriesResult> series;   // kVector / kMatrix, sorted by labels for matrices
  uint64_t samples_loaded = 0;        // for stats
};

// Evaluates `query` at `time_ms` (instant query). The result type is the expression's type.
Result<QueryResult> EvalInstant(DB* db, std::string_view query, int64_t time_ms, const QueryOptions& options);

// Evaluates `query` at start, start+step, ..., ≤ end. The expression must be a scalar or instant
// vector; the result is a matrix (one series per label set, its points at the steps where it had
// a value), as Prometheus' range queries return.
Result<QueryResult> EvalRange(DB* db, std::string_view query, int64_t start_ms, int64_t end_ms, int64_t step_ms,
                              const QueryOptions& options);

}  // namespace gnomon::promql
