#include "logs/correlation_id.h"

#include <re2/re2.h>

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
    if (field == "traceparent") {
      if (std::string_view trace = TraceparentTraceId(value); !trace.empty()) return std::string(trace);
    }
    if (UsableId(value)) return value;
  }
  return "";
}

std::string CorrelationIdExtractor::Extract(std::string_view line,
                                            const std::vector<std::pair<std::string, std::string>>& metadata) const {
  for (const std::string& field : options_.fields) {
    for (const auto& [name, value] : metadata) {
      if (name != field) continue;
      if (field == "traceparent") {
        if (std::string_view trace = TraceparentTraceId(value); !trace.empty()) return std::string(trace);
      }
      if (UsableId(value)) return value;
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
