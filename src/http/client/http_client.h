// A small blocking HTTP client (libcurl underneath): the gnomon CLI talks to gnomond with it, and
// gnomond sends alert notifications with it.
//
// One client holds one connection that is kept alive across requests. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gnomon/status.h"

namespace gnomon::http {

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;                                   // the Retry-After header, if any
  std::vector<std::pair<std::string, std::string>> headers;  // every header, names lower-cased

  // The value of header `lower_case_name`, or "".
  std::string_view Header(std::string_view lower_case_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_case_name) return value;
    }
    return {};
  }
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  // `base_url` is like "http://127.0.0.1:9201" (a missing scheme means http://; a trailing '/' is
  // dropped). A non-empty `token` is sent as "Authorization: Bearer <token>". `peer` names the
  // other side in error messages ("cannot reach PEER at URL: why").
  HttpClient(std::string base_url, std::string token, std::string peer = "gnomond");
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET base_url + path + "?" + the URL-encoded params. Any HTTP status is a successful Result;
  // transport failures (refused, timeout, DNS) are kIOError "cannot reach PEER at URL: why".
  Result<HttpResponse> Get(std::string_view path, const QueryParams& params = {});

  // Like Get, but the body goes to `sink` piece by piece as it arrives (when the status is 2xx;
  // otherwise it is collected into the response body). `sink` returning false aborts.
  Result<HttpResponse> GetStreaming(std::string_view path, const QueryParams& params,
                                    const std::function<bool(std::string_view)>& sink);

  // POST `body` with Content-Type `content_type`.
  Result<HttpResponse> Post(std::string_view path, const QueryParams& params, std::string_view body,
                            std::string_view content_type);

  // POST the URL-encoded params as an application/x-www-form-urlencoded body, as Prometheus
  // clients send queries (no URL length limit on long expressions).
  Result<HttpResponse> PostForm(std::string_view path, const QueryParams& params);

  const std::string& base_url() const { return base_url_; }

  // Seconds to wait for a whole response; 0 (the default) waits forever.
  void set_timeout_seconds(long s) { timeout_ms_ = s * 1000; }
  void set_timeout_ms(long ms) { timeout_ms_ = ms; }
  // Extra headers sent with every request ("Name", "value").
  void set_headers(std::vector<std::pair<std::string, std::string>> headers) { headers_ = std::move(headers); }
  void set_user_agent(std::string agent) { user_agent_ = std::move(agent); }
  // The most bytes a response body may have (after decompression); a longer one fails the request
  // with kResourceExhausted "body size limit exceeded". 0 (the default): no limit.
  void set_max_body_bytes(uint64_t n) { max_body_bytes_ = n; }

 private:
  struct Impl;
  std::string BuildUrl(std::string_view path, const QueryParams& params);
  static std::string EncodeParams(const QueryParams& params);
  Result<HttpResponse> Perform(const std::function<bool(std::string_view)>* sink, std::string_view content_type,
                               HttpResponse* resp);

  std::string base_url_;
  std::string token_;
  std::string peer_;
  long timeout_ms_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string user_agent_ = "gnomon-cli";
  uint64_t max_body_bytes_ = 0;
  std::unique_ptr<Impl> impl_;
};

// "http://h:9100/metrics/?a=b" -> {"http://h:9100", "/metrics/?a=b"} ("" when there is no path):
// a client gets the origin and each request the path, which may end in '/' (a client's base URL
// loses a trailing '/').
std::pair<std::string, std::string> SplitOrigin(const std::string& url);

// Percent-encodes everything except unreserved characters (RFC 3986).
std::string UrlEncode(std::string_view s);

}  // namespace gnomon::http
