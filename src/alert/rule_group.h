// Evaluating one rule group, as Prometheus' rule manager does (rules/group.go): the rules run in
// file order at one timestamp, and each rule's output is written to the database before the next
// rule runs, so later rules see earlier ones' results. Recording rules write their expression's
// result under the recorded name (rule labels overwrite series labels); alerting rules write
// ALERTS and ALERTS_FOR_STATE. A series a rule wrote at its previous evaluation but not at this
// one gets a staleness marker, so it disappears at once instead of after the 5-minute lookback.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
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

  const RuleGroup& group() const { return *group_; }

  // Evaluates every rule at t_ms and writes the results to ctx.db. A rule that fails leaves its
  // previous output in place and is reported; the other rules still run. Publishes a new
  // snapshot() at the end. One evaluation at a time (the caller serialises).
  std::vector<RuleEvalError> Eval(const EvalContext& ctx, int64_t t_ms);

  // The alert state changes of the evaluations since the last call (see AlertingRule).
  std::vector<AlertEvent> TakeEvents();

  // The group's alerting rules, in file order. Not to be read during an evaluation.
  std::vector<const AlertingRule*> AlertingRules() const;

  // Each rule with the outcome of its latest evaluation, in file order. Not to be read during an
  // evaluation; snapshot() can be.
  struct RuleStatus {
    const Rule* rule;
    const AlertingRule* alerting;  // null for a recording rule
    Status last_error;
    int64_t last_eval_ms = 0;      // 0: never evaluated
    double eval_seconds = 0;
  };
  std::vector<RuleStatus> Rules() const;

  // A copy of the group's state as of its latest evaluation, published when an evaluation ends:
  // readers (the rules and alerts APIs) take it from any thread without waiting for an
  // evaluation in progress. It keeps the group's definition alive.
  struct RuleSnapshot {
    const Rule* rule = nullptr;
    bool alerting = false;
    Status last_error;
    int64_t last_eval_ms = 0;  // 0: never evaluated
    double eval_seconds = 0;
    std::vector<Alert> alerts;  // pending, firing and recently resolved, ordered by labels
  };
  struct Snapshot {
    std::shared_ptr<const RuleGroup> group;
    std::vector<RuleSnapshot> rules;
    int64_t last_eval_ms = 0;  // 0: never evaluated
    double eval_seconds = 0;   // the whole group's latest evaluation
  };
  std::shared_ptr<const Snapshot> snapshot() const;

  // After a restart, before the first evaluation: every alerting rule reads its
  // ALERTS_FOR_STATE series back (AlertingRule::RestoreForState). Returns the first error.
  Status RestoreForState(const EvalContext& ctx, int64_t t_ms, const ForStateOptions& options);

  // After a reload: takes the state of `old` (the group with the same file and name before it)
  // — each rule the alerts and written series of the same-named rule at the same rank among
  // rules of that name, as Prometheus' Group.CopyState does. Returns the series `old` wrote
  // that no rule of this group takes over (to be marked stale).
  std::set<Labels> TakeStateFrom(RuleGroupEvaluator& old);
  // Every series the group wrote at its latest evaluation (to be marked stale when it goes).
  std::set<Labels> WrittenSeries() const;

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
  void Publish(double eval_seconds);

  std::shared_ptr<const RuleGroup> group_;
  std::vector<Entry> entries_;
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const Snapshot> snapshot_;
};

// Writes a staleness marker at t_ms for each of `series` (a removed rule's output ends at once).
Status MarkStale(DB* db, const std::set<Labels>& series, int64_t t_ms);

}  // namespace gnomon::alert
