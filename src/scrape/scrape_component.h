// ScrapeComponent: gnomond scrapes exporters itself (issue 15). Its config section:
//
//   [scrape]
//   config_file = "scrape.yml"   # Prometheus' format: global + scrape_configs ("" scrapes nothing)
//
// or the same jobs inline, in TOML's spelling of Prometheus' keys (not both):
//
//   [scrape.global]
//   scrape_interval = "15s"
//   [[scrape.scrape_configs]]
//   job_name = "node"
//   static_configs = [{ targets = ["127.0.0.1:9100"] }]
//
// The jobs run in a ScrapeManager; SIGHUP and POST /-/reload read config_file again (a broken
// file is refused with its errors and the old jobs keep running; inline jobs change with a
// restart, as the rest of the TOML file). Errors in inline jobs name the TOML file's line. GET
// /api/v1/targets answers in Prometheus' shape (?state=active|dropped|any).
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/section.h"
#include "http/component.h"
#include "scrape/scrape_manager.h"

namespace gnomon::scrape {

struct ScrapeSection {
  static constexpr std::string_view kName = "scrape";
  static std::span<const config::Field<ScrapeSection>> Fields();

  // Inline jobs: the TOML values as YAML (config::ReadAsYaml).
  struct Yaml {
    std::string text;
    std::vector<int> lines;  // the TOML file's line of each line of text
    std::string file;
    bool operator==(const Yaml&) const = default;
  };

  std::string config_file;
  Yaml global, scrape_configs;
  bool operator==(const ScrapeSection&) const = default;
};

// The section's inline jobs (none when it has none), parsed as a Prometheus file would be; errors
// name the TOML file and line ("FILE:LINE: [scrape] reason").
Result<std::vector<ScrapeConfig>> InlineScrapeConfigs(const ScrapeSection& section);

class ScrapeComponent final : public http::Component {
 public:
  static Result<std::unique_ptr<http::Component>> Create(const http::ComponentContext& context);

  std::string_view name() const override { return "scrape"; }
  void RegisterRoutes(http::Router* router) override;
  Status Start() override;
  void Stop() override;
  Status Reload() override;

 private:
  ScrapeComponent(std::string config_file, std::vector<ScrapeConfig> inline_jobs, DB* db, Limits limits)
      : config_file_(std::move(config_file)), inline_jobs_(std::move(inline_jobs)), db_(db), limits_(limits) {}
  std::shared_ptr<ScrapeManager> manager() const;

  const std::string config_file_;
  const std::vector<ScrapeConfig> inline_jobs_;
  DB* const db_;
  const Limits limits_;
  mutable std::mutex mu_;
  // Null before Start and after Stop; used outside mu_ through a copy of the pointer (a reload
  // may wait for scrapes in progress).
  std::shared_ptr<ScrapeManager> manager_;
};

}  // namespace gnomon::scrape
