// Component: a part of gnomond that plugs into the server through one registration — its routes,
// its options (read from its own config section), and what runs beside the requests (threads,
// queues). gnomond's main loads the config, opens the engine, creates every component listed in
// src/http/components.cc in order, registers their routes on the one Router, starts the HTTP
// server, starts the components, and on shutdown stops them in reverse order before the server.
//
// Adding a component is one folder (or file) with a factory and one line in that list.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "gnomon/db.h"
#include "gnomon/options.h"
#include "gnomon/status.h"
#include "http/server/router.h"

namespace gnomon::api {
class SelfMetrics;
}

namespace gnomon::http {

class Reloader;

// What a component is created from. Everything outlives the component.
struct ComponentContext {
  const config::Config& config;   // the whole file; a component reads its own section
  const Options& engine_options;  // what the engine was opened with
  DB* db;
  api::SelfMetrics* metrics;  // gnomond's /metrics registry
  std::string data_dir;
  // Reloads every component and keeps the outcome (reloader.h), as SIGHUP does.
  Reloader* reloader = nullptr;
};

class Component {
 public:
  virtual ~Component() = default;
  virtual std::string_view name() const = 0;
  // Adds the component's routes. Called once, before the server starts.
  virtual void RegisterRoutes(Router* router) = 0;
  // Starts background work, after the server listens. A failure stops gnomond.
  virtual Status Start() { return Status::OK(); }
  // Stops background work; requests may still arrive until the server stops. Idempotent.
  virtual void Stop() {}
  // Re-reads what can change without a restart (rule files, say), on SIGHUP or POST /-/reload.
  // On an error the component keeps running as before and says why. Thread-safe.
  virtual Status Reload() { return Status::OK(); }
  // Puts what the component buffers into its final stored form (the log store seals its head),
  // on POST /internal/flush. Thread-safe.
  virtual Status Flush() { return Status::OK(); }
  // Does now the background rewriting of what it stores (the log store recompresses its
  // segments), on POST /internal/compact before the engine compacts. Thread-safe.
  virtual Status Compact() { return Status::OK(); }
};

// A component's factory: builds it from the context, or fails with a message for the operator
// (bad rule files, say). May return null for a component that is configured off.
using ComponentFactory = Result<std::unique_ptr<Component>> (*)(const ComponentContext& context);

}  // namespace gnomon::http
