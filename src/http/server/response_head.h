// The status line and header block of an HTTP/1.1 response, as Connection sends them.
//
// Contract: the head always carries Date (RFC 9110 IMF-fixdate, UTC), Content-Type (unless the
// handler set one or the status has no body) and Content-Length (except for 1xx, 204 and 304);
// handler-set Content-Length, Connection and Transfer-Encoding headers are dropped, since the
// server frames the message itself; `close` adds "Connection: close". A chunked head carries
// "Transfer-Encoding: chunked" instead of Content-Length.
#pragma once

#include <ctime>
#include <string>

#include "http/server/request.h"

namespace gnomon::http {

// "OK", "Not Found", ...; a generic phrase for codes without their own.
const char* ReasonPhrase(int status);

// Whether a response with this status carries no body (1xx, 204, 304).
bool StatusHasNoBody(int status);

// Writes the head of `response` into *head (cleared first), ending with the blank line.
void FormatResponseHead(const Response& response, bool close, std::time_t now, std::string* head,
                        bool chunked = false);

// Appends `data` as one chunk of a chunked body ("<hex size>\r\n<data>\r\n"); nothing if empty.
void AppendChunk(std::string_view data, std::string* out);
// The last chunk of a chunked body, without trailers.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// The one JSON error body of every endpoint: {"status":"error","errorType":...,"error":...}, in
// Prometheus' key order with Go's escaping, so errors match Prometheus' byte for byte.
std::string JsonErrorBody(std::string_view error_type, std::string_view message);
// Sets `response` to that body with `status` (content type application/json).
void SetJsonError(Response& response, int status, std::string_view error_type, std::string_view message);

}  // namespace gnomon::http
