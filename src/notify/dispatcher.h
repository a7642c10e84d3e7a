// Dispatcher: delivers what the outbox holds to the receivers, one sender thread per receiver.
//
// A sender takes up to `max_batch` notifications from the head of its receiver's queue, sends them
// in one request (Alertmanager API v2: one POST of the alert list to URL/api/v2/alerts; webhook:
// one Alertmanager webhook v4 payload to URL) and:
//   2xx                     acknowledges them (they leave the outbox), then waits
//                           1/max_batches_per_second before the next batch (a recovered receiver's
//                           backlog drains at a bounded rate, not all at once);
//   4xx but 408 and 429     moves them aside with the receiver's answer (a permanent refusal: never
//                           retried), counted as dropped and logged;
//   5xx, 408, 429, a timeout or refused connection
//                           counts a failure in the receiver's circuit breaker and retries after an
//                           exponential backoff with jitter (min_backoff doubling up to max_backoff).
// While the breaker is open nothing is sent; after its cool-down one probe batch goes out. Nothing
// grows while a receiver is down but the outbox itself (bounded per receiver, outbox.h).
// Notifications reach the outbox first (Enqueue), so a crash loses none: a new Dispatcher resumes
// from what is queued. Delivery is at least once; receivers de-duplicate resends (Alertmanager
// does by fingerprint).
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

#include "notify/circuit_breaker.h"
#include "notify/outbox.h"

namespace gnomon::notify {

struct ReceiverOptions {
  enum class Kind : unsigned char { kAlertmanager, kWebhook };
  std::string name;  // the outbox queue's name: [A-Za-z0-9_.:-]
  Kind kind = Kind::kWebhook;
  std::string url;  // Alertmanager: its base URL; webhook: the full URL
  std::string bearer_token;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timeout_ms = 10'000;
  size_t max_batch = 64;
  double max_batches_per_second = 50;
  int64_t min_backoff_ms = 500;
  int64_t max_backoff_ms = 30'000;
  CircuitBreakerOptions breaker;
};

struct ReceiverStats {
  std::string name;
  CircuitBreaker::State state = CircuitBreaker::State::kClosed;
  uint64_t times_opened = 0;
  size_t queued = 0;
  int64_t oldest_queued_ms = 0;  // creation time of the oldest queued notification; 0: none
  uint64_t sent = 0;             // notifications acknowledged by the receiver
  uint64_t failed_requests = 0;  // requests that failed and will be retried
  uint64_t dropped = 0;          // notifications moved aside (refused for good)
  std::string last_error;
};

class Dispatcher {
 public:
  // `outbox` must outlive the dispatcher. `external_url` goes into webhook payloads.
  Dispatcher(Outbox* outbox, std::vector<ReceiverOptions> receivers, std::string external_url);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Start();
  // Stops the senders (a request in flight finishes or times out first). Idempotent.
  void Stop();
  // Wakes the sender of `receiver` (call after enqueueing for it).
  void Wake(std::string_view receiver);
  std::vector<ReceiverStats> Stats() const;

 private:
  struct Sender;
  void Run(Sender* s);
  // Sends one batch; returns how long to wait before the next attempt (0: at once).
  int64_t SendBatch(Sender* s);

  Outbox* const outbox_;
  const std::string external_url_;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
};

}  // namespace gnomon::notify
