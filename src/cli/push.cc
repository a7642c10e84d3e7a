#include "cli/push.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "http/client/http_client.h"
#include "cli/query_result.h"
#include "cli/terminal.h"

namespace gnomon::cli {

using http::QueryParams;

namespace {

using Clock = std::chrono::steady_clock;

bool IsDataLine(std::string_view line, bool hash_comments) {
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
  if (i == line.size()) return false;
  return !(hash_comments && line[i] == '#');
}

// Redraws one status line on stderr at most every 100 ms.
class ProgressBar {
 public:
  ProgressBar(bool enabled, uint64_t total_bytes) : enabled_(enabled), total_(total_bytes), start_(Clock::now()) {}

  void Update(uint64_t bytes, uint64_t lines, bool force = false) {
    if (!enabled_) return;
    auto now = Clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? lines / secs : 0;
    std::string stats = FormatBytes(static_cast<double>(bytes));
    if (total_ > 0) stats += " / " + FormatBytes(static_cast<double>(total_));
    stats += fmt::format("  {} lines  {} lines/s", lines, FormatRate(rate));
    std::string line;
    int width = TerminalWidth(80) - 1;
    if (total_ > 0) {
      double f = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_));
      std::string pct = fmt::format(" {:3.0f}% ", f * 100);
      int bar = width - static_cast<int>(stats.size() + pct.size()) - 2;
      if (bar >= 10) {
        int filled = static_cast<int>(f * bar);
        line = "[" + std::string(filled, '#') + std::string(bar - filled, '-') + "]";
      }
      line += pct;
    }
    line += stats;
    if (static_cast<int>(line.size()) > width && width > 0) line.resize(width);
    std::fprintf(stderr, "\r\x1b[K%s", line.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }

  // Removes the status line so that other output starts on a clean line.
  void Clear() {
    if (!drawn_) return;
    std::fprintf(stderr, "\r\x1b[K");
    std::fflush(stderr);
    drawn_ = false;
  }

  static std::string FormatRate(double r) {
    if (r >= 1e6) return fmt::format("{:.1f}M", r / 1e6);
    if (r >= 1e4) return fmt::format("{:.0f}k", r / 1e3);
    return fmt::format("{:.0f}", r);
  }

 private:
  bool enabled_;
  uint64_t total_;
  Clock::time_point start_, last_{};
  bool drawn_ = false;
};

}  // namespace

bool BatchSplitter::Next(bool end_of_input, Batch* out) {
  if (pending_.empty()) return false;
  size_t cut;  // bytes of pending_ that form the batch
  if (pending_.size() >= batch_bytes_) {
    size_t nl = pending_.rfind('\n', batch_bytes_ - 1);
    if (nl == std::string::npos) nl = pending_.find('\n', batch_bytes_);  // a line longer than a batch
    if (nl == std::string::npos) {
      if (!end_of_input) return false;
      cut = pending_.size();
    } else {
      cut = nl + 1;
    }
  } else if (end_of_input) {
    cut = pending_.size();
  } else {
    return false;
  }
  out->body.assign(pending_, 0, cut);
  pending_.erase(0, cut);
  out->first_line = next_line_;
  out->line_count = 0;
  out->data_lines = 0;
  std::string_view body = out->body;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    size_t end = nl == std::string_view::npos ? body.size() : nl;
    ++out->line_count;
    if (IsDataLine(body.substr(pos, end - pos), hash_comments_)) ++out->data_lines;
    pos = end + 1;
  }
  next_line_ += out->line_count;
  return true;
}

int RunPush(HttpClient* client, const PushOptions& opt) {
  const bool from_stdin = opt.path == "-";
  const std::string name = from_stdin ? "<stdin>" : opt.path;
  std::ifstream file;
  std::istream* in = &std::cin;
  uint64_t total_bytes = 0;
  if (from_stdin && IsTerminal(STDIN_FILENO)) {
    std::fprintf(stderr, "gnomon push: reading %s from the terminal; end with Ctrl-D\n", opt.jsonl ? "JSON lines" : "line protocol");
  }
  if (!from_stdin) {
    file.open(opt.path, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "gnomon: cannot open %s: %s\n", opt.path.c_str(), std::strerror(errno));
      return 1;
    }
    file.seekg(0, std::ios::end);
    auto size = file.tellg();
    if (size > 0) total_bytes = static_cast<uint64_t>(size);
    file.seekg(0, std::ios::beg);
    in = &file;
  }
  const std::string path = opt.jsonl ? "/api/v1/import" : "/write";
  QueryParams params;
  if (!opt.jsonl && !opt.precision.empty()) params.emplace_back("precision", opt.precision);
  const char* content_type = opt.jsonl ? "application/x-ndjson" : "text/plain; charset=utf-8";

  ProgressBar progress(opt.progress && IsTerminal(STDERR_FILENO), total_bytes);
  BatchSplitter splitter(std::max<size_t>(opt.batch_bytes, 1), !opt.jsonl);
  std::vector<char> buf(std::min<size_t>(std::max<size_t>(opt.batch_bytes, 64 << 10), 1 << 20));
  uint64_t bytes_sent = 0, lines_sent = 0, rejected = 0, batches = 0, failed_batches = 0;
  bool fatal = false;
  auto start = Clock::now();

  auto send = [&](const Batch& b) {
    ++batches;
    for (int attempt = 0;; ++attempt) {
      auto r = client->Post(path, params, b.body, content_type);
      if (!r.ok()) {
        progress.Clear();
        std::fprintf(stderr, "gnomon: %s\n", r.status().message().c_str());
        fatal = true;
        return;
      }
      if (r->status == 503 && attempt < opt.max_retries) {
        int wait_s = std::max(1, std::atoi(r->retry_after.c_str()));
        std::this_thread::sleep_for(std::chrono::seconds(std::min(wait_s, 30)));
        continue;
      }
      bytes_sent += b.body.size();
      lines_sent += b.data_lines;
      if (r->status >= 200 && r->status < 300) return;
      const size_t last_line = b.first_line + b.line_count - 1;
      progress.Clear();
      auto doc = nlohmann::json::parse(r->body, nullptr, false);
      if (r->status == 400 && doc.is_object() && doc.contains("rejected_lines") && doc["rejected_lines"].is_number()) {
        size_t n = doc["rejected_lines"].get<size_t>();
        rejected += n;
        size_t listed = 0;
        if (doc.contains("errors") && doc["errors"].is_array()) {
          for (const auto& e : doc["errors"]) {
            size_t line = e.value("line", size_t{0});
            std::string reason = e.value("reason", std::string("rejected"));
            std::fprintf(stderr, "%s:%zu: %s\n", name.c_str(), b.first_line + line - 1, reason.c_str());
            ++listed;
          }
        }
        if (listed < n) {
          std::fprintf(stderr, "%s:%zu-%zu: %zu more rejected lines not listed by the server\n", name.c_str(),
                       b.first_line, last_line, n - listed);
        }
        return;
      }
      // The whole batch failed.
      ++failed_batches;
      rejected += b.data_lines;
      std::string why = ErrorMessage(r->body, r->status);
      if (r->status == 413) why += " (try a smaller --batch-bytes)";
      std::fprintf(stderr, "%s:%zu-%zu: batch rejected: %s\n", name.c_str(), b.first_line, last_line, why.c_str());
      if (r->status == 401 || r->status == 403 || r->status == 404 || r->status >= 500) fatal = true;
      return;
    }
  };

  Batch batch;
  bool eof = false;
  while (!fatal) {
    while (!fatal && splitter.Next(eof, &batch)) {
      send(batch);
      progress.Update(bytes_sent, lines_sent);
    }
    if (eof || fatal) break;
    in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::streamsize got = in->gcount();
    if (got > 0) splitter.Append(std::string_view(buf.data(), static_cast<size_t>(got)));
    if (!*in) {
      if (in->bad()) {
        progress.Clear();
        std::fprintf(stderr, "gnomon: error reading %s\n", name.c_str());
        return 1;
      }
      eof = true;
    }
  }
  progress.Update(bytes_sent, lines_sent, /*force=*/true);
  progress.Clear();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::string summary = fmt::format("pushed {} line{} ({}) in {} batch{} in {:.2f}s ({} lines/s): {} accepted, {} rejected",
                                    lines_sent, lines_sent == 1 ? "" : "s", FormatBytes(static_cast<double>(bytes_sent)),
                                    batches, batches == 1 ? "" : "es", secs,
                                    ProgressBar::FormatRate(secs > 0 ? lines_sent / secs : 0),
                                    lines_sent >= rejected ? lines_sent - rejected : 0, rejected);
  if (fatal) summary += "; stopped early";
  std::printf("%s\n", summary.c_str());
  return (fatal || rejected > 0 || failed_batches > 0) ? 1 : 0;
}

}  // namespace gnomon::cli
