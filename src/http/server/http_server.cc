// HttpServer implementation: the acceptor, the worker threads and graceful stop. The per-connection
// protocol handling lives in connection.cc.
#include "http/server/http_server.h"

#include <asio.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "http/server/connection.h"
#include "util/thread_cache.h"

namespace gnomon::http {
namespace {

constexpr char kServiceUnavailable[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\n"
    "Connection: close\r\n\r\ntoo many connections";

// Splits "host:port" or "[v6]:port". An empty host means every IPv4 address.
Status SplitHostPort(const std::string& listen, std::string* host, std::string* port) {
  if (!listen.empty() && listen.front() == '[') {
    size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return Status::InvalidArgument("listen address \"" + listen + "\": expected [v6]:port");
    }
    *host = listen.substr(1, close - 1);
    *port = listen.substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) {
      return Status::InvalidArgument("listen address \"" + listen + "\": expected host:port");
    }
    *host = listen.substr(0, colon);
    *port = listen.substr(colon + 1);
  }
  if (port->empty() || port->find_first_not_of("0123456789") != std::string::npos || port->size() > 5 ||
      std::stoi(*port) > 65535) {
    return Status::InvalidArgument("listen address \"" + listen + "\": invalid port");
  }
  if (host->empty()) *host = "0.0.0.0";
  return Status::OK();
}

class ServerImpl final : public HttpServer {
 public:
  ServerImpl(const ServerOptions& options, const Router* router, RequestObserver observer)
      : accept_strand_(asio::make_strand(io_)),
        acceptor_(accept_strand_),
        accept_retry_(accept_strand_),
        work_(asio::make_work_guard(io_)) {
    context_.options = options;
    context_.router = router;
    context_.observer = std::move(observer);
  }

  ~ServerImpl() override { Stop(); }

  Status Listen() {
    std::string host;
    std::string port;
    GNOMON_RETURN_IF_ERROR(SplitHostPort(context_.options.listen, &host, &port));
    asio::error_code ec;
    asio::ip::tcp::endpoint endpoint;
    asio::ip::address address = asio::ip::make_address(host, ec);
    if (!ec) {
      endpoint = asio::ip::tcp::endpoint(address, static_cast<uint16_t>(std::stoi(port)));
    } else {
      asio::ip::tcp::resolver resolver(io_);
      auto results = resolver.resolve(host, port, asio::ip::tcp::resolver::passive, ec);
      if (ec || results.empty()) {
        return Status::InvalidArgument("listen address \"" + context_.options.listen + "\": cannot resolve host: " +
                                       ec.message());
      }
      endpoint = results.begin()->endpoint();
    }
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::IOError("listen on " + context_.options.listen + ": " + ec.message());
    bound_ = acceptor_.local_endpoint(ec);
    if (ec) return Status::IOError("listen on " + context_.options.listen + ": " + ec.message());
    return Status::OK();
  }

  void Run() {
    DoAccept();
    int n = std::max(1, context_.options.worker_threads);
    threads_.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this] {
        util::EnableThreadCache();
        for (;;) {
          try {
            io_.run();
            return;
          } catch (...) {
            // A handler threw past every guard; keep serving the other connections.
          }
        }
      });
    }
  }

  uint16_t port() const override { return bound_.port(); }

  std::string address() const override {
    std::string host = bound_.address().to_string();
    if (bound_.address().is_v6()) host = "[" + host + "]";
    return host + ":" + std::to_string(bound_.port());
  }

  size_t open_connections() const override { return context_.open_connections.load(); }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    {
      // Under the lock: a connection being accepted right now is either already registered (and
      // shut down below) or sees `stopping` and is refused.
      std::lock_guard<std::mutex> lock(context_.mu);
      context_.stopping.store(true);
    }
    asio::post(accept_strand_, [this] {
      asio::error_code ec;
      acceptor_.close(ec);
      accept_retry_.cancel();
    });
    std::vector<std::shared_ptr<Connection>> connections;
    {
      std::lock_guard<std::mutex> lock(context_.mu);
      for (auto& [raw, connection] : context_.connections) connections.push_back(connection);
    }
    for (auto& connection : connections) connection->RequestShutdown();
    connections.clear();
    // Once every connection is closed and the acceptor is gone, the workers run out of work.
    work_.reset();
    for (std::thread& t : threads_) {
      if (t.get_id() == std::this_thread::get_id()) {
        t.detach();  // Stop() called from a handler: cannot join ourselves
      } else if (t.joinable()) {
        t.join();
      }
    }
    threads_.clear();
  }

 private:
  void DoAccept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
      if (ec == asio::error::operation_aborted || context_.stopping.load() || !acceptor_.is_open()) return;
      if (ec) {
        // E.g. out of file descriptors: back off briefly instead of spinning.
        accept_retry_.expires_after(std::chrono::milliseconds(50));
        accept_retry_.async_wait([this](const asio::error_code& e) {
          if (!e && !context_.stopping.load()) DoAccept();
        });
        return;
      }
      OnAccept(std::move(socket));
      DoAccept();
    });
  }

  void OnAccept(asio::ip::tcp::socket socket) {
    std::shared_ptr<Connection> connection;
    {
      std::lock_guard<std::mutex> lock(context_.mu);
      if (context_.stopping.load()) {
        asio::error_code ec;
        socket.close(ec);
        return;
      }
      if (context_.connections.size() < context_.options.max_connections) {
        connection = std::make_shared<Connection>(&context_, std::move(socket));
        context_.connections.emplace(connection.get(), connection);
        context_.open_connections.fetch_add(1);
      }
    }
    if (connection == nullptr) {
      // Over the limit: a short 503 (fits any socket buffer, so this does not block), then close.
      asio::error_code ec;
      asio::write(socket, asio::buffer(kServiceUnavailable, sizeof(kServiceUnavailable) - 1), ec);
      socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      socket.close(ec);
      return;
    }
    connection->Start();
  }

  asio::io_context io_;
  asio::strand<asio::io_context::executor_type> accept_strand_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::ip::tcp::endpoint bound_;
  ServerContext context_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options, const Router* router,
                                                      RequestObserver observer) {
  if (router == nullptr) return Status::InvalidArgument("HttpServer::Start: router is null");
  auto server = std::make_unique<ServerImpl>(options, router, std::move(observer));
  GNOMON_RETURN_IF_ERROR(server->Listen());
  server->Run();
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace gnomon::http
