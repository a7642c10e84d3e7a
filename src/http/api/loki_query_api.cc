#include "http/api/loki_query_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>

#include "http/api/logs_api.h"
#include "http/api/query_json.h"
#include "logs/logql/eval.h"
#include "logs/logql/line_filter.h"
#include "logs/logql/parser.h"
#include "util/clock.h"
#include "util/duration.h"
#include "util/go_json.h"

namespace gnomon::api {

namespace {

constexpr int64_t kSecondNs = 1'000'000'000;
constexpr int64_t kHourNs = 3600 * kSecondNs;
constexpr size_t kDefaultLimit = 100;

void TextError(http::Response& resp, int status, std::string_view message) {
  resp.status = status;
  resp.content_type = "text/plain; charset=utf-8";
  resp.body = std::string(message) + "\n";
}

const std::string* Find(const http::Params& params, std::string_view name) {
  for (const auto& [n, v] : params) {
    if (n == name) return &v;
  }
  return nullptr;
}

// The parameters every query takes. False (and the response set) on a bad one.
struct QueryParams {
  std::string query;
  int64_t start = 0, end = 0, time = 0;  // ns
  int64_t step = 0;                      // ns; 0: the default
  size_t limit = kDefaultLimit;
  bool backward = true;
};

// start/end of the labels, values and series endpoints: default end = now, start = end - 6h.
bool ReadRange(const http::Params& params, int64_t* start, int64_t* end, http::Response& resp) {
  std::optional<int64_t> got[2];
  const char* names[2] = {"start", "end"};
  for (int i = 0; i < 2; ++i) {
    const std::string* v = Find(params, names[i]);
    if (!v || v->empty()) continue;
    auto t = ParseLogTimeNs(*v);
    if (!t.ok()) {
      TextError(resp, 400, fmt::format("invalid parameter \"{}\": {}", names[i], t.status().message()));
      return false;
    }
    got[i] = *t;
  }
  *end = got[1].value_or(NowNs());
  *start = got[0].value_or(SatSub(*end, 6 * kHourNs));
  if (*end < *start) {
    TextError(resp, 400, "end timestamp must not be before or equal to start time");
    return false;
  }
  // The range is inclusive of end, as Loki's.
  *end = SatAdd(*end, 1);
  return true;
}

bool ReadParams(const http::Params& params, size_t max_limit, QueryParams* q, http::Response& resp) {
  const int64_t now = NowNs();
  if (const std::string* v = Find(params, "query")) q->query = *v;
  std::optional<int64_t> start, end, time;
  for (const char* name : {"start", "end", "time"}) {
    const std::string* v = Find(params, name);
    if (!v || v->empty()) continue;
    auto t = ParseLogTimeNs(*v);
    if (!t.ok()) {
      TextError(resp, 400, fmt::format("invalid parameter \"{}\": {}", name, t.status().message()));
      return false;
    }
    (name[0] == 's' ? start : name[0] == 'e' ? end : time) = *t;
  }
  q->end = end.value_or(now);
  q->start = start.value_or(SatSub(q->end, kHourNs));
  q->time = time.value_or(now);
  if (q->end < q->start) {
    TextError(resp, 400, "end timestamp must not be before or equal to start time");
    return false;
  }
  if (const std::string* v = Find(params, "limit"); v && !v->empty()) {
    size_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size()) {
      TextError(resp, 400, fmt::format("invalid parameter \"limit\": cannot parse \"{}\" as an integer", *v));
      return false;
    }
    if (n > max_limit) {
      TextError(resp, 400,
                fmt::format("max entries limit per query exceeded, limit > max_entries_limit ({} > {})", n, max_limit));
      return false;
    }
    q->limit = n;
  }
  if (const std::string* v = Find(params, "direction"); v && !v->empty()) {
    std::string d = *v;
    std::transform(d.begin(), d.end(), d.begin(), [](unsigned char c) { return std::tolower(c); });
    if (d != "backward" && d != "forward") {
      TextError(resp, 400, fmt::format("invalid direction \"{}\": expected forward or backward", *v));
      return false;
    }
    q->backward = d == "backward";
  }
  if (const std::string* v = Find(params, "step"); v && !v->empty()) {
    char* stop = nullptr;
    const double secs = std::strtod(v->c_str(), &stop);
    if (*stop == '\0' && std::isfinite(secs) && std::fabs(secs) < 9e9) {
      q->step = static_cast<int64_t>(std::llround(secs * 1e9));
    } else {
      auto ms = ParseDurationMs(*v);
      if (!ms.ok()) {
        TextError(resp, 400, fmt::format("invalid parameter \"step\": cannot parse \"{}\" as a duration", *v));
        return false;
      }
      q->step = *ms > INT64_MAX / 1'000'000 ? INT64_MAX : *ms * 1'000'000;
    }
    if (q->step <= 0) {
      TextError(resp, 400,
                "zero or negative query resolution step widths are not accepted. "
                "Try a positive integer");
      return false;
    }
  }
  return true;
}

void AppendStats(std::string* out, const logs::logql::EvalStats& s, int64_t began_ns, size_t returned) {
  const double secs = std::max(static_cast<double>(NowNs() - began_ns) / 1e9, 1e-9);
  fmt::format_to(std::back_inserter(*out),
                 "\"stats\":{{\"summary\":{{\"bytesProcessedPerSecond\":{},\"linesProcessedPerSecond\":{},"
                 "\"totalBytesProcessed\":{},\"totalLinesProcessed\":{},\"execTime\":",
                 static_cast<int64_t>(static_cast<double>(s.bytes_scanned) / secs),
                 static_cast<int64_t>(static_cast<double>(s.lines_scanned) / secs), s.bytes_scanned, s.lines_scanned);
  AppendFloat(out, secs, false);
  fmt::format_to(std::back_inserter(*out), ",\"queueTime\":0,\"subqueries\":0,\"totalEntriesReturned\":{}}}}}",
                 returned);
}

std::string StreamsJson(const logs::logql::LogQueryResult& r, int64_t began_ns) {
  std::string out = "{\"status\":\"success\",\"data\":{\"resultType\":\"streams\",\"result\":[";
  size_t returned = 0;
  for (size_t i = 0; i < r.streams.size(); ++i) {
    const logs::logql::StreamResult& s = r.streams[i];
    if (i) out += ',';
    out += "{\"stream\":";
    AppendLabelsJson(&out, s.labels);
    out += ",\"values\":[";
    for (size_t j = 0; j < s.entries.size(); ++j) {
      if (j) out += ',';
      out += "[\"" + std::to_string(s.entries[j].first) + "\",";
      AppendGoJsonString(&out, s.entries[j].second);
      out += ']';
    }
    out += "]}";
    returned += s.entries.size();
  }
  out += "],";
  AppendStats(&out, r.stats, began_ns, returned);
  out += "}}";
  return out;
}

void AppendPoint(std::string* out, int64_t ts_ns, double v) {
  out->push_back('[');
  AppendPromTimestamp(out, ts_ns / 1'000'000);
  out->append(",\"");
  AppendPromFloat(out, v);
  out->append("\"]");
}

std::string MetricJson(const logs::logql::MetricResult& r, bool instant, int64_t began_ns) {
  std::string out = "{\"status\":\"success\",\"data\":{\"resultType\":\"";
  out += instant ? "vector" : "matrix";
  out += "\",\"result\":[";
  bool first = true;
  size_t returned = 0;
  for (const logs::logql::MetricSeries& s : r.series) {
    if (s.points.empty()) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"metric\":";
    AppendLabelsJson(&out, s.labels);
    if (instant) {
      out += ",\"value\":";
      AppendPoint(&out, s.points.back().first, s.points.back().second);
    } else {
      out += ",\"values\":[";
      for (size_t j = 0; j < s.points.size(); ++j) {
        if (j) out += ',';
        AppendPoint(&out, s.points[j].first, s.points[j].second);
      }
      out += ']';
    }
    out += '}';
    returned += s.points.size();
  }
  out += "],";
  AppendStats(&out, r.stats, began_ns, returned);
  out += "}}";
  return out;
}

// 400 with the message for a query's own faults (parse errors, limits), 500 for the store's.
void EvalError(http::Response& resp, const Status& s) {
  const bool client = s.code() == Status::Code::kInvalidArgument || s.code() == Status::Code::kResourceExhausted;
  TextError(resp, client ? 400 : 500, s.message());
}

bool IsHealthCheck(std::string_view q) {
  std::string compact;
  for (char c : q) {
    if (c != ' ' && c != '\t' && c != '\n') compact.push_back(c);
  }
  return compact == "vector(1)+vector(1)";
}

class LokiQueryApi {
 public:
  LokiQueryApi(const logs::LogStore* store, const logs::LogsConfig& config)
      : store_(store),
        max_limit_(config.max_entries_limit_per_query),
        max_length_ns_(config.max_query_length_ms * 1'000'000),  // at most 100 years: fits
        max_length_text_(FormatDuration(config.max_query_length_ms)) {
    limits_.max_bytes_read = config.max_query_bytes_read;
  }

  void Query(const http::Request& req, http::Response& resp, bool range) const {
    const int64_t began = NowNs();
    QueryParams q;
    if (!ReadParams(req.Params(), max_limit_, &q, resp)) return;
    if (!range && IsHealthCheck(q.query)) {
      logs::logql::MetricResult r;
      r.series.push_back({{}, {{q.time, 2}}});
      resp.content_type = "application/json";
      resp.body = MetricJson(r, true, began);
      return;
    }
    auto expr = logs::logql::ParseQuery(q.query);
    if (!expr.ok()) return TextError(resp, 400, expr.status().message());
    if (range &&
        static_cast<uint64_t>(q.end) - static_cast<uint64_t>(q.start) > static_cast<uint64_t>(max_length_ns_)) {
      // Loki's words ([logs] max_query_length, Loki's limit of the same name).
      return TextError(resp, 400,
                       fmt::format("the query time range exceeds the limit (query length: {}, limit: {})",
                                   FormatDuration(static_cast<int64_t>(
                                       (static_cast<uint64_t>(q.end) - static_cast<uint64_t>(q.start)) / 1'000'000)),
                                   max_length_text_));
    }
    const logs::logql::LineSource source = logs::logql::StoreSource(*store_);
    resp.content_type = "application/json";
    if ((*expr)->IsLogQuery()) {
      // An instant log query reads (time - 1h, time].
      const int64_t start = range ? q.start : SatAdd(SatSub(q.time, kHourNs), 1);
      const int64_t end = range ? q.end : SatAdd(q.time, 1);
      auto r = logs::logql::EvalLogQuery(source, **expr, start, end, q.limit, q.backward, limits_);
      if (!r.ok()) return EvalError(resp, r.status());
      resp.body = StreamsJson(*r, began);
      return;
    }
    int64_t start = q.time, end = q.time, step = kSecondNs;
    if (range) {
      start = q.start;
      end = q.end;
      const double span_s = (static_cast<double>(end) - static_cast<double>(start)) / 1e9;
      step = q.step ? q.step : static_cast<int64_t>(std::max(std::floor(span_s / 250), 1.0)) * kSecondNs;
    }
    auto r = logs::logql::EvalMetricQuery(source, **expr, start, end, step, limits_);
    if (!r.ok()) return EvalError(resp, r.status());
    resp.body = MetricJson(*r, !range, began);
  }

  void Labels(const http::Request& req, http::Response& resp) const {
    int64_t start = 0, end = 0;
    if (!ReadRange(req.Params(), &start, &end, resp)) return;
    auto names = store_->LabelNames(start, end);
    if (!names.ok()) return TextError(resp, 500, names.status().ToString());
    resp.content_type = "application/json";
    resp.body = StringListJson(*names);
  }

  void LabelValues(const http::Request& req, http::Response& resp) const {
    int64_t start = 0, end = 0;
    if (!ReadRange(req.Params(), &start, &end, resp)) return;
    auto values = store_->LabelValues(req.PathParam("name"), start, end);
    if (!values.ok()) return TextError(resp, 500, values.status().ToString());
    resp.content_type = "application/json";
    resp.body = StringListJson(*values);
  }

  void Series(const http::Request& req, http::Response& resp) const {
    std::vector<Matchers> selectors;
    for (const auto& [name, value] : req.Params()) {
      if (name != "match[]" && name != "match") continue;
      auto expr = logs::logql::ParseQuery(value);
      if (!expr.ok()) return TextError(resp, 400, expr.status().message());
      if (!(*expr)->IsLogQuery()) return TextError(resp, 400, "match[] takes a stream selector, not a metric query");
      selectors.push_back(logs::logql::StreamMatchers(**expr));
    }
    if (selectors.empty()) selectors.emplace_back();
    int64_t start = 0, end = 0;
    if (!ReadRange(req.Params(), &start, &end, resp)) return;
    std::set<gnomon::Labels> all;
    for (const Matchers& m : selectors) {
      auto streams = store_->Streams(m, start, end);
      if (!streams.ok()) return TextError(resp, 500, streams.status().ToString());
      for (gnomon::Labels& ls : *streams) all.insert(std::move(ls));
    }
    resp.content_type = "application/json";
    resp.body = LabelSetsJson({all.begin(), all.end()});
  }

 private:
  const logs::LogStore* store_;
  const size_t max_limit_;
  const int64_t max_length_ns_;
  const std::string max_length_text_;
  logs::logql::EvalLimits limits_;
};

}  // namespace

void RegisterLokiQueryRoutes(http::Router* router, const logs::LogStore* store, const logs::LogsConfig& config) {
  auto api = std::make_shared<const LokiQueryApi>(store, config);
  router->Handle({"GET", "POST"}, "/loki/api/v1/query_range", http::Access::kRead,
                 [api](const http::Request& q, http::Response& r) { api->Query(q, r, true); });
  router->Handle({"GET", "POST"}, "/loki/api/v1/query", http::Access::kRead,
                 [api](const http::Request& q, http::Response& r) { api->Query(q, r, false); });
  for (const char* path : {"/loki/api/v1/labels", "/loki/api/v1/label"}) {
    router->Handle({"GET", "POST"}, path, http::Access::kRead,
                   [api](const http::Request& q, http::Response& r) { api->Labels(q, r); });
  }
  router->Handle({"GET", "POST"}, "/loki/api/v1/label/{name}/values", http::Access::kRead,
                 [api](const http::Request& q, http::Response& r) { api->LabelValues(q, r); });
  router->Handle({"GET", "POST"}, "/loki/api/v1/series", http::Access::kRead,
                 [api](const http::Request& q, http::Response& r) { api->Series(q, r); });
}

}  // namespace gnomon::api
