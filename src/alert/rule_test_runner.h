// Rule unit tests in promtool's format (`promtool test rules FILE`), run against Gnomon's own
// engine so that `gnomon test rules FILE` gives the verdict promtool 2.42 gives.
//
//   rule_files: [PATH or glob, relative to the test file]
//   evaluation_interval: 1m           (default 1m)
//   group_eval_order: [GROUP, ...]    (optional)
//   tests:
//     - name: ..., interval: 1m (input step; default evaluation_interval),
//       external_labels: {...}, external_url: ...,
//       input_series: [{series: 'm{a="b"}', values: '1+1x10 _ stale'}],
//       alert_rule_test: [{eval_time: 5m, alertname: X, exp_alerts: [{exp_labels, exp_annotations}]}],
//       promql_expr_test: [{expr, eval_time, exp_samples: [{labels: 'm{a="b"}', value: 1}]}]
//
// As in promtool: every group is evaluated at every evaluation_interval from 0 up to the largest
// eval_time (a group's own interval is ignored); an alert test at eval_time T looks at the state
// after the evaluation at the last step ≤ T; only firing alerts are compared (labels with
// alertname added, and annotations, as sets); expression tests run after all evaluations, as
// instant queries, with exact value equality; a rule that fails to evaluate fails the test group;
// a subquery without a step (`x[5m:]`), in a rule or an expression test, runs at the file's
// evaluation_interval.
#pragma once

#include <string>

namespace gnomon::alert {

// Runs one test file. Appends promtool's report ("Unit Testing:  FILE", then "  SUCCESS" or
// "  FAILED:" and the failures) to *report; returns true if every test passed.
bool RunRuleTestFile(const std::string& path, std::string* report);

}  // namespace gnomon::alert
