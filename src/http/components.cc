#include "http/components.h"

#include "alert/alerting_config.h"
#include "console/console_component.h"
#include "forward/forward_component.h"
#include "http/api/export_api.h"
#include "http/api/ingest_api.h"
#include "http/api/logs_api.h"
#include "http/api/query_api.h"
#include "http/api/rules_api.h"
#include "http/api/status_api.h"
#include "scrape/scrape_component.h"

namespace gnomon::http {

namespace {

constexpr ComponentEntry kComponents[] = {
    {"status", &api::StatusApi::Create},  // health, readiness, /metrics, flush and compact
    {"ingest", &api::IngestApi::Create},  // line protocol, remote_write, JSON lines
    {"query", &api::QueryApi::Create},    // the Prometheus query API
    {"export", &api::ExportApi::Create},  // /api/v1/export, streamed
    {"alerting", &api::RulesApi::Create, &config::SectionSpec::Of<alert::AlertingConfig>},  // rules, /api/v1/alerts
    {"logs", &api::LogsApi::Create,
     &config::SectionSpec::Of<logs::LogsConfig>},  // the log store, its ingest and queries
    {"scrape", &scrape::ScrapeComponent::Create,
     &config::SectionSpec::Of<scrape::ScrapeSection>},  // scrape_configs: gnomond scrapes exporters itself
    {"forward", &forward::ForwardComponent::Create,
     &config::SectionSpec::Of<forward::RemoteWriteSection>},  // [[remote_write]]: forwarding out of the WAL
    {"console", &console::ConsoleComponent::Create},    // the web console at /, its files embedded
};

}  // namespace

std::span<const ComponentEntry> Components() { return kComponents; }

const config::Schema& ComponentSchema() {
  static const config::Schema kSchema = [] {
    config::Schema schema = config::Schema::Core();
    for (const ComponentEntry& entry : kComponents) {
      if (entry.config_section != nullptr) schema.Add(entry.config_section());
    }
    return schema;
  }();
  return kSchema;
}

}  // namespace gnomon::http
