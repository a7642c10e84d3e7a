// The rule manager: loads rule files and evaluates each group on a thread of its own, every
// `interval` (its own, else the global evaluation interval), as Prometheus' rule manager runs a
// goroutine per group: a slow or failing group never delays another. Recording results and
// ALERTS / ALERTS_FOR_STATE go into the database, every alert state change into the event log.
// Alert state lives in memory; after a restart each group's first evaluation restores the `for`
// clock of its pending and firing alerts from ALERTS_FOR_STATE (alerting_rule.h), as Prometheus'
// for_outage_tolerance / for_grace_period do.
//
// Create() fails with every error of every rule file (see rule_file.h), so a server refuses to
// start on a broken rule file instead of running without its alerts. Reload() re-reads the rule
// files the same way; on any error the running rules stay as they are. All accessors are
// thread-safe and never wait for an evaluation in progress.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alert/event_log.h"
#include "alert/rule_group.h"

namespace gnomon::alert {

struct RuleManagerOptions {
  std::vector<std::string> rule_files;  // paths or glob patterns
  // For groups without their own interval; also the step of every rule's subqueries written
  // without one (`x[5m:]`), in every group, as Prometheus uses its global evaluation_interval
  // there (Create() sets query_options.no_step_subquery_interval_ms to it).
  int64_t evaluation_interval_ms = 60'000;
  std::map<std::string, std::string> external_labels;
  std::string external_url;
  promql::QueryOptions query_options;
  ForStateOptions for_state;
  std::string event_log_path;  // where alert state changes are appended (event_log.h); "": nowhere
  // Called after each evaluation of a group, on that group's thread (several groups' threads may
  // call it at once), with the evaluation time and the group's interval: where notifications are
  // decided. The group is not evaluated again until it returns.
  std::function<void(const RuleGroupEvaluator& group, int64_t t_ms, int64_t interval_ms)> on_group_evaluated;
};

// The outcome of the latest reload (or of the load at start).
struct ReloadStatus {
  bool success = true;
  int64_t time_ms = 0;          // when it happened
  int64_t last_success_ms = 0;  // when rules were last loaded successfully
  std::string error;            // every error, one per line, when !success
};

class RuleManager {
 public:
  static Result<std::unique_ptr<RuleManager>> Create(DB* db, RuleManagerOptions options);
  ~RuleManager();

  // Starts evaluating in the background. Each group runs at its own offset within its interval
  // (as Prometheus spreads groups), so its first evaluation comes within one interval; that one
  // restores its alerts' `for` state first.
  void Start();
  // Stops the groups' threads, each after its evaluation in progress (idempotent; the
  // destructor calls it).
  void Stop();

  // Re-reads the rule files (patterns expanded again). On success the new groups replace the old:
  // a group with the same file and name keeps its alerts' state and schedule, series that
  // removed rules wrote get staleness markers. On error (every error of every file) nothing
  // changes. Either way the outcome is logged and kept (last_reload()).
  Status Reload();
  ReloadStatus last_reload() const;

  // Evaluates every group once at t_ms, in file order, on the calling thread (waiting for each
  // group's evaluation in progress).
  void EvalAll(int64_t t_ms);

  // The groups' latest states, in file order.
  std::vector<std::shared_ptr<const RuleGroupEvaluator::Snapshot>> Snapshots() const;
  // Per group (in file order): evaluations skipped because the previous one overran its slot.
  std::vector<std::pair<std::shared_ptr<const RuleGroup>, uint64_t>> MissedIterations() const;

  size_t num_rules() const;
  // The event log, or null if none is configured.
  const AlertEventLog* event_log() const { return event_log_.get(); }
  AlertEventLog* mutable_event_log() { return event_log_.get(); }
  int64_t default_interval_ms() const { return options_.evaluation_interval_ms; }

 private:
  struct Runner;
  RuleManager(DB* db, RuleManagerOptions options) : db_(db), options_(std::move(options)) {}
  // Loads every rule file; InvalidArgument with every error.
  Result<std::vector<std::unique_ptr<RuleGroupEvaluator>>> LoadGroups() const;
  void Run(Runner* r);
  // Evaluates one group at t_ms and logs its errors and state changes (r->eval_mu held).
  void EvalGroup(Runner& r, int64_t t_ms);
  int64_t IntervalOf(const RuleGroupEvaluator& g) const;
  // The group's first evaluation slot after now_ms.
  int64_t FirstSlot(const RuleGroupEvaluator& g, int64_t now_ms) const;
  void StartRunner(Runner& r);
  static void StopRunners(const std::vector<std::shared_ptr<Runner>>& runners);

  DB* db_;
  RuleManagerOptions options_;
  EvalContext ctx_;
  std::unique_ptr<AlertEventLog> event_log_;
  std::mutex reload_mu_;  // one Reload/Start/Stop at a time; taken before mu_
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Runner>> runners_;
  bool started_ = false;
  ReloadStatus reload_;
};

// Expands the glob patterns (a pattern that matches nothing is kept as it is, so that loading it
// reports the missing file).
std::vector<std::string> ExpandRuleFilePatterns(const std::vector<std::string>& patterns);

}  // namespace gnomon::alert
