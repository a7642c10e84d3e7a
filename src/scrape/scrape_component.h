// ScrapeComponent: gnomond scrapes exporters itself (issue 15). Its config section:
//
//   [scrape]
//   config_file = "scrape.yml"   # Prometheus' format: global + scrape_configs ("" scrapes nothing)
//
// The file's jobs run in a ScrapeManager; SIGHUP and POST /-/reload read it again (a broken file is
// refused with its errors and the old jobs keep running). GET /api/v1/targets answers in
// Prometheus' shape (?state=active|dropped|any).
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "config/section.h"
#include "http/component.h"
#include "scrape/scrape_manager.h"

namespace gnomon::scrape {

struct ScrapeSection {
  static constexpr std::string_view kName = "scrape";
  static std::span<const config::Field<ScrapeSection>> Fields();

  std::string config_file;
  bool operator==(const ScrapeSection&) const = default;
};

class ScrapeComponent final : public http::Component {
 public:
  static Result<std::unique_ptr<http::Component>> Create(const http::ComponentContext& context);

  std::string_view name() const override { return "scrape"; }
  void RegisterRoutes(http::Router* router) override;
  Status Start() override;
  void Stop() override;
  Status Reload() override;

 private:
  ScrapeComponent(std::string config_file, DB* db, Limits limits)
      : config_file_(std::move(config_file)), db_(db), limits_(limits) {}
  std::shared_ptr<ScrapeManager> manager() const;

  const std::string config_file_;
  DB* const db_;
  const Limits limits_;
  mutable std::mutex mu_;
  // Null before Start and after Stop; used outside mu_ through a copy of the pointer (a reload
  // may wait for scrapes in progress).
  std::shared_ptr<ScrapeManager> manager_;
};

}  // namespace gnomon::scrape
