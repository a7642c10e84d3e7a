#include "http/api/status_error.h"

#include "http/server/response_head.h"

namespace gnomon::api {

void SetStatusError(http::Response& resp, const Status& s, StatusContext context) {
  const bool write = context == StatusContext::kWrite;
  switch (s.code()) {
    case Status::Code::kInvalidArgument: return http::SetJsonError(resp, 400, "bad_data", s.message());
    case Status::Code::kResourceExhausted:
      if (write) return http::SetJsonError(resp, 400, "bad_data", s.message());
      return http::SetJsonError(resp, 422, "execution", s.message());
    case Status::Code::kFailedPrecondition: return http::SetJsonError(resp, 422, "execution", s.message());
    case Status::Code::kAborted: return http::SetJsonError(resp, 503, "timeout", s.message());
    case Status::Code::kBusy:
      resp.SetHeader("Retry-After", "1");
      return http::SetJsonError(resp, 503, "unavailable", s.message());
    case Status::Code::kNoSpace:
      if (!write) break;
      resp.SetHeader("Retry-After", "10");
      return http::SetJsonError(resp, 507, "unavailable", "not stored: " + s.ToString());
    case Status::Code::kIOError:
      if (!write) break;
      resp.SetHeader("Retry-After", "1");
      return http::SetJsonError(resp, 503, "unavailable", "not stored: " + s.ToString());
    default: break;
  }
  http::SetJsonError(resp, 500, "internal", s.ToString());
}

}  // namespace gnomon::api
