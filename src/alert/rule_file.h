// Prometheus rule files: groups of recording and alerting rules, as `promtool check rules` and
// Prometheus' rulefmt read them.
//
//   groups:
//     - name: NAME               (unique in the file)
//       interval: 30s            (optional; 0 means the global evaluation interval)
//       limit: 0                 (optional)
//       rules:
//         - record: METRIC       (a recording rule) or  - alert: NAME  (an alerting rule)
//           expr: PROMQL
//           for: 5m              (alerts only)
//           keep_firing_for: 1m  (alerts only)
//           labels: {k: v}       (alert labels may be templates)
//           annotations: {k: v}  (alerts only; templates)
//
// Parsing is strict, as Prometheus' is: unknown fields, a rule with both or neither of record and
// alert, an expression that does not parse, bad names and templates that do not parse are errors.
// Every error is reported, each as "FILE:LINE:COL: message", in one InvalidArgument Status.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"

namespace gnomon::alert {

struct Rule {
  std::string record;  // a recording rule's output metric name, or ""
  std::string alert;   // an alerting rule's name, or ""
  std::string expr;
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  std::vector<std::pair<std::string, std::string>> labels;       // in file order
  std::vector<std::pair<std::string, std::string>> annotations;  // in file order
  int line = 0;                                                   // 1-based, where the rule starts

  bool is_alert() const { return !alert.empty(); }
  const std::string& name() const { return is_alert() ? alert : record; }
};

struct RuleGroup {
  std::string name;
  std::string file;
  int64_t interval_ms = 0;  // 0: the evaluator's default
  int64_t limit = 0;        // 0: no limit on series an alerting rule may produce
  std::vector<Rule> rules;
};

// Parses a rule file's text. `path` names the file in error messages.
Result<std::vector<RuleGroup>> ParseRuleFile(std::string_view path, std::string_view text);

// Reads and parses the file at `path`.
Result<std::vector<RuleGroup>> LoadRuleFile(const std::string& path);

}  // namespace gnomon::alert
