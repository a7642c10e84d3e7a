// HttpServer: an HTTP/1.1 server on standalone Asio, parsing with http_parser.
//
// Keep-alive; pipelined requests answered in order; Content-Length and chunked bodies; gzip and
// deflate request bodies decoded; limits on header bytes (431), body bytes (413, also after
// decompression), connections (new ones beyond the limit are closed at once), and a read timeout
// (408 / close) so a slow client cannot hold a worker; idle keep-alive connections are closed.
// Optional bearer-token auth, decided from the matched route's Access (router.h): with tokens
// configured, a route that is not kPublic needs `Authorization: Bearer <token>` with a token that
// grants at least that access — 401 without a valid token, 403 with one that grants too little.
// Unknown paths need kRead. Malformed requests get 400 and the connection is closed.
// Streamed responses (Response::stream) go out with chunked transfer encoding. Whole JSON and text
// responses of 4 KiB or more are gzipped for a client whose Accept-Encoding takes gzip.
// Handlers run on the worker threads and may block (e.g. on a durable write).
//
// Stop() stops accepting, lets in-flight requests finish and be answered (with `Connection: close`),
// closes idle connections, and returns when every worker has finished. A request whose bytes are
// still arriving counts as in flight: it gets up to read_timeout_ms to complete. Stop() must not be
// called from a handler.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gnomon/status.h"
#include "http/server/router.h"

namespace gnomon::http {

// A bearer token and the most it grants.
struct AuthToken {
  std::string token;
  Access grants = Access::kAdmin;
};

struct ServerOptions {
  std::string listen = "127.0.0.1:9201";  // host:port or [v6]:port; port 0 picks a free one
  int worker_threads = 2;
  size_t max_connections = 1024;
  size_t max_header_bytes = 64 << 10;
  size_t max_body_bytes = 64 << 20;
  int64_t read_timeout_ms = 30000;   // to receive one whole request once it has started
  int64_t idle_timeout_ms = 120000;  // keep-alive connection with no request in progress
  std::string auth_token;            // a token granting kAdmin; empty and no `tokens`: no auth
  std::vector<AuthToken> tokens;     // further tokens with their access
};

// Called after each response is sent: route pattern, status, seconds spent in the handler and
// writing, and request body bytes. Used for /metrics.
using RequestObserver = std::function<void(const std::string& route, int status, double seconds, size_t body_bytes)>;

class HttpServer {
 public:
  // Binds and starts serving on background threads. `router` must outlive the server.
  static Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options, const Router* router,
                                                   RequestObserver observer = nullptr);
  virtual ~HttpServer() = default;
  // The bound port (useful with port 0).
  virtual uint16_t port() const = 0;
  // "127.0.0.1:PORT" as bound.
  virtual std::string address() const = 0;
  virtual size_t open_connections() const = 0;
  // Graceful stop (see above). Idempotent.
  virtual void Stop() = 0;
};

}  // namespace gnomon::http
