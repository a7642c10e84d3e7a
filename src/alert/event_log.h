// The alert event log: every change of an alert's state (pending, firing, resolved), appended as
// one JSON line to a file and fdatasync'ed before Append returns, so the history survives a crash
// of gnomond. A line cut short by a crash is skipped when reading. Lines look like
//   {"time":"2026-12-01T20:00:00Z","time_ms":1764619200000,"alertname":"TooHot","from":"pending",
//    "to":"firing","labels":{...},"annotations":{...},"value":"9.5e+01"}
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alert/alerting_rule.h"

namespace gnomon::alert {

class AlertEventLog {
 public:
  // Opens (creating if needed) the log at `path` for appending.
  static Result<std::unique_ptr<AlertEventLog>> Open(const std::string& path);
  ~AlertEventLog();

  Status Append(const std::vector<AlertEvent>& events);

  // The newest `limit` events at or after `since_ms`, oldest first, as their JSON lines.
  Result<std::vector<std::string>> Read(int64_t since_ms, size_t limit) const;

  // One event as its JSON line (without the newline).
  static std::string ToJson(const AlertEvent& e);

 private:
  AlertEventLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  std::string path_;
  int fd_;
  mutable std::mutex mu_;
};

}  // namespace gnomon::alert
