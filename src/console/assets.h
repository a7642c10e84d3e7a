// The console's static files (issue 14), embedded into gnomond at build time by asset_embedder
// (web/console/*, uPlot from web/node_modules, CodeMirror from Debian's libjs-codemirror): nothing
// is read from disk or fetched at run time. Each asset has its URL path, content type, bytes and
// a strong ETag (a hash of the bytes, quoted).
#pragma once

#include <span>
#include <string_view>

namespace gnomon::console {

struct Asset {
  std::string_view path;  // "/static/console/app.js"
  std::string_view content_type;
  std::string_view body;
  std::string_view etag;  // "\"5f0c…\""
};

std::span<const Asset> Assets();

// The asset at `path`, or null.
const Asset* FindAsset(std::string_view path);

}  // namespace gnomon::console
