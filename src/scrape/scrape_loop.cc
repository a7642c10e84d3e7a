#include "scrape/scrape_loop.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "http/client/http_client.h"
#include "util/clock.h"
#include "util/log.h"

namespace gnomon::scrape {

namespace {

// What Prometheus 2.42 asks for.
constexpr const char* kAccept =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

}  // namespace

int64_t ScrapeLoop::Offset(const ScrapeTarget& target) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a of the target's identity
  for (unsigned char c : target.Key()) h = (h ^ c) * 1099511628211ull;
  return target.interval_ms <= 0 ? 0 : static_cast<int64_t>(h % static_cast<uint64_t>(target.interval_ms));
}

ScrapeLoop::ScrapeLoop(ScrapeTarget target, DB* db) : target_(std::move(target)), appender_(&target_, db) {
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
  if (Status st = appender_.MarkStale(NowMs()); !st.ok())
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
  if (client_ == nullptr) {  // one per loop: its connection is kept alive between scrapes
    auto [origin, path] = http::SplitOrigin(target_.url);
    path_ = std::move(path);
    client_ = std::make_unique<http::HttpClient>(std::move(origin), "", target_.job + " target");
    client_->set_timeout_ms(target_.timeout_ms);
    client_->set_user_agent("gnomond-scrape");
    client_->set_max_body_bytes(target_.body_size_limit);
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
  Result<http::HttpResponse> resp = Status::Aborted("not sent");
  if (error.empty()) {  // else the credentials could not be read: the scrape fails with that
    resp = client_->Get(path_);
    if (!resp.ok()) {
      error = resp.status().message();
    } else if (resp->status != 200) {
      error = fmt::format("server returned HTTP status {}", resp->status);
    }
  }
  const double duration = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string_view body = error.empty() ? std::string_view(resp->body) : std::string_view();
  const ExpositionFormat format = error.empty() ? FormatFromContentType(resp->content_type) : ExpositionFormat{};
  const std::string final_error = appender_.Append(body, format, error, scrape_ms, duration);
  std::lock_guard lock(mu_);
  health_.health = final_error.empty() ? "up" : "down";
  health_.last_error = final_error;
  health_.last_scrape_ms = scrape_ms;
  health_.last_scrape_duration_s = duration;
}

}  // namespace gnomon::scrape
