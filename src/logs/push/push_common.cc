// The push decoders' shared pieces: label validation, timestamps, stream grouping.
#include "logs/push/push_common.h"

#include <algorithm>
#include <charconv>
#include <string>

#include <nlohmann/json.hpp>

#include "index/labels_util.h"
#include "util/go_strconv.h"
#include "util/time_format.h"

namespace gnomon::logs {

std::string FormatRejection(const LogRejection& rejection, std::string_view unit) {
  std::string out(unit);
  out += ' ';
  out += std::to_string(rejection.line_or_stream);
  if (rejection.entry != 0) {
    out += ", entry ";
    out += std::to_string(rejection.entry);
  }
  out += ": ";
  out += rejection.reason;
  return out;
}

namespace push_internal {

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t width = 0;
    const char32_t r = gostr::DecodeRune(s, i, &width);
    if (r == U'\uFFFD' && width == 1) return false;
    i += width;
  }
  return true;
}

std::optional<std::string> NormalizeStreamLabels(Labels* labels, const LogLimits& limits) {
  index::DropEmptyLabels(labels);
  if (labels->empty()) return "stream has no labels";
  if (labels->size() > limits.max_labels_per_stream) {
    return "stream has " + std::to_string(labels->size()) + " labels, limit is " +
           std::to_string(limits.max_labels_per_stream);
  }
  std::sort(labels->begin(), labels->end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  for (size_t i = 0; i < labels->size(); ++i) {
    const Label& l = (*labels)[i];
    if (l.name.size() > limits.max_label_name_bytes) {
      return "label name " + index::QuoteForMessage(l.name) + " is " + std::to_string(l.name.size()) +
             " bytes, limit is " + std::to_string(limits.max_label_name_bytes);
    }
    if (!index::IsValidLabelName(l.name)) {
      return "label name " + index::QuoteForMessage(l.name) + " is invalid: must match [a-zA-Z_][a-zA-Z0-9_]*";
    }
    if (l.name.starts_with("__")) return "label name " + index::QuoteForMessage(l.name) + " is reserved";
    if (i > 0 && (*labels)[i - 1].name == l.name) {
      return "duplicate label name " + index::QuoteForMessage(l.name);
    }
    if (l.value.size() > limits.max_label_value_bytes) {
      return "label " + index::QuoteForMessage(l.name) + ": value is " + std::to_string(l.value.size()) +
             " bytes, limit is " + std::to_string(limits.max_label_value_bytes);
    }
    if (!IsValidUtf8(l.value)) return "label " + index::QuoteForMessage(l.name) + ": value is not valid UTF-8";
  }
  return std::nullopt;
}

std::optional<int64_t> ParseUnixNanos(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.size() > 1 && text[0] == '+') return std::nullopt;  // from_chars rejects '+' anyway
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// util/time_format's ParseRfc3339 reads milliseconds only. Rather than a second RFC 3339 grammar,
// the fraction (which RFC 3339 puts right after the seconds, at byte 19) is taken out here, the
// rest parsed by ParseRfc3339 (whole seconds, offsets, leap seconds, calendar checks) and the
// fraction added back in nanoseconds.

std::optional<std::string> CheckLineLength(size_t bytes, const LogLimits& limits) {
  if (bytes <= limits.max_line_bytes) return std::nullopt;
  return "line is " + std::to_string(bytes) + " bytes, limit is " + std::to_string(limits.max_line_bytes);
}

std::optional<size_t> BatchBuilder::Stream(Labels labels) {
  std::string key = index::EncodeLabels(labels);
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  if (result_->batch.streams.size() >= limits_.max_streams) return std::nullopt;
  const size_t idx = result_->batch.streams.size();
  result_->batch.streams.push_back(LogStream{std::move(labels), {}});
  index_.emplace(std::move(key), idx);
  return idx;
}

void BatchBuilder::Reject(size_t line_or_stream, size_t entry, std::string reason, size_t entries) {
  result_->rejected += entries;
  if (result_->rejections.size() < limits_.max_rejections) {
    result_->rejections.push_back(LogRejection{line_or_stream, entry, std::move(reason)});
  }
}

}  // namespace push_internal
}  // namespace gnomon::logs
