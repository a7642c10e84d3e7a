// Aggregation operators: sum avg min max count group stddev stdvar quantile topk bottomk
// count_values, with by/without. Series are grouped once; each group is then aggregated over
// all steps with per-step accumulators, following Prometheus 2.x arithmetic (incremental mean
// for avg, Welford for stddev/stdvar, NaN handling of min/max, heap selection for topk/bottomk).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "index/labels_util.h"
#include "query/promql/eval_internal.h"
#include "util/go_strconv.h"

namespace gnomon::promql {
namespace {

Labels GroupLabels(const Labels& l, const std::vector<std::string>& grouping, bool without) {
  Labels out;
  for (const Label& x : l) {
    const bool listed = std::find(grouping.begin(), grouping.end(), x.name) != grouping.end();
    if (without ? (!listed && x.name != kMetricNameLabel) : listed) out.push_back(x);
  }
  return out;
}

// Go's container/heap over (value, member) with Prometheus' vectorByValueHeap /
// vectorByReverseValueHeap Less (NaN sorts first).
struct Item {
  double v;
  size_t member;
};
struct GoHeap {
  bool reverse;  // false: min-heap (topk), true: max-heap (bottomk)
  std::vector<Item> h;
  bool Less(size_t i, size_t j) const {
    if (std::isnan(h[i].v)) return true;
    return reverse ? h[i].v > h[j].v : h[i].v < h[j].v;
  }
  void Up(size_t j) {
    while (j > 0) {
      size_t i = (j - 1) / 2;
      if (!Less(j, i)) break;
      std::swap(h[i], h[j]);
      j = i;
    }
  }
  void Down(size_t i, size_t n) {
    for (;;) {
      size_t j1 = 2 * i + 1;
      if (j1 >= n) break;
      size_t j = j1;
      if (j1 + 1 < n && Less(j1 + 1, j1)) j = j1 + 1;
      if (!Less(j, i)) break;
      std::swap(h[i], h[j]);
      i = j;
    }
  }
  void Push(Item x) {
    h.push_back(x);
    Up(h.size() - 1);
  }
  void Pop() {
    size_t n = h.size() - 1;
    std::swap(h[0], h[n]);
    Down(0, n);
    h.pop_back();
  }
};

}  // namespace

Value Evaluator::EvalAggregate(const AggregateExpr& e) {
  std::vector<double> param;
  std::string value_label;
  if (e.op == AggregateOp::kQuantile || e.op == AggregateOp::kTopk || e.op == AggregateOp::kBottomk) {
    if (!e.param) ThrowStatus(Status::InvalidArgument("aggregation requires a parameter"));
    param = EvalScalarArg(*e.param);
  } else if (e.op == AggregateOp::kCountValues) {
    if (!e.param) ThrowStatus(Status::InvalidArgument("count_values requires a label name"));
    Value p = Eval(*e.param);
    value_label = p.str;
    if (!index::IsValidLabelName(value_label)) ThrowExec("invalid label name \"" + value_label + "\"");
  }
  // topk/bottomk return their input series, so they need it free of equal labelsets.
  const bool keeps_labels = e.op == AggregateOp::kTopk || e.op == AggregateOp::kBottomk;
  Value in = keeps_labels ? Eval(*e.expr) : EvalAggregationArg(*e.expr);
  if (in.type != ValueType::kVector) ThrowStatus(Status::InvalidArgument("aggregation needs an instant vector"));
  Matrix& m = in.series;
  const size_t n = NumSteps();

  Value out;
  out.type = ValueType::kVector;

  if (e.op == AggregateOp::kCountValues) {
    std::vector<std::string> grouping = e.grouping;
    if (!e.without) grouping.push_back(value_label);
    std::map<Labels, size_t> ids;
    std::vector<size_t> cursor(m.size(), 0);
    for (size_t step = 0; step < n; ++step) {
      ctx_->MaybeCheckDeadline();
      const int64_t t = StepTime(step);
      std::map<size_t, double> counts;
      for (size_t i = 0; i < m.size(); ++i) {
        auto& pts = m[i].points;
        size_t& c = cursor[i];
        while (c < pts.size() && pts[c].timestamp < t) ++c;
        if (c >= pts.size() || pts[c].timestamp != t) continue;
        Labels l = m[i].labels;
        SetLabel(l, value_label, GoFormatFloat(pts[c].value, 'f', -1));
        auto [it, inserted] = ids.emplace(GroupLabels(l, grouping, e.without), out.series.size());
        if (inserted) out.series.push_back(Series{it->first, {}});
        counts[it->second] += 1;
      }
      for (auto [idx, cnt] : counts) out.series[idx].points.push_back({t, cnt});
    }
    return out;
  }

  // Group the input series.
  std::map<Labels, size_t> group_ids;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < m.size(); ++i) {
    auto [it, inserted] = group_ids.emplace(GroupLabels(m[i].labels, e.grouping, e.without), groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  std::vector<const Labels*> group_labels(groups.size());
  for (const auto& [l, id] : group_ids) group_labels[id] = &l;

  if (e.op == AggregateOp::kTopk || e.op == AggregateOp::kBottomk || e.op == AggregateOp::kQuantile) {
    std::vector<Series> member_out;  // topk/bottomk: one output series per input series
    if (e.op != AggregateOp::kQuantile) {
      member_out.resize(m.size());
      for (size_t i = 0; i < m.size(); ++i) member_out[i].labels = m[i].labels;
    }
    for (size_t step = 0; step < n; ++step) {
      if (e.op != AggregateOp::kQuantile) {
        const double f = param[step];
        if (!(f >= -9.2233720368547758e18 && f <= 9.2233720368547758e18)) {
          ThrowExec("Scalar value " + GoFormatFloat(f, 'f', -1) + " overflows int64");
        }
      }
    }
    std::vector<size_t> cursor(m.size(), 0);
    Series qout;
    for (size_t g = 0; g < groups.size(); ++g) {
      ctx_->MaybeCheckDeadline();
      const auto& members = groups[g];
      if (e.op == AggregateOp::kQuantile) qout = Series{*group_labels[g], {}};
      std::vector<double> values;
      for (size_t step = 0; step < n; ++step) {
        const int64_t t = StepTime(step);
        GoHeap heap{e.op == AggregateOp::kBottomk, {}};
        values.clear();
        const int64_t k = e.op == AggregateOp::kQuantile ? 0 : static_cast<int64_t>(param[step]);
        bool any = false;
        for (size_t mi : members) {
          auto& pts = m[mi].points;
          size_t& c = cursor[mi];
          while (c < pts.size() && pts[c].timestamp < t) ++c;
          if (c >= pts.size() || pts[c].timestamp != t) continue;
          const double v = pts[c].value;
          if (e.op == AggregateOp::kQuantile) {
            values.push_back(v);
            continue;
          }
          if (k < 1) continue;
          if (!any) {
            heap.Push({v, mi});
          } else if (static_cast<int64_t>(heap.h.size()) < k ||
                     (heap.reverse ? heap.h[0].v > v : heap.h[0].v < v) || std::isnan(heap.h[0].v)) {
            if (static_cast<int64_t>(heap.h.size()) == k) heap.Pop();
            heap.Push({v, mi});
          }
          any = true;
        }
        if (e.op == AggregateOp::kQuantile) {
          if (!values.empty()) qout.points.push_back({t, QuantileOf(param[step], &values)});
        } else {
          for (const Item& it : heap.h) member_out[it.member].points.push_back({t, it.v});
        }
      }
      if (e.op == AggregateOp::kQuantile && !qout.points.empty()) out.series.push_back(std::move(qout));
    }
    if (e.op != AggregateOp::kQuantile) {
      for (Series& s : member_out) {
        if (!s.points.empty()) out.series.push_back(std::move(s));
      }
      // Instant queries list topk in descending (bottomk ascending) order, like Prometheus.
      if (n == 1) {
        const bool desc = e.op == AggregateOp::kTopk;
        std::stable_sort(out.series.begin(), out.series.end(), [&](const Series& a, const Series& b) {
          const double x = a.points[0].value, y = b.points[0].value;
          if (std::isnan(x) || std::isnan(y)) return !std::isnan(x) && std::isnan(y);
          return desc ? x > y : x < y;
        });
      }
    }
    return out;
  }

  // sum avg min max count group stddev stdvar: per-group accumulators over all steps.
  std::vector<double> value(n), mean(n);
  std::vector<uint32_t> count(n);
  std::vector<size_t> cursor;
  for (size_t g = 0; g < groups.size(); ++g) {
    ctx_->MaybeCheckDeadline();
    std::fill(count.begin(), count.end(), 0);
    for (size_t mi : groups[g]) {
      for (const Sample& p : m[mi].points) {
        const size_t i = StepIndex(p.timestamp);
        const double v = p.value;
        if (count[i] == 0) {
          count[i] = 1;
          value[i] = v;
          mean[i] = v;
          if (e.op == AggregateOp::kStddev || e.op == AggregateOp::kStdvar) value[i] = 0;
          if (e.op == AggregateOp::kGroup) value[i] = 1;
          continue;
        }
        switch (e.op) {
          case AggregateOp::kSum:
            value[i] += v;
            break;
          case AggregateOp::kAvg: {
            const double c = ++count[i];
            if (std::isinf(mean[i])) {
              if (std::isinf(v) && (mean[i] > 0) == (v > 0)) break;
              if (!std::isinf(v) && !std::isnan(v)) break;
            }
            mean[i] += v / c - mean[i] / c;
            break;
          }
          case AggregateOp::kMax:
            if (value[i] < v || std::isnan(value[i])) value[i] = v;
            break;
          case AggregateOp::kMin:
            if (value[i] > v || std::isnan(value[i])) value[i] = v;
            break;
          case AggregateOp::kCount:
            ++count[i];
            break;
          case AggregateOp::kGroup:
            break;
          case AggregateOp::kStddev:
          case AggregateOp::kStdvar: {
            const double c = ++count[i];
            const double delta = v - mean[i];
            mean[i] += delta / c;
            value[i] += delta * (v - mean[i]);
            break;
          }
          default:
            break;
        }
      }
    }
    Series s{*group_labels[g], {}};
    for (size_t i = 0; i < n; ++i) {
      if (count[i] == 0) continue;
      double v = value[i];
      switch (e.op) {
        case AggregateOp::kAvg: v = mean[i]; break;
        case AggregateOp::kCount: v = count[i]; break;
        case AggregateOp::kStdvar: v = value[i] / count[i]; break;
        case AggregateOp::kStddev: v = std::sqrt(value[i] / count[i]); break;
        default: break;
      }
      s.points.push_back({StepTime(i), v});
    }
    if (!s.points.empty()) out.series.push_back(std::move(s));
  }
  return out;
}

}  // namespace gnomon::promql
