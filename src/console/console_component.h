// ConsoleComponent: gnomond's web console (issue 14) at /, in the one binary. It serves the
// embedded assets (assets.h) and nothing else: the pages are a client of the public HTTP API like
// any other, so they need the same bearer token for data, while the assets themselves are public.
//
//   GET /                       302 to /graph (as Prometheus)
//   GET /graph, /alerts, /logs, /logs/correlation/{id}
//                               the console's page shell (index.html); its script reads the URL
//   GET /static/{path...}       an asset, with its ETag (304 for a matching If-None-Match),
//                               gzipped when the client accepts it, Cache-Control: no-cache
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "http/component.h"

namespace gnomon::console {

struct Asset;

class ConsoleComponent : public http::Component {
 public:
  static Result<std::unique_ptr<http::Component>> Create(const http::ComponentContext& context);

  std::string_view name() const override { return "console"; }
  void RegisterRoutes(http::Router* router) override;

 private:
  ConsoleComponent();
  void Serve(const Asset& asset, const http::Request& req, http::Response& resp) const;

  std::unordered_map<std::string_view, std::string> gzipped_;  // by path, where it is smaller
};

}  // namespace gnomon::console
