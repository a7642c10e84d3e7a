// Router: the one route table of gnomond. Every component registers its routes here — method(s),
// a path pattern, the access the route needs, and the handler — and the server decides
// authentication from the matched route, so no separate list of open paths exists.
//
// Patterns are matched segment by segment:
//   /api/v1/query                 a literal path
//   /api/v1/label/{name}/values   {name} matches one non-empty segment (no '/')
//   /static/{path...}             a last {path...} matches the non-empty rest, slashes included
// Parameters are URL-decoded (the request path is) and handed to the handler in
// Request::path_params. When several patterns match, the one with the most literal segments
// before the first difference wins (a literal segment beats a parameter, a parameter beats a
// {rest...}), so registration order does not matter. Registering the same pattern twice is a
// programming error (Handle returns false).
//
// Unknown paths get 404; a known path with another method gets 405 with an Allow header; a
// GET route also answers HEAD. A handler that throws yields 500.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/server/request.h"

namespace gnomon::http {

// What a route needs from the caller's bearer token when the server has tokens configured.
// Ordered: a token that grants kWrite may also read; kAdmin may do everything.
enum class Access : unsigned char {
  kPublic,  // health checks and probes: no token needed
  kRead,    // queries, exports, metrics, status
  kWrite,   // ingest
  kAdmin,   // flush, compact and other operator actions
};

// "public", "read", "write", "admin".
std::string_view AccessName(Access access);

using Handler = std::function<void(const Request&, Response&)>;

struct Route {
  std::vector<std::string> methods;  // e.g. {"GET", "POST"}
  std::string pattern;               // see above
  Access access = Access::kRead;
  Handler handler;
};

class Router {
 public:
  // Adds a route; false if the pattern is malformed or already registered.
  bool Handle(Route route);
  bool Handle(std::vector<std::string> methods, std::string pattern, Access access, Handler handler) {
    return Handle(Route{std::move(methods), std::move(pattern), access, std::move(handler)});
  }

  // The route whose pattern matches `path` (whatever the method), or null; fills *params with
  // the pattern's parameters when given.
  const Route* Match(std::string_view path, Params* params = nullptr) const;

  // Fills `response` from the matching handler (or 404/405), after storing the path parameters
  // in request.path_params.
  void Dispatch(Request& request, Response& response) const;
  // The same for a route already matched with Match(request.path, &request.path_params) (null:
  // 404), so a server that needs the route first matches once.
  void Serve(const Route* route, const Request& request, Response& response) const;

  // Every registered route, in registration order (for docs and tests).
  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    // One entry per segment: the literal text, or the parameter name with kind.
    enum class Kind : unsigned char { kLiteral, kParam, kRest };
    struct Segment {
      Kind kind;
      std::string text;
    };
    std::vector<Segment> segments;
  };
  static bool Compile(std::string_view pattern, Compiled* out);
  static bool MatchCompiled(const Compiled& c, const std::vector<std::string_view>& parts, Params* params);

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;  // parallel to routes_
};

// Whether `method` is one of the route's methods (HEAD is allowed wherever GET is).
bool RouteAllows(const Route& route, std::string_view method);

}  // namespace gnomon::http
