// histogram_quantile() over classic histograms: series grouped by their labels without `le`
// (and per metric name), buckets sorted by upper bound, equal bounds merged, counts made
// monotonic, linear interpolation inside the bucket (Prometheus' bucketQuantile).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "query/promql/eval_internal.h"

namespace gnomon::promql {
namespace {

struct Bucket {
  double upper;
  double count;
};

double BucketQuantile(double q, std::vector<Bucket>& b) {
  if (std::isnan(q)) return std::nan("");
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(b.begin(), b.end(), [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
  if (!(std::isinf(b.back().upper) && b.back().upper > 0)) return std::nan("");
  // Merge buckets with the same upper bound.
  std::vector<Bucket> c;
  for (const Bucket& x : b) {
    if (!c.empty() && c.back().upper == x.upper) {
      c.back().count += x.count;
    } else {
      c.push_back(x);
    }
  }
  // Force monotonic counts (buckets scraped at slightly different times can disagree).
  double max = -std::numeric_limits<double>::infinity();
  for (Bucket& x : c) {
    if (x.count > max) {
      max = x.count;
    } else if (x.count < max) {
      x.count = max;
    }
  }
  if (c.size() < 2) return std::nan("");
  const double observations = c.back().count;
  if (observations == 0) return std::nan("");
  double rank = q * observations;
  size_t idx = 0;
  while (idx < c.size() - 1 && !(c[idx].count >= rank)) ++idx;
  if (idx == c.size() - 1) return c[c.size() - 2].upper;
  if (idx == 0 && c[0].upper <= 0) return c[0].upper;
  double start = 0;
  const double end = c[idx].upper;
  double count = c[idx].count;
  if (idx > 0) {
    start = c[idx - 1].upper;
    count -= c[idx - 1].count;
    rank -= c[idx - 1].count;
  }
  return start + (end - start) * (rank / count);
}

}  // namespace

std::optional<Value> EvalHistogramFunction(Evaluator& ev, const Call& call) {
  if (call.func != "histogram_quantile") return std::nullopt;
  std::vector<double> q = ev.EvalScalarArg(*call.args.at(0));
  Value in = ev.Eval(*call.args.at(1));
  Matrix& m = in.series;

  // Group id and upper bound of each series; series without a parsable `le` are skipped.
  std::map<std::pair<Labels, std::string>, size_t> ids;
  std::vector<Labels> group_labels;
  std::vector<std::vector<std::pair<size_t, double>>> members;
  for (size_t i = 0; i < m.size(); ++i) {
    const std::string* le = GetLabel(m[i].labels, "le");
    double upper;
    if (!le || !ParseFloatGo(*le, &upper)) continue;
    Labels key;
    std::string name;
    for (const Label& l : m[i].labels) {
      if (l.name == kMetricNameLabel) {
        name = l.value;
      } else if (l.name != "le") {
        key.push_back(l);
      }
    }
    auto [it, inserted] = ids.emplace(std::make_pair(key, name), group_labels.size());
    if (inserted) {
      group_labels.push_back(key);
      members.emplace_back();
    }
    members[it->second].push_back({i, upper});
  }

  Value out;
  out.type = ValueType::kVector;
  std::vector<size_t> cursor(m.size(), 0);
  std::vector<Bucket> buckets;
  for (size_t g = 0; g < members.size(); ++g) {
    ev.ctx()->MaybeCheckDeadline();
    Series s{group_labels[g], {}};
    for (size_t step = 0; step < ev.NumSteps(); ++step) {
      const int64_t t = ev.StepTime(step);
      buckets.clear();
      for (auto [mi, upper] : members[g]) {
        const auto& pts = m[mi].points;
        size_t& c = cursor[mi];
        while (c < pts.size() && pts[c].timestamp < t) ++c;
        if (c < pts.size() && pts[c].timestamp == t) buckets.push_back({upper, pts[c].value});
      }
      if (!buckets.empty()) s.points.push_back({t, BucketQuantile(q[step], buckets)});
    }
    if (!s.points.empty()) out.series.push_back(std::move(s));
  }
  ev.MergeAfterNameDrop(&out.series);
  return out;
}

}  // namespace gnomon::promql
