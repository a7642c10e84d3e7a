#include "alert/rule_manager.h"

#include <glob.h>

#include <chrono>

#include "util/clock.h"
#include "util/log.h"

namespace gnomon::alert {

std::vector<std::string> ExpandRuleFilePatterns(const std::vector<std::string>& patterns) {
  std::vector<std::string> files;
  for (const std::string& p : patterns) {
    glob_t g{};
    if (::glob(p.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
    } else {
      files.push_back(p);
    }
    ::globfree(&g);
  }
  return files;
}

Result<std::unique_ptr<RuleManager>> RuleManager::Create(DB* db, RuleManagerOptions options) {
  if (options.evaluation_interval_ms <= 0) return Status::InvalidArgument("evaluation interval must be positive");
  std::unique_ptr<RuleManager> m(new RuleManager(db, std::move(options)));
  std::string errors;
  for (const std::string& file : ExpandRuleFilePatterns(m->options_.rule_files)) {
    auto groups = LoadRuleFile(file);
    if (!groups.ok()) {
      errors += (errors.empty() ? "" : "\n") + groups.status().message();
      continue;
    }
    for (RuleGroup& g : groups.value()) m->groups_.push_back(std::make_unique<RuleGroupEvaluator>(std::move(g)));
  }
  if (!errors.empty()) return Status::InvalidArgument(errors);
  if (!m->options_.event_log_path.empty()) {
    auto log = AlertEventLog::Open(m->options_.event_log_path);
    if (!log.ok()) return log.status();
    m->event_log_ = std::move(log.value());
  }
  m->ctx_.db = db;
  m->ctx_.query_options = m->options_.query_options;
  m->ctx_.query_options.no_step_subquery_interval_ms = m->options_.evaluation_interval_ms;
  m->ctx_.external_labels = m->options_.external_labels;
  m->ctx_.external_url = m->options_.external_url;
  return m;
}

RuleManager::~RuleManager() { Stop(); }

int64_t RuleManager::IntervalOf(const RuleGroupEvaluator& g) const {
  return g.group().interval_ms > 0 ? g.group().interval_ms : options_.evaluation_interval_ms;
}

void RuleManager::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || groups_.empty()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void RuleManager::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RuleManager::Run() {
  std::vector<int64_t> due(groups_.size(), NowMs());
  std::unique_lock lock(mu_);
  while (!stopping_) {
    size_t next = 0;
    for (size_t i = 1; i < due.size(); ++i) {
      if (due[i] < due[next]) next = i;
    }
    const auto wake = std::chrono::system_clock::time_point(std::chrono::milliseconds(due[next]));
    if (cv_.wait_until(lock, wake, [this] { return stopping_; })) break;
    if (NowMs() < due[next]) continue;  // woke early (clock change): wait again
    RuleGroupEvaluator& g = *groups_[next];
    EvalGroup(g, due[next]);
    // The next slot after now: a slow evaluation skips missed slots instead of piling up.
    const int64_t interval = IntervalOf(g);
    const int64_t now = NowMs();
    due[next] += interval;
    if (due[next] <= now) due[next] += ((now - due[next]) / interval + 1) * interval;
  }
}

void RuleManager::EvalGroup(RuleGroupEvaluator& g, int64_t t_ms) {
  for (const RuleEvalError& e : g.Eval(ctx_, t_ms)) {
    log::Warn("rule evaluation failed: group=" + g.group().name + " rule=" + e.rule + " err=" + e.status.message());
  }
  std::vector<AlertEvent> events = g.TakeEvents();
  if (event_log_) {
    Status s = event_log_->Append(events);
    if (!s.ok()) log::Warn("alert event log: " + s.ToString());
  }
  if (options_.on_group_evaluated) options_.on_group_evaluated(g, t_ms, IntervalOf(g));
}

void RuleManager::EvalAll(int64_t t_ms) {
  std::lock_guard lock(mu_);
  for (auto& g : groups_) EvalGroup(*g, t_ms);
}

void RuleManager::Visit(const std::function<void(const std::vector<std::unique_ptr<RuleGroupEvaluator>>&)>& fn) const {
  std::lock_guard lock(mu_);
  fn(groups_);
}

size_t RuleManager::num_rules() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& g : groups_) n += g->group().rules.size();
  return n;
}

}  // namespace gnomon::alert
