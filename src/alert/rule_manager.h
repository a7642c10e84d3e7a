// The rule manager: loads rule files and evaluates their groups on a background thread, each
// group every `interval` (its own, else the global evaluation interval), as Prometheus' rule
// manager does. Recording results and ALERTS / ALERTS_FOR_STATE go into the database, every alert
// state change into the event log; alert state itself lives in memory (Prometheus does the same;
// a restart starts alerts pending again).
//
// Create() fails with every error of every rule file (see rule_file.h), so a server refuses to
// start on a broken rule file instead of running without its alerts. All accessors are
// thread-safe; Visit() holds the manager's lock while its callback runs.
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
  std::string event_log_path;  // where alert state changes are appended (event_log.h); "": nowhere
  // Called after each evaluation of a group, on the evaluating thread with the manager's lock
  // held, with the evaluation time and the group's interval: where notifications are decided.
  std::function<void(const RuleGroupEvaluator& group, int64_t t_ms, int64_t interval_ms)> on_group_evaluated;
};

class RuleManager {
 public:
  static Result<std::unique_ptr<RuleManager>> Create(DB* db, RuleManagerOptions options);
  ~RuleManager();

  // Starts evaluating in the background; the first evaluation of every group is at once.
  void Start();
  // Stops the background thread (idempotent; the destructor calls it).
  void Stop();

  // Evaluates every group once at t_ms, in file order, on the calling thread.
  void EvalAll(int64_t t_ms);

  // Calls fn with the groups (under the manager's lock).
  void Visit(const std::function<void(const std::vector<std::unique_ptr<RuleGroupEvaluator>>&)>& fn) const;

  size_t num_rules() const;
  // The event log, or null if none is configured.
  const AlertEventLog* event_log() const { return event_log_.get(); }
  int64_t default_interval_ms() const { return options_.evaluation_interval_ms; }

 private:
  RuleManager(DB* db, RuleManagerOptions options) : db_(db), options_(std::move(options)) {}
  void Run();
  // Evaluates one group at t_ms and logs its errors and state changes (mu_ held).
  void EvalGroup(RuleGroupEvaluator& g, int64_t t_ms);
  int64_t IntervalOf(const RuleGroupEvaluator& g) const;

  DB* db_;
  RuleManagerOptions options_;
  EvalContext ctx_;
  std::unique_ptr<AlertEventLog> event_log_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<RuleGroupEvaluator>> groups_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// Expands the glob patterns (a pattern that matches nothing is kept as it is, so that loading it
// reports the missing file).
std::vector<std::string> ExpandRuleFilePatterns(const std::vector<std::string>& patterns);

}  // namespace gnomon::alert
