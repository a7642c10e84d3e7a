// The gnomon subcommands. Each takes its own argv (argv[0] is the subcommand's name), parses its
// flags with cxxopts and returns the process exit code:
//   0  success
//   1  the server or the query failed, or the data was rejected (message on stderr)
//   2  usage error: bad flags or arguments (message and a hint on stderr)
// Every subcommand takes --help, and --server URL (default $GNOMON_URL, else
// http://127.0.0.1:9201) and --token TOKEN (default $GNOMON_TOKEN) where it talks to gnomond.
#pragma once

#include <string>
#include <vector>

namespace gnomon::cli {

int RunQuery(int argc, char** argv);
int RunPushCommand(int argc, char** argv);
int RunSeries(int argc, char** argv);
int RunLabels(int argc, char** argv);
int RunHealth(int argc, char** argv);
int RunExport(int argc, char** argv);
int RunCheck(int argc, char** argv);
int RunTest(int argc, char** argv);
int RunAlerts(int argc, char** argv);
int RunTargets(int argc, char** argv);
int RunStatus(int argc, char** argv);
int RunLogs(int argc, char** argv);

// `check rules`: checks each rule file, prints promtool's report; 0 if all are valid, else 1.
int CheckRuleFiles(const std::vector<std::string>& files);

// The server address when no --server flag is given: $GNOMON_URL, else the local default.
std::string DefaultServer();

}  // namespace gnomon::cli
