#include "logs/logql/eval.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string_view>
#include <unordered_map>

#include "logs/logql/line_filter.h"
#include "logs/logql/line_labels.h"
#include "util/clock.h"

namespace gnomon::logs::logql {

namespace {

int64_t RangeNs(int64_t range_ms) { return range_ms > INT64_MAX / 1'000'000 ? INT64_MAX : range_ms * 1'000'000; }

std::string LabelsKey(const Labels& ls) {
  std::string k;
  for (const Label& l : ls) {
    k += l.name;
    k.push_back('\xff');
    k += l.value;
    k.push_back('\xff');
  }
  return k;
}

bool LabelsLess(const Labels& a, const Labels& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](const Label& x, const Label& y) {
    return x.name != y.name ? x.name < y.name : x.value < y.value;
  });
}

}  // namespace

LineSource StoreSource(const LogStore& store) {
  return [&store](const Matchers& m, int64_t start, int64_t end, const ScanOptions& options,
                  const std::function<bool(const StoredLine&)>& visit) {
    return store.Scan(m, start, end, options, visit);
  };
}

namespace {

// The scan hints of a selector: its filters on the stored line (`filter`, compiled from them,
// must outlive the scan), and the plain `|=` texts among them, which every wanted line contains.
ScanOptions HintsFor(const LogSelector& sel, bool backward, const LineFilter* filter) {
  ScanOptions o;
  o.backward = backward;
  for (const LineFilterStage& f : StoredLineFilters(sel.pipeline)) {
    if (f.type == LineMatchType::kContains && f.or_matches.empty() && !f.match.empty()) o.required.push_back(f.match);
  }
  if (!filter->empty()) o.line_filter = [filter](std::string_view line) { return filter->Matches(line); };
  return o;
}

}  // namespace

namespace {

// The source stopped at a budget: which one, from what it had read.
Status BudgetError(const EvalLimits& limits, const ScanStats& scanned) {
  if (scanned.bytes > limits.max_bytes_read) {
    return Status::ResourceExhausted(fmt::format(
        "the query would read more than {} bytes of log lines ([logs] max_query_bytes_read); narrow its stream "
        "selector, line filters or time range",
        limits.max_bytes_read));
  }
  return Status::ResourceExhausted(fmt::format(
      "the query would read more than {} log lines (the per-query budget); narrow its stream selector or time range",
      limits.max_lines_scanned));
}

}  // namespace

Result<LogQueryResult> EvalLogQuery(const LineSource& source, const Expr& query, int64_t start_ns, int64_t end_ns,
                                    size_t limit, bool backward, const EvalLimits& limits) {
  const auto* sel = std::get_if<LogSelector>(&query.node);
  if (!sel) return Status::InvalidArgument("not a log query");
  auto pipeline = Pipeline::Compile(sel->pipeline);
  if (!pipeline.ok()) return pipeline.status();
  LogQueryResult result;
  std::map<std::string, size_t> index;  // labels key -> position in result.streams
  size_t taken = 0;
  if (limit == 0) return result;
  std::string line;
  Labels labels;
  auto filter = LineFilter::Compile(StoredLineFilters(sel->pipeline));
  if (!filter.ok()) return filter.status();
  ScanOptions hints = HintsFor(*sel, backward, &filter.value());
  hints.max_lines = limits.max_lines_scanned;
  hints.max_bytes = limits.max_bytes_read;
  ScanStats scanned;
  hints.stats = &scanned;
  Status s = source(sel->matchers, start_ns, end_ns, hints, [&](const StoredLine& l) {
    line = l.line;
    labels = *l.stream;
    if (!pipeline->Process(&line, &labels)) return true;
    auto [it, fresh] = index.try_emplace(LabelsKey(labels), result.streams.size());
    if (fresh) result.streams.push_back({labels, {}});
    result.streams[it->second].entries.emplace_back(l.ts_ns, std::move(line));
    return ++taken < limit;
  });
  if (s.code() == Status::Code::kResourceExhausted) return BudgetError(limits, scanned);  // the source's budget
  GNOMON_RETURN_IF_ERROR(s);
  result.stats = {scanned.lines, scanned.bytes};
  std::sort(result.streams.begin(), result.streams.end(),
            [](const StreamResult& a, const StreamResult& b) { return LabelsLess(a.labels, b.labels); });
  return result;
}

namespace {

using Vector = std::vector<std::pair<Labels, double>>;  // one step's samples

struct RangeSeries {
  Labels labels;
  std::vector<int64_t> ts;      // ascending
  std::vector<uint64_t> bytes;  // prefix sums: bytes[i] = bytes of lines [0, i)
};

Labels Grouped(const Labels& ls, const VectorAggregation& agg) {
  Labels out;
  if (!agg.has_grouping) return out;
  for (const Label& l : ls) {
    const bool listed = std::find(agg.grouping.begin(), agg.grouping.end(), l.name) != agg.grouping.end();
    if (listed != agg.without) out.push_back(l);
  }
  return out;
}

Vector Aggregate(const VectorAggregation& agg, Vector in) {
  struct Group {
    Labels labels;
    double sum = 0, min = 0, max = 0, mean = 0, m2 = 0;
    size_t count = 0;
    std::vector<std::pair<Labels, double>> members;
  };
  std::map<std::string, Group> groups;
  for (auto& [labels, v] : in) {
    Labels g = Grouped(labels, agg);
    Group& gr = groups[LabelsKey(g)];
    if (gr.count == 0) {
      gr.labels = std::move(g);
      gr.min = gr.max = v;
    }
    ++gr.count;
    gr.sum += v;
    gr.min = std::min(gr.min, v);
    gr.max = std::max(gr.max, v);
    const double delta = v - gr.mean;
    gr.mean += delta / static_cast<double>(gr.count);
    gr.m2 += delta * (v - gr.mean);
    if (agg.op == VectorOp::kTopk || agg.op == VectorOp::kBottomk) gr.members.emplace_back(std::move(labels), v);
  }
  Vector out;
  for (auto& [key, g] : groups) {
    const double n = static_cast<double>(g.count);
    switch (agg.op) {
      case VectorOp::kSum: out.emplace_back(g.labels, g.sum); break;
      case VectorOp::kAvg: out.emplace_back(g.labels, g.sum / n); break;
      case VectorOp::kMin: out.emplace_back(g.labels, g.min); break;
      case VectorOp::kMax: out.emplace_back(g.labels, g.max); break;
      case VectorOp::kCount: out.emplace_back(g.labels, n); break;
      case VectorOp::kStdvar: out.emplace_back(g.labels, g.m2 / n); break;
      case VectorOp::kStddev: out.emplace_back(g.labels, std::sqrt(g.m2 / n)); break;
      case VectorOp::kTopk:
      case VectorOp::kBottomk: {
        const bool top = agg.op == VectorOp::kTopk;
        std::stable_sort(g.members.begin(), g.members.end(),
                         [&](const auto& a, const auto& b) { return top ? a.second > b.second : a.second < b.second; });
        const size_t k = std::min(g.members.size(), static_cast<size_t>(agg.k));
        for (size_t i = 0; i < k; ++i) out.push_back(std::move(g.members[i]));
        break;
      }
    }
  }
  return out;
}

// The vector of `e` at step t, from the range aggregation's series.
Vector EvalAt(const Expr& e, const std::vector<RangeSeries>& series, const Matchers& matchers, int64_t t) {
  if (const auto* agg = std::get_if<VectorAggregation>(&e.node)) {
    return Aggregate(*agg, EvalAt(*agg->expr, series, matchers, t));
  }
  const auto& ra = std::get<RangeAggregation>(e.node);
  const int64_t range_ns = RangeNs(ra.range.range_ms);
  const double range_s = static_cast<double>(ra.range.range_ms) / 1000.0;
  Vector out;
  // Window (t - range, t]: lines with ts > t - range and ts <= t.
  for (const RangeSeries& s : series) {
    const size_t lo =
        static_cast<size_t>(std::upper_bound(s.ts.begin(), s.ts.end(), SatSub(t, range_ns)) - s.ts.begin());
    const size_t hi = static_cast<size_t>(std::upper_bound(s.ts.begin(), s.ts.end(), t) - s.ts.begin());
    if (hi <= lo) continue;
    const double count = static_cast<double>(hi - lo);
    const double bytes = static_cast<double>(s.bytes[hi] - s.bytes[lo]);
    switch (ra.op) {
      case RangeOp::kCountOverTime: out.emplace_back(s.labels, count); break;
      case RangeOp::kRate: out.emplace_back(s.labels, count / range_s); break;
      case RangeOp::kBytesOverTime: out.emplace_back(s.labels, bytes); break;
      case RangeOp::kBytesRate: out.emplace_back(s.labels, bytes / range_s); break;
      case RangeOp::kAbsentOverTime: out.emplace_back(Labels{}, 1); break;
    }
  }
  if (ra.op == RangeOp::kAbsentOverTime) {
    if (!out.empty()) return {};
    // As absent(): the equality matchers' labels, once.
    Labels ls;
    for (const Matcher& m : matchers) {
      if (m.type == Matcher::Type::kEqual) Set(&ls, m.name, m.value);
    }
    SortLabels(&ls);
    return {{ls, 1}};
  }
  return out;
}

}  // namespace

Result<MetricResult> EvalMetricQuery(const LineSource& source, const Expr& query, int64_t start_ns, int64_t end_ns,
                                     int64_t step_ns, const EvalLimits& limits) {
  if (query.IsLogQuery()) return Status::InvalidArgument("not a metric query");
  if (step_ns <= 0) return Status::InvalidArgument("zero or negative query resolution step widths are not accepted");
  if (end_ns < start_ns) return Status::InvalidArgument("the query's end is before its start");
  const double steps = (static_cast<double>(end_ns) - static_cast<double>(start_ns)) / static_cast<double>(step_ns);
  if (steps >= static_cast<double>(limits.max_steps)) {
    return Status::InvalidArgument(fmt::format(
        "exceeded maximum resolution of {} points per timeseries. Try increasing the value of the step parameter",
        limits.max_steps));
  }
  const LogSelector& sel = SelectorOf(query);
  const int64_t range_ns = RangeNs(RangeOf(query));
  auto pipeline = Pipeline::Compile(sel.pipeline);
  if (!pipeline.ok()) return pipeline.status();
  // A sum directly over count_over_time/rate/bytes_*: those are additive, so lines are counted
  // per group of the sum right away (`sum by (level) (count_over_time({...} | json [5m]))` keeps
  // one series per level, however many label sets the lines have).
  const VectorAggregation* pushdown = nullptr;
  for (const Expr* e = &query; const auto* agg = std::get_if<VectorAggregation>(&e->node); e = agg->expr.get()) {
    pushdown = agg;
  }
  if (pushdown && (pushdown->op != VectorOp::kSum ||
                   std::get<RangeAggregation>(pushdown->expr->node).op == RangeOp::kAbsentOverTime)) {
    pushdown = nullptr;
  }
  MetricResult result;
  std::vector<RangeSeries> series;
  std::map<std::string, size_t> index;
  bool too_many = false;
  std::string line;
  Labels labels;
  // Every window (t - range, t] for t in [start, end] lies in [start - range + 1, end + 1).
  const int64_t from = SatAdd(SatSub(start_ns, range_ns), 1);
  const int64_t to = SatAdd(end_ns, 1);
  auto filter = LineFilter::Compile(StoredLineFilters(sel.pipeline));
  if (!filter.ok()) return filter.status();
  ScanOptions hints = HintsFor(sel, /*backward=*/false, &filter.value());
  hints.max_lines = limits.max_lines_scanned;
  hints.max_bytes = limits.max_bytes_read;
  ScanStats scanned;
  hints.stats = &scanned;
  // count_over_time, rate and absent_over_time over a pipeline of stored-line filters alone need
  // no line text: the source filters, and a line's series is its stream's.
  const Expr* inner = &query;
  while (const auto* agg = std::get_if<VectorAggregation>(&inner->node)) inner = agg->expr.get();
  const RangeOp op = std::get<RangeAggregation>(inner->node).op;
  const bool stream_only = StoredLineFilters(sel.pipeline).size() == sel.pipeline.size();
  hints.lines = !stream_only || op == RangeOp::kBytesOverTime || op == RangeOp::kBytesRate;
  std::unordered_map<const Labels*, size_t> series_of_stream;  // when !hints.lines
  // The series of final label set `labels`, added if new; false past the series limit.
  auto series_at = [&](const Labels& labels, size_t* at) {
    auto [it, fresh] = index.try_emplace(LabelsKey(labels), series.size());
    if (fresh) {
      if (series.size() >= limits.max_series) return !(too_many = true);
      series.push_back({labels, {}, {0}});
    }
    *at = it->second;
    return true;
  };
  Status s = source(sel.matchers, from, to, hints, [&](const StoredLine& l) {
    size_t at = 0;
    if (!hints.lines) {
      if (auto known = series_of_stream.find(l.stream); known != series_of_stream.end()) {
        at = known->second;
      } else {
        if (!series_at(pushdown ? Grouped(*l.stream, *pushdown) : *l.stream, &at)) return false;
        series_of_stream[l.stream] = at;
      }
      RangeSeries& rs = series[at];
      rs.ts.push_back(l.ts_ns);
      rs.bytes.push_back(rs.bytes.back());
      return true;
    }
    line = l.line;
    labels = *l.stream;
    if (!pipeline->Process(&line, &labels)) return true;
    if (pushdown) labels = Grouped(labels, *pushdown);
    if (!series_at(labels, &at)) return false;
    RangeSeries& rs = series[at];
    rs.ts.push_back(l.ts_ns);
    rs.bytes.push_back(rs.bytes.back() + line.size());
    return true;
  });
  if (s.code() == Status::Code::kResourceExhausted) return BudgetError(limits, scanned);  // the source's budget
  GNOMON_RETURN_IF_ERROR(s);
  result.stats = {scanned.lines, scanned.bytes};
  if (too_many) {
    return Status::ResourceExhausted(fmt::format(
        "the query has more than {} series; aggregate them (sum by ...) or narrow the query", limits.max_series));
  }
  std::map<std::string, size_t> out_index;
  for (int64_t t = start_ns;; t += step_ns) {
    for (auto& [ls, v] : EvalAt(query, series, sel.matchers, t)) {
      auto [it, fresh] = out_index.try_emplace(LabelsKey(ls), result.series.size());
      if (fresh) result.series.push_back({ls, {}});
      result.series[it->second].points.emplace_back(t, v);
    }
    // The next step is past the end (end_ns >= t, so the difference fits in a uint64_t).
    if (static_cast<uint64_t>(end_ns) - static_cast<uint64_t>(t) < static_cast<uint64_t>(step_ns)) break;
  }
  std::sort(result.series.begin(), result.series.end(),
            [](const MetricSeries& a, const MetricSeries& b) { return LabelsLess(a.labels, b.labels); });
  return result;
}

}  // namespace gnomon::logs::logql
