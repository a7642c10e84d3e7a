// Evaluating one rule group, as Prometheus' rule manager does (rules/group.go): the rules run in
// file order at one timestamp, and each rule's output is written to the database before the next
// rule runs, so later rules see earlier ones' results. Recording rules write their expression's
// result under the recorded name (rule labels overwrite series labels); alerting rules write
// ALERTS and ALERTS_FOR_STATE. A series a rule wrote at its previous evaluation but not at this
// one gets a staleness marker, so it disappears at once instead of after the 5-minute lookback.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "alert/alerting_rule.h"
#include "alert/rule_file.h"

namespace gnomon::alert {

struct RuleEvalError {
  std::string rule;  // the rule's name (record or alert)
  Status status;
};

class RuleGroupEvaluator {
 public:
  explicit RuleGroupEvaluator(RuleGroup group);

  const RuleGroup& group() const { return group_; }

  // Evaluates every rule at t_ms and writes the results to ctx.db. A rule that fails leaves its
  // previous output in place and is reported; the other rules still run.
  std::vector<RuleEvalError> Eval(const EvalContext& ctx, int64_t t_ms);

  // The alert state changes of the evaluations since the last call (see AlertingRule).
  std::vector<AlertEvent> TakeEvents();

  // The group's alerting rules, in file order.
  std::vector<const AlertingRule*> AlertingRules() const;

  // Each rule with the outcome of its latest evaluation, in file order (for /api/v1/rules).
  struct RuleStatus {
    const Rule* rule;
    const AlertingRule* alerting;  // null for a recording rule
    Status last_error;
    int64_t last_eval_ms = 0;      // 0: never evaluated
    double eval_seconds = 0;
  };
  std::vector<RuleStatus> Rules() const;

 private:
  struct Entry {
    const Rule* rule = nullptr;
    std::unique_ptr<AlertingRule> alerting;  // null for a recording rule
    std::set<Labels> previous;               // series written at the previous evaluation
    Status last_error;
    int64_t last_eval_ms = 0;
    double eval_seconds = 0;
  };
  Status EvalOne(const EvalContext& ctx, Entry& e, int64_t t_ms);
  Result<std::vector<promql::SeriesResult>> EvalRecording(const EvalContext& ctx, const Rule& rule, int64_t t_ms);

  RuleGroup group_;
  std::vector<Entry> entries_;
};

}  // namespace gnomon::alert
