// HTTP server tests: a server on 127.0.0.1:0 with small echo handlers, driven with raw POSIX sockets
// so that every byte on the wire is under the test's control.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "http/server/body_decoder.h"
#include "http/server/http_server.h"
#include "http/server/request.h"
#include "http/server/response_head.h"
#include "http/server/router.h"
#include "wire_helpers.h"

using gnomon::http::Access;
using gnomon::http::FormatResponseHead;
using gnomon::http::HttpServer;
using gnomon::http::JsonErrorBody;
using gnomon::http::Params;
using gnomon::http::Request;
using gnomon::http::Response;
using gnomon::http::Router;
using gnomon::http::ServerOptions;

namespace {

struct RawResponse {
  int status = 0;
  std::string status_line;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  int chunks = 0;  // pieces of a chunked body

  std::string Header(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  }
  bool HasHeader(const std::string& name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return true;
    }
    return false;
  }
};

// A blocking TCP client with a receive timeout.
class Client {
 public:
  explicit Client(uint16_t port, int timeout_ms = 5000) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{};
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response; false on timeout or close before a complete response.
  bool Read(RawResponse* out, bool head_request = false) {
    *out = RawResponse();
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return false;
    }
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    out->status_line = head.substr(0, line_end);
    if (out->status_line.size() < 12 || out->status_line.compare(0, 5, "HTTP/") != 0) return false;
    out->status = std::stoi(out->status_line.substr(9, 3));
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t next = head.find("\r\n", pos);
      if (next == std::string::npos) next = head.size();
      std::string line = head.substr(pos, next - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t v = colon + 1;
        while (v < line.size() && line[v] == ' ') ++v;
        out->headers.emplace_back(name, line.substr(v));
      }
      pos = next + 2;
    }
    if (head_request || out->status == 100 || out->status == 204 || out->status == 304) return true;
    if (out->Header("transfer-encoding") == "chunked") return ReadChunks(out);
    size_t length = out->HasHeader("content-length") ? std::stoul(out->Header("content-length")) : 0;
    while (buffer_.size() < length) {
      if (!Fill()) return false;
    }
    out->body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return true;
  }

  // A chunked body: "<hex>\r\n<data>\r\n" pieces up to "0\r\n\r\n"; false if the connection
  // ends first (a transfer cut short). out->chunks counts the pieces.
  bool ReadChunks(RawResponse* out) {
    for (;;) {
      size_t eol;
      while ((eol = buffer_.find("\r\n")) == std::string::npos) {
        if (!Fill()) return false;
      }
      size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
      buffer_.erase(0, eol + 2);
      while (buffer_.size() < size + 2) {
        if (!Fill()) return false;
      }
      if (size == 0) {
        buffer_.erase(0, 2);
        return true;
      }
      out->body += buffer_.substr(0, size);
      buffer_.erase(0, size + 2);
      ++out->chunks;
    }
  }

  // True when the server closes the connection (EOF or reset) within the receive timeout and
  // before sending anything more.
  bool ClosedByPeer() {
    if (!buffer_.empty()) return false;
    char c;
    ssize_t n = recv(fd_, &c, 1, 0);
    if (n == 0) return true;
    if (n < 0 && errno == ECONNRESET) return true;
    return false;
  }

  // Whether any bytes (or EOF) arrive within `ms`.
  bool Readable(int ms) {
    if (!buffer_.empty()) return true;
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, ms) > 0;
  }

 private:
  bool Fill() {
    char chunk[65536];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string Gzip(const std::string& data) { return gnomon::testing::Compress(data, 15 + 16); }

struct Observed {
  std::string route;
  int status;
  size_t body_bytes;
};

// A router with small handlers, and a server around it.
struct Fixture {
  Router router;
  std::mutex mu;
  std::vector<Observed> observed;
  std::atomic<int> slow_started{0};
  std::unique_ptr<HttpServer> server;  // last: stopped before the members its callbacks use go away

  explicit Fixture(ServerOptions options = {}) {
    router.Handle({"GET"}, "/hello", Access::kRead, [](const Request&, Response& r) { r.body = "hello"; });
    router.Handle({"GET"}, "/health", Access::kPublic, [](const Request&, Response& r) { r.body = "ok"; });
    router.Handle({"POST", "PUT"}, "/echo", Access::kRead, [](const Request& req, Response& r) {
      r.body = req.body;
      r.SetHeader("X-Method", req.method);
      r.SetHeader("X-Encoding", std::string(req.Header("content-encoding")));
    });
    router.Handle({"GET", "POST"}, "/params", Access::kRead, [](const Request& req, Response& r) {
      for (const auto& [k, v] : req.Params()) r.body += k + "=" + v + ";";
    });
    router.Handle({"GET"}, "/path", Access::kRead,
                  [](const Request& req, Response& r) { r.body = req.path + "|" + req.query; });
    router.Handle({"GET"}, "/api/v1/label/{name}/values", Access::kRead,
                  [](const Request& req, Response& r) { r.body = "label:" + req.path; });
    router.Handle({"GET"}, "/slow", Access::kRead, [this](const Request&, Response& r) {
      slow_started++;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      r.body = "slow done";
    });
    // Streams "piece 0\n" .. "piece 4\n" after a first body; /stream-fail fails after two pieces.
    auto streamer = [](int fail_after) {
      return [fail_after](const Request&, Response& r) {
        r.body = "first\n";
        auto n = std::make_shared<int>(0);
        r.stream = [n, fail_after](std::string* out, bool* done) {
          if (*n == fail_after) return gnomon::Status::IOError("disk went away");
          *out += "piece " + std::to_string((*n)++) + "\n";
          *done = *n == 5;
          return gnomon::Status::OK();
        };
      };
    };
    router.Handle({"GET"}, "/stream", Access::kRead, streamer(-1));
    router.Handle({"GET"}, "/stream-fail", Access::kRead, streamer(2));
    router.Handle({"POST"}, "/ingest", Access::kWrite, [](const Request&, Response& r) { r.status = 204; });
    router.Handle({"POST"}, "/admin", Access::kAdmin, [](const Request&, Response& r) { r.status = 204; });
    router.Handle({"GET"}, "/throw", Access::kRead,
                  [](const Request&, Response&) { throw std::runtime_error("boom"); });
    options.listen = "127.0.0.1:0";
    auto started =
        HttpServer::Start(options, &router, [this](const std::string& route, int status, double, size_t bytes) {
          std::lock_guard<std::mutex> lock(mu);
          observed.push_back({route, status, bytes});
        });
    REQUIRE(started.ok());
    server = std::move(started.value());
  }
  uint16_t port() const { return server->port(); }
};

std::string Get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n";
}
std::string Post(const std::string& path, const std::string& body, const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
         "\r\n" + body;
}

}  // namespace

TEST_CASE("ParseQueryString decodes escapes, plus signs and keeps repeated keys in order") {
  Params p = gnomon::http::ParseQueryString("a=1&b=x%20y&a=2&c=a+b&d=%zz&e&&f=%41%6a&g=100%");
  REQUIRE(p.size() == 8);
  CHECK(p[0] == std::pair<std::string, std::string>("a", "1"));
  CHECK(p[1] == std::pair<std::string, std::string>("b", "x y"));
  CHECK(p[2] == std::pair<std::string, std::string>("a", "2"));
  CHECK(p[3] == std::pair<std::string, std::string>("c", "a b"));
  CHECK(p[4] == std::pair<std::string, std::string>("d", "%zz"));
  CHECK(p[5] == std::pair<std::string, std::string>("e", ""));
  CHECK(p[6] == std::pair<std::string, std::string>("f", "Aj"));
  CHECK(p[7] == std::pair<std::string, std::string>("g", "100%"));
  CHECK(gnomon::http::ParseQueryString("").empty());
  Params q = gnomon::http::ParseQueryString("query=up%7Bjob%3D%22a%22%7D");
  REQUIRE(q.size() == 1);
  CHECK(q[0].second == "up{job=\"a\"}");
}

TEST_CASE("Request::Header is case-insensitive and Params() merges a form body") {
  Request r;
  r.method = "POST";
  r.query = "a=1";
  r.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = "b=2+3&a=4";
  CHECK(r.Header("Content-Type") == "application/x-www-form-urlencoded; charset=utf-8");
  CHECK(r.Header("missing").empty());
  Params p = r.Params();
  REQUIRE(p.size() == 3);
  CHECK(p[0].second == "1");
  CHECK(p[1] == std::pair<std::string, std::string>("b", "2 3"));
  CHECK(p[2] == std::pair<std::string, std::string>("a", "4"));
  r.headers = {{"content-type", "text/plain"}};
  CHECK(r.Params().size() == 1);
}

TEST_CASE("Body decoder: gzip, zlib, raw deflate, bounds, corruption") {
  using gnomon::http::BodyEncoding;
  using gnomon::http::DecodeOutcome;
  std::string text(100000, 'x');
  for (size_t i = 0; i < text.size(); i += 7) text[i] = static_cast<char>('a' + i % 26);
  std::string err;
  std::string body = Gzip(text);
  CHECK(gnomon::http::DecodeBody(BodyEncoding::kGzip, body, 1 << 20, &err) == DecodeOutcome::kOk);
  CHECK(body == text);
  body = gnomon::testing::Compress(text, 15);  // zlib
  CHECK(gnomon::http::DecodeBody(BodyEncoding::kDeflate, body, 1 << 20, &err) == DecodeOutcome::kOk);
  CHECK(body == text);
  body = gnomon::testing::Compress(text, -15);  // raw deflate
  CHECK(gnomon::http::DecodeBody(BodyEncoding::kDeflate, body, 1 << 20, &err) == DecodeOutcome::kOk);
  CHECK(body == text);
  body = Gzip(text);
  CHECK(gnomon::http::DecodeBody(BodyEncoding::kGzip, body, text.size() - 1, &err) == DecodeOutcome::kTooLarge);
  body = Gzip(text);
  CHECK(gnomon::http::DecodeBody(BodyEncoding::kGzip, body, text.size(), &err) == DecodeOutcome::kOk);
  body = Gzip(text).substr(0, 100);
  CHECK(gnomon::http::DecodeBody(BodyEncoding::kGzip, body, 1 << 20, &err) == DecodeOutcome::kCorrupt);
  body = "not compressed at all";
  CHECK(gnomon::http::DecodeBody(BodyEncoding::kGzip, body, 1 << 20, &err) == DecodeOutcome::kCorrupt);
  CHECK(gnomon::http::ClassifyEncoding("GZIP") == BodyEncoding::kGzip);
  CHECK(gnomon::http::ClassifyEncoding(" identity ") == BodyEncoding::kIdentity);
  CHECK(gnomon::http::ClassifyEncoding("snappy") == BodyEncoding::kPassThrough);
  CHECK(gnomon::http::ClassifyEncoding("br") == BodyEncoding::kUnsupported);
}

TEST_CASE("Response head: status line, Date, framing headers owned by the server") {
  Response r;
  r.status = 503;
  r.body = "busy";
  r.SetHeader("Retry-After", "1");
  r.SetHeader("Content-Length", "999");  // the server frames the message itself
  std::string head;
  FormatResponseHead(r, true, 784111777, &head);  // 1994-11-06 08:49:37 UTC
  CHECK(head ==
        "HTTP/1.1 503 Service Unavailable\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\nRetry-After: 1\r\n"
        "Connection: close\r\n\r\n");
  r = Response();
  r.status = 204;
  FormatResponseHead(r, false, 0, &head);
  CHECK(head == "HTTP/1.1 204 No Content\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n");
  CHECK(JsonErrorBody("bad_data", "line 3: \"x\"\n") ==
        R"({"status":"error","errorType":"bad_data","error":"line 3: \"x\"\n"})");
}

TEST_CASE("Simple GET, 404, 405, prefix routes, URL decoding, handler exceptions") {
  Fixture f;
  Client c(f.port());
  REQUIRE(c.connected());
  RawResponse r;
  REQUIRE(c.Send(Get("/hello")));
  REQUIRE(c.Read(&r));
  CHECK(r.status_line == "HTTP/1.1 200 OK");
  CHECK(r.body == "hello");
  CHECK(r.Header("content-type") == "text/plain; charset=utf-8");
  CHECK(!r.HasHeader("connection"));
  // RFC 9110 IMF-fixdate, e.g. "Wed, 25 Nov 2026 07:30:00 GMT".
  const std::string date = r.Header("date");
  CHECK(date.size() == 29);
  CHECK(date.substr(25) == " GMT");

  REQUIRE(c.Send(Get("/nope")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 404);
  CHECK(r.body.find("not found") != std::string::npos);

  REQUIRE(c.Send(Post("/hello", "x")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 405);
  CHECK(r.Header("allow") == "GET");

  REQUIRE(c.Send(Get("/api/v1/label/job/values")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 200);
  CHECK(r.body == "label:/api/v1/label/job/values");

  REQUIRE(c.Send(Get("/pa%74h?x=%20y")));
  REQUIRE(c.Read(&r));
  CHECK(r.body == "/path|x=%20y");

  REQUIRE(c.Send(Get("/throw")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 500);

  // Still alive after all of that.
  REQUIRE(c.Send(Get("/hello")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 200);
  CHECK(f.server->open_connections() == 1);
  CHECK(f.server->address() == "127.0.0.1:" + std::to_string(f.port()));
}

TEST_CASE("Keep-alive: several requests on one connection; Connection: close and HTTP/1.0 close") {
  Fixture f;
  {
    Client c(f.port());
    RawResponse r;
    for (int i = 0; i < 5; ++i) {
      std::string body = "body-" + std::to_string(i);
      REQUIRE(c.Send(Post("/echo", body)));
      REQUIRE(c.Read(&r));
      CHECK(r.status == 200);
      CHECK(r.body == body);
      CHECK(r.Header("x-method") == "POST");
    }
    REQUIRE(c.Send(Get("/hello", "Connection: close\r\n")));
    REQUIRE(c.Read(&r));
    CHECK(r.body == "hello");
    CHECK(r.Header("connection") == "close");
    CHECK(c.ClosedByPeer());
  }
  {
    Client c(f.port());
    RawResponse r;
    REQUIRE(c.Send("GET /hello HTTP/1.0\r\n\r\n"));
    REQUIRE(c.Read(&r));
    CHECK(r.body == "hello");
    CHECK(c.ClosedByPeer());
  }
  {
    Client c(f.port());
    RawResponse r;
    REQUIRE(c.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    REQUIRE(c.Read(&r));
    REQUIRE(c.Send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    REQUIRE(c.Read(&r));
    CHECK(r.body == "ok");
  }
  // The observer runs once the response is written, possibly just after the client read it.
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> lock(f.mu);
      if (f.observed.size() >= 9) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::lock_guard<std::mutex> lock(f.mu);
  REQUIRE(f.observed.size() == 9);
  CHECK(f.observed[0].route == "/echo");
  CHECK(f.observed[0].status == 200);
  CHECK(f.observed[0].body_bytes == 6);
}

TEST_CASE("Pipelining: three requests in one write are answered in order") {
  Fixture f;
  Client c(f.port());
  std::string batch = Post("/echo", "first") + Get("/slow") + Post("/echo", "third");
  REQUIRE(c.Send(batch));
  RawResponse r;
  REQUIRE(c.Read(&r));
  CHECK(r.body == "first");
  REQUIRE(c.Read(&r));
  CHECK(r.body == "slow done");
  REQUIRE(c.Read(&r));
  CHECK(r.body == "third");

  // Many small pipelined requests, split at awkward places.
  std::string many;
  for (int i = 0; i < 50; ++i) many += Post("/echo", std::to_string(i));
  for (size_t i = 0; i < many.size(); i += 37) REQUIRE(c.Send(std::string_view(many).substr(i, 37)));
  for (int i = 0; i < 50; ++i) {
    REQUIRE(c.Read(&r));
    CHECK(r.body == std::to_string(i));
  }
}

TEST_CASE("Chunked request body is reassembled") {
  Fixture f;
  Client c(f.port());
  REQUIRE(
      c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n1;ext=1\r\n \r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(c.Send("5\r\nworld\r\n0\r\n\r\n"));
  RawResponse r;
  REQUIRE(c.Read(&r));
  CHECK(r.status == 200);
  CHECK(r.body == "hello world");
  REQUIRE(c.Send(Get("/hello")));
  REQUIRE(c.Read(&r));
  CHECK(r.body == "hello");
}

TEST_CASE("gzip and deflate bodies are decoded before the handler; snappy is passed through") {
  Fixture f;
  Client c(f.port());
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "cpu,host=h" + std::to_string(i % 10) + " usage=" + std::to_string(i) + "\n";
  RawResponse r;
  REQUIRE(c.Send(Post("/echo", Gzip(text), "Content-Encoding: gzip\r\n")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 200);
  CHECK(r.body == text);
  REQUIRE(c.Send(Post("/echo", gnomon::testing::Compress(text, 15), "Content-Encoding: deflate\r\n")));
  REQUIRE(c.Read(&r));
  CHECK(r.body == text);
  REQUIRE(c.Send(Post("/echo", "raw-snappy-bytes", "Content-Encoding: snappy\r\n")));
  REQUIRE(c.Read(&r));
  CHECK(r.body == "raw-snappy-bytes");
  CHECK(r.Header("x-encoding") == "snappy");
  REQUIRE(c.Send(Post("/echo", "garbage", "Content-Encoding: gzip\r\n")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 400);
}

TEST_CASE("Whole text and JSON responses are gzipped for a client that accepts it") {
  using gnomon::http::AcceptsGzip;
  using gnomon::http::BodyEncoding;
  using gnomon::http::DecodeBody;
  using gnomon::http::DecodeOutcome;
  Fixture f;
  Client c(f.port());
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i) + "\n";
  RawResponse r;
  REQUIRE(c.Send(Post("/echo", text, "Accept-Encoding: br, gzip;q=0.8\r\n")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 200);
  CHECK(r.Header("content-encoding") == "gzip");
  CHECK(r.body.size() < text.size() / 2);
  std::string error;
  REQUIRE(DecodeBody(BodyEncoding::kGzip, r.body, 1 << 20, &error) == DecodeOutcome::kOk);
  CHECK(r.body == text);
  for (const char* refuse : {"", "Accept-Encoding: gzip;q=0\r\n", "Accept-Encoding: br\r\n"}) {
    REQUIRE(c.Send(Post("/echo", text, refuse)));
    REQUIRE(c.Read(&r));
    CHECK(r.Header("content-encoding").empty());
    CHECK(r.body == text);
  }
  REQUIRE(c.Send(Post("/echo", "short", "Accept-Encoding: gzip\r\n")));  // too small to bother
  REQUIRE(c.Read(&r));
  CHECK(r.body == "short");
  CHECK(AcceptsGzip("gzip"));
  CHECK(AcceptsGzip("deflate, GZIP;q=1.0"));
  CHECK(AcceptsGzip("x-gzip"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0"));
  CHECK_FALSE(AcceptsGzip("gzip; q=0.0"));
  CHECK_FALSE(AcceptsGzip("identity"));
}

TEST_CASE("Unknown Content-Encoding gets 415") {
  Fixture f;
  Client c(f.port());
  REQUIRE(c.Send(Post("/echo", "abc", "Content-Encoding: br\r\n")));
  RawResponse r;
  REQUIRE(c.Read(&r));
  CHECK(r.status == 415);
  CHECK(r.body.find("unsupported Content-Encoding") != std::string::npos);
}

TEST_CASE("Expect: 100-continue gets an interim response before the body is sent") {
  Fixture f;
  Client c(f.port());
  std::string body(5000, 'b');
  REQUIRE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
  RawResponse r;
  REQUIRE(c.Read(&r));
  CHECK(r.status == 100);
  REQUIRE(c.Send(body));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 200);
  CHECK(r.body == body);
}

TEST_CASE("Body limit: 413 by Content-Length, by chunked accumulation and after decompression") {
  ServerOptions options;
  options.max_body_bytes = 1000;
  Fixture f(options);
  RawResponse r;
  {
    Client c(f.port());
    REQUIRE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(2000, 'x')));
    REQUIRE(c.Read(&r));
    CHECK(r.status == 413);
    CHECK(r.Header("connection") == "close");
    CHECK(c.ClosedByPeer());
  }
  {
    Client c(f.port());
    std::string chunked = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) chunked += "190\r\n" + std::string(400, 'y') + "\r\n";
    chunked += "0\r\n\r\n";
    REQUIRE(c.Send(chunked));
    REQUIRE(c.Read(&r));
    CHECK(r.status == 413);
  }
  {
    Client c(f.port());
    REQUIRE(c.Send(Post("/echo", Gzip(std::string(5000, 'z')), "Content-Encoding: gzip\r\n")));
    REQUIRE(c.Read(&r));
    CHECK(r.status == 413);
  }
  {
    Client c(f.port());  // exactly at the limit is fine
    REQUIRE(c.Send(Post("/echo", std::string(1000, 'k'))));
    REQUIRE(c.Read(&r));
    CHECK(r.status == 200);
    CHECK(r.body.size() == 1000);
  }
}

TEST_CASE("Header limit: 431 and close") {
  ServerOptions options;
  options.max_header_bytes = 1024;
  Fixture f(options);
  Client c(f.port());
  REQUIRE(c.Send(Get("/hello", "X-Big: " + std::string(4000, 'h') + "\r\n")));
  RawResponse r;
  REQUIRE(c.Read(&r));
  CHECK(r.status == 431);
  CHECK(c.ClosedByPeer());
}

TEST_CASE("Malformed requests get 400 and the connection is closed") {
  Fixture f;
  const char* inputs[] = {"GARBAGE\r\n\r\n", "GET / HTTP/9.Z\r\n\r\n", "GET /hello HTTP/1.1\r\nBad Header\r\n\r\n",
                          "POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                          "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"};
  for (const char* input : inputs) {
    CAPTURE(input);
    Client c(f.port());
    REQUIRE(c.Send(input));
    RawResponse r;
    REQUIRE(c.Read(&r));
    CHECK(r.status == 400);
    CHECK(r.body.find("malformed request") != std::string::npos);
    CHECK(c.ClosedByPeer());
  }
  // Binary noise never crashes the server.
  for (int round = 0; round < 20; ++round) {
    Client c(f.port(), 2000);
    std::string noise;
    for (int i = 0; i < 300; ++i) noise += static_cast<char>((round * 131 + i * 17) & 0xff);
    c.Send(noise);
  }
  Client c(f.port());
  REQUIRE(c.Send(Get("/hello")));
  RawResponse r;
  REQUIRE(c.Read(&r));
  CHECK(r.body == "hello");
}

TEST_CASE("Bearer auth: 401 without or with a wrong token, 200 with it, public paths open") {
  ServerOptions options;
  options.auth_token = "s3cret";
  Fixture f(options);
  Client c(f.port());
  RawResponse r;
  REQUIRE(c.Send(Get("/hello")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 401);
  CHECK(r.Header("www-authenticate") == "Bearer");
  CHECK(r.body.find(R"("errorType":"unauthorized")") != std::string::npos);
  REQUIRE(c.Send(Get("/hello", "Authorization: Bearer s3creT\r\n")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 401);
  REQUIRE(c.Send(Get("/hello", "Authorization: Bearer s3cret\r\n")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 200);
  CHECK(r.body == "hello");
  REQUIRE(c.Send(Get("/health")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 200);
  // With Expect: 100-continue the refusal comes before the body.
  Client d(f.port());
  REQUIRE(d.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
  REQUIRE(d.Read(&r));
  CHECK(r.status == 401);
}

TEST_CASE("HEAD gets headers only") {
  Fixture f;
  Client c(f.port());
  REQUIRE(c.Send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawResponse r;
  REQUIRE(c.Read(&r, /*head_request=*/true));
  CHECK(r.status == 200);
  CHECK(r.Header("content-length") == "5");
  REQUIRE(c.Send(Get("/hello")));  // the next response starts right after the head
  REQUIRE(c.Read(&r));
  CHECK(r.status == 200);
  CHECK(r.body == "hello");
}

TEST_CASE("Read timeout: a half-sent request gets 408 and close; idle connections are closed") {
  ServerOptions options;
  options.read_timeout_ms = 300;
  options.idle_timeout_ms = 400;
  Fixture f(options);
  {
    Client c(f.port(), 3000);
    auto start = std::chrono::steady_clock::now();
    REQUIRE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part"));
    RawResponse r;
    REQUIRE(c.Read(&r));
    CHECK(r.status == 408);
    CHECK(c.ClosedByPeer());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2000));
  }
  {
    Client c(f.port(), 3000);
    RawResponse r;
    REQUIRE(c.Send(Get("/hello")));
    REQUIRE(c.Read(&r));
    auto start = std::chrono::steady_clock::now();
    CHECK(c.ClosedByPeer());
    auto waited = std::chrono::steady_clock::now() - start;
    CHECK(waited >= std::chrono::milliseconds(250));
    CHECK(waited < std::chrono::milliseconds(2000));
  }
}

TEST_CASE("Connections beyond max_connections are refused at once") {
  ServerOptions options;
  options.max_connections = 2;
  Fixture f(options);
  Client a(f.port());
  Client b(f.port());
  RawResponse r;
  REQUIRE(a.Send(Get("/hello")));
  REQUIRE(a.Read(&r));
  REQUIRE(b.Send(Get("/hello")));
  REQUIRE(b.Read(&r));
  CHECK(f.server->open_connections() == 2);
  Client c(f.port());
  REQUIRE(c.connected());  // the kernel accepts; the server answers 503 and closes
  if (c.Read(&r)) {
    CHECK(r.status == 503);
    CHECK(c.ClosedByPeer());
  } else {
    CHECK(!c.Readable(0));  // Read returned false because of EOF/reset, not a timeout
  }
  // Freeing a slot lets a new connection in.
  REQUIRE(a.Send(Get("/hello", "Connection: close\r\n")));
  REQUIRE(a.Read(&r));
  CHECK(a.ClosedByPeer());
  for (int i = 0; i < 100 && f.server->open_connections() != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Client d(f.port());
  REQUIRE(d.Send(Get("/hello")));
  REQUIRE(d.Read(&r));
  CHECK(r.status == 200);
}

TEST_CASE("Stop() lets a running request finish and closes idle connections") {
  Fixture f;
  Client idle(f.port());
  RawResponse r;
  REQUIRE(idle.Send(Get("/hello")));
  REQUIRE(idle.Read(&r));
  Client busy(f.port());
  REQUIRE(busy.Send(Get("/slow")));
  for (int i = 0; i < 200 && f.slow_started == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(f.slow_started == 1);
  auto start = std::chrono::steady_clock::now();
  f.server->Stop();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  REQUIRE(busy.Read(&r));
  CHECK(r.status == 200);
  CHECK(r.body == "slow done");
  CHECK(r.Header("connection") == "close");
  CHECK(idle.ClosedByPeer());
  CHECK(f.server->open_connections() == 0);
  f.server->Stop();  // idempotent
  Client late(f.port(), 500);
  CHECK((!late.connected() || !late.Send(Get("/hello")) || !late.Read(&r)));
}

TEST_CASE("Large bodies over keep-alive connections") {
  Fixture f;
  std::string line = "weather,location=us-midwest,season=summer temperature=82,humidity=71.5 1465839830100400200\n";
  std::string body;
  while (body.size() < (4 << 20)) body += line;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      Client c(f.port(), 20000);
      RawResponse r;
      for (int i = 0; i < 5; ++i) {
        if (!c.Send(Post("/echo", body))) return;
        if (!c.Read(&r)) return;
        if (r.status == 200 && r.body == body) ok++;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 10);
  MESSAGE("10 x 4 MiB echoed in " << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
                                  << " s");
}

TEST_CASE("Start fails cleanly on a bad listen address") {
  Router router;
  ServerOptions options;
  options.listen = "no-port";
  CHECK(!HttpServer::Start(options, &router).ok());
  options.listen = "127.0.0.1:99999";
  CHECK(!HttpServer::Start(options, &router).ok());
  Fixture f;
  options.listen = "127.0.0.1:" + std::to_string(f.port());  // already in use
  auto again = HttpServer::Start(options, &router);
  CHECK(!again.ok());
}

TEST_CASE("Streamed responses: chunked pieces in order, collected for HTTP/1.0, cut short on error") {
  Fixture f;
  const std::string want = "first\npiece 0\npiece 1\npiece 2\npiece 3\npiece 4\n";
  Client c(f.port());
  RawResponse r;
  REQUIRE(c.Send(Get("/stream")));
  REQUIRE(c.Read(&r));
  CHECK(r.status == 200);
  CHECK(r.Header("transfer-encoding") == "chunked");
  CHECK_FALSE(r.HasHeader("content-length"));
  CHECK(r.body == want);
  CHECK(r.chunks == 6);
  // The connection stays usable after a streamed response.
  REQUIRE(c.Send(Get("/hello")));
  REQUIRE(c.Read(&r));
  CHECK(r.body == "hello");
  // HEAD: the head only, the stream is never pulled.
  REQUIRE(c.Send("HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(c.Read(&r, /*head_request=*/true));
  CHECK(r.status == 200);
  CHECK(r.Header("transfer-encoding") == "chunked");
  CHECK_FALSE(r.HasHeader("content-length"));
  REQUIRE(c.Send(Get("/hello")));
  REQUIRE(c.Read(&r));
  CHECK(r.body == "hello");

  Client old(f.port());
  REQUIRE(old.Send("GET /stream HTTP/1.0\r\nHost: x\r\n\r\n"));
  REQUIRE(old.Read(&r));
  CHECK(r.status == 200);
  CHECK(r.Header("content-length") == std::to_string(want.size()));
  CHECK(r.body == want);

  Client failing(f.port());
  REQUIRE(failing.Send(Get("/stream-fail")));
  CHECK_FALSE(failing.Read(&r));  // the connection closes before the last chunk
  CHECK(r.status == 200);
  CHECK(r.body == "first\npiece 0\npiece 1\n");
  Client old_failing(f.port());
  REQUIRE(old_failing.Send("GET /stream-fail HTTP/1.0\r\nHost: x\r\n\r\n"));
  REQUIRE(old_failing.Read(&r));
  CHECK(r.status == 500);
  CHECK(r.body.find("disk went away") != std::string::npos);
}

TEST_CASE("Access levels: each token reaches the routes its role allows, public routes need none") {
  ServerOptions options;
  options.auth_token = "root";  // admin
  options.tokens = {{"reader", Access::kRead}, {"writer", Access::kWrite}};
  Fixture f(options);
  struct Case {
    std::string request_line;
    std::string token;
    int status;
  };
  const Case cases[] = {
      {"GET /health", "", 200},        {"GET /hello", "", 401},         {"GET /hello", "nope", 401},
      {"GET /hello", "reader", 200},   {"GET /hello", "writer", 200},   {"GET /hello", "root", 200},
      {"POST /ingest", "reader", 403}, {"POST /ingest", "writer", 204}, {"POST /ingest", "root", 204},
      {"POST /admin", "reader", 403},  {"POST /admin", "writer", 403},  {"POST /admin", "root", 204},
      {"GET /nope", "", 401},          {"GET /nope", "reader", 404},
  };
  for (const Case& k : cases) {
    CAPTURE(k.request_line);
    CAPTURE(k.token);
    Client c(f.port());
    std::string req = k.request_line + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n";
    if (!k.token.empty()) req += "Authorization: Bearer " + k.token + "\r\n";
    REQUIRE(c.Send(req + "\r\n"));
    RawResponse r;
    REQUIRE(c.Read(&r));
    CHECK(r.status == k.status);
    if (k.status == 403) CHECK(r.body.find(R"("errorType":"forbidden")") != std::string::npos);
  }
  // A refusal with Expect: 100-continue comes before the body, for 403 too.
  Client d(f.port());
  REQUIRE(
      d.Send("POST /admin HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n"
             "Authorization: Bearer writer\r\n\r\n"));
  RawResponse r;
  REQUIRE(d.Read(&r));
  CHECK(r.status == 403);
}
