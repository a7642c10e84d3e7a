#include "scrape/scrape_component.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "util/duration.h"
#include "util/log.h"
#include "util/time_format.h"

namespace gnomon::scrape {

namespace {

nlohmann::json LabelObject(const Labels& labels) {
  nlohmann::json o = nlohmann::json::object();
  for (const Label& l : labels) o[l.name] = l.value;
  return o;
}

}  // namespace

std::span<const config::Field<ScrapeSection>> ScrapeSection::Fields() {
  static const config::Field<ScrapeSection> kFields[] = {
      {"config_file", [](ScrapeSection* s, const config::Value& in) { return config::SetString(in, &s->config_file); }},
      {"global",
       [](ScrapeSection* s, const config::Value& in) {
         return config::ReadAsYaml(in, 2, &s->global.text, &s->global.lines, &s->global.file);
       }},
      {"scrape_configs",
       [](ScrapeSection* s, const config::Value& in) {
         return config::ReadAsYaml(in, 2, &s->scrape_configs.text, &s->scrape_configs.lines, &s->scrape_configs.file);
       }},
  };
  return kFields;
}

Result<std::vector<ScrapeConfig>> InlineScrapeConfigs(const ScrapeSection& section) {
  if (section.global.text.empty() && section.scrape_configs.text.empty()) return std::vector<ScrapeConfig>{};
  // One Prometheus document, and for each of its lines the TOML line it comes from.
  std::string yaml;
  std::vector<int> lines;
  for (const auto& [key, part] : {std::pair{"global", &section.global}, {"scrape_configs", &section.scrape_configs}}) {
    if (part->text.empty()) continue;
    yaml += std::string(key) + ":\n" + part->text;
    lines.push_back(part->lines.front());
    lines.insert(lines.end(), part->lines.begin(), part->lines.end());
  }
  const std::string file = section.scrape_configs.file.empty() ? section.global.file : section.scrape_configs.file;
  auto jobs = ParseScrapeConfigs(yaml, file);
  if (jobs.ok()) return jobs;
  // "FILE:LINE:COL: reason" (LINE in the YAML text) -> "FILE:TOML-LINE: [scrape] reason".
  std::string message;
  std::string_view rest = jobs.status().message();
  while (!rest.empty()) {
    std::string_view line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    if (!message.empty()) message += '\n';
    const std::string prefix = file + ":";
    int yaml_line = 0;
    size_t at = prefix.size();
    if (line.starts_with(prefix)) {
      while (at < line.size() && std::isdigit(static_cast<unsigned char>(line[at])))
        yaml_line = yaml_line * 10 + (line[at++] - '0');
    }
    if (yaml_line < 1 || static_cast<size_t>(yaml_line) > lines.size()) {
      message += "[scrape] " + std::string(line);
      continue;
    }
    const size_t reason = line.find(": ", at);
    message += fmt::format("{}:{}: [scrape] {}", file, lines[yaml_line - 1],
                           reason == std::string_view::npos ? line : line.substr(reason + 2));
  }
  return Status::InvalidArgument(message);
}

Result<std::unique_ptr<http::Component>> ScrapeComponent::Create(const http::ComponentContext& context) {
  const ScrapeSection& section = context.config.Get<ScrapeSection>();
  auto inline_jobs = InlineScrapeConfigs(section);
  if (!inline_jobs.ok()) return inline_jobs.status();
  if (!section.config_file.empty() && (!section.scrape_configs.text.empty() || !section.global.text.empty())) {
    return Status::InvalidArgument(
        "[scrape]: set config_file or write the jobs inline (global, scrape_configs), not both");
  }
  if (!section.config_file.empty()) {
    auto jobs = LoadScrapeConfigs(section.config_file);  // refused at start, with every error
    if (!jobs.ok()) return Status::InvalidArgument("[scrape] config_file: " + jobs.status().message());
  }
  return std::unique_ptr<http::Component>(
      new ScrapeComponent(section.config_file, std::move(*inline_jobs), context.db, context.engine_options.limits));
}

std::shared_ptr<ScrapeManager> ScrapeComponent::manager() const {
  std::lock_guard lock(mu_);
  return manager_;
}

Status ScrapeComponent::Start() {
  auto manager = std::make_shared<ScrapeManager>(db_, limits_);
  {
    std::lock_guard lock(mu_);
    manager_ = manager;
  }
  if (config_file_.empty()) {
    if (!inline_jobs_.empty()) log::Info("scrape: " + std::to_string(inline_jobs_.size()) + " jobs from [scrape]");
    manager->Apply(inline_jobs_);
    return Status::OK();
  }
  auto jobs = LoadScrapeConfigs(config_file_);
  if (!jobs.ok()) return Status::InvalidArgument("[scrape] config_file: " + jobs.status().message());
  log::Info("scrape: " + std::to_string(jobs->size()) + " jobs from " + config_file_);
  manager->Apply(std::move(*jobs));
  return Status::OK();
}

void ScrapeComponent::Stop() {
  std::shared_ptr<ScrapeManager> manager;
  {
    std::lock_guard lock(mu_);
    manager.swap(manager_);
  }
  manager.reset();  // the last holder stops every loop
}

Status ScrapeComponent::Reload() {
  if (config_file_.empty()) return Status::OK();
  auto jobs = LoadScrapeConfigs(config_file_);
  if (!jobs.ok()) return Status::InvalidArgument("[scrape] config_file: " + jobs.status().message());
  if (auto m = manager(); m != nullptr) m->Apply(std::move(*jobs));
  return Status::OK();
}

void ScrapeComponent::RegisterRoutes(http::Router* router) {
  router->Handle({"GET"}, "/api/v1/targets", http::Access::kRead, [this](const http::Request& req, http::Response& r) {
    std::string state = "any";
    for (const auto& [k, v] : req.Params()) {
      if (k == "state") {
        state = v;
        for (char& c : state) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
    if (state.empty()) state = "any";
    std::vector<ActiveTarget> active;
    std::vector<DroppedTarget> dropped;
    if (auto m = manager(); m != nullptr) {
      active = m->Active();
      dropped = m->Dropped();
    }
    nlohmann::json data;
    data["activeTargets"] = nlohmann::json::array();
    data["droppedTargets"] = nlohmann::json::array();
    if (state == "any" || state == "active") {
      for (const ActiveTarget& t : active) {
        data["activeTargets"].push_back({
            {"discoveredLabels", LabelObject(t.discovered_labels)},
            {"labels", LabelObject(t.labels)},
            {"scrapePool", t.scrape_pool},
            {"scrapeUrl", t.scrape_url},
            {"globalUrl", t.scrape_url},
            {"lastError", t.health.last_error},
            {"lastScrape",
             t.health.last_scrape_ms == 0 ? "0001-01-01T00:00:00Z" : FormatRfc3339(t.health.last_scrape_ms)},
            {"lastScrapeDuration", t.health.last_scrape_duration_s},
            {"health", t.health.health},
            {"scrapeInterval", FormatDuration(t.interval_ms)},
            {"scrapeTimeout", FormatDuration(t.timeout_ms)},
        });
      }
    }
    if (state == "any" || state == "dropped") {
      for (const DroppedTarget& t : dropped)
        data["droppedTargets"].push_back({{"discoveredLabels", LabelObject(t.discovered_labels)}});
    }
    r.content_type = "application/json";
    r.body = nlohmann::json({{"status", "success"}, {"data", data}})
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  });
}

}  // namespace gnomon::scrape
