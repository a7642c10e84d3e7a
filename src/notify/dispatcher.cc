#include "notify/dispatcher.h"

#include <chrono>
#include <random>

#include "http/client/http_client.h"
#include "notify/payload.h"
#include "util/clock.h"
#include "util/log.h"

namespace gnomon::notify {
namespace {

bool Retryable(long status) { return status >= 500 || status == 408 || status == 429; }

std::string Truncated(std::string_view s, size_t max = 200) {
  return s.size() <= max ? std::string(s) : std::string(s.substr(0, max)) + "...";
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

DeliveryOutcome::Item ItemOf(const QueuedNotification& q) {
  DeliveryOutcome::Item item;
  item.seq = q.seq;
  item.alert_key = q.notification.alert_key;
  item.kind = q.notification.kind;
  item.created_ms = q.notification.created_ms;
  return item;
}

}  // namespace

std::string_view OutcomeName(DeliveryOutcome::Outcome outcome) {
  switch (outcome) {
    case DeliveryOutcome::Outcome::kSent: return "sent";
    case DeliveryOutcome::Outcome::kFailed: return "failed";
    case DeliveryOutcome::Outcome::kMovedAside: return "moved_aside";
  }
  return "unknown";
}

struct Dispatcher::Sender {
  explicit Sender(ReceiverOptions o) : options(std::move(o)), breaker(options.breaker) {}

  const ReceiverOptions options;
  CircuitBreaker breaker;
  std::thread thread;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool woken = false;  // guarded by mu
  int64_t backoff_ms = 0;
  int64_t batch_started_ms = 0;  // steady clock: when the last batch started (read from the outbox)
  std::mt19937_64 rng{std::random_device{}()};

  std::unique_ptr<http::HttpClient> client;  // made once: its connection is kept alive
  std::atomic<uint64_t> sent{0}, failed{0}, dropped{0};
  std::string last_error;  // guarded by mu
};

Dispatcher::Dispatcher(Outbox* outbox, std::vector<ReceiverOptions> receivers, std::string external_url)
    : outbox_(outbox), external_url_(std::move(external_url)) {
  for (ReceiverOptions& r : receivers) senders_.push_back(std::make_unique<Sender>(std::move(r)));
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::SetOutcomeHook(DeliveryHook hook) {
  if (!started_) hook_ = std::move(hook);
}

void Dispatcher::Report(DeliveryOutcome outcome) const {
  if (hook_) hook_(outcome);
}

void Dispatcher::Start() {
  if (started_) return;
  started_ = true;
  for (auto& s : senders_) s->thread = std::thread([this, p = s.get()] { Run(p); });
}

void Dispatcher::Stop() {
  if (stopping_.exchange(true)) return;
  for (auto& s : senders_) {
    {
      std::lock_guard lock(s->mu);
      s->woken = true;
    }
    s->cv.notify_all();
  }
  for (auto& s : senders_) {
    if (s->thread.joinable()) s->thread.join();
  }
}

void Dispatcher::Wake(std::string_view receiver) {
  for (auto& s : senders_) {
    if (s->options.name != receiver) continue;
    {
      std::lock_guard lock(s->mu);
      s->woken = true;
    }
    s->cv.notify_all();
  }
}

std::vector<ReceiverStats> Dispatcher::Stats() const {
  std::vector<ReceiverStats> out;
  const int64_t now = SteadyMs();
  for (const auto& s : senders_) {
    ReceiverStats st;
    st.name = s->options.name;
    st.state = s->breaker.state(now);
    st.times_opened = s->breaker.times_opened();
    st.queued = outbox_->Depth(st.name);
    st.oldest_queued_ms = outbox_->OldestCreatedMs(st.name);
    st.sent = s->sent.load();
    st.failed_requests = s->failed.load();
    st.dropped = s->dropped.load();
    st.dropped_over_limit = outbox_->DroppedOverLimit(st.name);
    {
      std::lock_guard lock(s->mu);
      st.last_error = s->last_error;
    }
    out.push_back(std::move(st));
  }
  return out;
}

void Dispatcher::Run(Sender* s) {
  while (!stopping_.load()) {
    int64_t wait_ms = 0;
    bool wakeable = true;  // a Wake (new notifications) ends the wait; not so a backoff or the drain rate
    const int64_t now = SteadyMs();
    if (outbox_->Depth(s->options.name) == 0) {
      wait_ms = 1000;
    } else if (!s->breaker.Allow(now)) {
      wait_ms = 100;  // open: look again shortly for the half-open probe
      wakeable = false;
    } else {
      wait_ms = SendBatch(s);
      wakeable = false;
    }
    if (wait_ms <= 0) continue;
    std::unique_lock lock(s->mu);
    s->cv.wait_for(lock, std::chrono::milliseconds(wait_ms),
                   [&] { return stopping_.load() || (wakeable && s->woken); });
    if (wakeable) s->woken = false;
  }
}

int64_t Dispatcher::SendBatch(Sender* s) {
  const ReceiverOptions& o = s->options;
  s->batch_started_ms = SteadyMs();
  auto batch = outbox_->Peek(o.name, o.max_batch);
  if (!batch.ok()) {
    log::Warn("notify: " + o.name + ": cannot read the outbox: " + batch.status().ToString());
    return 1000;
  }
  std::vector<AlertNotice> notices;
  std::vector<uint64_t> seqs;
  DeliveryOutcome outcome;
  outcome.receiver = o.name;
  for (const QueuedNotification& q : *batch) {
    auto n = DecodeNotice(q.notification.payload);
    if (!n.ok()) {
      outbox_->MoveAside(o.name, q.seq, n.status().ToString());
      s->dropped.fetch_add(1);
      Report({o.name, DeliveryOutcome::Outcome::kMovedAside, WallMs(), 0, n.status().ToString(), {ItemOf(q)}});
      continue;
    }
    outcome.notifications.push_back(ItemOf(q));
    outcome.notifications.back().labels = n->labels;
    notices.push_back(std::move(n.value()));
    seqs.push_back(q.seq);
  }
  batch->clear();  // the payloads are not needed any more; keep one copy of the batch at a time
  if (notices.empty()) return 0;

  std::string body;
  if (o.kind == ReceiverOptions::Kind::kAlertmanager) {
    body = AlertmanagerBody(notices);
  } else {
    std::string group = "{}";
    const std::string* name = nullptr;
    bool same = true;
    for (const AlertNotice& n : notices) {
      for (const Label& l : n.labels) {
        if (l.name != "alertname") continue;
        if (name == nullptr)
          name = &l.value;
        else if (*name != l.value)
          same = false;
      }
    }
    if (name != nullptr && same) group = "{}:{alertname=\"" + *name + "\"}";
    body = WebhookBody(notices, {o.name, external_url_, group});
  }
  notices.clear();

  if (s->client == nullptr) {
    std::string url = o.url;
    if (o.kind == ReceiverOptions::Kind::kAlertmanager) {
      while (!url.empty() && url.back() == '/') url.pop_back();
      url += "/api/v2/alerts";
    }
    s->client = std::make_unique<http::HttpClient>(url, o.bearer_token, "receiver " + o.name);
    s->client->set_timeout_ms(static_cast<long>(o.timeout_ms));
    s->client->set_headers(o.headers);
    s->client->set_user_agent("gnomond");
  }
  auto resp = s->client->Post("", {}, body, "application/json");
  const int64_t now = SteadyMs();
  outcome.time_ms = WallMs();
  auto fail = [&](const std::string& why) {
    s->failed.fetch_add(1);
    s->breaker.OnFailure(now);
    {
      std::lock_guard lock(s->mu);
      s->last_error = why;
    }
    s->backoff_ms = s->backoff_ms == 0 ? o.min_backoff_ms : std::min(o.max_backoff_ms, s->backoff_ms * 2);
    outcome.outcome = DeliveryOutcome::Outcome::kFailed;
    outcome.error = why;
    Report(std::move(outcome));
    // Full jitter over the upper half, so senders that failed together do not retry together.
    std::uniform_int_distribution<int64_t> jitter(s->backoff_ms / 2, s->backoff_ms);
    return jitter(s->rng);
  };
  if (!resp.ok()) return fail(resp.status().message());
  outcome.http_status = resp->status;
  if (Retryable(resp->status)) return fail("HTTP " + std::to_string(resp->status) + ": " + Truncated(resp->body));
  s->backoff_ms = 0;
  if (resp->status >= 200 && resp->status < 300) {
    s->breaker.OnSuccess(now);
    // Counted before the outbox lets go of them, so an empty outbox implies the count is final.
    s->sent.fetch_add(seqs.size());
    Status a = outbox_->AckBatch(o.name, seqs);
    if (!a.ok()) log::Warn("notify: " + o.name + ": cannot remove delivered notifications: " + a.ToString());
    outcome.outcome = DeliveryOutcome::Outcome::kSent;
    Report(std::move(outcome));
    if (o.max_batches_per_second <= 0) return 0;
    // The rate bound is per batch, counted from this batch's start, so the time spent reading,
    // encoding and sending it is not added to the pause.
    const auto interval = static_cast<int64_t>(1000 / o.max_batches_per_second);
    return std::max<int64_t>(0, s->batch_started_ms + interval - SteadyMs());
  }
  // A permanent refusal: keep the notifications aside with the answer, never retry them.
  const std::string why = "HTTP " + std::to_string(resp->status) + ": " + Truncated(resp->body);
  log::Warn("notify: " + o.name + ": " + std::to_string(seqs.size()) +
            " notification(s) refused for good, moved aside: " + why);
  Status m = outbox_->MoveAsideBatch(o.name, seqs, why);
  if (!m.ok()) log::Warn("notify: " + o.name + ": cannot move refused notifications aside: " + m.ToString());
  s->dropped.fetch_add(seqs.size());
  {
    std::lock_guard lock(s->mu);
    s->last_error = why;
  }
  outcome.outcome = DeliveryOutcome::Outcome::kMovedAside;
  outcome.error = why;
  Report(std::move(outcome));
  return 0;
}

}  // namespace gnomon::notify
