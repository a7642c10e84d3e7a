// Scrape jobs: the `global` and `scrape_configs` sections of a Prometheus configuration file, read
// as Prometheus 2.42 reads them (config.Load), restricted to what gnomond's scraper does:
//
//   global:
//     scrape_interval: 1m          # the jobs' default (Prometheus' default: 1m)
//     scrape_timeout: 10s          # the jobs' default (10s, or the interval if that is shorter)
//   scrape_configs:
//     - job_name: node             # required, unique
//       scrape_interval: 15s       # default: global
//       scrape_timeout: 10s        # default: global, capped at the interval; above it: an error
//       metrics_path: /metrics
//       params: {module: [x]}      # query parameters
//       scheme: http               # http only: https (TLS) is rejected
//       honor_labels: false
//       honor_timestamps: true
//       basic_auth: {username: u, password: p}        # or password_file
//       authorization: {type: Bearer, credentials: t} # or credentials_file; also bearer_token(_file)
//       sample_limit: 0            # 0: none
//       label_limit: 0
//       body_size_limit: 0         # e.g. 10MB (powers of 1024, as Prometheus); 0: none
//       static_configs: [{targets: ["host:9100"], labels: {env: prod}}]
//       file_sd_configs: [{files: ["targets/*.json"], refresh_interval: 5m}]
//       relabel_configs: [...]     # relabel.h
//       metric_relabel_configs: [...]
//
// Parsing is strict: a key Prometheus does not know, a key gnomond does not support (TLS, OAuth2,
// proxies, body/target/label-length limits, every service discovery but static and file, the
// config file's other sections such as rule_files or remote_write), a duplicate key, a value of
// the wrong type, a duplicate job name, a timeout above its interval and Prometheus' own
// consistency checks are errors; every error is reported, each as "FILE:LINE:COL: reason", in one
// InvalidArgument Status. Relative file names (file_sd files, password_file, credentials_file)
// are taken relative to the config file's directory, as Prometheus does.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"
#include "scrape/relabel.h"

namespace gnomon::scrape {

// Prometheus' targetgroup.Group: targets sharing labels. Each target is a label set holding its
// __address__; a target's own labels win over the group's.
struct TargetGroup {
  std::vector<Labels> targets;
  Labels labels;       // sorted by name
  std::string source;  // static_configs: "0", "1", ... ; file_sd: "FILE:INDEX"
};

struct FileSdConfig {
  std::vector<std::string> files;  // globs (Go's filepath.Glob), each ending in .json, .yml or .yaml
  int64_t refresh_interval_ms = 5 * 60 * 1000;
};

struct BasicAuth {
  std::string username;
  std::string password;
  std::string password_file;  // read at every scrape; at most one of password and password_file
};

struct Authorization {
  std::string type = "Bearer";
  std::string credentials;
  std::string credentials_file;  // read at every scrape; at most one of the two
};

// A scrape job, its durations resolved against `global`.
struct ScrapeConfig {
  std::string job_name;
  int64_t scrape_interval_ms = 60'000;
  int64_t scrape_timeout_ms = 10'000;
  std::string metrics_path = "/metrics";
  std::map<std::string, std::vector<std::string>> params;
  std::string scheme = "http";
  std::optional<BasicAuth> basic_auth;
  std::optional<Authorization> authorization;  // bearer_token(_file) end up here, type Bearer
  bool honor_labels = false;
  bool honor_timestamps = true;
  std::vector<TargetGroup> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  std::vector<RelabelConfig> relabel_configs;
  std::vector<RelabelConfig> metric_relabel_configs;
  uint64_t sample_limit = 0;     // 0: no limit
  uint64_t label_limit = 0;      // 0: no limit
  uint64_t body_size_limit = 0;  // bytes of the (decompressed) body; 0: no limit
};

// Parses a Prometheus configuration file's text; `file_name` names it in error messages and
// anchors relative paths. An empty file, or one without scrape_configs, has no jobs.
Result<std::vector<ScrapeConfig>> ParseScrapeConfigs(std::string_view yaml, std::string_view file_name);

// Reads and parses the file at `path` (NotFound / IOError if it cannot be read).
Result<std::vector<ScrapeConfig>> LoadScrapeConfigs(const std::string& path);

// The Authorization header a scrape of `job` sends, as Prometheus' HTTP client builds it: "TYPE
// CREDENTIALS" (a credentials_file read now, surrounding white space trimmed), "Basic
// base64(username:password)" (the password, or password_file's content, trimmed), or "" when the
// job has no authentication. Fails with IOError naming the file if a file cannot be read.
Result<std::string> AuthorizationHeader(const ScrapeConfig& job);

}  // namespace gnomon::scrape
