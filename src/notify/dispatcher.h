// Dispatcher: delivers what the outbox holds to the receivers, one sender thread per receiver.
//
// A sender takes up to `max_batch` notifications from the head of its receiver's queue, sends them
// in one request (Alertmanager API v2: one POST of the alert list to URL/api/v2/alerts; webhook:
// one Alertmanager webhook v4 payload to URL) and:
//   2xx                     acknowledges them all in one synced outbox write (Outbox::AckBatch),
//                           and starts the next batch no sooner than 1/max_batches_per_second
//                           after this one started (a recovered receiver's backlog drains at a
//                           bounded rate, at most max_batch x max_batches_per_second a second,
//                           not all at once);
//   4xx but 408 and 429     moves them aside with the receiver's answer (a permanent refusal: never
//                           retried; Outbox::MoveAsideBatch), counted as dropped and logged;
//   5xx, 408, 429, a timeout or refused connection
//                           counts a failure in the receiver's circuit breaker and retries after an
//                           exponential backoff with jitter (min_backoff doubling up to max_backoff).
// While the breaker is open nothing is sent; after its cool-down one probe batch goes out. Nothing
// grows while a receiver is down but the outbox itself (bounded per receiver, outbox.h): a sender
// holds at most one batch in memory.
//
// Throughput: with the defaults (max_batch 1000, max_batches_per_second 20) a healthy receiver
// gets up to 20,000 notifications a second (bench/notify_bench.cc measures >= 10,000/s end to end
// with the outbox synced), and a receiver back from an outage never gets more than that: its
// backlog of the default outbox limit (10,000) arrives in 10 requests over half a second.
//
// Notifications reach the outbox first (Enqueue), so a crash loses none: a new Dispatcher resumes
// from what is queued. Delivery is at least once; receivers de-duplicate resends (Alertmanager
// does by fingerprint).
//
// Delivery outcomes (for the alert event history: "was anyone told, and when?"): a hook set with
// SetOutcomeHook before Start is called on the receiver's sender thread after every attempted
// batch, once the outbox reflects the outcome, with a DeliveryOutcome: the receiver, sent /
// failed (will retry) / moved aside, the wall-clock time, the HTTP status or error text, and each
// notification of the batch (alert key, firing or resolved, creation time, the alert's labels).
// Nothing is reported while the breaker keeps a receiver's requests back (no attempt, no outcome).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
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
  // Up to max_batch notifications go in one request; requests start at most
  // max_batches_per_second a second (the drain-rate bound: max_batch x that = 20,000/s).
  size_t max_batch = 1000;
  double max_batches_per_second = 20;
  int64_t min_backoff_ms = 500;
  int64_t max_backoff_ms = 30'000;
  CircuitBreakerOptions breaker;
};

struct ReceiverStats {
  std::string name;
  CircuitBreaker::State state = CircuitBreaker::State::kClosed;
  uint64_t times_opened = 0;
  size_t queued = 0;
  int64_t oldest_queued_ms = 0;     // creation time of the oldest queued notification; 0: none
  uint64_t sent = 0;                // notifications acknowledged by the receiver
  uint64_t failed_requests = 0;     // requests that failed and will be retried
  uint64_t dropped = 0;             // notifications moved aside (refused for good)
  uint64_t dropped_over_limit = 0;  // notifications the outbox's size limit dropped since it opened
  std::string last_error;
};

// What became of one batch of notifications a sender tried to deliver (see the header comment).
struct DeliveryOutcome {
  enum class Outcome : unsigned char {
    kSent,        // the receiver answered 2xx: the notifications left the outbox
    kFailed,      // 5xx, 408, 429, a timeout or no connection: still queued, retried after a backoff
    kMovedAside,  // refused for good (another 4xx, or an unreadable payload): moved aside, not retried
  };
  struct Item {
    uint64_t seq = 0;  // the notification's outbox sequence number (per receiver)
    std::string alert_key;
    Notification::Kind kind = Notification::Kind::kFiring;
    int64_t created_ms = 0;
    Labels labels;  // the alert's labels as sent (empty when the payload was unreadable)
  };
  std::string receiver;
  Outcome outcome = Outcome::kSent;
  int64_t time_ms = 0;              // wall clock, ms since the Unix epoch, when the outcome was known
  long http_status = 0;             // the receiver's HTTP status; 0 when there was none (timeout, refused, unreadable)
  std::string error;                // kFailed / kMovedAside: "HTTP 503: <answer, truncated>" or the transport
                                    // error, or why a payload is unreadable; kSent: empty
  std::vector<Item> notifications;  // the batch, in queue order
};

// "sent", "failed", "moved_aside".
std::string_view OutcomeName(DeliveryOutcome::Outcome outcome);

// Called on a receiver's sender thread (so concurrently for different receivers, in order for one
// receiver); it should be quick (the receiver's next batch waits for it) and must not throw or call
// back into the Dispatcher's Stop.
using DeliveryHook = std::function<void(const DeliveryOutcome&)>;

class Dispatcher {
 public:
  // `outbox` must outlive the dispatcher. `external_url` goes into webhook payloads.
  Dispatcher(Outbox* outbox, std::vector<ReceiverOptions> receivers, std::string external_url);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Sets the delivery-outcome hook (see above). Call before Start; an empty hook reports nothing.
  void SetOutcomeHook(DeliveryHook hook);

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

  void Report(DeliveryOutcome outcome) const;

  Outbox* const outbox_;
  const std::string external_url_;
  DeliveryHook hook_;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
};

}  // namespace gnomon::notify
