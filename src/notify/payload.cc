#include "notify/payload.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

#include "util/time_format.h"

namespace gnomon::notify {
namespace {

using nlohmann::ordered_json;

ordered_json Object(const Labels& labels) {
  ordered_json o = ordered_json::object();
  for (const Label& l : labels) o[l.name] = l.value;
  return o;
}

std::string Dump(const ordered_json& j) { return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace); }

// What every alert of the batch shares: labels (or annotations) present with the same value in all.
Labels Common(std::span<const AlertNotice> alerts, Labels AlertNotice::*field) {
  if (alerts.empty()) return {};
  Labels common = alerts.front().*field;
  for (const AlertNotice& a : alerts.subspan(1)) {
    const Labels& other = a.*field;
    std::erase_if(common, [&](const Label& l) { return std::find(other.begin(), other.end(), l) == other.end(); });
  }
  return common;
}

}  // namespace

std::string Fingerprint(const Labels& labels) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  uint64_t h = 14695981039346656037ull;
  auto add = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  for (const Label& l : sorted) {
    add(l.name);
    add("\xff");
    add(l.value);
    add("\xff");
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string AlertmanagerBody(std::span<const AlertNotice> alerts) {
  ordered_json list = ordered_json::array();
  for (const AlertNotice& a : alerts) {
    ordered_json o;
    o["labels"] = Object(a.labels);
    o["annotations"] = Object(a.annotations);
    if (a.starts_at_ms != 0) o["startsAt"] = FormatRfc3339(a.starts_at_ms);
    if (a.ends_at_ms != 0) o["endsAt"] = FormatRfc3339(a.ends_at_ms);
    o["generatorURL"] = a.generator_url;
    list.push_back(std::move(o));
  }
  return Dump(list);
}

std::string WebhookBody(std::span<const AlertNotice> alerts, const WebhookContext& context) {
  constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";
  const bool firing = std::any_of(alerts.begin(), alerts.end(), [](const AlertNotice& a) { return !a.resolved; });
  ordered_json body;
  body["version"] = "4";
  body["groupKey"] = context.group_key;
  body["truncatedAlerts"] = 0;
  body["status"] = firing ? "firing" : "resolved";
  body["receiver"] = context.receiver;
  const Labels common_labels = Common(alerts, &AlertNotice::labels);
  Labels group_labels;
  for (const Label& l : common_labels) {
    if (l.name == "alertname") group_labels.push_back(l);
  }
  body["groupLabels"] = Object(group_labels);
  body["commonLabels"] = Object(common_labels);
  body["commonAnnotations"] = Object(Common(alerts, &AlertNotice::annotations));
  body["externalURL"] = context.external_url;
  ordered_json list = ordered_json::array();
  for (const AlertNotice& a : alerts) {
    ordered_json o;
    o["status"] = a.resolved ? "resolved" : "firing";
    o["labels"] = Object(a.labels);
    o["annotations"] = Object(a.annotations);
    o["startsAt"] = a.starts_at_ms != 0 ? FormatRfc3339(a.starts_at_ms) : kZeroTime;
    o["endsAt"] = a.ends_at_ms != 0 ? FormatRfc3339(a.ends_at_ms) : kZeroTime;
    o["generatorURL"] = a.generator_url;
    o["fingerprint"] = Fingerprint(a.labels);
    list.push_back(std::move(o));
  }
  body["alerts"] = std::move(list);
  return Dump(body);
}

}  // namespace gnomon::notify

namespace gnomon::notify {

std::string EncodeNotice(const AlertNotice& n) {
  nlohmann::ordered_json o;
  o["labels"] = nlohmann::ordered_json::array();
  for (const Label& l : n.labels) o["labels"].push_back({l.name, l.value});
  o["annotations"] = nlohmann::ordered_json::array();
  for (const Label& l : n.annotations) o["annotations"].push_back({l.name, l.value});
  o["startsAt"] = n.starts_at_ms;
  o["endsAt"] = n.ends_at_ms;
  o["generatorURL"] = n.generator_url;
  o["resolved"] = n.resolved;
  return o.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<AlertNotice> DecodeNotice(std::string_view text) {
  const nlohmann::json o = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto corrupt = [] { return Status::Corruption("outbox: malformed alert notice"); };
  if (!o.is_object()) return corrupt();
  AlertNotice n;
  auto pairs = [&](const char* key, Labels* out) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_array()) return false;
    for (const auto& p : *it) {
      if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string()) return false;
      out->push_back({p[0].get<std::string>(), p[1].get<std::string>()});
    }
    return true;
  };
  if (!pairs("labels", &n.labels) || !pairs("annotations", &n.annotations)) return corrupt();
  auto num = [&](const char* key, int64_t* out) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_number_integer()) return false;
    *out = it->get<int64_t>();
    return true;
  };
  if (!num("startsAt", &n.starts_at_ms) || !num("endsAt", &n.ends_at_ms)) return corrupt();
  auto url = o.find("generatorURL");
  auto resolved = o.find("resolved");
  if (url == o.end() || !url->is_string() || resolved == o.end() || !resolved->is_boolean()) return corrupt();
  n.generator_url = url->get<std::string>();
  n.resolved = resolved->get<bool>();
  return n;
}

}  // namespace gnomon::notify
