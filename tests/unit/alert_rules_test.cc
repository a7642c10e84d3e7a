// Alert rule tests: rule-file parsing and its errors, the alerting state machine (pending, firing,
// resolved, `for`, `keep_firing_for`), recording rules and staleness, and the promtool-format test
// runner on small files written here (the shared kit's files run in tests/integration).
#include <doctest/doctest.h>

#include <bit>
#include <climits>
#include <cmath>
#include <fstream>

#include "alert/alerting_rule.h"
#include "alert/event_log.h"
#include "alert/rule_file.h"
#include "alert/rule_group.h"
#include "alert/rule_manager.h"
#include "alert/rule_test_runner.h"
#include "gnomon/db.h"
#include "query/promql/series_notation.h"
#include "test_util.h"

namespace gnomon::alert {
namespace {

TEST_CASE("rule file: groups, rules and every field") {
  auto r = ParseRuleFile("r.yml", R"(groups:
  - name: g1
    interval: 30s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels: {tier: backend}
      - alert: Down
        expr: up == 0
        for: 5m
        keep_firing_for: 1m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.instance }} down"
  - name: g2
    rules: []
)");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  const auto& groups = r.value();
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].name == "g1");
  CHECK(groups[0].interval_ms == 30'000);
  REQUIRE(groups[0].rules.size() == 2);
  CHECK(groups[0].rules[0].record == "job:up:sum");
  CHECK(!groups[0].rules[0].is_alert());
  CHECK(groups[0].rules[0].labels.size() == 1);
  const Rule& a = groups[0].rules[1];
  CHECK(a.is_alert());
  CHECK(a.alert == "Down");
  CHECK(a.for_ms == 300'000);
  CHECK(a.keep_firing_for_ms == 60'000);
  CHECK(a.line == 8);
  REQUIRE(a.annotations.size() == 1);
  CHECK(a.annotations[0].second == "{{ $labels.instance }} down");
  CHECK(groups[1].rules.empty());
  CHECK(ParseRuleFile("empty.yml", "").ok());
}

TEST_CASE("rule file: every error is reported with its line and column") {
  auto r = ParseRuleFile("bad.yml", R"(groups:
  - name: g
    rules:
      - record: "bad name"
        expr: up
      - alert: A
        expr: "sum(("
      - alert: B
        record: b
        expr: up
      - expr: up
      - alert: C
        expr: up
        unknown_field: 1
      - record: r
        expr: up
        for: 5m
      - alert: D
        expr: up
        for: five minutes
  - name: g
    rules: []
)");
  REQUIRE(!r.ok());
  const std::string& m = r.status().message();
  CHECK(m.find("bad.yml:4:17: invalid recording rule name: bad name") != std::string::npos);
  CHECK(m.find("bad.yml:7:15: could not parse expression") != std::string::npos);
  CHECK(m.find("only one of 'record' and 'alert' must be set") != std::string::npos);
  CHECK(m.find("one of 'record' or 'alert' must be set") != std::string::npos);
  CHECK(m.find("field unknown_field not found") != std::string::npos);
  CHECK(m.find("invalid field 'for' in recording rule") != std::string::npos);
  CHECK(m.find("bad.yml:20:14: 'for'") != std::string::npos);
  CHECK(m.find("groupname: \"g\" is repeated in the same file") != std::string::npos);
  CHECK(!ParseRuleFile("x.yml", "groups: [").ok());
  CHECK(!ParseRuleFile("x.yml", "- a\n- b\n").ok());
  CHECK(!LoadRuleFile("/nonexistent/rules.yml").ok());
}

class RuleDb {
 public:
  RuleDb() {
    Options o;
    o.sync_mode = SyncMode::kNever;
    REQUIRE(DB::Open(o, dir_.path(), &db_).ok());
    ctx.db = db_.get();
    ctx.query_options.parallelism = 1;
  }
  // `values` in the series notation, one per minute from 0.
  void Load(const std::string& series, const std::string& values) {
    auto labels = promql::ParseSeriesDescription(series);
    auto vals = promql::ParseSeriesValues(values);
    REQUIRE(labels.ok());
    REQUIRE(vals.ok());
    WriteBatch b;
    for (size_t i = 0; i < vals.value().size(); ++i) {
      if (vals.value()[i]) b.Add(labels.value(), static_cast<int64_t>(i) * 60'000, *vals.value()[i]);
    }
    REQUIRE(db_->Write(b).ok());
  }
  EvalContext ctx;

 private:
  testing::TempDir dir_;
  std::unique_ptr<DB> db_;
};

Rule AlertRule(std::string expr, int64_t for_ms, int64_t keep_ms = 0) {
  Rule r;
  r.alert = "A";
  r.expr = std::move(expr);
  r.for_ms = for_ms;
  r.keep_firing_for_ms = keep_ms;
  r.labels = {{"severity", "page"}};
  return r;
}

AlertState StateAt(AlertingRule& rule, const EvalContext& ctx, int64_t t) {
  std::vector<promql::SeriesResult> out;
  REQUIRE(rule.Eval(ctx, t, &out).ok());
  auto alerts = rule.Alerts();
  return alerts.empty() ? AlertState::kInactive : alerts[0]->state;
}

TEST_CASE("alerting rule: pending, firing at exactly `for`, resolved, pending again") {
  RuleDb db;
  db.Load(R"(up{job="api"})", "0 0 0 0 1 0 0");  // down from 0m to 3m, up at 4m, down again at 5m
  AlertingRule rule(AlertRule("up == 0", 2 * 60'000));
  CHECK(StateAt(rule, db.ctx, 0) == AlertState::kPending);
  CHECK(StateAt(rule, db.ctx, 60'000) == AlertState::kPending);
  CHECK(StateAt(rule, db.ctx, 120'000) == AlertState::kFiring);  // for is inclusive
  CHECK(StateAt(rule, db.ctx, 180'000) == AlertState::kFiring);
  CHECK(StateAt(rule, db.ctx, 240'000) == AlertState::kInactive);  // resolved, kept for notifications
  REQUIRE(rule.Alerts().size() == 1);
  CHECK(rule.Alerts()[0]->resolved_at_ms == 240'000);
  CHECK(StateAt(rule, db.ctx, 300'000) == AlertState::kPending);  // a new alert: the clock restarts
  CHECK(rule.Alerts()[0]->active_at_ms == 300'000);
  const Labels want = {{"alertname", "A"}, {"job", "api"}, {"severity", "page"}};
  CHECK(rule.Alerts()[0]->labels == want);
}

TEST_CASE("alerting rule: every state change is an event, oldest first") {
  RuleDb db;
  db.Load(R"(up{job="api"})", "0 0 0 1 0 1");
  AlertingRule rule(AlertRule("up == 0", 60'000));
  for (int64_t t = 0; t <= 300'000; t += 60'000) StateAt(rule, db.ctx, t);
  const std::vector<AlertEvent> events = rule.TakeEvents();
  std::vector<std::string> seen;
  for (const AlertEvent& e : events) {
    seen.push_back(std::to_string(e.time_ms / 60'000) + ":" + AlertStateName(e.from) + ">" + AlertStateName(e.to));
  }
  const std::vector<std::string> want = {"0:inactive>pending", "1:pending>firing", "3:firing>inactive",
                                         "4:inactive>pending", "5:pending>inactive"};
  CHECK(seen == want);
  REQUIRE(!events.empty());
  const Labels labels = {{"alertname", "A"}, {"job", "api"}, {"severity", "page"}};
  CHECK(events[0].labels == labels);
  CHECK(events[0].value == 0);
  CHECK(rule.TakeEvents().empty());  // drained
}

TEST_CASE("alert event log: appended lines survive reopening; a torn line is skipped") {
  testing::TempDir dir;
  const std::string path = dir.path() + "/events.jsonl";
  AlertEvent e;
  e.time_ms = 1'700'000'000'000;
  e.from = AlertState::kPending;
  e.to = AlertState::kFiring;
  e.labels = {{"alertname", "Hot"}, {"room", "lab \"1\""}};
  e.annotations = {{"summary", "at 95"}};
  e.value = 95;
  CHECK(AlertEventLog::ToJson(e) ==
        R"({"time":"2023-11-14T22:13:20Z","time_ms":1700000000000,"alertname":"Hot","from":"pending","to":"firing",)"
        R"("labels":{"alertname":"Hot","room":"lab \"1\""},"annotations":{"summary":"at 95"},"value":"9.5e+01"})");
  {
    auto log = AlertEventLog::Open(path);
    REQUIRE(log.ok());
    REQUIRE(log.value()->Append({e}).ok());
  }
  std::ofstream(path, std::ios::app) << R"({"time":"torn","time_ms":17)";  // a crash mid-append
  auto log = AlertEventLog::Open(path);
  REQUIRE(log.ok());
  AlertEvent later = e;
  later.time_ms += 60'000;
  later.from = AlertState::kFiring;
  later.to = AlertState::kInactive;
  REQUIRE(log.value()->Append({later}).ok());
  auto all = log.value()->Read(INT64_MIN, 100);
  REQUIRE(all.ok());
  REQUIRE(all.value().size() == 2);
  CHECK(all.value()[1].find(R"("from":"firing","to":"inactive")") != std::string::npos);
  auto recent = log.value()->Read(e.time_ms + 1, 100);
  REQUIRE(recent.ok());
  CHECK(recent.value().size() == 1);
  auto newest = log.value()->Read(INT64_MIN, 1);
  REQUIRE(newest.ok());
  REQUIRE(newest.value().size() == 1);
  CHECK(newest.value()[0] == AlertEventLog::ToJson(later));
  CHECK(!AlertEventLog::Open(dir.path() + "/no/such/dir/events.jsonl").ok());
}

TEST_CASE("alerting rule: keep_firing_for holds a firing alert, not a pending one") {
  RuleDb db;
  db.Load(R"(x{})", "1 1 0 0 0 0");
  AlertingRule keep(AlertRule("x == 1", 0, 2 * 60'000));
  CHECK(StateAt(keep, db.ctx, 0) == AlertState::kFiring);
  CHECK(StateAt(keep, db.ctx, 60'000) == AlertState::kFiring);
  CHECK(StateAt(keep, db.ctx, 120'000) == AlertState::kFiring);  // gone since 2m: kept
  CHECK(StateAt(keep, db.ctx, 180'000) == AlertState::kFiring);
  CHECK(StateAt(keep, db.ctx, 240'000) == AlertState::kInactive);  // 2m since 2m

  AlertingRule pending(AlertRule("x == 1", 5 * 60'000, 10 * 60'000));
  CHECK(StateAt(pending, db.ctx, 60'000) == AlertState::kPending);
  CHECK(StateAt(pending, db.ctx, 120'000) == AlertState::kInactive);
  CHECK(pending.Alerts().empty());  // a pending alert that goes away is dropped
}

TEST_CASE("alerting rule: labels that collide fail the evaluation") {
  RuleDb db;
  db.Load(R"(m{a="1"})", "1");
  db.Load(R"(m{a="2"})", "1");
  Rule r = AlertRule("m", 0);
  r.labels = {{"a", "same"}};
  AlertingRule rule(r);
  std::vector<promql::SeriesResult> out;
  Status s = rule.Eval(db.ctx, 0, &out);
  CHECK(!s.ok());
  CHECK(s.message().find("same labelset after applying alert labels") != std::string::npos);
}

TEST_CASE("rule group: recording output is visible to later rules; ALERTS series go stale") {
  RuleDb db;
  db.Load(R"(errors{job="api"})", "5 5 0");
  RuleGroup g;
  g.name = "g";
  Rule rec;
  rec.record = "job:errors";
  rec.expr = "errors";
  rec.labels = {{"derived", "yes"}};
  Rule al;
  al.alert = "Errors";
  al.expr = "job:errors > 1";
  al.for_ms = 60'000;
  g.rules = {rec, al};
  RuleGroupEvaluator eval(g);
  CHECK(eval.Eval(db.ctx, 0).empty());
  auto pending = QueryVector(db.ctx, R"(ALERTS{alertstate="pending"})", 0);
  REQUIRE(pending.ok());
  REQUIRE(pending.value().size() == 1);
  const Labels want = {{"__name__", "ALERTS"}, {"alertname", "Errors"}, {"alertstate", "pending"},
                       {"derived", "yes"}, {"job", "api"}};
  CHECK(pending.value()[0].labels == want);
  auto for_state = QueryVector(db.ctx, "ALERTS_FOR_STATE", 0);
  REQUIRE(for_state.ok());
  REQUIRE(for_state.value().size() == 1);
  CHECK(for_state.value()[0].points[0].value == 0);

  CHECK(eval.Eval(db.ctx, 60'000).empty());
  // Firing now; the pending series got a staleness marker instead of lingering for 5 minutes.
  auto still_pending = QueryVector(db.ctx, R"(ALERTS{alertstate="pending"})", 60'000);
  REQUIRE(still_pending.ok());
  CHECK(still_pending.value().empty());
  auto firing = QueryVector(db.ctx, R"(ALERTS{alertstate="firing"})", 60'000);
  REQUIRE(firing.ok());
  CHECK(firing.value().size() == 1);

  CHECK(eval.Eval(db.ctx, 120'000).empty());  // errors is 0: the recording still writes, alert resolves
  auto recorded = QueryVector(db.ctx, "job:errors", 120'000);
  REQUIRE(recorded.ok());
  REQUIRE(recorded.value().size() == 1);
  CHECK(recorded.value()[0].points[0].value == 0);
  auto alerts = QueryVector(db.ctx, "ALERTS", 120'000);
  REQUIRE(alerts.ok());
  CHECK(alerts.value().empty());
}

TEST_CASE("rule group: a failing rule is reported and the others still run") {
  RuleDb db;
  db.Load(R"(m{a="1"})", "1");
  db.Load(R"(m{a="2"})", "1");
  RuleGroup g;
  g.name = "g";
  Rule bad;
  bad.record = "r";
  bad.expr = "m";
  bad.labels = {{"a", "x"}};
  Rule good;
  good.record = "ok";
  good.expr = "sum(m)";
  g.rules = {bad, good};
  RuleGroupEvaluator eval(g);
  auto errors = eval.Eval(db.ctx, 0);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].rule == "r");
  auto ok = QueryVector(db.ctx, "ok", 0);
  REQUIRE(ok.ok());
  REQUIRE(ok.value().size() == 1);
  CHECK(ok.value()[0].points[0].value == 2);
}

std::string WriteFile(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST_CASE("rule test runner: passing and failing files, promtool's report") {
  testing::TempDir dir;
  WriteFile(dir, "rules.yml", R"(groups:
  - name: g
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 2m
        labels: {severity: page}
        annotations:
          summary: "{{ $labels.instance }} is down"
      - record: job:up:sum
        expr: sum by (job) (up)
)");
  const std::string pass = WriteFile(dir, "pass_test.yml", R"(rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="api", instance="a:1"}'
        values: '1 0 0 0 0'
      - series: 'up{job="api", instance="b:1"}'
        values: '1x4'
    alert_rule_test:
      - eval_time: 2m
        alertname: InstanceDown
      - eval_time: 3m30s
        alertname: InstanceDown
        exp_alerts:
          - exp_labels: {severity: page, job: api, instance: "a:1"}
            exp_annotations: {summary: "a:1 is down"}
    promql_expr_test:
      - expr: job:up:sum
        eval_time: 4m
        exp_samples:
          - labels: 'job:up:sum{job="api"}'
            value: 1
      - expr: ALERTS{alertstate="pending"}
        eval_time: 2m
        exp_samples:
          - labels: 'ALERTS{alertname="InstanceDown", alertstate="pending", instance="a:1", job="api", severity="page"}'
            value: 1
)");
  std::string report;
  CHECK_MESSAGE(RunRuleTestFile(pass, &report), report);
  CHECK(report == "Unit Testing:  " + pass + "\n  SUCCESS\n\n");

  const std::string fail = WriteFile(dir, "fail_test.yml", R"(rule_files: [rules.yml]
tests:
  - name: wrong expectations
    input_series:
      - series: 'up{job="api", instance="a:1"}'
        values: '0x5'
    alert_rule_test:
      - eval_time: 1m
        alertname: InstanceDown
        exp_alerts:
          - exp_labels: {severity: page, job: api, instance: "a:1"}
            exp_annotations: {summary: "a:1 is down"}
    promql_expr_test:
      - expr: job:up:sum
        eval_time: 1m
        exp_samples:
          - labels: 'job:up:sum{job="api"}'
            value: 3
)");
  report.clear();
  CHECK(!RunRuleTestFile(fail, &report));
  CHECK(report.find("  FAILED:") != std::string::npos);
  CHECK(report.find("name: wrong expectations") != std::string::npos);
  CHECK(report.find("alertname: InstanceDown, time: 1m") != std::string::npos);
  CHECK(report.find("got:[]") != std::string::npos);
  CHECK(report.find(R"(expr: "job:up:sum", time: 1m)") != std::string::npos);
  CHECK(report.find("exp: {__name__=\"job:up:sum\", job=\"api\"} 3E+00") != std::string::npos);
  CHECK(report.find("got: {__name__=\"job:up:sum\", job=\"api\"} 0E+00") != std::string::npos);

  report.clear();
  CHECK(!RunRuleTestFile(WriteFile(dir, "bad_test.yml", "rule_files: [missing.yml]\ntests: []\n"), &report));
  CHECK(report.find("cannot open rule file") != std::string::npos);
  report.clear();
  CHECK(!RunRuleTestFile(WriteFile(dir, "strict_test.yml", "rule_files: []\ntestz: []\n"), &report));
  CHECK(report.find("field testz not found") != std::string::npos);
}

TEST_CASE("rule test runner: a subquery without a step runs at the file's evaluation_interval") {
  testing::TempDir dir;
  // The group's own interval is ignored, as by promtool.
  WriteFile(dir, "rules.yml", R"(groups:
  - name: g
    interval: 2m
    rules:
      - record: x:count
        expr: count_over_time(x[5m:])
      - alert: Dense
        expr: count_over_time(x[5m:]) > 8
)");
  // At 10m, x[5m:] has 11 steps at 30s and 6 at 1m; promtool 2.42 gives the same verdicts
  // (tests/rules/subquery_step_*_test.yml, checked against it in tests/integration/rules_test.sh).
  const std::string tmpl = R"(rule_files: [rules.yml]
evaluation_interval: INTERVAL
tests:
  - interval: 1m
    input_series:
      - series: 'x{job="a"}'
        values: '1+1x20'
    alert_rule_test:
      - eval_time: 10m
        alertname: Dense
        exp_alerts: ALERTS
    promql_expr_test:
      - expr: x:count
        eval_time: 10m
        exp_samples:
          - labels: 'x:count{job="a"}'
            value: COUNT
      - expr: count_over_time(x[5m:])
        eval_time: 10m
        exp_samples:
          - labels: '{job="a"}'
            value: COUNT
      - expr: count_over_time(x[5m:1m])
        eval_time: 10m
        exp_samples:
          - labels: '{job="a"}'
            value: 6
)";
  auto test_file = [&](const std::string& name, const std::string& interval, int count, bool fires) {
    std::string text = tmpl;
    auto set = [&](const std::string& key, const std::string& value) {
      for (size_t at; (at = text.find(key)) != std::string::npos;) text.replace(at, key.size(), value);
    };
    set("INTERVAL", interval);
    set("ALERTS", fires ? "[{exp_labels: {job: a}}]" : "[]");
    set("COUNT", std::to_string(count));
    return WriteFile(dir, name, text);
  };
  std::string report;
  CHECK_MESSAGE(RunRuleTestFile(test_file("30s_test.yml", "30s", 11, true), &report), report);
  report.clear();
  CHECK_MESSAGE(RunRuleTestFile(test_file("1m_test.yml", "1m", 6, false), &report), report);
  // Each expectation at the other interval fails, with promtool's report.
  report.clear();
  CHECK(!RunRuleTestFile(test_file("swap1_test.yml", "1m", 11, true), &report));
  CHECK(report.find("alertname: Dense, time: 10m") != std::string::npos);
  CHECK(report.find("got: {__name__=\"x:count\", job=\"a\"} 6E+00") != std::string::npos);
  CHECK(report.find("got: {job=\"a\"} 6E+00") != std::string::npos);
  CHECK(report.find("count_over_time(x[5m:1m])") == std::string::npos);
  report.clear();
  CHECK(!RunRuleTestFile(test_file("swap2_test.yml", "30s", 6, false), &report));
  CHECK(report.find("got: {__name__=\"x:count\", job=\"a\"} 1.1E+01") != std::string::npos);
}

TEST_CASE("rule manager: a subquery without a step runs at the global evaluation interval") {
  testing::TempDir dir;
  // Prometheus uses its global evaluation_interval for every group, also one with its own.
  const std::string rules = WriteFile(dir, "rules.yml", R"(groups:
  - name: own_interval
    interval: 2m
    rules:
      - record: x:count
        expr: count_over_time(x[5m:])
)");
  auto recorded = [&](int64_t evaluation_interval_ms) {
    RuleDb db;
    db.Load(R"(x{job="a"})", "1+1x20");
    RuleManagerOptions o;
    o.rule_files = {rules};
    if (evaluation_interval_ms > 0) o.evaluation_interval_ms = evaluation_interval_ms;
    o.query_options.parallelism = 1;
    auto m = RuleManager::Create(db.ctx.db, o);
    REQUIRE_MESSAGE(m.ok(), m.status().ToString());
    m.value()->EvalAll(600'000);
    auto r = QueryVector(db.ctx, "x:count", 600'000);
    REQUIRE(r.ok());
    REQUIRE(r.value().size() == 1);
    return r.value()[0].points[0].value;
  };
  CHECK(recorded(0) == 6);  // the default, 1m: 5m, 6m, ..., 10m
  CHECK(recorded(30'000) == 11);
  CHECK(recorded(10'000) == 31);
}

}  // namespace
}  // namespace gnomon::alert
