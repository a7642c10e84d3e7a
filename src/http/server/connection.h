// Connection: one accepted TCP connection of the HTTP server.
//
// Every operation of a connection (reads, writes, its timer, Shutdown) runs on the connection's
// strand, so the object needs no lock. Bytes are read into a large buffer and fed to http_parser;
// when a message completes the parser is paused, the request is handled on the current worker
// thread, the response is written, and only then is the parser resumed on the bytes that remain
// (pipelined requests), so responses leave strictly in request order.
//
// Life cycle: idle (waiting for the first byte of a request, idle timeout) -> reading (read
// timeout) -> processing (handler, no timeout) -> writing (read timeout as write timeout) -> idle,
// or -> lingering close (send side shut, unread input drained briefly so the client sees the last
// response rather than a reset) -> closed.
#pragma once

// A libstdc++ header must come before <asio.hpp>: asio's config decides between aligned_alloc/free
// and operator new/delete from libstdc++'s macros, and translation units that disagree would mix
// the two (an ODR violation that ASan reports as alloc-dealloc-mismatch).
#include <atomic>

#include <http_parser.h>

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "http/server/http_server.h"
#include "http/server/request.h"
#include "http/server/router.h"

namespace gnomon::http {

class Connection;

// State shared by the server and its connections.
struct ServerContext {
  ServerOptions options;
  const Router* router = nullptr;
  RequestObserver observer;
  std::atomic<bool> stopping{false};

  std::mutex mu;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;  // guarded by mu
  std::atomic<size_t> open_connections{0};

  void Remove(Connection* connection);
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `socket`'s executor must be a strand: every handler of this connection runs on it.
  Connection(ServerContext* context, asio::ip::tcp::socket socket);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading (posted to the strand).
  void Start();
  // Server stop: closes the connection now if idle; otherwise it closes after its current response.
  void RequestShutdown();

 private:
  enum class TimerKind { kIdle, kRead, kWrite, kLinger };

  static const http_parser_settings kSettings;
  static int OnMessageBegin(http_parser* parser);
  static int OnUrl(http_parser* parser, const char* at, size_t length);
  static int OnHeaderField(http_parser* parser, const char* at, size_t length);
  static int OnHeaderValue(http_parser* parser, const char* at, size_t length);
  static int OnHeadersComplete(http_parser* parser);
  static int OnBody(http_parser* parser, const char* at, size_t length);
  static int OnMessageComplete(http_parser* parser);

  bool AddHeaderBytes(size_t n);  // false (and sets the early error) when over the limit
  void CommitHeader();
  int HeadersComplete();
  void Reject(int status, std::string error_type, std::string message);

  void DoRead();
  void OnRead(const asio::error_code& ec, size_t n);
  void Feed();
  void HandleRequest();
  // 0 if the request may use `access`, else 401 (no valid token) or 403 (token grants less).
  int Authorize(Access access) const;
  // The access the request's route needs (kRead for unknown paths).
  Access RequiredAccess() const;
  void SendError(int status, const std::string& error_type, const std::string& message, bool close,
                 bool observe = true);
  void SendResponse(bool close);
  // Gzips a whole JSON or text body of at least kCompressMinBytes when the client accepts it.
  void MaybeCompress(bool send_body);
  static constexpr size_t kCompressMinBytes = 4096;
  // Streamed responses: pulls the next piece of response_.stream and writes it as a chunk.
  void WriteNextChunk();
  void OnChunkWritten(const asio::error_code& ec);
  void OnWritten(const asio::error_code& ec);
  void ResetMessage();
  void ArmTimer(TimerKind kind, int64_t ms);
  void CancelTimer();
  void OnTimer(uint64_t generation, const asio::error_code& ec);
  void LingerClose();
  void Close();

  ServerContext* context_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  uint64_t timer_generation_ = 0;
  TimerKind timer_kind_ = TimerKind::kIdle;
  std::string remote_address_;

  http_parser parser_;
  std::unique_ptr<char[]> buffer_;
  size_t buffer_pos_ = 0;  // next byte to feed to the parser
  size_t buffer_len_ = 0;  // bytes in the buffer

  // The request being parsed.
  Request request_;
  std::string header_field_;
  std::string header_value_;
  bool last_was_value_ = false;
  size_t header_bytes_ = 0;
  bool in_message_ = false;  // a request has started and is not complete
  bool headers_done_ = false;
  bool message_complete_ = false;
  bool expect_continue_ = false;
  bool continue_sent_ = false;
  size_t wire_body_bytes_ = 0;
  int early_status_ = 0;  // a rejection decided inside a parser callback
  std::string early_type_;
  std::string early_message_;

  // The response being written.
  Response response_;
  std::string response_head_;
  std::string chunk_;       // the chunk being written (streamed responses)
  bool streaming_ = false;  // response_.stream is being sent
  std::string route_;
  bool close_after_write_ = false;
  bool observe_ = false;
  std::chrono::steady_clock::time_point started_;

  bool reading_ = false;     // an async read is outstanding
  bool processing_ = false;  // a request is being handled or its response written
  bool writing_ = false;
  bool lingering_ = false;
  bool closing_ = false;  // a final response is on its way; ignore further reads
  bool closed_ = false;
};

}  // namespace gnomon::http
