// `gnomon check rules FILE...` and `gnomon test rules FILE...`: Prometheus rule files checked and
// unit-tested offline, with promtool's output and verdicts (see alert/rule_file.h and
// alert/rule_test_runner.h); `gnomon alerts`: the server's pending and firing alerts.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "alert/rule_file.h"
#include "alert/rule_test_runner.h"
#include "cli/command_util.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/list_output.h"
#include "cli/query_result.h"
#include "cli/terminal.h"
#include "cli/time_parse.h"
#include "http/client/http_client.h"
#include "util/clock.h"
#include "util/duration.h"

namespace gnomon::cli {

int CheckRuleFiles(const std::vector<std::string>& files) {
  bool failed = false;
  for (const std::string& file : files) {
    std::printf("Checking %s\n", file.c_str());
    auto groups = alert::LoadRuleFile(file);
    if (!groups.ok()) {
      std::fflush(stdout);
      std::fprintf(stderr, "  FAILED:\n%s\n\n", groups.status().message().c_str());
      failed = true;
      continue;
    }
    size_t rules = 0;
    for (const alert::RuleGroup& g : groups.value()) rules += g.rules.size();
    std::printf("  SUCCESS: %zu rules found\n\n", rules);
  }
  return failed ? kExitFailure : kExitOk;
}

int RunTest(int argc, char** argv) {
  cxxopts::Options options("gnomon test",
                           "Run rule unit tests offline: 'gnomon test rules FILE...' runs promtool-format "
                           "test files (rule_files, input_series, alert_rule_test, promql_expr_test) "
                           "and exits 1 if any test fails.");
  options.custom_help("[OPTIONS]").positional_help("rules FILE...");
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    const auto& rest = args.unmatched();
    if (rest.empty()) throw UsageError{"what to test? expected 'rules FILE...'"};
    if (rest[0] != "rules") throw UsageError{"unknown test \"" + rest[0] + "\": expected 'rules FILE...'"};
    if (rest.size() < 2) throw UsageError{"expected at least one FILE after 'rules'"};
    bool failed = false;
    for (size_t i = 1; i < rest.size(); ++i) {
      std::string report;
      const bool ok = alert::RunRuleTestFile(rest[i], &report);
      std::fwrite(report.data(), 1, report.size(), ok ? stdout : stderr);
      failed = failed || !ok;
    }
    return failed ? kExitFailure : kExitOk;
  });
}

namespace {

// "k=v, k=v" of a JSON object's members (`alertname` left out when skip_name).
std::string Pairs(const nlohmann::json& obj, bool skip_name) {
  std::string out;
  if (!obj.is_object()) return out;
  for (const auto& [k, v] : obj.items()) {
    if (skip_name && k == "alertname") continue;
    out += (out.empty() ? "" : ", ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out;
}

// An event of the log is a state change ("from", "to") or a notification's outcome ("receiver",
// "outcome", "notice"): "pending -> firing", or "firing notice sent to pager" (arrow: "->" or "→").
std::string Change(const nlohmann::json& e, const std::string& arrow,
                   const std::function<std::string(const std::string&)>& paint) {
  if (e.contains("receiver")) {
    std::string s =
        paint(e.value("notice", "")) + " notice " + e.value("outcome", "") + " to " + e.value("receiver", "");
    if (const std::string d = e.value("detail", ""); !d.empty() && e.value("outcome", "") != "sent")
      s += " (" + d + ")";
    return s;
  }
  return paint(e.value("from", "")) + " " + arrow + " " + paint(e.value("to", ""));
}

// Alert events (from /events or /history) as table rows.
Table EventsTable(const nlohmann::json& events) {
  Table table;
  table.header = {"time", "alertname", "change", "value", "labels"};
  for (const auto& e : events) {
    table.rows.push_back({e.value("time", ""), e.value("alertname", ""),
                          Change(e, "->", [](const std::string& s) { return s; }), e.value("value", ""),
                          Pairs(e.value("labels", nlohmann::json::object()), true)});
  }
  return table;
}

// "3m ago", "2h ago" (or "in 5s" for a time ahead of the local clock), whole seconds.
std::string Ago(int64_t t_ms, int64_t now_ms) {
  int64_t d = now_ms - t_ms;
  const bool future = d < 0;
  if (future) d = -d;
  d -= d % 1000;
  if (d == 0) return "now";
  return future ? "in " + FormatDuration(d) : FormatDuration(d) + " ago";
}

// gnomon alerts history: the filtered event log as a timeline.
int RunAlertsHistory(int argc, char** argv) {
  cxxopts::Options options("gnomon alerts history",
                           "The history of alert state changes and notifications (GET /api/v1/alerts/history) as a "
                           "timeline, oldest first: one line per change or notification outcome with its absolute and "
                           "relative time.");
  options.custom_help("[OPTIONS]");
  options.add_options()("alertname", "only this alert (repeatable)", cxxopts::value<std::vector<std::string>>(),
                        "NAME")(
      "match", "only alerts whose labels match this selector, e.g. '{severity=\"page\"}' (repeatable: any)",
      cxxopts::value<std::vector<std::string>>(),
      "SELECTOR")("since", "changes at or after this time (e.g. -1h, RFC 3339, unix seconds)",
                  cxxopts::value<std::string>()->default_value(""), "TIME")(
      "until", "changes at or before this time", cxxopts::value<std::string>()->default_value(""), "TIME")(
      "limit", "at most this many, the newest", cxxopts::value<long>()->default_value("1000"), "N")(
      "format", "timeline, table, json or csv", cxxopts::value<std::string>()->default_value("timeline"), "FORMAT")(
      "color", "colour the states: auto, always or never", cxxopts::value<std::string>()->default_value("auto"),
      "WHEN");
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    if (!args.unmatched().empty()) throw UsageError{"unexpected argument \"" + args.unmatched()[0] + "\""};
    const std::string format = args["format"].as<std::string>();
    CheckChoice("format", format, {"timeline", "table", "json", "csv"});
    const std::string color_mode = args["color"].as<std::string>();
    CheckChoice("color", color_mode, {"auto", "always", "never"});
    const int64_t now = NowMs();
    QueryParams params;
    AddSinceUntilParams(args, now, &params);
    if (args.count("alertname")) {
      for (const std::string& n : args["alertname"].as<std::vector<std::string>>()) params.emplace_back("alertname", n);
    }
    if (args.count("match")) {
      for (const std::string& m : args["match"].as<std::vector<std::string>>()) params.emplace_back("match[]", m);
    }
    const long limit = args["limit"].as<long>();
    if (limit <= 0) throw UsageError{"--limit must be positive"};
    params.emplace_back("limit", std::to_string(limit));
    auto client = MakeClient(args);
    auto events = GetList(client.get(), "/api/v1/alerts/history", params, "events");
    if (!events.ok()) return Fail("alert history: " + events.status().message());
    if (format != "timeline") {
      PrintRows(*events, format, EventsTable(*events));
      return kExitOk;
    }
    const bool color = UseColor(color_mode);
    auto paint = [color](const std::string& state) {
      const char* code = state == "firing" ? "31" : state == "pending" ? "33" : state == "resolved" ? "32" : nullptr;
      if (!color || code == nullptr) return state;
      return std::string("\x1b[") + code + "m" + state + "\x1b[0m";
    };
    if (events->empty()) std::printf("no alert state changes or notifications\n");
    for (const auto& e : *events) {
      const int64_t t = e.value("time_ms", int64_t{0});
      std::string line = e.value("time", "") + "  " + PadRight(Ago(t, now), 10) + "  " + e.value("alertname", "") +
                         "  " + Change(e, "\u2192", paint);
      if (const std::string v = e.value("value", ""); !v.empty()) line += "  value=" + v;
      if (const std::string l = Pairs(e.value("labels", nlohmann::json::object()), true); !l.empty())
        line += "  {" + l + "}";
      std::printf("%s\n", line.c_str());
    }
    return kExitOk;
  });
}

// gnomon alerts receivers: the notification receivers and their delivery state.
int RunAlertsReceivers(int argc, char** argv) {
  cxxopts::Options options("gnomon alerts receivers",
                           "The notification receivers (GET /api/v1/alerts/receivers): circuit breaker state, "
                           "queued notifications and the oldest one's age, sent, failed and dropped counts.");
  options.custom_help("[OPTIONS]");
  options.add_options()("format", "table, json or csv", cxxopts::value<std::string>()->default_value("table"),
                        "FORMAT");
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    if (!args.unmatched().empty()) throw UsageError{"unexpected argument \"" + args.unmatched()[0] + "\""};
    const std::string format = args["format"].as<std::string>();
    CheckChoice("format", format, {"table", "json", "csv"});
    auto client = MakeClient(args);
    auto receivers = GetList(client.get(), "/api/v1/alerts/receivers", {}, "receivers");
    if (!receivers.ok()) return Fail("alert receivers: " + receivers.status().message());
    Table table;
    table.header = {"name", "type", "state", "queued", "oldest_age", "sent", "failed", "dropped", "url", "last_error"};
    for (const auto& r : *receivers) {
      const double age = r.value("oldestQueuedAgeSeconds", 0.0);
      table.rows.push_back({r.value("name", ""), r.value("type", ""), r.value("state", ""),
                            std::to_string(r.value("queued", 0)),
                            age > 0 ? FormatDuration(static_cast<int64_t>(age) * 1000) : "-",
                            std::to_string(r.value("sent", 0)), std::to_string(r.value("failedRequests", 0)),
                            std::to_string(r.value("dropped", 0)), r.value("url", ""), r.value("lastError", "")});
    }
    if (receivers->empty() && format == "table") {
      std::printf("no receivers configured ([[alerting.receivers]], --alertmanager, --webhook)\n");
      return kExitOk;
    }
    PrintRows(*receivers, format, std::move(table));
    return kExitOk;
  });
}

}  // namespace

int RunAlerts(int argc, char** argv) {
  if (int rc = RunSubcommand(argc, argv, {{"history", RunAlertsHistory}, {"receivers", RunAlertsReceivers}}); rc >= 0) {
    return rc;
  }
  cxxopts::Options options("gnomon alerts",
                           "List gnomond's pending and firing alerts (GET /api/v1/alerts): "
                           "name, state, since when, value, labels and annotations. With --events, "
                           "the alert event log instead (GET /api/v1/alerts/events): every state "
                           "change, oldest first. 'gnomon alerts history --help': the history "
                           "filtered by alert and labels, as a timeline; 'gnomon alerts receivers': "
                           "the notification receivers.");
  options.custom_help("[OPTIONS]");
  options.add_options()("format", "table, json or csv", cxxopts::value<std::string>()->default_value("table"),
                        "FORMAT")("state", "only alerts in this state: pending or firing",
                                  cxxopts::value<std::string>()->default_value(""),
                                  "STATE")("events", "show the event log of state changes")(
      "since", "with --events: changes at or after this time (e.g. -1h, RFC 3339, unix seconds)",
      cxxopts::value<std::string>()->default_value(""), "TIME")("limit", "with --events: at most this many, the newest",
                                                                cxxopts::value<long>()->default_value("1000"), "N");
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    if (!args.unmatched().empty()) throw UsageError{"unexpected argument \"" + args.unmatched()[0] + "\""};
    const std::string format = args["format"].as<std::string>();
    CheckChoice("format", format, {"table", "json", "csv"});
    const std::string state = args["state"].as<std::string>();
    if (!state.empty()) CheckChoice("state", state, {"pending", "firing"});
    auto client = MakeClient(args);
    Table table;
    if (args.count("events")) {
      QueryParams params;
      if (const std::string since = args["since"].as<std::string>(); !since.empty()) {
        auto t = ParseTime(since, NowMs());
        if (!t.ok()) throw UsageError{"--since: " + t.status().message()};
        params.emplace_back("since", FormatUnixSeconds(*t));
      }
      const long limit = args["limit"].as<long>();
      if (limit <= 0) throw UsageError{"--limit must be positive"};
      params.emplace_back("limit", std::to_string(limit));
      auto events = GetList(client.get(), "/api/v1/alerts/events", params, "events");
      if (!events.ok()) return Fail("alert events: " + events.status().message());
      PrintRows(*events, format, EventsTable(*events));
      return kExitOk;
    }
    auto all = GetList(client.get(), "/api/v1/alerts", {}, "alerts");
    if (!all.ok()) return Fail("alerts: " + all.status().message());
    nlohmann::json alerts = nlohmann::json::array();
    for (const auto& a : *all) {
      if (state.empty() || a.value("state", "") == state) alerts.push_back(a);
    }
    table.header = {"alertname", "state", "active_since", "value", "labels", "annotations"};
    for (const auto& a : alerts) {
      const nlohmann::json labels = a.value("labels", nlohmann::json::object());
      table.rows.push_back({labels.value("alertname", ""), a.value("state", ""), a.value("activeAt", ""),
                            a.value("value", ""), Pairs(labels, true),
                            Pairs(a.value("annotations", nlohmann::json::object()), false)});
    }
    PrintRows(alerts, format, std::move(table));
    return kExitOk;
  });
}

}  // namespace gnomon::cli
