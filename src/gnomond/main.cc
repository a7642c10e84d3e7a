// gnomond: the Gnomon server. Reads a TOML config (config.example.toml documents every key),
// applies command-line overrides, opens the engine and serves the HTTP API until SIGTERM/SIGINT,
// then stops accepting, finishes in-flight requests, flushes and exits 0.
#include <signal.h>

#include <fmt/format.h>
#include <cxxopts.hpp>

#include <cstdio>
#include <memory>
#include <vector>

#include "alert/alerting_config.h"
#include "config/config.h"
#include "gnomon/db.h"
#include "http/api/self_metrics.h"
#include "http/component.h"
#include "http/components.h"
#include "http/reloader.h"
#include "http/server/http_server.h"
#include "util/clock.h"
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

http::ServerOptions ServerOptionsFromConfig(const config::ServerConfig& c) {
  http::ServerOptions o;
  o.listen = c.listen;
  o.worker_threads = static_cast<int>(c.worker_threads);
  o.max_connections = c.max_connections;
  o.max_header_bytes = c.max_header_bytes;
  o.max_body_bytes = c.max_body_bytes;
  o.read_timeout_ms = c.read_timeout_ms;
  o.idle_timeout_ms = c.idle_timeout_ms;
  o.auth_token = c.auth_token;
  return o;
}

// The quick-start flags of the components: alerting's --rules, --evaluation-interval, the
// restore durations and receivers from --alertmanager/--webhook (named alertmanager-N and
// webhook-N, after the file's receivers); scraping's --scrape.config-file.
Status ApplyComponentFlags(const cxxopts::ParseResult& args, config::Config* cfg) {
  const config::Schema& schema = http::ComponentSchema();
  if (args.count("rules")) {
    std::string list;
    for (const std::string& r : args["rules"].as<std::vector<std::string>>()) list += (list.empty() ? "" : ",") + r;
    Status s = config::ApplyOverride(cfg, "alerting.rule_files", list, schema);
    if (!s.ok()) return Status::InvalidArgument("--rules: " + s.message());
  }
  if (args.count("evaluation-interval")) {
    Status s = config::ApplyOverride(cfg, "alerting.evaluation_interval", args["evaluation-interval"].as<std::string>(),
                                     schema);
    if (!s.ok()) return Status::InvalidArgument("--evaluation-interval: " + s.message());
  }
  for (const auto& [flag, key] : {std::pair{"rules.alert.for-outage-tolerance", "alerting.for_outage_tolerance"},
                                  std::pair{"rules.alert.for-grace-period", "alerting.for_grace_period"},
                                  std::pair{"scrape.config-file", "scrape.config_file"}}) {
    if (!args.count(flag)) continue;
    Status s = config::ApplyOverride(cfg, key, args[flag].as<std::string>(), schema);
    if (!s.ok()) return Status::InvalidArgument(std::string("--") + flag + ": " + s.message());
  }
  auto& alerting = cfg->Mutable<alert::AlertingConfig>();
  for (const char* kind : {"alertmanager", "webhook"}) {
    if (!args.count(kind)) continue;
    int n = 0;
    for (const std::string& url : args[kind].as<std::vector<std::string>>()) {
      alert::ReceiverConfig r;
      r.name = std::string(kind) + "-" + std::to_string(++n);
      r.type = kind;
      r.url = url;
      if (std::string err = r.Validate(); !err.empty())
        return Status::InvalidArgument(std::string("--") + kind + ": " + err);
      for (const auto& other : alerting.receivers) {
        if (other.name == r.name)
          return Status::InvalidArgument(std::string("--") + kind +
                                         ": a receiver in the config file is already named \"" + r.name + "\"");
      }
      alerting.receivers.push_back(std::move(r));
    }
  }
  return Status::OK();
}

int Run(int argc, char** argv) {
  cxxopts::Options cli("gnomond", "Gnomon time-series database server");
  // clang-format off
  cli.add_options()
      ("config", "TOML config file (see config.example.toml)", cxxopts::value<std::string>())
      ("listen", "address to listen on, host:port (default 127.0.0.1:9201)", cxxopts::value<std::string>())
      ("data-dir", "data directory (default ./gnomon-data)", cxxopts::value<std::string>())
      ("retention", "keep data this long, e.g. 15d; 0 keeps it forever (default)", cxxopts::value<std::string>())
      ("auth-token", "require 'Authorization: Bearer TOKEN' (except on health endpoints)", cxxopts::value<std::string>())
      ("log-level", "debug, info, warn or error", cxxopts::value<std::string>())
      ("rules", "Prometheus rule files to evaluate, paths or globs (repeatable; alerting.rule_files)",
       cxxopts::value<std::vector<std::string>>(), "GLOB")
      ("evaluation-interval", "evaluate rule groups without their own interval this often, e.g. 15s",
       cxxopts::value<std::string>(), "DURATION")
      ("rules.alert.for-outage-tolerance", "after a restart, restore alerts' 'for' state from this far back "
       "(default 1h)", cxxopts::value<std::string>(), "DURATION")
      ("rules.alert.for-grace-period", "a restored alert waits at least this long before firing (default 10m)",
       cxxopts::value<std::string>(), "DURATION")
      ("alertmanager", "send alerts to this Alertmanager (its base URL; repeatable)",
       cxxopts::value<std::vector<std::string>>(), "URL")
      ("webhook", "send alerts to this URL as Alertmanager webhook payloads (repeatable)",
       cxxopts::value<std::vector<std::string>>(), "URL")
      ("scrape.config-file", "scrape the jobs of this Prometheus-format scrape config (scrape.config_file)",
       cxxopts::value<std::string>())
      ("version", "print the version and exit")
      ("h,help", "print this help and exit");
  // clang-format on
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
    auto loaded = config::LoadConfigFile(args["config"].as<std::string>(), http::ComponentSchema());
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
    Status s = config::ApplyOverride(&cfg, key, args[flag].as<std::string>(), http::ComponentSchema());
    if (!s.ok()) {
      std::fprintf(stderr, "gnomond: --%s: %s\n", flag, s.message().c_str());
      return 2;
    }
  }
  if (Status s = ApplyComponentFlags(args, &cfg); !s.ok()) {
    std::fprintf(stderr, "gnomond: %s\n", s.message().c_str());
    return 2;
  }
  log::SetLevel(ToLogLevel(cfg.server.log_level));

  // Signals are taken synchronously by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const Options engine_options = cfg.ToOptions();
  std::unique_ptr<DB> db;
  Status s = DB::Open(engine_options, cfg.server.data_dir, &db);
  if (!s.ok()) {
    log::Error("cannot open data directory " + cfg.server.data_dir + ": " + s.ToString());
    return 1;
  }
  Stats st = db->GetStats();
  log::Info(fmt::format("opened {} with {} series, {} samples recovered from the write-ahead log", cfg.server.data_dir,
                        st.num_series, st.samples_written));

  // Every component, created in order; its routes go into the one route table.
  api::SelfMetrics metrics;
  std::vector<std::unique_ptr<http::Component>> components;
  http::Reloader reloader;
  http::ComponentContext context{cfg, engine_options, db.get(), &metrics, cfg.server.data_dir, &reloader};
  http::Router router;
  for (const http::ComponentEntry& entry : http::Components()) {
    auto created = entry.create(context);
    if (!created.ok()) {
      log::Error(fmt::format("component {}: {}", entry.name, created.status().message()));
      return 1;
    }
    if (*created == nullptr) continue;  // configured off
    (*created)->RegisterRoutes(&router);
    components.push_back(std::move(created.value()));
  }

  const http::ServerOptions server_options = ServerOptionsFromConfig(cfg.server);
  auto server = http::HttpServer::Start(server_options, &router,
                                        [&metrics](const std::string& route, int status, double secs, size_t bytes) {
                                          metrics.ObserveRequest(route, status, secs, bytes);
                                        });
  if (!server.ok()) {
    log::Error("cannot listen on " + cfg.server.listen + ": " + server.status().ToString());
    return 1;
  }
  log::Info(fmt::format(
      "listening on http://{} (data dir {}, retention {}, auth {})", (*server)->address(), cfg.server.data_dir,
      cfg.storage.retention_ms == 0 ? "forever" : std::to_string(cfg.storage.retention_ms / 1000) + "s",
      cfg.server.auth_token.empty() ? "off" : "bearer token"));

  reloader.SetComponents(components, NowMs());
  for (const auto& component : components) {
    Status started = component->Start();
    if (!started.ok()) {
      log::Error(fmt::format("component {}: {}", component->name(), started.ToString()));
      for (const auto& c : components) c->Stop();
      (*server)->Stop();
      return 1;
    }
  }

  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
    log::Info("received SIGHUP, reloading");
    if (Status reloaded = reloader.ReloadAll(); !reloaded.ok()) log::Warn("reload failed: " + reloaded.message());
  }
  log::Info(fmt::format("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT"));
  for (auto it = components.rbegin(); it != components.rend(); ++it) (*it)->Stop();
  (*server)->Stop();
  components.clear();
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
