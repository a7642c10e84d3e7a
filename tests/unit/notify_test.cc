// Notifications: the circuit breaker's state machine on an injected clock, and the durable outbox
// (order per receiver, acknowledgement, moving aside, the size limit's drop order, reopening; the
// group-commit forms EnqueueBatch/AckBatch/MoveAsideBatch against the one-by-one forms).
// tests/unit/outbox_crash_test.cc kills a writer.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "gnomon/db.h"
#include "notify/alert_notifier.h"
#include "notify/circuit_breaker.h"
#include "notify/outbox.h"
#include "notify/payload.h"
#include "test_util.h"

using namespace gnomon;
using notify::CircuitBreaker;
using notify::Notification;
using notify::Outbox;
using State = CircuitBreaker::State;

namespace {

Notification N(Notification::Kind kind, int64_t t, std::string key, std::string payload) {
  Notification n;
  n.kind = kind;
  n.created_ms = t;
  n.alert_key = std::move(key);
  n.payload = std::move(payload);
  return n;
}
constexpr auto kFiring = Notification::Kind::kFiring;
constexpr auto kResolved = Notification::Kind::kResolved;

std::vector<std::string> Payloads(const std::vector<notify::QueuedNotification>& q) {
  std::vector<std::string> out;
  for (const auto& e : q) out.push_back(e.notification.payload);
  return out;
}

}  // namespace

TEST_CASE("circuit breaker: closed -> open after N failures in the window -> half-open probe -> closed") {
  CircuitBreaker b({.failure_threshold = 3, .window_ms = 10'000, .cooldown_ms = 5'000});
  CHECK(b.state(0) == State::kClosed);
  CHECK(b.Allow(0));
  b.OnFailure(0);
  b.OnFailure(1'000);
  CHECK(b.state(1'000) == State::kClosed);
  // A failure that has left the window no longer counts.
  b.OnFailure(10'500);  // window now holds 1000 and 10500
  CHECK(b.state(10'500) == State::kClosed);
  b.OnFailure(11'000);  // 1000 left at 11000: 10500, 11000 ... still two
  CHECK(b.state(11'000) == State::kClosed);
  b.OnFailure(12'000);  // 10500, 11000, 12000: three within 10 s
  CHECK(b.state(12'000) == State::kOpen);
  CHECK(b.times_opened() == 1);
  CHECK_FALSE(b.Allow(12'001));
  CHECK_FALSE(b.Allow(16'999));
  // After the cool-down: one probe only.
  CHECK(b.state(17'000) == State::kHalfOpen);
  CHECK(b.Allow(17'000));
  CHECK_FALSE(b.Allow(17'001));
  b.OnSuccess(17'100);
  CHECK(b.state(17'100) == State::kClosed);
  CHECK(b.Allow(17'200));
  // Failures before closing are forgotten: it takes three new ones.
  b.OnFailure(17'300);
  b.OnFailure(17'400);
  CHECK(b.state(17'400) == State::kClosed);
}

TEST_CASE("circuit breaker: a failed probe re-opens; a lost probe is retried after a cool-down") {
  CircuitBreaker b({.failure_threshold = 1, .window_ms = 1'000, .cooldown_ms = 100});
  b.OnFailure(0);
  CHECK(b.state(0) == State::kOpen);
  CHECK(b.Allow(100));
  b.OnFailure(150);
  CHECK(b.state(150) == State::kOpen);
  CHECK(b.times_opened() == 2);
  CHECK_FALSE(b.Allow(200));
  CHECK(b.Allow(250));        // half-open again
  CHECK_FALSE(b.Allow(300));  // the probe is out
  CHECK(b.Allow(350));        // its answer never came: another probe
  // A late success from before the breaker opened does not close it.
  b.OnFailure(360);
  CHECK(b.state(360) == State::kOpen);
  b.OnSuccess(370);
  CHECK(b.state(370) == State::kOpen);
  CHECK(notify::StateName(State::kHalfOpen) == "half-open");
}

TEST_CASE("outbox: per-receiver FIFO, ack, move aside, reopen") {
  testing::TempDir dir;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(Options(), dir.path(), &db).ok());
  {
    auto outbox = Outbox::Open(db.get());
    REQUIRE(outbox.ok());
    Outbox& o = **outbox;
    REQUIRE(o.Enqueue("am", N(kFiring, 1000, "a1", "fire a1")).ok());
    REQUIRE(o.Enqueue("hook", N(kFiring, 1500, "a1", "hook a1")).ok());
    REQUIRE(o.Enqueue("am", N(kFiring, 2000, "a2", "fire a2")).ok());
    REQUIRE(o.Enqueue("am", N(kResolved, 3000, "a1", "resolve a1")).ok());
    CHECK(o.Depth("am") == 3);
    CHECK(o.Depth("hook") == 1);
    CHECK(o.Depth("nobody") == 0);
    CHECK(o.OldestCreatedMs("am") == 1000);
    CHECK(o.Receivers() == std::vector<std::string>{"am", "hook"});
    auto head = o.Peek("am", 2);
    REQUIRE(head.ok());
    CHECK(Payloads(*head) == std::vector<std::string>{"fire a1", "fire a2"});
    CHECK(head->front().notification == N(kFiring, 1000, "a1", "fire a1"));
    CHECK(head->front().seq < head->back().seq);
    REQUIRE(o.Ack("am", head->front().seq).ok());
    REQUIRE(o.Ack("am", head->front().seq).ok());  // twice is harmless
    REQUIRE(o.MoveAside("am", (*head)[1].seq, "400 Bad Request: invalid alert").ok());
    CHECK(o.Depth("am") == 1);
    CHECK(o.OldestCreatedMs("am") == 3000);
    CHECK_FALSE(o.Enqueue("bad/name", N(kFiring, 1, "k", "p")).ok());
    CHECK_FALSE(o.Enqueue("", N(kFiring, 1, "k", "p")).ok());
  }
  db.reset();
  REQUIRE(DB::Open(Options(), dir.path(), &db).ok());
  auto outbox = Outbox::Open(db.get());
  REQUIRE(outbox.ok());
  Outbox& o = **outbox;
  CHECK(o.Depth("am") == 1);
  CHECK(o.Depth("hook") == 1);
  auto rest = o.Peek("am", 10);
  REQUIRE(rest.ok());
  CHECK(Payloads(*rest) == std::vector<std::string>{"resolve a1"});
  auto aside = o.MovedAside("am", 10);
  REQUIRE(aside.ok());
  REQUIRE(aside->size() == 1);
  CHECK(aside->front().notification.payload == "fire a2");
  CHECK(aside->front().reason == "400 Bad Request: invalid alert");
  // Sequence numbers keep growing after a reopen: new entries sort after the old ones.
  REQUIRE(o.Enqueue("am", N(kFiring, 4000, "a3", "fire a3")).ok());
  auto all = o.Peek("am", 10);
  REQUIRE(all.ok());
  CHECK(Payloads(*all) == std::vector<std::string>{"resolve a1", "fire a3"});
  CHECK(all->back().seq > aside->front().seq);
  // A payload of any bytes survives.
  std::string bytes("\0\xff/q/x\n", 7);
  REQUIRE(o.Enqueue("hook", N(kResolved, -5, std::string("k\0", 2), bytes)).ok());
  auto hook = o.Peek("hook", 10);
  REQUIRE(hook.ok());
  REQUIRE(hook->size() == 2);
  CHECK(hook->back().notification == N(kResolved, -5, std::string("k\0", 2), bytes));
}

TEST_CASE("outbox: the size limit drops the oldest resolved notices first, then the oldest, and says so") {
  testing::TempDir dir;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(Options(), dir.path(), &db).ok());
  auto outbox = Outbox::Open(db.get(), {.max_per_receiver = 3});
  REQUIRE(outbox.ok());
  Outbox& o = **outbox;
  std::vector<notify::QueuedNotification> dropped;
  REQUIRE(o.Enqueue("r", N(kFiring, 1, "a", "f1"), &dropped).ok());
  REQUIRE(o.Enqueue("r", N(kResolved, 2, "b", "r2"), &dropped).ok());
  REQUIRE(o.Enqueue("r", N(kFiring, 3, "c", "f3"), &dropped).ok());
  CHECK(dropped.empty());
  REQUIRE(o.Enqueue("r", N(kFiring, 4, "d", "f4"), &dropped).ok());
  CHECK(Payloads(dropped) == std::vector<std::string>{"r2"});  // the resolved notice, though f1 is older
  REQUIRE(o.Enqueue("r", N(kFiring, 5, "e", "f5"), &dropped).ok());
  CHECK(Payloads(dropped) == std::vector<std::string>{"r2", "f1"});  // no resolved left: the oldest
  auto q = o.Peek("r", 10);
  REQUIRE(q.ok());
  CHECK(Payloads(*q) == std::vector<std::string>{"f3", "f4", "f5"});
  CHECK(o.Depth("r") == 3);
  CHECK_FALSE(Outbox::Open(db.get(), {.max_per_receiver = 0}).ok());
}

TEST_CASE("outbox: EnqueueBatch queues, drops and reports exactly as Enqueue one by one, in one write") {
  testing::TempDir dir;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(Options(), dir.path(), &db).ok());
  // Two outboxes in two keyspaces of one engine: `batched` gets each batch in one EnqueueBatch,
  // `single` the same items one Enqueue at a time. Random kinds, batches up to twice the limit
  // (so a batch drops its own earlier items), three receivers, acknowledgements in between.
  auto a = Outbox::Open(db.get(), {.max_per_receiver = 5}, "outbox_batched");
  auto b = Outbox::Open(db.get(), {.max_per_receiver = 5}, "outbox_single");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  Outbox& batched = **a;
  Outbox& single = **b;
  const std::vector<std::string> receivers = {"r1", "r2", "r3"};
  std::mt19937 rng(7);
  int next = 0;
  size_t total_dropped = 0, resolved_dropped = 0;
  for (int round = 0; round < 200; ++round) {
    std::vector<notify::OutboxItem> items(rng() % 11);
    for (auto& item : items) {
      item.receiver = receivers[rng() % receivers.size()];
      item.notification =
          N(rng() % 3 == 0 ? kResolved : kFiring, next, "k" + std::to_string(next % 7), "p" + std::to_string(next));
      ++next;
    }
    std::vector<notify::DroppedNotification> dropped_batched;
    REQUIRE(batched.EnqueueBatch(items, &dropped_batched).ok());
    std::vector<notify::DroppedNotification> dropped_single;
    for (const auto& item : items) {
      std::vector<notify::QueuedNotification> d;
      REQUIRE(single.Enqueue(item.receiver, item.notification, &d).ok());
      for (auto& q : d) dropped_single.push_back({item.receiver, std::move(q)});
    }
    total_dropped += dropped_batched.size();
    for (const auto& r : receivers) {
      // Same drops (seq, content), per receiver; EnqueueBatch reports them oldest first.
      std::vector<std::pair<uint64_t, std::string>> x, y;
      for (const auto& d : dropped_batched) {
        if (d.receiver != r) continue;
        x.push_back({d.queued.seq, d.queued.notification.payload});
        if (d.queued.notification.kind == kResolved) ++resolved_dropped;
      }
      for (const auto& d : dropped_single) {
        if (d.receiver == r) y.push_back({d.queued.seq, d.queued.notification.payload});
      }
      CHECK(std::is_sorted(x.begin(), x.end()));
      std::sort(y.begin(), y.end());  // one by one reports them in the order they went
      CHECK(x == y);
      auto qa = batched.Peek(r, 100);
      auto qb = single.Peek(r, 100);
      REQUIRE(qa.ok());
      REQUIRE(qb.ok());
      REQUIRE(qa->size() == qb->size());
      for (size_t i = 0; i < qa->size(); ++i) {
        CHECK((*qa)[i].seq == (*qb)[i].seq);
        CHECK((*qa)[i].notification == (*qb)[i].notification);
      }
      CHECK(qa->size() <= 5);
      CHECK(batched.Depth(r) == qa->size());
      CHECK(batched.DroppedOverLimit(r) == single.DroppedOverLimit(r));
      // Now and then the receiver takes the head of its queue, in both.
      if (rng() % 3 == 0 && !qa->empty()) {
        std::vector<uint64_t> seqs;
        for (size_t i = 0; i < 1 + rng() % qa->size(); ++i) seqs.push_back((*qa)[i].seq);
        REQUIRE(batched.AckBatch(r, seqs).ok());
        for (uint64_t s : seqs) REQUIRE(single.Ack(r, s).ok());
      }
    }
  }
  CHECK(total_dropped > 100);    // the limit was exercised...
  CHECK(resolved_dropped > 30);  // ...resolved notices among the dropped
  // A bad receiver name refuses the whole batch: nothing of it is written.
  const size_t before = batched.Depth("r1");
  std::vector<notify::OutboxItem> bad = {{"r1", N(kFiring, 1, "k", "ok")}, {"no/slash", N(kFiring, 1, "k", "x")}};
  CHECK(batched.EnqueueBatch(bad).code() == Status::Code::kInvalidArgument);
  CHECK(batched.Depth("r1") == before);
  CHECK(batched.EnqueueBatch({}).ok());
}

TEST_CASE("outbox: AckBatch and MoveAsideBatch settle a batch in one write; Peek after many acks; reopen") {
  testing::TempDir dir;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(Options(), dir.path(), &db).ok());
  {
    auto outbox = Outbox::Open(db.get());
    REQUIRE(outbox.ok());
    Outbox& o = **outbox;
    std::vector<notify::OutboxItem> items;
    for (int i = 0; i < 3000; ++i) items.push_back({i % 2 ? "b" : "a", N(kFiring, i, "k", "n" + std::to_string(i))});
    REQUIRE(o.EnqueueBatch(items).ok());
    CHECK(o.Depth("a") == 1500);
    CHECK(o.Depth("b") == 1500);
    // The head of "a" is delivered in batches of 100 until 10 remain: Peek still starts at the head.
    for (int k = 0; k < 1490 / 100 + 1; ++k) {
      auto head = o.Peek("a", std::min<size_t>(100, o.Depth("a") - 10));
      REQUIRE(head.ok());
      std::vector<uint64_t> seqs;
      for (const auto& q : *head) seqs.push_back(q.seq);
      REQUIRE(o.AckBatch("a", seqs).ok());
    }
    CHECK(o.Depth("a") == 10);
    auto rest = o.Peek("a", 100);
    REQUIRE(rest.ok());
    REQUIRE(rest->size() == 10);
    CHECK(rest->front().notification.payload == "n2980");
    CHECK(rest->back().notification.payload == "n2998");
    CHECK(o.OldestCreatedMs("a") == 2980);
    // Three of "b" refused for good, together; acking or moving what is gone is harmless.
    auto head = o.Peek("b", 3);
    REQUIRE(head.ok());
    std::vector<uint64_t> seqs = {(*head)[0].seq, (*head)[1].seq, (*head)[2].seq};
    REQUIRE(o.MoveAsideBatch("b", seqs, "HTTP 400: bad").ok());
    REQUIRE(o.MoveAsideBatch("b", seqs, "again").ok());
    REQUIRE(o.AckBatch("b", seqs).ok());
    REQUIRE(o.AckBatch("nobody", seqs).ok());
    CHECK(o.Depth("b") == 1497);
  }
  db.reset();
  REQUIRE(DB::Open(Options(), dir.path(), &db).ok());
  auto outbox = Outbox::Open(db.get());
  REQUIRE(outbox.ok());
  Outbox& o = **outbox;
  CHECK(o.Depth("a") == 10);
  CHECK(o.Depth("b") == 1497);
  auto aside = o.MovedAside("b", 10);
  REQUIRE(aside.ok());
  REQUIRE(aside->size() == 3);
  CHECK(Payloads(*aside) == std::vector<std::string>{"n1", "n3", "n5"});
  CHECK(aside->back().reason == "HTTP 400: bad");
  auto head = o.Peek("b", 1);
  REQUIRE(head.ok());
  CHECK(head->front().notification.payload == "n7");
}

TEST_CASE("payloads: Alertmanager API v2 and webhook v4 bodies, Alertmanager's fingerprint") {
  notify::AlertNotice hot;
  hot.labels = {{"alertname", "TooHot"}, {"room", "lab"}, {"severity", "page"}};
  hot.annotations = {{"summary", "lab is at 95 degrees"}};
  hot.starts_at_ms = 1764874800000;  // 2025-12-04T19:00:00Z
  hot.ends_at_ms = 1764875040500;
  hot.generator_url = "https://gnomon.example/graph?g0.expr=temp+%3E+50";
  notify::AlertNotice cold = hot;
  cold.labels = {{"alertname", "TooHot"}, {"room", "hall"}, {"severity", "page"}};
  cold.annotations = {{"summary", "hall is at 91 degrees"}};
  cold.resolved = true;
  cold.ends_at_ms = 0;

  // The fingerprint a real Alertmanager 0.25 reported for this label set.
  CHECK(notify::Fingerprint(hot.labels) == "2741b7f2e96c2de9");
  CHECK(notify::Fingerprint({}) == "cbf29ce484222325");  // FNV-1a's offset basis: nothing hashed

  const notify::AlertNotice both[] = {hot, cold};
  CHECK(
      notify::AlertmanagerBody(both) ==
      R"([{"labels":{"alertname":"TooHot","room":"lab","severity":"page"},"annotations":{"summary":"lab is at 95 degrees"},)"
      R"("startsAt":"2025-12-04T19:00:00Z","endsAt":"2025-12-04T19:04:00.500Z","generatorURL":"https://gnomon.example/graph?g0.expr=temp+%3E+50"},)"
      R"({"labels":{"alertname":"TooHot","room":"hall","severity":"page"},"annotations":{"summary":"hall is at 91 degrees"},)"
      R"("startsAt":"2025-12-04T19:00:00Z","generatorURL":"https://gnomon.example/graph?g0.expr=temp+%3E+50"}])");

  const std::string hook = notify::WebhookBody(both, {"pager", "https://gnomon.example", "{}:{alertname=\"TooHot\"}"});
  CHECK(hook.starts_with(
      R"({"version":"4","groupKey":"{}:{alertname=\"TooHot\"}","truncatedAlerts":0,"status":"firing","receiver":"pager",)"
      R"("groupLabels":{"alertname":"TooHot"},"commonLabels":{"alertname":"TooHot","severity":"page"},"commonAnnotations":{},)"
      R"("externalURL":"https://gnomon.example","alerts":[{"status":"firing",)"));
  CHECK(hook.find(R"("status":"resolved","labels":{"alertname":"TooHot","room":"hall","severity":"page"})") !=
        std::string::npos);
  CHECK(hook.find(R"("endsAt":"0001-01-01T00:00:00Z")") != std::string::npos);  // unset, as Alertmanager writes it
  CHECK(hook.find(R"("fingerprint":"2741b7f2e96c2de9")") != std::string::npos);
  const notify::AlertNotice resolved_only[] = {cold};
  const std::string done = notify::WebhookBody(resolved_only, {"pager", "", "g"});
  CHECK(done.find(R"("status":"resolved","receiver":"pager")") != std::string::npos);
  CHECK(done.find(R"("commonAnnotations":{"summary":"hall is at 91 degrees"})") != std::string::npos);
  CHECK(notify::AlertmanagerBody({}) == "[]");
}

TEST_CASE("alert notifier: Prometheus' resend rules, endsAt, receivers' matchers") {
  testing::TempDir dir;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(Options(), dir.path(), &db).ok());
  auto outbox = Outbox::Open(db.get());
  REQUIRE(outbox.ok());
  std::vector<notify::NotifierReceiver> receivers = {
      {"all", {}},
      {"pager", {{Matcher::Equal("severity", "page")}}},
  };
  auto made = notify::AlertNotifier::Create(outbox->get(), receivers, /*resend_delay_ms=*/60'000);
  REQUIRE(made.ok());
  notify::AlertNotifier& n = **made;
  const int64_t t0 = 1'700'000'000'000;
  notify::ActiveAlert page;
  page.labels = {{"alertname", "Hot"}, {"severity", "page"}};
  page.annotations = {{"summary", "hot"}};
  notify::ActiveAlert ticket;
  ticket.labels = {{"alertname", "Warm"}, {"severity", "ticket"}};

  // Pending: nothing.
  auto woken = n.Process(t0, 15'000, std::vector<notify::ActiveAlert>{page, ticket});
  REQUIRE(woken.ok());
  CHECK(woken->empty());
  CHECK((*outbox)->Depth("all") == 0);

  // Firing: sent at once, to every receiver whose matchers match.
  page.firing = ticket.firing = true;
  page.fired_at_ms = ticket.fired_at_ms = t0 + 15'000;
  woken = n.Process(t0 + 15'000, 15'000, std::vector<notify::ActiveAlert>{page, ticket});
  REQUIRE(woken.ok());
  CHECK(*woken == std::vector<std::string>{"all", "pager"});
  CHECK((*outbox)->Depth("all") == 2);
  CHECK((*outbox)->Depth("pager") == 1);
  auto q = (*outbox)->Peek("pager", 10);
  REQUIRE(q.ok());
  auto notice = notify::DecodeNotice(q->front().notification.payload);
  REQUIRE(notice.ok());
  CHECK(notice->starts_at_ms == t0 + 15'000);
  CHECK(notice->ends_at_ms == t0 + 15'000 + 4 * 60'000);  // 4 x max(resend delay, interval)
  CHECK_FALSE(notice->resolved);

  // Within the resend delay: nothing new; after it: sent again.
  CHECK(n.Process(t0 + 30'000, 15'000, std::vector<notify::ActiveAlert>{page})->empty());
  CHECK(n.Process(t0 + 75'000, 15'000, std::vector<notify::ActiveAlert>{page})->empty());  // exactly 60 s: not yet
  CHECK(n.Process(t0 + 90'000, 15'000, std::vector<notify::ActiveAlert>{page})->size() == 2);
  CHECK((*outbox)->Depth("pager") == 2);

  // Resolved: sent at once with its real end, then every resend delay while the rule keeps it.
  page.firing = false;
  page.resolved_at_ms = t0 + 105'000;
  CHECK(n.Process(t0 + 105'000, 15'000, std::vector<notify::ActiveAlert>{page})->size() == 2);
  q = (*outbox)->Peek("pager", 10);
  REQUIRE(q.ok());
  REQUIRE(q->size() == 3);
  notice = notify::DecodeNotice(q->back().notification.payload);
  REQUIRE(notice.ok());
  CHECK(notice->resolved);
  CHECK(notice->ends_at_ms == t0 + 105'000);
  CHECK(q->back().notification.kind == Notification::Kind::kResolved);
  CHECK(n.Process(t0 + 120'000, 15'000, std::vector<notify::ActiveAlert>{page})->empty());
  CHECK(n.Process(t0 + 180'000, 15'000, std::vector<notify::ActiveAlert>{page})->size() == 2);

  // A longer group interval stretches endsAt.
  notify::ActiveAlert slow = ticket;
  slow.labels = {{"alertname", "Slow"}};
  CHECK(n.Process(t0, 5 * 60'000, std::vector<notify::ActiveAlert>{slow})->size() == 1);
  q = (*outbox)->Peek("all", 100);
  REQUIRE(q.ok());
  notice = notify::DecodeNotice(q->back().notification.payload);
  REQUIRE(notice.ok());
  CHECK(notice->ends_at_ms == t0 + 4 * 5 * 60'000);
  // One evaluation is one outbox write: a receiver whose name the outbox refuses fails the whole
  // evaluation, and nothing of it reaches the other receivers either.
  auto broken = notify::AlertNotifier::Create(outbox->get(), {{"all", {}}, {"bad/name", {}}}, 60'000);
  REQUIRE(broken.ok());
  notify::ActiveAlert fresh = ticket;
  fresh.labels = {{"alertname", "Fresh"}};
  const size_t depth = (*outbox)->Depth("all");
  CHECK_FALSE((*broken)->Process(t0, 15'000, std::vector<notify::ActiveAlert>{fresh, page}).ok());
  CHECK((*outbox)->Depth("all") == depth);
  // A matcher that does not compile is refused.
  CHECK_FALSE(notify::AlertNotifier::Create(outbox->get(), {{"x", {{Matcher::Regex("a", "(")}}}}, 60'000).ok());
}
