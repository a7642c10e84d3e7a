// Request helpers: URL decoding, query-string parsing, header lookup.
#include "http/server/request.h"

#include <cctype>

#include "util/strings.h"

namespace gnomon::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %xx escapes (malformed ones are kept as is) and, for form encoding, '+' as space.
std::string Decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

}  // namespace

std::string UrlDecodePath(std::string_view path) { return Decode(path, false); }

Params ParseQueryString(std::string_view query) {
  Params params;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(pos, end - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) {
        params.emplace_back(Decode(pair, true), std::string());
      } else {
        params.emplace_back(Decode(pair.substr(0, eq), true), Decode(pair.substr(eq + 1), true));
      }
    }
    pos = end + 1;
  }
  return params;
}

std::string_view Request::PathParam(std::string_view name) const {
  for (const auto& [k, v] : path_params) {
    if (k == name) return v;
  }
  return {};
}

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

::gnomon::http::Params Request::Params() const {
  ::gnomon::http::Params params = ParseQueryString(query);
  if (method == "POST" || method == "PUT") {
    std::string_view type = Header("content-type");
    size_t semi = type.find(';');
    if (semi != std::string_view::npos) type = type.substr(0, semi);
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    if (EqualsIgnoreCase(type, "application/x-www-form-urlencoded")) {
      ::gnomon::http::Params form = ParseQueryString(body);
      params.insert(params.end(), std::make_move_iterator(form.begin()), std::make_move_iterator(form.end()));
    }
  }
  return params;
}

}  // namespace gnomon::http
