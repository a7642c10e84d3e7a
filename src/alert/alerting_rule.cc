#include "alert/alerting_rule.h"

#include <algorithm>
#include <set>

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
    fresh.active_at_ms = t_ms;
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
    Labels base;
    for (const auto& [name, value] : rule_.labels) base = WithLabel(std::move(base), name, value);
    for (const Label& l : a.labels) base = WithLabel(std::move(base), l.name, l.value);
    promql::SeriesResult alerts;
    alerts.labels = WithLabel(WithLabel(base, kMetricNameLabel, "ALERTS"), "alertstate", AlertStateName(a.state));
    alerts.points.push_back({t_ms, 1});
    out->push_back(std::move(alerts));
    promql::SeriesResult for_state;
    for_state.labels = WithLabel(std::move(base), kMetricNameLabel, "ALERTS_FOR_STATE");
    for_state.points.push_back({t_ms, static_cast<double>(a.active_at_ms / 1000)});
    out->push_back(std::move(for_state));
    ++it;
  }
  return Status::OK();
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
