// The bodies gnomond sends to alert receivers, exactly in the receivers' formats:
//
//   AlertmanagerBody  Alertmanager API v2, POST /api/v2/alerts: a JSON array of
//                     {"labels","annotations","startsAt","endsAt","generatorURL"}, as Prometheus'
//                     notifier sends it (endsAt omitted when unset).
//   WebhookBody       Alertmanager's webhook payload, version "4": {"version","groupKey",
//                     "truncatedAlerts","status","receiver","groupLabels","commonLabels",
//                     "commonAnnotations","externalURL","alerts":[{"status","labels",
//                     "annotations","startsAt","endsAt","generatorURL","fingerprint"}]}, so any
//                     receiver written for Alertmanager's webhooks works. "status" is "firing"
//                     if any alert fires, else "resolved"; an unset endsAt is Go's zero time
//                     "0001-01-01T00:00:00Z", as Alertmanager writes it.
//
// Times are RFC 3339 in UTC with milliseconds where there are any.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "gnomon/series.h"
#include "gnomon/status.h"

namespace gnomon::notify {

struct AlertNotice {
  Labels labels;       // sorted by name; alertname among them
  Labels annotations;  // sorted by name
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;  // 0: unset
  std::string generator_url;
  bool resolved = false;
};

std::string AlertmanagerBody(std::span<const AlertNotice> alerts);

struct WebhookContext {
  std::string receiver;      // the receiver's name
  std::string external_url;  // gnomond's external URL
  std::string group_key;     // identifies the group of alerts (e.g. "{}:{alertname=\"X\"}")
};

std::string WebhookBody(std::span<const AlertNotice> alerts, const WebhookContext& context);

// Alertmanager's fingerprint of a label set (model.LabelSet.Fingerprint: 64-bit FNV-1a over the
// names and values, sorted by name, each followed by 0xff), as 16 hex digits.
std::string Fingerprint(const Labels& labels);

}  // namespace gnomon::notify

namespace gnomon::notify {

// An AlertNotice as stored in the outbox (a JSON object), and back. Decode fails with
// kCorruption on anything Encode did not write.
std::string EncodeNotice(const AlertNotice& notice);
Result<AlertNotice> DecodeNotice(std::string_view text);

}  // namespace gnomon::notify
