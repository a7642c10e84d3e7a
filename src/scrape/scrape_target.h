// ScrapeTarget: everything scraping one target needs, resolved from its job's config and its
// discovered labels (targets.h makes them; the manager keeps one loop per distinct Key()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gnomon/options.h"
#include "gnomon/series.h"
#include "scrape/relabel.h"
#include "scrape/scrape_config.h"

namespace gnomon::scrape {

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
  uint64_t body_size_limit = 0;  // bytes; 0: none
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

}  // namespace gnomon::scrape
