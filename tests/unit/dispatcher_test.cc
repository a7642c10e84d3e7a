// Dispatcher: notifications from the outbox reach receivers — gnomon's own HTTP server playing
// receivers that accept, fail, time out or refuse, and the shared kit's webhook_sink.py (a real
// program) that is down and then up; the delivery-outcome hook; the drain-rate bound. Every wait
// is bounded.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gnomon/db.h"
#include "http/client/http_client.h"
#include "http/server/http_server.h"
#include "http/server/router.h"
#include "notify/dispatcher.h"
#include "notify/outbox.h"
#include "notify/payload.h"
#include "test_util.h"

using namespace gnomon;
using notify::Dispatcher;
using notify::Outbox;
using notify::ReceiverOptions;

namespace {

// A receiver: answers every POST with what `answer` says, records the bodies it accepted.
struct Receiver {
  http::Router router;
  std::mutex mu;
  std::vector<std::string> accepted;
  std::atomic<int> requests{0};
  std::function<int(int n)> answer = [](int) { return 200; };  // status for the n-th request (from 0)
  std::atomic<int> delay_ms{0};
  std::unique_ptr<http::HttpServer> server;

  Receiver() {
    auto handler = [this](const http::Request& req, http::Response& resp) {
      const int n = requests.fetch_add(1);
      if (int d = delay_ms.load(); d > 0) std::this_thread::sleep_for(std::chrono::milliseconds(d));
      resp.status = answer(n);
      if (resp.status == 200) {
        std::lock_guard lock(mu);
        accepted.push_back(req.body);
      } else {
        resp.body = "no thanks";
      }
    };
    router.Handle({"POST"}, "/hook", http::Access::kPublic, handler);
    router.Handle({"POST"}, "/am/api/v2/alerts", http::Access::kPublic, handler);
    http::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.worker_threads = 4;
    auto started = http::HttpServer::Start(options, &router);
    REQUIRE(started.ok());
    server = std::move(started.value());
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(server->port()) + path; }
  // Alerts in every accepted body (webhook payloads or Alertmanager lists).
  size_t AlertsAccepted() {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (const std::string& b : accepted) {
      auto j = nlohmann::json::parse(b, nullptr, false);
      n += j.is_array() ? j.size() : j.value("alerts", nlohmann::json::array()).size();
    }
    return n;
  }
};

notify::Notification Notice(int i, bool resolved = false) {
  notify::AlertNotice a;
  a.labels = {{"alertname", "TooHot"}, {"room", "r" + std::to_string(i)}};
  a.annotations = {{"summary", "room " + std::to_string(i)}};
  a.starts_at_ms = 1764874800000;
  a.ends_at_ms = resolved ? 1764874900000 : 0;
  a.resolved = resolved;
  notify::Notification n;
  n.kind = resolved ? notify::Notification::Kind::kResolved : notify::Notification::Kind::kFiring;
  n.created_ms = 1764874800000 + i;
  n.alert_key = notify::Fingerprint(a.labels);
  n.payload = notify::EncodeNotice(a);
  return n;
}

// Polls `done` every 20 ms for up to `seconds`.
bool WaitFor(const std::function<bool()>& done, double seconds = 10) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<DB> db;
  std::unique_ptr<Outbox> outbox;
  Fixture() {
    REQUIRE(DB::Open(Options(), dir.path(), &db).ok());
    auto o = Outbox::Open(db.get());
    REQUIRE(o.ok());
    outbox = std::move(o.value());
  }
  void Enqueue(const std::string& receiver, int n, bool resolved = false) {
    for (int i = 0; i < n; ++i) REQUIRE(outbox->Enqueue(receiver, Notice(i, resolved)).ok());
  }
};

ReceiverOptions ReceiverAt(std::string name, ReceiverOptions::Kind kind, std::string url) {
  ReceiverOptions o;
  o.name = std::move(name);
  o.kind = kind;
  o.url = std::move(url);
  o.timeout_ms = 2000;
  o.min_backoff_ms = 20;
  o.max_backoff_ms = 100;
  o.max_batch = 4;
  o.max_batches_per_second = 1000;
  o.breaker = {.failure_threshold = 2, .window_ms = 10'000, .cooldown_ms = 150};
  return o;
}

}  // namespace

TEST_CASE("webhook and Alertmanager receivers get every queued notification, in batches, then the queue is empty") {
  Fixture f;
  Receiver hook, am;
  f.Enqueue("hook", 10);
  f.Enqueue("am", 6, /*resolved=*/true);
  Dispatcher d(f.outbox.get(),
               {ReceiverAt("hook", ReceiverOptions::Kind::kWebhook, hook.url("/hook")),
                ReceiverAt("am", ReceiverOptions::Kind::kAlertmanager, am.url("/am/"))},
               "https://gnomon.example");
  d.Start();
  REQUIRE(WaitFor([&] { return f.outbox->Depth("hook") == 0 && f.outbox->Depth("am") == 0; }));
  CHECK(hook.AlertsAccepted() == 10);
  CHECK(am.AlertsAccepted() == 6);
  {
    std::lock_guard lock(hook.mu);
    CHECK(hook.accepted.size() == 3);  // batches of at most 4
    auto first = nlohmann::json::parse(hook.accepted.front());
    CHECK(first["version"] == "4");
    CHECK(first["receiver"] == "hook");
    CHECK(first["groupKey"] == "{}:{alertname=\"TooHot\"}");
    CHECK(first["externalURL"] == "https://gnomon.example");
    CHECK(first["alerts"][0]["labels"]["room"] == "r0");  // in queue order
  }
  {
    std::lock_guard lock(am.mu);
    auto first = nlohmann::json::parse(am.accepted.front());
    REQUIRE(first.is_array());
    CHECK(first[0]["endsAt"] == "2025-12-04T19:01:40Z");  // resolved: its real end
  }
  auto stats = d.Stats();
  REQUIRE(stats.size() == 2);
  CHECK(stats[0].sent == 10);
  CHECK(stats[0].failed_requests == 0);
  CHECK(stats[0].queued == 0);
  CHECK(stats[1].sent == 6);
  // New notifications are sent when the dispatcher is woken.
  REQUIRE(f.outbox->Enqueue("hook", Notice(99)).ok());
  d.Wake("hook");
  CHECK(WaitFor([&] { return hook.AlertsAccepted() == 11; }, 5));
  d.Stop();
}

TEST_CASE("a failing receiver opens the breaker; the probe after the cool-down recovers it; nothing is lost") {
  Fixture f;
  Receiver r;
  std::atomic<bool> healthy{false};
  r.answer = [&](int) { return healthy.load() ? 200 : 503; };
  f.Enqueue("flaky", 9);
  Dispatcher d(f.outbox.get(), {ReceiverAt("flaky", ReceiverOptions::Kind::kWebhook, r.url("/hook"))}, "");
  d.Start();
  REQUIRE(WaitFor([&] { return d.Stats()[0].times_opened >= 2; }, 5));
  // Open: requests stop; what arrives is one probe per cool-down, not a stream.
  const int before = r.requests.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(r.requests.load() - before <= 4);
  CHECK(f.outbox->Depth("flaky") == 9);
  CHECK(d.Stats()[0].last_error.find("HTTP 503") != std::string::npos);
  healthy = true;
  REQUIRE(WaitFor([&] { return f.outbox->Depth("flaky") == 0; }, 10));
  CHECK(r.AlertsAccepted() == 9);
  auto st = d.Stats()[0];
  CHECK(st.state == notify::CircuitBreaker::State::kClosed);
  CHECK(st.sent == 9);
  CHECK(st.failed_requests >= 2);
  d.Stop();
}

TEST_CASE("timeouts are failures that are retried; a 4xx refusal moves the notifications aside") {
  Fixture f;
  Receiver slow, refuse;
  slow.delay_ms = 800;
  refuse.answer = [](int) { return 400; };
  f.Enqueue("slow", 2);
  f.Enqueue("refuse", 3);
  auto slow_options = ReceiverAt("slow", ReceiverOptions::Kind::kWebhook, slow.url("/hook"));
  slow_options.timeout_ms = 150;
  Dispatcher d(f.outbox.get(),
               {slow_options, ReceiverAt("refuse", ReceiverOptions::Kind::kAlertmanager, refuse.url("/am"))}, "");
  d.Start();
  REQUIRE(WaitFor([&] { return d.Stats()[0].failed_requests >= 1; }, 5));
  CHECK(f.outbox->Depth("slow") == 2);
  CHECK(d.Stats()[0].last_error.find("receiver slow") != std::string::npos);
  slow.delay_ms = 0;
  REQUIRE(WaitFor([&] { return f.outbox->Depth("slow") == 0; }, 10));
  REQUIRE(WaitFor([&] { return f.outbox->Depth("refuse") == 0; }, 5));
  auto aside = f.outbox->MovedAside("refuse", 10);
  REQUIRE(aside.ok());
  CHECK(aside->size() == 3);
  CHECK(aside->front().reason == "HTTP 400: no thanks");
  CHECK(d.Stats()[1].dropped == 3);
  CHECK(d.Stats()[1].sent == 0);
  CHECK(refuse.requests.load() == 1);  // refused for good: never retried
  d.Stop();
}

namespace {

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

}  // namespace

TEST_CASE("the shared kit's webhook_sink.py, down (connections refused) and then up, gets every notification") {
  const char* src = std::getenv("GNOMON_SOURCE_DIR");
  const std::string sink = std::string(src ? src : ".") + "/../shared/alerts/webhook_sink.py";
  if (::access(sink.c_str(), R_OK) != 0 || std::system("python3 -c 1 >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: no " << sink << " or no python3");
    return;
  }
  Fixture f;
  const std::string out = f.dir.path() + "/hooks.jsonl";
  const uint16_t port = FreePort();
  const double up_at = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() + 1.5;
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const std::string p = std::to_string(port), until = std::to_string(up_at);
    ::execlp("python3", "python3", sink.c_str(), "--port", p.c_str(), "--out", out.c_str(), "--down-until",
             until.c_str(), "--down-mode", "refuse", "--max-seconds", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  f.Enqueue("sink", 7);
  Dispatcher d(
      f.outbox.get(),
      {ReceiverAt("sink", ReceiverOptions::Kind::kWebhook, "http://127.0.0.1:" + std::to_string(port) + "/hook")}, "");
  d.Start();
  const bool drained = WaitFor([&] { return f.outbox->Depth("sink") == 0; }, 20);
  d.Stop();
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(drained);
  CHECK(d.Stats()[0].failed_requests >= 1);  // it was down at first
  std::ifstream in(out);
  size_t alerts = 0, lines = 0;
  for (std::string line; std::getline(in, line);) {
    auto rec = nlohmann::json::parse(line, nullptr, false);
    REQUIRE(rec.is_object());
    CHECK(rec["kind"] == "webhook");
    auto body = nlohmann::json::parse(rec["body"].get<std::string>(), nullptr, false);
    alerts += body["alerts"].size();
    ++lines;
  }
  CHECK(lines >= 2);
  CHECK(alerts == 7);
}

TEST_CASE("a real Alertmanager accepts the alerts with their labels, annotations and times") {
  const char* am_bin = "/usr/bin/prometheus-alertmanager";
  if (::access(am_bin, X_OK) != 0) {
    MESSAGE("skipped: no " << am_bin << " (scripts/install-deps.sh installs prometheus-alertmanager)");
    return;
  }
  Fixture f;
  const uint16_t port = FreePort();
  const std::string config = f.dir.path() + "/am.yml";
  {
    std::ofstream c(config);
    c << "route:\n  receiver: none\nreceivers:\n  - name: none\n";
  }
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const std::string cfg = "--config.file=" + config, storage = "--storage.path=" + f.dir.path() + "/am",
                      listen = "--web.listen-address=127.0.0.1:" + std::to_string(port);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 2);
    ::execl(am_bin, am_bin, cfg.c_str(), storage.c_str(), listen.c_str(),
            "--cluster.listen-address=", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  http::HttpClient client(base, "", "Alertmanager");
  client.set_timeout_ms(1000);
  const bool up = WaitFor(
      [&] {
        auto r = client.Get("/-/ready");
        return r.ok() && r->status == 200;
      },
      15);
  // Firing alerts start now, so Alertmanager shows them as active.
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  for (int i = 0; i < 3; ++i) {
    notify::AlertNotice a;
    a.labels = {{"alertname", "TooHot"}, {"room", "r" + std::to_string(i)}, {"severity", "page"}};
    a.annotations = {{"summary", "room " + std::to_string(i) + " is hot"}};
    a.starts_at_ms = now - 60'000;
    a.ends_at_ms = now + 240'000;
    a.generator_url = "https://gnomon.example/graph";
    notify::Notification n;
    n.created_ms = now;
    n.alert_key = notify::Fingerprint(a.labels);
    n.payload = notify::EncodeNotice(a);
    REQUIRE(f.outbox->Enqueue("am", n).ok());
  }
  Dispatcher d(f.outbox.get(), {ReceiverAt("am", ReceiverOptions::Kind::kAlertmanager, base)}, "");
  d.Start();
  const bool drained = up && WaitFor([&] { return f.outbox->Depth("am") == 0; }, 10);
  nlohmann::json alerts;
  if (drained) {
    WaitFor(
        [&] {
          auto r = client.Get("/api/v2/alerts");
          if (!r.ok() || r->status != 200) return false;
          alerts = nlohmann::json::parse(r->body, nullptr, false);
          return alerts.is_array() && alerts.size() == 3;
        },
        5);
  }
  d.Stop();
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(up);
  REQUIRE(drained);
  REQUIRE(alerts.is_array());
  REQUIRE(alerts.size() == 3);
  for (const auto& a : alerts) {
    const std::string room = a["labels"]["room"];
    CHECK(a["labels"]["alertname"] == "TooHot");
    CHECK(a["labels"]["severity"] == "page");
    CHECK(a["annotations"]["summary"] == "room " + room.substr(1) + " is hot");
    CHECK(a["generatorURL"] == "https://gnomon.example/graph");
    CHECK(a["status"]["state"] == "active");
    Labels labels = {{"alertname", "TooHot"}, {"room", room}, {"severity", "page"}};
    CHECK(a["fingerprint"] == notify::Fingerprint(labels));  // Alertmanager computes the same
  }
}

TEST_CASE("the outcome hook hears every batch: failed (with the status or the transport error), sent, moved aside") {
  Fixture f;
  Receiver flaky, refuse;
  flaky.answer = [](int n) { return n == 0 ? 503 : 200; };
  refuse.answer = [](int) { return 422; };
  f.Enqueue("flaky", 3);
  f.Enqueue("refuse", 2, /*resolved=*/true);
  f.Enqueue("down", 1);
  std::mutex mu;
  std::vector<notify::DeliveryOutcome> seen;
  const int64_t before =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  Dispatcher d(
      f.outbox.get(),
      {ReceiverAt("flaky", ReceiverOptions::Kind::kWebhook, flaky.url("/hook")),
       ReceiverAt("refuse", ReceiverOptions::Kind::kAlertmanager, refuse.url("/am")),
       ReceiverAt("down", ReceiverOptions::Kind::kWebhook, "http://127.0.0.1:" + std::to_string(FreePort()) + "/hook")},
      "");
  d.SetOutcomeHook([&](const notify::DeliveryOutcome& o) {
    std::lock_guard lock(mu);
    seen.push_back(o);
  });
  d.Start();
  REQUIRE(WaitFor([&] { return f.outbox->Depth("flaky") == 0 && f.outbox->Depth("refuse") == 0; }, 10));
  REQUIRE(WaitFor([&] { return d.Stats()[2].failed_requests >= 1; }, 5));
  d.Stop();
  const int64_t after =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  auto of = [&](const std::string& receiver) {
    std::vector<notify::DeliveryOutcome> out;
    for (const auto& o : seen) {
      if (o.receiver == receiver) out.push_back(o);
    }
    return out;
  };
  using Outcome = notify::DeliveryOutcome::Outcome;
  for (const auto& o : seen) {
    CHECK(o.time_ms >= before);
    CHECK(o.time_ms <= after);
  }
  // flaky: batches of 4 hold all 3; the first answer is 503 (failed, kept), the next 200 (sent).
  auto fl = of("flaky");
  REQUIRE(fl.size() == 2);
  CHECK(fl[0].outcome == Outcome::kFailed);
  CHECK(notify::OutcomeName(fl[0].outcome) == "failed");
  CHECK(fl[0].http_status == 503);
  CHECK(fl[0].error == "HTTP 503: no thanks");
  CHECK(fl[1].outcome == Outcome::kSent);
  CHECK(fl[1].http_status == 200);
  CHECK(fl[1].error.empty());
  REQUIRE(fl[1].notifications.size() == 3);
  for (int i = 0; i < 3; ++i) {
    const notify::Notification n = Notice(i);
    CHECK(fl[1].notifications[i].alert_key == n.alert_key);
    CHECK(fl[1].notifications[i].created_ms == n.created_ms);
    CHECK(fl[1].notifications[i].kind == notify::Notification::Kind::kFiring);
  }
  CHECK(fl[0].notifications.size() == 3);
  CHECK(fl[0].notifications[0].seq == fl[1].notifications[0].seq);  // the same batch, retried
  // refuse: 422 is a permanent refusal: moved aside, reported once, with the answer.
  auto rf = of("refuse");
  REQUIRE(rf.size() == 1);
  CHECK(rf[0].outcome == Outcome::kMovedAside);
  CHECK(rf[0].http_status == 422);
  CHECK(rf[0].error == "HTTP 422: no thanks");
  REQUIRE(rf[0].notifications.size() == 2);
  CHECK(rf[0].notifications[1].kind == notify::Notification::Kind::kResolved);
  // down: nobody listens: failed, no HTTP status, the transport error.
  auto dn = of("down");
  REQUIRE(!dn.empty());
  CHECK(dn[0].outcome == Outcome::kFailed);
  CHECK(dn[0].http_status == 0);
  CHECK(dn[0].error.find("receiver down") != std::string::npos);
  CHECK(dn[0].notifications.size() == 1);
}

TEST_CASE("a backlog drains at most max_batch x max_batches_per_second, each batch acknowledged in order") {
  Fixture f;
  Receiver r;
  f.Enqueue("paced", 12);
  auto o = ReceiverAt("paced", ReceiverOptions::Kind::kWebhook, r.url("/hook"));
  o.max_batch = 3;
  o.max_batches_per_second = 10;  // 4 batches: the last starts >= 300 ms after the first
  Dispatcher d(f.outbox.get(), {o}, "");
  std::mutex mu;
  std::vector<int64_t> sent_at;
  d.SetOutcomeHook([&](const notify::DeliveryOutcome& out) {
    std::lock_guard lock(mu);
    if (out.outcome == notify::DeliveryOutcome::Outcome::kSent) sent_at.push_back(out.time_ms);
  });
  const auto t0 = std::chrono::steady_clock::now();
  d.Start();
  REQUIRE(WaitFor([&] { return f.outbox->Depth("paced") == 0; }, 10));
  const auto took = std::chrono::steady_clock::now() - t0;
  d.Stop();
  CHECK(took >= std::chrono::milliseconds(290));
  CHECK(r.AlertsAccepted() == 12);
  std::lock_guard lock(mu);
  REQUIRE(sent_at.size() == 4);
  CHECK(sent_at.back() - sent_at.front() >= 290);
  std::lock_guard rl(r.mu);
  for (size_t i = 0; i < r.accepted.size(); ++i) {
    auto body = nlohmann::json::parse(r.accepted[i]);
    CHECK(body["alerts"][0]["labels"]["room"] == "r" + std::to_string(3 * i));
  }
}
