// [alerting]: the alerting component's config section (config/section.h) — which Prometheus rule
// files gnomond evaluates and how (see rule_manager.h).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/section.h"

namespace gnomon::alert {

struct AlertingConfig {
  static constexpr std::string_view kName = "alerting";
  static std::span<const config::Field<AlertingConfig>> Fields();

  std::vector<std::string> rule_files;                 // paths or glob patterns; empty: no rules
  int64_t evaluation_interval_ms = 60'000;             // for groups without their own interval
  std::string external_url;                            // $externalURL in templates
  std::map<std::string, std::string> external_labels;  // $externalLabels in templates

  bool operator==(const AlertingConfig&) const = default;
};

}  // namespace gnomon::alert
