// A receiver down for a long backlog: 50,000 notifications (~1 KB each, 50 MB) are enqueued in
// evaluation-sized batches while the receiver refuses connections. The outbox keeps its limit
// (5,000) by dropping the oldest resolved notices first, then the oldest, and reports every drop;
// the process's resident memory stays flat while the breaker is open and the sender keeps
// probing; then the receiver comes up and exactly what the limit kept arrives, in order.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gnomon/db.h"
#include "http/server/http_server.h"
#include "http/server/router.h"
#include "notify/dispatcher.h"
#include "notify/outbox.h"
#include "notify/payload.h"
#include "test_util.h"

// RSS is the measure here, so AddressSanitizer must not keep freed blocks from reuse for long (its
// default quarantine holds 256 MB of them, which would show as growth). Errors are still caught.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=8"; }

using namespace gnomon;
using notify::Notification;

namespace {

constexpr int kTotal = 50'000;
constexpr int kPerBatch = 1'000;  // one rule evaluation's worth
constexpr size_t kLimit = 5'000;
// Bounds on RSS growth: (a) over the second half of the backlog, 25,000 notifications (25 MB)
// enqueued into a full queue (each one drops one): less than half of that; (b) over 2 s of
// retries with the breaker open: less than 8 MiB. The fixed costs before (the engine's memtables
// and its block cache, bounded by their options; the sender's one batch; the HTTP client) are
// printed, not bounded.
constexpr long kBacklogGrowthBoundKb = 12 << 10;
constexpr long kRetryGrowthBoundKb = 8 << 10;

long RssKb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

bool Resolved(int id) { return id % 5 == 0; }

// The stored payload of notification `id`: encoded once per kind, the id put in by hand (50,000
// JSON encodings would be most of this test's time under AddressSanitizer).
Notification Notice(int id) {
  static const std::array<std::string, 2> templates = [] {
    std::array<std::string, 2> t;
    for (int resolved = 0; resolved < 2; ++resolved) {
      notify::AlertNotice a;
      a.labels = {{"alertname", "DiskFull"}, {"id", "@ID@"}};
      a.annotations = {{"description", std::string(900, 'd')}, {"summary", "disk @ID@"}};
      a.starts_at_ms = 1764874800000;
      a.ends_at_ms = resolved ? 1764874900000 : 0;
      a.resolved = resolved != 0;
      t[resolved] = notify::EncodeNotice(a);
    }
    return t;
  }();
  std::string payload = templates[Resolved(id) ? 1 : 0];
  const std::string s = std::to_string(id);
  for (size_t p; (p = payload.find("@ID@")) != std::string::npos;) payload.replace(p, 4, s);
  Notification n;
  n.kind = Resolved(id) ? Notification::Kind::kResolved : Notification::Kind::kFiring;
  n.created_ms = 1764874800000 + id;
  n.alert_key = s;
  n.payload = std::move(payload);
  return n;
}

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool WaitFor(const std::function<bool()>& done, double seconds) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// The limit's rule, one notification at a time: a full queue drops its oldest resolved notice,
// else its oldest.
struct Model {
  std::set<int> all, resolved;
  std::vector<int> dropped;
  void Add(int id) {
    if (all.size() + 1 > kLimit) {
      const int victim = resolved.empty() ? *all.begin() : *resolved.begin();
      all.erase(victim);
      resolved.erase(victim);
      dropped.push_back(victim);
    }
    all.insert(id);
    if (Resolved(id)) resolved.insert(id);
  }
};

}  // namespace

TEST_CASE("a receiver down for a 50,000-notification backlog: bounded memory, drops reported, the rest in order") {
  testing::TempDir dir;
  std::unique_ptr<DB> db;
  Options options;
  options.block_cache_bytes = 8 << 20;  // the engine's cache is bounded by its option; keep it out of the measure
  REQUIRE(DB::Open(options, dir.path(), &db).ok());
  auto opened = notify::Outbox::Open(db.get(), {.max_per_receiver = kLimit});
  REQUIRE(opened.ok());
  notify::Outbox& outbox = **opened;

  const uint16_t port = FreePort();
  notify::ReceiverOptions o;
  o.name = "hook";
  o.kind = notify::ReceiverOptions::Kind::kWebhook;
  o.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  o.timeout_ms = 2000;
  o.min_backoff_ms = 10;
  o.max_backoff_ms = 40;
  o.max_batch = 250;
  o.max_batches_per_second = 50;
  o.breaker = {.failure_threshold = 3, .window_ms = 10'000, .cooldown_ms = 40};
  notify::Dispatcher d(&outbox, {o}, "");
  d.Start();

  const long rss_start = RssKb();
  REQUIRE(rss_start > 0);
  long rss_full = 0;  // after 25,000: the queue is at its limit and every new notification drops one
  Model model;
  std::vector<int> reported;  // ids the outbox reported dropped, in report order
  size_t reported_resolved = 0;
  for (int first = 0; first < kTotal; first += kPerBatch) {
    std::vector<notify::OutboxItem> items;
    for (int id = first; id < first + kPerBatch; ++id) {
      items.push_back({"hook", Notice(id)});
      model.Add(id);
    }
    std::vector<notify::DroppedNotification> dropped;
    REQUIRE(outbox.EnqueueBatch(items, &dropped).ok());
    for (const auto& x : dropped) {
      CHECK(x.receiver == "hook");
      reported.push_back(std::stoi(x.queued.notification.alert_key));
      if (x.queued.notification.kind == Notification::Kind::kResolved) ++reported_resolved;
    }
    d.Wake("hook");
    if (first + kPerBatch == kTotal / 2) rss_full = RssKb();
  }
  const long rss_enqueued = RssKb();
  CHECK(outbox.Depth("hook") == kLimit);
  CHECK(reported.size() == kTotal - kLimit);
  CHECK(reported_resolved == kTotal / 5);  // every resolved notice went before any firing one had to
  std::vector<int> want_dropped = model.dropped;
  std::sort(want_dropped.begin(), want_dropped.end());
  std::vector<int> got_dropped = reported;
  std::sort(got_dropped.begin(), got_dropped.end());
  CHECK(got_dropped == want_dropped);
  CHECK(outbox.DroppedOverLimit("hook") == kTotal - kLimit);
  CHECK(d.Stats()[0].dropped_over_limit == kTotal - kLimit);

  // The receiver is down: the breaker opens and the sender keeps probing; nothing grows.
  REQUIRE(WaitFor([&] { return d.Stats()[0].times_opened >= 1; }, 10));
  const uint64_t failed_before = d.Stats()[0].failed_requests;
  const long rss_open = RssKb();
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  const long rss_retried = RssKb();
  const auto down = d.Stats()[0];
  MESSAGE("RSS kB: start " << rss_start << ", 25,000 enqueued (queue full) " << rss_full << ", 50,000 enqueued "
                           << rss_enqueued << ", breaker open " << rss_open << ", after 2 s of retries " << rss_retried
                           << " (" << down.failed_requests - failed_before << " failed requests, opened "
                           << down.times_opened << " times)");
  CHECK(down.failed_requests - failed_before >= 4);  // it kept retrying
  CHECK(down.times_opened >= 2);
  CHECK(down.queued == kLimit);
  CHECK(down.sent == 0);
  CHECK(down.last_error.find("receiver hook") != std::string::npos);
  CHECK(rss_enqueued - rss_full < kBacklogGrowthBoundKb);
  CHECK(rss_retried - rss_open < kRetryGrowthBoundKb);

  // The receiver comes up: what the limit kept arrives, every one, in queue order.
  std::mutex mu;
  std::vector<int> arrived;
  http::Router router;
  router.Handle({"POST"}, "/hook", http::Access::kPublic, [&](const http::Request& req, http::Response& resp) {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    std::lock_guard lock(mu);
    for (const auto& a : body["alerts"]) arrived.push_back(std::stoi(a["labels"]["id"].get<std::string>()));
    resp.status = 200;
  });
  http::ServerOptions so;
  so.listen = "127.0.0.1:" + std::to_string(port);
  auto server = http::HttpServer::Start(so, &router);
  REQUIRE(server.ok());
  const bool drained = WaitFor([&] { return outbox.Depth("hook") == 0; }, 25);
  d.Stop();
  (*server)->Stop();
  REQUIRE(drained);
  const std::vector<int> want(model.all.begin(), model.all.end());
  std::lock_guard lock(mu);
  CHECK(arrived.size() == want.size());
  CHECK(arrived == want);
  CHECK(std::none_of(arrived.begin(), arrived.end(), Resolved));  // the resolved notices were dropped first
  CHECK(d.Stats()[0].sent == kLimit);
}
