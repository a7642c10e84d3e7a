// gnomon-ship: the collector sidecar (issue 13; src/ship/shipper.h). Tails the files its globs
// match and ships their lines to gnomond exactly once, moving each file's offset only after
// gnomond acknowledged the lines. Settings from `--config FILE` ([ship], ship/ship_config.h) and
// flags, which win. Logs in logfmt on stderr, with a status line every status_interval; serves
// /metrics and /health on --listen when given. SIGINT/SIGTERM stop it after the batch in flight.
#include <csignal>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <cxxopts.hpp>

#include "http/server/http_server.h"
#include "index/labels_util.h"
#include "ship/ship_metrics.h"
#include "ship/shipper.h"
#include "util/clock.h"
#include "util/log.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

// Sleeps up to `ms`, waking early when a signal asks to stop.
void Nap(int64_t ms) {
  for (int64_t slept = 0; slept < ms && g_stop == 0; slept += 20) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(20, ms - slept)));
  }
}

// Flags that set a [ship] key of the same name (dashes for underscores), checked as the file's.
constexpr const char* kKeyFlags[][2] = {
    {"server", "gnomond's URL"},
    {"state-dir", "where the offsets are kept (created if missing)"},
    {"token", "bearer token for gnomond"},
    {"host", "the host label (default: this machine's name)"},
    {"listen", "host:port to serve /metrics and /health on (default: none)"},
    {"batch-size", "line bytes per push (1MiB)"},
    {"batch-wait", "how long a smaller batch waits for more lines (1s)"},
    {"multiline-firstline", "RE2 pattern of a line that starts an entry (default: every line is one)"},
    {"multiline-max-wait-time", "a last entry is sent after this long without new lines (3s)"},
    {"multiline-max-lines", "an entry is cut after this many lines (128)"},
    {"max-line-bytes", "a longer line is sent in pieces of this size (256KiB)"},
    {"rotate-wait", "a renamed file is read on until unwritten this long (5s)"},
    {"compression", "gzip, none, or auto: gzip unless gnomond is on loopback (auto)"},
    {"timeout", "per push (30s)"},
    {"min-backoff", "first wait after a failed push (500ms)"},
    {"max-backoff", "the longest wait between retries (30s)"},
    {"breaker-failures", "failed pushes within breaker-window that open the circuit breaker (5)"},
    {"breaker-window", "(1m)"},
    {"breaker-cooldown", "how long the open breaker waits before a probe (30s)"},
    {"catch-up-rate", "bytes/s while the backlog is sent after gnomond recovered; 0 = no bound (16MiB)"},
    {"poll-interval", "how often files are looked at when there is nothing to send (200ms)"},
    {"status-interval", "a status line in the log this often (1m)"},
};

}  // namespace

int main(int argc, char** argv) {
  cxxopts::Options cli("gnomon-ship", "Ship log files to gnomond, every line exactly once.");
  // clang-format off
  cli.add_options()
    ("config", "a TOML file with a [ship] section; flags win over it", cxxopts::value<std::string>())
    ("path", "files to tail (a glob; repeatable; replaces the file's paths)", cxxopts::value<std::vector<std::string>>())
    ("label", "a label NAME=VALUE added to every line (repeatable)", cxxopts::value<std::vector<std::string>>())
    ("log-level", "debug, info, warn or error", cxxopts::value<std::string>()->default_value("info"))
    ("version", "print the version")
    ("h,help", "this help");
  // clang-format on
  for (const auto& [flag, help] : kKeyFlags) cli.add_options()(flag, help, cxxopts::value<std::string>());
  cxxopts::ParseResult args;
  try {
    args = cli.parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gnomon-ship: %s\n", e.what());
    return 2;
  }
  if (args.count("help") > 0) {
    std::printf("%s", cli.help().c_str());
    return 0;
  }
  if (args.count("version") > 0) {
    std::printf("gnomon-ship %s\n", GNOMON_VERSION);
    return 0;
  }
  const std::string level = args["log-level"].as<std::string>();
  if (level == "debug") {
    gnomon::log::SetLevel(gnomon::log::Level::kDebug);
  } else if (level == "warn") {
    gnomon::log::SetLevel(gnomon::log::Level::kWarn);
  } else if (level == "error") {
    gnomon::log::SetLevel(gnomon::log::Level::kError);
  } else if (level != "info") {
    std::fprintf(stderr, "gnomon-ship: --log-level %s: expected debug, info, warn or error\n", level.c_str());
    return 2;
  }
  std::vector<std::pair<std::string, std::string>> flags;
  for (const auto& [flag, help] : kKeyFlags) {
    if (args.count(flag) == 0) continue;
    std::string key = flag;
    std::replace(key.begin(), key.end(), '-', '_');
    flags.emplace_back(key, args[flag].as<std::string>());
  }
  auto config = gnomon::ship::LoadShipConfig(args.count("config") > 0 ? args["config"].as<std::string>() : "", flags);
  if (!config.ok()) {
    std::fprintf(stderr, "gnomon-ship: %s\n", config.status().message().c_str());
    return 2;
  }
  if (args.count("path") > 0) config->paths = args["path"].as<std::vector<std::string>>();
  if (args.count("label") > 0) {
    for (const std::string& kv : args["label"].as<std::vector<std::string>>()) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || !gnomon::index::IsValidLabelName(kv.substr(0, eq))) {
        std::fprintf(stderr, "gnomon-ship: --label %s: expected NAME=VALUE with a valid label name\n", kv.c_str());
        return 2;
      }
      config->labels[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  auto shipper = gnomon::ship::Shipper::Open(std::move(*config));
  if (!shipper.ok()) {
    std::fprintf(stderr, "gnomon-ship: %s\n", shipper.status().message().c_str());
    return 2;
  }
  gnomon::ship::Shipper& ship = **shipper;
  const gnomon::ship::ShipConfig& c = ship.config();

  gnomon::http::Router router;
  std::unique_ptr<gnomon::http::HttpServer> server;
  if (!c.listen.empty()) {
    router.Handle({"GET"}, "/metrics", gnomon::http::Access::kPublic,
                  [&ship](const gnomon::http::Request&, gnomon::http::Response& resp) {
                    resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
                    resp.body = gnomon::ship::RenderMetrics(ship.Snapshot());
                  });
    router.Handle({"GET"}, "/health", gnomon::http::Access::kPublic,
                  [](const gnomon::http::Request&, gnomon::http::Response& resp) { resp.body = "OK\n"; });
    gnomon::http::ServerOptions options;
    options.listen = c.listen;
    options.worker_threads = 1;
    options.max_connections = 64;
    auto started = gnomon::http::HttpServer::Start(options, &router);
    if (!started.ok()) {
      std::fprintf(stderr, "gnomon-ship: --listen %s: %s\n", c.listen.c_str(), started.status().message().c_str());
      return 2;
    }
    server = std::move(*started);
    gnomon::log::Info("ship: serving /metrics on " + server->address());
  }

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::mt19937_64 rng(std::random_device{}());
  int64_t backoff_ms = 0;
  int64_t next_status_ms = gnomon::SteadyMs() + c.status_interval_ms;
  gnomon::log::Info("ship: started server=" + c.server + " state_dir=" + c.state_dir);
  while (g_stop == 0) {
    auto sent = ship.Poll();
    if (gnomon::SteadyMs() >= next_status_ms) {
      gnomon::log::Info("ship: status " + gnomon::ship::StatusLine(ship.Snapshot()));
      next_status_ms = gnomon::SteadyMs() + c.status_interval_ms;
    }
    if (!sent.ok()) {
      // Exponential backoff with full jitter, capped: a failing gnomond is not hammered.
      backoff_ms = backoff_ms == 0 ? c.min_backoff_ms : std::min(c.max_backoff_ms, backoff_ms * 2);
      gnomon::log::Warn("ship: " + sent.status().message() + "; retrying within " + std::to_string(backoff_ms) + " ms");
      Nap(std::uniform_int_distribution<int64_t>(backoff_ms / 2, backoff_ms)(rng));
      continue;
    }
    backoff_ms = 0;
    if (!*sent) Nap(c.poll_interval_ms);
  }
  if (server != nullptr) server->Stop();
  gnomon::log::Info("ship: stopped " + gnomon::ship::StatusLine(ship.Snapshot()));
  return 0;
}
