// Text output of the gnomon command line: aligned tables, CSV and JSON.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/query_result.h"

namespace gnomon::cli {

// A header row and data rows of cells; every row has the header's number of cells.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> right_align;  // per column; missing entries mean left-aligned
};

// The rows of a query result. Label columns come first (the union of all series' label names,
// "__name__" first, then sorted), then "timestamp" for a range (matrix) result, then "value".
// A vector result has no timestamp column (it is the query's evaluation time for every row);
// scalar and string results are one row with "timestamp" and "value". Series results (from
// /api/v1/series) are label columns only. `rfc3339` writes timestamps as RFC 3339 UTC, else as
// unix seconds (the server's form, e.g. 1700000000.5).
Table ToTable(const QueryResult& result, bool rfc3339);

// Columns padded to their widest cell and separated by two spaces; no trailing spaces. Each line
// ends with '\n'. An empty table (no rows) renders as the header alone.
std::string RenderTable(const Table& table);

// RFC 4180: a header line, then one line per row; cells holding a comma, quote, CR or LF are
// quoted with quotes doubled. Lines end with '\n'.
std::string RenderCsv(const Table& table);

// The JSON text of `data` (the server's data object), indented by 2 or on one line; ends in '\n'.
std::string RenderJson(const nlohmann::ordered_json& data, bool compact);

}  // namespace gnomon::cli
