#include "alert/rule_group.h"

#include <algorithm>
#include <chrono>
#include <iterator>

#include "gnomon/write_batch.h"
#include "util/stale_marker.h"

namespace gnomon::alert {

namespace {

void SetLabel(Labels* labels, const std::string& name, const std::string& value) {
  auto it = std::lower_bound(labels->begin(), labels->end(), name, [](const Label& l, const std::string& n) { return l.name < n; });
  const bool found = it != labels->end() && it->name == name;
  if (value.empty()) {
    if (found) labels->erase(it);
  } else if (found) {
    it->value = value;
  } else {
    labels->insert(it, Label{name, value});
  }
}

}  // namespace

RuleGroupEvaluator::RuleGroupEvaluator(RuleGroup group) : group_(std::make_shared<const RuleGroup>(std::move(group))) {
  for (const Rule& r : group_->rules) {
    Entry e;
    e.rule = &r;
    if (r.is_alert()) e.alerting = std::make_unique<AlertingRule>(r);
    entries_.push_back(std::move(e));
  }
  Publish(0);
}

Result<std::vector<promql::SeriesResult>> RuleGroupEvaluator::EvalRecording(const EvalContext& ctx, const Rule& rule,
                                                                            int64_t t_ms) {
  auto r = QueryVector(ctx, rule.expr, t_ms);
  if (!r.ok()) return r.status();
  std::vector<promql::SeriesResult> v = std::move(r.value());
  std::set<Labels> seen;
  for (promql::SeriesResult& s : v) {
    SetLabel(&s.labels, kMetricNameLabel, rule.record);
    for (const auto& [name, value] : rule.labels) SetLabel(&s.labels, name, value);
    if (!seen.insert(s.labels).second) {
      return Status::FailedPrecondition("vector contains metrics with the same labelset after applying rule labels");
    }
  }
  return v;
}

std::vector<RuleEvalError> RuleGroupEvaluator::Eval(const EvalContext& ctx, int64_t t_ms) {
  std::vector<RuleEvalError> errors;
  const auto group_started = std::chrono::steady_clock::now();
  for (Entry& e : entries_) {
    const auto started = std::chrono::steady_clock::now();
    e.last_eval_ms = t_ms;
    e.last_error = EvalOne(ctx, e, t_ms);
    e.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!e.last_error.ok()) errors.push_back({e.rule->name(), e.last_error});
  }
  Publish(std::chrono::duration<double>(std::chrono::steady_clock::now() - group_started).count());
  return errors;
}

void RuleGroupEvaluator::Publish(double eval_seconds) {
  auto s = std::make_shared<Snapshot>();
  s->group = group_;
  s->eval_seconds = eval_seconds;
  for (const Entry& e : entries_) {
    RuleSnapshot r;
    r.rule = e.rule;
    r.alerting = e.alerting != nullptr;
    r.last_error = e.last_error;
    r.last_eval_ms = e.last_eval_ms;
    r.eval_seconds = e.eval_seconds;
    if (e.alerting) {
      for (const Alert* a : e.alerting->Alerts()) r.alerts.push_back(*a);
    }
    s->last_eval_ms = std::max(s->last_eval_ms, e.last_eval_ms);
    s->rules.push_back(std::move(r));
  }
  std::lock_guard lock(snapshot_mu_);
  snapshot_ = std::move(s);
}

std::shared_ptr<const RuleGroupEvaluator::Snapshot> RuleGroupEvaluator::snapshot() const {
  std::lock_guard lock(snapshot_mu_);
  return snapshot_;
}

Status RuleGroupEvaluator::RestoreForState(const EvalContext& ctx, int64_t t_ms, const ForStateOptions& options) {
  Status first;
  for (Entry& e : entries_) {
    if (!e.alerting) continue;
    Status s = e.alerting->RestoreForState(ctx, t_ms, options);
    if (first.ok()) first = s;
  }
  return first;
}

std::set<Labels> RuleGroupEvaluator::TakeStateFrom(RuleGroupEvaluator& old) {
  std::set<Labels> orphaned;
  std::vector<bool> taken(old.entries_.size(), false);
  for (Entry& e : entries_) {
    for (size_t i = 0; i < old.entries_.size(); ++i) {
      Entry& o = old.entries_[i];
      if (taken[i] || o.rule->name() != e.rule->name() || o.rule->is_alert() != e.rule->is_alert()) continue;
      taken[i] = true;
      e.previous = std::move(o.previous);
      e.last_error = o.last_error;
      e.last_eval_ms = o.last_eval_ms;
      e.eval_seconds = o.eval_seconds;
      if (e.alerting) e.alerting->TakeStateFrom(*o.alerting);
      break;
    }
  }
  for (size_t i = 0; i < old.entries_.size(); ++i) {
    if (!taken[i]) orphaned.insert(old.entries_[i].previous.begin(), old.entries_[i].previous.end());
  }
  Publish(old.snapshot()->eval_seconds);
  return orphaned;
}

std::set<Labels> RuleGroupEvaluator::WrittenSeries() const {
  std::set<Labels> all;
  for (const Entry& e : entries_) all.insert(e.previous.begin(), e.previous.end());
  return all;
}

Status MarkStale(DB* db, const std::set<Labels>& series, int64_t t_ms) {
  WriteBatch batch;
  for (const Labels& l : series) batch.Add(l, t_ms, StaleNaN());
  return batch.empty() ? Status::OK() : db->Write(batch);
}

Status RuleGroupEvaluator::EvalOne(const EvalContext& ctx, Entry& e, int64_t t_ms) {
  std::vector<promql::SeriesResult> out;
  if (e.alerting) {
    GNOMON_RETURN_IF_ERROR(e.alerting->Eval(ctx, t_ms, &out));
  } else {
    auto recorded = EvalRecording(ctx, *e.rule, t_ms);
    if (!recorded.ok()) return recorded.status();
    out = std::move(recorded.value());
  }
  WriteBatch batch;
  std::set<Labels> written;
  for (const promql::SeriesResult& s : out) {
    if (s.points.empty()) continue;
    batch.Add(s.labels, t_ms, s.points.front().value);
    written.insert(s.labels);
  }
  for (const Labels& gone : e.previous) {
    if (written.count(gone) == 0) batch.Add(gone, t_ms, StaleNaN());
  }
  e.previous = std::move(written);
  return batch.empty() ? Status::OK() : ctx.db->Write(batch);
}

std::vector<RuleGroupEvaluator::RuleStatus> RuleGroupEvaluator::Rules() const {
  std::vector<RuleStatus> v;
  for (const Entry& e : entries_) v.push_back({e.rule, e.alerting.get(), e.last_error, e.last_eval_ms, e.eval_seconds});
  return v;
}

std::vector<AlertEvent> RuleGroupEvaluator::TakeEvents() {
  std::vector<AlertEvent> all;
  for (Entry& e : entries_) {
    if (!e.alerting) continue;
    std::vector<AlertEvent> events = e.alerting->TakeEvents();
    all.insert(all.end(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
  }
  return all;
}

std::vector<const AlertingRule*> RuleGroupEvaluator::AlertingRules() const {
  std::vector<const AlertingRule*> v;
  for (const Entry& e : entries_) {
    if (e.alerting) v.push_back(e.alerting.get());
  }
  return v;
}

}  // namespace gnomon::alert
