// ShipConfig: gnomon-ship's settings (issue 13) — the [ship] section of its TOML file
// (`gnomon-ship --config FILE`), each key also a flag that wins over the file (--batch-size for
// batch_size, ...; --path replaces the file's paths, --label adds to its labels). Read strictly, as gnomond's
// config (config/config.h): unknown keys and bad values are errors naming FILE:LINE:COL.
//
//   [ship]
//   server = "http://127.0.0.1:9201"   # gnomond
//   paths = ["/var/log/app/*.log"]     # globs, looked at again every poll_interval
//   labels = { env = "prod" }          # added to every line (beside host, filename, service, level)
//   state_dir = "/var/lib/gnomon-ship" # the offsets; created if missing
//   token = ""                         # bearer token for gnomond
//   host = ""                          # the host label ("" = this machine's name)
//   batch_size = "1MiB"                # line bytes per push (promtail's batchsize)
//   batch_wait = "1s"                  # how long a smaller batch waits for more (promtail's batchwait)
//   multiline_firstline = ''           # RE2: a line matching it starts an entry ("" = each line is one)
//   multiline_max_wait_time = "3s"     # a last entry is sent after this long without new lines
//   multiline_max_lines = 128          # an entry is cut after this many lines
//   max_line_bytes = "256KiB"          # a longer line is sent in pieces (gnomond's [logs] limit)
//   rotate_wait = "5s"                 # a renamed file is read on until unwritten this long
//   compression = "auto"               # gzip, or none; auto: gzip unless gnomond is on loopback
//   timeout = "30s"                    # per push
//   min_backoff = "500ms"              # backoff after a failed push, doubling with jitter,
//   max_backoff = "30s"                #   up to this
//   breaker_failures = 5               # failures within breaker_window open the circuit breaker,
//   breaker_window = "1m"
//   breaker_cooldown = "30s"           #   which lets one probe through after this long
//   catch_up_rate = "16MiB"            # bytes/s once gnomond is back, until the backlog is shipped (0: no bound)
//   poll_interval = "200ms"            # how often files are looked at when there is nothing to send
//   status_interval = "1m"             # a status line in the log this often
//   listen = ""                        # host:port for /metrics and /health ("" = none)
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/section.h"
#include "gnomon/status.h"

namespace gnomon::ship {

struct ShipConfig {
  static constexpr std::string_view kName = "ship";
  static std::span<const config::Field<ShipConfig>> Fields();

  // auto: gzip, but not to a server on a loopback address (localhost, 127.0.0.0/8, ::1), where it
  // would cost both sides CPU and save nothing.
  enum class Compression : unsigned char { kAuto, kNone, kGzip };

  std::string server;
  std::vector<std::string> paths;
  std::map<std::string, std::string> labels;
  std::string state_dir;
  std::string token;
  std::string host;
  uint64_t batch_size = 1 << 20;
  int64_t batch_wait_ms = 1000;
  std::string multiline_firstline;
  int64_t multiline_max_wait_time_ms = 3000;
  uint64_t multiline_max_lines = 128;
  uint64_t max_line_bytes = 256 << 10;
  int64_t rotate_wait_ms = 5000;
  Compression compression = Compression::kAuto;
  int64_t timeout_ms = 30'000;
  int64_t min_backoff_ms = 500;
  int64_t max_backoff_ms = 30'000;
  uint64_t breaker_failures = 5;
  int64_t breaker_window_ms = 60'000;
  int64_t breaker_cooldown_ms = 30'000;
  uint64_t catch_up_rate = 16 << 20;
  int64_t poll_interval_ms = 200;
  int64_t status_interval_ms = 60'000;
  std::string listen;

  bool operator==(const ShipConfig&) const = default;
};

// Reads `path`'s [ship] section (the file may hold nothing else); "" reads no file (the defaults).
// Then applies `flags` (key, text) in order, each checked as the file's value would be.
Result<ShipConfig> LoadShipConfig(const std::string& path,
                                  const std::vector<std::pair<std::string, std::string>>& flags);

// What a runnable configuration needs: a server, paths and a state directory (kInvalidArgument
// naming the flag and key otherwise).
Status ValidateShipConfig(const ShipConfig& config);

// Whether pushes to `server` (a URL) are gzipped under `compression`.
bool GzipsTo(const std::string& server, ShipConfig::Compression compression);

}  // namespace gnomon::ship
