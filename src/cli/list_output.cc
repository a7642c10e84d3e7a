#include "cli/list_output.h"

#include <cstdio>

#include "cli/query_result.h"

namespace gnomon::cli {

Result<nlohmann::json> GetData(http::HttpClient* client, const std::string& path, const http::QueryParams& params) {
  auto resp = client->Get(path, params);
  if (!resp.ok()) return resp.status();
  if (resp->status != 200) return Status::IOError(ErrorMessage(resp->body, resp->status));
  nlohmann::json body = nlohmann::json::parse(resp->body, nullptr, false);
  if (body.is_discarded() || !body.contains("data") || !body["data"].is_object()) {
    return Status::IOError("the server's answer has no data object");
  }
  return std::move(body["data"]);
}

Result<nlohmann::json> GetList(http::HttpClient* client, const std::string& path, const http::QueryParams& params,
                               const char* key) {
  auto data = GetData(client, path, params);
  if (!data.ok()) return data.status();
  if (!data->contains(key) || !(*data)[key].is_array()) {
    return Status::IOError(std::string("the server's answer has no ") + key + " list");
  }
  return std::move((*data)[key]);
}

void PrintRows(const nlohmann::json& items, const std::string& format, Table table) {
  if (format == "json") {
    std::printf("%s\n", items.dump(2).c_str());
    return;
  }
  std::printf("%s", format == "csv" ? RenderCsv(table).c_str() : RenderTable(table).c_str());
}

}  // namespace gnomon::cli
