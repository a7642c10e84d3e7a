#include "gnomond/components.h"

#include "http/api/export_api.h"
#include "http/api/ingest_api.h"
#include "http/api/query_api.h"
#include "http/api/rules_api.h"
#include "http/api/status_api.h"

namespace gnomon::gnomond {

namespace {

constexpr ComponentEntry kComponents[] = {
    {"status", &api::StatusApi::Create},    // health, readiness, /metrics, flush and compact
    {"ingest", &api::IngestApi::Create},    // line protocol, remote_write, JSON lines
    {"query", &api::QueryApi::Create},      // the Prometheus query API
    {"export", &api::ExportApi::Create},    // /api/v1/export, streamed
    {"alerting", &api::RulesApi::Create},   // rule evaluation, /api/v1/rules and /alerts
};

}  // namespace

std::span<const ComponentEntry> Components() { return kComponents; }

}  // namespace gnomon::gnomond
