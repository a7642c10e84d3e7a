// A list in an API answer, for the commands that show one (`gnomon alerts history`, `gnomon
// targets`, ...): fetched from data[key], and printed as an aligned table, CSV or the JSON itself.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cli/format.h"
#include "gnomon/status.h"
#include "http/client/http_client.h"

namespace gnomon::cli {

// GETs `path` and returns the answer's data object; otherwise the server's error or "the server's
// answer has no data object".
Result<nlohmann::json> GetData(http::HttpClient* client, const std::string& path, const http::QueryParams& params);

// GETs `path` and returns data[key] if it is an array; otherwise the server's error or "the
// server's answer has no KEY list".
Result<nlohmann::json> GetList(http::HttpClient* client, const std::string& path, const http::QueryParams& params,
                               const char* key);

// `format` json prints `items`; table and csv print `table`.
void PrintRows(const nlohmann::json& items, const std::string& format, Table table);

}  // namespace gnomon::cli
