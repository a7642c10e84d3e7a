#include "alert/event_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>

#include "util/go_strconv.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace gnomon::alert {

namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

template <typename Pairs>
void AppendObject(std::string* out, const Pairs& pairs) {
  *out += '{';
  bool first = true;
  for (const auto& [k, v] : pairs) {
    if (!first) *out += ',';
    first = false;
    AppendJsonString(k, out);
    *out += ':';
    AppendJsonString(v, out);
  }
  *out += '}';
}

// The time_ms field of a line, or false if the line is not a whole event.
bool TimeOf(const std::string& line, int64_t* t) {
  const size_t at = line.find("\"time_ms\":");
  if (at == std::string::npos || line.empty() || line.back() != '}') return false;
  char* end = nullptr;
  *t = std::strtoll(line.c_str() + at + 10, &end, 10);
  return end != line.c_str() + at + 10;
}

}  // namespace

Result<std::unique_ptr<AlertEventLog>> AlertEventLog::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(Errno("open alert event log " + path));
  // A torn last line from a crash: end it, so the next event starts on a line of its own.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(-1, std::ios::end);
    char last = '\n';
    in.get(last);
    if (last != '\n' && ::write(fd, "\n", 1) != 1) {
      ::close(fd);
      return Status::IOError(Errno("repair alert event log " + path));
    }
  }
  return std::unique_ptr<AlertEventLog>(new AlertEventLog(path, fd));
}

AlertEventLog::~AlertEventLog() { ::close(fd_); }

namespace {

// `{"time":...,"time_ms":...,"alertname":...`: how every event line starts.
std::string EventHead(int64_t time_ms, const Labels& labels) {
  std::string out = "{\"time\":";
  AppendJsonString(FormatRfc3339(time_ms), &out);
  out += ",\"time_ms\":" + std::to_string(time_ms) + ",\"alertname\":";
  std::string name;
  for (const Label& l : labels) {
    if (l.name == "alertname") name = l.value;
  }
  AppendJsonString(name, &out);
  return out;
}

void AppendLabels(std::string* out, const Labels& labels) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const Label& l : labels) pairs.emplace_back(l.name, l.value);
  AppendObject(out, pairs);
}

template <typename Event>
std::string Lines(const std::vector<Event>& events) {
  std::string text;
  for (const Event& e : events) text += AlertEventLog::ToJson(e) + "\n";
  return text;
}

}  // namespace

std::string AlertEventLog::ToJson(const AlertEvent& e) {
  std::string out = EventHead(e.time_ms, e.labels);
  out += ",\"from\":\"";
  out += AlertStateName(e.from);
  out += "\",\"to\":\"";
  out += AlertStateName(e.to);
  out += "\",\"labels\":";
  AppendLabels(&out, e.labels);
  out += ",\"annotations\":";
  AppendObject(&out, e.annotations);
  out += ",\"value\":";
  AppendJsonString(GoFormatFloat(e.value, 'e', -1), &out);
  out += '}';
  return out;
}

std::string AlertEventLog::ToJson(const NotificationEvent& e) {
  std::string out = EventHead(e.time_ms, e.labels);
  out += ",\"receiver\":";
  AppendJsonString(e.receiver, &out);
  out += ",\"outcome\":";
  AppendJsonString(e.outcome, &out);
  out += e.resolved ? ",\"notice\":\"resolved\",\"labels\":" : ",\"notice\":\"firing\",\"labels\":";
  AppendLabels(&out, e.labels);
  out += ",\"detail\":";
  AppendJsonString(e.detail, &out);
  out += '}';
  return out;
}

Status AlertEventLog::Append(const std::vector<AlertEvent>& events) { return AppendText(Lines(events)); }

Status AlertEventLog::Append(const std::vector<NotificationEvent>& events) { return AppendText(Lines(events)); }

Status AlertEventLog::AppendText(const std::string& text) {
  if (text.empty()) return Status::OK();
  std::lock_guard lock(mu_);
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError(Errno("append to alert event log " + path_));
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return Status::IOError(Errno("sync alert event log " + path_));
  return Status::OK();
}

Result<std::vector<std::string>> AlertEventLog::Read(int64_t since_ms, size_t limit) const {
  std::lock_guard lock(mu_);
  std::ifstream in(path_, std::ios::binary);
  if (!in) return Status::IOError(Errno("read alert event log " + path_));
  std::deque<std::string> kept;
  std::string line;
  while (std::getline(in, line)) {
    int64_t t = 0;
    if (in.eof() || !TimeOf(line, &t) || t < since_ms) continue;  // torn, foreign or too old
    kept.push_back(std::move(line));
    if (kept.size() > limit) kept.pop_front();
  }
  return std::vector<std::string>(kept.begin(), kept.end());
}

}  // namespace gnomon::alert
