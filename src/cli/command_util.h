// Pieces the subcommands share: common flags, usage errors, the client. Internal to src/cli.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <cxxopts.hpp>

#include "http/client/http_client.h"
#include "gnomon/status.h"

namespace gnomon::cli {

// The CLI's HTTP client is the project's (src/http/client).
using http::HttpClient;
using http::HttpResponse;
using http::QueryParams;
using http::UrlEncode;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Thrown inside a subcommand for a usage error; caught by RunCommand.
struct UsageError {
  std::string message;
};

// Adds --server, --token and --timeout.
void AddServerOptions(cxxopts::Options* options);
// Adds -h/--help.
void AddHelpOption(cxxopts::Options* options);

// The client for the parsed --server / --token / --timeout.
std::unique_ptr<HttpClient> MakeClient(const cxxopts::ParseResult& args);

// Every value given for a flag that may repeat, in order (cxxopts' vectors split at commas, which
// matchers contain).
std::vector<std::string> AllValues(const cxxopts::ParseResult& args, const std::string& name);

// Parses argv with `options`, prints help and returns 0 for --help, calls `body` otherwise; turns
// cxxopts exceptions and UsageError into exit code 2 with a message on stderr.
int RunCommand(cxxopts::Options& options, int argc, char** argv, const std::function<int(const cxxopts::ParseResult&)>& body);

// Prints "gnomon: MESSAGE" on stderr and returns kExitFailure.
int Fail(const std::string& message);

// Checks a --format value against `allowed`; throws UsageError otherwise.
void CheckChoice(const std::string& flag, const std::string& value, const std::vector<std::string>& allowed);

// --start/--end values as unix milliseconds; throws UsageError when malformed.
int64_t TimeFlag(const cxxopts::ParseResult& args, const std::string& name, int64_t now_ms);

// --since/--until (when given) as the API's start/end parameters in unix seconds; throws
// UsageError naming the flag when one is malformed.
void AddSinceUntilParams(const cxxopts::ParseResult& args, int64_t now_ms, QueryParams* params);

// A command with subcommands (`gnomon alerts history`): finds the first argument after the
// global options (--server, --token, --timeout, which gnomon puts first) and, if `subcommands`
// names it, runs that one without it; otherwise returns -1 (the caller runs its own default).
struct Subcommand {
  std::string_view name;
  int (*run)(int argc, char** argv);
};
int RunSubcommand(int argc, char** argv, std::initializer_list<Subcommand> subcommands);

}  // namespace gnomon::cli
