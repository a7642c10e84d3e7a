#include "index/labels_util.h"

#include <algorithm>
#include <cstdio>

#include "util/coding.h"
#include "util/go_strconv.h"

namespace gnomon::index {

namespace {

constexpr std::string_view kMetricName = "__name__";
// Names and values quoted in error messages are cut to this many bytes.
constexpr size_t kMaxQuotedBytes = 128;

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Returns the offset of the first byte that does not start a well-formed UTF-8 sequence (no
// overlong forms, no surrogates, nothing above U+10FFFF), or npos if `s` is valid.
size_t FindInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c == 0xE0) {
      len = 3, lo = 0xA0;  // no overlong 3-byte forms
    } else if (c == 0xED) {
      len = 3, hi = 0x9F;  // no surrogates U+D800..U+DFFF
    } else if (c >= 0xE1 && c <= 0xEF) {
      len = 3;
    } else if (c == 0xF0) {
      len = 4, lo = 0x90;  // no overlong 4-byte forms
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = 4;
    } else if (c == 0xF4) {
      len = 4, hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return i;  // continuation byte, C0/C1 (overlong) or F5..FF
    }
    if (n - i < len) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// Appends a label name as Prometheus prints it: bare if it is a valid (legacy) label name, else
// quoted.
void AppendLabelName(std::string_view name, std::string* out) {
  if (IsValidLabelName(name)) {
    out->append(name);
  } else {
    out->append(GoQuote(name));
  }
}

std::string Quote(std::string_view s) { return QuoteForMessage(s, kMaxQuotedBytes); }

// MetricToString, cut short for an error message.
std::string SeriesForMessage(const Labels& labels) {
  std::string s = MetricToString(labels);
  if (s.size() > 2 * kMaxQuotedBytes) {
    s.resize(2 * kMaxQuotedBytes);
    s.append("...");
  }
  return s;
}

Status CheckValue(const Label& l, const Limits& limits) {
  if (l.value.empty()) {
    return Status::InvalidArgument("label " + Quote(l.name) +
                                   ": value is empty; labels with empty values must be dropped (they "
                                   "are the same as an absent label)");
  }
  if (l.value.size() > limits.max_label_value_length) {
    return Status::ResourceExhausted("label " + Quote(l.name) + ": value is " + std::to_string(l.value.size()) +
                                     " bytes, limit is " + std::to_string(limits.max_label_value_length));
  }
  if (const size_t nul = l.value.find('\0'); nul != std::string::npos) {
    return Status::InvalidArgument("label " + Quote(l.name) + ": value contains a NUL byte at offset " +
                                   std::to_string(nul));
  }
  if (const size_t bad = FindInvalidUtf8(l.value); bad != std::string_view::npos) {
    char byte[8];
    std::snprintf(byte, sizeof(byte), "0x%02X", static_cast<unsigned char>(l.value[bad]));
    return Status::InvalidArgument("label " + Quote(l.name) + ": value is not valid UTF-8 (bad sequence at byte " +
                                   byte + ", offset " + std::to_string(bad) + ")");
  }
  return Status::OK();
}

}  // namespace

bool IsValidLabelName(std::string_view s) {
  if (s.empty()) return false;
  if (!IsAlpha(s[0]) && s[0] != '_') return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return IsAlpha(c) || IsDigit(c) || c == '_'; });
}

bool IsValidMetricName(std::string_view s) {
  if (s.empty()) return false;
  if (!IsAlpha(s[0]) && s[0] != '_' && s[0] != ':') return false;
  return std::all_of(s.begin() + 1, s.end(),
                     [](char c) { return IsAlpha(c) || IsDigit(c) || c == '_' || c == ':'; });
}

std::string QuoteForMessage(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return GoQuote(s);
  std::string out = GoQuote(s.substr(0, max_bytes));
  out.insert(out.size() - 1, "...");
  return out;
}

void SortLabels(Labels* labels) {
  std::stable_sort(labels->begin(), labels->end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
}

void DropEmptyLabels(Labels* labels) {
  std::erase_if(*labels, [](const Label& l) { return l.value.empty(); });
}

Status ValidateLabels(const Labels& sorted_labels, const Limits& limits) {
  if (sorted_labels.size() > limits.max_labels_per_series) {
    return Status::ResourceExhausted("series " + SeriesForMessage(sorted_labels) + " has " +
                                     std::to_string(sorted_labels.size()) + " labels, limit is " +
                                     std::to_string(limits.max_labels_per_series));
  }
  bool has_metric_name = false;
  for (size_t i = 0; i < sorted_labels.size(); ++i) {
    const Label& l = sorted_labels[i];
    if (i > 0) {
      const std::string& prev = sorted_labels[i - 1].name;
      if (prev == l.name) {
        return Status::InvalidArgument("label name " + Quote(l.name) + " appears more than once");
      }
      if (prev > l.name) {
        return Status::InvalidArgument("labels are not sorted by name: " + Quote(prev) + " comes before " +
                                       Quote(l.name));
      }
    }
    if (l.name.size() > limits.max_label_name_length) {
      return Status::ResourceExhausted("label name " + Quote(l.name) + " is " + std::to_string(l.name.size()) +
                                       " bytes, limit is " + std::to_string(limits.max_label_name_length));
    }
    if (l.name == kMetricName) {
      has_metric_name = true;
      GNOMON_RETURN_IF_ERROR(CheckValue(l, limits));
      if (!IsValidMetricName(l.value)) {
        return Status::InvalidArgument("metric name " + Quote(l.value) +
                                       " is invalid: must match [a-zA-Z_:][a-zA-Z0-9_:]*");
      }
      continue;
    }
    if (!IsValidLabelName(l.name)) {
      return Status::InvalidArgument("label name " + Quote(l.name) + " is invalid: must match [a-zA-Z_][a-zA-Z0-9_]*");
    }
    if (l.name.starts_with("__")) {
      return Status::InvalidArgument("label name " + Quote(l.name) +
                                     " is reserved: names starting with \"__\" are for internal use");
    }
    GNOMON_RETURN_IF_ERROR(CheckValue(l, limits));
  }
  if (!has_metric_name) {
    return Status::InvalidArgument("series " + SeriesForMessage(sorted_labels) +
                                   " has no metric name: label \"__name__\" is required");
  }
  return Status::OK();
}

void AppendEncodedLabels(const Labels& sorted_labels, std::string* out) {
  for (const Label& l : sorted_labels) {
    PutVarint64(out, l.name.size());
    out->append(l.name);
    PutVarint64(out, l.value.size());
    out->append(l.value);
  }
}

std::string EncodeLabels(const Labels& sorted_labels) {
  size_t n = 0;
  for (const Label& l : sorted_labels) {
    n += VarintLength(l.name.size()) + l.name.size() + VarintLength(l.value.size()) + l.value.size();
  }
  std::string out;
  out.reserve(n);
  AppendEncodedLabels(sorted_labels, &out);
  return out;
}

bool ReadStringView(std::string_view* in, std::string_view* s) {
  uint64_t len;
  if (!GetVarint64(in, &len) || len > in->size()) return false;
  *s = in->substr(0, static_cast<size_t>(len));
  in->remove_prefix(static_cast<size_t>(len));
  return true;
}

namespace {

bool ReadString(std::string_view* in, std::string* s) {
  uint64_t len;
  if (!GetVarint64(in, &len) || len > in->size()) return false;
  s->assign(in->data(), static_cast<size_t>(len));
  in->remove_prefix(static_cast<size_t>(len));
  return true;
}
}  // namespace

Status DecodeLabels(std::string_view encoded, Labels* out) { return DecodeLabelsFraming(encoded, true, out); }

Status DecodeLabelsFraming(std::string_view encoded, bool check_order, Labels* out) {
  Labels labels;
  std::string_view in = encoded;
  while (!in.empty()) {
    const size_t offset = encoded.size() - in.size();
    Label l;
    if (!ReadString(&in, &l.name)) {
      return Status::Corruption("encoded labels: truncated or malformed name at offset " + std::to_string(offset));
    }
    if (!ReadString(&in, &l.value)) {
      return Status::Corruption("encoded labels: truncated or malformed value of label " + Quote(l.name) +
                                " at offset " + std::to_string(offset));
    }
    if (check_order && l.name.empty()) {
      return Status::Corruption("encoded labels: empty label name at offset " + std::to_string(offset));
    }
    if (check_order && !labels.empty() && labels.back().name >= l.name) {
      return Status::Corruption("encoded labels: label " + Quote(l.name) + " at offset " + std::to_string(offset) +
                                " is out of order or duplicated");
    }
    labels.push_back(std::move(l));
  }
  *out = std::move(labels);
  return Status::OK();
}

std::string LabelsToString(const Labels& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out.append(", ");
    AppendLabelName(labels[i].name, &out);
    out.push_back('=');
    out.append(GoQuote(labels[i].value));
  }
  out.push_back('}');
  return out;
}

std::string MetricToString(const Labels& labels) {
  std::string out;
  const Label* metric = nullptr;
  for (const Label& l : labels) {
    if (l.name == kMetricName && IsValidMetricName(l.value)) {
      metric = &l;
      break;
    }
  }
  if (metric != nullptr) out.append(metric->value);
  if (metric != nullptr && labels.size() == 1) return out;
  out.push_back('{');
  bool first = true;
  for (const Label& l : labels) {
    if (&l == metric) continue;
    if (!first) out.append(", ");
    first = false;
    AppendLabelName(l.name, &out);
    out.push_back('=');
    out.append(GoQuote(l.value));
  }
  out.push_back('}');
  return out;
}

}  // namespace gnomon::index
