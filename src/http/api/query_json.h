// JSON for the Prometheus query API, written by hand for speed (a 24-hour range query over a
// thousand series is millions of points). Formatting matches Prometheus byte for byte:
//
//   values      of vectors and matrices: strconv.FormatFloat(v, 'f', -1, 64) in quotes, the 'e'
//               form below 1e-6 and from 1e21 on: "1.5", "100", "1e-07", "1.5e+21", "NaN",
//               "+Inf", "-Inf", "-0"; of scalars: always the 'f' form ("0.0000001")
//   timestamps  of vectors and matrices: seconds with the milliseconds as three digits when not
//               zero: 1700000000, 1700000000.123, 1700000000.500 (jsonutil.MarshalTimestamp);
//               of scalars and strings: the float64 seconds, 1700000000.5
//   strings     escaped as Go's encoding/json does: \" \\ \n \r \t, other control characters and
//               < > & U+2028 U+2029 as \u00XX / \u20XX, invalid UTF-8 as \ufffd
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "http/server/request.h"
#include "http/server/response_head.h"
#include "util/go_json.h"
#include "query/promql/engine.h"

namespace gnomon::api {

// Appends the text of a vector or matrix value, without quotes.
void AppendPromFloat(std::string* out, double v);
// Appends the text of a scalar value: never the exponent form.
void AppendFloatFixed(std::string* out, double v);
// Appends the text with the shortest digits that round-trip; the 'e' form for magnitudes below
// 1e-6 and from 1e21 on if `exponent_form`.
void AppendFloat(std::string* out, double v, bool exponent_form);
// Appends a vector or matrix timestamp (milliseconds) as a JSON number of seconds.
void AppendPromTimestamp(std::string* out, int64_t ms);
// Appends a scalar or string result's timestamp as a JSON number of seconds.
void AppendScalarTimestamp(std::string* out, int64_t ms);
// {"name":"value",...}
void AppendLabelsJson(std::string* out, const Labels& labels);
// [ts,"value"]
void AppendPromPoint(std::string* out, const Sample& s);

// The whole success body of /api/v1/query or /api/v1/query_range:
// {"status":"success","data":{"resultType":...,"result":...}}.
std::string QueryResultJson(const promql::QueryResult& result);

// {"status":"success","data":[...strings...]}
std::string StringListJson(const std::vector<std::string>& values);
// {"status":"success","data":[{labels},...]}
std::string LabelSetsJson(const std::vector<Labels>& sets);

}  // namespace gnomon::api
