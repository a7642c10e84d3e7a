// gnomond: the Gnomon server. Reads a TOML config (config.example.toml documents every key),
// applies command-line overrides, opens the engine and serves the HTTP API until SIGTERM/SIGINT,
// then stops accepting, finishes in-flight requests, flushes and exits 0.
#include <signal.h>

#include <cxxopts.hpp>
#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "config/config.h"
#include "gnomon/db.h"
#include "http/api/api.h"
#include "http/api/query_api.h"
#include "http/api/rules_api.h"
#include "http/api/self_metrics.h"
#include "http/server/http_server.h"
#include "util/log.h"

using namespace gnomon;

namespace {

log::Level ToLogLevel(config::LogLevel l) {
  switch (l) {
    case config::LogLevel::kDebug: return log::Level::kDebug;
    case config::LogLevel::kInfo: return log::Level::kInfo;
    case config::LogLevel::kWarn: return log::Level::kWarn;
    case config::LogLevel::kError: return log::Level::kError;
  }
  return log::Level::kInfo;
}

int Run(int argc, char** argv) {
  cxxopts::Options cli("gnomond", "Gnomon time-series database server");
  cli.add_options()
      ("config", "TOML config file (see config.example.toml)", cxxopts::value<std::string>())
      ("listen", "address to listen on, host:port (default 127.0.0.1:9201)", cxxopts::value<std::string>())
      ("data-dir", "data directory (default ./gnomon-data)", cxxopts::value<std::string>())
      ("retention", "keep data this long, e.g. 15d; 0 keeps it forever (default)", cxxopts::value<std::string>())
      ("auth-token", "require 'Authorization: Bearer TOKEN' (except on health endpoints)", cxxopts::value<std::string>())
      ("log-level", "debug, info, warn or error", cxxopts::value<std::string>())
      ("version", "print the version and exit")
      ("h,help", "print this help and exit");
  cxxopts::ParseResult args;
  try {
    args = cli.parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gnomond: %s\n%s", e.what(), cli.help().c_str());
    return 2;
  }
  if (args.count("help")) {
    std::printf("%s", cli.help().c_str());
    return 0;
  }
  if (args.count("version")) {
    std::printf("gnomond %s\n", GNOMON_VERSION);
    return 0;
  }
  if (!args.unmatched().empty()) {
    std::fprintf(stderr, "gnomond: unexpected argument \"%s\"\n", args.unmatched().front().c_str());
    return 2;
  }

  config::Config cfg;
  if (args.count("config")) {
    auto loaded = config::LoadConfigFile(args["config"].as<std::string>());
    if (!loaded.ok()) {
      std::fprintf(stderr, "gnomond: %s\n", loaded.status().message().c_str());
      return 2;
    }
    cfg = std::move(*loaded);
  }
  const std::pair<const char*, const char*> overrides[] = {
      {"listen", "server.listen"},         {"data-dir", "server.data_dir"},   {"retention", "storage.retention"},
      {"auth-token", "server.auth_token"}, {"log-level", "server.log_level"},
  };
  for (auto [flag, key] : overrides) {
    if (!args.count(flag)) continue;
    Status s = config::ApplyOverride(&cfg, key, args[flag].as<std::string>());
    if (!s.ok()) {
      std::fprintf(stderr, "gnomond: --%s: %s\n", flag, s.message().c_str());
      return 2;
    }
  }
  log::SetLevel(ToLogLevel(cfg.server.log_level));

  // Signals are taken synchronously by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<DB> db;
  Status s = DB::Open(cfg.ToOptions(), cfg.server.data_dir, &db);
  if (!s.ok()) {
    log::Error("cannot open data directory " + cfg.server.data_dir + ": " + s.ToString());
    return 1;
  }
  Stats st = db->GetStats();
  log::Info(fmt::format("opened {} with {} series, {} samples recovered from the write-ahead log",
                        cfg.server.data_dir, st.num_series, st.samples_written));

  api::SelfMetrics metrics;
  api::ApiOptions api_options;
  api_options.max_inflight_ingest_bytes = cfg.server.max_inflight_ingest_bytes;
  api_options.max_decompressed_bytes = cfg.server.max_body_bytes;
  api_options.max_export_series = cfg.limits.max_query_series ? cfg.limits.max_query_series : SIZE_MAX;
  api_options.limits = cfg.ToOptions().limits;
  api::Api api(db.get(), &metrics, api_options);
  api::QueryApiOptions query_options;
  query_options.query.max_samples = cfg.limits.max_query_samples;
  query_options.query.max_series = cfg.limits.max_query_series;
  query_options.query.timeout_ms = cfg.limits.query_timeout_ms;
  query_options.query.parallelism = static_cast<unsigned>(cfg.limits.query_threads);
  api::QueryApi query_api(db.get(), query_options);

  std::unique_ptr<alert::RuleManager> rules;
  if (!cfg.alerting.rule_files.empty()) {
    alert::RuleManagerOptions rule_options;
    rule_options.rule_files = cfg.alerting.rule_files;
    rule_options.evaluation_interval_ms = cfg.alerting.evaluation_interval_ms;
    rule_options.external_labels = cfg.alerting.external_labels;
    rule_options.external_url = cfg.alerting.external_url;
    rule_options.query_options = query_options.query;
    rule_options.event_log_path = cfg.server.data_dir + "/alert_events.jsonl";
    auto created = alert::RuleManager::Create(db.get(), rule_options);
    if (!created.ok()) {
      log::Error("cannot load rule files: " + created.status().message());
      return 1;
    }
    rules = std::move(created.value());
    log::Info(fmt::format("loaded {} rules from {} rule file patterns", rules->num_rules(), cfg.alerting.rule_files.size()));
  }
  api::RulesApi rules_api(rules.get());

  http::Router router;
  api.Register(&router);
  query_api.Register(&router);
  rules_api.Register(&router);

  http::ServerOptions server_options;
  server_options.listen = cfg.server.listen;
  server_options.worker_threads = static_cast<int>(cfg.server.worker_threads);
  server_options.max_connections = cfg.server.max_connections;
  server_options.max_header_bytes = cfg.server.max_header_bytes;
  server_options.max_body_bytes = cfg.server.max_body_bytes;
  server_options.read_timeout_ms = cfg.server.read_timeout_ms;
  server_options.idle_timeout_ms = cfg.server.idle_timeout_ms;
  server_options.auth_token = cfg.server.auth_token;
  auto server = http::HttpServer::Start(server_options, &router,
                                        [&metrics](const std::string& route, int status, double secs, size_t bytes) {
                                          metrics.ObserveRequest(route, status, secs, bytes);
                                        });
  if (!server.ok()) {
    log::Error("cannot listen on " + cfg.server.listen + ": " + server.status().ToString());
    return 1;
  }
  log::Info(fmt::format("listening on http://{} (data dir {}, retention {}, auth {})", (*server)->address(),
                        cfg.server.data_dir, cfg.storage.retention_ms == 0 ? "forever" : std::to_string(cfg.storage.retention_ms / 1000) + "s",
                        cfg.server.auth_token.empty() ? "off" : "bearer token"));

  if (rules) rules->Start();

  // Periodic compaction; the signal wait below ends it.
  std::mutex compaction_mu;
  std::condition_variable compaction_cv;
  bool stopping = false;
  std::thread compactor([&] {
    if (cfg.storage.compaction_interval_ms <= 0) return;
    std::unique_lock lock(compaction_mu);
    while (!compaction_cv.wait_for(lock, std::chrono::milliseconds(cfg.storage.compaction_interval_ms),
                                   [&] { return stopping; })) {
      Status cs = db->Compact();
      if (!cs.ok()) log::Warn("compaction failed: " + cs.ToString());
    }
  });

  int sig = 0;
  sigwait(&signals, &sig);
  {
    std::lock_guard lock(compaction_mu);
    stopping = true;
  }
  compaction_cv.notify_all();
  compactor.join();
  log::Info(fmt::format("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT"));
  if (rules) rules->Stop();
  (*server)->Stop();
  s = db->Flush();
  if (!s.ok()) {
    log::Error("flush on shutdown failed: " + s.ToString());
    return 1;
  }
  db.reset();
  log::Info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
