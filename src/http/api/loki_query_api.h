// Loki's query API over the log store, in Loki's response shapes, so that Grafana's Loki data
// source and logcli can read gnomond's logs. Every route is read access; GET, and POST with a form
// body, where Loki takes both.
//
//   /loki/api/v1/query_range   query, start, end (unix ns, unix seconds or RFC 3339; default end =
//       now, start = end - 1h), limit (default 100, at most [logs] max_entries_limit_per_query),
//       direction (backward|forward, default backward), step (a duration or seconds; default
//       max(floor((end - start) / 250), 1s)) for metric queries. Log queries cover [start, end):
//         {"status":"success","data":{"resultType":"streams","result":[{"stream":{labels},
//          "values":[["<unix ns>","<line>"],...]},...],"stats":{"summary":{...}}}}
//       metric queries evaluate at start, start + step, ... <= end:
//         "resultType":"matrix","result":[{"metric":{labels},"values":[[<unix s>,"<value>"],...]}]
//   /loki/api/v1/query         query, time (default now), limit, direction: log queries give the
//       streams of (time - 1h, time], metric queries a "vector" of {"metric":..,"value":[t,"v"]}.
//       Grafana's health check `vector(1)+vector(1)` answers the vector 2.
//   GET /loki/api/v1/labels (and /loki/api/v1/label)    {"status":"success","data":["name",...]}
//   GET /loki/api/v1/label/{name}/values                {"status":"success","data":["value",...]}
//   GET /loki/api/v1/series    match[] = stream selectors (any of them; none: every stream)
//       {"status":"success","data":[{labels},...]}
// Labels, values and series come from the streams with lines in [start, end) (default the last 6
// h), at the store's granularity: a stream with lines in a segment overlapping the range counts.
//
// Errors are Loki's: status 400 with the message as a text/plain body (a LogQL parse error, a bad
// parameter, "max entries limit per query exceeded, ...", a query_range longer than [logs]
// max_query_length: "the query time range exceeds the limit (query length: .., limit: ..)", the
// line budget of logql::EvalLimits and the byte budget [logs] max_query_bytes_read); 500 for a
// storage error.
#pragma once

#include "http/server/router.h"
#include "logs/log_store.h"
#include "logs/logs_config.h"

namespace gnomon::api {

// Registers the routes above; `store` must outlive `router`.
void RegisterLokiQueryRoutes(http::Router* router, const logs::LogStore* store, const logs::LogsConfig& config);

}  // namespace gnomon::api
