// ScrapeManager: the scrape jobs' targets and their loops (issue 15), as Prometheus' scrape
// manager and file discovery. Apply takes the jobs of a config (scrape_config.h): each job's
// static targets and file_sd files become targets (targets.h: labels populated and relabelled as
// Prometheus does), each scraped by a ScrapeLoop; a target that stays keeps its loop (and its
// rhythm; a change of its settings restarts it), a new one starts, one that went away is stopped
// (its series marked stale). A background thread looks at the file_sd files every 5 s and reads
// them again when one changed (size or mtime), appeared or went; a file that cannot be read keeps
// its last good targets. Targets answers /api/v1/targets. Thread-safe.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gnomon/db.h"
#include "gnomon/options.h"
#include "scrape/scrape_config.h"
#include "scrape/scrape_loop.h"

namespace gnomon::scrape {

struct ActiveTarget {
  std::string scrape_pool;  // the job
  std::string scrape_url;
  Labels discovered_labels;
  Labels labels;
  int64_t interval_ms = 0, timeout_ms = 0;
  TargetHealth health;
};

struct DroppedTarget {
  Labels discovered_labels;
};

class ScrapeManager {
 public:
  // `limits`: the engine's, which a scraped series must meet.
  ScrapeManager(DB* db, Limits limits);
  ~ScrapeManager();  // stops every loop (gnomond stopping: no stale markers)

  // The jobs to scrape from now on.
  void Apply(std::vector<ScrapeConfig> jobs);

  std::vector<ActiveTarget> Active() const;
  std::vector<DroppedTarget> Dropped() const;

 private:
  struct Running {
    Labels discovered;
    std::unique_ptr<ScrapeLoop> loop;
  };
  // Rebuilds the targets from the jobs and the file_sd files as they are now.
  void Sync();
  void WatchFiles();

  DB* const db_;
  const Limits limits_;
  std::mutex sync_mu_;                                         // held through a Sync: they run one at a time
  std::map<std::string, std::vector<TargetGroup>> last_good_;  // file_sd path -> its last good groups (sync_mu_)
  mutable std::mutex mu_;
  std::vector<ScrapeConfig> jobs_;                    // guarded by mu_
  std::map<std::string, Running> running_;            // by ScrapeTarget::Key(), guarded by mu_
  std::vector<DroppedTarget> dropped_;                // guarded by mu_
  std::map<std::string, std::string> file_versions_;  // file_sd path -> size:mtime, guarded by mu_
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread watcher_;
};

}  // namespace gnomon::scrape
