// The alert event log: every change of an alert's state (pending, firing, resolved), appended as
// one JSON line to a file and fdatasync'ed before Append returns, so the history survives a crash
// of gnomond. A line cut short by a crash is skipped when reading. Lines look like
//   {"time":"2026-12-01T20:00:00Z","time_ms":1764619200000,"alertname":"TooHot","from":"pending",
//    "to":"firing","labels":{...},"annotations":{...},"value":"9.5e+01"}
// Notification outcomes are events too, so the log answers "was anyone told, and when?":
//   {"time":...,"time_ms":...,"alertname":"TooHot","receiver":"pager","outcome":"sent",
//    "notice":"firing","labels":{...},"detail":"HTTP 200"}
// with outcome "sent" (the receiver acknowledged it), "failed" (will be retried) or "dropped"
// (refused for good, or pushed out of a full outbox).
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alert/alerting_rule.h"

namespace gnomon::alert {

// The outcome of delivering one notification to one receiver.
struct NotificationEvent {
  int64_t time_ms = 0;
  std::string receiver;
  std::string outcome;    // "sent", "failed" or "dropped"
  bool resolved = false;  // the notice: firing or resolved
  Labels labels;          // the alert's, alertname among them
  std::string detail;     // the receiver's answer or the error
};

class AlertEventLog {
 public:
  // Opens (creating if needed) the log at `path` for appending.
  static Result<std::unique_ptr<AlertEventLog>> Open(const std::string& path);
  ~AlertEventLog();

  Status Append(const std::vector<AlertEvent>& events);
  Status Append(const std::vector<NotificationEvent>& events);

  // The newest `limit` events at or after `since_ms`, oldest first, as their JSON lines.
  Result<std::vector<std::string>> Read(int64_t since_ms, size_t limit) const;

  // One event as its JSON line (without the newline).
  static std::string ToJson(const AlertEvent& e);
  static std::string ToJson(const NotificationEvent& e);

 private:
  AlertEventLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  // Appends and syncs whole lines.
  Status AppendText(const std::string& text);

  std::string path_;
  int fd_;
  mutable std::mutex mu_;
};

}  // namespace gnomon::alert
