// Loki push decoding: JSON and snappy + protobuf.
//
// A JSON body is read with simdjson's DOM, which checks the whole document as it parses and takes
// nothing that nlohmann-json rejects (it refuses a little more: integers past 64 bits, nesting
// deeper than 1024, a byte-order mark, bytes after a NUL). Every stream and entry is then decided
// as the nlohmann reading decides it, objects read the way nlohmann holds them: members sorted by
// key, a key written twice meaning its last value. A body simdjson does not parse, or whose top
// level is not {"streams": [...]}, goes to the nlohmann reading (one DOM for the body), the
// reference for what is accepted and the wording of every error.
#include "logs/push/loki_push.h"

#include <google/protobuf/arena.h>
#include <snappy.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include "index/labels_util.h"
#include "index/matcher_eval.h"
#include "ingest/json_error.h"
#include "ingest/snappy_body.h"
#include "logs/push/push_common.h"
#include "push.pb.h"
#include "query/selector.h"

namespace gnomon::logs {

using push_internal::BatchBuilder;
using push_internal::CheckLineLength;
using push_internal::NormalizeStreamLabels;

namespace {

using nlohmann::json;

Status TooManyLines(size_t lines, const LogLimits& limits) {
  return Status::ResourceExhausted("request has " + std::to_string(lines) + " log lines, limit is " +
                                   std::to_string(limits.max_lines));
}

Status TooManyStreams(const LogLimits& limits) {
  return Status::ResourceExhausted("request has more than " + std::to_string(limits.max_streams) +
                                   " streams (label sets), the limit");
}

// The rejections' reasons, the same from both readings.
constexpr const char* kStreamNotObject = "stream is not a JSON object";
constexpr const char* kMissingStream = "missing \"stream\"";
constexpr const char* kLabelsNotObject = "\"stream\" is not an object";
constexpr const char* kMissingValues = "missing \"values\"";
constexpr const char* kValuesNotArray = "\"values\" is not an array";
constexpr const char* kNotEntry =
    "entry is not an array [\"<unix ns>\", \"<line>\"] or [\"<unix ns>\", \"<line>\", {<metadata>}]";
constexpr const char* kTimestampNotString = "timestamp is not a string of Unix nanoseconds";
constexpr const char* kLineNotString = "line is not a string";
constexpr const char* kMetadataNotObject = "structured metadata is not a JSON object";
constexpr const char* kMetadataEmptyName = "structured metadata has an empty name";

std::string LabelNotString(std::string_view name) {
  return "label " + index::QuoteForMessage(name) + " has a value that is not a string";
}
std::string BadTimestamp(std::string_view text) {
  return "timestamp " + index::QuoteForMessage(text) + " is not an integer number of Unix nanoseconds";
}
std::string MetadataNotString(std::string_view name) {
  return "structured metadata " + index::QuoteForMessage(name) + " is not a string";
}

// ---- the reference reading: one nlohmann-json DOM ------------------------------------------

// Reads one ["ts", "line"(, {metadata})] entry into *entry; returns the reason on failure.
std::optional<std::string> DecodeJsonEntry(const json& v, const LogLimits& limits, LogEntry* entry) {
  if (!v.is_array() || v.size() < 2 || v.size() > 3) {
    return kNotEntry;
  }
  const json& ts = v[0];
  if (!ts.is_string()) return kTimestampNotString;
  const std::string& ts_text = ts.get_ref<const std::string&>();
  std::optional<int64_t> ns = push_internal::ParseUnixNanos(ts_text);
  if (!ns) return BadTimestamp(ts_text);
  const json& line = v[1];
  if (!line.is_string()) return kLineNotString;
  const std::string& line_text = line.get_ref<const std::string&>();
  if (auto why = CheckLineLength(line_text.size(), limits)) return why;
  entry->ts_ns = *ns;
  entry->line = line_text;
  entry->metadata.clear();
  if (v.size() == 3) {
    const json& md = v[2];
    if (!md.is_object()) return kMetadataNotObject;
    for (auto it = md.begin(); it != md.end(); ++it) {
      if (!it.value().is_string()) return MetadataNotString(it.key());
      if (it.key().empty()) return kMetadataEmptyName;
      entry->metadata.emplace_back(it.key(), it.value().get_ref<const std::string&>());
    }
  }
  return std::nullopt;
}

// Reads a stream's "stream" object into *labels; returns the reason on failure.
std::optional<std::string> DecodeJsonLabels(const json& stream, Labels* labels) {
  auto s = stream.find("stream");
  if (s == stream.end()) return kMissingStream;
  if (!s->is_object()) return kLabelsNotObject;
  labels->clear();
  for (auto it = s->begin(); it != s->end(); ++it) {
    if (!it.value().is_string()) return LabelNotString(it.key());
    labels->push_back(Label{it.key(), it.value().get_ref<const std::string&>()});
  }
  return std::nullopt;
}

Result<LogPushResult> DecodeWithNlohmann(std::string_view body, const LogLimits& limits) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument(ingest::JsonErrorMessage(body));
  if (!doc.is_object()) return Status::InvalidArgument("push request is not a JSON object");
  auto streams = doc.find("streams");
  if (streams == doc.end()) return Status::InvalidArgument("push request has no \"streams\"");
  if (!streams->is_array()) return Status::InvalidArgument("\"streams\" is not an array");

  size_t lines = 0;
  for (const json& s : *streams) {
    if (!s.is_object()) continue;
    auto values = s.find("values");
    if (values != s.end() && values->is_array()) lines += values->size();
  }
  if (lines > limits.max_lines) return TooManyLines(lines, limits);

  LogPushResult result;
  BatchBuilder builder(&result, limits);
  Labels labels;
  for (size_t i = 0; i < streams->size(); ++i) {
    const json& s = (*streams)[i];
    const size_t n = i + 1;
    if (!s.is_object()) {
      builder.Reject(n, 0, kStreamNotObject, 0);
      continue;
    }
    auto values = s.find("values");
    const size_t count = values != s.end() && values->is_array() ? values->size() : 0;
    std::optional<std::string> why = DecodeJsonLabels(s, &labels);
    if (!why) {
      if (values == s.end()) {
        why = kMissingValues;
      } else if (!values->is_array()) {
        why = kValuesNotArray;
      }
    }
    if (!why) why = NormalizeStreamLabels(&labels, limits);
    if (why) {
      builder.Reject(n, 0, std::move(*why), count);
      continue;
    }
    if (count == 0) continue;
    std::optional<size_t> stream = builder.Stream(std::move(labels));
    if (!stream) return TooManyStreams(limits);
    for (size_t j = 0; j < count; ++j) {
      LogEntry entry;
      if (auto bad = DecodeJsonEntry((*values)[j], limits, &entry)) {
        builder.Reject(n, j + 1, std::move(*bad));
        continue;
      }
      builder.Add(*stream, std::move(entry));
    }
  }
  return result;
}

// ---- the fast reading: simdjson's DOM --------------------------------------------------------

namespace sj = simdjson::dom;

using Members = std::vector<std::pair<std::string_view, sj::element>>;

// `object`'s members as nlohmann-json holds them: sorted by key (byte by byte), a key written
// twice with its last value.
void SortedMembers(sj::object object, Members* out) {
  out->clear();
  for (sj::key_value_pair kv : object) out->emplace_back(kv.key, kv.value);
  auto by_key = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (std::is_sorted(out->begin(), out->end(), by_key)) {
    if (std::adjacent_find(out->begin(), out->end(), [](const auto& a, const auto& b) { return a.first == b.first; }) ==
        out->end()) {
      return;
    }
  } else {
    std::stable_sort(out->begin(), out->end(), by_key);
  }
  // Walked backwards, the first of each run of equal keys is the one written last; the survivors
  // end up at the back, in order.
  auto kept = std::unique(out->rbegin(), out->rend(), [](const auto& a, const auto& b) { return a.first == b.first; });
  out->erase(out->begin(), kept.base());
}

// The value of `key` in `object`, its last if written twice; nullopt without it.
std::optional<sj::element> Member(sj::object object, std::string_view key) {
  std::optional<sj::element> found;
  for (sj::key_value_pair kv : object) {
    if (kv.key == key) found = kv.value;
  }
  return found;
}

// The number of elements of `array` (sj::array::size() stops counting at 0xFFFFFF).
size_t ArraySize(sj::array array) {
  size_t n = array.size();
  if (n < 0xFFFFFF) return n;
  n = 0;
  for (sj::element e : array) {
    (void)e;
    ++n;
  }
  return n;
}

// DecodeJsonLabels over simdjson: `stream` is the stream's "stream" member, if it has one.
std::optional<std::string> DecodeFastLabels(const std::optional<sj::element>& stream, Members* members,
                                            Labels* labels) {
  if (!stream) return kMissingStream;
  sj::object object;
  if (stream->get_object().get(object) != simdjson::SUCCESS) return kLabelsNotObject;
  SortedMembers(object, members);
  labels->clear();
  for (const auto& [name, value] : *members) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) return LabelNotString(name);
    labels->push_back(Label{std::string(name), std::string(text)});
  }
  return std::nullopt;
}

// DecodeJsonEntry over simdjson.
std::optional<std::string> DecodeFastEntry(sj::element v, const LogLimits& limits, Members* members, LogEntry* entry) {
  sj::array array;
  if (v.get_array().get(array) != simdjson::SUCCESS) return kNotEntry;
  const size_t size = array.size();  // past 3 even when it saturates
  if (size < 2 || size > 3) return kNotEntry;
  sj::array::iterator it = array.begin();
  std::string_view ts;
  if ((*it).get_string().get(ts) != simdjson::SUCCESS) return kTimestampNotString;
  std::optional<int64_t> ns = push_internal::ParseUnixNanos(ts);
  if (!ns) return BadTimestamp(ts);
  std::string_view line;
  if ((*++it).get_string().get(line) != simdjson::SUCCESS) return kLineNotString;
  if (auto why = CheckLineLength(line.size(), limits)) return why;
  entry->ts_ns = *ns;
  entry->line.assign(line);  // the one copy of the line: out of simdjson's string buffer
  entry->metadata.clear();
  if (size == 3) {
    sj::object md;
    if ((*++it).get_object().get(md) != simdjson::SUCCESS) return kMetadataNotObject;
    SortedMembers(md, members);
    entry->metadata.reserve(members->size());
    for (const auto& [name, value] : *members) {
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) return MetadataNotString(name);
      if (name.empty()) return kMetadataEmptyName;
      entry->metadata.emplace_back(name, text);
    }
  }
  return std::nullopt;
}

// DecodeWithNlohmann over simdjson; nullopt for a body it leaves to that one: one simdjson does
// not parse, or one that fails for its top level (not an object, no "streams" array).
std::optional<Result<LogPushResult>> DecodeWithSimdjson(std::string_view body, const LogLimits& limits) {
  sj::parser parser;
  sj::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return std::nullopt;
  sj::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) return std::nullopt;
  std::optional<sj::element> streams_member = Member(root, "streams");
  sj::array streams;
  if (!streams_member || streams_member->get_array().get(streams) != simdjson::SUCCESS) return std::nullopt;

  size_t lines = 0;
  for (sj::element s : streams) {
    sj::object object;
    sj::array values;
    if (s.get_object().get(object) != simdjson::SUCCESS) continue;
    std::optional<sj::element> member = Member(object, "values");
    if (member && member->get_array().get(values) == simdjson::SUCCESS) lines += ArraySize(values);
  }
  if (lines > limits.max_lines) return TooManyLines(lines, limits);

  LogPushResult result;
  BatchBuilder builder(&result, limits);
  Labels labels;
  Members members;
  size_t n = 0;
  for (sj::element s : streams) {
    ++n;
    sj::object object;
    if (s.get_object().get(object) != simdjson::SUCCESS) {
      builder.Reject(n, 0, kStreamNotObject, 0);
      continue;
    }
    std::optional<sj::element> stream_member, values_member;
    for (sj::key_value_pair kv : object) {
      if (kv.key == "stream") stream_member = kv.value;
      if (kv.key == "values") values_member = kv.value;
    }
    sj::array values;
    const bool values_is_array = values_member && values_member->get_array().get(values) == simdjson::SUCCESS;
    const size_t count = values_is_array ? ArraySize(values) : 0;
    std::optional<std::string> why = DecodeFastLabels(stream_member, &members, &labels);
    if (!why) {
      if (!values_member) {
        why = kMissingValues;
      } else if (!values_is_array) {
        why = kValuesNotArray;
      }
    }
    if (!why) why = NormalizeStreamLabels(&labels, limits);
    if (why) {
      builder.Reject(n, 0, std::move(*why), count);
      continue;
    }
    if (count == 0) continue;
    std::optional<size_t> stream = builder.Stream(std::move(labels));
    if (!stream) return TooManyStreams(limits);
    size_t j = 0;
    for (sj::element v : values) {
      ++j;
      LogEntry entry;
      if (auto bad = DecodeFastEntry(v, limits, &members, &entry)) {
        builder.Reject(n, j, std::move(*bad));
        continue;
      }
      builder.Add(*stream, std::move(entry));
    }
  }
  return result;
}

}  // namespace

Result<LogPushResult> DecodeLokiPushJson(std::string_view body, const LogLimits& limits) {
  if (std::optional<Result<LogPushResult>> fast = DecodeWithSimdjson(body, limits)) return std::move(*fast);
  return DecodeWithNlohmann(body, limits);
}

Result<Labels> ParseLokiLabels(std::string_view text) {
  size_t start = 0;
  while (start < text.size() && (text[start] == ' ' || text[start] == '\t' || text[start] == '\n')) ++start;
  if (start == text.size() || text[start] != '{') {
    return Status::InvalidArgument("labels must be written {name=\"value\", ...}");
  }
  Result<Matchers> matchers = query::ParseSeriesSelector(text);
  if (!matchers.ok()) return matchers.status();
  Labels labels;
  labels.reserve(matchers->size());
  for (Matcher& m : *matchers) {
    if (m.type != Matcher::Type::kEqual) {
      return Status::InvalidArgument("label " + index::QuoteForMessage(m.name) + " uses " +
                                     index::MatcherOpText(m.type) + "; only = is allowed");
    }
    labels.push_back(Label{std::move(m.name), std::move(m.value)});
  }
  return labels;
}

Result<LogPushResult> DecodeLokiPushProtobuf(std::string_view body, size_t max_decompressed_bytes,
                                             const LogLimits& limits) {
  auto checked = ingest::SnappyBodySize(body, max_decompressed_bytes, "PushRequest");
  if (!checked.ok()) return checked.status();
  std::string raw;
  if (!snappy::Uncompress(body.data(), body.size(), &raw)) return Status::InvalidArgument("snappy: corrupt input");

  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<logproto::PushRequest>(&arena);
  if (!request->ParseFromArray(raw.data(), static_cast<int>(raw.size()))) {
    return Status::InvalidArgument("protobuf: cannot parse PushRequest");
  }
  size_t lines = 0;
  for (const logproto::StreamAdapter& s : request->streams()) lines += static_cast<size_t>(s.entries_size());
  if (lines > limits.max_lines) return TooManyLines(lines, limits);

  LogPushResult result;
  BatchBuilder builder(&result, limits);
  for (int i = 0; i < request->streams_size(); ++i) {
    const logproto::StreamAdapter& s = request->streams(i);
    const size_t n = static_cast<size_t>(i) + 1;
    const size_t count = static_cast<size_t>(s.entries_size());
    Result<Labels> labels = ParseLokiLabels(s.labels());
    if (!labels.ok()) {
      builder.Reject(n, 0, "invalid labels: " + labels.status().message(), count);
      continue;
    }
    if (auto why = NormalizeStreamLabels(&*labels, limits)) {
      builder.Reject(n, 0, std::move(*why), count);
      continue;
    }
    if (count == 0) continue;
    std::optional<size_t> stream = builder.Stream(std::move(*labels));
    if (!stream) return TooManyStreams(limits);
    for (int j = 0; j < s.entries_size(); ++j) {
      const logproto::EntryAdapter& e = s.entries(j);
      const size_t m = static_cast<size_t>(j) + 1;
      const int64_t secs = e.timestamp().seconds();
      const int32_t nanos = e.timestamp().nanos();
      int64_t ns = 0;
      if (nanos < 0 || nanos > 999'999'999) {
        builder.Reject(n, m, "timestamp nanos " + std::to_string(nanos) + " is outside [0, 999999999]");
        continue;
      }
      if (__builtin_mul_overflow(secs, int64_t{1'000'000'000}, &ns) || __builtin_add_overflow(ns, nanos, &ns)) {
        builder.Reject(n, m, "timestamp " + std::to_string(secs) + "s is out of range");
        continue;
      }
      if (auto why = CheckLineLength(e.line().size(), limits)) {
        builder.Reject(n, m, std::move(*why));
        continue;
      }
      LogEntry entry{ns, e.line(), {}};
      bool ok = true;
      entry.metadata.reserve(static_cast<size_t>(e.structuredmetadata_size()));
      for (const logproto::LabelPairAdapter& p : e.structuredmetadata()) {
        if (p.name().empty()) {
          ok = false;
          break;
        }
        entry.metadata.emplace_back(p.name(), p.value());
      }
      if (!ok) {
        builder.Reject(n, m, "structured metadata has an empty name");
        continue;
      }
      builder.Add(*stream, std::move(entry));
    }
  }
  return result;
}

}  // namespace gnomon::logs
