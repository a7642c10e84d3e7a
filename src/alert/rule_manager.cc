#include "alert/rule_manager.h"

#include <glob.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <set>

#include <fmt/format.h>

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

struct RuleManager::Runner {
  explicit Runner(std::unique_ptr<RuleGroupEvaluator> g) : group(std::move(g)) {}

  std::unique_ptr<RuleGroupEvaluator> group;
  std::mutex eval_mu;    // one evaluation of the group at a time (its thread, EvalAll)
  bool restore = false;  // restore the for-state before the next evaluation (under eval_mu)
  std::mutex mu;         // guards stopping and next_due_ms
  std::condition_variable cv;
  bool stopping = false;
  int64_t next_due_ms = 0;  // 0: not started yet (its first slot, FirstSlot)
  std::atomic<uint64_t> missed{0};
  std::thread thread;
};

Result<std::vector<std::unique_ptr<RuleGroupEvaluator>>> RuleManager::LoadGroups() const {
  std::vector<std::unique_ptr<RuleGroupEvaluator>> groups;
  std::string errors;
  for (const std::string& file : ExpandRuleFilePatterns(options_.rule_files)) {
    auto loaded = LoadRuleFile(file);
    if (!loaded.ok()) {
      errors += (errors.empty() ? "" : "\n") + loaded.status().message();
      continue;
    }
    for (RuleGroup& g : loaded.value()) groups.push_back(std::make_unique<RuleGroupEvaluator>(std::move(g)));
  }
  if (!errors.empty()) return Status::InvalidArgument(errors);
  return groups;
}

Result<std::unique_ptr<RuleManager>> RuleManager::Create(DB* db, RuleManagerOptions options) {
  if (options.evaluation_interval_ms <= 0) return Status::InvalidArgument("evaluation interval must be positive");
  std::unique_ptr<RuleManager> m(new RuleManager(db, std::move(options)));
  auto groups = m->LoadGroups();
  if (!groups.ok()) return groups.status();
  for (auto& g : groups.value()) {
    auto r = std::make_shared<Runner>(std::move(g));
    r->restore = true;  // a start: the alerts' `for` clocks come back from ALERTS_FOR_STATE
    m->runners_.push_back(std::move(r));
  }
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
  m->reload_.time_ms = m->reload_.last_success_ms = NowMs();
  return m;
}

RuleManager::~RuleManager() { Stop(); }

int64_t RuleManager::IntervalOf(const RuleGroupEvaluator& g) const {
  return g.group().interval_ms > 0 ? g.group().interval_ms : options_.evaluation_interval_ms;
}

int64_t RuleManager::FirstSlot(const RuleGroupEvaluator& g, int64_t now_ms) const {
  // Prometheus' Group.EvalTimestamp: each group at its own offset within the interval (a hash of
  // its file and name), so groups with one interval do not all run at the same moment.
  const int64_t interval = IntervalOf(g);
  const auto offset = static_cast<int64_t>(std::hash<std::string>{}(g.group().file + ";" + g.group().name) %
                                           static_cast<uint64_t>(interval));
  const int64_t adjusted = now_ms - offset;
  return adjusted - adjusted % interval + offset + interval;
}

void RuleManager::StartRunner(Runner& r) {
  {
    std::lock_guard lock(r.mu);
    r.stopping = false;
    if (r.next_due_ms == 0) r.next_due_ms = FirstSlot(*r.group, NowMs());
  }
  r.thread = std::thread([this, &r] { Run(&r); });
}

void RuleManager::StopRunners(const std::vector<std::shared_ptr<Runner>>& runners) {
  for (const auto& r : runners) {
    std::lock_guard lock(r->mu);
    r->stopping = true;
  }
  for (const auto& r : runners) {
    r->cv.notify_all();
    if (r->thread.joinable()) r->thread.join();
  }
}

void RuleManager::Start() {
  std::lock_guard reload(reload_mu_);
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  for (const auto& r : runners_) StartRunner(*r);
}

void RuleManager::Stop() {
  std::lock_guard reload(reload_mu_);
  std::vector<std::shared_ptr<Runner>> runners;
  {
    std::lock_guard lock(mu_);
    started_ = false;
    runners = runners_;
  }
  StopRunners(runners);
}

void RuleManager::Run(Runner* r) {
  std::unique_lock lock(r->mu);
  while (!r->stopping) {
    const int64_t due = r->next_due_ms;
    const auto wake = std::chrono::system_clock::time_point(std::chrono::milliseconds(due));
    if (r->cv.wait_until(lock, wake, [r] { return r->stopping; })) break;
    if (NowMs() < due) continue;  // woke early (clock change): wait again
    lock.unlock();
    {
      std::lock_guard eval(r->eval_mu);
      EvalGroup(*r, due);
    }
    lock.lock();
    // The next slot after now: a slow evaluation skips missed slots instead of piling up.
    const int64_t interval = IntervalOf(*r->group);
    const int64_t now = NowMs();
    r->next_due_ms = due + interval;
    if (r->next_due_ms <= now) {
      const int64_t missed = (now - r->next_due_ms) / interval + 1;
      r->next_due_ms += missed * interval;
      r->missed += static_cast<uint64_t>(missed);
      log::Warn(
          fmt::format("rule group evaluation took longer than its interval: group={} file={} interval={}ms "
                      "took={}ms skipped={}",
                      r->group->group().name, r->group->group().file, interval, now - due, missed));
    }
  }
}

void RuleManager::EvalGroup(Runner& r, int64_t t_ms) {
  RuleGroupEvaluator& g = *r.group;
  if (r.restore) {
    r.restore = false;
    Status s = g.RestoreForState(ctx_, t_ms, options_.for_state);
    if (!s.ok()) log::Warn("cannot restore the for state of alerts: group=" + g.group().name + " err=" + s.ToString());
  }
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
  std::vector<std::shared_ptr<Runner>> runners;
  {
    std::lock_guard lock(mu_);
    runners = runners_;
  }
  for (const auto& r : runners) {
    std::lock_guard eval(r->eval_mu);
    EvalGroup(*r, t_ms);
  }
}

Status RuleManager::Reload() {
  std::lock_guard reload(reload_mu_);
  const int64_t now = NowMs();
  auto loaded = LoadGroups();
  if (!loaded.ok()) {
    {
      std::lock_guard lock(mu_);
      reload_.success = false;
      reload_.time_ms = now;
      reload_.error = loaded.status().message();
    }
    log::Warn("rule files not reloaded, the previous rules keep running: " + loaded.status().message());
    return loaded.status();
  }
  std::vector<std::shared_ptr<Runner>> old;
  bool started;
  {
    std::lock_guard lock(mu_);
    old = runners_;
    started = started_;
  }
  StopRunners(old);  // each after its evaluation in progress

  std::vector<std::shared_ptr<Runner>> fresh;
  std::set<Labels> stale;
  std::vector<bool> kept(old.size(), false);
  size_t rules = 0;
  for (auto& g : loaded.value()) {
    auto r = std::make_shared<Runner>(std::move(g));
    rules += r->group->group().rules.size();
    for (size_t i = 0; i < old.size(); ++i) {
      const RuleGroup& was = old[i]->group->group();
      if (kept[i] || was.file != r->group->group().file || was.name != r->group->group().name) continue;
      kept[i] = true;
      std::set<Labels> orphaned = r->group->TakeStateFrom(*old[i]->group);
      stale.insert(orphaned.begin(), orphaned.end());
      r->next_due_ms = old[i]->next_due_ms;  // keeps its schedule
      r->restore = old[i]->restore;
      r->missed = old[i]->missed.load();
      break;
    }
    fresh.push_back(std::move(r));
  }
  for (size_t i = 0; i < old.size(); ++i) {
    if (kept[i]) continue;
    std::set<Labels> written = old[i]->group->WrittenSeries();
    stale.insert(written.begin(), written.end());
  }
  if (Status s = MarkStale(db_, stale, now); !s.ok())
    log::Warn("cannot mark removed rules' series stale: " + s.ToString());
  {
    std::lock_guard lock(mu_);
    runners_ = fresh;
    reload_ = {true, now, now, ""};
    if (started) {
      for (const auto& r : runners_) StartRunner(*r);
    }
  }
  log::Info(fmt::format("rule files reloaded: {} groups, {} rules", fresh.size(), rules));
  return Status::OK();
}

ReloadStatus RuleManager::last_reload() const {
  std::lock_guard lock(mu_);
  return reload_;
}

std::vector<std::shared_ptr<const RuleGroupEvaluator::Snapshot>> RuleManager::Snapshots() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const RuleGroupEvaluator::Snapshot>> v;
  for (const auto& r : runners_) v.push_back(r->group->snapshot());
  return v;
}

std::vector<std::pair<std::shared_ptr<const RuleGroup>, uint64_t>> RuleManager::MissedIterations() const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::shared_ptr<const RuleGroup>, uint64_t>> v;
  for (const auto& r : runners_) v.emplace_back(r->group->snapshot()->group, r->missed.load());
  return v;
}

size_t RuleManager::num_rules() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& r : runners_) n += r->group->group().rules.size();
  return n;
}

}  // namespace gnomon::alert
