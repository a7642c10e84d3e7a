#include "alert/alerting_config.h"

#include <algorithm>

#include "query/selector.h"

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
      {"receivers",
       [](AlertingConfig* c, const Value& in) {
         std::vector<ReceiverConfig> receivers;
         std::string err = config::SetTableArray(in, &receivers);
         if (!err.empty()) return err;
         for (size_t i = 0; i < receivers.size(); ++i) {
           for (size_t j = 0; j < i; ++j) {
             if (receivers[i].name == receivers[j].name) return "two receivers are named \"" + receivers[i].name + "\"";
           }
         }
         c->receivers = std::move(receivers);
         return std::string();
       }},
      {"for_outage_tolerance",
       [](AlertingConfig* c, const Value& in) {
         return config::SetDuration(in, &c->for_outage_tolerance_ms, 1000, 365 * kDay);
       }},
      {"for_grace_period",
       [](AlertingConfig* c, const Value& in) {
         return config::SetDuration(in, &c->for_grace_period_ms, 0, 365 * kDay);
       }},
      {"resend_delay",
       [](AlertingConfig* c, const Value& in) { return config::SetDuration(in, &c->resend_delay_ms, 1000, kDay); }},
      {"outbox_max_per_receiver",
       [](AlertingConfig* c, const Value& in) {
         return config::SetCount(in, &c->outbox_max_per_receiver, 1, 100'000'000);
       }},
  };
  return kFields;
}

std::span<const config::Field<ReceiverConfig>> ReceiverConfig::Fields() {
  using config::Value;
  static const config::Field<ReceiverConfig> kFields[] = {
      {"name", [](ReceiverConfig* r, const Value& in) { return config::SetNonEmptyString(in, &r->name); }},
      {"type",
       [](ReceiverConfig* r, const Value& in) {
         std::string t;
         if (std::string err = config::ReadString(in, &t); !err.empty()) return err;
         if (t != "webhook" && t != "alertmanager") {
           return "unknown receiver type \"" + t + "\" (expected \"webhook\" or \"alertmanager\")";
         }
         r->type = t;
         return std::string();
       }},
      {"url", [](ReceiverConfig* r, const Value& in) { return config::SetNonEmptyString(in, &r->url); }},
      {"bearer_token", [](ReceiverConfig* r, const Value& in) { return config::SetToken(in, &r->bearer_token); }},
      {"headers", [](ReceiverConfig* r, const Value& in) { return config::SetStringMap(in, &r->headers); }},
      {"match", [](ReceiverConfig* r, const Value& in) { return config::SetStringList(in, &r->match); }},
      {"timeout",
       [](ReceiverConfig* r, const Value& in) { return config::SetDuration(in, &r->timeout_ms, 1, 3600 * 1000); }},
  };
  return kFields;
}

std::string ReceiverConfig::Validate() const {
  if (name.empty()) return "a receiver needs a name";
  const bool name_ok = name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == ':' || c == '-';
  });
  if (!name_ok) return "receiver name \"" + name + "\": use letters, digits and _ . : - only";
  if (url.empty()) return "receiver \"" + name + "\" needs a url";
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return "receiver \"" + name + "\": url \"" + url + "\" must start with http:// or https://";
  }
  if (auto parsed = ParseMatch(); !parsed.ok()) return parsed.status().message();
  return "";
}

Result<std::vector<Matchers>> ReceiverConfig::ParseMatch() const {
  std::vector<Matchers> out;
  for (const std::string& m : match) {
    // A metric name keeps a lone negative matcher (severity!="info") a valid selector; it is
    // dropped again below.
    auto parsed = query::ParseSeriesSelector("ALERTS{" + m + "}");
    if (!parsed.ok()) {
      return Status::InvalidArgument("receiver \"" + name + "\": match \"" + m + "\": " + parsed.status().message());
    }
    Matchers only;
    for (const Matcher& x : *parsed) {
      if (x.name != "__name__") only.push_back(x);
    }
    out.push_back(std::move(only));
  }
  return out;
}

}  // namespace gnomon::alert
