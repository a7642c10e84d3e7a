#include "logs/logs_config.h"

#include <re2/re2.h>

namespace gnomon::logs {

std::span<const config::Field<LogsConfig>> LogsConfig::Fields() {
  using config::Value;
  constexpr int64_t kYears100 = int64_t{100} * 365 * 24 * 3600 * 1000;
  static const config::Field<LogsConfig> kFields[] = {
      {"retention",
       [](LogsConfig* c, const Value& in) { return config::SetDuration(in, &c->retention_ms, 0, kYears100); }},
      {"correlation_fields",
       [](LogsConfig* c, const Value& in) { return config::SetStringList(in, &c->correlation_fields); }},
      {"correlation_pattern",
       [](LogsConfig* c, const Value& in) {
         std::string p;
         if (std::string err = config::ReadString(in, &p); !err.empty()) return err;
         re2::RE2 re(p, re2::RE2::Quiet);
         if (!re.ok()) return "invalid regular expression: " + re.error();
         if (re.NumberOfCapturingGroups() < 1) return std::string("needs a capture group for the ID");
         c->correlation_pattern = p;
         return std::string();
       }},
      {"max_line_bytes",
       [](LogsConfig* c, const Value& in) { return config::SetSize(in, &c->max_line_bytes, 64, 64 << 20); }},
      {"max_labels_per_stream",
       [](LogsConfig* c, const Value& in) { return config::SetCount(in, &c->max_labels_per_stream, 1, 1000); }},
      {"max_streams_per_push",
       [](LogsConfig* c, const Value& in) { return config::SetCount(in, &c->max_streams_per_push, 1, 10'000'000); }},
      {"max_lines_per_push",
       [](LogsConfig* c, const Value& in) { return config::SetCount(in, &c->max_lines_per_push, 1, 100'000'000); }},
      {"max_entries_limit_per_query",
       [](LogsConfig* c, const Value& in) {
         return config::SetCount(in, &c->max_entries_limit_per_query, 1, 10'000'000);
       }},
      {"max_query_length",
       [](LogsConfig* c, const Value& in) { return config::SetDuration(in, &c->max_query_length_ms, 1, kYears100); }},
      {"max_query_bytes_read",
       [](LogsConfig* c, const Value& in) {
         return config::SetSize(in, &c->max_query_bytes_read, 1 << 20, uint64_t{1} << 50);
       }},
      {"segment_max_lines",
       [](LogsConfig* c, const Value& in) { return config::SetCount(in, &c->segment_max_lines, 1, 1'000'000'000); }},
      {"segment_max_bytes",
       [](LogsConfig* c, const Value& in) { return config::SetSize(in, &c->segment_max_bytes, 1, uint64_t{1} << 32); }},
      {"segment_max_age",
       [](LogsConfig* c, const Value& in) { return config::SetDuration(in, &c->segment_max_age_ms, 1, kYears100); }},
      {"segment_compression_level",
       [](LogsConfig* c, const Value& in) { return config::SetCount(in, &c->segment_compression_level, 1, 19); }},
      {"compaction_level",
       [](LogsConfig* c, const Value& in) { return config::SetCount(in, &c->compaction_level, 0, 19); }},
      {"compaction_delay",
       [](LogsConfig* c, const Value& in) { return config::SetDuration(in, &c->compaction_delay_ms, 0, kYears100); }},
  };
  return kFields;
}

}  // namespace gnomon::logs
