#include "alert/alerting_rule.h"

#include <algorithm>
#include <set>

#include "util/stale_marker.h"

namespace gnomon::alert {

using gotemplate::ExpandAlertTemplate;
using gotemplate::QueryFunc;
using gotemplate::QuerySample;
using gotemplate::Template;
using gotemplate::TemplateData;

namespace {

constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;

Labels WithLabel(Labels labels, const std::string& name, const std::string& value) {
  auto it = std::lower_bound(labels.begin(), labels.end(), name, [](const Label& l, const std::string& n) { return l.name < n; });
  if (it != labels.end() && it->name == name) {
    if (value.empty()) {
      labels.erase(it);
    } else {
      it->value = value;
    }
  } else if (!value.empty()) {
    labels.insert(it, Label{name, value});
  }
  return labels;
}

}  // namespace

AlertingRule::AlertingRule(Rule rule) : rule_(std::move(rule)), template_name_("__alert_" + rule_.alert) {
  for (const auto& [name, text] : rule_.labels) label_templates_.push_back(Template::Parse(template_name_, text));
  for (const auto& [name, text] : rule_.annotations) annotation_templates_.push_back(Template::Parse(template_name_, text));
}

const char* AlertStateName(AlertState s) {
  switch (s) {
    case AlertState::kInactive: return "inactive";
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
  }
  return "inactive";
}

Result<std::vector<promql::SeriesResult>> QueryVector(const EvalContext& ctx, const std::string& expr, int64_t t_ms) {
  auto r = promql::EvalInstant(ctx.db, expr, t_ms, ctx.query_options);
  if (!r.ok()) return r.status();
  promql::QueryResult& q = r.value();
  if (q.type == promql::ValueType::kScalar) {
    std::vector<promql::SeriesResult> v(1);
    v[0].points.push_back({t_ms, q.scalar.value});
    return v;
  }
  if (q.type != promql::ValueType::kVector) return Status::InvalidArgument("rule result is not a vector or scalar");
  return std::move(q.series);
}

Status AlertingRule::Eval(const EvalContext& ctx, int64_t t_ms, std::vector<promql::SeriesResult>* out) {
  auto result = QueryVector(ctx, rule_.expr, t_ms);
  if (!result.ok()) return result.status();

  const QueryFunc query = [&ctx, t_ms](std::string_view expr) -> Result<std::vector<QuerySample>> {
    auto r = QueryVector(ctx, std::string(expr), t_ms);
    if (!r.ok()) return r.status();
    std::vector<QuerySample> samples;
    for (const promql::SeriesResult& s : r.value()) {
      QuerySample q;
      for (const Label& l : s.labels) q.labels[l.name] = l.value;
      q.value = s.points.empty() ? 0 : s.points.front().value;
      samples.push_back(std::move(q));
    }
    return samples;
  };

  // Build this evaluation's alerts before touching the state, so a failed evaluation leaves it.
  std::map<Labels, Alert> now;
  for (const promql::SeriesResult& s : result.value()) {
    TemplateData data;
    for (const Label& l : s.labels) data.labels[l.name] = l.value;
    data.value = s.points.empty() ? 0 : s.points.front().value;
    data.external_labels = ctx.external_labels;
    data.external_url = ctx.external_url;
    Labels labels = WithLabel(s.labels, kMetricNameLabel, "");
    for (size_t i = 0; i < rule_.labels.size(); ++i) {
      labels = WithLabel(std::move(labels), rule_.labels[i].first,
                         ExpandAlertTemplate(template_name_, label_templates_[i], data, query));
    }
    labels = WithLabel(std::move(labels), "alertname", rule_.alert);
    Alert a;
    a.value = data.value;
    for (size_t i = 0; i < rule_.annotations.size(); ++i) {
      a.annotations.emplace_back(rule_.annotations[i].first,
                                 ExpandAlertTemplate(template_name_, annotation_templates_[i], data, query));
    }
    std::sort(a.annotations.begin(), a.annotations.end());
    a.labels = labels;
    if (!now.emplace(std::move(labels), std::move(a)).second) {
      return Status::FailedPrecondition("vector contains metrics with the same labelset after applying alert labels");
    }
  }

  for (auto& [labels, fresh] : now) {
    auto it = active_.find(labels);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = fresh.value;
      it->second.annotations = std::move(fresh.annotations);
      it->second.keep_firing_since_ms = -1;
      continue;
    }
    fresh.state = AlertState::kPending;
    fresh.active_at_ms = ActiveAtFor(labels, t_ms);
    Record(t_ms, fresh, AlertState::kInactive, AlertState::kPending);
    active_.insert_or_assign(labels, std::move(fresh));
  }

  for (auto it = active_.begin(); it != active_.end();) {
    Alert& a = it->second;
    if (now.count(it->first) == 0) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && rule_.keep_firing_for_ms > 0) {
        if (a.keep_firing_since_ms < 0) a.keep_firing_since_ms = t_ms;
        keep_firing = t_ms - a.keep_firing_since_ms < rule_.keep_firing_for_ms;
      }
      if (a.state == AlertState::kPending) Record(t_ms, a, AlertState::kPending, AlertState::kInactive);
      if (a.state == AlertState::kPending ||
          (a.resolved_at_ms != 0 && t_ms - a.resolved_at_ms > kResolvedRetentionMs)) {
        it = active_.erase(it);
        continue;
      }
      if (a.state != AlertState::kInactive && !keep_firing) {
        Record(t_ms, a, a.state, AlertState::kInactive);
        a.state = AlertState::kInactive;
        a.resolved_at_ms = t_ms;
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    }
    if (a.state == AlertState::kPending && t_ms - a.active_at_ms >= rule_.for_ms) {
      Record(t_ms, a, AlertState::kPending, AlertState::kFiring);
      a.state = AlertState::kFiring;
      a.fired_at_ms = t_ms;
    }
    // ALERTS and ALERTS_FOR_STATE: the rule's own labels (unexpanded) under the alert's.
    promql::SeriesResult for_state;
    for_state.labels = ForStateLabels(a.labels);
    promql::SeriesResult alerts;
    alerts.labels =
        WithLabel(WithLabel(for_state.labels, kMetricNameLabel, "ALERTS"), "alertstate", AlertStateName(a.state));
    alerts.points.push_back({t_ms, 1});
    out->push_back(std::move(alerts));
    for_state.points.push_back({t_ms, static_cast<double>(a.active_at_ms / 1000)});
    out->push_back(std::move(for_state));
    ++it;
  }
  saved_.clear();  // restored at most once: at the first evaluation after a restart
  return Status::OK();
}

Labels AlertingRule::ForStateLabels(const Labels& alert_labels) const {
  Labels base;
  for (const auto& [name, value] : rule_.labels) base = WithLabel(std::move(base), name, value);
  for (const Label& l : alert_labels) base = WithLabel(std::move(base), l.name, l.value);
  return WithLabel(std::move(base), kMetricNameLabel, "ALERTS_FOR_STATE");
}

Status AlertingRule::RestoreForState(const EvalContext& ctx, int64_t t_ms, const ForStateOptions& options) {
  if (rule_.for_ms < options.grace_period_ms) return Status::OK();
  auto set =
      ctx.db->Select({Matcher::Equal(kMetricNameLabel, "ALERTS_FOR_STATE"), Matcher::Equal("alertname", rule_.alert)},
                     t_ms - options.outage_tolerance_ms + 1, t_ms);
  if (!set.ok()) return set.status();
  std::map<Labels, SavedForState> saved;
  while ((*set)->Next()) {
    SampleIterator* it = (*set)->samples();
    bool any = false;
    Sample last{};
    while (it->Next()) {
      last = it->At();
      any = true;
    }
    GNOMON_RETURN_IF_ERROR(it->status());
    if (!any || IsStaleNaN(last.value)) continue;  // the alert had ended
    saved[WithLabel((*set)->labels(), kMetricNameLabel, "")] = {static_cast<int64_t>(last.value) * 1000,
                                                                last.timestamp};
  }
  GNOMON_RETURN_IF_ERROR((*set)->status());
  SetSavedForState(std::move(saved), options);
  return Status::OK();
}

void AlertingRule::SetSavedForState(std::map<Labels, SavedForState> saved, const ForStateOptions& options) {
  saved_ = std::move(saved);
  for_state_options_ = options;
}

int64_t AlertingRule::ActiveAtFor(const Labels& labels, int64_t t_ms) const {
  if (saved_.empty()) return t_ms;
  auto it = saved_.find(WithLabel(ForStateLabels(labels), kMetricNameLabel, ""));
  if (it == saved_.end()) return t_ms;
  const SavedForState& s = it->second;
  const int64_t remaining = rule_.for_ms - (s.down_at_ms - s.active_at_ms);
  if (remaining <= 0) return s.active_at_ms;  // it was firing: it fires again now
  if (remaining < for_state_options_.grace_period_ms) return t_ms + for_state_options_.grace_period_ms - rule_.for_ms;
  return s.active_at_ms + (t_ms - s.down_at_ms);  // the downtime does not count
}

void AlertingRule::Record(int64_t t_ms, const Alert& a, AlertState from, AlertState to) {
  constexpr size_t kMaxPendingEvents = 100'000;  // nobody draining them: keep the newest
  if (events_.size() >= kMaxPendingEvents) events_.erase(events_.begin());
  events_.push_back({t_ms, from, to, a.labels, a.annotations, a.value});
}

std::vector<const Alert*> AlertingRule::Alerts() const {
  std::vector<const Alert*> v;
  for (const auto& [labels, a] : active_) v.push_back(&a);
  return v;
}

}  // namespace gnomon::alert
