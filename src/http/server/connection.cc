#include "http/server/connection.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "http/server/body_decoder.h"
#include "http/server/response_head.h"
#include "util/gzip.h"
#include "util/strings.h"

namespace gnomon::http {
namespace {

constexpr size_t kReadBufferBytes = 256 << 10;
constexpr int64_t kLingerMs = 1000;
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

// Compares in time independent of where the strings differ (the length still shows).
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

Connection* Self(http_parser* parser) { return static_cast<Connection*>(parser->data); }

}  // namespace

void ServerContext::Remove(Connection* connection) {
  std::shared_ptr<Connection> keep;  // destroyed outside the lock
  std::lock_guard<std::mutex> lock(mu);
  auto it = connections.find(connection);
  if (it == connections.end()) return;
  keep = std::move(it->second);
  connections.erase(it);
  open_connections.fetch_sub(1);
}

const http_parser_settings Connection::kSettings = [] {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_message_begin = &Connection::OnMessageBegin;
  s.on_url = &Connection::OnUrl;
  s.on_header_field = &Connection::OnHeaderField;
  s.on_header_value = &Connection::OnHeaderValue;
  s.on_headers_complete = &Connection::OnHeadersComplete;
  s.on_body = &Connection::OnBody;
  s.on_message_complete = &Connection::OnMessageComplete;
  return s;
}();

Connection::Connection(ServerContext* context, asio::ip::tcp::socket socket)
    : context_(context), socket_(std::move(socket)), timer_(socket_.get_executor()) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  asio::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) {
    remote_address_ =
        endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]" : endpoint.address().to_string();
    remote_address_ += ":" + std::to_string(endpoint.port());
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

void Connection::Start() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->buffer_.reset(new char[kReadBufferBytes]);  // not zeroed: pages are touched only when used
    self->ResetMessage();
    self->DoRead();
  });
}

void Connection::RequestShutdown() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->closed_) return;
    // In the middle of a request (reading, handling, writing): it completes, then the connection
    // closes because the server is stopping. Idle: close now.
    if (!self->in_message_ && !self->processing_ && !self->lingering_ && !self->closing_ &&
        self->buffer_pos_ >= self->buffer_len_) {
      self->Close();
    }
  });
}

// ---- parser callbacks ------------------------------------------------------------------------

int Connection::OnMessageBegin(http_parser* parser) {
  Connection* c = Self(parser);
  c->in_message_ = true;
  c->ArmTimer(TimerKind::kRead, c->context_->options.read_timeout_ms);
  return 0;
}

bool Connection::AddHeaderBytes(size_t n) {
  header_bytes_ += n;
  if (header_bytes_ > context_->options.max_header_bytes) {
    Reject(431, "bad_data", "request header fields too large");
    return false;
  }
  return true;
}

int Connection::OnUrl(http_parser* parser, const char* at, size_t length) {
  Connection* c = Self(parser);
  if (!c->AddHeaderBytes(length)) return -1;
  c->request_.target.append(at, length);
  return 0;
}

void Connection::CommitHeader() {
  if (header_field_.empty()) return;
  for (char& ch : header_field_) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  request_.headers.emplace_back(std::move(header_field_), std::move(header_value_));
  header_field_.clear();
  header_value_.clear();
}

int Connection::OnHeaderField(http_parser* parser, const char* at, size_t length) {
  Connection* c = Self(parser);
  if (!c->AddHeaderBytes(length + 4)) return -1;  // 4: ": " and CRLF, roughly
  if (c->last_was_value_) {
    c->CommitHeader();
    c->last_was_value_ = false;
  }
  c->header_field_.append(at, length);
  return 0;
}

int Connection::OnHeaderValue(http_parser* parser, const char* at, size_t length) {
  Connection* c = Self(parser);
  if (!c->AddHeaderBytes(length)) return -1;
  c->header_value_.append(at, length);
  c->last_was_value_ = true;
  return 0;
}

int Connection::OnHeadersComplete(http_parser* parser) { return Self(parser)->HeadersComplete(); }

void Connection::Reject(int status, std::string error_type, std::string message) {
  early_status_ = status;
  early_type_ = std::move(error_type);
  early_message_ = std::move(message);
}

int Connection::HeadersComplete() {
  CommitHeader();
  last_was_value_ = false;
  headers_done_ = true;
  request_.method = http_method_str(static_cast<http_method>(parser_.method));

  // Target: origin form "/path?query", or absolute form "http://host/path?query".
  std::string_view target = request_.target;
  if (!target.empty() && target.front() != '/' && target.front() != '*') {
    size_t scheme = target.find("://");
    if (scheme != std::string_view::npos) {
      size_t slash = target.find('/', scheme + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  size_t fragment = target.find('#');
  if (fragment != std::string_view::npos) target = target.substr(0, fragment);
  size_t question = target.find('?');
  if (question == std::string_view::npos) {
    request_.path = UrlDecodePath(target);
  } else {
    request_.path = UrlDecodePath(target.substr(0, question));
    request_.query = std::string(target.substr(question + 1));
  }
  request_.remote_address = remote_address_;

  const ServerOptions& options = context_->options;
  bool has_body =
      (parser_.flags & F_CHUNKED) != 0 || ((parser_.flags & F_CONTENTLENGTH) != 0 && parser_.content_length > 0);
  if ((parser_.flags & F_CHUNKED) == 0 && (parser_.flags & F_CONTENTLENGTH) != 0) {
    if (parser_.content_length > options.max_body_bytes) {
      Reject(413, "bad_data",
             "request body of " + std::to_string(parser_.content_length) + " bytes exceeds the limit of " +
                 std::to_string(options.max_body_bytes));
      return -1;
    }
    request_.body.reserve(static_cast<size_t>(parser_.content_length));
  }
  if (ClassifyEncoding(request_.Header("content-encoding")) == BodyEncoding::kUnsupported) {
    Reject(415, "bad_data",
           "unsupported Content-Encoding \"" + std::string(request_.Header("content-encoding")) + "\"");
    return -1;
  }
  expect_continue_ = has_body && parser_.http_major == 1 && parser_.http_minor >= 1 &&
                     EqualsIgnoreCase(request_.Header("expect"), "100-continue");
  if (expect_continue_) {
    // Refuse before the client sends the body.
    Access access = RequiredAccess();
    int refused = Authorize(access);
    if (refused == 401) {
      Reject(401, "unauthorized", "missing or invalid bearer token");
      return -1;
    }
    if (refused == 403) {
      Reject(403, "forbidden", "the bearer token does not grant " + std::string(AccessName(access)) + " access");
      return -1;
    }
  }
  return 0;
}

int Connection::OnBody(http_parser* parser, const char* at, size_t length) {
  Connection* c = Self(parser);
  size_t limit = c->context_->options.max_body_bytes;
  if (c->request_.body.size() + length > limit) {
    c->Reject(413, "bad_data", "request body exceeds the limit of " + std::to_string(limit) + " bytes");
    return -1;
  }
  c->request_.body.append(at, length);
  return 0;
}

int Connection::OnMessageComplete(http_parser* parser) {
  Connection* c = Self(parser);
  c->message_complete_ = true;
  // Stop here: the request is answered before the parser sees the next pipelined one.
  http_parser_pause(parser, 1);
  return 0;
}

// ---- reading and dispatch ------------------------------------------------------------------------

void Connection::DoRead() {
  if (closed_ || closing_) return;
  if (!in_message_) ArmTimer(TimerKind::kIdle, context_->options.idle_timeout_ms);
  buffer_pos_ = buffer_len_ = 0;
  reading_ = true;
  socket_.async_read_some(asio::buffer(buffer_.get(), kReadBufferBytes),
                          [self = shared_from_this()](const asio::error_code& ec, size_t n) { self->OnRead(ec, n); });
}

void Connection::OnRead(const asio::error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (lingering_) {
    // Draining after the final response: discard until the peer closes or the linger timer fires.
    if (ec) {
      Close();
      return;
    }
    socket_.async_read_some(asio::buffer(buffer_.get(), kReadBufferBytes),
                            [self = shared_from_this()](const asio::error_code& e, size_t m) { self->OnRead(e, m); });
    return;
  }
  if (closing_) return;
  if (ec) {
    Close();  // peer closed or reset; an unfinished request is abandoned
    return;
  }
  buffer_pos_ = 0;
  buffer_len_ = n;
  Feed();
}

void Connection::Feed() {
  while (buffer_pos_ < buffer_len_) {
    size_t before = buffer_pos_;
    size_t n = http_parser_execute(&parser_, &kSettings, buffer_.get() + buffer_pos_, buffer_len_ - buffer_pos_);
    buffer_pos_ += n;
    if (early_status_ != 0) {
      SendError(early_status_, early_type_, early_message_, /*close=*/true);
      return;
    }
    http_errno err = HTTP_PARSER_ERRNO(&parser_);
    if (err == HPE_PAUSED) {
      if (message_complete_) {
        HandleRequest();
        return;
      }
      http_parser_pause(&parser_, 0);  // not ours; cannot happen, but do not spin
      continue;
    }
    if (err != HPE_OK) {
      int status = err == HPE_HEADER_OVERFLOW ? 431 : 400;
      SendError(status, "bad_data", std::string("malformed request: ") + http_errno_description(err), true);
      return;
    }
    if (buffer_pos_ == before || parser_.upgrade) {
      // No progress without an error (an upgrade request that was not completed): refuse it.
      SendError(400, "bad_data", "malformed request: unsupported upgrade", true);
      return;
    }
  }
  // Everything buffered was consumed and the request (if any) is incomplete.
  if (expect_continue_ && !continue_sent_ && headers_done_ && !message_complete_ && request_.body.empty()) {
    continue_sent_ = true;
    writing_ = true;
    asio::async_write(socket_, asio::buffer(kContinue, sizeof(kContinue) - 1),
                      [self = shared_from_this()](const asio::error_code& ec, size_t) {
                        self->writing_ = false;
                        if (self->closed_ || self->closing_) return;
                        if (ec) {
                          self->Close();
                          return;
                        }
                        self->DoRead();
                      });
    return;
  }
  DoRead();
}

Access Connection::RequiredAccess() const {
  const Route* route = context_->router->Match(request_.path);
  return route == nullptr ? Access::kRead : route->access;
}

int Connection::Authorize(Access access) const {
  const ServerOptions& options = context_->options;
  if (options.auth_token.empty() && options.tokens.empty()) return 0;
  if (access == Access::kPublic) return 0;
  std::string_view value = request_.Header("authorization");
  constexpr std::string_view kBearer = "bearer ";
  if (value.size() < kBearer.size() || !EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) return 401;
  std::string_view token = value.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  // Every token is compared, so the time taken does not tell which one (nearly) matched.
  bool known = false;
  Access granted = Access::kPublic;
  if (!options.auth_token.empty() && ConstantTimeEquals(token, options.auth_token)) {
    known = true;
    granted = Access::kAdmin;
  }
  for (const AuthToken& t : options.tokens) {
    if (!t.token.empty() && ConstantTimeEquals(token, t.token)) {
      known = true;
      granted = std::max(granted, t.grants);
    }
  }
  if (!known) return 401;
  return granted >= access ? 0 : 403;
}

void Connection::HandleRequest() {
  CancelTimer();
  in_message_ = false;
  processing_ = true;
  started_ = std::chrono::steady_clock::now();
  wire_body_bytes_ = request_.body.size();
  const Route* route = context_->router->Match(request_.path, &request_.path_params);
  route_ = route == nullptr ? std::string() : route->pattern;
  const Access access = route == nullptr ? Access::kRead : route->access;
  bool keep_alive =
      http_should_keep_alive(&parser_) != 0 && !parser_.upgrade && !context_->stopping.load(std::memory_order_relaxed);

  BodyEncoding encoding = ClassifyEncoding(request_.Header("content-encoding"));
  std::string error;
  DecodeOutcome outcome = DecodeBody(encoding, request_.body, context_->options.max_body_bytes, &error);
  if (outcome == DecodeOutcome::kTooLarge) {
    SendError(
        413, "bad_data",
        "decompressed request body exceeds the limit of " + std::to_string(context_->options.max_body_bytes) + " bytes",
        true);
    return;
  }
  if (outcome == DecodeOutcome::kCorrupt) {
    SendError(400, "bad_data", error, !keep_alive);
    return;
  }
  if (int refused = Authorize(access); refused == 401) {
    SendError(401, "unauthorized", "missing or invalid bearer token", !keep_alive);
    return;
  } else if (refused == 403) {
    SendError(403, "forbidden", "the bearer token does not grant " + std::string(AccessName(access)) + " access",
              !keep_alive);
    return;
  }
  response_ = Response();
  context_->router->Serve(route, request_, response_);
  observe_ = true;
  SendResponse(!keep_alive);
}

// ---- writing -------------------------------------------------------------------------------------

void Connection::SendError(int status, const std::string& error_type, const std::string& message, bool close,
                           bool observe) {
  CancelTimer();
  if (!processing_) {
    processing_ = true;
    started_ = std::chrono::steady_clock::now();
    const Route* route = headers_done_ ? context_->router->Match(request_.path) : nullptr;
    route_ = route == nullptr ? std::string() : route->pattern;
  }
  in_message_ = false;
  response_ = Response();
  response_.status = status;
  response_.content_type = "application/json";
  response_.body = JsonErrorBody(error_type, message);
  if (status == 401) response_.SetHeader("WWW-Authenticate", "Bearer");
  observe_ = observe;
  SendResponse(close);
}

void Connection::SendResponse(bool close) {
  if (context_->stopping.load(std::memory_order_relaxed)) close = true;
  close_after_write_ = close;
  Response& r = response_;
  const bool send_body = !StatusHasNoBody(r.status) && request_.method != "HEAD";
  // HEAD of a streamed response: the head a GET would get (chunked, no length), no body.
  const bool head_of_stream = r.stream && request_.method == "HEAD" && !StatusHasNoBody(r.status);
  if (r.stream && !send_body) {
    r.stream = nullptr;
    r.body.clear();
  }
  if (r.stream && parser_.http_major == 1 && parser_.http_minor == 0) {
    // HTTP/1.0 has no chunked encoding: collect the pieces into one body.
    for (bool done = false; !done;) {
      Status s = r.stream(&r.body, &done);
      if (!s.ok()) {
        r = Response();
        r.status = 500;
        r.content_type = "application/json";
        r.body = JsonErrorBody("internal", s.ToString());
        break;
      }
    }
    r.stream = nullptr;
  }
  streaming_ = r.stream != nullptr;
  MaybeCompress(send_body);
  std::string& head = response_head_;
  FormatResponseHead(r, close, std::time(nullptr), &head, streaming_ || head_of_stream);
  writing_ = true;
  ArmTimer(TimerKind::kWrite, context_->options.read_timeout_ms);
  if (streaming_) {
    AppendChunk(r.body, &head);  // the body set by the handler is the first chunk
    r.body.clear();
    asio::async_write(socket_, asio::buffer(head),
                      [self = shared_from_this()](const asio::error_code& ec, size_t) { self->OnChunkWritten(ec); });
    return;
  }
  std::array<asio::const_buffer, 2> buffers = {
      asio::buffer(head), send_body && !r.body.empty() ? asio::buffer(r.body) : asio::const_buffer()};
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](const asio::error_code& ec, size_t) { self->OnWritten(ec); });
}

void Connection::MaybeCompress(bool send_body) {
  Response& r = response_;
  if (!send_body || streaming_ || r.body.size() < kCompressMinBytes) return;
  if (!AcceptsGzip(request_.Header("accept-encoding"))) return;
  const std::string_view type = r.content_type;
  if (!(type.starts_with("application/json") || type.starts_with("text/"))) return;
  for (const auto& [name, value] : r.headers) {
    if (EqualsIgnoreCase(name, "content-encoding")) return;  // the handler encoded it already
  }
  auto gz = GzipCompress(r.body, 1);  // level 1: most of the saving for a fraction of the time
  if (!gz.ok() || gz->size() >= r.body.size()) return;
  r.body = std::move(*gz);
  r.SetHeader("Content-Encoding", "gzip");
  r.SetHeader("Vary", "Accept-Encoding");
}

void Connection::OnChunkWritten(const asio::error_code& ec) {
  if (ec || closed_ || !streaming_) {
    streaming_ = false;
    OnWritten(ec ? ec : asio::error::operation_aborted);
    return;
  }
  WriteNextChunk();
}

void Connection::WriteNextChunk() {
  // Pull until a piece has bytes or the stream ends; pieces are framed one chunk each.
  std::string piece;
  bool done = false;
  Status s;
  while (piece.empty() && !done && s.ok()) s = response_.stream(&piece, &done);
  if (!s.ok()) {
    // The status line is gone: all that is left is to cut the transfer short (OnWritten closes
    // the connection on an error, after observing the request).
    streaming_ = false;
    response_.stream = nullptr;
    OnWritten(asio::error::operation_aborted);
    return;
  }
  chunk_.clear();
  AppendChunk(piece, &chunk_);
  if (done) {
    chunk_ += kLastChunk;
    streaming_ = false;
    response_.stream = nullptr;
  }
  ArmTimer(TimerKind::kWrite, context_->options.read_timeout_ms);
  asio::async_write(socket_, asio::buffer(chunk_),
                    [self = shared_from_this(), done](const asio::error_code& ec, size_t) {
                      if (done) {
                        self->OnWritten(ec);
                      } else {
                        self->OnChunkWritten(ec);
                      }
                    });
}

void Connection::OnWritten(const asio::error_code& ec) {
  writing_ = false;
  CancelTimer();
  if (observe_ && context_->observer) {
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    try {
      context_->observer(route_, response_.status, seconds, wire_body_bytes_);
    } catch (...) {
      // An observer must not take the connection down.
    }
  }
  observe_ = false;
  processing_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  if (close_after_write_ || closing_) {
    LingerClose();
    return;
  }
  if (context_->stopping.load(std::memory_order_relaxed)) {
    Close();
    return;
  }
  ResetMessage();
  http_parser_pause(&parser_, 0);
  if (buffer_pos_ < buffer_len_) {
    Feed();  // the next pipelined request is already buffered
  } else {
    DoRead();
  }
}

void Connection::ResetMessage() {
  request_ = Request();
  response_ = Response();
  header_field_.clear();
  header_value_.clear();
  last_was_value_ = false;
  header_bytes_ = 0;
  in_message_ = false;
  headers_done_ = false;
  message_complete_ = false;
  expect_continue_ = false;
  continue_sent_ = false;
  wire_body_bytes_ = 0;
  early_status_ = 0;
  early_type_.clear();
  early_message_.clear();
  close_after_write_ = false;
}

// ---- timers and closing ----------------------------------------------------------------------------

void Connection::ArmTimer(TimerKind kind, int64_t ms) {
  ++timer_generation_;
  timer_kind_ = kind;
  timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(ms, 1)));
  timer_.async_wait([self = shared_from_this(), generation = timer_generation_](const asio::error_code& ec) {
    self->OnTimer(generation, ec);
  });
}

void Connection::CancelTimer() {
  ++timer_generation_;
  timer_.cancel();
}

void Connection::OnTimer(uint64_t generation, const asio::error_code& ec) {
  if (ec == asio::error::operation_aborted || generation != timer_generation_ || closed_) return;
  switch (timer_kind_) {
    case TimerKind::kIdle: Close(); return;
    case TimerKind::kRead:
      if (writing_) {  // still sending "100 Continue": the client is not reading either
        Close();
        return;
      }
      if (processing_) return;  // cannot happen: handling a request cancels the read timer
      // The pending read is abandoned (closing_ makes OnRead ignore it); answer 408 and close.
      closing_ = true;
      SendError(408, "timeout", "request not received within the read timeout", true);
      return;
    case TimerKind::kWrite:
    case TimerKind::kLinger: Close(); return;
  }
}

void Connection::LingerClose() {
  // Shut our side, then drain what the client still sends (e.g. the body of a rejected request)
  // for a short while, so that closing does not reset the connection before it reads our answer.
  lingering_ = true;
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) {
    Close();
    return;
  }
  ArmTimer(TimerKind::kLinger, std::min<int64_t>(kLingerMs, std::max<int64_t>(context_->options.read_timeout_ms, 1)));
  if (!reading_) {
    reading_ = true;
    socket_.async_read_some(asio::buffer(buffer_.get(), kReadBufferBytes),
                            [self = shared_from_this()](const asio::error_code& e, size_t m) { self->OnRead(e, m); });
  }
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  ++timer_generation_;
  timer_.cancel();
  context_->Remove(this);
}

}  // namespace gnomon::http
