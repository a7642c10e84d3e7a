// The export endpoint (VictoriaMetrics' format), streamed (access: read):
//
//   GET/POST /api/v1/export   match[] (required, repeatable), start, end
//
// Answers JSON lines, one series per line ({"metric":{...},"values":[...],"timestamps":[...]}),
// for the union of the series matching any match[] with samples in [start, end], each once, in
// label order. The answer is streamed series by series (chunked), so its size is bounded by the
// client, not by gnomond's memory. At most `max_series` series are exported: when the selection
// has more, the answer is 422 if that is known before the first 1 MiB is sent, else the transfer
// is cut short (a truncated chunked body, which clients report as an error).
#pragma once

#include <cstddef>

#include "gnomon/db.h"
#include "http/component.h"
#include "http/server/router.h"

namespace gnomon::api {

struct ExportApiOptions {
  size_t max_series = 100000;          // [limits] max_query_series; 0 there means unlimited
  size_t first_piece_bytes = 1 << 20;  // buffered before the status line is decided
};

class ExportApi final : public http::Component {
 public:
  ExportApi(DB* db, ExportApiOptions options) : db_(db), options_(options) {}
  static Result<std::unique_ptr<http::Component>> Create(const http::ComponentContext& context);

  std::string_view name() const override { return "export"; }
  void RegisterRoutes(http::Router* router) override;

 private:
  void Export(const http::Request& req, http::Response& resp);

  DB* db_;
  ExportApiOptions options_;
};

}  // namespace gnomon::api
