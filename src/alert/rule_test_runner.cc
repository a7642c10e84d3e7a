#include "alert/rule_test_runner.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "alert/rule_group.h"
#include "alert/rule_manager.h"
#include "gnomon/db.h"
#include "index/labels_util.h"
#include "query/promql/series_notation.h"
#include "util/duration.h"
#include "util/go_strconv.h"

namespace gnomon::alert {

namespace {

using StringMap = std::map<std::string, std::string>;

struct AlertTest {
  int64_t eval_time_ms = 0;
  std::string alertname;
  std::vector<std::pair<StringMap, StringMap>> expected;  // labels, annotations
};

struct ExprTest {
  std::string expr;
  int64_t eval_time_ms = 0;
  std::vector<std::pair<std::string, double>> expected;  // labels text, value
};

struct TestGroup {
  std::string name;
  int64_t interval_ms = 0;
  StringMap external_labels;
  std::string external_url;
  std::vector<std::pair<std::string, std::string>> input_series;  // series, values
  std::vector<AlertTest> alert_tests;
  std::vector<ExprTest> expr_tests;
};

// Failures of the file's structure, reported as promtool reports a YAML error: one line.
struct FileError {
  std::string message;
};

void CheckFields(const YAML::Node& n, std::initializer_list<std::string_view> allowed, const char* type) {
  if (!n.IsMap()) throw FileError{std::string(type) + " must be a mapping (line " + std::to_string(n.Mark().line + 1) + ")"};
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      throw FileError{"line " + std::to_string(kv.first.Mark().line + 1) + ": field " + key + " not found in type " + type};
    }
  }
}

int64_t Duration(const YAML::Node& n, const char* field) {
  auto d = ParseDurationMs(n.as<std::string>());
  if (!d.ok()) throw FileError{"line " + std::to_string(n.Mark().line + 1) + ": " + field + ": " + d.status().message()};
  return d.value();
}

StringMap ReadMap(const YAML::Node& n) {
  StringMap m;
  if (!n || n.IsNull()) return m;
  for (const auto& kv : n) m[kv.first.as<std::string>()] = kv.second.as<std::string>();
  return m;
}

TestGroup ReadTestGroup(const YAML::Node& n, int64_t default_interval) {
  CheckFields(n, {"name", "interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels", "external_url"},
              "main.testGroup");
  TestGroup g;
  if (n["name"]) g.name = n["name"].as<std::string>();
  g.interval_ms = n["interval"] ? Duration(n["interval"], "interval") : default_interval;
  if (g.interval_ms <= 0) g.interval_ms = default_interval;
  g.external_labels = ReadMap(n["external_labels"]);
  if (n["external_url"]) g.external_url = n["external_url"].as<std::string>();
  for (const YAML::Node& s : n["input_series"]) {
    CheckFields(s, {"series", "values"}, "main.series");
    g.input_series.emplace_back(s["series"].as<std::string>(""), s["values"].as<std::string>(""));
  }
  for (const YAML::Node& a : n["alert_rule_test"]) {
    CheckFields(a, {"eval_time", "alertname", "exp_alerts"}, "main.alertTestCase");
    AlertTest t;
    if (a["eval_time"]) t.eval_time_ms = Duration(a["eval_time"], "eval_time");
    t.alertname = a["alertname"].as<std::string>("");
    for (const YAML::Node& e : a["exp_alerts"]) {
      CheckFields(e, {"exp_labels", "exp_annotations"}, "main.alert");
      t.expected.emplace_back(ReadMap(e["exp_labels"]), ReadMap(e["exp_annotations"]));
    }
    g.alert_tests.push_back(std::move(t));
  }
  for (const YAML::Node& p : n["promql_expr_test"]) {
    CheckFields(p, {"expr", "eval_time", "exp_samples"}, "main.promqlTestCase");
    ExprTest t;
    t.expr = p["expr"].as<std::string>("");
    if (p["eval_time"]) t.eval_time_ms = Duration(p["eval_time"], "eval_time");
    for (const YAML::Node& s : p["exp_samples"]) {
      CheckFields(s, {"labels", "value"}, "main.sample");
      t.expected.emplace_back(s["labels"].as<std::string>(""), s["value"].as<double>(0));
    }
    g.expr_tests.push_back(std::move(t));
  }
  return g;
}

// Go's time.Duration.String for whole milliseconds: "0s", "1.5s", "5m0s", "1h0m0s".
std::string GoDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string sign = ms < 0 ? "-" : "";
  uint64_t u = ms < 0 ? -static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  if (u < 1000) return sign + std::to_string(u) + "ms";
  const uint64_t h = u / 3'600'000, m = u / 60'000 % 60, s = u / 1000 % 60, frac = u % 1000;
  std::string secs = std::to_string(s);
  if (frac != 0) {
    std::string f = std::to_string(frac + 1000).substr(1);
    while (f.back() == '0') f.pop_back();
    secs += "." + f;
  }
  if (h > 0) return sign + std::to_string(h) + "h" + std::to_string(m) + "m" + secs + "s";
  if (m > 0) return sign + std::to_string(m) + "m" + secs + "s";
  return sign + secs + "s";
}

std::string MapString(const StringMap& m) {
  Labels labels;
  for (const auto& [k, v] : m) labels.push_back(Label{k, v});
  return index::LabelsToString(labels);
}

std::string Indent(const std::string& text, const std::string& prefix) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += prefix;
  }
  return out;
}

using AlertSet = std::vector<std::pair<StringMap, StringMap>>;

std::string AlertSetString(const AlertSet& alerts) {
  if (alerts.empty()) return "[]";
  std::string s = "[";
  for (size_t i = 0; i < alerts.size(); ++i) {
    s += (i ? ",\n" : "\n") + std::to_string(i) + ":" +
         Indent("\nLabels:" + MapString(alerts[i].first) + "\nAnnotations:" + MapString(alerts[i].second), "  ");
  }
  return s + "\n]";
}

using SampleSet = std::vector<std::pair<Labels, double>>;

std::string SamplesString(const SampleSet& samples) {
  if (samples.empty()) return "nil";
  std::string s;
  for (const auto& [labels, value] : samples) {
    s += (s.empty() ? "" : ", ") + index::LabelsToString(labels) + " " + GoFormatFloat(value, 'E', -1);
  }
  return s;
}

bool SameSamples(const SampleSet& a, const SampleSet& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || !(a[i].second == b[i].second)) return false;  // NaN never matches
  }
  return true;
}

// A test group's database: in memory (Options::in_memory), so nothing touches the disk, as
// promtool's in-memory TSDB.
class TempDb {
 public:
  Status Open() {
    Options o;
    o.in_memory = true;
    o.block_cache_bytes = 8 << 20;
    return DB::Open(o, "gnomon-ruletest", &db_);
  }
  DB* get() { return db_.get(); }

 private:
  std::unique_ptr<DB> db_;
};

// Runs one test group; appends failures to *errors.
void RunGroup(const TestGroup& tg, const std::vector<RuleGroup>& rule_groups, const std::map<std::string, int>& order,
              int64_t eval_interval, std::vector<std::string>* errors) {
  TempDb tmp;
  if (Status s = tmp.Open(); !s.ok()) return errors->push_back("    " + s.ToString());
  // Input series: value i at i × interval from 0.
  WriteBatch batch;
  for (const auto& [series, values] : tg.input_series) {
    auto labels = promql::ParseSeriesDescription(series);
    if (!labels.ok()) return errors->push_back("    series \"" + series + "\": " + labels.status().message());
    auto vals = promql::ParseSeriesValues(values);
    if (!vals.ok()) return errors->push_back("    series \"" + series + "\": " + vals.status().message());
    for (size_t i = 0; i < vals.value().size(); ++i) {
      if (vals.value()[i]) batch.Add(labels.value(), static_cast<int64_t>(i) * tg.interval_ms, *vals.value()[i]);
    }
  }
  if (Status s = tmp.get()->Write(batch); !s.ok()) return errors->push_back("    " + s.ToString());

  std::vector<std::unique_ptr<RuleGroupEvaluator>> groups;
  for (const RuleGroup& g : rule_groups) groups.push_back(std::make_unique<RuleGroupEvaluator>(g));
  auto rank = [&](const RuleGroupEvaluator& g) {
    auto it = order.find(g.group().name);
    return it == order.end() ? 0 : it->second;
  };
  std::stable_sort(groups.begin(), groups.end(), [&](const auto& a, const auto& b) { return rank(*a) < rank(*b); });

  EvalContext ctx;
  ctx.db = tmp.get();
  ctx.external_labels = tg.external_labels;
  ctx.external_url = tg.external_url;
  ctx.query_options.parallelism = 1;
  // As promtool: stepless subqueries, in rules and in promql_expr_test alike, run at the file's
  // evaluation_interval.
  ctx.query_options.no_step_subquery_interval_ms = eval_interval;

  int64_t maxt = 0;
  for (const AlertTest& a : tg.alert_tests) maxt = std::max(maxt, a.eval_time_ms);
  for (const ExprTest& e : tg.expr_tests) maxt = std::max(maxt, e.eval_time_ms);
  std::vector<int64_t> alert_times;
  for (const AlertTest& a : tg.alert_tests) alert_times.push_back(a.eval_time_ms);
  std::sort(alert_times.begin(), alert_times.end());
  alert_times.erase(std::unique(alert_times.begin(), alert_times.end()), alert_times.end());
  const std::string name_line = tg.name.empty() ? "" : "    name: " + tg.name + ",\n";

  size_t curr = 0;
  for (int64_t ts = 0; ts <= maxt; ts += eval_interval) {
    bool failed = false;
    for (auto& g : groups) {
      for (const RuleEvalError& e : g->Eval(ctx, ts)) {
        errors->push_back("    rule: " + e.rule + ", time: " + GoDuration(ts) + ", err: " + e.status.message());
        failed = true;
      }
    }
    if (failed) return;
    while (curr < alert_times.size() && ts <= alert_times[curr] && alert_times[curr] < ts + eval_interval) {
      const int64_t t = alert_times[curr];
      for (const AlertTest& test : tg.alert_tests) {
        if (test.eval_time_ms != t) continue;
        AlertSet got, want;
        for (const auto& g : groups) {
          for (const AlertingRule* r : g->AlertingRules()) {
            if (r->name() != test.alertname) continue;
            for (const Alert* a : r->Alerts()) {
              if (a->state != AlertState::kFiring) continue;
              StringMap labels, annotations;
              for (const Label& l : a->labels) labels[l.name] = l.value;
              for (const auto& [k, v] : a->annotations) annotations[k] = v;
              got.emplace_back(std::move(labels), std::move(annotations));
            }
          }
        }
        for (auto [labels, annotations] : test.expected) {
          labels["alertname"] = test.alertname;
          want.emplace_back(std::move(labels), std::move(annotations));
        }
        std::sort(got.begin(), got.end());
        std::sort(want.begin(), want.end());
        if (got != want) {
          errors->push_back(name_line + "    alertname: " + test.alertname + ", time: " + FormatDuration(t) +
                            ", \n        exp:" + Indent(AlertSetString(want), "            ") +
                            ", \n        got:" + Indent(AlertSetString(got), "            "));
        }
      }
      ++curr;
    }
  }

  for (const ExprTest& test : tg.expr_tests) {
    const std::string head = "    expr: " + GoQuote(test.expr) + ", time: " + FormatDuration(test.eval_time_ms);
    auto got_r = QueryVector(ctx, test.expr, test.eval_time_ms);
    if (!got_r.ok()) {
      errors->push_back(head + ", err: " + got_r.status().message());
      continue;
    }
    SampleSet got, want;
    for (const promql::SeriesResult& s : got_r.value()) got.emplace_back(s.labels, s.points.empty() ? 0 : s.points[0].value);
    bool bad = false;
    for (const auto& [text, value] : test.expected) {
      Labels labels;
      if (text.find_first_not_of(" {}") != std::string::npos) {
        auto l = promql::ParseSeriesDescription(text);
        if (!l.ok()) {
          errors->push_back(head + ", err: labels " + GoQuote(text) + ": " + l.status().message());
          bad = true;
          break;
        }
        labels = std::move(l.value());
      }
      want.emplace_back(std::move(labels), value);
    }
    if (bad) continue;
    auto by_labels = [](const auto& a, const auto& b) { return a.first < b.first; };
    std::stable_sort(got.begin(), got.end(), by_labels);
    std::stable_sort(want.begin(), want.end(), by_labels);
    if (!SameSamples(got, want)) {
      errors->push_back(head + ",\n        exp: " + SamplesString(want) + "\n        got: " + SamplesString(got));
    }
  }
}

std::vector<std::string> RunFile(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return {"    " + path + ": cannot open test file"};
  } catch (const YAML::Exception& e) {
    return {"    yaml: line " + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
  std::vector<std::string> errors;
  try {
    CheckFields(root, {"rule_files", "evaluation_interval", "group_eval_order", "tests"}, "main.unitTestFile");
    std::vector<std::string> patterns;
    for (const YAML::Node& f : root["rule_files"]) patterns.push_back(f.as<std::string>());
    const int64_t eval_interval = root["evaluation_interval"] ? Duration(root["evaluation_interval"], "evaluation_interval") : 60'000;
    if (eval_interval <= 0) return {"    evaluation_interval must be positive"};
    std::map<std::string, int> order;
    int rank = 0;
    for (const YAML::Node& g : root["group_eval_order"]) {
      const std::string name = g.as<std::string>();
      if (!order.emplace(name, rank++).second) return {"group name repeated in evaluation order: " + name};
    }
    std::vector<TestGroup> tests;
    for (const YAML::Node& t : root["tests"]) tests.push_back(ReadTestGroup(t, eval_interval));

    std::vector<RuleGroup> groups;
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    for (std::string& p : patterns) {
      if (!std::filesystem::path(p).is_absolute()) p = (dir / p).string();
    }
    for (const std::string& file : ExpandRuleFilePatterns(patterns)) {
      auto loaded = LoadRuleFile(file);
      if (!loaded.ok()) {
        errors.push_back(loaded.status().message());
        continue;
      }
      for (RuleGroup& g : loaded.value()) groups.push_back(std::move(g));
    }
    if (!errors.empty()) return errors;
    for (const TestGroup& tg : tests) RunGroup(tg, groups, order, eval_interval, &errors);
  } catch (const FileError& e) {
    return {"    " + e.message};
  } catch (const YAML::Exception& e) {
    return {"    yaml: line " + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
  return errors;
}

}  // namespace

bool RunRuleTestFile(const std::string& path, std::string* report) {
  *report += "Unit Testing:  " + path + "\n";
  const std::vector<std::string> errors = RunFile(path);
  if (errors.empty()) {
    *report += "  SUCCESS\n\n";
    return true;
  }
  *report += "  FAILED:\n";
  for (const std::string& e : errors) *report += e + "\n\n";
  return false;
}

}  // namespace gnomon::alert
