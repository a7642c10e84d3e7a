// LogQL evaluation: a parsed query (ast.h) run over stored lines, as Loki's engine runs it.
//
// A log query's pipeline runs per line (pipeline.h).
//
// Log queries return lines in [start, end) by direction, at most `limit`, grouped into streams
// by their final label set. Metric queries (count_over_time, rate, bytes_over_time, bytes_rate,
// absent_over_time, then sum/avg/min/max/count/stddev/stdvar/topk/bottomk with by/without) are
// evaluated at start, start+step, ... <= end, each over the window (t - range, t]; a window
// without lines has no point. Every query is bounded by EvalLimits: past the line budget or the
// series limit it fails with kResourceExhausted and says which.
//
// Lines come from a LineSource (the log store's ForEach, or fixed lines in tests). Thread-safe:
// nothing here keeps state between calls.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gnomon/matcher.h"
#include "gnomon/series.h"
#include "gnomon/status.h"
#include "logs/log_store.h"
#include "logs/logql/ast.h"
#include "logs/logql/pipeline.h"

namespace gnomon::logs::logql {

struct EvalLimits {
  size_t max_lines_scanned = 100'000'000;  // lines read from the store per query
  size_t max_bytes_read = SIZE_MAX;       // bytes of line text read from the store per query
  size_t max_series = 20'000;             // distinct label sets of a metric query's range aggregation
  size_t max_steps = 11'000;              // points per series, as Loki's resolution limit
};

// Visits the lines of the streams matching `matchers` in [start_ns, end_ns) by direction
// (options.backward) until `visit` returns false (the signature of LogStore::Scan). The other
// options are hints a source may ignore: the evaluator still runs the whole pipeline on each line
// it gets, except that with options.lines false it reads no line text (it then relies on the
// source for the filters it passed).
using LineSource =
    std::function<Status(const Matchers& matchers, int64_t start_ns, int64_t end_ns, const ScanOptions& options,
                         const std::function<bool(const StoredLine&)>& visit)>;
// A LineSource reading `store`, which must outlive it.
LineSource StoreSource(const LogStore& store);

struct EvalStats {
  size_t lines_scanned = 0;
  size_t bytes_scanned = 0;
};

struct StreamResult {
  Labels labels;
  std::vector<std::pair<int64_t, std::string>> entries;  // (unix ns, line) by direction
};
struct LogQueryResult {
  std::vector<StreamResult> streams;  // sorted by labels
  EvalStats stats;
};

// Runs log query `query` (query.IsLogQuery()) over [start_ns, end_ns): at most `limit` lines,
// newest first if `backward`.
Result<LogQueryResult> EvalLogQuery(const LineSource& source, const Expr& query, int64_t start_ns, int64_t end_ns,
                                    size_t limit, bool backward, const EvalLimits& limits = {});

struct MetricSeries {
  Labels labels;
  std::vector<std::pair<int64_t, double>> points;  // (unix ns, value) in time order
};
struct MetricResult {
  std::vector<MetricSeries> series;  // sorted by labels
  EvalStats stats;
};

// Runs metric query `query` at start_ns, start_ns + step_ns, ... <= end_ns (an instant query:
// start_ns == end_ns). kInvalidArgument for a log query or step_ns <= 0; kResourceExhausted past
// `limits`.
Result<MetricResult> EvalMetricQuery(const LineSource& source, const Expr& query, int64_t start_ns, int64_t end_ns,
                                     int64_t step_ns, const EvalLimits& limits = {});

}  // namespace gnomon::logs::logql
