// Request and Response: what an HTTP handler sees and fills in.
//
// The server hands a handler a complete request: the body is fully read (chunked transfer
// reassembled, `Content-Encoding: gzip`/`deflate` already decoded and bounded by the body limit).
// Header names are stored lower-cased. Query and form parameters are URL-decoded.
//
// A response is either whole (`body`) or streamed: a handler that sets `stream` has the server
// send `body` first and then every piece the stream produces, with chunked transfer encoding, so
// a large export or file need not sit in memory whole. HTTP/1.0 clients, which cannot take
// chunks, get the pieces collected into one body.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gnomon/status.h"

namespace gnomon::http {

using Params = std::vector<std::pair<std::string, std::string>>;

// Parses "a=1&b=x%20y&a=2" (also '+' as space) into ordered pairs; malformed escapes are kept as is.
Params ParseQueryString(std::string_view query);
// Decodes %xx escapes in a URL path ('+' stays '+'); malformed escapes are kept as is.
std::string UrlDecodePath(std::string_view path);

struct Request {
  std::string method;   // "GET", "POST", ...
  std::string target;   // as sent: path plus query
  std::string path;     // URL-decoded path, without the query
  std::string query;    // raw query string, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;
  ::gnomon::http::Params path_params;  // the route pattern's {parameters}, filled by the Router

  // The path parameter `name` of the matched route ("" if none).
  std::string_view PathParam(std::string_view name) const;

  // The first header with this (case-insensitive) name, or "" if none.
  std::string_view Header(std::string_view name) const;
  // Query parameters, plus form parameters of an application/x-www-form-urlencoded POST body.
  ::gnomon::http::Params Params() const;
};

// Produces the next piece of a streamed body: appends it to *out (an empty piece is allowed) and
// returns OK, setting *done after the last one. A non-OK status ends the response abnormally: the
// connection is closed without the final chunk, so the client sees a truncated transfer.
using BodyStream = std::function<Status(std::string* out, bool* done)>;

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  BodyStream stream;  // optional: the rest of the body, after `body`


  void SetHeader(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

}  // namespace gnomon::http
