#include "alert/alerting_config.h"

namespace gnomon::alert {

std::span<const config::Field<AlertingConfig>> AlertingConfig::Fields() {
  using config::Value;
  constexpr int64_t kDay = 24 * 3600 * 1000;
  static const config::Field<AlertingConfig> kFields[] = {
      {"rule_files", [](AlertingConfig* c, const Value& in) { return config::SetStringList(in, &c->rule_files); }},
      {"evaluation_interval",
       [](AlertingConfig* c, const Value& in) {
         return config::SetDuration(in, &c->evaluation_interval_ms, 1000, kDay);
       }},
      {"external_url", [](AlertingConfig* c, const Value& in) { return config::SetString(in, &c->external_url); }},
      {"external_labels",
       [](AlertingConfig* c, const Value& in) { return config::SetLabelMap(in, &c->external_labels); }},
  };
  return kFields;
}

}  // namespace gnomon::alert
