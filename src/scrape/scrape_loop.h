// ScrapeLoop: one target scraped every interval on its own thread, as Prometheus' scrapeLoop
// (issue 15). Each scrape GETs the target (Prometheus' Accept header, its timeout header, bearer or
// basic auth; gzip decoded by the client), parses the exposition text (exposition.h), attaches the
// target's labels (honor_labels as Prometheus: a clashing scraped label becomes exported_<name>,
// or wins when honoured), applies metric_relabel_configs, enforces sample_limit and label_limit,
// and writes the samples with the report series up, scrape_duration_seconds,
// scrape_samples_scraped, scrape_samples_post_metric_relabeling and scrape_series_added in one
// batch. A series the previous scrape had and this one has not gets Prometheus' stale marker; a
// failed scrape (unreachable, bad text, a limit) stores nothing but up = 0 and the report, and
// marks every series of the last good scrape stale; so does stopping the loop (the target went
// away; not when gnomond shuts down). A series with its own timestamp, honoured, is not tracked
// for staleness (as Prometheus). Scrapes start at a fixed offset within the interval (a hash of the target), so targets
// are spread over it; a slow target delays only itself.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "gnomon/db.h"
#include "gnomon/options.h"
#include "gnomon/series.h"
#include "gnomon/write_batch.h"
#include "http/client/http_client.h"
#include "scrape/exposition.h"
#include "scrape/relabel.h"
#include "scrape/scrape_config.h"

namespace gnomon::scrape {

// What scraping one target needs, resolved from its job's config and its discovered labels.
struct ScrapeTarget {
  std::string job;
  std::string url;  // scheme://address/metrics_path?params
  Labels labels;    // the target's labels after relabel_configs (job, instance, ...), sorted
  int64_t interval_ms = 60'000;
  int64_t timeout_ms = 10'000;
  bool honor_labels = false;
  bool honor_timestamps = true;
  uint64_t sample_limit = 0;  // 0: none
  uint64_t label_limit = 0;   // 0: none
  std::vector<RelabelConfig> metric_relabel_configs;
  // The job's basic_auth / authorization: the header is made at every scrape, so a password or
  // credentials file that changes is read again (as Prometheus).
  std::optional<BasicAuth> basic_auth;
  std::optional<Authorization> authorization;
  Limits limits;  // the engine's: a series it would refuse fails the scrape by name

  // Identity for the manager: the same target (and loop) while job, URL, labels and every
  // setting above but the limits are the same.
  std::string Key() const;
};

// What /api/v1/targets says of a target.
struct TargetHealth {
  std::string health = "unknown";  // "up", "down", "unknown" (not scraped yet)
  std::string last_error;
  int64_t last_scrape_ms = 0;  // unix ms
  double last_scrape_duration_s = 0;
};

// One scrape's outcome on given samples, without I/O: the pure part of a scrape, tested alone.
// Fills `batch` with what is to be written at `scrape_ms` (samples, stale markers for series of
// `previous` that are gone, the report) and replaces `previous` with this scrape's series (on a
// failure, with none). `error` is "" for a good scrape, else the reason (then `samples` is
// ignored). `duration_s` is the scrape's wall time.
void AssembleScrape(const ScrapeTarget& target, std::vector<ScrapedSample> samples, const std::string& error,
                    int64_t scrape_ms, double duration_s, std::unordered_set<std::string>* previous, WriteBatch* batch,
                    std::string* final_error);

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
  DB* const db_;
  std::unordered_set<std::string> previous_;  // series of the last good scrape (loop thread only)
  std::unique_ptr<http::HttpClient> client_;  // loop thread only
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;      // guarded by mu_
  bool shutdown_ = false;  // guarded by mu_
  TargetHealth health_;    // guarded by mu_
  std::thread thread_;
};

}  // namespace gnomon::scrape
