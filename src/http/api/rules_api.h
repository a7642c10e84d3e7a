// gnomond's Prometheus rules and alerts API, with Prometheus 2.42's response shapes (so Grafana's
// alerting views and `curl | jq` scripts written for Prometheus work):
//
//   GET /api/v1/rules    ?type=alert|record   groups, their rules, health, last evaluation and,
//                                              for alerting rules, their state and alerts
//   GET /api/v1/alerts                         every pending and firing alert
//   GET /api/v1/alerts/events ?since=T&limit=N  the alert event log (a Gnomon extension): state
//                                              changes at or after T (default: all), the newest
//                                              N (default 1000), oldest first, as
//                                              {"status":"success","data":{"events":[...]}}
//
// Without rule files both answer with empty lists.
#pragma once

#include "alert/rule_manager.h"
#include "http/server/router.h"

namespace gnomon::api {

class RulesApi {
 public:
  explicit RulesApi(const alert::RuleManager* manager) : manager_(manager) {}
  void Register(http::Router* router);

 private:
  void Rules(const http::Request& req, http::Response& resp);
  void Alerts(const http::Request& req, http::Response& resp);
  void Events(const http::Request& req, http::Response& resp);

  const alert::RuleManager* manager_;  // may be null: no rules configured
};

}  // namespace gnomon::api
