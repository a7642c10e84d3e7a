#include "http/client/http_client.h"

#include <curl/curl.h>

#include <cctype>

namespace gnomon::http {

namespace {

struct WriteContext {
  HttpResponse* resp;
  const std::function<bool(std::string_view)>* sink;
  CURL* curl;
  uint64_t max_body_bytes = 0;  // 0: no limit
  bool too_big = false;
  bool streaming_decided = false;
  bool streaming = false;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* ctx = static_cast<WriteContext*>(user);
  size_t len = size * n;
  if (ctx->sink != nullptr && !ctx->streaming_decided) {
    long code = 0;
    curl_easy_getinfo(ctx->curl, CURLINFO_RESPONSE_CODE, &code);
    ctx->streaming = code >= 200 && code < 300;
    ctx->streaming_decided = true;
  }
  if (ctx->streaming) {
    return (*ctx->sink)(std::string_view(data, len)) ? len : 0;
  }
  if (ctx->max_body_bytes != 0 && ctx->resp->body.size() + len > ctx->max_body_bytes) {
    ctx->too_big = true;
    return 0;  // aborts the transfer
  }
  if (ctx->resp->body.empty()) {  // the first piece: room for the whole body at once when its size is known
    curl_off_t length = -1;
    if (curl_easy_getinfo(ctx->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK && length > 0 &&
        length <= (64 << 20)) {
      ctx->resp->body.reserve(static_cast<size_t>(length));
    }
  }
  ctx->resp->body.append(data, len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* resp = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    if (name == "retry-after") resp->retry_after = value;
    resp->headers.emplace_back(std::move(name), std::string(value));
  }
  return size * n;
}

}  // namespace

struct HttpClient::Impl {
  CURL* curl = nullptr;
};

std::pair<std::string, std::string> SplitOrigin(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t path = url.find_first_of("/?", scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos) return {url, ""};
  return {url.substr(0, path), url.substr(path)};
}

std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

HttpClient::HttpClient(std::string base_url, std::string token, std::string peer)
    : base_url_(std::move(base_url)),
      token_(std::move(token)),
      peer_(std::move(peer)),
      impl_(std::make_unique<Impl>()) {
  if (base_url_.find("://") == std::string::npos) base_url_ = "http://" + base_url_;
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  static const bool global_init = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)global_init;
  impl_->curl = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (impl_->curl != nullptr) curl_easy_cleanup(impl_->curl);
}

std::string HttpClient::EncodeParams(const QueryParams& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += UrlEncode(k);
    out += '=';
    out += UrlEncode(v);
  }
  return out;
}

std::string HttpClient::BuildUrl(std::string_view path, const QueryParams& params) {
  std::string url = base_url_;
  url += path;
  if (!params.empty()) url += '?' + EncodeParams(params);
  return url;
}

Result<HttpResponse> HttpClient::Perform(const std::function<bool(std::string_view)>* sink,
                                         std::string_view content_type, HttpResponse* resp) {
  CURL* curl = impl_->curl;
  WriteContext ctx{resp, sink, curl, max_body_bytes_};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms_);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent_.c_str());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  struct curl_slist* headers = nullptr;
  if (!token_.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token_).c_str());
  if (!content_type.empty())
    headers = curl_slist_append(headers, ("Content-Type: " + std::string(content_type)).c_str());
  for (const auto& [name, value] : headers_) headers = curl_slist_append(headers, (name + ": " + value).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip for big bodies
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    if (rc == CURLE_WRITE_ERROR && ctx.streaming) return Status::Aborted("output closed");
    if (rc == CURLE_WRITE_ERROR && ctx.too_big) return Status::ResourceExhausted("body size limit exceeded");
    std::string why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    return Status::IOError("cannot reach " + peer_ + " at " + base_url_ + ": " + why);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
  char* ct = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != nullptr) resp->content_type = ct;
  return std::move(*resp);
}

Result<HttpResponse> HttpClient::Get(std::string_view path, const QueryParams& params) {
  return GetStreaming(path, params, nullptr);
}

Result<HttpResponse> HttpClient::GetStreaming(std::string_view path, const QueryParams& params,
                                              const std::function<bool(std::string_view)>& sink) {
  if (impl_->curl == nullptr) return Status::Internal("curl_easy_init failed");
  std::string url = BuildUrl(path, params);
  curl_easy_setopt(impl_->curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(impl_->curl, CURLOPT_HTTPGET, 1L);
  HttpResponse resp;
  return Perform(sink ? &sink : nullptr, {}, &resp);
}

Result<HttpResponse> HttpClient::Post(std::string_view path, const QueryParams& params, std::string_view body,
                                      std::string_view content_type) {
  if (impl_->curl == nullptr) return Status::Internal("curl_easy_init failed");
  std::string url = BuildUrl(path, params);
  CURL* curl = impl_->curl;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  HttpResponse resp;
  return Perform(nullptr, content_type, &resp);
}

Result<HttpResponse> HttpClient::PostForm(std::string_view path, const QueryParams& params) {
  return Post(path, {}, EncodeParams(params), "application/x-www-form-urlencoded");
}

}  // namespace gnomon::http
