// Binary operators: scalar/scalar, vector/scalar, vector/vector with on/ignoring and
// group_left/group_right, comparison filters and `bool`, and the set operators and/or/unless.
// Matching signatures and result labels are computed once per series (or pair of series); the
// per-step work is array lookups.
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "index/labels_util.h"
#include "query/promql/eval_internal.h"

namespace gnomon::promql {
namespace {

bool IsArithmetic(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: case BinaryOp::kSub: case BinaryOp::kMul: case BinaryOp::kDiv:
    case BinaryOp::kMod: case BinaryOp::kPow: case BinaryOp::kAtan2:
      return true;
    default:
      return false;
  }
}

// Operators whose result drops __name__ (Prometheus 2.42's shouldDropMetricName: atan2 keeps it).
bool DropsName(BinaryOp op) { return IsArithmetic(op) && op != BinaryOp::kAtan2; }

bool IsComparison(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEql: case BinaryOp::kNeq: case BinaryOp::kGtr: case BinaryOp::kLss:
    case BinaryOp::kGte: case BinaryOp::kLte:
      return true;
    default:
      return false;
  }
}

// Prometheus' vectorElemBinop: the value and whether a comparison keeps the element.
std::pair<double, bool> ElemBinop(BinaryOp op, double l, double r) {
  switch (op) {
    case BinaryOp::kAdd: return {l + r, true};
    case BinaryOp::kSub: return {l - r, true};
    case BinaryOp::kMul: return {l * r, true};
    case BinaryOp::kDiv: return {l / r, true};
    case BinaryOp::kPow: return {std::pow(l, r), true};
    case BinaryOp::kMod: return {std::fmod(l, r), true};
    case BinaryOp::kAtan2: return {std::atan2(l, r), true};
    case BinaryOp::kEql: return {l, l == r};
    case BinaryOp::kNeq: return {l, l != r};
    case BinaryOp::kGtr: return {l, l > r};
    case BinaryOp::kLss: return {l, l < r};
    case BinaryOp::kGte: return {l, l >= r};
    case BinaryOp::kLte: return {l, l <= r};
    default: break;
  }
  ThrowStatus(Status::InvalidArgument("operator not allowed between these operands"));
}

double ScalarBinop(BinaryOp op, double l, double r) {
  auto [v, keep] = ElemBinop(op, l, r);
  if (IsComparison(op)) return keep ? 1 : 0;
  return v;
}

// The labels a series is matched on: on(...) keeps only those labels, ignoring(...) drops them
// and the metric name.
Labels MatchLabels(const Labels& l, const VectorMatching& m) {
  Labels out;
  for (const Label& x : l) {
    const bool listed = std::find(m.matching_labels.begin(), m.matching_labels.end(), x.name) != m.matching_labels.end();
    if (m.on ? listed : (!listed && x.name != kMetricNameLabel)) out.push_back(x);
  }
  return out;
}

// Assigns each series a dense signature id.
std::vector<int> Signatures(const Matrix& m, const VectorMatching& vm, std::map<Labels, int>* ids) {
  std::vector<int> out;
  out.reserve(m.size());
  for (const Series& s : m) {
    auto [it, inserted] = ids->emplace(MatchLabels(s.labels, vm), static_cast<int>(ids->size()));
    out.push_back(it->second);
  }
  return out;
}

// Per-series cursor: the value of each series at the current step, if any.
struct StepCursor {
  explicit StepCursor(const Matrix& m) : m_(m), pos_(m.size(), 0) {}
  // Returns the series' value at step time t (advancing its cursor), or nullptr.
  const Sample* At(size_t idx, int64_t t) {
    const auto& pts = m_[idx].points;
    size_t& p = pos_[idx];
    while (p < pts.size() && pts[p].timestamp < t) ++p;
    if (p < pts.size() && pts[p].timestamp == t) return &pts[p];
    return nullptr;
  }

 private:
  const Matrix& m_;
  std::vector<size_t> pos_;
};

Labels ResultMetric(const Labels& lhs, const Labels& rhs, BinaryOp op, const VectorMatching& m) {
  Labels out = lhs;
  if (DropsName(op)) DelLabel(out, kMetricNameLabel);
  if (m.card == VectorMatching::Card::kOneToOne) {
    if (m.on) {
      std::erase_if(out, [&](const Label& x) {
        return std::find(m.matching_labels.begin(), m.matching_labels.end(), x.name) == m.matching_labels.end();
      });
    } else {
      for (const std::string& n : m.matching_labels) DelLabel(out, n);
    }
  }
  for (const std::string& n : m.include) {
    const std::string* v = GetLabel(rhs, n);
    SetLabel(out, n, v ? *v : "");
  }
  return out;
}

Value VectorScalar(Evaluator& ev, const BinaryExpr& e, Value vec, const std::vector<double>& scalars, bool swap) {
  const bool drop = DropsName(e.op) || e.return_bool;
  for (Series& s : vec.series) {
    if (drop) s.labels = DropMetricName(s.labels);
    std::vector<Sample> pts;
    pts.reserve(s.points.size());
    for (const Sample& p : s.points) {
      double lv = p.value, rv = scalars[ev.StepIndex(p.timestamp)];
      if (swap) std::swap(lv, rv);
      auto [value, keep] = ElemBinop(e.op, lv, rv);
      if (IsComparison(e.op) && swap) value = rv;
      if (e.return_bool) {
        value = keep ? 1 : 0;
        keep = true;
      }
      if (keep) pts.push_back({p.timestamp, value});
    }
    s.points = std::move(pts);
  }
  std::erase_if(vec.series, [](const Series& s) { return s.points.empty(); });
  if (drop) ev.MergeAfterNameDrop(&vec.series);
  return vec;
}

Value SetOp(Evaluator& ev, const BinaryExpr& e, const VectorMatching& vm, Matrix& lhs, Matrix& rhs) {
  std::map<Labels, int> ids;
  const std::vector<int> lsig = Signatures(lhs, vm, &ids);
  const std::vector<int> rsig = Signatures(rhs, vm, &ids);
  std::vector<size_t> lstamp(ids.size(), 0), rstamp(ids.size(), 0);  // step+1 when present
  StepCursor lc(lhs), rc(rhs);
  Matrix out_l(lhs.size()), out_r(rhs.size());
  for (size_t i = 0; i < lhs.size(); ++i) out_l[i].labels = lhs[i].labels;
  for (size_t i = 0; i < rhs.size(); ++i) out_r[i].labels = rhs[i].labels;
  for (size_t step = 0; step < ev.NumSteps(); ++step) {
    ev.ctx()->MaybeCheckDeadline();
    const int64_t t = ev.StepTime(step);
    const size_t mark = step + 1;
    for (size_t i = 0; i < rhs.size(); ++i) {
      if (rc.At(i, t)) rstamp[rsig[i]] = mark;
    }
    for (size_t i = 0; i < lhs.size(); ++i) {
      const Sample* p = lc.At(i, t);
      if (!p) continue;
      lstamp[lsig[i]] = mark;
      const bool matched = rstamp[lsig[i]] == mark;
      if (e.op == BinaryOp::kLor || (e.op == BinaryOp::kLand && matched) || (e.op == BinaryOp::kLunless && !matched)) {
        out_l[i].points.push_back(*p);
      }
    }
    if (e.op == BinaryOp::kLor) {
      StepCursor& c = rc;  // rc already advanced to t; At() is idempotent for the same t
      for (size_t i = 0; i < rhs.size(); ++i) {
        const Sample* p = c.At(i, t);
        if (p && lstamp[rsig[i]] != mark) out_r[i].points.push_back(*p);
      }
    }
  }
  Value v;
  v.type = ValueType::kVector;
  for (Series& s : out_l) {
    if (!s.points.empty()) v.series.push_back(std::move(s));
  }
  for (Series& s : out_r) {
    if (!s.points.empty()) v.series.push_back(std::move(s));
  }
  if (e.op == BinaryOp::kLor) MergeSameLabels(&v.series);
  return v;
}

Value VectorVector(Evaluator& ev, const BinaryExpr& e, const VectorMatching& vm, Matrix& lhs_in, Matrix& rhs_in) {
  const bool one_to_many = vm.card == VectorMatching::Card::kOneToMany;
  // The "many" side (or either side for one-to-one) is L; the "one" side is R.
  Matrix& L = one_to_many ? rhs_in : lhs_in;
  Matrix& R = one_to_many ? lhs_in : rhs_in;
  std::map<Labels, int> ids;
  const std::vector<int> lsig = Signatures(L, vm, &ids);
  const std::vector<int> rsig = Signatures(R, vm, &ids);
  std::vector<int> right_at(ids.size(), -1);
  std::vector<size_t> matched_stamp(ids.size(), 0);
  std::vector<int> touched;
  StepCursor lc(L), rc(R);
  std::unordered_map<uint64_t, int> pair_out;
  std::map<Labels, int> out_ids;
  Matrix out;
  std::vector<size_t> out_last;  // step+1 of each output series' last point
  for (size_t step = 0; step < ev.NumSteps(); ++step) {
    ev.ctx()->MaybeCheckDeadline();
    const int64_t t = ev.StepTime(step);
    const size_t mark = step + 1;
    for (int s : touched) right_at[s] = -1;
    touched.clear();
    for (size_t i = 0; i < R.size(); ++i) {
      if (!rc.At(i, t)) continue;
      const int sig = rsig[i];
      if (right_at[sig] >= 0) {
        const Labels group = MatchLabels(R[i].labels, vm);
        ThrowExec("found duplicate series for the match group " + index::LabelsToString(group) + " on the " +
                  (one_to_many ? "left" : "right") + " hand-side of the operation: [" +
                  index::LabelsToString(R[i].labels) + ", " +
                  index::LabelsToString(R[static_cast<size_t>(right_at[sig])].labels) +
                  "];many-to-many matching not allowed: matching labels must be unique on one side");
      }
      right_at[sig] = static_cast<int>(i);
      touched.push_back(sig);
    }
    for (size_t i = 0; i < L.size(); ++i) {
      const Sample* lp = lc.At(i, t);
      if (!lp) continue;
      const int sig = lsig[i];
      const int ri = right_at[sig];
      if (ri < 0) continue;
      const Sample* rp = rc.At(static_cast<size_t>(ri), t);
      double vl = lp->value, vr = rp->value;
      if (one_to_many) std::swap(vl, vr);
      auto [value, keep] = ElemBinop(e.op, vl, vr);
      if (e.return_bool) {
        value = keep ? 1 : 0;
      } else if (!keep) {
        continue;
      }
      if (vm.card == VectorMatching::Card::kOneToOne) {
        if (matched_stamp[sig] == mark) {
          ThrowExec("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
        }
        matched_stamp[sig] = mark;
      }
      const uint64_t key = (static_cast<uint64_t>(i) << 32) | static_cast<uint32_t>(ri);
      auto it = pair_out.find(key);
      if (it == pair_out.end()) {
        Labels metric = ResultMetric(L[i].labels, R[static_cast<size_t>(ri)].labels, e.op, vm);
        if (e.return_bool) metric = DropMetricName(metric);
        auto [oit, inserted] = out_ids.emplace(std::move(metric), static_cast<int>(out.size()));
        if (inserted) {
          out.push_back(Series{oit->first, {}});
          out_last.push_back(0);
        }
        it = pair_out.emplace(key, oit->second).first;
      }
      const size_t o = static_cast<size_t>(it->second);
      if (out_last[o] == mark) {
        if (vm.card == VectorMatching::Card::kOneToOne) {
          ThrowExec("vector cannot contain metrics with the same labelset");
        }
        ThrowExec("multiple matches for labels: grouping labels must ensure unique matches");
      }
      out_last[o] = mark;
      out[o].points.push_back({t, value});
    }
  }
  Value v;
  v.type = ValueType::kVector;
  v.series = std::move(out);
  return v;
}

}  // namespace

Value Evaluator::EvalBinary(const BinaryExpr& e) {
  Value lhs = Eval(*e.lhs);
  Value rhs = Eval(*e.rhs);
  if (lhs.type == ValueType::kScalar && rhs.type == ValueType::kScalar) {
    for (size_t i = 0; i < lhs.scalars.size(); ++i) lhs.scalars[i] = ScalarBinop(e.op, lhs.scalars[i], rhs.scalars[i]);
    return lhs;
  }
  if (lhs.type == ValueType::kVector && rhs.type == ValueType::kScalar) {
    return VectorScalar(*this, e, std::move(lhs), rhs.scalars, false);
  }
  if (lhs.type == ValueType::kScalar && rhs.type == ValueType::kVector) {
    return VectorScalar(*this, e, std::move(rhs), lhs.scalars, true);
  }
  if (lhs.type != ValueType::kVector || rhs.type != ValueType::kVector) {
    ThrowStatus(Status::InvalidArgument(std::string("binary expression must contain only scalar and instant vector types")));
  }
  VectorMatching vm;
  if (e.matching) {
    vm = *e.matching;
  } else if (e.op == BinaryOp::kLand || e.op == BinaryOp::kLor || e.op == BinaryOp::kLunless) {
    vm.card = VectorMatching::Card::kManyToMany;
  }
  if (e.op == BinaryOp::kLand || e.op == BinaryOp::kLor || e.op == BinaryOp::kLunless) {
    return SetOp(*this, e, vm, lhs.series, rhs.series);
  }
  if (vm.card == VectorMatching::Card::kManyToMany) vm.card = VectorMatching::Card::kOneToOne;
  return VectorVector(*this, e, vm, lhs.series, rhs.series);
}

}  // namespace gnomon::promql
