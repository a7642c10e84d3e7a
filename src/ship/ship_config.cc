#include "ship/ship_config.h"

#include <algorithm>

#include <re2/re2.h>

#include "config/config.h"

namespace gnomon::ship {

std::span<const config::Field<ShipConfig>> ShipConfig::Fields() {
  using config::Value;
  using C = ShipConfig;
  constexpr int64_t kDay = int64_t{24} * 3600 * 1000;
  static const config::Field<ShipConfig> kFields[] = {
      {"server", [](C* c, const Value& in) { return config::SetNonEmptyString(in, &c->server); }},
      {"paths", [](C* c, const Value& in) { return config::SetStringList(in, &c->paths); }},
      {"labels", [](C* c, const Value& in) { return config::SetLabelMap(in, &c->labels); }},
      {"state_dir", [](C* c, const Value& in) { return config::SetNonEmptyString(in, &c->state_dir); }},
      {"token", [](C* c, const Value& in) { return config::SetToken(in, &c->token); }},
      {"host", [](C* c, const Value& in) { return config::SetString(in, &c->host); }},
      {"batch_size", [](C* c, const Value& in) { return config::SetSize(in, &c->batch_size, 1, 64 << 20); }},
      {"batch_wait", [](C* c, const Value& in) { return config::SetDuration(in, &c->batch_wait_ms, 0, kDay); }},
      {"multiline_firstline",
       [](C* c, const Value& in) {
         std::string p;
         if (std::string err = config::ReadString(in, &p); !err.empty()) return err;
         if (!p.empty()) {
           re2::RE2 re(p, re2::RE2::Quiet);
           if (!re.ok()) return "invalid regular expression: " + re.error();
         }
         c->multiline_firstline = p;
         return std::string();
       }},
      {"multiline_max_wait_time",
       [](C* c, const Value& in) { return config::SetDuration(in, &c->multiline_max_wait_time_ms, 0, kDay); }},
      {"multiline_max_lines",
       [](C* c, const Value& in) { return config::SetCount(in, &c->multiline_max_lines, 1, 1'000'000); }},
      {"max_line_bytes", [](C* c, const Value& in) { return config::SetSize(in, &c->max_line_bytes, 64, 64 << 20); }},
      {"rotate_wait", [](C* c, const Value& in) { return config::SetDuration(in, &c->rotate_wait_ms, 0, kDay); }},
      {"compression",
       [](C* c, const Value& in) {
         static constexpr std::pair<std::string_view, Compression> kNames[] = {
             {"auto", Compression::kAuto}, {"gzip", Compression::kGzip}, {"none", Compression::kNone}};
         return config::SetEnum(in, &c->compression, kNames);
       }},
      {"timeout", [](C* c, const Value& in) { return config::SetDuration(in, &c->timeout_ms, 1, kDay); }},
      {"min_backoff", [](C* c, const Value& in) { return config::SetDuration(in, &c->min_backoff_ms, 1, kDay); }},
      {"max_backoff", [](C* c, const Value& in) { return config::SetDuration(in, &c->max_backoff_ms, 1, kDay); }},
      {"breaker_failures",
       [](C* c, const Value& in) { return config::SetCount(in, &c->breaker_failures, 1, 1'000'000); }},
      {"breaker_window", [](C* c, const Value& in) { return config::SetDuration(in, &c->breaker_window_ms, 1, kDay); }},
      {"breaker_cooldown",
       [](C* c, const Value& in) { return config::SetDuration(in, &c->breaker_cooldown_ms, 1, kDay); }},
      {"catch_up_rate",
       [](C* c, const Value& in) { return config::SetSize(in, &c->catch_up_rate, 0, uint64_t{1} << 40); }},
      {"poll_interval", [](C* c, const Value& in) { return config::SetDuration(in, &c->poll_interval_ms, 1, kDay); }},
      {"status_interval",
       [](C* c, const Value& in) { return config::SetDuration(in, &c->status_interval_ms, 1000, kDay); }},
      {"listen",
       [](C* c, const Value& in) {
         std::string text;
         if (config::ReadString(in, &text).empty() && text.empty()) {  // "": serve nothing
           c->listen.clear();
           return std::string();
         }
         return config::SetListen(in, &c->listen);
       }},
  };
  return kFields;
}

Result<ShipConfig> LoadShipConfig(const std::string& path,
                                  const std::vector<std::pair<std::string, std::string>>& flags) {
  config::Schema schema;
  schema.Add(config::SectionSpec::Of<ShipConfig>());
  config::Config loaded;
  if (!path.empty()) {
    auto file = config::LoadConfigFile(path, schema);
    if (!file.ok()) return file.status();
    loaded = std::move(*file);
  }
  for (const auto& [key, text] : flags) {
    if (Status st = config::ApplyOverride(&loaded, "ship." + key, text, schema); !st.ok()) {
      // "override "ship.batch_size": reason" said as the flag it came from.
      std::string flag = key;
      std::replace(flag.begin(), flag.end(), '_', '-');
      const std::string& m = st.message();
      const size_t colon = m.find("\": ");
      return Status::InvalidArgument("--" + flag + " " + text + ": " +
                                     (colon == std::string::npos ? m : m.substr(colon + 3)));
    }
  }
  ShipConfig out = loaded.Get<ShipConfig>();
  if (out.min_backoff_ms > out.max_backoff_ms) {
    return Status::InvalidArgument("ship.min_backoff must not exceed ship.max_backoff");
  }
  return out;
}

Status ValidateShipConfig(const ShipConfig& config) {
  if (config.server.empty()) return Status::InvalidArgument("no server: give --server URL (ship.server)");
  if (config.paths.empty()) return Status::InvalidArgument("no files: give --path GLOB (ship.paths)");
  if (config.state_dir.empty()) {
    return Status::InvalidArgument("no state directory: give --state-dir DIR (ship.state_dir)");
  }
  return Status::OK();
}

bool GzipsTo(const std::string& server, ShipConfig::Compression compression) {
  if (compression != ShipConfig::Compression::kAuto) return compression == ShipConfig::Compression::kGzip;
  std::string_view host = server;
  if (const size_t scheme = host.find("://"); scheme != std::string_view::npos) host.remove_prefix(scheme + 3);
  host = host.substr(0, host.find('/'));
  if (host.starts_with('[')) {
    host = host.substr(1, host.find(']') - 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  const bool loopback = host == "localhost" || host.starts_with("127.") || host == "::1";
  return !loopback;
}

}  // namespace gnomon::ship
