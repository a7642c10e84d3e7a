#include "scrape/scrape_loop.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "http/client/http_client.h"
#include "index/labels_util.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/stale_marker.h"

namespace gnomon::scrape {

namespace {

// What Prometheus 2.42 asks for.
constexpr const char* kAccept =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

std::string SeriesKey(const Labels& labels) {
  std::string key;
  for (const Label& l : labels) {
    key += l.name;
    key += '\xff';
    key += l.value;
    key += '\xff';
  }
  return key;
}

Labels FromKey(std::string_view key) {
  Labels labels;
  while (!key.empty()) {
    const size_t a = key.find('\xff');
    const size_t b = key.find('\xff', a + 1);
    labels.push_back({std::string(key.substr(0, a)), std::string(key.substr(a + 1, b - a - 1))});
    key.remove_prefix(b + 1);
  }
  return labels;
}

void SortLabels(Labels* labels) { std::sort(labels->begin(), labels->end()); }

// The target's labels on a scraped series, as Prometheus' mutateSampleLabels.
void AttachTargetLabels(const ScrapeTarget& target, Labels* labels) {
  for (const Label& t : target.labels) {
    if (t.value.empty()) continue;
    auto it = std::find_if(labels->begin(), labels->end(), [&](const Label& l) { return l.name == t.name; });
    if (it == labels->end()) {
      labels->push_back(t);
      continue;
    }
    if (target.honor_labels) continue;  // the scraped value wins
    // The scraped one becomes exported_<name> (exported_exported_<name>, ... while taken).
    std::string name = "exported_" + t.name;
    while (std::any_of(labels->begin(), labels->end(), [&](const Label& l) { return l.name == name; })) {
      name = "exported_" + name;
    }
    std::string value = std::move(it->value);
    it->value = t.value;
    labels->push_back({name, std::move(value)});
  }
}

}  // namespace

std::string ScrapeTarget::Key() const {
  // Everything a scrape depends on: a reload that changes any of it restarts the loop.
  std::string key = job + '\n' + url + '\n' + SeriesKey(labels);
  key += fmt::format("\n{} {} {} {} {} {} {} {}", interval_ms, timeout_ms, honor_labels, honor_timestamps, sample_limit,
                     label_limit, basic_auth.has_value(), authorization.has_value());
  if (basic_auth.has_value())
    key += '\n' + basic_auth->username + '\xff' + basic_auth->password + '\xff' + basic_auth->password_file;
  if (authorization.has_value()) {
    key += '\n' + authorization->type + '\xff' + authorization->credentials + '\xff' + authorization->credentials_file;
  }
  for (const RelabelConfig& r : metric_relabel_configs) {
    key += fmt::format("\n{}|{}|{}|{}|{}|{}|{}", RelabelActionName(r.action), fmt::join(r.source_labels, ","),
                       r.separator, r.regex.text(), r.modulus, r.target_label, r.replacement);
  }
  return key;
}

void AssembleScrape(const ScrapeTarget& target, std::vector<ScrapedSample> samples, const std::string& error,
                    int64_t scrape_ms, double duration_s, std::unordered_set<std::string>* previous, WriteBatch* batch,
                    std::string* final_error) {
  *final_error = error;
  const size_t scraped = error.empty() ? samples.size() : 0;
  struct Kept {
    Labels labels;
    Sample sample;
    bool stamped;  // its own timestamp, honoured: not tracked for staleness (as Prometheus)
  };
  std::vector<Kept> kept;
  if (error.empty()) {
    kept.reserve(samples.size());
    for (ScrapedSample& s : samples) {
      Labels labels = std::move(s.labels);
      AttachTargetLabels(target, &labels);
      if (!target.metric_relabel_configs.empty() && !Relabel(target.metric_relabel_configs, &labels)) continue;
      if (labels.empty()) continue;  // relabelled to nothing: dropped, as Prometheus
      if (target.label_limit != 0 && labels.size() > target.label_limit) {
        std::string_view name;
        for (const Label& l : labels) {
          if (l.name == kMetricNameLabel) name = l.value;
        }
        *final_error = fmt::format("label_limit exceeded (metric: {:.50}, number of labels: {}, limit: {})", name,
                                   labels.size(), target.label_limit);
        break;
      }
      const bool stamped = target.honor_timestamps && s.timestamp_ms.has_value();
      kept.push_back({std::move(labels), {stamped ? *s.timestamp_ms : scrape_ms, s.value}, stamped});
    }
    if (final_error->empty() && target.sample_limit != 0 && kept.size() > target.sample_limit) {
      *final_error = "sample limit exceeded";
    }
  }
  std::unordered_set<std::string> seen, tracked;
  uint64_t added = 0;
  if (final_error->empty()) {
    WriteBatch samples;
    for (auto& [labels, sample, stamped] : kept) {
      SortLabels(&labels);
      // What the engine would refuse (a reserved "__" name, say) fails the scrape by name,
      // rather than the whole write with up and the report.
      if (Status valid = index::ValidateLabels(labels, target.limits); !valid.ok()) {
        *final_error = index::MetricToString(labels) + ": " + valid.message();
        break;
      }
      std::string key = SeriesKey(labels);
      if (!seen.insert(key).second) continue;  // a series twice in one scrape: the first value, as Prometheus
      if (previous->count(key) == 0) ++added;
      samples.Add(labels, sample.timestamp, sample.value);
      if (!stamped) tracked.insert(std::move(key));
    }
    if (final_error->empty()) {
      *batch = std::move(samples);
    } else {
      tracked.clear();
      added = 0;
    }
  }
  // Series of the last good scrape that are not here any more (all of them after a failure).
  for (const std::string& key : *previous) {
    if (tracked.count(key) == 0) batch->Add(FromKey(key), scrape_ms, StaleNaN());
  }
  *previous = std::move(tracked);
  const bool up = final_error->empty();
  auto report = [&](const char* name, double value) {
    Labels labels = target.labels;
    labels.push_back({kMetricNameLabel, name});
    batch->Add(labels, scrape_ms, value);
  };
  report("up", up ? 1 : 0);
  report("scrape_duration_seconds", duration_s);
  report("scrape_samples_scraped", static_cast<double>(scraped));
  report("scrape_samples_post_metric_relabeling", static_cast<double>(up ? kept.size() : 0));
  report("scrape_series_added", static_cast<double>(up ? added : 0));
}

int64_t ScrapeLoop::Offset(const ScrapeTarget& target) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a of the target's identity
  for (unsigned char c : target.Key()) h = (h ^ c) * 1099511628211ull;
  return target.interval_ms <= 0 ? 0 : static_cast<int64_t>(h % static_cast<uint64_t>(target.interval_ms));
}

ScrapeLoop::ScrapeLoop(ScrapeTarget target, DB* db) : target_(std::move(target)), db_(db) {
  thread_ = std::thread([this] { Run(); });
}

void ScrapeLoop::RequestStop(bool shutdown) {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    shutdown_ = shutdown_ || shutdown;
  }
  wake_.notify_all();
}

ScrapeLoop::~ScrapeLoop() {
  RequestStop(false);
  thread_.join();
  // On shutdown the series go on after the restart: no markers (Prometheus' end-of-run
  // staleness is skipped then too); nor for a target never scraped.
  if (shutdown_ || health_.last_scrape_ms == 0) return;
  // The target went away: its series end here, as do its report series.
  const int64_t now = NowMs();
  WriteBatch batch;
  for (const std::string& key : previous_) batch.Add(FromKey(key), now, StaleNaN());
  for (const char* name : {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                           "scrape_samples_post_metric_relabeling", "scrape_series_added"}) {
    Labels labels = target_.labels;
    labels.push_back({kMetricNameLabel, name});
    batch.Add(labels, now, StaleNaN());
  }
  if (Status st = db_->Write(batch); !st.ok())
    log::Warn("scrape: stale markers of " + target_.url + ": " + st.message());
}

TargetHealth ScrapeLoop::Health() const {
  std::lock_guard lock(mu_);
  return health_;
}

void ScrapeLoop::Run() {
  // Scrapes at offset + k * interval on the wall clock, so a restart keeps the rhythm.
  const int64_t interval = std::max<int64_t>(target_.interval_ms, 1);
  const int64_t offset = Offset(target_);
  std::unique_lock lock(mu_);
  for (;;) {
    const int64_t now = NowMs();
    int64_t next = now - (now - offset) % interval;
    if (next < now) next += interval;
    if (wake_.wait_for(lock, std::chrono::milliseconds(next - now), [&] { return stop_; })) return;
    lock.unlock();
    ScrapeOnce(NowMs());
    lock.lock();
    if (stop_) return;
  }
}

void ScrapeLoop::ScrapeOnce(int64_t scrape_ms) {
  const auto start = std::chrono::steady_clock::now();
  std::string error;
  std::vector<ScrapedSample> samples;
  if (client_ == nullptr) {  // one per loop: its connection is kept alive between scrapes
    client_ = std::make_unique<http::HttpClient>(target_.url, "", target_.job + " target");
    client_->set_timeout_ms(target_.timeout_ms);
    client_->set_user_agent("gnomond-scrape");
  }
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Accept", kAccept}, {"X-Prometheus-Scrape-Timeout-Seconds", fmt::format("{:g}", target_.timeout_ms / 1000.0)}};
  if (target_.basic_auth.has_value() || target_.authorization.has_value()) {
    ScrapeConfig auth;
    auth.basic_auth = target_.basic_auth;
    auth.authorization = target_.authorization;
    auto header = AuthorizationHeader(auth);  // reads the password or credentials file now
    if (!header.ok()) error = header.status().message();
    if (header.ok() && !header->empty()) headers.emplace_back("Authorization", *header);
  }
  client_->set_headers(std::move(headers));
  if (error.empty()) {  // else the credentials could not be read: the scrape fails with that
    auto resp = client_->Get("");
    if (!resp.ok()) {
      error = resp.status().message();
    } else if (resp->status != 200) {
      error = fmt::format("server returned HTTP status {}", resp->status);
    } else {
      auto parsed = ParseExposition(resp->body, FormatFromContentType(resp->content_type));
      if (parsed.ok()) {
        samples = std::move(*parsed);
      } else {
        error = parsed.status().message();
      }
    }
  }
  const double duration = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  WriteBatch batch;
  std::string final_error;
  AssembleScrape(target_, std::move(samples), error, scrape_ms, duration, &previous_, &batch, &final_error);
  if (Status st = db_->Write(batch); !st.ok() && final_error.empty()) {
    final_error = "storing the samples: " + st.message();
  }
  std::lock_guard lock(mu_);
  health_.health = final_error.empty() ? "up" : "down";
  health_.last_error = final_error;
  health_.last_scrape_ms = scrape_ms;
  health_.last_scrape_duration_s = duration;
}

}  // namespace gnomon::scrape
