#include "ship/ship_metrics.h"

#include <fmt/format.h>

#include "util/go_json.h"

namespace gnomon::ship {

namespace {

void Head(std::string* out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(*out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void Counter(std::string* out, std::string_view name, std::string_view help, uint64_t value) {
  Head(out, name, "counter", help);
  fmt::format_to(std::back_inserter(*out), "{} {}\n", name, value);
}

std::string PathLabel(const std::string& path) {
  std::string out = "{path=";
  AppendGoJsonString(&out, path);  // a label value is escaped as a Go string: \\, \" and \n
  out += '}';
  return out;
}

}  // namespace

std::string RenderMetrics(const ShipperSnapshot& s) {
  std::string out;
  const ShipperCounters& c = s.counters;
  Counter(&out, "gnomon_ship_lines_read_total", "Entries read from files and sent to gnomond.", c.lines_read);
  Counter(&out, "gnomon_ship_lines_shipped_total", "Entries gnomond acknowledged.", c.lines_shipped);
  Counter(&out, "gnomon_ship_bytes_shipped_total", "File bytes gnomond acknowledged.", c.bytes_shipped);
  Counter(&out, "gnomon_ship_lines_skipped_total", "Entries of batches gnomond refused with a 4xx and skipped.",
          c.lines_skipped);
  Counter(&out, "gnomon_ship_batches_sent_total", "Batches gnomond acknowledged.", c.batches_sent);
  Counter(&out, "gnomon_ship_batches_skipped_total", "Batches refused with a 4xx and skipped.", c.batches_skipped);
  Counter(&out, "gnomon_ship_duplicate_batches_total", "Batches gnomond already had (sent again after a crash).",
          c.duplicates);
  Counter(&out, "gnomon_ship_range_conflicts_total", "Batches gnomond had in part (409): resumed where it ends.",
          c.conflicts);
  Counter(&out, "gnomon_ship_push_failures_total", "Pushes that failed: no answer, 5xx, 408 or 429.", c.push_failures);
  Head(&out, "gnomon_ship_file_offset_bytes", "gauge", "Bytes of the file gnomond acknowledged.");
  for (const FileStatus& f : s.files)
    fmt::format_to(std::back_inserter(out), "gnomon_ship_file_offset_bytes{} {}\n", PathLabel(f.path), f.offset);
  Head(&out, "gnomon_ship_file_size_bytes", "gauge", "The file's size when last read.");
  for (const FileStatus& f : s.files)
    fmt::format_to(std::back_inserter(out), "gnomon_ship_file_size_bytes{} {}\n", PathLabel(f.path), f.size);
  Head(&out, "gnomon_ship_lag_bytes", "gauge", "Bytes of the file not yet acknowledged.");
  for (const FileStatus& f : s.files) {
    fmt::format_to(std::back_inserter(out), "gnomon_ship_lag_bytes{} {}\n", PathLabel(f.path), f.size - f.offset);
  }
  Head(&out, "gnomon_ship_files", "gauge", "Files being tailed.");
  fmt::format_to(std::back_inserter(out), "gnomon_ship_files {}\n", s.files.size());
  Head(&out, "gnomon_ship_breaker_state", "gauge", "The circuit breaker's state: 1 for the current one.");
  for (auto state : {notify::CircuitBreaker::State::kClosed, notify::CircuitBreaker::State::kOpen,
                     notify::CircuitBreaker::State::kHalfOpen}) {
    fmt::format_to(std::back_inserter(out), "gnomon_ship_breaker_state{{state=\"{}\"}} {}\n", notify::StateName(state),
                   state == s.breaker ? 1 : 0);
  }
  Counter(&out, "gnomon_ship_breaker_opened_total", "Times the circuit breaker opened.", s.breaker_opened);
  Head(&out, "gnomon_ship_catching_up", "gauge",
       "1 while the backlog is sent at catch_up_rate after gnomond recovered.");
  fmt::format_to(std::back_inserter(out), "gnomon_ship_catching_up {}\n", s.catching_up ? 1 : 0);
  return out;
}

std::string StatusLine(const ShipperSnapshot& s) {
  uint64_t lag = 0;
  for (const FileStatus& f : s.files) lag += f.size - f.offset;
  const ShipperCounters& c = s.counters;
  return fmt::format(
      "files={} lag_bytes={} lines_shipped={} lines_skipped={} batches={} duplicates={} push_failures={} breaker={}{}",
      s.files.size(), lag, c.lines_shipped, c.lines_skipped, c.batches_sent, c.duplicates, c.push_failures,
      notify::StateName(s.breaker), s.catching_up ? " catching_up=true" : "");
}

}  // namespace gnomon::ship
