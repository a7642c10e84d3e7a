#include "scrape/scrape_manager.h"

#include <sys/stat.h>

#include <set>

#include "scrape/targets.h"
#include "util/duration.h"
#include "util/log.h"

namespace gnomon::scrape {

namespace {

std::string_view LabelValue(const Labels& labels, std::string_view name) {
  for (const Label& l : labels) {
    if (l.name == name) return l.value;
  }
  return {};
}

// size:mtime of a file, "" when it cannot be read: a change re-reads it.
std::string FileVersion(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

ScrapeManager::ScrapeManager(DB* db, Limits limits) : db_(db), limits_(limits) {
  watcher_ = std::thread([this] { WatchFiles(); });
}

ScrapeManager::~ScrapeManager() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  watcher_.join();
  std::map<std::string, Running> running;
  {
    std::lock_guard lock(mu_);
    running.swap(running_);
  }
  // gnomond is stopping: every loop told at once, then each joined; no stale markers (the series
  // go on after the restart).
  for (auto& [key, r] : running) r.loop->RequestStop(/*shutdown=*/true);
  running.clear();
}

void ScrapeManager::Apply(std::vector<ScrapeConfig> jobs) {
  {
    std::lock_guard lock(mu_);
    jobs_ = std::move(jobs);
  }
  Sync();
}

void ScrapeManager::Sync() {
  std::lock_guard sync(sync_mu_);  // one Sync at a time: the last one applies the newest jobs
  std::vector<ScrapeConfig> jobs;
  {
    std::lock_guard lock(mu_);
    jobs = jobs_;
  }
  // The targets as the jobs and files say now (outside the lock: files are read).
  std::map<std::string, std::pair<ScrapeTarget, Labels>> wanted;
  std::vector<DroppedTarget> dropped;
  std::map<std::string, std::string> versions;
  for (const ScrapeConfig& job : jobs) {
    std::vector<TargetGroup> groups = job.static_configs;
    for (const FileSdConfig& sd : job.file_sd_configs) {
      for (const std::string& path : ExpandFileSdPaths(sd)) {
        versions[path] = FileVersion(path);
        auto read = ReadFileSd(path);
        if (read.ok()) {
          last_good_[path] = *read;
        } else {
          // A file caught half-written, say: its last good targets stay (as Prometheus).
          log::Warn("scrape: job " + job.job_name + ": " + read.status().message());
        }
        if (auto it = last_good_.find(path); it != last_good_.end()) {
          groups.insert(groups.end(), it->second.begin(), it->second.end());
        }
      }
    }
    for (const TargetGroup& group : groups) {
      std::vector<std::string> errors;
      for (PopulatedTarget& t : TargetsFromGroup(group, job, &errors)) {
        if (t.dropped()) {
          dropped.push_back({std::move(t.discovered_labels)});
          continue;
        }
        ScrapeTarget target;
        target.job = job.job_name;
        target.url = TargetUrl(t.labels, job.params);
        auto interval = ParseDurationMs(LabelValue(t.labels, "__scrape_interval__"));
        auto timeout = ParseDurationMs(LabelValue(t.labels, "__scrape_timeout__"));
        target.interval_ms = interval.ok() ? *interval : job.scrape_interval_ms;
        target.timeout_ms = timeout.ok() ? *timeout : job.scrape_timeout_ms;
        target.labels = PublicLabels(t.labels);
        target.honor_labels = job.honor_labels;
        target.honor_timestamps = job.honor_timestamps;
        target.sample_limit = job.sample_limit;
        target.label_limit = job.label_limit;
        target.body_size_limit = job.body_size_limit;
        target.metric_relabel_configs = job.metric_relabel_configs;
        target.basic_auth = job.basic_auth;
        target.authorization = job.authorization;
        target.limits = limits_;
        std::string key = target.Key();
        wanted.emplace(std::move(key), std::make_pair(std::move(target), std::move(t.discovered_labels)));
      }
      for (const std::string& e : errors) log::Warn("scrape: job " + job.job_name + ": " + e);
    }
  }
  std::map<std::string, Running> stopped;
  {
    std::lock_guard lock(mu_);
    for (auto it = running_.begin(); it != running_.end();) {
      if (wanted.count(it->first) == 0) {
        stopped.insert(running_.extract(it++));
      } else {
        ++it;
      }
    }
    for (auto& [key, w] : wanted) {
      if (running_.count(key) > 0) continue;
      Running r;
      r.discovered = std::move(w.second);
      r.loop = std::make_unique<ScrapeLoop>(std::move(w.first), db_);
      running_.emplace(key, std::move(r));
    }
    dropped_ = std::move(dropped);
    file_versions_ = std::move(versions);
  }
  // Outside the lock: every stopped loop told at once, then each joined (it finishes its scrape
  // in progress) and marks its series stale.
  for (auto& [key, r] : stopped) r.loop->RequestStop(/*shutdown=*/false);
  stopped.clear();
}

void ScrapeManager::WatchFiles() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, std::chrono::seconds(5), [&] { return stop_; })) {
    // A file_sd file that changed (or appeared, or went) since it was read: read them all again.
    bool changed = false;
    std::set<std::string> now_paths;
    for (const ScrapeConfig& job : jobs_) {
      for (const FileSdConfig& sd : job.file_sd_configs) {
        for (const std::string& path : ExpandFileSdPaths(sd)) now_paths.insert(path);
      }
    }
    for (const std::string& path : now_paths) {
      auto it = file_versions_.find(path);
      if (it == file_versions_.end() || it->second != FileVersion(path)) changed = true;
    }
    if (now_paths.size() != file_versions_.size()) changed = true;
    if (!changed) continue;
    lock.unlock();
    Sync();
    lock.lock();
  }
}

std::vector<ActiveTarget> ScrapeManager::Active() const {
  std::lock_guard lock(mu_);
  std::vector<ActiveTarget> out;
  for (const auto& [key, r] : running_) {
    const ScrapeTarget& t = r.loop->target();
    out.push_back({t.job, t.url, r.discovered, t.labels, t.interval_ms, t.timeout_ms, r.loop->Health()});
  }
  return out;
}

std::vector<DroppedTarget> ScrapeManager::Dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace gnomon::scrape
