// Rule manager tests: alerts' `for` clocks restored from ALERTS_FOR_STATE after a restart (as
// Prometheus' for_outage_tolerance / for_grace_period), reloading rule files (state kept, removed
// rules' series marked stale, a broken file rejected with the old rules still running), and one
// thread per group (a stuck group delays neither the others nor the readers).
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <mutex>

#include "alert/rule_manager.h"
#include "gnomon/db.h"
#include "test_util.h"
#include "util/clock.h"
#include "util/stale_marker.h"

namespace gnomon::alert {
namespace {

constexpr int64_t kMin = 60'000;

void Write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
  REQUIRE(f.good());
}

// A database with `x{job="a"}` = 1 every 15 s over the first hour and `y{job="a"}` = 1 up to
// minute 3, 0 in minutes 4 and 5, 1 again from minute 6.
std::unique_ptr<DB> OpenDb(const std::string& dir) {
  Options o;
  o.sync_mode = SyncMode::kNever;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(o, dir, &db).ok());
  return db;
}

void LoadSeries(DB* db) {
  WriteBatch b;
  for (int64_t t = 0; t <= 60 * kMin; t += 15'000) {
    b.Add({{"__name__", "x"}, {"job", "a"}}, t, 1);
    b.Add({{"__name__", "y"}, {"job", "a"}}, t, t >= 4 * kMin && t < 6 * kMin ? 0 : 1);
  }
  REQUIRE(db->Write(b).ok());
}

std::unique_ptr<RuleManager> Manager(DB* db, const std::string& rules_file, ForStateOptions for_state = {}) {
  RuleManagerOptions o;
  o.rule_files = {rules_file};
  o.evaluation_interval_ms = kMin;
  o.query_options.parallelism = 1;
  o.for_state = for_state;
  auto m = RuleManager::Create(db, o);
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  return std::move(m.value());
}

// The alert of rule `name` in the manager's latest snapshots (exactly one expected).
Alert AlertOf(const RuleManager& m, const std::string& name) {
  for (const auto& g : m.Snapshots()) {
    for (const auto& r : g->rules) {
      if (r.rule->name() != name) continue;
      REQUIRE_MESSAGE(r.alerts.size() == 1, name);
      return r.alerts[0];
    }
  }
  FAIL("no rule " << name);
  return {};
}

TEST_CASE("rule manager: after a restart, alerts resume their `for` clocks from ALERTS_FOR_STATE") {
  testing::TempDir dir;
  const std::string rules = dir.path() + "/rules.yml";
  Write(rules, R"(groups:
  - name: g
    rules:
      - alert: Long      # pending 5m of 10m when stopped: the 2m down do not count
        expr: x > 0
        for: 10m
      - alert: Fired     # firing when stopped: fires again at once with its old active_at
        expr: x > 0
        for: 2m
      - alert: Near      # 30s left, less than the 1m grace period: waits the grace period
        expr: x > 0
        for: 5m30s
      - alert: Short     # `for` below the grace period: not restored (Prometheus neither)
        expr: x > 0
        for: 30s
      - alert: Ended     # resolved before the stop (its ALERTS_FOR_STATE went stale)
        expr: y > 0
        for: 1m
)");
  const ForStateOptions for_state{.outage_tolerance_ms = 60 * kMin, .grace_period_ms = kMin};
  auto db = OpenDb(dir.path() + "/db");
  LoadSeries(db.get());
  {
    auto m = Manager(db.get(), rules, for_state);
    for (int64_t t = 0; t <= 5 * kMin; t += kMin) m->EvalAll(t);
    CHECK(AlertOf(*m, "Long").state == AlertState::kPending);
    CHECK(AlertOf(*m, "Fired").state == AlertState::kFiring);
    CHECK(AlertOf(*m, "Ended").state == AlertState::kInactive);
  }
  // Restarted at minute 7 (the engine too: what the first run wrote is read back from disk).
  db.reset();
  db = OpenDb(dir.path() + "/db");
  auto m = Manager(db.get(), rules, for_state);
  m->EvalAll(7 * kMin);
  const Alert long_alert = AlertOf(*m, "Long");
  CHECK(long_alert.state == AlertState::kPending);
  CHECK(long_alert.active_at_ms == 2 * kMin);
  const Alert fired = AlertOf(*m, "Fired");
  CHECK(fired.state == AlertState::kFiring);
  CHECK(fired.active_at_ms == 0);
  CHECK(AlertOf(*m, "Near").active_at_ms == 7 * kMin + kMin - (5 * kMin + 30'000));
  CHECK(AlertOf(*m, "Short").active_at_ms == 7 * kMin);
  CHECK(AlertOf(*m, "Ended").active_at_ms == 7 * kMin);

  m->EvalAll(8 * kMin);
  CHECK(AlertOf(*m, "Near").state == AlertState::kFiring);  // exactly the grace period after the restart
  m->EvalAll(11 * kMin);
  CHECK(AlertOf(*m, "Long").state == AlertState::kPending);
  m->EvalAll(12 * kMin);
  CHECK(AlertOf(*m, "Long").state == AlertState::kFiring);  // 10m of pending, the downtime left out

  // Restoring happens once: a later evaluation of a new alert starts its clock at that time.
  // And a restart beyond the outage tolerance restores nothing.
  m.reset();
  auto late = Manager(db.get(), rules, {.outage_tolerance_ms = 10 * kMin, .grace_period_ms = kMin});
  late->EvalAll(30 * kMin);
  CHECK(AlertOf(*late, "Long").active_at_ms == 30 * kMin);
}

TEST_CASE("rule manager: reload keeps alert state, marks removed rules stale, rejects a broken file") {
  testing::TempDir dir;
  const std::string rules = dir.path() + "/rules.yml";
  Write(rules, R"(groups:
  - name: g1
    rules:
      - alert: Long
        expr: x > 0
        for: 10m
      - record: x:double
        expr: x * 2
  - name: g2
    rules:
      - record: x:same
        expr: x
)");
  auto db = OpenDb(dir.path() + "/db");
  LoadSeries(db.get());
  auto m = Manager(db.get(), rules);
  m->EvalAll(0);
  m->EvalAll(kMin);
  CHECK(m->num_rules() == 3);

  Write(rules, R"(groups:
  - name: g1
    rules:
      - alert: Long
        expr: x > 0
        for: 10m
  - name: g3
    rules:
      - record: x:triple
        expr: x * 3
)");
  const int64_t before = NowMs();
  REQUIRE(m->Reload().ok());
  CHECK(m->last_reload().success);
  CHECK(m->last_reload().last_success_ms >= before);
  CHECK(m->num_rules() == 2);
  const auto groups = m->Snapshots();
  REQUIRE(groups.size() == 2);
  CHECK(groups[0]->group->name == "g1");
  CHECK(groups[1]->group->name == "g3");
  // Long kept its alert, pending since 0.
  CHECK(AlertOf(*m, "Long").active_at_ms == 0);
  CHECK(AlertOf(*m, "Long").state == AlertState::kPending);
  // What the removed rules wrote ends now with a staleness marker.
  for (const char* name : {"x:double", "x:same"}) {
    auto set = db->Select({Matcher::Equal("__name__", name)}, before, NowMs() + 1000);
    REQUIRE(set.ok());
    REQUIRE_MESSAGE((*set)->Next(), name);
    SampleIterator* it = (*set)->samples();
    REQUIRE(it->Next());
    CHECK(IsStaleNaN(it->At().value));
  }
  m->EvalAll(10 * kMin);
  CHECK(AlertOf(*m, "Long").state == AlertState::kFiring);

  // A broken file: the error names the file and line; nothing changes.
  Write(rules, "groups:\n  - name: g1\n    rules:\n      - alert: Bad\n        expr: x >\n");
  Status s = m->Reload();
  CHECK(!s.ok());
  CHECK(s.message().find("rules.yml:5") != std::string::npos);
  CHECK(!m->last_reload().success);
  CHECK(m->last_reload().error == s.message());
  CHECK(m->num_rules() == 2);
  CHECK(AlertOf(*m, "Long").state == AlertState::kFiring);
}

TEST_CASE("rule manager: a stuck group delays neither the other groups nor the readers") {
  testing::TempDir dir;
  const std::string rules = dir.path() + "/rules.yml";
  Write(rules, R"(groups:
  - name: stuck
    interval: 1s
    rules:
      - record: one
        expr: vector(1)
  - name: live
    interval: 1s
    rules:
      - record: two
        expr: vector(2)
)");
  auto db = OpenDb(dir.path() + "/db");
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  int stuck_evals = 0, live_evals = 0;
  RuleManagerOptions o;
  o.rule_files = {rules};
  o.evaluation_interval_ms = 1000;
  o.query_options.parallelism = 1;
  o.on_group_evaluated = [&](const RuleGroupEvaluator& g, int64_t, int64_t) {
    std::unique_lock lock(mu);
    if (g.group().name == "live") {
      ++live_evals;
      cv.notify_all();
      return;
    }
    ++stuck_evals;
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return release; });  // stuck until released
  };
  auto created = RuleManager::Create(db.get(), o);
  REQUIRE(created.ok());
  RuleManager& m = *created.value();
  m.Start();
  {
    std::unique_lock lock(mu);
    CHECK(cv.wait_for(lock, std::chrono::seconds(15), [&] { return live_evals >= 3; }));
    CHECK(stuck_evals == 1);
  }
  // The readers do not wait for the stuck evaluation: both groups are there with their latest
  // evaluation.
  const auto groups = m.Snapshots();
  REQUIRE(groups.size() == 2);
  CHECK(groups[0]->last_eval_ms > 0);
  CHECK(groups[1]->last_eval_ms > groups[0]->last_eval_ms);
  CHECK(groups[1]->rules[0].last_error.ok());
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  m.Stop();
  // The stuck group's skipped evaluations are counted.
  const auto missed = m.MissedIterations();
  REQUIRE(missed.size() == 2);
  CHECK(missed[0].first->name == "stuck");
  CHECK(missed[0].second >= 1);
}

}  // namespace
}  // namespace gnomon::alert
