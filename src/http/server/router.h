// Router: maps (method, path) to a handler. Exact paths, plus prefix routes ending in '/'
// (e.g. "/api/v1/label/" for "/api/v1/label/<name>/values"). Unknown paths get 404; a known path
// with another method gets 405 with an Allow header.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/server/request.h"

namespace gnomon::http {

using Handler = std::function<void(const Request&, Response&)>;

class Router {
 public:
  // `methods` like {"GET", "POST"}. A path ending in '/' matches every path with that prefix.
  void Handle(std::vector<std::string> methods, std::string path, Handler handler);
  // Fills `response` from the matching handler (or 404/405). Handlers may throw nothing; a handler
  // that throws anyway yields 500.
  void Dispatch(const Request& request, Response& response) const;
  // The route pattern a request matches ("" if none): a low-cardinality label for metrics.
  std::string RouteOf(const Request& request) const;

 private:
  struct Route {
    std::vector<std::string> methods;
    std::string path;
    Handler handler;
  };
  const Route* Find(const std::string& path) const;
  std::vector<Route> routes_;
};

}  // namespace gnomon::http
