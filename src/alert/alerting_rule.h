// One alerting rule's state machine, as Prometheus 2.42 runs it (rules/alerting.go).
//
// At each evaluation the rule's expression is evaluated; every resulting sample is one alert
// whose labels are the sample's labels without `__name__`, overwritten by the rule's (templated)
// labels — a label whose template renders "" is removed — plus `alertname`. A new alert is
// pending from that evaluation (`active_at`) and becomes firing at the first evaluation at least
// `for` later (inclusive). An alert whose sample is gone becomes inactive (resolved) at once,
// unless it was firing and `keep_firing_for` has not yet passed since the first evaluation where
// it was gone; pending alerts are dropped, resolved ones kept for 15 minutes (for notifications).
// Annotations and the value follow the latest evaluation where the alert's sample was present.
//
// Eval returns the samples Prometheus writes for the rule: ALERTS{alertstate="pending"|"firing"}
// = 1 and ALERTS_FOR_STATE = active_at in unix seconds, one each per pending or firing alert.
//
// After a restart, RestoreForState gives the rule what ALERTS_FOR_STATE said before it; at the
// next evaluation an alert found there resumes its `for` clock instead of starting again
// (Prometheus' RestoreForState, rules/manager.go): with hold = `for` and downtime = the time
// since the alert's last ALERTS_FOR_STATE sample,
//   - an alert that had already been active for `for` (it was firing) keeps its active_at and
//     fires again at that evaluation;
//   - one with less than the grace period left waits the grace period from now;
//   - otherwise active_at moves forward by the downtime (the time down does not count).
// Rules whose `for` is shorter than the grace period are not restored (Prometheus neither).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "alert/rule_file.h"
#include "gnomon/db.h"
#include "gotemplate/template.h"
#include "query/promql/engine.h"

namespace gnomon::alert {

enum class AlertState { kInactive, kPending, kFiring };
const char* AlertStateName(AlertState s);  // "inactive", "pending", "firing"

struct Alert {
  Labels labels;  // sorted; includes alertname
  std::vector<std::pair<std::string, std::string>> annotations;  // sorted by name
  double value = 0;
  AlertState state = AlertState::kPending;
  int64_t active_at_ms = 0;
  int64_t fired_at_ms = 0;           // 0: never fired
  int64_t resolved_at_ms = 0;        // 0: not resolved
  int64_t keep_firing_since_ms = -1; // -1: the condition holds
};

// A change of one alert's state (inactive -> pending, pending -> firing, pending or firing ->
// inactive), for the event log. Labels, annotations and value as of that evaluation.
struct AlertEvent {
  int64_t time_ms = 0;
  AlertState from = AlertState::kInactive;
  AlertState to = AlertState::kInactive;
  Labels labels;
  std::vector<std::pair<std::string, std::string>> annotations;
  double value = 0;
};

// An alert's last ALERTS_FOR_STATE sample before a restart.
struct SavedForState {
  int64_t active_at_ms = 0;  // the sample's value (unix seconds) in ms
  int64_t down_at_ms = 0;    // the sample's timestamp
};

// Prometheus' --rules.alert.for-outage-tolerance and --rules.alert.for-grace-period.
struct ForStateOptions {
  int64_t outage_tolerance_ms = 3600 * 1000;  // older ALERTS_FOR_STATE samples are not restored
  int64_t grace_period_ms = 600 * 1000;       // the least time a restored alert still waits
};

// What evaluations share: where to query, and what templates see besides the alert.
struct EvalContext {
  DB* db = nullptr;
  promql::QueryOptions query_options;
  std::map<std::string, std::string> external_labels;
  std::string external_url;
};

// Runs an instant query and returns a vector (a scalar becomes one sample without labels; a
// string or matrix result is an error, as in Prometheus' rule manager).
Result<std::vector<promql::SeriesResult>> QueryVector(const EvalContext& ctx, const std::string& expr, int64_t t_ms);

class AlertingRule {
 public:
  explicit AlertingRule(Rule rule);

  const Rule& rule() const { return rule_; }
  const std::string& name() const { return rule_.alert; }

  // Evaluates at t_ms and appends ALERTS / ALERTS_FOR_STATE samples to *out. A query error or
  // two alerts with the same labels fail the evaluation (the state is left as it was).
  Status Eval(const EvalContext& ctx, int64_t t_ms, std::vector<promql::SeriesResult>* out);

  // Pending, firing and recently resolved alerts, ordered by labels.
  std::vector<const Alert*> Alerts() const;

  // The state changes of the evaluations since the last call, oldest first.
  std::vector<AlertEvent> TakeEvents() { return std::exchange(events_, {}); }

  // The labels of the ALERTS_FOR_STATE series of an alert with `alert_labels` (with __name__).
  Labels ForStateLabels(const Labels& alert_labels) const;

  // Reads the rule's ALERTS_FOR_STATE series in (t_ms - outage tolerance, t_ms] from ctx.db and
  // keeps their last samples for the next evaluation (see the top of this file). Does nothing
  // for a rule whose `for` is shorter than the grace period.
  Status RestoreForState(const EvalContext& ctx, int64_t t_ms, const ForStateOptions& options);
  // The same with the saved states given, keyed by ForStateLabels without __name__.
  void SetSavedForState(std::map<Labels, SavedForState> saved, const ForStateOptions& options);

  // Takes the alerts of `old`, the same rule before a reload, so they keep their state.
  void TakeStateFrom(AlertingRule& old) { active_ = std::move(old.active_); }

 private:
  void Record(int64_t t_ms, const Alert& a, AlertState from, AlertState to);
  // active_at for a new alert at t_ms: restored from saved_ if it is there, else t_ms.
  int64_t ActiveAtFor(const Labels& labels, int64_t t_ms) const;

  Rule rule_;
  std::string template_name_;                // "__alert_" + name, as Prometheus names them
  std::vector<Result<gotemplate::Template>> label_templates_;       // parsed once, in rule_.labels' order
  std::vector<Result<gotemplate::Template>> annotation_templates_;  // in rule_.annotations' order
  std::map<Labels, Alert> active_;
  std::vector<AlertEvent> events_;
  std::map<Labels, SavedForState> saved_;  // until the first evaluation after RestoreForState
  ForStateOptions for_state_options_;
};

}  // namespace gnomon::alert
