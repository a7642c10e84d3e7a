// Router: exact routes first, then the longest matching prefix route.
#include "http/server/router.h"

#include <exception>

namespace gnomon::http {
namespace {

void NotFound(Response& response) {
  response.status = 404;
  response.content_type = "application/json";
  response.body = R"({"status":"error","errorType":"not_found","error":"not found"})";
}

}  // namespace

void Router::Handle(std::vector<std::string> methods, std::string path, Handler handler) {
  routes_.push_back(Route{std::move(methods), std::move(path), std::move(handler)});
}

const Router::Route* Router::Find(const std::string& path) const {
  const Route* best_prefix = nullptr;
  for (const Route& route : routes_) {
    if (route.path == path) return &route;
    if (!route.path.empty() && route.path.back() == '/' && path.size() > route.path.size() &&
        path.compare(0, route.path.size(), route.path) == 0) {
      if (best_prefix == nullptr || route.path.size() > best_prefix->path.size()) best_prefix = &route;
    }
  }
  return best_prefix;
}

void Router::Dispatch(const Request& request, Response& response) const {
  const Route* route = Find(request.path);
  if (route == nullptr) {
    NotFound(response);
    return;
  }
  bool allowed = false;
  for (const std::string& m : route->methods) {
    if (m == request.method || (request.method == "HEAD" && m == "GET")) {
      allowed = true;
      break;
    }
  }
  if (!allowed) {
    std::string allow;
    for (const std::string& m : route->methods) {
      if (!allow.empty()) allow += ", ";
      allow += m;
    }
    response.status = 405;
    response.content_type = "application/json";
    response.body = R"({"status":"error","errorType":"method_not_allowed","error":"method not allowed"})";
    response.SetHeader("Allow", allow);
    return;
  }
  try {
    route->handler(request, response);
  } catch (const std::exception& e) {
    response = Response();
    response.status = 500;
    response.body = std::string("internal error: ") + e.what();
  } catch (...) {
    response = Response();
    response.status = 500;
    response.body = "internal error";
  }
}

std::string Router::RouteOf(const Request& request) const {
  const Route* route = Find(request.path);
  return route == nullptr ? std::string() : route->path;
}

}  // namespace gnomon::http
