#include "cli/list_output.h"

#include <cstdio>

#include "cli/query_result.h"

namespace gnomon::cli {

Result<nlohmann::json> GetList(http::HttpClient* client, const std::string& path, const http::QueryParams& params,
                               const char* key) {
  auto resp = client->Get(path, params);
  if (!resp.ok()) return resp.status();
  if (resp->status != 200) return Status::IOError(ErrorMessage(resp->body, resp->status));
  nlohmann::json body = nlohmann::json::parse(resp->body, nullptr, false);
  if (body.is_discarded() || !body.contains("data") || !body["data"].is_object() || !body["data"].contains(key) ||
      !body["data"][key].is_array()) {
    return Status::IOError(std::string("the server's answer has no ") + key + " list");
  }
  return body["data"][key];
}

void PrintRows(const nlohmann::json& items, const std::string& format, Table table) {
  if (format == "json") {
    std::printf("%s\n", items.dump(2).c_str());
    return;
  }
  std::printf("%s", format == "csv" ? RenderCsv(table).c_str() : RenderTable(table).c_str());
}

}  // namespace gnomon::cli
