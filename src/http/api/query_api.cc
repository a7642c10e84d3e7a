#include "http/api/query_api.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <set>

#include "http/api/params.h"
#include "alert/alerting_config.h"
#include "http/api/query_json.h"
#include "http/api/status_error.h"
#include "query/promql/parser.h"
#include "query/selector.h"
#include "util/clock.h"

namespace gnomon::api {

namespace {

constexpr int64_t kMaxPointsPerSeries = 11000;
constexpr std::string_view kMinTimeFormatted = "-292273086-05-16T16:47:06Z";
constexpr std::string_view kMaxTimeFormatted = "292277025-08-18T07:12:54.999999999Z";

// The first value of parameter `name`, or nullptr if absent.
const std::string* Find(const http::Params& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return &v;
  }
  return nullptr;
}

void SetJsonBody(http::Response& resp, std::string body) {
  resp.status = 200;
  resp.content_type = "application/json";
  resp.body = std::move(body);
}

void InvalidParam(http::Response& resp, std::string_view name, const Status& s) {
  http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"" + std::string(name) + "\": " + s.message());
}

// Parses time parameter `name` into *out, or leaves `fallback` if absent; false after a 400.
bool TimeParam(const http::Params& params, std::string_view name, int64_t fallback, int64_t* out,
               http::Response& resp) {
  const std::string* v = Find(params, name);
  if (v == nullptr || v->empty()) {
    *out = fallback;
    return true;
  }
  auto t = ParseQueryTimeParam(*v);
  if (!t.ok()) {
    // Prometheus' parseTimeParam words it so (query_range's start and end are worded without).
    InvalidParam(resp, name,
                 Status::InvalidArgument("Invalid time value for '" + std::string(name) + "': " + t.status().message()));
    return false;
  }
  *out = *t;
  return true;
}

// The query options for one request: the configured limits, the timeout shortened by `timeout`.
bool QueryOptionsFor(const http::Params& params, const promql::QueryOptions& base, promql::QueryOptions* out,
                     http::Response& resp) {
  *out = base;
  const std::string* v = Find(params, "timeout");
  if (v == nullptr || v->empty()) return true;
  auto d = ParseDurationParam(*v);
  if (!d.ok()) {
    InvalidParam(resp, "timeout", d.status());
    return false;
  }
  if (*d > 0 && (out->timeout_ms == 0 || *d < out->timeout_ms)) out->timeout_ms = *d;
  return true;
}

// The match[] selectors; false after a 400.
bool MatchParams(const http::Params& params, std::vector<Matchers>* out, http::Response& resp) {
  for (const auto& [k, v] : params) {
    if (k != "match[]") continue;
    auto m = query::ParseSeriesSelector(v);
    if (!m.ok()) {
      InvalidParam(resp, "match[]", m.status());
      return false;
    }
    out->push_back(std::move(*m));
  }
  return true;
}

// start/end for the metadata endpoints (series, labels); `full` when they cover all time.
struct TimeRange {
  int64_t start = INT64_MIN;
  int64_t end = INT64_MAX;
  bool full() const { return start == INT64_MIN && end == INT64_MAX; }
};

bool RangeParams(const http::Params& params, TimeRange* range, http::Response& resp) {
  return TimeParam(params, "start", INT64_MIN, &range->start, resp) &&
         TimeParam(params, "end", INT64_MAX, &range->end, resp);
}

// Errors of EvalInstant/EvalRange: InvalidArgument is about the query text, and Prometheus says so.
void SetEvalError(http::Response& resp, const Status& s) {
  if (s.code() == Status::Code::kInvalidArgument && !s.message().starts_with("invalid parameter")) {
    return InvalidParam(resp, "query", s);
  }
  SetStatusError(resp, s, StatusContext::kQuery);
}

bool ValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Visits the series matching `m` with samples in `range`; false after an error response.
template <typename Fn>
bool ForEachSeries(DB* db, const Matchers& m, const TimeRange& range, http::Response& resp, Fn&& fn) {
  auto set = db->Select(m, range.start, range.end);
  if (!set.ok()) {
    SetStatusError(resp, set.status(), StatusContext::kQuery);
    return false;
  }
  while ((*set)->Next()) {
    if (!fn((*set)->labels())) return false;
  }
  if (!(*set)->status().ok()) {
    SetStatusError(resp, (*set)->status(), StatusContext::kQuery);
    return false;
  }
  return true;
}

}  // namespace

Result<int64_t> ParseDurationParam(std::string_view text) {
  double seconds;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) {
    double ms = seconds * 1000;
    if (!std::isfinite(ms) || std::fabs(ms) > 9.2e15) {
      return Status::InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid duration. It overflows int64");
    }
    return static_cast<int64_t>(ms);
  }
  auto d = promql::ParseDurationLiteral(text);
  if (d.ok()) return *d;
  return Status::InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid duration");
}

Result<int64_t> ParseQueryTimeParam(std::string_view text) {
  if (text == kMinTimeFormatted) return INT64_MIN;
  if (text == kMaxTimeFormatted) return INT64_MAX;
  auto t = ParseTimeParam(text);
  if (!t.ok()) return Status::InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid timestamp");
  return t;
}


Result<std::unique_ptr<http::Component>> QueryApi::Create(const http::ComponentContext& context) {
  return std::unique_ptr<http::Component>(
      std::make_unique<QueryApi>(context.db, QueryApiOptions::FromConfig(context.config)));
}

QueryApiOptions QueryApiOptions::FromConfig(const config::Config& config) {
  QueryApiOptions o;
  o.query.max_samples = config.limits.max_query_samples;
  o.query.max_series = config.limits.max_query_series;
  o.query.timeout_ms = config.limits.query_timeout_ms;
  o.query.parallelism = static_cast<unsigned>(config.limits.query_threads);
  // A subquery without a step runs at the global evaluation interval, as in Prometheus.
  o.query.no_step_subquery_interval_ms = config.Get<alert::AlertingConfig>().evaluation_interval_ms;
  return o;
}

void QueryApi::RegisterRoutes(http::Router* router) {
  using http::Access;
  router->Handle({"GET", "POST"}, "/api/v1/query", Access::kRead, [this](const http::Request& q, http::Response& r) { Query(q, r); });
  router->Handle({"GET", "POST"}, "/api/v1/query_range", Access::kRead,
                 [this](const http::Request& q, http::Response& r) { QueryRange(q, r); });
  router->Handle({"GET", "POST"}, "/api/v1/series", Access::kRead, [this](const http::Request& q, http::Response& r) { Series(q, r); });
  router->Handle({"GET", "POST"}, "/api/v1/labels", Access::kRead,
                 [this](const http::Request& q, http::Response& r) { LabelNames(q, r); });
  router->Handle({"GET"}, "/api/v1/label/{name}/values", Access::kRead, [this](const http::Request& q, http::Response& r) { LabelValues(q, r); });
  router->Handle({"GET"}, "/api/v1/status/buildinfo", Access::kRead, [](const http::Request&, http::Response& r) {
    SetJsonBody(r, std::string("{\"status\":\"success\",\"data\":{\"version\":\"") + GNOMON_VERSION +
                       "\",\"revision\":\"unknown\",\"branch\":\"unknown\",\"buildUser\":\"gnomon\","
                       "\"buildDate\":\"" __DATE__ "\",\"goVersion\":\"none (gnomond is C++20)\"}}");
  });
  router->Handle({"GET"}, "/api/v1/metadata", Access::kRead, [](const http::Request&, http::Response& r) {
    SetJsonBody(r, "{\"status\":\"success\",\"data\":{}}");
  });
  router->Handle({"GET", "POST"}, "/api/v1/query_exemplars", Access::kRead, [](const http::Request&, http::Response& r) {
    SetJsonBody(r, "{\"status\":\"success\",\"data\":[]}");
  });
}

void QueryApi::Query(const http::Request& req, http::Response& resp) {
  const http::Params params = req.Params();
  int64_t time_ms;
  if (!TimeParam(params, "time", NowMs(), &time_ms, resp)) return;
  promql::QueryOptions options;
  if (!QueryOptionsFor(params, options_.query, &options, resp)) return;
  const std::string* query = Find(params, "query");
  auto result = promql::EvalInstant(db_, query ? *query : std::string(), time_ms, options);
  if (!result.ok()) return SetEvalError(resp, result.status());
  SetJsonBody(resp, QueryResultJson(*result));
}

void QueryApi::QueryRange(const http::Request& req, http::Response& resp) {
  const http::Params params = req.Params();
  int64_t start, end;
  const std::string* start_text = Find(params, "start");
  const std::string* end_text = Find(params, "end");
  // Prometheus requires both; an absent one reads as "" and fails to parse.
  auto s = ParseQueryTimeParam(start_text ? *start_text : "");
  if (!s.ok()) return InvalidParam(resp, "start", s.status());
  auto e = ParseQueryTimeParam(end_text ? *end_text : "");
  if (!e.ok()) return InvalidParam(resp, "end", e.status());
  start = *s;
  end = *e;
  if (end < start) {
    return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"end\": end timestamp must not be before start time");
  }
  const std::string* step_text = Find(params, "step");
  auto step = ParseDurationParam(step_text ? *step_text : "");
  if (!step.ok()) return InvalidParam(resp, "step", step.status());
  if (*step <= 0) {
    return http::SetJsonError(resp, 400, "bad_data",
                        "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. "
                        "Try a positive integer");
  }
  // (end - start) may overflow for the boundary times; compare in floating point.
  if ((static_cast<double>(end) - static_cast<double>(start)) / static_cast<double>(*step) > kMaxPointsPerSeries) {
    return http::SetJsonError(resp, 400, "bad_data",
                        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
                        "resolution (?step=XX)");
  }
  promql::QueryOptions options;
  if (!QueryOptionsFor(params, options_.query, &options, resp)) return;
  const std::string* query = Find(params, "query");
  auto result = promql::EvalRange(db_, query ? *query : std::string(), start, end, *step, options);
  if (!result.ok()) return SetEvalError(resp, result.status());
  SetJsonBody(resp, QueryResultJson(*result));
}

void QueryApi::Series(const http::Request& req, http::Response& resp) {
  const http::Params params = req.Params();
  std::vector<Matchers> selectors;
  if (!MatchParams(params, &selectors, resp)) return;
  if (selectors.empty()) return http::SetJsonError(resp, 400, "bad_data", "no match[] parameter provided");
  TimeRange range;
  if (!RangeParams(params, &range, resp)) return;
  std::set<Labels> out;
  const uint64_t limit = options_.query.max_series;
  for (const Matchers& m : selectors) {
    bool ok = ForEachSeries(db_, m, range, resp, [&](const Labels& labels) {
      if (out.insert(labels).second && limit != 0 && out.size() > limit) {
        http::SetJsonError(resp, 422, "execution", "the series matched exceed the limit of " + std::to_string(limit));
        return false;
      }
      return true;
    });
    if (!ok) return;
  }
  SetJsonBody(resp, LabelSetsJson(std::vector<Labels>(out.begin(), out.end())));
}

void QueryApi::LabelNames(const http::Request& req, http::Response& resp) {
  const http::Params params = req.Params();
  std::vector<Matchers> selectors;
  if (!MatchParams(params, &selectors, resp)) return;
  TimeRange range;
  if (!RangeParams(params, &range, resp)) return;
  std::set<std::string> names;
  if (range.full()) {
    // The index answers directly, without looking at samples.
    if (selectors.empty()) selectors.emplace_back();
    for (const Matchers& m : selectors) {
      auto r = db_->LabelNames(m);
      if (!r.ok()) return SetStatusError(resp, r.status(), StatusContext::kQuery);
      names.insert(r->begin(), r->end());
    }
  } else {
    // Only series with samples in [start, end].
    if (selectors.empty()) selectors.push_back({Matcher::Regex(kMetricNameLabel, ".+")});
    for (const Matchers& m : selectors) {
      bool ok = ForEachSeries(db_, m, range, resp, [&](const Labels& labels) {
        for (const Label& l : labels) names.insert(l.name);
        return true;
      });
      if (!ok) return;
    }
  }
  SetJsonBody(resp, StringListJson(std::vector<std::string>(names.begin(), names.end())));
}

void QueryApi::LabelValues(const http::Request& req, http::Response& resp) {
  const std::string name(req.PathParam("name"));
  if (!ValidLabelName(name)) return http::SetJsonError(resp, 400, "bad_data", "invalid label name: \"" + name + "\"");
  const http::Params params = req.Params();
  std::vector<Matchers> selectors;
  if (!MatchParams(params, &selectors, resp)) return;
  TimeRange range;
  if (!RangeParams(params, &range, resp)) return;
  std::set<std::string> values;
  if (range.full()) {
    if (selectors.empty()) selectors.emplace_back();
    for (const Matchers& m : selectors) {
      auto r = db_->LabelValues(name, m);
      if (!r.ok()) return SetStatusError(resp, r.status(), StatusContext::kQuery);
      values.insert(r->begin(), r->end());
    }
  } else {
    if (selectors.empty()) selectors.push_back({Matcher::Regex(name, ".+")});
    for (const Matchers& m : selectors) {
      bool ok = ForEachSeries(db_, m, range, resp, [&](const Labels& labels) {
        for (const Label& l : labels) {
          if (l.name == name) values.insert(l.value);
        }
        return true;
      });
      if (!ok) return;
    }
  }
  SetJsonBody(resp, StringListJson(std::vector<std::string>(values.begin(), values.end())));
}

}  // namespace gnomon::api
