// Router: patterns compiled into segments at registration; a request is split into segments once
// and compared with every route (the table is small: tens of routes).
#include "http/server/router.h"

#include <exception>

#include "http/server/response_head.h"

namespace gnomon::http {
namespace {

// Splits "/a/b/c" into {"a", "b", "c"}; "/" gives {}. A trailing slash yields an empty last part.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path.front() != '/') return parts;
  path.remove_prefix(1);
  if (path.empty()) return parts;
  for (;;) {
    size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

}  // namespace

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kPublic: return "public";
    case Access::kRead: return "read";
    case Access::kWrite: return "write";
    case Access::kAdmin: return "admin";
  }
  return "unknown";
}

bool RouteAllows(const Route& route, std::string_view method) {
  for (const std::string& m : route.methods) {
    if (m == method || (method == "HEAD" && m == "GET")) return true;
  }
  return false;
}

bool Router::Compile(std::string_view pattern, Compiled* out) {
  if (pattern.empty() || pattern.front() != '/') return false;
  std::vector<std::string_view> parts = SplitPath(pattern);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
      std::string_view name = p.substr(1, p.size() - 2);
      Compiled::Kind kind = Compiled::Kind::kParam;
      if (name.ends_with("...")) {
        if (i + 1 != parts.size()) return false;  // {rest...} only at the end
        name.remove_suffix(3);
        kind = Compiled::Kind::kRest;
      }
      if (name.empty() || name.find_first_of("{}/") != std::string_view::npos) return false;
      out->segments.push_back({kind, std::string(name)});
    } else {
      if (p.find_first_of("{}") != std::string_view::npos) return false;
      out->segments.push_back({Compiled::Kind::kLiteral, std::string(p)});
    }
  }
  return true;
}

bool Router::Handle(Route route) {
  Compiled compiled;
  if (!Compile(route.pattern, &compiled)) return false;
  for (const Route& r : routes_) {
    if (r.pattern == route.pattern) return false;
  }
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(compiled));
  return true;
}

bool Router::MatchCompiled(const Compiled& c, const std::vector<std::string_view>& parts, Params* params) {
  size_t i = 0;
  for (const Compiled::Segment& s : c.segments) {
    if (s.kind == Compiled::Kind::kRest) {
      if (i >= parts.size()) return false;
      std::string rest;
      for (size_t j = i; j < parts.size(); ++j) {
        if (j > i) rest += '/';
        rest += parts[j];
      }
      if (rest.empty()) return false;
      if (params != nullptr) params->emplace_back(s.text, std::move(rest));
      return true;
    }
    if (i >= parts.size()) return false;
    if (s.kind == Compiled::Kind::kLiteral) {
      if (parts[i] != s.text) return false;
    } else {
      if (parts[i].empty()) return false;
      if (params != nullptr) params->emplace_back(s.text, std::string(parts[i]));
    }
    ++i;
  }
  return i == parts.size();
}

const Route* Router::Match(std::string_view path, Params* params) const {
  const std::vector<std::string_view> parts = SplitPath(path);
  const Route* best = nullptr;
  const Compiled* best_compiled = nullptr;
  for (size_t r = 0; r < routes_.size(); ++r) {
    const Compiled& c = compiled_[r];
    if (!MatchCompiled(c, parts, nullptr)) continue;
    if (best_compiled != nullptr) {
      // The more specific pattern wins: compare segment kinds left to right.
      bool better = false;
      size_t n = std::min(c.segments.size(), best_compiled->segments.size());
      for (size_t i = 0; i < n; ++i) {
        if (c.segments[i].kind != best_compiled->segments[i].kind) {
          better = c.segments[i].kind < best_compiled->segments[i].kind;
          break;
        }
      }
      if (!better) continue;
    }
    best = &routes_[r];
    best_compiled = &c;
  }
  if (best != nullptr && params != nullptr) {
    params->clear();
    MatchCompiled(*best_compiled, parts, params);
  }
  return best;
}

void Router::Dispatch(Request& request, Response& response) const {
  Serve(Match(request.path, &request.path_params), request, response);
}

void Router::Serve(const Route* route, const Request& request, Response& response) const {
  if (route == nullptr) {
    response.status = 404;
    response.content_type = "application/json";
    response.body = JsonErrorBody("not_found", "not found");
    return;
  }
  if (!RouteAllows(*route, request.method)) {
    std::string allow;
    for (const std::string& m : route->methods) {
      if (!allow.empty()) allow += ", ";
      allow += m;
    }
    response.status = 405;
    response.content_type = "application/json";
    response.body = JsonErrorBody("method_not_allowed", "method not allowed");
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

}  // namespace gnomon::http
