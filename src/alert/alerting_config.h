// [alerting]: the alerting component's config section (config/section.h) — which Prometheus rule
// files gnomond evaluates and how (see rule_manager.h), and the receivers its notifications go to:
//
//   [[alerting.receivers]]
//   name = "pager"                        # required; [A-Za-z0-9_.:-]
//   type = "alertmanager"                 # or "webhook" (the default)
//   url = "http://127.0.0.1:9093"         # Alertmanager: its base URL; webhook: the full URL
//   bearer_token = "..."                  # optional
//   headers = { "X-Team" = "ops" }        # optional
//   match = ['severity="page"']           # optional: only alerts matching all of these
//   timeout = "10s"
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/section.h"
#include "gnomon/matcher.h"
#include "gnomon/status.h"

namespace gnomon::alert {

struct ReceiverConfig {
  static std::span<const config::Field<ReceiverConfig>> Fields();
  // "" when the receiver is complete and consistent, else the reason.
  std::string Validate() const;
  // The `match` strings as label matchers, one set each; InvalidArgument naming the bad one.
  Result<std::vector<Matchers>> ParseMatch() const;

  std::string name;
  std::string type = "webhook";  // "webhook" or "alertmanager"
  std::string url;
  std::string bearer_token;
  std::map<std::string, std::string> headers;
  std::vector<std::string> match;  // label matchers, e.g. severity="page", env=~"prod|stage"
  int64_t timeout_ms = 10'000;

  bool operator==(const ReceiverConfig&) const = default;
};

struct AlertingConfig {
  static constexpr std::string_view kName = "alerting";
  static std::span<const config::Field<AlertingConfig>> Fields();

  std::vector<std::string> rule_files;                 // paths or glob patterns; empty: no rules
  int64_t evaluation_interval_ms = 60'000;             // for groups without their own interval
  std::string external_url;                            // $externalURL in templates
  std::map<std::string, std::string> external_labels;  // $externalLabels in templates
  std::vector<ReceiverConfig> receivers;
  int64_t for_outage_tolerance_ms = 3600'000;  // restore alerts' `for` state from this far back
  int64_t for_grace_period_ms = 600'000;       // a restored alert waits at least this long
  int64_t resend_delay_ms = 60'000;          // firing alerts are re-sent this often
  uint64_t outbox_max_per_receiver = 10'000;  // queued notifications per receiver

  bool operator==(const AlertingConfig&) const = default;
};

}  // namespace gnomon::alert
