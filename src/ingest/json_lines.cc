// VictoriaMetrics JSON lines: import (nlohmann::json, one DOM per line) and export (hand-written).
#include "ingest/json_lines.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ingest/json_error.h"
#include "util/decimal_format.h"
#include "util/strings.h"

namespace gnomon::ingest {

namespace {

using nlohmann::json;

// The value strings VictoriaMetrics accepts (and the "+Inf" spelling Prometheus uses).
std::optional<double> SpecialValue(const std::string& s) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Inf" || s == "+Inf" || s == "Infinity" || s == "+Infinity") return kInf;
  if (s == "-Inf" || s == "-Infinity") return -kInf;
  return std::nullopt;
}

std::optional<double> ToValue(const json& v) {
  switch (v.type()) {
    case json::value_t::number_float:
      return v.get<double>();
    case json::value_t::number_integer:
      return static_cast<double>(v.get<int64_t>());
    case json::value_t::number_unsigned:
      return static_cast<double>(v.get<uint64_t>());
    case json::value_t::string:
      return SpecialValue(v.get_ref<const std::string&>());
    default:
      return std::nullopt;
  }
}

// Integer milliseconds; an integral float (1.7e12) is accepted, a fractional one is not.
std::optional<int64_t> ToTimestamp(const json& v, std::string* why) {
  switch (v.type()) {
    case json::value_t::number_integer:
      return v.get<int64_t>();
    case json::value_t::number_unsigned: {
      uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        *why = "is out of range";
        return std::nullopt;
      }
      return static_cast<int64_t>(u);
    }
    case json::value_t::number_float: {
      double d = v.get<double>();
      // [-2^63, 2^63): exactly the doubles that convert to int64 without overflow.
      if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
        *why = "is out of range";
        return std::nullopt;
      }
      if (std::trunc(d) != d) {
        *why = "is not an integer";
        return std::nullopt;
      }
      return static_cast<int64_t>(d);
    }
    default:
      *why = "is not a number";
      return std::nullopt;
  }
}

// Fills *labels and *samples from one parsed line; returns the reason on failure.
std::optional<std::string> DecodeLine(const json& doc, Labels* labels, std::vector<Sample>* samples) {
  if (!doc.is_object()) return "line is not a JSON object";
  auto metric = doc.find("metric");
  if (metric == doc.end()) return "missing \"metric\"";
  if (!metric->is_object()) return "\"metric\" is not an object";
  auto values = doc.find("values");
  if (values == doc.end()) return "missing \"values\"";
  if (!values->is_array()) return "\"values\" is not an array";
  auto timestamps = doc.find("timestamps");
  if (timestamps == doc.end()) return "missing \"timestamps\"";
  if (!timestamps->is_array()) return "\"timestamps\" is not an array";

  labels->clear();
  for (auto it = metric->begin(); it != metric->end(); ++it) {
    if (!it.value().is_string()) return "label \"" + it.key() + "\" has a value that is not a string";
    const std::string& value = it.value().get_ref<const std::string&>();
    if (value.empty()) continue;  // as in remote_write: an empty value means no label
    labels->push_back(Label{it.key(), value});
  }
  if (labels->empty()) return "\"metric\" has no labels";

  if (values->size() != timestamps->size()) {
    return "values and timestamps have different lengths (" + std::to_string(values->size()) + " vs " +
           std::to_string(timestamps->size()) + ")";
  }
  samples->resize(values->size());
  for (size_t i = 0; i < values->size(); ++i) {
    std::optional<double> v = ToValue((*values)[i]);
    if (!v) return "value " + std::to_string(i) + " is not a number";
    std::string why;
    std::optional<int64_t> t = ToTimestamp((*timestamps)[i], &why);
    if (!t) return "timestamp " + std::to_string(i) + " " + why;
    (*samples)[i] = Sample{*t, *v};
  }
  return std::nullopt;
}

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// Writes an export value (at most 24 chars); returns the end.
char* WriteValue(double v, DecimalFormatter* f, char* p) {
  if (char* end = f->TryShortest(v, p)) return end;
  std::string_view special;
  if (std::isnan(v)) {
    special = "\"NaN\"";
  } else if (std::isinf(v)) {
    special = v > 0 ? "\"+Inf\"" : "\"-Inf\"";
  } else if (v == 0 && std::signbit(v)) {
    special = "-0.0";  // "-0" would read back as the integer 0 and lose the sign
  } else {
    return std::to_chars(p, p + kNumberBufferSize, v).ptr;
  }
  std::memcpy(p, special.data(), special.size());
  return p + special.size();
}

// Writes a timestamp; returns the end.
char* WriteTimestamp(int64_t ms, SortedUintWriter<6>* w, char* p) {
  if (ms >= 0) return w->Write(static_cast<uint64_t>(ms), p);
  return std::to_chars(p, p + kNumberBufferSize, ms).ptr;
}

}  // namespace

JsonImportResult ParseJsonLines(std::string_view body, WriteBatch* batch, size_t max_errors) {
  JsonImportResult result;
  Labels labels;
  std::vector<Sample> samples;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (IsBlank(line)) continue;
    ++result.lines;

    std::optional<std::string> error;
    json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      error = JsonErrorMessage(line, /*one_line=*/true);
    } else {
      error = DecodeLine(doc, &labels, &samples);
    }
    if (error) {
      ++result.rejected_lines;
      if (result.errors.size() < max_errors) result.errors.push_back(JsonLineError{line_no, std::move(*error)});
      continue;
    }
    batch->Add(labels, samples);
    result.samples += samples.size();
  }
  return result;
}

void AppendJsonLine(const Labels& labels, std::span<const Sample> samples, std::string* out) {
  out->append("{\"metric\":{");
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(labels[i].name, out);
    out->push_back(':');
    AppendJsonString(labels[i].value, out);
  }
  out->append("},\"values\":[");
  {
    ChunkedAppender chunk(out);
    DecimalFormatter values;
    for (size_t i = 0; i < samples.size(); ++i) {
      char* p = chunk.Next();
      if (i > 0) *p++ = ',';
      chunk.Commit(WriteValue(samples[i].value, &values, p));
    }
  }
  out->append("],\"timestamps\":[");
  {
    ChunkedAppender chunk(out);
    SortedUintWriter<6> timestamps;
    for (size_t i = 0; i < samples.size(); ++i) {
      char* p = chunk.Next();
      if (i > 0) *p++ = ',';
      chunk.Commit(WriteTimestamp(samples[i].timestamp, &timestamps, p));
    }
  }
  out->append("]}\n");
}

}  // namespace gnomon::ingest
