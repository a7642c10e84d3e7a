#include "forward/forward_component.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "http/api/self_metrics.h"
#include "storage/keyspace.h"
#include "storage/wal_tail.h"
#include "util/log.h"

namespace gnomon::forward {

namespace {

constexpr int64_t kDay = 24 * 3600 * 1000;

// A WAL consumer name from a URL: "http://mimir:9009/api/v1/push" -> "mimir_9009_api_v1_push".
std::string NameFromUrl(std::string_view url) {
  if (const size_t scheme = url.find("://"); scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  // No user:password@ in a name (it is stored, and shown in /metrics).
  if (const size_t at = url.find('@'); at != std::string_view::npos && at < url.find('/')) url.remove_prefix(at + 1);
  std::string name;
  for (char c : url) {
    const char l = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    const bool keep = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (keep) {
      name.push_back(l);
    } else if (!name.empty() && name.back() != '_') {
      name.push_back('_');
    }
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  if (name.size() > kMaxNameLength) name.resize(kMaxNameLength);
  return name.empty() ? "remote_write" : name;
}

std::string SetQueue(RemoteWriteOptions* o, const config::Value& in) {
  return config::ForEachKey(in, [o](std::string_view key, const config::Value& v) -> std::string {
    if (key == "max_samples_per_send") return config::SetCount(v, &o->max_samples_per_send, 1, 10'000'000);
    if (key == "batch_send_deadline") return config::SetDuration(v, &o->batch_send_deadline_ms, 1, kDay);
    if (key == "min_backoff") return config::SetDuration(v, &o->min_backoff_ms, 1, kDay);
    if (key == "max_backoff") return config::SetDuration(v, &o->max_backoff_ms, 1, kDay);
    if (key == "capacity") return config::SetCount(v, &o->capacity, 1, 100'000'000);
    if (key == "min_shards") return config::SetCount(v, &o->min_shards, 1, 10'000);
    if (key == "max_shards") return config::SetCount(v, &o->max_shards, 1, 10'000);
    return "unknown key (one of max_samples_per_send, batch_send_deadline, min_backoff, max_backoff, capacity, "
           "min_shards, max_shards)";
  });
}

std::string SetDestinations(RemoteWriteSection* s, const config::Value& in) {
  std::vector<RemoteWriteOptions> out;
  RemoteWriteOptions item;
  std::set<std::string> names;
  std::string err = config::ForEachTable(
      in, [&] { item = RemoteWriteOptions(); },
      [&](std::string_view key, const config::Value& v) -> std::string {
        if (key == "url") return config::SetNonEmptyString(v, &item.url);
        if (key == "name") return config::SetNonEmptyString(v, &item.name);
        if (key == "bearer_token") return config::SetToken(v, &item.bearer_token);
        if (key == "remote_timeout") return config::SetDuration(v, &item.timeout_ms, 1, kDay);
        if (key == "queue") return SetQueue(&item, v);
        if (key == "headers") {
          std::map<std::string, std::string> headers;
          if (std::string e = config::SetStringMap(v, &headers); !e.empty()) return e;
          item.headers.assign(headers.begin(), headers.end());
          return "";
        }
        return "unknown key (one of url, name, headers, bearer_token, remote_timeout, queue)";
      },
      [&]() -> std::string {
        if (item.url.empty()) return "url is required";
        if (!item.url.starts_with("http://") && !item.url.starts_with("https://")) {
          return "url \"" + item.url + "\" must start with http:// or https://";
        }
        if (item.name.empty()) item.name = NameFromUrl(item.url);
        if (item.name.size() > kMaxNameLength || !storage::ValidKeyspaceName(item.name)) {
          return "name \"" + item.name + "\" must be 1-" + std::to_string(kMaxNameLength) + " of [a-z0-9_]";
        }
        if (!names.insert(item.name).second) return "name \"" + item.name + "\" is used twice";
        if (item.min_backoff_ms > item.max_backoff_ms) return "queue.min_backoff is above queue.max_backoff";
        out.push_back(item);
        return "";
      });
  if (err.empty()) s->destinations = std::move(out);
  return err;
}

// A URL for /metrics: without user:password@.
std::string RedactedUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t host = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t at = url.find('@', host);
  if (at == std::string::npos || at > url.find('/', host)) return url;
  return url.substr(0, host) + "<redacted>@" + url.substr(at + 1);
}

std::string LabelValue(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::span<const config::Field<RemoteWriteSection>> RemoteWriteSection::Fields() {
  static const config::Field<RemoteWriteSection> kFields[] = {
      {"remote_write", [](RemoteWriteSection* s, const config::Value& in) { return SetDestinations(s, in); }},
  };
  return kFields;
}

Result<std::unique_ptr<http::Component>> ForwardComponent::Create(const http::ComponentContext& context) {
  const auto& section = context.config.Get<RemoteWriteSection>();
  // A destination no longer configured must not keep the write-ahead log: forget it.
  auto consumers = storage::ListWalConsumers(context.db);
  if (!consumers.ok()) return consumers.status();
  for (const std::string& consumer : *consumers) {
    if (!consumer.starts_with(kConsumerPrefix)) continue;
    const std::string_view name = std::string_view(consumer).substr(kConsumerPrefix.size());
    if (std::any_of(section.destinations.begin(), section.destinations.end(),
                    [&](const RemoteWriteOptions& o) { return o.name == name; })) {
      continue;
    }
    GNOMON_RETURN_IF_ERROR(storage::DropWalConsumer(context.db, consumer));
    log::Info("remote_write " + std::string(name) + ": no longer configured; what it had not sent is dropped");
  }
  std::vector<std::unique_ptr<RemoteWriteQueue>> queues;
  for (const RemoteWriteOptions& o : section.destinations) {
    auto q = RemoteWriteQueue::Open(context.db, o);
    if (!q.ok()) return Status::InvalidArgument("remote_write " + o.name + ": " + q.status().message());
    queues.push_back(std::move(*q));
  }
  std::unique_ptr<ForwardComponent> component(new ForwardComponent(std::move(queues)));
  if (!component->queues_.empty() && context.metrics != nullptr) {
    const ForwardComponent* self = component.get();
    context.metrics->AddCollector([self](std::string* out) {
      auto family = [&](const char* name, const char* type, const char* help, auto value) {
        *out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
        for (const auto& q : self->queues_) {
          const RemoteWriteStats st = q->Stats();
          *out += fmt::format("{}{{remote_name=\"{}\",url=\"{}\"}} {}\n", name, q->options().name,
                              LabelValue(RedactedUrl(q->options().url)), value(st));
        }
      };
      family("gnomon_remote_storage_samples_total", "counter", "Samples the receiver accepted.",
             [](const RemoteWriteStats& s) { return s.sent_samples; });
      family("gnomon_remote_storage_requests_total", "counter", "Requests the receiver accepted.",
             [](const RemoteWriteStats& s) { return s.sent_requests; });
      family("gnomon_remote_storage_failed_requests_total", "counter",
             "Requests that failed with 5xx, 429 or a transport error, and were retried.",
             [](const RemoteWriteStats& s) { return s.failed_requests; });
      family("gnomon_remote_storage_dropped_samples_total", "counter",
             "Samples dropped: refused by the receiver with a 4xx other than 429.",
             [](const RemoteWriteStats& s) { return s.dropped_samples; });
      family("gnomon_remote_storage_skipped_wal_segments_total", "counter",
             "Write-ahead log segments deleted before they were sent (storage max_wal_retained_bytes).",
             [](const RemoteWriteStats& s) { return s.skipped_segments; });
      family("gnomon_remote_storage_highest_sent_timestamp_seconds", "gauge",
             "The newest sample timestamp the receiver accepted.",
             [](const RemoteWriteStats& s) { return static_cast<double>(s.last_sent_ms) / 1000.0; });
    });
  }
  return std::unique_ptr<http::Component>(std::move(component));
}

Status ForwardComponent::Start() {
  for (auto& q : queues_) q->Start();
  return Status::OK();
}

void ForwardComponent::Stop() {
  for (auto& q : queues_) q->RequestStop();  // all at once: one may be in a request
  for (auto& q : queues_) q->Stop();
}

}  // namespace gnomon::forward
