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

 private:
  void Record(int64_t t_ms, const Alert& a, AlertState from, AlertState to);

  Rule rule_;
  std::string template_name_;                // "__alert_" + name, as Prometheus names them
  std::vector<Result<gotemplate::Template>> label_templates_;       // parsed once, in rule_.labels' order
  std::vector<Result<gotemplate::Template>> annotation_templates_;  // in rule_.annotations' order
  std::map<Labels, Alert> active_;
  std::vector<AlertEvent> events_;
};

}  // namespace gnomon::alert
