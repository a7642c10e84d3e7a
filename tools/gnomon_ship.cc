// gnomon-ship: the collector sidecar (issue 13; src/ship/shipper.h). Tails the files its globs
// match and ships their lines to gnomond exactly once, moving each file's offset only after
// gnomond acknowledged the lines. Logs in logfmt on stderr; SIGINT/SIGTERM stop it after the
// batch in flight.
#include <csignal>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <cxxopts.hpp>

#include "ship/shipper.h"
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

}  // namespace

int main(int argc, char** argv) {
  cxxopts::Options cli("gnomon-ship", "Ship log files to gnomond, every line exactly once.");
  // clang-format off
  cli.add_options()
    ("server", "gnomond's URL", cxxopts::value<std::string>())
    ("path", "files to tail (a glob; repeatable)", cxxopts::value<std::vector<std::string>>())
    ("label", "a label k=v added to every line (repeatable)", cxxopts::value<std::vector<std::string>>())
    ("state-dir", "where the offsets are kept (created if missing)", cxxopts::value<std::string>())
    ("token", "bearer token for gnomond", cxxopts::value<std::string>()->default_value(""))
    ("batch-bytes", "the most line bytes per push", cxxopts::value<size_t>()->default_value("1048576"))
    ("poll", "how often files are looked at, ms", cxxopts::value<int64_t>()->default_value("200"))
    ("max-backoff", "the longest wait between retries when gnomond fails, ms", cxxopts::value<int64_t>()->default_value("30000"))
    ("version", "print the version")
    ("h,help", "this help");
  // clang-format on
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
  gnomon::ship::ShipperOptions options;
  if (args.count("server") > 0) options.server = args["server"].as<std::string>();
  if (args.count("path") > 0) options.paths = args["path"].as<std::vector<std::string>>();
  if (args.count("state-dir") > 0) options.state_dir = args["state-dir"].as<std::string>();
  options.token = args["token"].as<std::string>();
  options.batch_bytes = args["batch-bytes"].as<size_t>();
  if (args.count("label") > 0) {
    for (const std::string& kv : args["label"].as<std::vector<std::string>>()) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::fprintf(stderr, "gnomon-ship: --label %s: expected NAME=VALUE\n", kv.c_str());
        return 2;
      }
      options.labels.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  auto shipper = gnomon::ship::Shipper::Open(std::move(options));
  if (!shipper.ok()) {
    std::fprintf(stderr, "gnomon-ship: %s\n", shipper.status().message().c_str());
    return 2;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const int64_t poll_ms = args["poll"].as<int64_t>(), max_backoff_ms = args["max-backoff"].as<int64_t>();
  std::mt19937_64 rng(std::random_device{}());
  int64_t backoff_ms = 0;
  gnomon::log::Info("ship: started");
  while (g_stop == 0) {
    auto sent = (*shipper)->Poll();
    if (!sent.ok()) {
      // Exponential backoff with full jitter, capped: a failing gnomond is not hammered.
      backoff_ms = std::min(max_backoff_ms, std::max<int64_t>(100, backoff_ms * 2));
      gnomon::log::Warn("ship: " + sent.status().message() + "; retrying within " + std::to_string(backoff_ms) + " ms");
      Nap(std::uniform_int_distribution<int64_t>(backoff_ms / 2, backoff_ms)(rng));
      continue;
    }
    backoff_ms = 0;
    if (!*sent) Nap(poll_ms);
  }
  const auto& c = (*shipper)->counters();
  gnomon::log::Info("ship: stopped lines_shipped=" + std::to_string(c.lines_shipped) +
                    " batches=" + std::to_string(c.batches_sent) + " skipped=" + std::to_string(c.batches_skipped) +
                    " duplicates=" + std::to_string(c.duplicates));
  return 0;
}
