#include "http/api/rules_api.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "alert/alerting_config.h"
#include "http/api/query_api.h"
#include "http/api/query_json.h"
#include "http/api/self_metrics.h"
#include "http/client/http_client.h"
#include "index/matcher_eval.h"
#include "query/selector.h"
#include "util/go_strconv.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/time_format.h"

namespace gnomon::api {

namespace {

void AppendPairsJson(std::string* out, const std::vector<std::pair<std::string, std::string>>& pairs) {
  *out += '{';
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i) *out += ',';
    AppendGoJsonString(out, pairs[i].first);
    *out += ':';
    AppendGoJsonString(out, pairs[i].second);
  }
  *out += '}';
}

// Go's strconv.FormatFloat(v, 'e', -1, 64), as Prometheus writes alert values: "1e+00", "2.5e-01".
void AppendAlertValue(std::string* out, double v) { AppendGoJsonString(out, GoFormatFloat(v, 'e', -1)); }

void AppendTime(std::string* out, int64_t ms) {
  AppendGoJsonString(out, ms == 0 ? "0001-01-01T00:00:00Z" : FormatRfc3339(ms));
}

void AppendAlertJson(std::string* out, const alert::Alert& a) {
  *out += "{\"labels\":";
  AppendLabelsJson(out, a.labels);
  *out += ",\"annotations\":";
  AppendPairsJson(out, a.annotations);
  *out += ",\"state\":\"";
  *out += alert::AlertStateName(a.state);
  *out += "\",\"activeAt\":";
  AppendTime(out, a.active_at_ms);
  if (a.keep_firing_since_ms >= 0) {
    *out += ",\"keepFiringSince\":";
    AppendTime(out, a.keep_firing_since_ms);
  }
  *out += ",\"value\":";
  AppendAlertValue(out, a.value);
  *out += '}';
}

void AppendSeconds(std::string* out, double s) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, s);
  out->append(buf, end);
}

void SetJson(http::Response& resp, std::string body) {
  resp.status = 200;
  resp.content_type = "application/json";
  resp.body = std::move(body);
}

}  // namespace

Result<std::unique_ptr<http::Component>> RulesApi::Create(const http::ComponentContext& context) {
  const alert::AlertingConfig& cfg = context.config.Get<alert::AlertingConfig>();
  auto api = std::make_unique<RulesApi>();
  api->config_ = cfg;
  // The receivers first: the rule manager hands every evaluation to the notifier.
  if (!cfg.receivers.empty()) {
    auto outbox = notify::Outbox::Open(context.db, {.max_per_receiver = static_cast<size_t>(cfg.outbox_max_per_receiver)});
    if (!outbox.ok()) return Status::IOError("cannot open the notification outbox: " + outbox.status().ToString());
    api->outbox_ = std::move(outbox.value());
    std::vector<notify::ReceiverOptions> receivers;
    std::vector<notify::NotifierReceiver> routes;
    for (const alert::ReceiverConfig& r : cfg.receivers) {
      notify::ReceiverOptions o;
      o.name = r.name;
      o.kind = r.type == "alertmanager" ? notify::ReceiverOptions::Kind::kAlertmanager : notify::ReceiverOptions::Kind::kWebhook;
      o.url = r.url;
      o.bearer_token = r.bearer_token;
      o.headers.assign(r.headers.begin(), r.headers.end());
      o.timeout_ms = r.timeout_ms;
      receivers.push_back(std::move(o));
      auto match = r.ParseMatch();
      if (!match.ok()) return match.status();
      routes.push_back({r.name, std::move(match.value())});
    }
    auto notifier = notify::AlertNotifier::Create(api->outbox_.get(), std::move(routes), cfg.resend_delay_ms);
    if (!notifier.ok()) return notifier.status();
    api->notifier_ = std::move(notifier.value());
    api->dispatcher_ = std::make_unique<notify::Dispatcher>(api->outbox_.get(), std::move(receivers), cfg.external_url);
    RulesApi* self = api.get();
    api->dispatcher_->SetOutcomeHook([self](const notify::DeliveryOutcome& o) { self->RecordDelivery(o); });
    size_t queued = 0;
    for (const auto& r : cfg.receivers) queued += api->outbox_->Depth(r.name);
    log::Info(fmt::format("{} notification receivers; {} notifications queued from before", cfg.receivers.size(), queued));
  }
  if (!cfg.rule_files.empty()) {
    alert::RuleManagerOptions options;
    options.rule_files = cfg.rule_files;
    options.evaluation_interval_ms = cfg.evaluation_interval_ms;
    options.external_labels = cfg.external_labels;
    options.external_url = cfg.external_url;
    options.query_options = QueryApiOptions::FromConfig(context.config).query;
    options.event_log_path = context.data_dir + "/alert_events.jsonl";
    options.for_state = {.outage_tolerance_ms = cfg.for_outage_tolerance_ms,
                         .grace_period_ms = cfg.for_grace_period_ms};
    if (api->notifier_) {
      RulesApi* self = api.get();
      options.on_group_evaluated = [self](const alert::RuleGroupEvaluator& g, int64_t t, int64_t interval) {
        self->Notify(g, t, interval);
      };
    }
    auto created = alert::RuleManager::Create(context.db, options);
    if (!created.ok()) return Status::InvalidArgument("cannot load rule files: " + created.status().message());
    api->manager_ = std::move(created.value());
    log::Info(fmt::format("loaded {} rules from {} rule file patterns", api->manager_->num_rules(), cfg.rule_files.size()));
  }
  if (api->manager_ || api->dispatcher_) {
    const RulesApi* self = api.get();
    context.metrics->AddCollector([self](std::string* out) { self->CollectMetrics(out); });
  }
  return std::unique_ptr<http::Component>(std::move(api));
}

Status RulesApi::Reload() {
  if (!manager_) return Status::OK();  // no rule files configured: nothing to re-read
  Status s = manager_->Reload();
  if (!s.ok()) return Status::InvalidArgument("cannot load rule files: " + s.message());
  return Status::OK();
}

void RulesApi::Notify(const alert::RuleGroupEvaluator& group, int64_t t_ms, int64_t interval_ms) {
  std::vector<notify::ActiveAlert> alerts;
  for (const alert::AlertingRule* rule : group.AlertingRules()) {
    // Prometheus' generator URL: the rule's expression in the external URL's graph page.
    const std::string url = config_.external_url + "/graph?g0.expr=" + http::UrlEncode(rule->rule().expr) + "&g0.tab=1";
    for (const alert::Alert* a : rule->Alerts()) {
      notify::ActiveAlert n;
      n.labels = a->labels;
      // External labels go with alerts that leave gnomond, unless the alert has its own.
      for (const auto& [name, value] : config_.external_labels) {
        if (std::none_of(n.labels.begin(), n.labels.end(), [&](const Label& l) { return l.name == name; })) {
          n.labels.push_back({name, value});
        }
      }
      std::sort(n.labels.begin(), n.labels.end(), [](const Label& x, const Label& y) { return x.name < y.name; });
      for (const auto& [name, value] : a->annotations) n.annotations.push_back({name, value});
      n.firing = a->state == alert::AlertState::kFiring;
      n.fired_at_ms = a->fired_at_ms;
      n.resolved_at_ms = a->state == alert::AlertState::kInactive ? a->resolved_at_ms : 0;
      n.generator_url = url;
      alerts.push_back(std::move(n));
    }
  }
  auto woken = notifier_->Process(t_ms, interval_ms, alerts);
  if (!woken.ok()) {
    log::Warn("notify: cannot queue notifications: " + woken.status().ToString());
    return;
  }
  for (const std::string& r : *woken) dispatcher_->Wake(r);
  notifier_->Expire(t_ms);
}

void RulesApi::RecordDelivery(const notify::DeliveryOutcome& o) {
  alert::AlertEventLog* event_log = manager_ ? manager_->mutable_event_log() : nullptr;
  if (event_log == nullptr) return;
  using Outcome = notify::DeliveryOutcome::Outcome;
  std::vector<alert::NotificationEvent> events;
  {
    std::lock_guard lock(delivery_mu_);
    if (o.time_ms - delivered_expired_ms_ > 600'000) {  // forget alerts not delivered for 2 hours
      std::erase_if(delivered_, [&](const auto& kv) { return o.time_ms - kv.second.time_ms > 7'200'000; });
      delivered_expired_ms_ = o.time_ms;
    }
    uint64_t& failed_up_to = failure_recorded_[o.receiver];
    for (const notify::DeliveryOutcome::Item& item : o.notifications) {
      if (o.outcome == Outcome::kFailed) {
        if (item.seq <= failed_up_to) continue;
        failed_up_to = item.seq;
      } else if (o.outcome == Outcome::kSent) {
        auto [it, fresh] = delivered_.try_emplace({o.receiver, item.alert_key}, Delivered{item.kind, o.time_ms});
        const bool resend = !fresh && it->second.kind == item.kind;
        it->second = {item.kind, o.time_ms};
        if (resend) continue;
      }
      alert::NotificationEvent e;
      e.time_ms = o.time_ms;
      e.receiver = o.receiver;
      e.outcome = o.outcome == Outcome::kSent ? "sent" : o.outcome == Outcome::kFailed ? "failed" : "dropped";
      e.resolved = item.kind == notify::Notification::Kind::kResolved;
      e.labels = item.labels;
      e.detail = o.outcome == Outcome::kSent ? "HTTP " + std::to_string(o.http_status) : o.error;
      events.push_back(std::move(e));
    }
  }
  if (Status s = event_log->Append(events); !s.ok()) log::Warn("alert event log: " + s.ToString());
}

RulesApi::~RulesApi() { Stop(); }

Status RulesApi::Start() {
  if (manager_) manager_->Start();
  if (dispatcher_) dispatcher_->Start();
  return Status::OK();
}

void RulesApi::Stop() {
  if (manager_) manager_->Stop();
  if (dispatcher_) dispatcher_->Stop();
}

void RulesApi::Receivers(const http::Request&, http::Response& resp) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  if (dispatcher_) {
    const int64_t now = NowMs();
    const auto stats = dispatcher_->Stats();
    const std::vector<alert::ReceiverConfig>& receivers = config_.receivers;  // in the dispatcher's order
    for (size_t i = 0; i < stats.size() && i < receivers.size(); ++i) {
      const notify::ReceiverStats& st = stats[i];
      nlohmann::ordered_json r;
      r["name"] = st.name;
      r["type"] = receivers[i].type;
      r["url"] = receivers[i].url;
      r["state"] = std::string(notify::StateName(st.state));
      r["timesOpened"] = st.times_opened;
      r["queued"] = st.queued;
      r["oldestQueuedAgeSeconds"] = st.oldest_queued_ms == 0 ? 0.0 : static_cast<double>(now - st.oldest_queued_ms) / 1000;
      r["sent"] = st.sent;
      r["failedRequests"] = st.failed_requests;
      r["dropped"] = st.dropped;
      r["droppedOverLimit"] = st.dropped_over_limit;
      r["lastError"] = st.last_error;
      list.push_back(std::move(r));
    }
  }
  nlohmann::ordered_json body;
  body["status"] = "success";
  body["data"]["receivers"] = std::move(list);
  SetJson(resp, body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

void RulesApi::CollectMetrics(std::string* out) const {
  if (manager_) CollectRuleMetrics(out);
  if (!dispatcher_) return;
  const auto stats = dispatcher_->Stats();
  const int64_t now = NowMs();
  auto family = [&](const char* name, const char* type, const char* help, auto value) {
    *out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (const notify::ReceiverStats& st : stats) *out += fmt::format("{}{{receiver=\"{}\"}} {}\n", name, st.name, value(st));
  };
  family("gnomon_notify_queued", "gauge", "Notifications waiting in the outbox, per receiver.",
         [](const notify::ReceiverStats& st) { return static_cast<double>(st.queued); });
  family("gnomon_notify_oldest_queued_age_seconds", "gauge", "Age of the oldest queued notification (0: none).",
         [now](const notify::ReceiverStats& st) {
           return st.oldest_queued_ms == 0 ? 0.0 : static_cast<double>(now - st.oldest_queued_ms) / 1000;
         });
  family("gnomon_notify_sent_total", "counter", "Notifications the receiver acknowledged.",
         [](const notify::ReceiverStats& st) { return static_cast<double>(st.sent); });
  family("gnomon_notify_failed_requests_total", "counter", "Requests to the receiver that failed and are retried.",
         [](const notify::ReceiverStats& st) { return static_cast<double>(st.failed_requests); });
  family("gnomon_notify_dropped_total", "counter", "Notifications moved aside: refused by the receiver for good.",
         [](const notify::ReceiverStats& st) { return static_cast<double>(st.dropped); });
  family("gnomon_notify_dropped_over_limit_total", "counter",
         "Notifications dropped from a full outbox (oldest resolved notices first).",
         [](const notify::ReceiverStats& st) { return static_cast<double>(st.dropped_over_limit); });
  family("gnomon_notify_circuit_state", "gauge", "The receiver's circuit breaker: 0 closed, 1 half-open, 2 open.",
         [](const notify::ReceiverStats& st) {
           return st.state == notify::CircuitBreaker::State::kClosed ? 0.0
                  : st.state == notify::CircuitBreaker::State::kHalfOpen ? 1.0 : 2.0;
         });
  family("gnomon_notify_circuit_opened_total", "counter", "Times the receiver's circuit breaker opened.",
         [](const notify::ReceiverStats& st) { return static_cast<double>(st.times_opened); });
}

void RulesApi::CollectRuleMetrics(std::string* out) const {
  const alert::ReloadStatus reload = manager_->last_reload();
  *out += fmt::format(
      "# HELP gnomon_rules_last_reload_successful Whether the last reload of the rule files succeeded.\n"
      "# TYPE gnomon_rules_last_reload_successful gauge\ngnomon_rules_last_reload_successful {}\n"
      "# HELP gnomon_rules_last_reload_success_timestamp_seconds When the rule files were last loaded.\n"
      "# TYPE gnomon_rules_last_reload_success_timestamp_seconds gauge\n"
      "gnomon_rules_last_reload_success_timestamp_seconds {}\n",
      reload.success ? 1 : 0, reload.last_success_ms / 1000);
  // Prometheus' rule group metrics, under gnomon_ and with its rule_group="FILE;GROUP" label.
  std::string duration, last_eval, rules, missed;
  auto label = [](const alert::RuleGroup& g) {  // quoted, with the text format's three escapes
    std::string v = "\"";
    for (char c : g.file + ";" + g.name) {
      if (c == '\\' || c == '"') v += '\\';
      v += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    return v + '"';
  };
  for (const auto& g : manager_->Snapshots()) {
    const std::string l = label(*g->group);
    duration += fmt::format("gnomon_rule_group_last_duration_seconds{{rule_group={}}} {}\n", l, g->eval_seconds);
    last_eval += fmt::format("gnomon_rule_group_last_evaluation_timestamp_seconds{{rule_group={}}} {}\n", l,
                             static_cast<double>(g->last_eval_ms) / 1000);
    rules += fmt::format("gnomon_rule_group_rules{{rule_group={}}} {}\n", l, g->group->rules.size());
  }
  for (const auto& [group, n] : manager_->MissedIterations()) {
    missed += fmt::format("gnomon_rule_group_iterations_missed_total{{rule_group={}}} {}\n", label(*group), n);
  }
  *out +=
      "# HELP gnomon_rule_group_last_duration_seconds How long the group's latest evaluation took.\n"
      "# TYPE gnomon_rule_group_last_duration_seconds gauge\n" +
      duration;
  *out +=
      "# HELP gnomon_rule_group_last_evaluation_timestamp_seconds When the group was last evaluated.\n"
      "# TYPE gnomon_rule_group_last_evaluation_timestamp_seconds gauge\n" +
      last_eval;
  *out += "# HELP gnomon_rule_group_rules Rules in the group.\n# TYPE gnomon_rule_group_rules gauge\n" + rules;
  *out +=
      "# HELP gnomon_rule_group_iterations_missed_total Evaluations skipped because one overran its interval.\n"
      "# TYPE gnomon_rule_group_iterations_missed_total counter\n" +
      missed;
}

void RulesApi::RegisterRoutes(http::Router* router) {
  using http::Access;
  router->Handle({"GET"}, "/api/v1/rules", Access::kRead, [this](const http::Request& q, http::Response& r) { Rules(q, r); });
  router->Handle({"GET"}, "/api/v1/alerts", Access::kRead, [this](const http::Request& q, http::Response& r) { Alerts(q, r); });
  router->Handle({"GET"}, "/api/v1/alerts/events", Access::kRead, [this](const http::Request& q, http::Response& r) { Events(q, r); });
  router->Handle({"GET", "POST"}, "/api/v1/alerts/history", Access::kRead,
                 [this](const http::Request& q, http::Response& r) { History(q, r); });
  router->Handle({"GET"}, "/api/v1/alerts/receivers", Access::kRead,
                 [this](const http::Request& q, http::Response& r) { Receivers(q, r); });
}

void RulesApi::Rules(const http::Request& req, http::Response& resp) {
  const http::Params params = req.Params();
  std::string type;
  for (const auto& [name, value] : params) {
    if (name == "type") type = value;
  }
  if (!type.empty() && type != "alert" && type != "record") {
    return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"type\": must be \"alert\" or \"record\"");
  }
  std::string out = "{\"status\":\"success\",\"data\":{\"groups\":[";
  if (manager_ != nullptr) {
    bool first_group = true;
    for (const auto& g : manager_->Snapshots()) {
      const alert::RuleGroup& group = *g->group;
      if (!first_group) out += ',';
      first_group = false;
      out += "{\"name\":";
      AppendGoJsonString(&out, group.name);
      out += ",\"file\":";
      AppendGoJsonString(&out, group.file);
      out += ",\"rules\":[";
      bool first_rule = true;
      for (const auto& r : g->rules) {
        if ((type == "alert" && !r.alerting) || (type == "record" && r.alerting)) continue;
        if (!first_rule) out += ',';
        first_rule = false;
        out += '{';
        if (r.alerting) {
          alert::AlertState state = alert::AlertState::kInactive;
          for (const alert::Alert& a : r.alerts) state = std::max(state, a.state);
          out += "\"state\":\"";
          out += alert::AlertStateName(state);
          out += "\",";
        }
        out += "\"name\":";
        AppendGoJsonString(&out, r.rule->name());
        out += ",\"query\":";
        AppendGoJsonString(&out, r.rule->expr);
        if (r.alerting) {
          out += ",\"duration\":";
          AppendSeconds(&out, static_cast<double>(r.rule->for_ms) / 1000);
          out += ",\"keepFiringFor\":";
          AppendSeconds(&out, static_cast<double>(r.rule->keep_firing_for_ms) / 1000);
        }
        out += ",\"labels\":";
        AppendPairsJson(&out, r.rule->labels);
        if (r.alerting) {
          out += ",\"annotations\":";
          AppendPairsJson(&out, r.rule->annotations);
          out += ",\"alerts\":[";
          bool first_alert = true;
          for (const alert::Alert& a : r.alerts) {
            if (a.state == alert::AlertState::kInactive) continue;
            if (!first_alert) out += ',';
            first_alert = false;
            AppendAlertJson(&out, a);
          }
          out += ']';
        }
        out += ",\"health\":\"";
        out += r.last_eval_ms == 0 ? "unknown" : r.last_error.ok() ? "ok" : "err";
        out += '"';
        if (!r.last_error.ok()) {
          out += ",\"lastError\":";
          AppendGoJsonString(&out, r.last_error.message());
        }
        out += ",\"evaluationTime\":";
        AppendSeconds(&out, r.eval_seconds);
        out += ",\"lastEvaluation\":";
        AppendTime(&out, r.last_eval_ms);
        out += ",\"type\":\"";
        out += r.alerting ? "alerting" : "recording";
        out += "\"}";
      }
      out += "],\"interval\":";
      const int64_t interval = group.interval_ms > 0 ? group.interval_ms : manager_->default_interval_ms();
      AppendSeconds(&out, static_cast<double>(interval) / 1000);
      out += ",\"limit\":" + std::to_string(group.limit) + ",\"evaluationTime\":";
      AppendSeconds(&out, g->eval_seconds);
      out += ",\"lastEvaluation\":";
      AppendTime(&out, g->last_eval_ms);
      out += '}';
    }
  }
  out += "]}}";
  SetJson(resp, std::move(out));
}

void RulesApi::Alerts(const http::Request&, http::Response& resp) {
  std::string out = "{\"status\":\"success\",\"data\":{\"alerts\":[";
  if (manager_ != nullptr) {
    bool first = true;
    for (const auto& g : manager_->Snapshots()) {
      for (const auto& r : g->rules) {
        for (const alert::Alert& a : r.alerts) {
          if (a.state == alert::AlertState::kInactive) continue;
          if (!first) out += ',';
          first = false;
          AppendAlertJson(&out, a);
        }
      }
    }
  }
  out += "]}}";
  SetJson(resp, std::move(out));
}

void RulesApi::Events(const http::Request& req, http::Response& resp) {
  int64_t since = INT64_MIN;
  size_t limit = 1000;
  for (const auto& [name, value] : req.Params()) {
    if (name == "since") {
      auto t = ParseQueryTimeParam(value);
      if (!t.ok()) return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"since\": " + t.status().message());
      since = t.value();
    } else if (name == "limit") {
      char* end = nullptr;
      const long long n = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n <= 0) {
        return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"limit\": expected a positive integer");
      }
      limit = static_cast<size_t>(n);
    }
  }
  std::string out = "{\"status\":\"success\",\"data\":{\"events\":[";
  if (manager_ != nullptr && manager_->event_log() != nullptr) {
    auto lines = manager_->event_log()->Read(since, limit);
    if (!lines.ok()) return http::SetJsonError(resp, 500, "internal", lines.status().message());
    for (size_t i = 0; i < lines.value().size(); ++i) out += (i ? "," : "") + lines.value()[i];
  }
  out += "]}}";
  SetJson(resp, std::move(out));
}

void RulesApi::History(const http::Request& req, http::Response& resp) {
  int64_t start = INT64_MIN, end = INT64_MAX;
  size_t limit = 1000;
  std::vector<std::string> names;
  std::vector<std::vector<index::CompiledMatcher>> selectors;
  for (const auto& [name, value] : req.Params()) {
    if (name == "start" || name == "end") {
      auto t = ParseQueryTimeParam(value);
      if (!t.ok()) return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"" + name + "\": " + t.status().message());
      (name == "start" ? start : end) = t.value();
    } else if (name == "limit") {
      char* stop = nullptr;
      const long long n = std::strtoll(value.c_str(), &stop, 10);
      if (value.empty() || *stop != '\0' || n <= 0) {
        return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"limit\": expected a positive integer");
      }
      limit = static_cast<size_t>(n);
    } else if (name == "alertname") {
      names.push_back(value);
    } else if (name == "match[]") {
      auto matchers = query::ParseSeriesSelector(value);
      if (!matchers.ok()) {
        return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"match[]\": " + matchers.status().message());
      }
      std::vector<index::CompiledMatcher> compiled;
      for (const Matcher& m : *matchers) {
        auto c = index::CompiledMatcher::Compile(m);
        if (!c.ok()) return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"match[]\": " + c.status().message());
        compiled.push_back(std::move(c.value()));
      }
      selectors.push_back(std::move(compiled));
    }
  }
  if (start > end) return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"end\": before \"start\"");

  // An event's alert labels match a selector when every matcher matches (absent labels are "").
  auto matches = [&](const nlohmann::json& event) {
    if (!names.empty() && std::find(names.begin(), names.end(), event.value("alertname", "")) == names.end()) return false;
    if (selectors.empty()) return true;
    const nlohmann::json labels = event.value("labels", nlohmann::json::object());
    for (const auto& selector : selectors) {
      bool all = true;
      for (const index::CompiledMatcher& m : selector) {
        std::string v;
        if (m.name() == "alertname") v = event.value("alertname", "");
        if (auto it = labels.find(m.name()); it != labels.end() && it->is_string()) v = it->get<std::string>();
        if (!m.Matches(v)) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  };

  std::vector<std::string> kept;
  if (manager_ != nullptr && manager_->event_log() != nullptr) {
    auto lines = manager_->event_log()->Read(start, SIZE_MAX);
    if (!lines.ok()) return http::SetJsonError(resp, 500, "internal", lines.status().message());
    for (std::string& line : lines.value()) {
      nlohmann::json event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!event.is_object()) continue;
      const int64_t t = event.value("time_ms", int64_t{0});
      if (t < start || t > end || !matches(event)) continue;
      kept.push_back(std::move(line));
    }
  }
  const size_t first = kept.size() > limit ? kept.size() - limit : 0;
  std::string out = "{\"status\":\"success\",\"data\":{\"events\":[";
  for (size_t i = first; i < kept.size(); ++i) out += (i > first ? "," : "") + kept[i];
  out += "]}}";
  SetJson(resp, std::move(out));
}

}  // namespace gnomon::api
