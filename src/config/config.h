// Config: the gnomond server's settings, loaded from a TOML file and overridden by flags.
//
// The file has gnomond's own sections, [server], [storage] and [limits], and one section for each
// component that has settings (e.g. [alerting], owned by src/alert); which sections exist is the
// Schema's (section.h). config.example.toml at the repository root lists every key with its
// default and meaning. Every key is optional: a missing key keeps its default, so an empty file
// is a valid configuration.
//
// Values are checked strictly. Unknown sections and keys (typos), values of the wrong TOML type
// and out-of-range or malformed values are all errors; loading reports every one of them at once,
// each on its own line of the Status message, as
//     FILE:LINE:COL: key "storage.retention": <reason>
// A TOML syntax error stops the TOML parser, so it is reported alone, as
//     FILE:LINE:COL: TOML syntax error: <reason>
//
// Value formats:
//   durations  Prometheus style strings: "0", "500ms", "30s", "1h30m", "15d", "2w", "1y".
//   sizes      an integer number of bytes, or a string with a unit: "512KiB", "64MiB", "1GiB",
//              "100MB" (units B, KB, MB, GB, TB = powers of 1000; KiB, MiB, GiB, TiB = powers of
//              1024; no fractions, no spaces).
//   counts     non-negative TOML integers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "config/section.h"
#include "gnomon/options.h"
#include "gnomon/status.h"

namespace gnomon::config {

enum class LogLevel : unsigned char { kDebug, kInfo, kWarn, kError };

// "debug", "info", "warn", "error".
std::string_view LogLevelName(LogLevel level);
// "always", "interval", "never".
std::string_view SyncModeName(SyncMode mode);

// [server]: the HTTP endpoint.
struct ServerConfig {
  static constexpr std::string_view kName = "server";
  static std::span<const Field<ServerConfig>> Fields();

  // host:port to listen on; the host is an IPv4 address, a name, or [IPv6]. Port 0 picks a free
  // port. The default only accepts local connections; use "0.0.0.0:9201" for every interface.
  std::string listen = "127.0.0.1:9201";
  // Where the database lives. A relative path is relative to the working directory.
  std::string data_dir = "./gnomon-data";
  // If non-empty, every request must carry "Authorization: Bearer <auth_token>".
  std::string auth_token;
  uint32_t worker_threads = 2;
  uint32_t max_connections = 1024;
  uint64_t max_body_bytes = 64ull << 20;  // after decompression
  // Ingest request bodies being written at once beyond this get 503 + Retry-After.
  uint64_t max_inflight_ingest_bytes = 256ull << 20;
  uint64_t max_header_bytes = 64ull << 10;
  int64_t read_timeout_ms = 30'000;   // to receive one whole request
  int64_t idle_timeout_ms = 120'000;  // a keep-alive connection with no request is closed
  LogLevel log_level = LogLevel::kInfo;

  bool operator==(const ServerConfig&) const = default;
};

// [storage]: the engine; maps onto gnomon::Options.
struct StorageConfig {
  static constexpr std::string_view kName = "storage";
  static std::span<const Field<StorageConfig>> Fields();

  int64_t retention_ms = 0;  // 0 keeps data forever
  SyncMode sync = SyncMode::kInterval;
  int64_t sync_interval_ms = 1000;
  uint32_t max_samples_per_chunk = 1024;
  int64_t chunk_window_ms = 24 * 3600 * 1000;
  uint64_t wal_segment_bytes = 64ull << 20;
  // WAL kept for [[remote_write]] destinations that are behind (Options::max_wal_retained_bytes).
  uint64_t max_wal_retained_bytes = 1ull << 30;
  uint64_t block_cache_bytes = 64ull << 20;
  // gnomond merges out-of-order and small chunks and applies retention this often; 0 = never.
  int64_t compaction_interval_ms = 3600 * 1000;

  bool operator==(const StorageConfig&) const = default;
};

// [limits]: protection against runaway writers and queries. 0 means unlimited where noted.
struct LimitsConfig {
  static constexpr std::string_view kName = "limits";
  static std::span<const Field<LimitsConfig>> Fields();

  uint64_t max_labels_per_series = 64;
  uint64_t max_label_name_length = 256;      // bytes
  uint64_t max_label_value_length = 4096;    // bytes
  uint64_t max_series = 0;                   // 0 = unlimited
  uint64_t max_series_per_metric = 0;        // series one metric name may have; 0 = unlimited
  uint64_t max_query_samples = 50'000'000;   // samples one query may load; 0 = unlimited
  uint64_t max_query_series = 100'000;       // series one query may touch; 0 = unlimited
  int64_t query_timeout_ms = 2 * 60 * 1000;  // 0 = no timeout
  uint64_t query_threads = 0;                // threads one query may use; 0 = one per core

  bool operator==(const LimitsConfig&) const = default;
};

class Config {
 public:
  ServerConfig server;
  StorageConfig storage;
  LimitsConfig limits;

  // The engine options for DB::Open: [storage] and the write-side [limits]. The query limits and
  // [server] are for the server itself and have no Options counterpart.
  Options ToOptions() const;

  // A section by type: the core ones above, or a component's (its defaults if the file had none).
  template <typename S>
  const S& Get() const {
    if constexpr (IsCore<S>()) {
      return const_cast<Config*>(this)->Mutable<S>();
    } else {
      auto it = sections_.find(S::kName);
      if (it == sections_.end()) return Defaults<S>();
      return *static_cast<const S*>(it->second.value.get());
    }
  }
  // The section to modify, created with its defaults if absent.
  template <typename S>
  S& Mutable() {
    if constexpr (std::is_same_v<S, ServerConfig>) {
      return server;
    } else if constexpr (std::is_same_v<S, StorageConfig>) {
      return storage;
    } else if constexpr (std::is_same_v<S, LimitsConfig>) {
      return limits;
    } else {
      Entry& e = sections_[std::string(S::kName)];
      if (e.value == nullptr) {
        e.value = std::make_shared<S>();
        e.equal = [](const void* a, const void* b) { return *static_cast<const S*>(a) == *static_cast<const S*>(b); };
        e.defaults = [] { return static_cast<const void*>(&Defaults<S>()); };
      }
      return *static_cast<S*>(e.value.get());
    }
  }

  // Sections compare by value; an absent section equals one holding its defaults.
  bool operator==(const Config& other) const;

 private:
  template <typename S>
  static constexpr bool IsCore() {
    return std::is_same_v<S, ServerConfig> || std::is_same_v<S, StorageConfig> || std::is_same_v<S, LimitsConfig>;
  }
  template <typename S>
  static const S& Defaults() {
    static const S kDefaults{};
    return kDefaults;
  }
  struct Entry {
    std::shared_ptr<void> value;
    bool (*equal)(const void*, const void*) = nullptr;
    const void* (*defaults)() = nullptr;
  };
  std::map<std::string, Entry, std::less<>> sections_;
};

template <typename S>
SectionSpec SectionSpec::Of() {
  SectionSpec spec;
  spec.name = S::kName;
  for (const Field<S>& f : S::Fields()) spec.keys.push_back(f.key);
  spec.set = [](Config* config, std::string_view key, const Value& value) -> std::string {
    for (const Field<S>& f : S::Fields()) {
      if (f.key != key) continue;
      // Set on a copy, so a rejected value leaves an absent section absent.
      S section = config->Get<S>();
      std::string err = f.set(&section, value);
      if (err.empty()) config->Mutable<S>() = std::move(section);
      return err;
    }
    return "unknown key";
  };
  return spec;
}

// Reads and parses the TOML file at `path` with `schema`'s sections. A missing file is kNotFound
// and an unreadable one kIOError, naming the path; invalid contents are kInvalidArgument listing
// every error (see top).
Result<Config> LoadConfigFile(const std::string& path, const Schema& schema = Schema::Core());

// Parses TOML text. `source_name` (usually the file name) prefixes every error message.
Result<Config> ParseConfig(std::string_view toml_text, std::string_view source_name,
                           const Schema& schema = Schema::Core());

// Sets one setting from a command-line flag, after the file is loaded, so flags win. `key` is the
// dotted key as in the file ("server.listen", "storage.retention"); `value` is the flag's text,
// checked like the file's value: durations and sizes as above ("15d", "64MiB" or "1048576"),
// counts as decimal integers, strings as is. On error (kInvalidArgument: unknown key or bad
// value) *config is unchanged.
Status ApplyOverride(Config* config, std::string_view key, std::string_view value,
                     const Schema& schema = Schema::Core());

// Parses a size as written in the file: decimal digits, optionally followed by B, KB, MB, GB, TB,
// KiB, MiB, GiB or TiB. Fails with kInvalidArgument naming the text and the reason.
Result<uint64_t> ParseByteSize(std::string_view text);

}  // namespace gnomon::config
