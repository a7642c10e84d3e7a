#include "forward/remote_write_queue.h"

#include <snappy.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <unordered_map>

#include "http/client/http_client.h"
#include "remote.pb.h"
#include "util/log.h"

namespace gnomon::forward {

namespace {

struct RefSample {
  uint64_t ref;
  Sample sample;
};

}  // namespace

Result<std::unique_ptr<RemoteWriteQueue>> RemoteWriteQueue::Open(DB* db, RemoteWriteOptions options) {
  if (options.url.empty()) return Status::InvalidArgument("remote_write " + options.name + ": url is empty");
  if (options.max_samples_per_send == 0) options.max_samples_per_send = 1;
  auto tail = storage::OpenWalTail(db, std::string(kConsumerPrefix) + options.name);
  if (!tail.ok()) return tail.status();
  return std::unique_ptr<RemoteWriteQueue>(new RemoteWriteQueue(db, std::move(options), std::move(*tail)));
}

RemoteWriteQueue::~RemoteWriteQueue() { Stop(); }

void RemoteWriteQueue::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void RemoteWriteQueue::RequestStop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void RemoteWriteQueue::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

void RemoteWriteQueue::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

RemoteWriteStats RemoteWriteQueue::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool RemoteWriteQueue::Pause(int64_t ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stop_ || woken_; });
  woken_ = false;
  return !stop_;
}

void RemoteWriteQueue::Run() {
  auto [origin, path] = http::SplitOrigin(options_.url);
  if (path.empty()) path = "/";
  http::HttpClient client(origin, options_.bearer_token, "remote_write receiver " + options_.name);
  client.set_timeout_ms(options_.timeout_ms);
  client.set_user_agent("gnomond");
  auto headers = options_.headers;
  headers.emplace_back("Content-Encoding", "snappy");
  headers.emplace_back("X-Prometheus-Remote-Write-Version", "0.1.0");
  client.set_headers(std::move(headers));
  // What an earlier run read but did not get acknowledged is sent again.
  tail_->Seek(tail_->acknowledged());
  std::vector<RefSample> batch;
  std::unordered_map<uint64_t, int> series_of;  // ref -> index in the request being built
  prompb::WriteRequest request;
  std::string raw, body;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    // Whole records up to max_samples_per_send samples (one large record may pass it).
    batch.clear();
    storage::WalReadStats read;
    while (batch.size() < options_.max_samples_per_send && tail_->position() < tail_->end()) {
      Status s = tail_->Read(1, [&](uint64_t ref, std::span<const Sample> samples) {
        for (const Sample& x : samples) batch.push_back({ref, x});
      }, &read);
      if (!s.ok()) {
        log::Error("remote_write " + options_.name + ": reading the write-ahead log: " + s.ToString());
        {
          std::lock_guard lock(mu_);
          stats_.last_error = s.ToString();
        }
        // A damaged segment is given up (counted); anything else is tried again after a pause.
        const storage::WalPosition at = tail_->position();
        if (s.code() == Status::Code::kCorruption) tail_->SkipSegment(&read);
        if (tail_->position() == at && batch.empty() && !Pause(options_.batch_send_deadline_ms)) return;
        break;
      }
    }
    if (read.skipped_segments > 0) {
      log::Warn("remote_write " + options_.name + ": " + std::to_string(read.skipped_segments) +
                " write-ahead log segments were given up before they were sent (deleted past "
                "max_wal_retained_bytes, or damaged)");
      std::lock_guard lock(mu_);
      stats_.skipped_segments += read.skipped_segments;
    }
    if (batch.empty()) {
      if (!Pause(options_.batch_send_deadline_ms)) return;
      continue;
    }
    // Requests of at most max_samples_per_send samples, a series' samples together.
    for (size_t start = 0; start < batch.size(); start += options_.max_samples_per_send) {
      const size_t end = std::min(batch.size(), start + options_.max_samples_per_send);
      request.Clear();
      series_of.clear();
      int64_t newest = INT64_MIN;
      for (size_t i = start; i < end; ++i) {
        const RefSample& x = batch[i];
        auto [it, added] = series_of.try_emplace(x.ref, request.timeseries_size());
        if (added) {
          Labels labels;
          if (Status s = tail_->LabelsOf(x.ref, &labels); !s.ok()) {
            // A series the engine does not know (lost with its data in a power cut): its samples
            // cannot be named, so they are dropped, counted.
            it->second = -1;
            log::Warn("remote_write " + options_.name + ": " + s.ToString() + ": its samples are dropped");
          } else {
            prompb::TimeSeries* ts = request.add_timeseries();
            for (const Label& l : labels) {
              prompb::Label* pl = ts->add_labels();
              pl->set_name(l.name);
              pl->set_value(l.value);
            }
          }
        }
        if (it->second < 0) {
          std::lock_guard lock(mu_);
          ++stats_.dropped_samples;
          continue;
        }
        prompb::Sample* ps = request.mutable_timeseries(it->second)->add_samples();
        ps->set_timestamp(x.sample.timestamp);
        ps->set_value(x.sample.value);
        newest = std::max(newest, x.sample.timestamp);
      }
      if (request.timeseries_size() == 0) continue;  // every series unknown
      size_t samples = 0;
      for (const auto& ts : request.timeseries()) samples += static_cast<size_t>(ts.samples_size());
      request.SerializeToString(&raw);
      snappy::Compress(raw.data(), raw.size(), &body);
      if (!SendUntilDone(&client, path, body, samples, newest)) return;  // stopping: not acknowledged
    }
    if (Status s = tail_->Acknowledge(tail_->position()); !s.ok()) {
      log::Error("remote_write " + options_.name + ": recording the sent position: " + s.ToString());
    }
  }
}

bool RemoteWriteQueue::SendUntilDone(http::HttpClient* client, const std::string& path, const std::string& body,
                                     size_t samples, int64_t newest_ms) {
  int64_t backoff = options_.min_backoff_ms;
  for (;;) {
    auto resp = client->Post(path, {}, body, "application/x-protobuf");
    std::string error;
    int64_t wait = backoff;
    if (!resp.ok()) {
      error = resp.status().message();
    } else if (resp->status >= 200 && resp->status < 300) {
      std::lock_guard lock(mu_);
      stats_.sent_samples += samples;
      ++stats_.sent_requests;
      stats_.last_sent_ms = std::max(stats_.last_sent_ms, newest_ms);
      return true;
    } else if (resp->status < 400) {
      // 1xx, 3xx: redirects are not followed; retried, so that nothing is dropped silently.
      error = "HTTP " + std::to_string(resp->status) + " (redirects are not followed)";
    } else if (resp->status >= 500 || resp->status == 429) {
      error = "HTTP " + std::to_string(resp->status) + ": " + resp->body.substr(0, 256);
      if (resp->status == 429 && !resp->retry_after.empty()) {
        // Retry-After in seconds (an HTTP date is not honoured: the backoff applies).
        char* end = nullptr;
        const long seconds = std::strtol(resp->retry_after.c_str(), &end, 10);
        if (end != resp->retry_after.c_str() && seconds > 0) wait = std::min<int64_t>(seconds * 1000, 10 * 60 * 1000);
      }
    } else {
      // Any other status will not change by sending again: drop the request, as Prometheus does.
      const std::string why = "HTTP " + std::to_string(resp->status) + ": " + resp->body.substr(0, 256);
      log::Warn("remote_write " + options_.name + ": " + std::to_string(samples) + " samples dropped: " + why);
      std::lock_guard lock(mu_);
      stats_.dropped_samples += samples;
      stats_.last_error = why;
      return true;
    }
    {
      std::lock_guard lock(mu_);
      ++stats_.failed_requests;
      stats_.last_error = error;
    }
    if (!Pause(wait)) return false;
    backoff = std::min(backoff * 2, options_.max_backoff_ms);
  }
}

}  // namespace gnomon::forward
