// ScrapeLoop: one target scraped every interval on its own thread, as Prometheus' scrapeLoop
// (issue 15). Each scrape GETs the target (Prometheus' Accept header, its timeout header, bearer or
// basic auth; gzip decoded by the client) and hands the body, or why there is none, to the
// target's ScrapeAppender (scrape_appender.h: parsing, labels, relabelling, limits, staleness, the
// report, the write). Stopping the loop marks the target's series stale (the target went away;
// not when gnomond shuts down). Scrapes start at a fixed offset within the interval (a hash of the
// target), so targets are spread over it; a slow target delays only itself.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "gnomon/db.h"
#include "http/client/http_client.h"
#include "scrape/scrape_appender.h"
#include "scrape/scrape_target.h"

namespace gnomon::scrape {

// What /api/v1/targets says of a target.
struct TargetHealth {
  std::string health = "unknown";  // "up", "down", "unknown" (not scraped yet)
  std::string last_error;
  int64_t last_scrape_ms = 0;  // unix ms
  double last_scrape_duration_s = 0;
};

class ScrapeLoop {
 public:
  // Starts scraping at once (at the target's offset in the interval). `db` outlives the loop.
  ScrapeLoop(ScrapeTarget target, DB* db);
  // Asks the loop to stop after the scrape in progress, without waiting (so many loops stop
  // together); `shutdown`: gnomond is stopping, so no stale markers (the series go on after it
  // restarts).
  void RequestStop(bool shutdown);
  // Stops, and unless shutting down writes stale markers for the target's series and its report
  // (the target went away).
  ~ScrapeLoop();

  const ScrapeTarget& target() const { return target_; }
  TargetHealth Health() const;
  // The offset of this target's scrapes within its interval (Prometheus' spreading).
  static int64_t Offset(const ScrapeTarget& target);

 private:
  void Run();
  void ScrapeOnce(int64_t scrape_ms);

  const ScrapeTarget target_;
  ScrapeAppender appender_;                   // loop thread only (and the destructor's)
  std::unique_ptr<http::HttpClient> client_;  // loop thread only
  std::string path_;                          // the target URL after its origin; loop thread only
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;      // guarded by mu_
  bool shutdown_ = false;  // guarded by mu_
  TargetHealth health_;    // guarded by mu_
  std::thread thread_;
};

}  // namespace gnomon::scrape
