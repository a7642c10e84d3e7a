#include "scrape/scrape_config.h"

#include <openssl/evp.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "index/labels_util.h"
#include "scrape/yaml_reader.h"
#include "util/go_strconv.h"
#include "util/strings.h"

namespace gnomon::scrape {

namespace {

std::string Quote(std::string_view s) { return GoQuote(s); }

// Go's config.JoinDir: an empty or absolute path as it is, else dir/path cleaned.
std::string JoinDir(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  std::string joined = (std::filesystem::path(dir) / path).lexically_normal().string();
  while (joined.size() > 1 && joined.back() == '/') joined.pop_back();
  return joined.empty() ? "." : joined;
}

// Go's filepath.Dir.
std::string DirOf(std::string_view file) {
  const size_t slash = file.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(file.substr(0, slash));
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string TrimSpace(std::string s) {
  const auto first = s.find_first_not_of(" \t\n\r\v\f");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\n\r\v\f") - first + 1);
}

Result<std::string> ReadWholeFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("unable to read " + std::string(what) + " " + path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError("unable to read " + std::string(what) + " " + path + ": read failed");
  return text.str();
}

constexpr std::string_view kOnlyScrape = "gnomond reads only 'global' and 'scrape_configs' from this file";
constexpr std::string_view kNoTls = "gnomond scrapes over plain HTTP (no TLS)";
constexpr std::string_view kLimits = "gnomond supports sample_limit, label_limit and body_size_limit";
constexpr std::string_view kNoProxy = "gnomond does not scrape through proxies";

constexpr UnsupportedKey kTopUnsupported[] = {
    {"alerting", "alerting is configured in gnomond's [alerting] section"},
    {"rule_files", "rule files are listed in gnomond's [alerting] section"},
    {"storage", kOnlyScrape},
    {"tracing", kOnlyScrape},
    {"remote_write", kOnlyScrape},
    {"remote_read", kOnlyScrape},
};
constexpr UnsupportedKey kGlobalUnsupported[] = {
    {"evaluation_interval", "rule evaluation is configured in gnomond's [alerting] section"},
    {"query_log_file", "gnomond has no query log file"},
    {"external_labels", "gnomond does not add external labels"},
};
constexpr UnsupportedKey kJobUnsupported[] = {
    {"tls_config", kNoTls},
    {"oauth2", "gnomond supports basic_auth and authorization only"},
    {"proxy_url", kNoProxy},
    {"proxy_connect_header", kNoProxy},
    {"follow_redirects", "gnomond does not follow redirects"},
    {"enable_http2", "gnomond scrapes over HTTP/1.1"},
    {"target_limit", kLimits},
    {"label_name_length_limit", kLimits},
    {"label_value_length_limit", kLimits},
};

// Prometheus' patFileSDName.
const re2::RE2& FileSdNamePattern() {
  static const re2::RE2 re(R"(^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$)");
  return re;
}

// The sections of a Prometheus config file that hold scrape jobs.
class ConfigReader : public YamlReader {
 public:
  explicit ConfigReader(std::string_view file) : YamlReader(file), dir_(DirOf(file)) {}

  void Global(const YAML::Node& n, int64_t* interval, int64_t* timeout);
  void Job(const YAML::Node& n, int64_t global_interval, int64_t global_timeout, ScrapeConfig* job);
  void Relabels(const YAML::Node& v, const YAML::Node& key, const char* kind, std::vector<RelabelConfig>* out);
  void RelabelStep(const YAML::Node& n, RelabelConfig* cfg);
  void StaticConfig(const YAML::Node& n, TargetGroup* group);
  void FileSd(const YAML::Node& n, FileSdConfig* sd);
  // The HTTP client's settings as they were written; Auth checks them as common/config's
  // HTTPClientConfig.Validate does and fills the job's basic_auth and authorization.
  struct HttpSettings {
    YAML::Node basic_auth, authorization;  // null when absent
    std::string bearer_token, bearer_token_file;
  };
  void Auth(const YAML::Node& job_node, const HttpSettings& http, ScrapeConfig* job);

 private:
  std::string dir_;  // relative paths are relative to the config file's directory
};

void ConfigReader::Global(const YAML::Node& n, int64_t* interval, int64_t* timeout) {
  *interval = 0;
  *timeout = 0;
  if (!n.IsNull()) {
    Fields(n, "global", [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
      if (name == "scrape_interval") {
        Duration(v, k, interval);
      } else if (name == "scrape_timeout") {
        Duration(v, k, timeout);
      } else {
        BadField(k, name, "global", kGlobalUnsupported);
      }
    });
  }
  // GlobalConfig.UnmarshalYAML.
  if (*interval == 0) *interval = 60'000;
  if (*timeout > *interval) Error(n, "global scrape timeout greater than scrape interval");
  if (*timeout == 0) *timeout = std::min<int64_t>(10'000, *interval);
}

void ConfigReader::RelabelStep(const YAML::Node& n, RelabelConfig* cfg) {
  bool has_regex = false, has_source_labels = false, action_null = false;
  const size_t errors_before = error_count();
  Fields(n, "a relabel config", [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
    if (name == "source_labels") {
      has_source_labels = true;
      Strings(v, k, &cfg->source_labels);
      for (const std::string& s : cfg->source_labels) {
        if (!index::IsValidLabelName(s)) Error(v, Quote(s) + " is not a valid label name", &k);
      }
    } else if (name == "separator") {
      String(v, k, &cfg->separator);
    } else if (name == "regex") {
      has_regex = true;
      std::string text;
      if (!String(v, k, &text)) return;
      auto re = RelabelRegex::Compile(text);  // null: "", as Prometheus
      if (!re.ok()) return Error(v, re.status().message(), &k);
      cfg->regex = std::move(re).value();
    } else if (name == "modulus") {
      Uint(v, k, &cfg->modulus);
    } else if (name == "target_label") {
      String(v, k, &cfg->target_label);
    } else if (name == "replacement") {
      String(v, k, &cfg->replacement);
    } else if (name == "action") {
      std::string text;
      if (!String(v, k, &text)) return;
      if (v.IsNull()) {
        action_null = true;
        return;
      }
      auto action = ParseRelabelAction(text);
      if (!action) return Error(v, "unknown relabel action " + Quote(text), &k);
      cfg->action = *action;
    } else {
      BadField(k, name, "a relabel config");
    }
  });
  // As Prometheus, the first problem of a step is its only one.
  if (!n.IsMap() || error_count() != errors_before) return;
  if (action_null) return Error(n, "relabel action cannot be empty");
  // Prometheus tells an explicit regex or source_labels from the default (by identity); so do we.
  const RelabelAction a = cfg->action;
  if ((a == RelabelAction::kKeepEqual || a == RelabelAction::kDropEqual) && has_regex) {
    return Error(n, std::string(RelabelActionName(a)) +
                        " action requires only 'source_labels' and `target_label`, and no other fields");
  }
  if ((a == RelabelAction::kLabelDrop || a == RelabelAction::kLabelKeep) && has_source_labels) {
    return Error(n, std::string(RelabelActionName(a)) + " action requires only 'regex', and no other fields");
  }
  if (Status s = cfg->Validate(); !s.ok()) Error(n, s.message());
}

void ConfigReader::Relabels(const YAML::Node& v, const YAML::Node& key, const char* kind,
                            std::vector<RelabelConfig>* out) {
  out->clear();
  if (v.IsNull()) return;
  if (!v.IsSequence()) return Error(v, Quote(key.Scalar()) + " must be a list", &key);
  for (const YAML::Node& e : v) {
    if (e.IsNull()) {  // (yaml-cpp places a null item at the next token: the key is clearer)
      Error(key, std::string("empty or null ") + kind + " relabeling rule in scrape config");
      continue;
    }
    RelabelConfig cfg;
    RelabelStep(e, &cfg);
    out->push_back(std::move(cfg));
  }
}

void ConfigReader::StaticConfig(const YAML::Node& n, TargetGroup* group) {
  Fields(n, "a static config", [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
    if (name == "targets") {
      std::vector<std::string> targets;
      Strings(v, k, &targets);
      for (std::string& t : targets) group->targets.push_back(Labels{Label{"__address__", std::move(t)}});
    } else if (name == "labels") {
      LabelSet(v, k, &group->labels);
    } else {
      BadField(k, name, "a static config");
    }
  });
}

void ConfigReader::FileSd(const YAML::Node& n, FileSdConfig* sd) {
  Fields(n, "a file_sd config", [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
    if (name == "files") {
      Strings(v, k, &sd->files);
      for (std::string& f : sd->files) {
        if (!re2::RE2::FullMatch(f, FileSdNamePattern())) {
          Error(v, "path name " + Quote(f) + " is not valid for file discovery", &k);
        }
        f = JoinDir(dir_, f);
      }
    } else if (name == "refresh_interval") {
      Duration(v, k, &sd->refresh_interval_ms);
      if (v.IsNull() || sd->refresh_interval_ms == 0) sd->refresh_interval_ms = 5 * 60 * 1000;
    } else {
      BadField(k, name, "a file_sd config");
    }
  });
  if (n.IsMap() && sd->files.empty()) Error(n, "file service discovery config must contain at least one path name");
}

void ConfigReader::Auth(const YAML::Node& n, const HttpSettings& http, ScrapeConfig* job) {
  const bool has_basic_auth = http.basic_auth && !http.basic_auth.IsNull();
  const bool has_authorization = http.authorization && !http.authorization.IsNull();
  if (has_basic_auth) {
    BasicAuth auth;
    Fields(http.basic_auth, "'basic_auth'", [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
      if (name == "username") {
        String(v, k, &auth.username);
      } else if (name == "password") {
        String(v, k, &auth.password);
      } else if (name == "password_file") {
        String(v, k, &auth.password_file);
      } else {
        BadField(k, name, "'basic_auth'");
      }
    });
    if (!auth.password.empty() && !auth.password_file.empty()) {
      Error(http.basic_auth, "at most one of basic_auth password & password_file must be configured");
    }
    auth.password_file = JoinDir(dir_, auth.password_file);
    job->basic_auth = std::move(auth);
  }
  if (!http.bearer_token.empty() && !http.bearer_token_file.empty()) {
    Error(n, "at most one of bearer_token & bearer_token_file must be configured");
  }
  if (has_basic_auth && (!http.bearer_token.empty() || !http.bearer_token_file.empty())) {
    Error(n, "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
  }
  if (has_authorization) {
    Authorization auth;
    Fields(http.authorization, "'authorization'",
           [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
             if (name == "type") {
               String(v, k, &auth.type);
             } else if (name == "credentials") {
               String(v, k, &auth.credentials);
             } else if (name == "credentials_file") {
               String(v, k, &auth.credentials_file);
             } else {
               BadField(k, name, "'authorization'");
             }
           });
    if (!http.bearer_token.empty() || !http.bearer_token_file.empty()) {
      Error(http.authorization, "authorization is not compatible with bearer_token & bearer_token_file");
    }
    if (!auth.credentials.empty() && !auth.credentials_file.empty()) {
      Error(http.authorization, "at most one of authorization credentials & credentials_file must be configured");
    }
    // strings.TrimSpace on the type; empty means Bearer; Basic belongs in basic_auth.
    auth.type = TrimSpace(std::move(auth.type));
    if (auth.type.empty()) auth.type = "Bearer";
    if (EqualsIgnoreCase(auth.type, "basic")) {
      Error(http.authorization, "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
    }
    if (has_basic_auth)
      Error(http.authorization, "at most one of basic_auth, oauth2 & authorization must be configured");
    auth.credentials_file = JoinDir(dir_, auth.credentials_file);
    job->authorization = std::move(auth);
  } else if (!http.bearer_token.empty()) {
    job->authorization = Authorization{"Bearer", http.bearer_token, ""};
  } else if (!http.bearer_token_file.empty()) {
    job->authorization = Authorization{"Bearer", "", JoinDir(dir_, http.bearer_token_file)};
  }
}

void ConfigReader::Job(const YAML::Node& n, int64_t global_interval, int64_t global_timeout, ScrapeConfig* job) {
  int64_t interval = 0, timeout = 0;
  YAML::Node timeout_node;
  HttpSettings http;
  Fields(n, "a scrape config", [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
    if (name == "job_name") {
      String(v, k, &job->job_name);
    } else if (name == "scrape_interval") {
      Duration(v, k, &interval);
    } else if (name == "scrape_timeout") {
      Duration(v, k, &timeout);
      timeout_node = v.IsNull() ? k : v;
    } else if (name == "metrics_path") {
      String(v, k, &job->metrics_path);
    } else if (name == "params") {
      if (v.IsNull()) return;
      Fields(v, "'params'", [&](const std::string& param, const YAML::Node& pk, const YAML::Node& pv) {
        Strings(pv, pk, &job->params[param]);
      });
    } else if (name == "scheme") {
      if (!String(v, k, &job->scheme)) return;
      if (job->scheme == "https") {
        Error(v, "scheme \"https\" is not supported: " + std::string(kNoTls), &k);
      } else if (job->scheme != "http") {
        Error(v, "scheme " + Quote(job->scheme) + " is not supported: only \"http\"", &k);
      }
    } else if (name == "honor_labels") {
      Bool(v, k, &job->honor_labels);
    } else if (name == "honor_timestamps") {
      Bool(v, k, &job->honor_timestamps);
    } else if (name == "basic_auth") {
      http.basic_auth = v;
    } else if (name == "authorization") {
      http.authorization = v;
    } else if (name == "bearer_token") {
      String(v, k, &http.bearer_token);
    } else if (name == "bearer_token_file") {
      String(v, k, &http.bearer_token_file);
    } else if (name == "sample_limit") {
      Uint(v, k, &job->sample_limit);
    } else if (name == "label_limit") {
      Uint(v, k, &job->label_limit);
    } else if (name == "body_size_limit") {
      Base2Bytes(v, k, &job->body_size_limit);
    } else if (name == "static_configs" || name == "file_sd_configs") {
      if (v.IsNull()) return;
      if (!v.IsSequence()) return Error(v, Quote(name) + " must be a list", &k);
      size_t index = 0;
      for (const YAML::Node& e : v) {
        if (name == "static_configs") {
          TargetGroup group;
          group.source = std::to_string(index++);
          if (!e.IsNull()) StaticConfig(e, &group);
          job->static_configs.push_back(std::move(group));
        } else {
          FileSdConfig sd;
          if (e.IsNull()) {
            Error(k, "file service discovery config must contain at least one path name");
            continue;
          }
          FileSd(e, &sd);
          job->file_sd_configs.push_back(std::move(sd));
        }
      }
    } else if (name == "relabel_configs") {
      Relabels(v, k, "target", &job->relabel_configs);
    } else if (name == "metric_relabel_configs") {
      Relabels(v, k, "metric", &job->metric_relabel_configs);
    } else if (name.size() > 11 && name.ends_with("_sd_configs")) {
      Error(k, Quote(name) + " is not supported: gnomond discovers targets with static_configs and file_sd_configs");
    } else {
      BadField(k, name, "a scrape config", kJobUnsupported);
    }
  });
  if (!n.IsMap()) return;
  if (job->job_name.empty()) Error(n, "job_name is empty");

  Auth(n, http, job);

  // Targets given as URLs (Prometheus checks static targets only when nothing relabels them).
  if (job->relabel_configs.empty()) {
    for (const TargetGroup& g : job->static_configs) {
      for (const Labels& t : g.targets) {
        if (t[0].value.find('/') != std::string::npos) {
          Error(n, Quote(t[0].value) + " is not a valid hostname");
        }
      }
    }
  }

  // Config.UnmarshalYAML: the interval defaults to the global one; an explicit timeout above it is
  // an error; a missing one is the global timeout, capped at the interval.
  job->scrape_interval_ms = interval == 0 ? global_interval : interval;
  if (timeout > job->scrape_interval_ms) {
    Error(timeout_node,
          "scrape timeout greater than scrape interval for scrape config with job name " + Quote(job->job_name));
  }
  job->scrape_timeout_ms = timeout != 0 ? timeout : std::min(global_timeout, job->scrape_interval_ms);
}

}  // namespace

Result<std::vector<ScrapeConfig>> ParseScrapeConfigs(std::string_view yaml, std::string_view file_name) {
  ConfigReader r(file_name);
  std::vector<ScrapeConfig> jobs;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (root.IsNull()) return jobs;
    YAML::Node global, scrape_configs;
    YAML::Node scrape_key;
    const bool is_map = r.Fields(root, "a Prometheus config file",
                                 [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
                                   if (name == "global") {
                                     global = v;
                                   } else if (name == "scrape_configs") {
                                     scrape_configs = v;
                                     scrape_key = k;
                                   } else {
                                     r.BadField(k, name, "a Prometheus config file", kTopUnsupported);
                                   }
                                 });
    if (!is_map) return r.ToStatus();
    int64_t global_interval = 0, global_timeout = 0;
    r.Global(global ? global : YAML::Node(YAML::NodeType::Null), &global_interval, &global_timeout);
    if (scrape_configs && !scrape_configs.IsNull()) {
      if (!scrape_configs.IsSequence()) {
        r.Error(scrape_configs, "'scrape_configs' must be a list");
      } else {
        std::map<std::string, int> names;
        for (const YAML::Node& n : scrape_configs) {
          if (n.IsNull()) {
            r.Error(scrape_key, "empty or null scrape config section");
            continue;
          }
          ScrapeConfig job;
          r.Job(n, global_interval, global_timeout, &job);
          if (!job.job_name.empty()) {
            const int line = n.Mark().line + 1;
            if (auto [at, fresh] = names.emplace(job.job_name, line); !fresh) {
              r.Error(n["job_name"], "found multiple scrape configs with job name " + Quote(job.job_name) +
                                         " (the first at line " + std::to_string(at->second) + ")");
            }
          }
          jobs.push_back(std::move(job));
        }
      }
    }
  } catch (const YAML::Exception& e) {
    r.ErrorAt(e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  if (!r.ok()) return r.ToStatus();
  return jobs;
}

Result<std::vector<ScrapeConfig>> LoadScrapeConfigs(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open scrape config file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError(path + ": read failed");
  return ParseScrapeConfigs(text.str(), path);
}

Result<std::string> AuthorizationHeader(const ScrapeConfig& job) {
  if (job.authorization) {
    const Authorization& a = *job.authorization;
    if (!a.credentials.empty()) return a.type + " " + a.credentials;
    if (!a.credentials_file.empty()) {
      auto text = ReadWholeFile(a.credentials_file, "authorization credentials file");
      if (!text.ok()) return text.status();
      return a.type + " " + TrimSpace(std::move(text).value());
    }
    return std::string();
  }
  if (job.basic_auth) {
    const BasicAuth& b = *job.basic_auth;
    std::string password = b.password;
    if (!b.password_file.empty()) {
      auto text = ReadWholeFile(b.password_file, "basic auth password file");
      if (!text.ok()) return text.status();
      password = std::move(text).value();
    }
    return "Basic " + Base64(b.username + ":" + TrimSpace(std::move(password)));
  }
  return std::string();
}

}  // namespace gnomon::scrape
