#include "console/console_component.h"

#include "console/assets.h"
#include "http/server/body_decoder.h"
#include "util/gzip.h"

namespace gnomon::console {

namespace {

bool MatchesEtag(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match == "*") return true;
  return if_none_match.find(etag) != std::string_view::npos;  // one tag, or a list of them
}

}  // namespace

ConsoleComponent::ConsoleComponent() {
  for (const Asset& a : Assets()) {
    if (a.body.size() < 1024) continue;
    auto gz = GzipCompress(a.body, 9);
    if (gz.ok() && gz->size() < a.body.size()) gzipped_.emplace(a.path, std::move(*gz));
  }
}

Result<std::unique_ptr<http::Component>> ConsoleComponent::Create(const http::ComponentContext&) {
  if (FindAsset("/static/console/index.html") == nullptr) {
    return Status::Internal("the console's assets were not embedded (index.html missing)");
  }
  return std::unique_ptr<http::Component>(new ConsoleComponent());
}

void ConsoleComponent::Serve(const Asset& asset, const http::Request& req, http::Response& resp) const {
  resp.SetHeader("ETag", std::string(asset.etag));
  resp.SetHeader("Cache-Control", "no-cache");  // revalidated each time: a 304 costs nothing
  resp.SetHeader("Vary", "Accept-Encoding");
  if (MatchesEtag(req.Header("if-none-match"), asset.etag)) {
    resp.status = 304;
    return;
  }
  resp.content_type = std::string(asset.content_type);
  if (auto it = gzipped_.find(asset.path); it != gzipped_.end() && http::AcceptsGzip(req.Header("accept-encoding"))) {
    resp.SetHeader("Content-Encoding", "gzip");
    resp.body = it->second;
    return;
  }
  resp.body = std::string(asset.body);
}

void ConsoleComponent::RegisterRoutes(http::Router* router) {
  using http::Access;
  router->Handle({"GET"}, "/", Access::kPublic, [](const http::Request&, http::Response& resp) {
    resp.status = 302;
    resp.SetHeader("Location", "/graph");
  });
  const Asset* shell = FindAsset("/static/console/index.html");
  auto page = [this, shell](const http::Request& req, http::Response& resp) { Serve(*shell, req, resp); };
  for (const char* path : {"/graph", "/alerts", "/logs", "/logs/correlation/{id}"}) {
    router->Handle({"GET"}, path, Access::kPublic, page);
  }
  router->Handle({"GET"}, "/static/{path...}", Access::kPublic, [this](const http::Request& req, http::Response& resp) {
    const Asset* asset = FindAsset(req.path);
    if (asset == nullptr) {
      resp.status = 404;
      resp.body = "no such file: " + req.path + "\n";
      return;
    }
    Serve(*asset, req, resp);
  });
}

}  // namespace gnomon::console
