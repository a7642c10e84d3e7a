// `gnomon logs trace ID`: one request's timeline across services (GET /api/v1/logs/correlation/ID);
// `gnomon logs push FILE`: NDJSON or text lines into gnomond in batches (POST /api/v1/logs);
// `gnomon logs query LOGQL`: a LogQL log query over a time range (GET /loki/api/v1/query_range).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command_util.h"
#include "cli/commands.h"
#include "cli/terminal.h"
#include "cli/time_parse.h"
#include "util/clock.h"
#include "util/duration.h"
#include "util/time_format.h"

namespace gnomon::cli {

namespace {

// The server's answer as JSON, or why not (its error text for a non-2xx status).
Result<nlohmann::json> JsonAnswer(const Result<HttpResponse>& resp) {
  if (!resp.ok()) return resp.status();
  nlohmann::json body = nlohmann::json::parse(resp->body, nullptr, /*allow_exceptions=*/false);
  if (resp->status / 100 != 2) {
    std::string why = body.is_object() && body.contains("error") ? body["error"].get<std::string>() : resp->body;
    return Status::InvalidArgument("HTTP " + std::to_string(resp->status) + ": " + why);
  }
  if (!body.is_object()) return Status::IOError("the server's answer is not JSON");
  return body;
}

// The message of a line: its JSON "msg"/"message" field, else the line itself.
std::string MessageOf(const std::string& line) {
  if (!line.empty() && line.front() == '{') {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) {
      for (const char* key : {"msg", "message", "log"}) {
        if (auto it = j.find(key); it != j.end() && it->is_string()) return it->get<std::string>();
      }
    }
  }
  return line;
}

bool IsErrorLevel(const std::string& level) {
  std::string l = level;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  return l == "error" || l == "err" || l == "fatal" || l == "critical" || l == "crit" || l == "panic";
}

int RunLogsTrace(int argc, char** argv) {
  cxxopts::Options options("gnomon logs trace",
                           "One request's story across services: every log line with its correlation ID, in time "
                           "order, as a timeline (time since the first line, service, level, message), with the "
                           "first error and the slowest gap between two lines marked.");
  options.custom_help("[OPTIONS] ID");
  // clang-format off
  options.add_options()
      ("since", "lines at or after this time (e.g. -1h, RFC 3339, unix seconds)",
       cxxopts::value<std::string>()->default_value(""), "TIME")
      ("until", "lines at or before this time", cxxopts::value<std::string>()->default_value(""), "TIME")
      ("format", "timeline or json", cxxopts::value<std::string>()->default_value("timeline"), "FORMAT")
      ("color", "colour levels and marks: auto, always or never",
       cxxopts::value<std::string>()->default_value("auto"), "WHEN");
  // clang-format on
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    if (args.unmatched().size() != 1) throw UsageError{"expected one correlation ID"};
    const std::string id = args.unmatched()[0];
    const std::string format = args["format"].as<std::string>();
    CheckChoice("format", format, {"timeline", "json"});
    const std::string color_mode = args["color"].as<std::string>();
    CheckChoice("color", color_mode, {"auto", "always", "never"});
    const int64_t now = NowMs();
    QueryParams params;
    AddSinceUntilParams(args, now, &params);
    auto client = MakeClient(args);
    auto body = JsonAnswer(client->Get("/api/v1/logs/correlation/" + UrlEncode(id), params));
    if (!body.ok()) return Fail("logs trace: " + body.status().message());
    const nlohmann::json lines = (*body)["data"].value("lines", nlohmann::json::array());
    if (format == "json") {
      std::printf("%s\n", lines.dump(2).c_str());
      return kExitOk;
    }
    if (lines.empty()) {
      std::printf("no lines with correlation ID %s\n", id.c_str());
      return kExitOk;
    }
    // The slowest gap: the longest time between two consecutive lines (marked on the later one).
    size_t slowest = 0;
    int64_t slowest_ms = -1;
    size_t first_error = lines.size();
    size_t service_width = 7;
    for (size_t i = 0; i < lines.size(); ++i) {
      const int64_t off = lines[i].value("offset_ms", int64_t{0});
      if (i > 0 && off - lines[i - 1].value("offset_ms", int64_t{0}) > slowest_ms) {
        slowest_ms = off - lines[i - 1].value("offset_ms", int64_t{0});
        slowest = i;
      }
      if (first_error == lines.size() && IsErrorLevel(lines[i].value("level", ""))) first_error = i;
      service_width = std::max(service_width, DisplayWidth(lines[i].value("service", "")));
    }
    const bool color = UseColor(color_mode);
    auto paint = [color](const std::string& text, const char* code) {
      return color ? std::string("\x1b[") + code + "m" + text + "\x1b[0m" : text;
    };
    std::printf("request %s: %zu lines from %s\n", id.c_str(), lines.size(), lines[0].value("ts", "").c_str());
    for (size_t i = 0; i < lines.size(); ++i) {
      const nlohmann::json& l = lines[i];
      const std::string level = l.value("level", "");
      std::string lvl = PadRight(level.empty() ? "-" : level, 5);
      if (IsErrorLevel(level)) {
        lvl = paint(lvl, "31");
      } else if (level == "warn" || level == "warning") {
        lvl = paint(lvl, "33");
      }
      std::string line = PadLeft("+" + FormatDuration(l.value("offset_ms", int64_t{0})), 10) + "  " +
                         PadRight(l.value("service", ""), service_width) + "  " + lvl + "  " +
                         MessageOf(l.value("line", ""));
      if (i == first_error) line += "  " + paint("<- first error", "1;31");
      if (i == slowest && slowest_ms > 0) line += "  " + paint("<- slowest gap: " + FormatDuration(slowest_ms), "1;33");
      std::printf("%s\n", line.c_str());
    }
    return kExitOk;
  });
}

int RunLogsPush(int argc, char** argv) {
  cxxopts::Options options("gnomon logs push",
                           "Send log lines from FILE (or - for stdin) to gnomond in batches: NDJSON (one JSON "
                           "object per line with ts, service, level, ...), or plain text lines with --service.");
  options.custom_help("[OPTIONS] FILE");
  // clang-format off
  options.add_options()
      ("service", "plain text: every line belongs to this service",
       cxxopts::value<std::string>()->default_value(""), "NAME")
      ("level", "plain text: and has this level", cxxopts::value<std::string>()->default_value(""), "LEVEL")
      ("batch", "lines per request", cxxopts::value<long>()->default_value("5000"), "N")
      ("quiet", "no progress on stderr");
  // clang-format on
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    if (args.unmatched().size() != 1) throw UsageError{"expected one FILE (or - for stdin)"};
    const std::string path = args.unmatched()[0];
    const long batch_lines = args["batch"].as<long>();
    if (batch_lines <= 0) throw UsageError{"--batch must be positive"};
    const std::string service = args["service"].as<std::string>();
    const std::string level = args["level"].as<std::string>();
    if (service.empty() && !level.empty()) throw UsageError{"--level needs --service (plain text lines)"};
    std::ifstream file;
    if (path != "-") {
      file.open(path, std::ios::binary);
      if (!file) return Fail("cannot read " + path);
    }
    std::istream& in = path == "-" ? std::cin : file;
    QueryParams params;
    if (!service.empty()) params.emplace_back("service", service);
    if (!level.empty()) params.emplace_back("level", level);
    const char* type = service.empty() ? "application/x-ndjson" : "text/plain";
    const bool progress = !args.count("quiet") && IsTerminal(2);
    auto client = MakeClient(args);
    size_t sent = 0, line_no = 0;
    std::string body, line;
    long in_batch = 0;
    auto flush = [&]() -> bool {
      if (in_batch == 0) return true;
      auto resp = client->Post("/api/v1/logs", params, body, type);
      if (!resp.ok()) {
        Fail("logs push: " + resp.status().message());
        return false;
      }
      if (resp->status / 100 != 2) {
        nlohmann::json j = nlohmann::json::parse(resp->body, nullptr, false);
        const std::string why = j.is_object() && j.contains("error") ? j["error"].get<std::string>() : resp->body;
        Fail("logs push: lines " + std::to_string(line_no - in_batch + 1) + "-" + std::to_string(line_no) + ": HTTP " +
             std::to_string(resp->status) + ": " + why);
        return false;
      }
      sent += in_batch;
      if (progress) std::fprintf(stderr, "\rpushed %zu lines", sent);
      body.clear();
      in_batch = 0;
      return true;
    };
    while (std::getline(in, line)) {
      ++line_no;
      body += line;
      body += '\n';
      if (++in_batch >= batch_lines && !flush()) return kExitFailure;
    }
    if (!flush()) return kExitFailure;
    if (progress) std::fprintf(stderr, "\n");
    std::printf("pushed %zu lines\n", sent);
    return kExitOk;
  });
}

int RunLogsQuery(int argc, char** argv) {
  cxxopts::Options options("gnomon logs query",
                           "Run a LogQL log query (GET /loki/api/v1/query_range), newest lines first: text (time, "
                           "labels, line), json (the server's answer) or raw (the lines only).");
  options.custom_help("[OPTIONS] LOGQL");
  // clang-format off
  options.add_options()
      ("since", "how far back, e.g. 1h", cxxopts::value<std::string>()->default_value("1h"), "DURATION")
      ("limit", "at most this many lines", cxxopts::value<long>()->default_value("100"), "N")
      ("format", "text, json or raw", cxxopts::value<std::string>()->default_value("text"), "FORMAT");
  // clang-format on
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    if (args.unmatched().size() != 1) throw UsageError{"expected one LogQL query"};
    const std::string format = args["format"].as<std::string>();
    CheckChoice("format", format, {"text", "json", "raw"});
    auto since = ParseDurationMs(args["since"].as<std::string>());
    if (!since.ok() || *since <= 0) throw UsageError{"--since: expected a positive duration such as 1h"};
    const long limit = args["limit"].as<long>();
    if (limit <= 0) throw UsageError{"--limit must be positive"};
    const int64_t now = NowMs();
    QueryParams params = {{"query", args.unmatched()[0]},
                          {"start", std::to_string((now - *since) * 1'000'000)},
                          {"end", std::to_string(now * 1'000'000)},
                          {"limit", std::to_string(limit)},
                          {"direction", "backward"}};
    auto client = MakeClient(args);
    auto body = JsonAnswer(client->Get("/loki/api/v1/query_range", params));
    if (!body.ok()) return Fail("logs query: " + body.status().message());
    if (format == "json") {
      std::printf("%s\n", body->dump(2).c_str());
      return kExitOk;
    }
    struct Row {
      std::string ns, labels, line;
    };
    std::vector<Row> rows;
    const nlohmann::json result = (*body)["data"].value("result", nlohmann::json::array());
    for (const nlohmann::json& stream : result) {
      std::string labels;
      const nlohmann::json stream_labels = stream.value("stream", nlohmann::json::object());
      for (auto it = stream_labels.begin(); it != stream_labels.end(); ++it) {
        labels +=
            (labels.empty() ? "" : ", ") + it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
      }
      const nlohmann::json values = stream.value("values", nlohmann::json::array());
      for (const nlohmann::json& value : values) {
        if (!value.is_array() || value.size() < 2) continue;
        rows.push_back({value[0].get<std::string>(), labels, value[1].get<std::string>()});
      }
    }
    // Newest first across streams (ns strings compare as numbers when of equal length).
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      return a.ns.size() != b.ns.size() ? a.ns.size() > b.ns.size() : a.ns > b.ns;
    });
    for (const Row& r : rows) {
      if (format == "raw") {
        std::printf("%s\n", r.line.c_str());
      } else {
        int64_t ns = 0;
        std::from_chars(r.ns.data(), r.ns.data() + r.ns.size(), ns);
        std::printf("%s {%s} %s\n", FormatRfc3339Nano(ns).c_str(), r.labels.c_str(), r.line.c_str());
      }
    }
    return kExitOk;
  });
}

}  // namespace

int RunLogs(int argc, char** argv) {
  if (int rc = RunSubcommand(argc, argv, {{"trace", RunLogsTrace}, {"push", RunLogsPush}, {"query", RunLogsQuery}});
      rc >= 0) {
    return rc;
  }
  std::fprintf(stderr,
               "usage: gnomon logs trace ID | push FILE | query LOGQL  (gnomon logs SUBCOMMAND --help for each)\n");
  return kExitUsage;
}

}  // namespace gnomon::cli
