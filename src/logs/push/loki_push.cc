// Loki push decoding: JSON (one nlohmann DOM for the body) and snappy + protobuf.
#include "logs/push/loki_push.h"

#include <google/protobuf/arena.h>
#include <snappy.h>

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>

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

// Reads one ["ts", "line"(, {metadata})] entry into *entry; returns the reason on failure.
std::optional<std::string> DecodeJsonEntry(const json& v, const LogLimits& limits, LogEntry* entry) {
  if (!v.is_array() || v.size() < 2 || v.size() > 3) {
    return "entry is not an array [\"<unix ns>\", \"<line>\"] or [\"<unix ns>\", \"<line>\", {<metadata>}]";
  }
  const json& ts = v[0];
  if (!ts.is_string()) return "timestamp is not a string of Unix nanoseconds";
  const std::string& ts_text = ts.get_ref<const std::string&>();
  std::optional<int64_t> ns = push_internal::ParseUnixNanos(ts_text);
  if (!ns) return "timestamp " + index::QuoteForMessage(ts_text) + " is not an integer number of Unix nanoseconds";
  const json& line = v[1];
  if (!line.is_string()) return "line is not a string";
  const std::string& line_text = line.get_ref<const std::string&>();
  if (auto why = CheckLineLength(line_text.size(), limits)) return why;
  entry->ts_ns = *ns;
  entry->line = line_text;
  entry->metadata.clear();
  if (v.size() == 3) {
    const json& md = v[2];
    if (!md.is_object()) return "structured metadata is not a JSON object";
    for (auto it = md.begin(); it != md.end(); ++it) {
      if (!it.value().is_string())
        return "structured metadata " + index::QuoteForMessage(it.key()) + " is not a string";
      if (it.key().empty()) return "structured metadata has an empty name";
      entry->metadata.emplace_back(it.key(), it.value().get_ref<const std::string&>());
    }
  }
  return std::nullopt;
}

// Reads a stream's "stream" object into *labels; returns the reason on failure.
std::optional<std::string> DecodeJsonLabels(const json& stream, Labels* labels) {
  auto s = stream.find("stream");
  if (s == stream.end()) return "missing \"stream\"";
  if (!s->is_object()) return "\"stream\" is not an object";
  labels->clear();
  for (auto it = s->begin(); it != s->end(); ++it) {
    if (!it.value().is_string())
      return "label " + index::QuoteForMessage(it.key()) + " has a value that is not a string";
    labels->push_back(Label{it.key(), it.value().get_ref<const std::string&>()});
  }
  return std::nullopt;
}

}  // namespace

Result<LogPushResult> DecodeLokiPushJson(std::string_view body, const LogLimits& limits) {
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
      builder.Reject(n, 0, "stream is not a JSON object", 0);
      continue;
    }
    auto values = s.find("values");
    const size_t count = values != s.end() && values->is_array() ? values->size() : 0;
    std::optional<std::string> why = DecodeJsonLabels(s, &labels);
    if (!why) {
      if (values == s.end()) {
        why = "missing \"values\"";
      } else if (!values->is_array()) {
        why = "\"values\" is not an array";
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
