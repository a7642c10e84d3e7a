// The Prometheus HTTP API's JSON responses, parsed into what the gnomon formatters print.
//
// Shapes (https://prometheus.io/docs/prometheus/latest/querying/api/):
//   {"status":"success","data":{"resultType":"vector","result":[{"metric":{..},"value":[t,"v"]}]}}
//   {"status":"success","data":{"resultType":"matrix","result":[{"metric":{..},"values":[[t,"v"],..]}]}}
//   {"status":"success","data":{"resultType":"scalar"|"string","result":[t,"v"]}}
//   {"status":"error","errorType":"bad_data","error":"..."}
// and for /api/v1/series a list of label objects, for /api/v1/labels and label values a list of
// strings. `t` is unix seconds (a JSON number, possibly fractional); values are strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gnomon/status.h"

namespace gnomon::cli {

struct Point {
  int64_t t_ms = 0;
  std::string value;  // as the server wrote it: "1.5", "NaN", "+Inf"
};

struct Series {
  // Sorted by name, except that "__name__" comes first.
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<Point> points;  // one for a vector sample, all of them for a matrix series
};

struct QueryResult {
  std::string type;  // "vector", "matrix", "scalar", "string"; "series" for /api/v1/series
  std::vector<Series> series;  // scalar and string: one series without labels and one point
  nlohmann::ordered_json data;  // the response's "data" member, unchanged (key order kept)
  std::vector<std::string> warnings;
};

// Parses a response of the query, query_range or series endpoints. A body with
// "status":"error" becomes kInvalidArgument "<errorType>: <error>"; a body that is not JSON or
// not of the shapes above kInternal, quoting the start of the body. `http_status` is only used in
// the message when the body is not JSON.
Result<QueryResult> ParseQueryResponse(std::string_view body, long http_status);

// Parses a response whose data is a list of strings (labels, label values).
Result<std::vector<std::string>> ParseStringListResponse(std::string_view body, long http_status);

// The error message of a non-success response: "<errorType>: <error>" from a Prometheus error
// body, else "HTTP <status>: <first line of the body>".
std::string ErrorMessage(std::string_view body, long http_status);

// `{__name__="up", job="a"}` rendered PromQL style: up{job="a"}; "{}" for no labels.
std::string SeriesName(const Series& s);

}  // namespace gnomon::cli
