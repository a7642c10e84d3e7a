#include "cli/commands.h"

#include <unistd.h>

#include <cstdlib>

#include "cli/command_util.h"
#include "cli/format.h"
#include "cli/push.h"
#include "cli/query_result.h"
#include "cli/time_parse.h"
#include "config/config.h"
#include "http/components.h"
#include "util/clock.h"

namespace gnomon::cli {

// ---- shared pieces --------------------------------------------------------------------------

std::string DefaultServer() {
  const char* env = std::getenv("GNOMON_URL");
  return env != nullptr && *env != '\0' ? env : "http://127.0.0.1:9201";
}

void AddServerOptions(cxxopts::Options* options) {
  const char* token = std::getenv("GNOMON_TOKEN");
  options->add_options("Server")
      ("server", "gnomond's URL (default $GNOMON_URL, else http://127.0.0.1:9201)",
       cxxopts::value<std::string>()->default_value(DefaultServer()), "URL")
      ("token", "bearer token for gnomond's auth (default $GNOMON_TOKEN)",
       cxxopts::value<std::string>()->default_value(token != nullptr ? token : ""), "TOKEN")
      ("timeout", "give up on a request after this many seconds; 0 waits forever",
       cxxopts::value<long>()->default_value("0"), "SECONDS");
}

void AddHelpOption(cxxopts::Options* options) { options->add_options()("h,help", "print this help and exit"); }

std::unique_ptr<HttpClient> MakeClient(const cxxopts::ParseResult& args) {
  auto client = std::make_unique<HttpClient>(args["server"].as<std::string>(), args["token"].as<std::string>());
  long timeout = args["timeout"].as<long>();
  if (timeout < 0) throw UsageError{"--timeout must not be negative"};
  client->set_timeout_seconds(timeout);
  return client;
}

std::vector<std::string> AllValues(const cxxopts::ParseResult& args, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& kv : args.arguments()) {
    if (kv.key() == name) out.push_back(kv.value());
  }
  return out;
}

void AddSinceUntilParams(const cxxopts::ParseResult& args, int64_t now_ms, QueryParams* params) {
  for (const char* flag : {"since", "until"}) {
    const std::string text = args[flag].as<std::string>();
    if (text.empty()) continue;
    auto t = ParseTime(text, now_ms);
    if (!t.ok()) throw UsageError{std::string("--") + flag + ": " + t.status().message()};
    params->emplace_back(std::string(flag) == "since" ? "start" : "end", FormatUnixSeconds(*t));
  }
}

int RunSubcommand(int argc, char** argv, std::initializer_list<Subcommand> subcommands) {
  for (int i = 1; i < argc;) {
    const std::string_view a = argv[i];
    for (const Subcommand& sub : subcommands) {
      if (a != sub.name) continue;
      std::vector<char*> rest(argv, argv + argc);
      rest.erase(rest.begin() + i);
      return sub.run(static_cast<int>(rest.size()), rest.data());
    }
    if (a == "--server" || a == "--token" || a == "--timeout") {
      i += 2;
    } else if (a.starts_with("--server=") || a.starts_with("--token=") || a.starts_with("--timeout=")) {
      ++i;
    } else {
      break;
    }
  }
  return -1;
}

int RunCommand(cxxopts::Options& options, int argc, char** argv,
               const std::function<int(const cxxopts::ParseResult&)>& body) {
  const std::string program = options.program();
  try {
    auto args = options.parse(argc, argv);
    if (args.count("help")) {
      std::printf("%s", options.help().c_str());
      return kExitOk;
    }
    return body(args);
  } catch (const cxxopts::exceptions::exception& e) {
    std::fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", program.c_str(), e.what(), program.c_str());
    return kExitUsage;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", program.c_str(), e.message.c_str(), program.c_str());
    return kExitUsage;
  }
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "gnomon: %s\n", message.c_str());
  return kExitFailure;
}

void CheckChoice(const std::string& flag, const std::string& value, const std::vector<std::string>& allowed) {
  for (const auto& a : allowed) {
    if (a == value) return;
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw UsageError{"invalid --" + flag + " \"" + value + "\": expected one of " + list};
}

int64_t TimeFlag(const cxxopts::ParseResult& args, const std::string& name, int64_t now_ms) {
  auto t = ParseTime(args[name].as<std::string>(), now_ms);
  if (!t.ok()) throw UsageError{"--" + name + ": " + t.status().message()};
  return *t;
}

namespace {

// Adds start/end params from --start/--end if given.
void AddRangeParams(const cxxopts::ParseResult& args, QueryParams* params) {
  int64_t now = NowMs();
  for (const char* name : {"start", "end"}) {
    if (args.count(name)) params->emplace_back(name, FormatUnixSeconds(TimeFlag(args, name, now)));
  }
}

void AddRangeOptions(cxxopts::Options* options) {
  options->add_options()
      ("start", "only series with samples at or after this time (now, -1h, unix seconds, RFC 3339)",
       cxxopts::value<std::string>(), "TIME")
      ("end", "only series with samples at or before this time", cxxopts::value<std::string>(), "TIME");
}

// Prints a list of strings (label names or values) in the chosen format.
void PrintList(const std::vector<std::string>& items, const std::string& format, const std::string& column) {
  if (format == "json") {
    std::printf("%s", RenderJson(nlohmann::ordered_json(items), false).c_str());
  } else if (format == "csv") {
    Table t;
    t.header = {column};
    for (const auto& i : items) t.rows.push_back({i});
    std::printf("%s", RenderCsv(t).c_str());
  } else {
    for (const auto& i : items) std::printf("%s\n", i.c_str());
  }
}

}  // namespace

// ---- push -----------------------------------------------------------------------------------

int RunPushCommand(int argc, char** argv) {
  cxxopts::Options options("gnomon push", "Send samples to gnomond in batches: InfluxDB line protocol (POST /write) "
                                          "or VictoriaMetrics JSON lines (POST /api/v1/import).");
  options.custom_help("[OPTIONS]").positional_help("[FILE|-]");
  options.add_options()
      ("format", "input format: lp (line protocol) or jsonl", cxxopts::value<std::string>()->default_value("lp"), "FORMAT")
      ("precision", "line protocol timestamp unit: ns (default), us, ms or s", cxxopts::value<std::string>(), "UNIT")
      ("batch-bytes", "request body size, cut at line boundaries (e.g. 4MiB, 65536)",
       cxxopts::value<std::string>()->default_value("4MiB"), "SIZE")
      ("no-progress", "no progress bar, even on a terminal");
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    PushOptions opt;
    const auto& rest = args.unmatched();
    if (rest.size() > 1) throw UsageError{"expected at most one FILE, got " + std::to_string(rest.size())};
    if (!rest.empty()) opt.path = rest[0];
    std::string format = args["format"].as<std::string>();
    if (format == "line" || format == "influx") format = "lp";
    if (format == "json") format = "jsonl";
    CheckChoice("format", format, {"lp", "jsonl"});
    opt.jsonl = format == "jsonl";
    if (args.count("precision")) {
      opt.precision = args["precision"].as<std::string>();
      if (opt.jsonl) throw UsageError{"--precision applies to line protocol only"};
      CheckChoice("precision", opt.precision, {"ns", "us", "ms", "s"});
    }
    auto size = config::ParseByteSize(args["batch-bytes"].as<std::string>());
    if (!size.ok() || *size == 0) throw UsageError{"invalid --batch-bytes \"" + args["batch-bytes"].as<std::string>() + "\""};
    opt.batch_bytes = static_cast<size_t>(*size);
    opt.progress = !args.count("no-progress");
    auto client = MakeClient(args);
    return RunPush(client.get(), opt);
  });
}

// ---- series ---------------------------------------------------------------------------------

int RunSeries(int argc, char** argv) {
  cxxopts::Options options("gnomon series", "List the series that match one or more series selectors "
                                            "(GET /api/v1/series), e.g. gnomon series 'up{job=\"node\"}'.");
  options.custom_help("[OPTIONS]").positional_help("MATCHER...");
  AddRangeOptions(&options);
  options.add_options()
      ("format", "table, json or csv", cxxopts::value<std::string>()->default_value("table"), "FORMAT")
      ("compact", "json on one line");
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    const auto& matchers = args.unmatched();
    if (matchers.empty()) throw UsageError{"at least one MATCHER is required"};
    std::string format = args["format"].as<std::string>();
    CheckChoice("format", format, {"table", "json", "csv"});
    QueryParams params;
    for (const auto& m : matchers) params.emplace_back("match[]", m);
    AddRangeParams(args, &params);
    auto client = MakeClient(args);
    auto resp = client->Get("/api/v1/series", params);
    if (!resp.ok()) return Fail(resp.status().message());
    auto result = ParseQueryResponse(resp->body, resp->status);
    if (!result.ok()) return Fail(result.status().message());
    for (const auto& w : result->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    if (format == "json") {
      std::printf("%s", RenderJson(result->data, args.count("compact") > 0).c_str());
    } else if (format == "csv") {
      std::printf("%s", RenderCsv(ToTable(*result, false)).c_str());
    } else if (result->series.empty()) {
      std::fprintf(stderr, "no series\n");
    } else {
      std::printf("%s", RenderTable(ToTable(*result, true)).c_str());
    }
    return kExitOk;
  });
}

// ---- labels ---------------------------------------------------------------------------------

int RunLabels(int argc, char** argv) {
  cxxopts::Options options("gnomon labels", "Without NAME, list label names (GET /api/v1/labels); with NAME, list "
                                            "that label's values (GET /api/v1/label/NAME/values).");
  options.custom_help("[OPTIONS]").positional_help("[NAME]");
  AddRangeOptions(&options);
  options.add_options()
      ("match", "only labels of series matching this selector (repeatable)", cxxopts::value<std::string>(), "MATCHER")
      ("format", "table (one per line), json or csv", cxxopts::value<std::string>()->default_value("table"), "FORMAT");
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    const auto& rest = args.unmatched();
    if (rest.size() > 1) throw UsageError{"expected at most one label NAME"};
    std::string format = args["format"].as<std::string>();
    CheckChoice("format", format, {"table", "json", "csv"});
    QueryParams params;
    for (const auto& m : AllValues(args, "match")) params.emplace_back("match[]", m);
    AddRangeParams(args, &params);
    std::string path = rest.empty() ? "/api/v1/labels" : "/api/v1/label/" + UrlEncode(rest[0]) + "/values";
    auto client = MakeClient(args);
    auto resp = client->Get(path, params);
    if (!resp.ok()) return Fail(resp.status().message());
    auto list = ParseStringListResponse(resp->body, resp->status);
    if (!list.ok()) return Fail(list.status().message());
    PrintList(*list, format, rest.empty() ? "name" : "value");
    return kExitOk;
  });
}

// ---- health ---------------------------------------------------------------------------------

int RunHealth(int argc, char** argv) {
  cxxopts::Options options("gnomon health", "Check that gnomond is up (GET /health): prints its answer and exits 0, "
                                            "or exits 1.");
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    if (!args.unmatched().empty()) throw UsageError{"unexpected argument \"" + args.unmatched()[0] + "\""};
    auto client = MakeClient(args);
    auto resp = client->Get("/health");
    if (!resp.ok()) return Fail(resp.status().message());
    if (resp->status != 200) return Fail("gnomond at " + client->base_url() + " is unhealthy: " + ErrorMessage(resp->body, resp->status));
    std::string body = resp->body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    std::printf("%s: %s\n", client->base_url().c_str(), body.empty() ? "OK" : body.c_str());
    return kExitOk;
  });
}

// ---- export ---------------------------------------------------------------------------------

int RunExport(int argc, char** argv) {
  cxxopts::Options options("gnomon export", "Write the samples of the series matching the selectors as JSON lines "
                                            "(GET /api/v1/export); 'gnomon push --format jsonl' reads them back.");
  options.custom_help("[OPTIONS]").positional_help("MATCHER...");
  options.add_options()
      ("start", "first sample time (now, -1h, unix seconds, RFC 3339; default: the oldest)", cxxopts::value<std::string>(), "TIME")
      ("end", "last sample time (default now)", cxxopts::value<std::string>(), "TIME");
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    const auto& matchers = args.unmatched();
    if (matchers.empty()) throw UsageError{"at least one MATCHER is required"};
    QueryParams params;
    for (const auto& m : matchers) params.emplace_back("match[]", m);
    AddRangeParams(args, &params);
    auto client = MakeClient(args);
    auto resp = client->GetStreaming("/api/v1/export", params, [](std::string_view piece) {
      return std::fwrite(piece.data(), 1, piece.size(), stdout) == piece.size();
    });
    if (!resp.ok()) return Fail(resp.status().message());
    if (resp->status < 200 || resp->status >= 300) return Fail("export failed: " + ErrorMessage(resp->body, resp->status));
    return std::fflush(stdout) == 0 ? kExitOk : Fail("cannot write the output");
  });
}

// ---- check ----------------------------------------------------------------------------------

int RunCheck(int argc, char** argv) {
  cxxopts::Options options("gnomon check", "Validate files offline. 'gnomon check config FILE' checks a gnomond "
                                           "config file and prints every error as FILE:LINE:COL: message; "
                                           "'gnomon check rules FILE...' checks Prometheus rule files as "
                                           "'promtool check rules' does.");
  options.custom_help("[OPTIONS]").positional_help("config FILE | rules FILE...");
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    const auto& rest = args.unmatched();
    if (rest.empty()) throw UsageError{"what to check? expected 'config FILE' or 'rules FILE...'"};
    if (rest[0] == "rules") {
      if (rest.size() < 2) throw UsageError{"expected at least one FILE after 'rules'"};
      return CheckRuleFiles(std::vector<std::string>(rest.begin() + 1, rest.end()));
    }
    if (rest[0] != "config") throw UsageError{"unknown check \"" + rest[0] + "\": expected 'config FILE' or 'rules FILE...'"};
    if (rest.size() != 2) throw UsageError{"expected exactly one FILE after 'config'"};
    auto cfg = config::LoadConfigFile(rest[1], http::ComponentSchema());
    if (!cfg.ok()) {
      std::fprintf(stderr, "%s\n", cfg.status().message().c_str());
      return kExitFailure;
    }
    std::printf("%s: OK\n", rest[1].c_str());
    return kExitOk;
  });
}

}  // namespace gnomon::cli
