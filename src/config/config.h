// Config: the gnomond server's settings, loaded from a TOML file and overridden by flags.
//
// The file has four sections, [server], [storage], [limits] and [alerting]; config.example.toml at the
// repository root lists every key with its default and meaning. Every key is optional: a missing
// key keeps its default, so an empty file is a valid configuration.
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
#include <string>
#include <string_view>
#include <vector>

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
  int64_t retention_ms = 0;  // 0 keeps data forever
  SyncMode sync = SyncMode::kInterval;
  int64_t sync_interval_ms = 1000;
  uint32_t max_samples_per_chunk = 1024;
  int64_t chunk_window_ms = 24 * 3600 * 1000;
  uint64_t wal_segment_bytes = 64ull << 20;
  uint64_t block_cache_bytes = 64ull << 20;
  // gnomond merges out-of-order and small chunks and applies retention this often; 0 = never.
  int64_t compaction_interval_ms = 3600 * 1000;

  bool operator==(const StorageConfig&) const = default;
};

// [limits]: protection against runaway writers and queries. 0 means unlimited where noted.
struct LimitsConfig {
  uint64_t max_labels_per_series = 64;
  uint64_t max_label_name_length = 256;     // bytes
  uint64_t max_label_value_length = 4096;   // bytes
  uint64_t max_series = 0;                  // 0 = unlimited
  uint64_t max_query_samples = 50'000'000;  // samples one query may load; 0 = unlimited
  uint64_t max_query_series = 100'000;      // series one query may touch; 0 = unlimited
  int64_t query_timeout_ms = 2 * 60 * 1000;  // 0 = no timeout
  uint64_t query_threads = 0;                // threads one query may use; 0 = one per core

  bool operator==(const LimitsConfig&) const = default;
};

// [alerting]: Prometheus rule files evaluated by gnomond (see alert/rule_manager.h).
struct AlertingConfig {
  std::vector<std::string> rule_files;  // paths or glob patterns; empty: no rules
  int64_t evaluation_interval_ms = 60'000;  // for groups without their own interval
  std::string external_url;                 // $externalURL in templates
  std::map<std::string, std::string> external_labels;  // $externalLabels in templates
  bool operator==(const AlertingConfig&) const = default;
};

struct Config {
  ServerConfig server;
  StorageConfig storage;
  LimitsConfig limits;
  AlertingConfig alerting;

  // The engine options for DB::Open: [storage] and the write-side [limits]. The query limits and
  // [server] are for the server itself and have no Options counterpart.
  Options ToOptions() const;

  bool operator==(const Config&) const = default;
};

// Reads and parses the TOML file at `path`. A missing file is kNotFound and an unreadable one
// kIOError, naming the path; invalid contents are kInvalidArgument listing every error (see top).
Result<Config> LoadConfigFile(const std::string& path);

// Parses TOML text. `source_name` (usually the file name) prefixes every error message.
Result<Config> ParseConfig(std::string_view toml_text, std::string_view source_name);

// Sets one setting from a command-line flag, after the file is loaded, so flags win. `key` is the
// dotted key as in the file ("server.listen", "storage.retention"); `value` is the flag's text,
// checked like the file's value: durations and sizes as above ("15d", "64MiB" or "1048576"),
// counts as decimal integers, strings as is. On error (kInvalidArgument: unknown key or bad
// value) *config is unchanged.
Status ApplyOverride(Config* config, std::string_view key, std::string_view value);

// Parses a size as written in the file: decimal digits, optionally followed by B, KB, MB, GB, TB,
// KiB, MiB, GiB or TiB. Fails with kInvalidArgument naming the text and the reason.
Result<uint64_t> ParseByteSize(std::string_view text);

}  // namespace gnomon::config
