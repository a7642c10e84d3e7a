// NDJSON and plain-text log push. Each NDJSON line is read with simdjson, which checks the whole
// line and gives its three top-level fields we need; a line simdjson does not take (invalid JSON,
// integers past 64 bits, a fraction where one of those fields is) goes to nlohmann-json's SAX
// parser, the reference for what is accepted and the wording of the error.
#include "logs/push/ndjson_push.h"

#include <limits>
#include <optional>
#include <string>
#include <utility>

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include "index/labels_util.h"
#include "logs/push/push_common.h"
#include "util/time_format.h"

namespace gnomon::logs {

using push_internal::BatchBuilder;
using push_internal::CheckLineLength;
using push_internal::NormalizeStreamLabels;

namespace {

using nlohmann::json;

// One top-level field as it was found.
struct Field {
  enum class Kind { kAbsent, kString, kInt, kUint, kOther } kind = Kind::kAbsent;
  std::string text;       // kString
  int64_t i = 0;          // kInt
  uint64_t u = 0;         // kUint
  const char* type = "";  // kOther: "a number with a fraction", "a boolean", "an object", "an array"
};

// SAX handler: whether the line is one object, and its top-level "ts", "service" and "level".
// A field that appears twice keeps its last value (as a DOM parse would); null counts as absent.
class TopLevelFields {
 public:
  Field ts, service, level;
  bool is_object = false;
  std::string error;

  bool null() {
    return Scalar([](Field* f) { f->kind = Field::Kind::kAbsent; });
  }
  bool boolean(bool) { return Other("a boolean"); }
  bool number_integer(json::number_integer_t v) {
    return Scalar([v](Field* f) {
      f->kind = Field::Kind::kInt;
      f->i = v;
    });
  }
  bool number_unsigned(json::number_unsigned_t v) {
    return Scalar([v](Field* f) {
      f->kind = Field::Kind::kUint;
      f->u = v;
    });
  }
  bool number_float(json::number_float_t, const std::string&) { return Other("a number with a fraction"); }
  bool string(std::string& s) {
    return Scalar([&s](Field* f) {
      f->kind = Field::Kind::kString;
      f->text = std::move(s);
    });
  }
  bool binary(json::binary_t&) { return Other("binary"); }
  bool start_object(std::size_t) {
    if (depth_ == 0) is_object = true;
    Other("an object");
    ++depth_;
    return true;
  }
  bool key(std::string& k) {
    if (depth_ == 1) current_ = k == "ts" ? &ts : k == "service" ? &service : k == "level" ? &level : nullptr;
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    Other("an array");
    ++depth_;
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    error = ex.what();
    return false;
  }

 private:
  // A value at the top level of the object fills the field its key named.
  template <typename F>
  bool Scalar(F set) {
    if (depth_ == 1 && current_ != nullptr) {
      set(current_);
      current_ = nullptr;
    }
    return true;
  }
  bool Other(const char* type) {
    return Scalar([type](Field* f) {
      f->kind = Field::Kind::kOther;
      f->type = type;
    });
  }

  int depth_ = 0;
  Field* current_ = nullptr;
};

// TopLevelFields by simdjson: false when it cannot decide the same way as the SAX reader (then
// the caller asks that one).
bool FastTopLevelFields(std::string_view line, TopLevelFields* fields) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(line.data(), line.size()).get(doc) != simdjson::SUCCESS) return false;
  simdjson::dom::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    fields->is_object = false;
    return true;
  }
  fields->is_object = true;
  for (simdjson::dom::key_value_pair kv : object) {
    Field* f = kv.key == "ts"        ? &fields->ts
               : kv.key == "service" ? &fields->service
               : kv.key == "level"   ? &fields->level
                                     : nullptr;
    if (f == nullptr) continue;
    const simdjson::dom::element& v = kv.value;
    switch (v.type()) {
      case simdjson::dom::element_type::NULL_VALUE: *f = Field{}; break;
      case simdjson::dom::element_type::BOOL: *f = Field{Field::Kind::kOther, {}, 0, 0, "a boolean"}; break;
      case simdjson::dom::element_type::INT64:
        *f = Field{Field::Kind::kInt, {}, v.get_int64().value_unsafe(), 0, ""};
        break;
      case simdjson::dom::element_type::UINT64:
        *f = Field{Field::Kind::kUint, {}, 0, v.get_uint64().value_unsafe(), ""};
        break;
      case simdjson::dom::element_type::STRING:
        *f = Field{Field::Kind::kString, std::string(v.get_string().value_unsafe()), 0, 0, ""};
        break;
      case simdjson::dom::element_type::OBJECT: *f = Field{Field::Kind::kOther, {}, 0, 0, "an object"}; break;
      case simdjson::dom::element_type::ARRAY: *f = Field{Field::Kind::kOther, {}, 0, 0, "an array"}; break;
      default: return false;  // a double: nlohmann reads "-0" as an integer
    }
  }
  return true;
}

// nlohmann's message without its exception-id prefix, and "at line 1, column N" as "at column N".
std::string SyntaxError(std::string msg) {
  if (msg.starts_with("[json.exception.")) {
    const size_t end = msg.find("] ");
    if (end != std::string::npos) msg.erase(0, end + 2);
  }
  constexpr std::string_view kLine1 = "at line 1, column ";
  const size_t at = msg.find(kLine1);
  if (at != std::string::npos) msg.replace(at, kLine1.size(), "at column ");
  return "invalid JSON: " + msg;
}

// The entry's time from its "ts" field; *now_used counts the server times handed out.
std::optional<int64_t> Timestamp(const Field& ts, int64_t now_ns, size_t* now_used, std::string* why) {
  switch (ts.kind) {
    case Field::Kind::kAbsent: return now_ns + static_cast<int64_t>((*now_used)++);
    case Field::Kind::kInt: return ts.i;
    case Field::Kind::kUint:
      if (ts.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        *why = "\"ts\" " + std::to_string(ts.u) + " is out of range for Unix nanoseconds";
        return std::nullopt;
      }
      return static_cast<int64_t>(ts.u);
    case Field::Kind::kString: {
      std::optional<int64_t> ns = push_internal::ParseUnixNanos(ts.text);
      if (!ns) ns = ParseRfc3339Nanos(ts.text);
      if (!ns) {
        *why = "\"ts\" " + index::QuoteForMessage(ts.text) +
               " is neither an RFC 3339 time (2023-11-14T22:13:20.123456789Z) nor Unix nanoseconds";
      }
      return ns;
    }
    case Field::Kind::kOther: break;
  }
  *why = std::string("\"ts\" is ") + ts.type + ", not an RFC 3339 string or integer Unix nanoseconds";
  return std::nullopt;
}

// A "service" or "level" value; nullopt (with *why) when it is not a string.
std::optional<std::string> LabelValue(const Field& f, std::string_view name, std::string* why) {
  switch (f.kind) {
    case Field::Kind::kAbsent: return std::string();
    case Field::Kind::kString: return f.text;
    case Field::Kind::kOther: *why = "\"" + std::string(name) + "\" is " + f.type + ", not a string"; break;
    default: *why = "\"" + std::string(name) + "\" is a number, not a string"; break;
  }
  return std::nullopt;
}

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

// Calls fn(line_no, line) for each line of body, '\r' before the line break removed, until fn
// returns false.
template <typename Fn>
void ForEachLine(std::string_view body, Fn fn) {
  size_t line_no = 0, pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!fn(line_no, line)) return;
  }
}

Status TooManyLines(const LogLimits& limits) {
  return Status::ResourceExhausted("request has more than " + std::to_string(limits.max_lines) +
                                   " log lines, the limit");
}

}  // namespace

Result<LogPushResult> DecodeNdjsonLogs(std::string_view body, int64_t now_ns, const LogLimits& limits) {
  LogPushResult result;
  BatchBuilder builder(&result, limits);
  Status failure;
  size_t lines = 0, now_used = 0;
  Labels labels;
  ForEachLine(body, [&](size_t line_no, std::string_view line) {
    if (IsBlank(line)) return true;
    if (++lines > limits.max_lines) {
      failure = TooManyLines(limits);
      return false;
    }
    if (auto why = CheckLineLength(line.size(), limits)) {
      builder.Reject(line_no, 0, std::move(*why));
      return true;
    }
    TopLevelFields fields;
    if (!FastTopLevelFields(line, &fields) && !json::sax_parse(line, &(fields = TopLevelFields()))) {
      builder.Reject(line_no, 0, fields.error.empty() ? "invalid JSON" : SyntaxError(std::move(fields.error)));
      return true;
    }
    if (!fields.is_object) {
      builder.Reject(line_no, 0, "line is not a JSON object");
      return true;
    }
    std::string why;
    std::optional<std::string> service = LabelValue(fields.service, "service", &why);
    std::optional<std::string> level = service ? LabelValue(fields.level, "level", &why) : std::nullopt;
    if (!service || !level) {
      builder.Reject(line_no, 0, std::move(why));
      return true;
    }
    labels.clear();
    labels.push_back(Label{"service", service->empty() ? "unknown" : std::move(*service)});
    if (!level->empty()) labels.push_back(Label{"level", std::move(*level)});
    if (auto bad = NormalizeStreamLabels(&labels, limits)) {
      builder.Reject(line_no, 0, std::move(*bad));
      return true;
    }
    std::optional<int64_t> ts = Timestamp(fields.ts, now_ns, &now_used, &why);
    if (!ts) {
      builder.Reject(line_no, 0, std::move(why));
      return true;
    }
    std::optional<size_t> stream = builder.Stream(labels);
    if (!stream) {
      failure = Status::ResourceExhausted("request has more than " + std::to_string(limits.max_streams) +
                                          " streams (service and level pairs), the limit");
      return false;
    }
    builder.Add(*stream, LogEntry{*ts, std::string(line), {}});
    return true;
  });
  if (!failure.ok()) return failure;
  return result;
}

Result<LogPushResult> DecodePlainTextLogs(std::string_view body, std::string_view service, std::string_view level,
                                          int64_t now_ns, const LogLimits& limits) {
  if (service.empty()) return Status::InvalidArgument("plain-text logs need a service (?service=...)");
  Labels labels{Label{"service", std::string(service)}};
  if (!level.empty()) labels.push_back(Label{"level", std::string(level)});
  if (auto why = NormalizeStreamLabels(&labels, limits)) return Status::InvalidArgument(std::move(*why));

  LogPushResult result;
  BatchBuilder builder(&result, limits);
  Status failure;
  size_t lines = 0;
  std::optional<size_t> stream;
  ForEachLine(body, [&](size_t line_no, std::string_view line) {
    if (line.empty()) return true;
    if (++lines > limits.max_lines) {
      failure = TooManyLines(limits);
      return false;
    }
    if (auto why = CheckLineLength(line.size(), limits)) {
      builder.Reject(line_no, 0, std::move(*why));
      return true;
    }
    if (!stream) stream = builder.Stream(labels);  // one stream: never past max_streams (>= 1)
    if (!stream) {
      failure = Status::ResourceExhausted("max_streams is 0");
      return false;
    }
    builder.Add(*stream, LogEntry{now_ns + static_cast<int64_t>(result.accepted), std::string(line), {}});
    return true;
  });
  if (!failure.ok()) return failure;
  return result;
}

}  // namespace gnomon::logs
