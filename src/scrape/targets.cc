#include "scrape/targets.h"

#include <glob.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "index/labels_util.h"
#include "scrape/yaml_reader.h"
#include "util/duration.h"
#include "util/go_strconv.h"
#include "util/strings.h"

namespace gnomon::scrape {

namespace {

constexpr std::string_view kAddressLabel = "__address__";
constexpr std::string_view kSchemeLabel = "__scheme__";
constexpr std::string_view kMetricsPathLabel = "__metrics_path__";
constexpr std::string_view kScrapeIntervalLabel = "__scrape_interval__";
constexpr std::string_view kScrapeTimeoutLabel = "__scrape_timeout__";
constexpr std::string_view kParamLabelPrefix = "__param_";
constexpr std::string_view kMetaLabelPrefix = "__meta_";
constexpr std::string_view kReservedLabelPrefix = "__";
constexpr std::string_view kFilepathLabel = "__meta_filepath";

void SortByName(Labels* ls) {
  const auto by_name = [](const Label& a, const Label& b) { return a.name < b.name; };
  if (!std::is_sorted(ls->begin(), ls->end(), by_name)) index::SortLabels(ls);
}

// On labels sorted by name.
Labels::const_iterator Find(const Labels& ls, std::string_view name) {
  auto it = std::lower_bound(ls.begin(), ls.end(), name, [](const Label& l, std::string_view n) { return l.name < n; });
  return it != ls.end() && it->name == name ? it : ls.end();
}
std::string Get(const Labels& ls, std::string_view name) {
  auto it = Find(ls, name);
  return it == ls.end() ? std::string() : it->value;
}
// labels.Builder.Set on a sorted label set: "" deletes.
void Set(Labels* ls, std::string_view name, std::string value) {
  auto it =
      std::lower_bound(ls->begin(), ls->end(), name, [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != ls->end() && it->name == name) {
    if (value.empty()) {
      ls->erase(it);
    } else {
      it->value = std::move(value);
    }
  } else if (!value.empty()) {
    ls->insert(it, Label{std::string(name), std::move(value)});
  }
}

// Go's net.SplitHostPort, reporting only whether it succeeds (and the host and port).
bool SplitHostPort(std::string_view hostport, std::string_view* host, std::string_view* port) {
  const size_t i = hostport.rfind(':');
  if (i == std::string_view::npos) return false;  // missing port
  size_t j = 0, k = 0;
  if (hostport[0] == '[') {
    const size_t end = hostport.find(']');
    if (end == std::string_view::npos) return false;  // missing ']'
    if (end + 1 != i) return false;                   // missing port, or too many colons
    *host = hostport.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    *host = hostport.substr(0, i);
    if (host->find(':') != std::string_view::npos) return false;  // too many colons
  }
  if (hostport.find('[', j) != std::string_view::npos) return false;
  if (hostport.find(']', k) != std::string_view::npos) return false;
  *port = hostport.substr(i + 1);
  return true;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t width = 1;
    const char32_t r = gostr::DecodeRune(s, i, &width);
    if (r == 0xFFFD && width == 1) return false;
    i += width;
  }
  return true;
}

// url.QueryEscape (encodeQueryComponent) and the path escaping of url.URL.EscapedPath (encodePath).
void Escape(std::string_view s, bool query, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '_' || c == '.' || c == '~';
    const bool reserved = std::string_view("$&+,/:;=?@").find(static_cast<char>(c)) != std::string_view::npos;
    if (unreserved || (!query && reserved && c != '?')) {
      out->push_back(static_cast<char>(c));
    } else if (query && c == ' ') {
      out->push_back('+');
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
}

Status Invalid(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

}  // namespace

Result<PopulatedTarget> PopulateLabels(const Labels& discovered, const ScrapeConfig& job) {
  Labels in = discovered;
  SortByName(&in);
  // Builder over the discovered labels: empty values go, the job's settings fill what is unset.
  Labels lb = in;
  std::erase_if(lb, [](const Label& l) { return l.value.empty(); });
  const std::pair<std::string_view, std::string> scrape_labels[] = {
      {"job", job.job_name},
      {kScrapeIntervalLabel, FormatDuration(job.scrape_interval_ms)},
      {kScrapeTimeoutLabel, FormatDuration(job.scrape_timeout_ms)},
      {kMetricsPathLabel, job.metrics_path},
      {kSchemeLabel, job.scheme},
  };
  for (const auto& [name, value] : scrape_labels) {
    if (Get(in, name).empty()) Set(&lb, name, value);
  }
  for (const auto& [name, values] : job.params) {
    if (!values.empty()) Set(&lb, std::string(kParamLabelPrefix) + name, values[0]);
  }

  PopulatedTarget target;
  target.discovered_labels = lb;
  if (!Relabel(job.relabel_configs, &lb)) return target;  // dropped: labels empty
  const std::string addr_label = Get(lb, kAddressLabel);
  if (addr_label.empty()) return Invalid("no address");

  const std::string scheme = Get(lb, kSchemeLabel);
  if (scheme != "http") {
    return Invalid("scheme " + GoQuote(scheme) + " is not supported: gnomond scrapes over plain HTTP (no TLS)");
  }
  // A port is added when there is none and adding one makes a valid host:port.
  std::string addr = addr_label;
  std::string_view host, port;
  if (!SplitHostPort(addr, &host, &port) && SplitHostPort(addr + ":1234", &host, &port)) {
    addr += ":80";
    Set(&lb, kAddressLabel, addr);
  }
  // config.CheckTargetAddress.
  if (addr.find('/') != std::string::npos) return Invalid(GoQuote(addr) + " is not a valid hostname");

  const std::string interval = Get(lb, kScrapeIntervalLabel);
  auto interval_ms = ParseDurationMs(interval);
  if (!interval_ms.ok()) {
    return Invalid("error parsing scrape interval: not a valid duration string: " + GoQuote(interval));
  }
  if (interval_ms.value() == 0) return Invalid("scrape interval cannot be 0");
  const std::string timeout = Get(lb, kScrapeTimeoutLabel);
  auto timeout_ms = ParseDurationMs(timeout);
  if (!timeout_ms.ok()) {
    return Invalid("error parsing scrape timeout: not a valid duration string: " + GoQuote(timeout));
  }
  if (timeout_ms.value() == 0) return Invalid("scrape timeout cannot be 0");
  if (timeout_ms.value() > interval_ms.value()) {
    return Invalid("scrape timeout cannot be greater than scrape interval (" + GoQuote(timeout) + " > " +
                   GoQuote(interval) + ")");
  }

  // Meta labels go once relabelling is done; instance defaults to the address.
  std::erase_if(lb, [](const Label& l) { return l.name.starts_with(kMetaLabelPrefix); });
  if (Get(lb, "instance").empty()) Set(&lb, "instance", addr);
  for (const Label& l : lb) {
    if (!IsValidUtf8(l.value)) return Invalid("invalid label value for " + GoQuote(l.name) + ": " + GoQuote(l.value));
  }
  target.labels = std::move(lb);
  return target;
}

std::vector<PopulatedTarget> TargetsFromGroup(const TargetGroup& group, const ScrapeConfig& job,
                                              std::vector<std::string>* errors) {
  std::vector<PopulatedTarget> out;
  out.reserve(group.targets.size());
  for (size_t i = 0; i < group.targets.size(); ++i) {
    // The target's own labels win over the group's.
    Labels own = group.targets[i];
    SortByName(&own);
    Labels ls = own;
    for (const Label& l : group.labels) {
      if (Find(own, l.name) == own.end()) ls.push_back(l);
    }
    auto t = PopulateLabels(ls, job);
    if (!t.ok()) {
      if (errors != nullptr) {
        errors->push_back("instance " + std::to_string(i) + " in group " + group.source + ": " + t.status().message());
      }
      continue;
    }
    out.push_back(std::move(t).value());
  }
  return out;
}

Labels PublicLabels(const Labels& target_labels) {
  Labels out;
  out.reserve(target_labels.size());
  for (const Label& l : target_labels) {
    if (!l.name.starts_with(kReservedLabelPrefix)) out.push_back(l);
  }
  return out;
}

std::string TargetUrl(const Labels& target_labels, const std::map<std::string, std::vector<std::string>>& params) {
  std::map<std::string, std::vector<std::string>> query = params;
  for (const Label& l : target_labels) {
    if (!l.name.starts_with(kParamLabelPrefix)) continue;
    std::vector<std::string>& values = query[l.name.substr(kParamLabelPrefix.size())];
    if (values.empty()) {
      values.push_back(l.value);
    } else {
      values[0] = l.value;
    }
  }
  std::string url;
  std::string scheme, host, path;
  for (const Label& l : target_labels) {
    if (l.name == kSchemeLabel) scheme = l.value;
    if (l.name == kAddressLabel) host = l.value;
    if (l.name == kMetricsPathLabel) path = l.value;
  }
  // url.URL.String().
  if (!scheme.empty()) url += scheme + ":";
  if (!scheme.empty() || !host.empty()) {
    if (!host.empty() || !path.empty()) url += "//";
    url += host;
  }
  if (!path.empty() && path[0] != '/' && !host.empty()) url += '/';
  Escape(path, false, &url);
  // url.Values.Encode: sorted by key, each value in order.
  std::string raw_query;
  for (const auto& [name, values] : query) {
    for (const std::string& v : values) {
      if (!raw_query.empty()) raw_query += '&';
      Escape(name, true, &raw_query);
      raw_query += '=';
      Escape(v, true, &raw_query);
    }
  }
  if (!raw_query.empty()) url += "?" + raw_query;
  return url;
}

std::vector<std::string> ExpandFileSdPaths(const FileSdConfig& sd) {
  std::vector<std::string> paths;
  for (const std::string& pattern : sd.files) {
    glob_t g{};
    // GLOB_PERIOD: Go's Match lets * and ? match a leading dot.
    if (glob(pattern.c_str(), GLOB_PERIOD, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
  }
  return paths;
}

namespace {

Result<std::vector<TargetGroup>> ParseJsonFileSd(std::string_view text, const std::string& path) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return Invalid(path + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  }
  std::vector<TargetGroup> groups;
  if (doc.is_null()) return groups;
  if (!doc.is_array()) return Invalid(path + ": a file_sd file must hold a list of target groups");
  for (size_t i = 0; i < doc.size(); ++i) {
    const nlohmann::json& g = doc[i];
    const std::string where = path + ": target group " + std::to_string(i) + ": ";
    if (g.is_null()) return Invalid(path + ": nil target group item found");
    if (!g.is_object()) return Invalid(where + "must be an object with targets and labels");
    TargetGroup group;
    for (const auto& [key, value] : g.items()) {
      // encoding/json matches field names case-insensitively, and refuses unknown ones here.
      if (EqualsIgnoreCase(key, "targets")) {
        if (value.is_null()) continue;
        if (!value.is_array()) return Invalid(where + "\"targets\" must be a list of strings");
        for (const nlohmann::json& t : value) {
          if (!t.is_string()) return Invalid(where + "\"targets\" must be a list of strings");
          group.targets.push_back(Labels{Label{std::string(kAddressLabel), t.get<std::string>()}});
        }
      } else if (EqualsIgnoreCase(key, "labels")) {
        if (value.is_null()) continue;
        if (!value.is_object()) return Invalid(where + "\"labels\" must be an object of strings");
        for (const auto& [name, v] : value.items()) {
          if (!index::IsValidLabelName(name)) return Invalid(where + GoQuote(name) + " is not a valid label name");
          if (!v.is_string() && !v.is_null()) return Invalid(where + "label " + GoQuote(name) + " must be a string");
          group.labels.push_back(Label{name, v.is_null() ? std::string() : v.get<std::string>()});
        }
      } else {
        return Invalid(where + "json: unknown field " + GoQuote(key));
      }
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

Result<std::vector<TargetGroup>> ParseYamlFileSd(std::string_view text, const std::string& path) {
  YamlReader r(path);
  std::vector<TargetGroup> groups;
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (root.IsNull()) return groups;
    if (!root.IsSequence()) {
      r.Error(root, "a file_sd file must hold a list of target groups");
      return r.ToStatus();
    }
    for (const YAML::Node& g : root) {
      if (g.IsNull()) {
        r.Error(g, "nil target group item found");
        continue;
      }
      TargetGroup group;
      r.Fields(g, "a target group", [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
        if (name == "targets") {
          std::vector<std::string> targets;
          r.Strings(v, k, &targets);
          for (std::string& t : targets)
            group.targets.push_back(Labels{Label{std::string(kAddressLabel), std::move(t)}});
        } else if (name == "labels") {
          r.LabelSet(v, k, &group.labels);
        } else {
          r.BadField(k, name, "a target group");
        }
      });
      groups.push_back(std::move(group));
    }
  } catch (const YAML::Exception& e) {
    r.ErrorAt(e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  if (!r.ok()) return r.ToStatus();
  return groups;
}

}  // namespace

Result<std::vector<TargetGroup>> ParseFileSd(std::string_view text, const std::string& path) {
  const size_t dot = path.rfind('.');
  std::string ext = dot == std::string::npos || path.find('/', dot) != std::string::npos ? "" : path.substr(dot);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Result<std::vector<TargetGroup>> groups =
      Status::InvalidArgument(path + ": unhandled file extension " + GoQuote(ext));
  if (ext == ".json") {
    groups = ParseJsonFileSd(text, path);
  } else if (ext == ".yml" || ext == ".yaml") {
    groups = ParseYamlFileSd(text, path);
  }
  if (!groups.ok()) return groups;
  for (size_t i = 0; i < groups->size(); ++i) {
    TargetGroup& g = (*groups)[i];
    g.source = path + ":" + std::to_string(i);
    index::SortLabels(&g.labels);
    Set(&g.labels, kFilepathLabel, path);
  }
  return groups;
}

Result<std::vector<TargetGroup>> ReadFileSd(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open file_sd file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError(path + ": read failed");
  return ParseFileSd(text.str(), path);
}

}  // namespace gnomon::scrape
