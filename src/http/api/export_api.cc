#include "http/api/export_api.h"

#include <climits>
#include <memory>
#include <vector>

#include "http/api/params.h"
#include "http/api/status_error.h"
#include "http/server/response_head.h"
#include "ingest/json_lines.h"
#include "query/selector.h"
#include "util/clock.h"

namespace gnomon::api {
namespace {

// The union of several label-ordered selections, each series once, in label order: a k-way
// merge over the sets' current series (k is the number of match[] parameters: small).
class UnionWriter {
 public:
  UnionWriter(std::vector<std::unique_ptr<SeriesSet>> sets, size_t max_series)
      : sets_(std::move(sets)), max_series_(max_series), valid_(sets_.size()) {
    for (size_t i = 0; i < sets_.size(); ++i) valid_[i] = sets_[i]->Next();
  }

  // Appends series as JSON lines until *out holds at least `min_bytes` or the union is done.
  Status Write(std::string* out, size_t min_bytes, bool* done) {
    *done = false;
    while (out->size() < min_bytes) {
      const Labels* least = nullptr;
      for (size_t i = 0; i < sets_.size(); ++i) {
        if (valid_[i] && (least == nullptr || sets_[i]->labels() < *least)) least = &sets_[i]->labels();
      }
      if (least == nullptr) {
        for (const auto& set : sets_) GNOMON_RETURN_IF_ERROR(set->status());
        *done = true;
        return Status::OK();
      }
      if (++series_ > max_series_) {
        return Status::ResourceExhausted("export would return more than " + std::to_string(max_series_) + " series");
      }
      const Labels labels = *least;
      bool written = false;
      for (size_t i = 0; i < sets_.size(); ++i) {
        if (!valid_[i] || sets_[i]->labels() != labels) continue;
        if (!written) {
          samples_.clear();
          GNOMON_RETURN_IF_ERROR(sets_[i]->samples()->TakeRemaining(&samples_));
          ingest::AppendJsonLine(labels, samples_, out);
          written = true;
        }
        valid_[i] = sets_[i]->Next();
      }
    }
    return Status::OK();
  }

 private:
  std::vector<std::unique_ptr<SeriesSet>> sets_;
  const size_t max_series_;
  std::vector<bool> valid_;  // sets_[i] has a current series
  size_t series_ = 0;
  std::vector<Sample> samples_;
};

}  // namespace

Result<std::unique_ptr<http::Component>> ExportApi::Create(const http::ComponentContext& context) {
  ExportApiOptions options;
  options.max_series = context.config.limits.max_query_series ? context.config.limits.max_query_series : SIZE_MAX;
  return std::unique_ptr<http::Component>(std::make_unique<ExportApi>(context.db, options));
}

void ExportApi::RegisterRoutes(http::Router* router) {
  router->Handle({"GET", "POST"}, "/api/v1/export", http::Access::kRead,
                 [this](const http::Request& q, http::Response& r) { Export(q, r); });
}

void ExportApi::Export(const http::Request& req, http::Response& resp) {
  const http::Params params = req.Params();
  int64_t start = INT64_MIN, end = NowMs();
  for (const auto& [k, v] : params) {
    if (k != "start" && k != "end") continue;
    auto t = ParseTimeParam(v);
    if (!t.ok()) {
      return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"" + k + "\": " + t.status().message());
    }
    (k == "start" ? start : end) = *t;
  }
  std::vector<std::unique_ptr<SeriesSet>> sets;
  for (const auto& [k, v] : params) {
    if (k != "match[]") continue;
    auto m = query::ParseSeriesSelector(v);
    if (!m.ok())
      return http::SetJsonError(resp, 400, "bad_data", "invalid parameter \"match[]\": " + m.status().message());
    auto set = db_->Select(*m, start, end);
    if (!set.ok()) return http::SetJsonError(resp, 400, "bad_data", set.status().message());
    sets.push_back(std::move(*set));
  }
  if (sets.empty()) return http::SetJsonError(resp, 400, "bad_data", "missing match[] parameter");

  // The first piece decides the status line: an error in it is still an ordinary error answer.
  auto writer = std::make_shared<UnionWriter>(std::move(sets), options_.max_series);
  bool done = false;
  Status s = writer->Write(&resp.body, options_.first_piece_bytes, &done);
  if (!s.ok()) {
    resp.body.clear();
    if (s.code() == Status::Code::kResourceExhausted) return http::SetJsonError(resp, 422, "execution", s.message());
    return SetStatusError(resp, s, StatusContext::kQuery);
  }
  resp.content_type = "application/stream+json";
  if (done) return;
  constexpr size_t kPieceBytes = 256 << 10;
  resp.stream = [writer](std::string* out, bool* finished) { return writer->Write(out, kPieceBytes, finished); };
}

}  // namespace gnomon::api
