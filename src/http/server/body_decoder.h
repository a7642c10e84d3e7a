// Request-body decoding for `Content-Encoding`: gzip and deflate are inflated with zlib, bounded by
// a size limit; identity passes through; snappy passes through (the remote_write handler decodes it).
// And whether a client accepts a gzipped response.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gnomon::http {

enum class BodyEncoding {
  kIdentity,     // no header, "identity"
  kGzip,         // "gzip", "x-gzip"
  kDeflate,      // "deflate" (zlib-wrapped, or raw deflate as some clients send)
  kPassThrough,  // "snappy": left for the handler
  kUnsupported,  // anything else: 415
};

// Classifies a Content-Encoding header value (case-insensitive, surrounding spaces ignored).
BodyEncoding ClassifyEncoding(std::string_view content_encoding);

enum class DecodeOutcome { kOk, kTooLarge, kCorrupt };

// Replaces `body` by its decoded form when `encoding` is gzip or deflate; other encodings leave it
// as is. kTooLarge when the decoded size would exceed `max_bytes` (decoding stops there);
// kCorrupt, with a reason in `*error`, when the data is not valid or is truncated.
DecodeOutcome DecodeBody(BodyEncoding encoding, std::string& body, size_t max_bytes, std::string* error);

// Whether an Accept-Encoding header value accepts gzip ("gzip", "gzip, br", "br;q=1, gzip;q=0.5";
// not "gzip;q=0").
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace gnomon::http
