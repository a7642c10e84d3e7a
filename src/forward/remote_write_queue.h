// RemoteWriteQueue: forwards what the engine stored to one Prometheus remote_write 1.0 endpoint
// (Mimir, Thanos Receive, a VictoriaMetrics cluster, Prometheus itself), from the write-ahead log
// rather than from memory: it is a WAL consumer (storage/wal_tail.h) that acknowledges a position
// only after the receiver accepted everything before it. So a receiver down for an hour, or
// gnomond killed meanwhile, loses nothing and re-sends at most the requests after the last
// acknowledged position; the log is kept for it up to Options::max_wal_retained_bytes (beyond,
// the oldest segments go and their samples count as dropped).
//
// Sending follows Prometheus' rules: a request is snappy-compressed protobuf (WriteRequest, at
// most max_samples_per_send samples) with Content-Encoding: snappy and
// X-Prometheus-Remote-Write-Version: 0.1.0; 5xx, 429 and transport failures are retried with
// exponential backoff between min_backoff and max_backoff (Retry-After honoured on 429); any
// other 4xx drops the request's samples, counted and logged; the queue moves on.
//
// One sender thread (Start/Stop). Stats may be read from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gnomon/db.h"
#include "gnomon/status.h"
#include "storage/wal_tail.h"

namespace gnomon::http {
class HttpClient;
}

namespace gnomon::forward {

// A destination's WAL consumer is named kConsumerPrefix + its name.
inline constexpr std::string_view kConsumerPrefix = "rw_";
inline constexpr size_t kMaxNameLength = 64 - kConsumerPrefix.size();

struct RemoteWriteOptions {
  std::string name;  // the destination's name: [a-z0-9_], at most kMaxNameLength
  std::string url;   // e.g. http://127.0.0.1:8428/api/v1/write
  std::vector<std::pair<std::string, std::string>> headers;
  std::string bearer_token;
  size_t max_samples_per_send = 2000;
  // With nothing new to send, the sender looks again after this long (or when woken). A partial
  // request is sent as soon as the log's end is reached.
  int64_t batch_send_deadline_ms = 5000;
  int64_t min_backoff_ms = 30;
  int64_t max_backoff_ms = 5000;
  int64_t timeout_ms = 30000;  // one request (Prometheus' remote_timeout)
  // Accepted from Prometheus configs; the sender runs one shard for now, so these do not act yet.
  size_t capacity = 10000;
  size_t min_shards = 1;
  size_t max_shards = 200;
  bool operator==(const RemoteWriteOptions&) const = default;
};

struct RemoteWriteStats {
  uint64_t sent_samples = 0;
  uint64_t sent_requests = 0;
  uint64_t failed_requests = 0;   // 5xx, 429, transport: retried
  uint64_t dropped_samples = 0;   // refused with a 4xx other than 429, or of series the engine lost
  uint64_t skipped_segments = 0;  // deleted before they were sent (the retention cap), or damaged
  int64_t last_sent_ms = 0;       // newest sample timestamp the receiver accepted
  std::string last_error;
};

class RemoteWriteQueue {
 public:
  // Opens (registering it at the log's end if new) the destination's WAL consumer.
  static Result<std::unique_ptr<RemoteWriteQueue>> Open(DB* db, RemoteWriteOptions options);
  ~RemoteWriteQueue();

  void Start();
  // Asks the sender to stop without waiting (a component stops all its queues, then joins them).
  void RequestStop();
  void Stop();  // returns once the sender has stopped; unacknowledged samples are sent after a restart
  // Wakes the sender (new data was written); it also looks by itself every batch_send_deadline.
  void Wake();

  RemoteWriteStats Stats() const;
  const RemoteWriteOptions& options() const { return options_; }

 private:
  RemoteWriteQueue(DB* db, RemoteWriteOptions options, std::unique_ptr<storage::WalTail> tail)
      : db_(db), options_(std::move(options)), tail_(std::move(tail)) {}
  void Run();
  // Sends one request until it is accepted or dropped (false: stopping).
  bool SendUntilDone(http::HttpClient* client, const std::string& path, const std::string& body, size_t samples,
                     int64_t newest_ms);
  // Sleeps up to ms unless stopping or woken; false when stopping.
  bool Pause(int64_t ms);

  DB* const db_;
  const RemoteWriteOptions options_;
  std::unique_ptr<storage::WalTail> tail_;
  std::thread thread_;
  mutable std::mutex mu_;  // guards stop_, woken_, stats_
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  RemoteWriteStats stats_;
};

}  // namespace gnomon::forward
