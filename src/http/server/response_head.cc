#include "http/server/response_head.h"

#include <cstdio>

#include "util/go_json.h"
#include "util/strings.h"

namespace gnomon::http {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 507: return "Insufficient Storage";
    default: break;
  }
  if (status >= 200 && status < 300) return "OK";
  if (status >= 400 && status < 500) return "Client Error";
  if (status >= 500) return "Server Error";
  return "Unknown";
}

bool StatusHasNoBody(int status) { return (status >= 100 && status < 200) || status == 204 || status == 304; }

namespace {

// "Sun, 06 Nov 1994 08:49:37 GMT"
void AppendImfDate(std::time_t t, std::string* out) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7], tm.tm_mday,
                        kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (n > 0) out->append(buf, static_cast<size_t>(n));
}

}  // namespace

void FormatResponseHead(const Response& r, bool close, std::time_t now, std::string* head, bool chunked) {
  const bool no_body = StatusHasNoBody(r.status);
  bool has_content_type = false;
  for (const auto& [name, value] : r.headers) {
    if (EqualsIgnoreCase(name, "content-type")) has_content_type = true;
  }
  head->clear();
  head->reserve(256);
  *head += "HTTP/1.1 ";
  *head += std::to_string(r.status);
  *head += ' ';
  *head += ReasonPhrase(r.status);
  *head += "\r\nDate: ";
  AppendImfDate(now, head);
  *head += "\r\n";
  if (!has_content_type && !no_body && !r.content_type.empty()) {
    *head += "Content-Type: ";
    *head += r.content_type;
    *head += "\r\n";
  }
  if (!no_body && chunked) {
    *head += "Transfer-Encoding: chunked\r\n";
  } else if (!no_body) {
    *head += "Content-Length: ";
    *head += std::to_string(r.body.size());
    *head += "\r\n";
  }
  for (const auto& [name, value] : r.headers) {
    if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "connection") ||
        EqualsIgnoreCase(name, "transfer-encoding") || EqualsIgnoreCase(name, "date")) {
      continue;
    }
    *head += name;
    *head += ": ";
    *head += value;
    *head += "\r\n";
  }
  if (close) *head += "Connection: close\r\n";
  *head += "\r\n";
}

void AppendChunk(std::string_view data, std::string* out) {
  if (data.empty()) return;
  char size[24];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  out->append(size, static_cast<size_t>(n));
  out->append(data);
  out->append("\r\n");
}

std::string JsonErrorBody(std::string_view error_type, std::string_view message) {
  std::string out = R"({"status":"error","errorType":)";
  AppendGoJsonString(&out, error_type);
  out += R"(,"error":)";
  AppendGoJsonString(&out, message);
  out += '}';
  return out;
}

void SetJsonError(Response& response, int status, std::string_view error_type, std::string_view message) {
  response.status = status;
  response.content_type = "application/json";
  response.body = JsonErrorBody(error_type, message);
}

}  // namespace gnomon::http
