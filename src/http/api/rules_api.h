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
//   GET /api/v1/alerts/history                 the same events, filtered: alertname=NAME
//       (repeatable: any of them), match[]=SELECTOR (repeatable: the event's alert labels match
//       every matcher of any one), start, end (RFC 3339 or Unix seconds; inclusive), limit=N
//       (default 1000, the newest N of what matches), oldest first, same shape as /events
//   GET /api/v1/alerts/receivers               the notification receivers: type, URL, circuit
//       breaker state, queued notifications and the oldest one's age, sent, failed and dropped
//       counts, last error (also in /metrics as gnomon_notify_*)
//
// Without rule files both answer with empty lists. Every route needs read access.
//
// This is the alerting component: it owns the rule manager, the notification outbox (keyspace
// alert_outbox) and the dispatcher that delivers it to the receivers, built from the [alerting] section
// (rule files, evaluation interval, external labels and URL) with the [limits] query limits, and
// its event log in DATA_DIR/alert_events.jsonl; Start/Stop run its evaluation threads (one per
// group), Reload re-reads the rule files (SIGHUP, POST /-/reload; the outcome is logged and in
// /metrics as gnomon_rules_last_reload_successful).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "alert/alerting_config.h"
#include "alert/rule_manager.h"
#include "notify/alert_notifier.h"
#include "notify/dispatcher.h"
#include "notify/outbox.h"
#include "http/component.h"
#include "http/server/router.h"

namespace gnomon::api {

class RulesApi final : public http::Component {
 public:
  RulesApi() = default;
  ~RulesApi() override;
  // Fails when a rule file cannot be loaded (the message names file, line and column).
  static Result<std::unique_ptr<http::Component>> Create(const http::ComponentContext& context);

  std::string_view name() const override { return "alerting"; }
  void RegisterRoutes(http::Router* router) override;
  Status Start() override;
  void Stop() override;
  // Re-reads the rule files (RuleManager::Reload); on an error the running rules stay.
  Status Reload() override;

 private:
  void Rules(const http::Request& req, http::Response& resp);
  void Alerts(const http::Request& req, http::Response& resp);
  void Events(const http::Request& req, http::Response& resp);
  void History(const http::Request& req, http::Response& resp);
  void Receivers(const http::Request& req, http::Response& resp);
  // The receivers' figures in the Prometheus text format, for /metrics.
  void CollectMetrics(std::string* out) const;
  // The rule groups' and the last reload's figures (gnomon_rule_group_*, gnomon_rules_*).
  void CollectRuleMetrics(std::string* out) const;

  std::unique_ptr<alert::RuleManager> manager_;  // null: no rules configured
  // Notifications, when [[alerting.receivers]] or the flags name receivers (else all null).
  std::unique_ptr<notify::Outbox> outbox_;
  std::unique_ptr<notify::AlertNotifier> notifier_;
  std::unique_ptr<notify::Dispatcher> dispatcher_;
  alert::AlertingConfig config_;
  // After a group's evaluation: its due notifications into the outbox, their senders woken.
  void Notify(const alert::RuleGroupEvaluator& group, int64_t t_ms, int64_t interval_ms);
  // A delivery outcome into the event log (on a sender's thread): a notice's first delivery to a
  // receiver (its re-sends are not repeated there), a failure once per notification (not at each
  // retry), and every notification moved aside ("dropped").
  void RecordDelivery(const notify::DeliveryOutcome& outcome);

  struct Delivered {
    notify::Notification::Kind kind;
    int64_t time_ms;
  };
  std::mutex delivery_mu_;
  std::map<std::string, uint64_t> failure_recorded_;                    // receiver -> highest seq recorded failed
  std::map<std::pair<std::string, std::string>, Delivered> delivered_;  // (receiver, fingerprint)
  int64_t delivered_expired_ms_ = 0;
};

}  // namespace gnomon::api
