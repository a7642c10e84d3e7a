// gnomon: the command-line client of gnomond. `gnomon help` lists the subcommands; the work is in
// src/cli (one Run* function per subcommand, see cli/commands.h).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"query", gnomon::cli::RunQuery, "evaluate PromQL (instant or range) as a table, JSON, CSV or chart"},
    {"push", gnomon::cli::RunPushCommand, "send line protocol or JSON lines from a file or stdin"},
    {"series", gnomon::cli::RunSeries, "list series matching selectors"},
    {"labels", gnomon::cli::RunLabels, "list label names, or the values of one label"},
    {"export", gnomon::cli::RunExport, "write matching series' samples as JSON lines"},
    {"health", gnomon::cli::RunHealth, "check that gnomond is up"},
    {"check", gnomon::cli::RunCheck, "validate files: check config FILE, check rules FILE..."},
    {"alerts", gnomon::cli::RunAlerts, "list the server's pending and firing alerts"},
    {"targets", gnomon::cli::RunTargets, "the scrape targets: health, last scrape, last error"},
    {"status", gnomon::cli::RunStatus, "series cardinality: the top metric names and labels by series"},
    {"logs", gnomon::cli::RunLogs, "log lines: trace ID (one request's timeline), push FILE, query LOGQL"},
    {"test", gnomon::cli::RunTest, "run rule unit tests in promtool's format: test rules FILE..."},
};

void Usage(FILE* out) {
  std::fprintf(out,
               "gnomon: the Gnomon command line\n\n"
               "Usage: gnomon [--server URL] [--token TOKEN] COMMAND [OPTIONS] [ARGS]\n\nCommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
  std::fprintf(out,
               "\n'gnomon COMMAND --help' describes a command. The server is --server, else $GNOMON_URL, else\n"
               "http://127.0.0.1:9201; the bearer token --token, else $GNOMON_TOKEN.\n"
               "Exit codes: 0 success, 1 query or server error, 2 usage error.\n");
}

}  // namespace

int main(int argc, char** argv) {
  // --server/--token before the command are passed on after it.
  std::vector<char*> globals;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      Usage(stdout);
      return 0;
    }
    if (a == "--version") {
      std::printf("gnomon %s\n", GNOMON_VERSION);
      return 0;
    }
    bool takes_value = a == "--server" || a == "--token" || a == "--timeout";
    if (takes_value && i + 1 < argc) {
      globals.push_back(argv[i]);
      globals.push_back(argv[++i]);
    } else if (a.rfind("--server=", 0) == 0 || a.rfind("--token=", 0) == 0 || a.rfind("--timeout=", 0) == 0) {
      globals.push_back(argv[i]);
    } else {
      std::fprintf(stderr, "gnomon: unknown option %s before the command\n\n", argv[i]);
      Usage(stderr);
      return 2;
    }
  }
  if (i == argc) {
    Usage(stderr);
    return 2;
  }
  const std::string name = argv[i];
  if (name == "help") {
    Usage(stdout);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (name != c.name) continue;
    std::vector<char*> sub(argv + i, argv + argc);
    sub.insert(sub.begin() + 1, globals.begin(), globals.end());
    return c.run(static_cast<int>(sub.size()), sub.data());
  }
  std::fprintf(stderr, "gnomon: unknown command \"%s\"\n\n", name.c_str());
  Usage(stderr);
  return 2;
}
