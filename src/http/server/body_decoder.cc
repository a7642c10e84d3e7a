#include "http/server/body_decoder.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>

#include "util/strings.h"

namespace gnomon::http {
namespace {

// Inflates `in` with the given zlib windowBits. Returns kOk with `out` filled, kTooLarge, or
// kCorrupt.
DecodeOutcome Inflate(std::string_view in, int window_bits, size_t max_bytes, std::string* out, std::string* error) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) {
    *error = "zlib initialisation failed";
    return DecodeOutcome::kCorrupt;
  }
  const size_t cap = max_bytes == SIZE_MAX ? max_bytes : max_bytes + 1;  // one byte more to detect overflow
  size_t initial = std::min(cap, std::max<size_t>(in.size() * 4, 64 << 10));
  out->clear();
  out->resize(initial);
  size_t produced = 0;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  DecodeOutcome outcome = DecodeOutcome::kOk;
  size_t remaining_in = in.size();
  for (;;) {
    if (produced == out->size()) {
      if (out->size() >= cap) {
        outcome = DecodeOutcome::kTooLarge;
        break;
      }
      out->resize(std::min(cap, out->size() * 2));
    }
    // zlib counts in uInt: feed at most 1 GiB at a time.
    uInt in_chunk = static_cast<uInt>(std::min<size_t>(remaining_in, 1u << 30));
    uInt out_chunk = static_cast<uInt>(std::min<size_t>(out->size() - produced, 1u << 30));
    zs.avail_in = in_chunk;
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    zs.avail_out = out_chunk;
    int rc = inflate(&zs, Z_NO_FLUSH);
    size_t consumed = in_chunk - zs.avail_in;
    size_t written = out_chunk - zs.avail_out;
    remaining_in -= consumed;
    produced += written;
    if (produced > max_bytes) {
      outcome = DecodeOutcome::kTooLarge;
      break;
    }
    if (rc == Z_STREAM_END) {
      if (remaining_in == 0) break;
      // Concatenated gzip members: continue with the next one.
      if (inflateReset(&zs) != Z_OK) {
        *error = "zlib reset failed";
        outcome = DecodeOutcome::kCorrupt;
        break;
      }
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR) {
      if (zs.avail_out > 0) {  // no progress possible although there is room: input ended early
        *error = "compressed body is truncated";
        outcome = DecodeOutcome::kCorrupt;
        break;
      }
      continue;  // needs more output space
    }
    *error = std::string("invalid compressed body: ") + (zs.msg != nullptr ? zs.msg : "zlib error");
    outcome = DecodeOutcome::kCorrupt;
    break;
  }
  inflateEnd(&zs);
  if (outcome == DecodeOutcome::kOk) out->resize(produced);
  return outcome;
}

}  // namespace

BodyEncoding ClassifyEncoding(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty() || EqualsIgnoreCase(value, "identity")) return BodyEncoding::kIdentity;
  if (EqualsIgnoreCase(value, "gzip") || EqualsIgnoreCase(value, "x-gzip")) return BodyEncoding::kGzip;
  if (EqualsIgnoreCase(value, "deflate")) return BodyEncoding::kDeflate;
  if (EqualsIgnoreCase(value, "snappy")) return BodyEncoding::kPassThrough;
  return BodyEncoding::kUnsupported;
}

DecodeOutcome DecodeBody(BodyEncoding encoding, std::string& body, size_t max_bytes, std::string* error) {
  if (encoding != BodyEncoding::kGzip && encoding != BodyEncoding::kDeflate) return DecodeOutcome::kOk;
  std::string out;
  // 15 + 32: zlib or gzip header, detected automatically.
  DecodeOutcome outcome = Inflate(body, 15 + 32, max_bytes, &out, error);
  if (outcome == DecodeOutcome::kCorrupt && encoding == BodyEncoding::kDeflate && !body.empty()) {
    // Some clients send raw deflate data for "deflate".
    std::string raw_error;
    DecodeOutcome raw = Inflate(body, -15, max_bytes, &out, &raw_error);
    if (raw != DecodeOutcome::kCorrupt) outcome = raw;
  }
  if (outcome == DecodeOutcome::kOk) body = std::move(out);
  return outcome;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  for (size_t pos = 0; pos < accept_encoding.size();) {
    size_t comma = accept_encoding.find(',', pos);
    if (comma == std::string_view::npos) comma = accept_encoding.size();
    std::string_view item = accept_encoding.substr(pos, comma - pos);
    pos = comma + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (!EqualsIgnoreCase(item.substr(0, 4), "gzip") && !EqualsIgnoreCase(item.substr(0, 6), "x-gzip")) continue;
    const size_t q = item.find("q=");
    if (q == std::string_view::npos) return true;
    std::string_view v = item.substr(q + 2);
    return !(v.starts_with("0") && v.find_first_not_of("0.") == std::string_view::npos);  // q=0, q=0.0
  }
  return false;
}

}  // namespace gnomon::http
