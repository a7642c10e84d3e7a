#include "config/config.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "index/labels_util.h"
#include "util/duration.h"

namespace gnomon::config {

namespace {

constexpr uint64_t kKiB = 1ull << 10;
constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;
constexpr uint64_t kTiB = 1ull << 40;
constexpr uint64_t kNoMax = std::numeric_limits<uint64_t>::max();
constexpr int64_t kDay = 24 * 3600 * 1000;
constexpr int64_t kNoMaxMs = std::numeric_limits<int64_t>::max();

}  // namespace

// ---- the value being assigned ---------------------------------------------------------------

// One value to assign to a setting: a node of the TOML file, or the text of a command-line flag.
class Value {
 public:
  Value(const toml::node* node, std::string_view text) : node(node), text(text) {}
  const toml::node* node = nullptr;  // from the file; null for a flag
  std::string_view text;             // a flag's text
};

namespace {

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// Each Get*/Set* returns "" on success or the reason the value is rejected. Set* write their
// destination only on success.

}  // namespace

std::string ReadString(const Value& in, std::string* out) {
  if (in.node == nullptr) {
    *out = std::string(in.text);
    return "";
  }
  if (const auto* s = in.node->as_string()) {
    *out = s->get();
    return "";
  }
  return fmt::format("expected a string, got {}", TypeName(*in.node));
}

std::string ReadInteger(const Value& in, int64_t* out) {
  if (in.node == nullptr) {
    const char* end = in.text.data() + in.text.size();
    auto [ptr, ec] = std::from_chars(in.text.data(), end, *out);
    if (in.text.empty() || ec != std::errc() || ptr != end) {
      return fmt::format("expected an integer, got \"{}\"", in.text);
    }
    return "";
  }
  if (const auto* i = in.node->as_integer()) {
    *out = i->get();
    return "";
  }
  return fmt::format("expected an integer, got {}", TypeName(*in.node));
}

namespace {

std::string FormatSize(uint64_t bytes) {
  static constexpr std::pair<uint64_t, const char*> kUnits[] = {
      {kTiB, "TiB"}, {kGiB, "GiB"}, {kMiB, "MiB"}, {kKiB, "KiB"}};
  for (const auto& [mult, name] : kUnits) {
    if (bytes >= mult && bytes % mult == 0) return fmt::format("{}{}", bytes / mult, name);
  }
  return fmt::format("{} bytes", bytes);
}

}  // namespace

std::string SetDuration(const Value& in, int64_t* dst, int64_t min_ms, int64_t max_ms) {
  if (in.node != nullptr && !in.node->is_string()) {
    if (const auto* i = in.node->as_integer()) {
      return fmt::format(
          "expected a duration string such as \"30s\" or \"15d\", got the integer {}"
          " (write it as a string with a unit, e.g. \"{}s\")",
          i->get(), i->get());
    }
    return fmt::format("expected a duration string such as \"30s\" or \"15d\", got {}", TypeName(*in.node));
  }
  std::string text;
  ReadString(in, &text);
  Result<int64_t> ms = ParseDurationMs(text);
  if (!ms.ok()) return ms.status().message();
  if (*ms < min_ms) {
    return fmt::format("must be at least {}, got \"{}\"", FormatDuration(min_ms), text);
  }
  if (*ms > max_ms) {
    return fmt::format("must be at most {}, got \"{}\"", FormatDuration(max_ms), text);
  }
  *dst = *ms;
  return "";
}

std::string SetSize(const Value& in, uint64_t* dst, uint64_t min, uint64_t max) {
  uint64_t bytes = 0;
  if (in.node != nullptr && in.node->is_integer()) {
    int64_t v = in.node->as_integer()->get();
    if (v < 0) return fmt::format("must not be negative, got {}", v);
    bytes = static_cast<uint64_t>(v);
  } else if (in.node != nullptr && !in.node->is_string()) {
    return fmt::format(
        "expected a size (an integer number of bytes, or a string such as "
        "\"64MiB\"), got {}",
        TypeName(*in.node));
  } else {
    std::string text;
    ReadString(in, &text);
    Result<uint64_t> parsed = ParseByteSize(text);
    if (!parsed.ok()) return parsed.status().message();
    bytes = *parsed;
  }
  if (bytes < min) return fmt::format("must be at least {}, got {}", FormatSize(min), FormatSize(bytes));
  if (bytes > max) return fmt::format("must be at most {}, got {}", FormatSize(max), FormatSize(bytes));
  *dst = bytes;
  return "";
}

namespace {

constexpr std::pair<std::string_view, LogLevel> kLogLevels[] = {
    {"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo}, {"warn", LogLevel::kWarn}, {"error", LogLevel::kError}};
constexpr std::pair<std::string_view, SyncMode> kSyncModes[] = {
    {"always", SyncMode::kAlways}, {"interval", SyncMode::kInterval}, {"never", SyncMode::kNever}};

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

// host:port, [ipv6]:port.
std::string CheckListen(std::string_view addr) {
  std::string_view host, port;
  if (!addr.empty() && addr.front() == '[') {
    size_t close = addr.find("]:");
    if (close == std::string_view::npos) {
      return fmt::format("\"{}\": expected [IPv6 address]:port, e.g. \"[::1]:9201\"", addr);
    }
    host = addr.substr(1, close - 1);
    port = addr.substr(close + 2);
    if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.%") != std::string_view::npos) {
      return fmt::format("\"{}\": \"{}\" is not an IPv6 address", addr, host);
    }
  } else {
    size_t colon = addr.rfind(':');
    if (colon == std::string_view::npos) {
      return fmt::format("\"{}\": expected host:port, e.g. \"127.0.0.1:9201\"", addr);
    }
    host = addr.substr(0, colon);
    port = addr.substr(colon + 1);
    if (host.empty()) {
      return fmt::format("\"{}\": missing host (use \"0.0.0.0:{}\" to listen on every interface)", addr, port);
    }
    if (host.find(':') != std::string_view::npos) {
      return fmt::format("\"{}\": write an IPv6 address in brackets, e.g. \"[::1]:9201\"", addr);
    }
    if (!std::all_of(host.begin(), host.end(), IsHostChar)) {
      return fmt::format("\"{}\": \"{}\" is not a valid host name or address", addr, host);
    }
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value > 65535) {
    return fmt::format("\"{}\": port must be a number from 0 to 65535", addr);
  }
  return "";
}

}  // namespace

std::string SetListen(const Value& in, std::string* dst) {
  std::string text;
  if (std::string err = ReadString(in, &text); !err.empty()) return err;
  if (std::string err = CheckListen(text); !err.empty()) return err;
  *dst = std::move(text);
  return "";
}

std::string SetNonEmptyString(const Value& in, std::string* dst) {
  std::string text;
  if (std::string err = ReadString(in, &text); !err.empty()) return err;
  if (text.empty()) return "must not be empty";
  *dst = std::move(text);
  return "";
}

std::string SetToken(const Value& in, std::string* dst) {
  std::string text;
  if (std::string err = ReadString(in, &text); !err.empty()) return err;
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return "must not contain spaces or control characters (it is sent in an HTTP header)";
    }
  }
  *dst = std::move(text);
  return "";
}

// A list of strings: a TOML array, or from a flag a comma-separated list.
std::string SetStringList(const Value& in, std::vector<std::string>* dst) {
  std::vector<std::string> out;
  if (in.node == nullptr) {
    std::string_view rest = in.text;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      if (comma != 0) out.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  } else if (const auto* array = in.node->as_array()) {
    for (const toml::node& item : *array) {
      const auto* str = item.as_string();
      if (str == nullptr) return fmt::format("expected an array of strings, found {} in it", TypeName(item));
      if (str->get().empty()) return "must not contain empty strings";
      out.push_back(str->get());
    }
  } else {
    return fmt::format("expected an array of strings, got {}", TypeName(*in.node));
  }
  *dst = std::move(out);
  return "";
}

std::string SetString(const Value& in, std::string* dst) { return ReadString(in, dst); }

namespace {

// Names to strings: a TOML table of strings, or from a flag "name=value,name=value"; `noun` names
// the keys in messages ("label" gives "label \"x\": ..."), and `check` vets each name.
std::string ReadStringMap(const Value& in, std::string_view noun, std::string (*check)(const std::string& name),
                          std::map<std::string, std::string>* dst) {
  std::map<std::string, std::string> out;
  auto add = [&](std::string name, std::string value) -> std::string {
    if (std::string err = check(name); !err.empty()) return err;
    out[std::move(name)] = std::move(value);
    return "";
  };
  const std::string prefix = noun.empty() ? std::string() : std::string(noun) + " ";
  if (in.node == nullptr) {
    std::string_view rest = in.text;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      const size_t eq = item.find('=');
      if (eq == std::string_view::npos) return fmt::format("expected name=value, got \"{}\"", item);
      if (std::string err = add(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1))); !err.empty())
        return err;
    }
  } else if (const auto* table = in.node->as_table()) {
    for (const auto& [key, value] : *table) {
      const auto* str = value.as_string();
      if (str == nullptr) return fmt::format("{}\"{}\": expected a string, got {}", prefix, key.str(), TypeName(value));
      if (std::string err = add(std::string(key.str()), str->get()); !err.empty()) return err;
    }
  } else {
    return fmt::format("expected a table of {}names to strings, got {}", prefix, TypeName(*in.node));
  }
  *dst = std::move(out);
  return "";
}

}  // namespace

// Label names to values.
std::string SetLabelMap(const Value& in, std::map<std::string, std::string>* dst) {
  return ReadStringMap(
      in, "label",
      [](const std::string& name) -> std::string {
        if (!index::IsValidLabelName(name)) return fmt::format("\"{}\" is not a valid label name", name);
        return "";
      },
      dst);
}

std::string SetStringMap(const Value& in, std::map<std::string, std::string>* dst) {
  return ReadStringMap(
      in, "", [](const std::string& name) -> std::string { return name.empty() ? "names must not be empty" : ""; },
      dst);
}

namespace {

// YAML's double-quoted scalar: JSON's escapes, which YAML shares.
void AppendYamlQuoted(std::string_view text, std::string* out) {
  *out += '"';
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      *out += '\\';
      *out += c;
    } else if (u < 0x20 || u == 0x7f) {
      *out += fmt::format("\\x{:02x}", u);
    } else {
      *out += c;
    }
  }
  *out += '"';
}

class YamlWriter {
 public:
  YamlWriter(std::string* out, std::vector<int>* lines) : out_(out), lines_(lines) {}

  // A scalar, or "" for a table or an array (then written by Block).
  static std::string Scalar(const toml::node& node) {
    std::string s;
    if (const auto* v = node.as_string()) {
      AppendYamlQuoted(v->get(), &s);
    } else if (const auto* i = node.as_integer()) {
      s = std::to_string(i->get());
    } else if (const auto* f = node.as_floating_point()) {
      const double d = f->get();
      s = std::isnan(d) ? ".nan" : std::isinf(d) ? (d > 0 ? ".inf" : "-.inf") : fmt::format("{}", d);
      if (s.find_first_of(".en") == std::string::npos) s += ".0";  // still a float: 1.0, not 1
    } else if (const auto* b = node.as_boolean()) {
      s = b->get() ? "true" : "false";
    } else if (node.is_date() || node.is_time() || node.is_date_time()) {
      std::ostringstream text;
      node.visit([&](const auto& n) { text << n; });
      AppendYamlQuoted(text.str(), &s);
    }
    return s;
  }

  // `prefix` (a key and ':' or a '-') then the node: on the same line when it is a scalar or
  // empty, else as an indented block below.
  void Entry(int indent, const std::string& prefix, const toml::node& node) {
    const auto* table = node.as_table();
    const auto* array = node.as_array();
    std::string line(static_cast<size_t>(indent), ' ');
    line += prefix;
    if (table != nullptr && !table->empty()) {
      Line(line, node);
      Block(indent + 2, node);
    } else if (array != nullptr && !array->empty()) {
      Line(line, node);
      Block(indent + 2, node);
    } else {
      Line(line + " " + (table != nullptr ? "{}" : array != nullptr ? "[]" : Scalar(node)), node);
    }
  }

  void Block(int indent, const toml::node& node) {
    if (const auto* table = node.as_table()) {
      for (const auto& [key, value] : *table) {
        std::string prefix;
        AppendYamlQuoted(key.str(), &prefix);
        Entry(indent, prefix + ":", value);
      }
    } else if (const auto* array = node.as_array()) {
      for (const toml::node& item : *array) Entry(indent, "-", item);
    }
  }

 private:
  void Line(const std::string& text, const toml::node& from) {
    *out_ += text;
    *out_ += '\n';
    lines_->push_back(static_cast<int>(from.source().begin.line));
  }

  std::string* out_;
  std::vector<int>* lines_;
};

}  // namespace

std::string ReadAsYaml(const Value& in, int indent, std::string* yaml, std::vector<int>* lines, std::string* file) {
  if (in.node == nullptr) return "cannot be set by a flag; write it in the config file";
  if (!in.node->is_table() && !in.node->is_array()) {
    return fmt::format("expected a table or an array, got {}", TypeName(*in.node));
  }
  std::string out;
  std::vector<int> out_lines;
  YamlWriter(&out, &out_lines).Block(indent, *in.node);
  *yaml = std::move(out);
  *lines = std::move(out_lines);
  *file = in.node->source().path ? *in.node->source().path : std::string();
  return "";
}

std::string ForEachKey(const Value& in, const std::function<std::string(std::string_view key, const Value& value)>& set) {
  if (in.node == nullptr) return "cannot be set by a flag; write it in the config file";
  const auto* table = in.node->as_table();
  if (table == nullptr) return fmt::format("expected a table, got {}", TypeName(*in.node));
  for (const auto& [key, value] : *table) {
    if (std::string err = set(key.str(), Value(&value, {})); !err.empty()) {
      return fmt::format("key \"{}\" (line {}): {}", key.str(), value.source().begin.line, err);
    }
  }
  return "";
}

std::string ForEachTable(const Value& in, const std::function<void()>& begin_item,
                         const std::function<std::string(std::string_view key, const Value& value)>& set,
                         const std::function<std::string()>& end_item) {
  if (in.node == nullptr) return "cannot be set by a flag; write it in the config file";
  const auto* array = in.node->as_array();
  if (array == nullptr)
    return fmt::format("expected an array of tables ([[...]] sections), got {}", TypeName(*in.node));
  size_t i = 0;
  for (const toml::node& item : *array) {
    ++i;
    const auto* table = item.as_table();
    if (table == nullptr) return fmt::format("item {}: expected a table, got {}", i, TypeName(item));
    begin_item();
    for (const auto& [key, value] : *table) {
      if (std::string err = set(key.str(), Value(&value, {})); !err.empty()) {
        return fmt::format("item {} (line {}): key \"{}\": {}", i, value.source().begin.line, key.str(), err);
      }
    }
    if (std::string err = end_item(); !err.empty()) {
      return fmt::format("item {} (line {}): {}", i, item.source().begin.line, err);
    }
  }
  return "";
}

// ---- the core sections ---------------------------------------------------------------------
// Every setting: its key and how its value is checked and stored. Keep config.example.toml and
// config.h in step with these tables.

std::span<const Field<ServerConfig>> ServerConfig::Fields() {
  static const Field<ServerConfig> kFields[] = {
      {"listen", [](ServerConfig* c, const Value& in) { return SetListen(in, &c->listen); }},
      {"data_dir", [](ServerConfig* c, const Value& in) { return SetNonEmptyString(in, &c->data_dir); }},
      {"auth_token", [](ServerConfig* c, const Value& in) { return SetToken(in, &c->auth_token); }},
      {"worker_threads", [](ServerConfig* c, const Value& in) { return SetCount(in, &c->worker_threads, 1, 1024); }},
      {"max_connections",
       [](ServerConfig* c, const Value& in) { return SetCount(in, &c->max_connections, 1, 1'000'000); }},
      {"max_body_bytes",
       [](ServerConfig* c, const Value& in) { return SetSize(in, &c->max_body_bytes, kKiB, kNoMax); }},
      {"max_inflight_ingest_bytes",
       [](ServerConfig* c, const Value& in) { return SetSize(in, &c->max_inflight_ingest_bytes, kKiB, kNoMax); }},
      {"max_header_bytes",
       [](ServerConfig* c, const Value& in) { return SetSize(in, &c->max_header_bytes, kKiB, kGiB); }},
      {"read_timeout",
       [](ServerConfig* c, const Value& in) { return SetDuration(in, &c->read_timeout_ms, 1, kNoMaxMs); }},
      {"idle_timeout",
       [](ServerConfig* c, const Value& in) { return SetDuration(in, &c->idle_timeout_ms, 1, kNoMaxMs); }},
      {"log_level", [](ServerConfig* c, const Value& in) { return SetEnum(in, &c->log_level, kLogLevels); }},
  };
  return kFields;
}

std::span<const Field<StorageConfig>> StorageConfig::Fields() {
  static const Field<StorageConfig> kFields[] = {
      {"retention", [](StorageConfig* c, const Value& in) { return SetDuration(in, &c->retention_ms, 0, kNoMaxMs); }},
      {"sync", [](StorageConfig* c, const Value& in) { return SetEnum(in, &c->sync, kSyncModes); }},
      {"sync_interval",
       [](StorageConfig* c, const Value& in) { return SetDuration(in, &c->sync_interval_ms, 1, kDay); }},
      {"max_samples_per_chunk",
       [](StorageConfig* c, const Value& in) { return SetCount(in, &c->max_samples_per_chunk, 1, 65536); }},
      {"chunk_window",
       [](StorageConfig* c, const Value& in) { return SetDuration(in, &c->chunk_window_ms, 1, kNoMaxMs); }},
      {"wal_segment_size",
       [](StorageConfig* c, const Value& in) { return SetSize(in, &c->wal_segment_bytes, kMiB, kNoMax); }},
      {"max_wal_retained",
       [](StorageConfig* c, const Value& in) { return SetSize(in, &c->max_wal_retained_bytes, 0, kNoMax); }},
      {"compaction_interval",
       [](StorageConfig* c, const Value& in) { return SetDuration(in, &c->compaction_interval_ms, 0, kNoMaxMs); }},
      {"block_cache_size",
       [](StorageConfig* c, const Value& in) { return SetSize(in, &c->block_cache_bytes, 0, kNoMax); }},
  };
  return kFields;
}

std::span<const Field<LimitsConfig>> LimitsConfig::Fields() {
  static const Field<LimitsConfig> kFields[] = {
      {"max_labels_per_series",
       [](LimitsConfig* c, const Value& in) { return SetCount(in, &c->max_labels_per_series, 1, kNoMax); }},
      {"max_label_name_length",
       [](LimitsConfig* c, const Value& in) { return SetCount(in, &c->max_label_name_length, 1, kNoMax); }},
      {"max_label_value_length",
       [](LimitsConfig* c, const Value& in) { return SetCount(in, &c->max_label_value_length, 1, kNoMax); }},
      {"max_series", [](LimitsConfig* c, const Value& in) { return SetCount(in, &c->max_series, 0, kNoMax); }},
      {"max_series_per_metric",
       [](LimitsConfig* c, const Value& in) { return SetCount(in, &c->max_series_per_metric, 0, kNoMax); }},
      {"max_query_samples",
       [](LimitsConfig* c, const Value& in) { return SetCount(in, &c->max_query_samples, 0, kNoMax); }},
      {"max_query_series",
       [](LimitsConfig* c, const Value& in) { return SetCount(in, &c->max_query_series, 0, kNoMax); }},
      {"query_threads", [](LimitsConfig* c, const Value& in) { return SetCount(in, &c->query_threads, 0, 256); }},
      {"query_timeout",
       [](LimitsConfig* c, const Value& in) { return SetDuration(in, &c->query_timeout_ms, 0, kNoMaxMs); }},
  };
  return kFields;
}

const Schema& Schema::Core() {
  static const Schema kCore = [] {
    Schema s;
    s.Add(SectionSpec::Of<ServerConfig>()).Add(SectionSpec::Of<StorageConfig>()).Add(SectionSpec::Of<LimitsConfig>());
    return s;
  }();
  return kCore;
}

Schema& Schema::Add(SectionSpec section) {
  if (Find(section.name) == nullptr) sections_.push_back(std::move(section));
  return *this;
}

const SectionSpec* Schema::Find(std::string_view name) const {
  for (const SectionSpec& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool Config::operator==(const Config& other) const {
  if (!(server == other.server && storage == other.storage && limits == other.limits)) return false;
  auto same = [](const Entry& e, const Entry* o) {
    return e.equal(e.value.get(), o != nullptr ? o->value.get() : e.defaults());
  };
  for (const auto& [name, e] : sections_) {
    auto it = other.sections_.find(name);
    if (!same(e, it == other.sections_.end() ? nullptr : &it->second)) return false;
  }
  for (const auto& [name, e] : other.sections_) {
    if (sections_.find(name) == sections_.end() && !same(e, nullptr)) return false;
  }
  return true;
}

namespace {

bool HasKey(const SectionSpec& section, std::string_view key) {
  return std::find(section.keys.begin(), section.keys.end(), key) != section.keys.end();
}

// Edits (insert, delete, replace, swap two neighbours) turning a into b.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

bool Close(std::string_view typed, std::string_view known) {
  return EditDistance(typed, known) <= std::max<size_t>(1, known.size() / 4);
}

// " (did you mean ...?)" for a misspelt or misplaced key, or "".
std::string SuggestKey(const Schema& schema, std::string_view section, std::string_view key) {
  for (const SectionSpec& sec : schema.sections()) {  // a near miss in the same section
    if (sec.name != section) continue;
    for (std::string_view k : sec.keys) {
      if (Close(key, k)) return fmt::format(" (did you mean \"{}.{}\"?)", section, k);
    }
  }
  for (const SectionSpec& sec : schema.sections()) {  // the right name in another section
    if (HasKey(sec, key)) return fmt::format(" (it belongs in [{}]: \"{}.{}\")", sec.name, sec.name, key);
  }
  return "";
}

std::string SuggestSection(const Schema& schema, std::string_view name) {
  for (const SectionSpec& sec : schema.sections()) {
    if (Close(name, sec.name)) return fmt::format(" (did you mean [{}]?)", sec.name);
  }
  std::string list;
  const auto& all = schema.sections();
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) list += i + 1 == all.size() ? " and " : ", ";
    list += fmt::format("[{}]", all[i].name);
  }
  return fmt::format(" (the sections are {})", list);
}

// ---- error collection -----------------------------------------------------------------------

struct Problem {
  uint32_t line;
  uint32_t column;
  std::string text;
};

class Problems {
 public:
  explicit Problems(std::string_view source) : source_(source) {}

  void Add(const toml::source_region& where, std::string_view key, std::string_view reason) {
    list_.push_back(
        {where.begin.line, where.begin.column,
         fmt::format("{}:{}:{}: key \"{}\": {}", source_, where.begin.line, where.begin.column, key, reason)});
  }

  bool empty() const { return list_.empty(); }

  // Every problem, in file order, one per line.
  std::string Join() {
    std::stable_sort(list_.begin(), list_.end(), [](const Problem& a, const Problem& b) {
      return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    std::string out;
    for (const Problem& p : list_) {
      if (!out.empty()) out += '\n';
      out += p.text;
    }
    return out;
  }

 private:
  std::string_view source_;
  std::vector<Problem> list_;
};

// Where a key was written; the value's position if the parser recorded none for the key.
const toml::source_region& KeyRegion(const toml::key& key, const toml::node& value) {
  return key.source().begin.line != 0 ? key.source() : value.source();
}

}  // namespace

// ---- public API -----------------------------------------------------------------------------

std::string_view LogLevelName(LogLevel level) {
  for (const auto& [name, value] : kLogLevels) {
    if (value == level) return name;
  }
  return "unknown";
}

std::string_view SyncModeName(SyncMode mode) {
  for (const auto& [name, value] : kSyncModes) {
    if (value == mode) return name;
  }
  return "unknown";
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format("invalid size \"{}\": {}", text, why));
  };
  if (text.empty()) return fail("empty (write a number of bytes, or e.g. \"64MiB\")");
  if (text.front() == '-') return fail("must not be negative");
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return fail("expected a number followed by an optional unit, e.g. \"64MiB\"");
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, n);
  if (ec != std::errc()) return fail("out of range");
  std::string_view unit = text.substr(digits);
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {{"", 1},
                                                                     {"B", 1},
                                                                     {"KB", 1000},
                                                                     {"MB", 1000 * 1000},
                                                                     {"GB", 1000ull * 1000 * 1000},
                                                                     {"TB", 1000ull * 1000 * 1000 * 1000},
                                                                     {"KiB", kKiB},
                                                                     {"MiB", kMiB},
                                                                     {"GiB", kGiB},
                                                                     {"TiB", kTiB}};
  for (const auto& [name, mult] : kUnits) {
    if (name != unit) continue;
    if (n > std::numeric_limits<uint64_t>::max() / mult) return fail("out of range");
    return n * mult;
  }
  if (unit.front() == '.') return fail("fractions are not allowed (write \"1536MiB\", not \"1.5GiB\")");
  if (unit.front() == ' ') return fail("no space is allowed between the number and the unit");
  return fail(fmt::format("unknown unit \"{}\" (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", unit));
}

Options Config::ToOptions() const {
  Options o;
  o.sync_mode = storage.sync;
  o.sync_interval_ms = static_cast<uint32_t>(storage.sync_interval_ms);
  o.retention_ms = storage.retention_ms;
  o.limits.max_labels_per_series = static_cast<size_t>(limits.max_labels_per_series);
  o.limits.max_label_name_length = static_cast<size_t>(limits.max_label_name_length);
  o.limits.max_label_value_length = static_cast<size_t>(limits.max_label_value_length);
  o.limits.max_series = static_cast<size_t>(limits.max_series);
  o.limits.max_series_per_metric = static_cast<size_t>(limits.max_series_per_metric);
  o.max_samples_per_chunk = storage.max_samples_per_chunk;
  o.chunk_window_ms = storage.chunk_window_ms;
  o.wal_segment_bytes = storage.wal_segment_bytes;
  o.max_wal_retained_bytes = storage.max_wal_retained_bytes;
  o.compaction_interval_ms = storage.compaction_interval_ms;
  o.block_cache_bytes = static_cast<size_t>(storage.block_cache_bytes);
  return o;
}

Result<Config> ParseConfig(std::string_view toml_text, std::string_view source_name, const Schema& schema) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    const toml::source_position& at = e.source().begin;
    return Status::InvalidArgument(
        fmt::format("{}:{}:{}: TOML syntax error: {}", source_name, at.line, at.column, e.description()));
  }

  Config config;
  Problems problems(source_name);
  for (const auto& [section_key, section_node] : root) {
    std::string_view section = section_key.str();
    const SectionSpec* spec = schema.Find(section);
    if (spec == nullptr) {
      if (section_node.is_table()) {
        problems.Add(KeyRegion(section_key, section_node), section,
                     "unknown section" + SuggestSection(schema, section));
      } else {
        std::string hint = SuggestKey(schema, "", section);
        if (hint.empty()) hint = SuggestSection(schema, section);
        problems.Add(KeyRegion(section_key, section_node), section, "unknown key" + hint);
      }
      continue;
    }
    if (section_node.is_array() && HasKey(*spec, section)) {  // [[section]]: see section.h
      if (std::string err = spec->set(&config, section, Value(&section_node, {})); !err.empty()) {
        problems.Add(section_node.source(), section, err);
      }
      continue;
    }
    const toml::table* table = section_node.as_table();
    if (table == nullptr) {
      problems.Add(section_node.source(), section,
                   fmt::format("expected a table (a [{}] section), got {}", section, TypeName(section_node)));
      continue;
    }
    for (const auto& [key, value] : *table) {
      std::string dotted = fmt::format("{}.{}", section, key.str());
      if (!HasKey(*spec, key.str())) {
        problems.Add(KeyRegion(key, value), dotted, "unknown key" + SuggestKey(schema, section, key.str()));
        continue;
      }
      if (std::string err = spec->set(&config, key.str(), Value(&value, {})); !err.empty()) {
        problems.Add(value.source(), dotted, err);
      }
    }
  }
  if (!problems.empty()) return Status::InvalidArgument(problems.Join());
  return config;
}

Result<Config> LoadConfigFile(const std::string& path, const Schema& schema) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound(fmt::format("config file \"{}\" does not exist", path));
    return Status::IOError(fmt::format("cannot open config file \"{}\": {}", path, std::strerror(err)));
  }
  std::string text;
  char buf[1 << 14];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  int read_err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (read_err != 0) {
    return Status::IOError(fmt::format("cannot read config file \"{}\": {}", path, std::strerror(read_err)));
  }
  return ParseConfig(text, path, schema);
}

Status ApplyOverride(Config* config, std::string_view key, std::string_view value, const Schema& schema) {
  size_t dot = key.find('.');
  std::string_view section = dot == std::string_view::npos ? std::string_view() : key.substr(0, dot);
  std::string_view name = dot == std::string_view::npos ? key : key.substr(dot + 1);
  const SectionSpec* spec = schema.Find(section);
  if (spec == nullptr || !HasKey(*spec, name)) {
    std::string hint = spec != nullptr ? SuggestKey(schema, section, name) : SuggestKey(schema, "", name);
    return Status::InvalidArgument(fmt::format("override \"{}\": unknown key{}", key, hint));
  }
  if (std::string err = spec->set(config, name, Value(nullptr, value)); !err.empty()) {
    return Status::InvalidArgument(fmt::format("override \"{}\": {}", key, err));
  }
  return Status::OK();
}

}  // namespace gnomon::config
