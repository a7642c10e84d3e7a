#include "cli/query_result.h"

#include <algorithm>
#include <cmath>

namespace gnomon::cli {

namespace {

using json = nlohmann::ordered_json;

Status NotTheShape(std::string_view what) { return Status::Internal("unexpected response from the server: " + std::string(what)); }

std::string Snippet(std::string_view body) {
  std::string_view first = body.substr(0, body.find('\n'));
  if (first.size() > 200) first = first.substr(0, 200);
  return std::string(first);
}

bool ParsePoint(const json& pair, Point* out) {
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number()) return false;
  out->t_ms = static_cast<int64_t>(std::llround(pair[0].get<double>() * 1000));
  if (pair[1].is_string()) {
    out->value = pair[1].get<std::string>();
  } else {
    out->value = pair[1].dump();
  }
  return true;
}

bool ParseLabels(const json& metric, Series* s) {
  if (!metric.is_object()) return false;
  for (const auto& [k, v] : metric.items()) {
    if (!v.is_string()) return false;
    s->labels.emplace_back(k, v.get<std::string>());
  }
  std::sort(s->labels.begin(), s->labels.end(), [](const auto& a, const auto& b) {
    if ((a.first == "__name__") != (b.first == "__name__")) return a.first == "__name__";
    return a < b;
  });
  return true;
}

Result<json> ParseSuccess(std::string_view body, long http_status) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Status::Internal(ErrorMessage(body, http_status));
  if (doc.value("status", "") != "success") return Status::InvalidArgument(ErrorMessage(body, http_status));
  if (!doc.contains("data")) return NotTheShape("no \"data\"");
  return doc;
}

}  // namespace

std::string ErrorMessage(std::string_view body, long http_status) {
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.contains("error") && doc["error"].is_string()) {
    std::string type = doc.value("errorType", "");
    return (type.empty() ? "" : type + ": ") + doc["error"].get<std::string>();
  }
  std::string msg = "HTTP " + std::to_string(http_status);
  std::string s = Snippet(body);
  if (!s.empty()) msg += ": " + s;
  return msg;
}

Result<QueryResult> ParseQueryResponse(std::string_view body, long http_status) {
  auto doc = ParseSuccess(body, http_status);
  if (!doc.ok()) return doc.status();
  QueryResult out;
  out.data = std::move((*doc)["data"]);
  if (doc->contains("warnings") && (*doc)["warnings"].is_array()) {
    for (const auto& w : (*doc)["warnings"]) {
      if (w.is_string()) out.warnings.push_back(w.get<std::string>());
    }
  }
  const json& data = out.data;
  if (data.is_array()) {  // /api/v1/series
    out.type = "series";
    for (const auto& m : data) {
      Series s;
      if (!ParseLabels(m, &s)) return NotTheShape("series entry is not a label object");
      out.series.push_back(std::move(s));
    }
    return out;
  }
  if (!data.is_object() || !data.contains("resultType") || !data.contains("result")) {
    return NotTheShape("no resultType/result in data");
  }
  out.type = data["resultType"].is_string() ? data["resultType"].get<std::string>() : "";
  const json& result = data["result"];
  if (out.type == "scalar" || out.type == "string") {
    Series s;
    Point p;
    if (!ParsePoint(result, &p)) return NotTheShape(out.type + " result is not [time, value]");
    s.points.push_back(std::move(p));
    out.series.push_back(std::move(s));
    return out;
  }
  if (out.type != "vector" && out.type != "matrix") return NotTheShape("unknown resultType \"" + out.type + "\"");
  if (!result.is_array()) return NotTheShape("result is not a list");
  for (const auto& item : result) {
    Series s;
    if (!item.is_object() || !ParseLabels(item.value("metric", json::object()), &s)) {
      return NotTheShape("result entry without a metric object");
    }
    Point p;
    if (out.type == "vector") {
      if (item.contains("value")) {
        if (!ParsePoint(item["value"], &p)) return NotTheShape("bad vector sample");
      } else if (item.contains("histogram") && item["histogram"].is_array() && item["histogram"].size() == 2) {
        p.t_ms = static_cast<int64_t>(std::llround(item["histogram"][0].get<double>() * 1000));
        p.value = "<histogram>";
      } else {
        return NotTheShape("vector entry without a value");
      }
      s.points.push_back(std::move(p));
    } else {
      if (item.contains("values")) {
        if (!item["values"].is_array()) return NotTheShape("matrix values is not a list");
        for (const auto& pair : item["values"]) {
          if (!ParsePoint(pair, &p)) return NotTheShape("bad matrix sample");
          s.points.push_back(std::move(p));
        }
      }
    }
    out.series.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<std::string>> ParseStringListResponse(std::string_view body, long http_status) {
  auto doc = ParseSuccess(body, http_status);
  if (!doc.ok()) return doc.status();
  const json& data = (*doc)["data"];
  if (!data.is_array()) return NotTheShape("data is not a list");
  std::vector<std::string> out;
  for (const auto& v : data) {
    if (!v.is_string()) return NotTheShape("data holds a non-string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string SeriesName(const Series& s) {
  std::string out;
  std::string inner;
  for (const auto& [k, v] : s.labels) {
    if (k == "__name__") {
      out = v;
      continue;
    }
    if (!inner.empty()) inner += ", ";
    inner += k + "=" + json(v).dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (!inner.empty() || out.empty()) out += "{" + inner + "}";
  return out;
}

}  // namespace gnomon::cli
