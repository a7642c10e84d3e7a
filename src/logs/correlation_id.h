// Correlation IDs: which request a log line belongs to. A line's ID is found, in this order,
//   1. in Loki structured metadata, under the first of `fields` present with a non-empty value;
//   2. for a line that is a JSON object, in its first top-level field of `fields` that holds a
//      non-empty string or number (a W3C `traceparent`, "00-<32 hex trace-id>-<16 hex>-<2 hex>",
//      yields its trace-id);
//   3. otherwise by `pattern`, a RE2 regular expression whose first capture group is the ID
//      (default: cid=…, correlation_id=…, trace_id=…, request_id=…, also quoted or after ':').
// IDs are at most kMaxIdBytes; longer values are no IDs. Thread-safe after construction.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gnomon/status.h"

namespace re2 {
class RE2;
}

namespace gnomon::logs {

struct CorrelationIdOptions {
  std::vector<std::string> fields = {"correlation_id", "trace_id", "request_id", "traceparent"};
  std::string pattern =
      R"re((?:\b|_)(?:cid|correlation_id|trace_id|request_id)["']?\s*[=:]\s*["']?([A-Za-z0-9._:-]+))re";
};

class CorrelationIdExtractor {
 public:
  static constexpr size_t kMaxIdBytes = 128;

  // Fails when `pattern` does not compile or has no capture group.
  static Result<std::unique_ptr<CorrelationIdExtractor>> Create(CorrelationIdOptions options);
  ~CorrelationIdExtractor();

  // The ID of `line` ("" when it has none). `metadata` is the line's structured metadata.
  std::string Extract(std::string_view line,
                      const std::vector<std::pair<std::string, std::string>>& metadata = {}) const;

  // The trace-id of a W3C traceparent value, or "" if `value` is not one.
  static std::string_view TraceparentTraceId(std::string_view value);

 private:
  explicit CorrelationIdExtractor(CorrelationIdOptions options);
  std::string FromJson(std::string_view line) const;          // simdjson
  std::string FromJsonNlohmann(std::string_view line) const;  // what simdjson does not read
  static std::string IdOfField(std::string_view field, std::string value);

  CorrelationIdOptions options_;
  std::unique_ptr<re2::RE2> pattern_;
};

}  // namespace gnomon::logs
