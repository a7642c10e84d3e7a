#include "ingest/json_error.h"

#include <nlohmann/json.hpp>

namespace gnomon::ingest {

namespace {

using nlohmann::json;

// A SAX handler that accepts every event and keeps the parser's error message (no exception).
struct ErrorCapture {
  std::string message;
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const std::string&) { return true; }
  bool string(std::string&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(std::string&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    message = ex.what();
    return false;
  }
};

}  // namespace

std::string JsonErrorMessage(std::string_view text, bool one_line) {
  ErrorCapture capture;
  json::sax_parse(text, &capture);
  std::string msg = std::move(capture.message);
  if (msg.empty()) return "invalid JSON";
  if (msg.starts_with("[json.exception.")) {
    const size_t end = msg.find("] ");
    if (end != std::string::npos) msg.erase(0, end + 2);
  }
  if (one_line) {
    constexpr std::string_view kLine1 = "at line 1, column ";
    if (const size_t at = msg.find(kLine1); at != std::string::npos) msg.replace(at, kLine1.size(), "at column ");
  }
  return "invalid JSON: " + msg;
}

}  // namespace gnomon::ingest
