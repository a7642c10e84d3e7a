#include "logs/correlation_id.h"

#include <re2/re2.h>
#include <simdjson.h>

#include <cctype>
#include <nlohmann/json.hpp>

namespace gnomon::logs {

namespace {

bool UsableId(std::string_view id) { return !id.empty() && id.size() <= CorrelationIdExtractor::kMaxIdBytes; }

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

// The ID a JSON field's text value gives: a traceparent's trace-id, else the value if usable.
std::string CorrelationIdExtractor::IdOfField(std::string_view field, std::string value) {
  if (field == "traceparent") {
    if (std::string_view trace = TraceparentTraceId(value); !trace.empty()) return std::string(trace);
  }
  return UsableId(value) ? value : std::string();
}

Result<std::unique_ptr<CorrelationIdExtractor>> CorrelationIdExtractor::Create(CorrelationIdOptions options) {
  std::unique_ptr<CorrelationIdExtractor> e(new CorrelationIdExtractor(std::move(options)));
  if (!e->options_.pattern.empty()) {
    e->pattern_ = std::make_unique<re2::RE2>(e->options_.pattern, re2::RE2::Quiet);
    if (!e->pattern_->ok()) {
      return Status::InvalidArgument("correlation ID pattern: " + e->pattern_->error());
    }
    if (e->pattern_->NumberOfCapturingGroups() < 1) {
      return Status::InvalidArgument("correlation ID pattern: needs a capture group for the ID");
    }
  }
  return e;
}

CorrelationIdExtractor::CorrelationIdExtractor(CorrelationIdOptions options) : options_(std::move(options)) {}
CorrelationIdExtractor::~CorrelationIdExtractor() = default;

std::string_view CorrelationIdExtractor::TraceparentTraceId(std::string_view v) {
  // version "-" trace-id (32 hex) "-" parent-id (16 hex) "-" flags (2 hex)
  if (v.size() != 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return {};
  const std::string_view trace = v.substr(3, 32);
  if (!IsHex(v.substr(0, 2)) || !IsHex(trace) || !IsHex(v.substr(36, 16)) || !IsHex(v.substr(53, 2))) return {};
  if (trace.find_first_not_of('0') == std::string_view::npos) return {};  // all zeros: invalid
  return trace;
}

std::string CorrelationIdExtractor::FromJson(std::string_view line) const {
  // simdjson reads nearly every line; what it does not (integers past 64 bits, nesting past its
  // depth limit, invalid JSON) goes to nlohmann-json, whose answer is the reference.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(line.data(), line.size()).get_object().get(object) != simdjson::SUCCESS) {
    return FromJsonNlohmann(line);
  }
  // Each configured field's last value, as a DOM that keeps the last of duplicate keys.
  std::vector<simdjson::dom::element> values(options_.fields.size());
  std::vector<bool> found(options_.fields.size());
  for (simdjson::dom::key_value_pair field : object) {
    for (size_t i = 0; i < options_.fields.size(); ++i) {
      if (field.key == options_.fields[i]) {
        values[i] = field.value;
        found[i] = true;
      }
    }
  }
  for (size_t i = 0; i < options_.fields.size(); ++i) {
    if (!found[i]) continue;
    std::string value;
    switch (values[i].type()) {
      case simdjson::dom::element_type::STRING: value = std::string(values[i].get_string().value_unsafe()); break;
      case simdjson::dom::element_type::INT64: value = std::to_string(values[i].get_int64().value_unsafe()); break;
      case simdjson::dom::element_type::UINT64: value = std::to_string(values[i].get_uint64().value_unsafe()); break;
      default: continue;
    }
    if (std::string id = IdOfField(options_.fields[i], std::move(value)); !id.empty()) return id;
  }
  return "";
}

std::string CorrelationIdExtractor::FromJsonNlohmann(std::string_view line) const {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return "";
  for (const std::string& field : options_.fields) {
    auto it = j.find(field);
    if (it == j.end()) continue;
    std::string value;
    if (it->is_string()) {
      value = it->get<std::string>();
    } else if (it->is_number_integer() || it->is_number_unsigned()) {
      value = it->dump();
    } else {
      continue;
    }
    if (std::string id = IdOfField(field, std::move(value)); !id.empty()) return id;
  }
  return "";
}

std::string CorrelationIdExtractor::Extract(std::string_view line,
                                            const std::vector<std::pair<std::string, std::string>>& metadata) const {
  for (const std::string& field : options_.fields) {
    for (const auto& [name, value] : metadata) {
      if (name != field) continue;
      if (std::string id = IdOfField(field, value); !id.empty()) return id;
    }
  }
  size_t first = 0;
  while (first < line.size() && std::isspace(static_cast<unsigned char>(line[first]))) ++first;
  if (first < line.size() && line[first] == '{') {
    std::string id = FromJson(line);
    if (!id.empty()) return id;
  }
  if (pattern_ == nullptr) return "";
  re2::StringPiece id;
  if (!re2::RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), *pattern_, &id)) return "";
  if (!UsableId(std::string_view(id.data(), id.size()))) return "";
  return std::string(id.data(), id.size());
}

}  // namespace gnomon::logs
