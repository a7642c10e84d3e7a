// Notification throughput, end to end, with the outbox durable: an engine with sync = always in a
// temporary directory, the alert notifier enqueueing what rule evaluations produce (one synced
// outbox write per evaluation), the dispatcher posting webhook v4 (or Alertmanager v2) batches to
// a local receiver (gnomon's own HTTP server on 127.0.0.1, answering 200 and counting the alerts),
// and acknowledging them (one synced write per batch). Prints, for --n notifications:
//
//   live     evaluations of --per-eval new firing alerts enqueued back to back while the
//            dispatcher runs: time from the first Process to the last acknowledgement;
//   backlog  the same number queued first (receiver "down"), then the dispatcher started: the
//            drain rate under the bounded-rate default (ReceiverOptions::max_batches_per_second);
//   single   --single notifications enqueued one Outbox::Enqueue each (the old path: one synced
//            write per notification), for comparison.
//
//   build-notify/notify_bench [--n 100000] [--per-eval 1000] [--kind webhook|alertmanager]
//                             [--max-batch N] [--rate BATCHES_PER_S] [--single 2000] [--dir /tmp]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gnomon/db.h"
#include "http/server/http_server.h"
#include "http/server/router.h"
#include "notify/alert_notifier.h"
#include "notify/dispatcher.h"
#include "notify/outbox.h"

using namespace gnomon;

namespace {

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct Args {
  size_t n = 100'000;
  size_t per_eval = 1000;
  size_t single = 2000;
  std::string kind = "webhook";
  size_t max_batch = 0;  // 0: ReceiverOptions' default
  double rate = 0;       // 0: ReceiverOptions' default
  std::string dir = std::filesystem::temp_directory_path().string();
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--n")
      a.n = std::strtoull(v, nullptr, 10);
    else if (k == "--per-eval")
      a.per_eval = std::strtoull(v, nullptr, 10);
    else if (k == "--single")
      a.single = std::strtoull(v, nullptr, 10);
    else if (k == "--kind")
      a.kind = v;
    else if (k == "--max-batch")
      a.max_batch = std::strtoull(v, nullptr, 10);
    else if (k == "--rate")
      a.rate = std::strtod(v, nullptr);
    else if (k == "--dir")
      a.dir = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      std::exit(2);
    }
  }
  if (a.per_eval == 0) a.per_eval = 1;
  return a;
}

// The receiver: counts the alerts in every body it accepts ("startsAt" appears once per alert in
// both formats).
struct Receiver {
  http::Router router;
  std::atomic<uint64_t> alerts{0}, requests{0}, bytes{0};
  std::unique_ptr<http::HttpServer> server;

  Receiver() {
    auto handler = [this](const http::Request& req, http::Response& resp) {
      uint64_t n = 0;
      for (size_t p = req.body.find("\"startsAt\""); p != std::string::npos; p = req.body.find("\"startsAt\"", p + 1))
        ++n;
      alerts.fetch_add(n);
      requests.fetch_add(1);
      bytes.fetch_add(req.body.size());
      resp.status = 200;
    };
    router.Handle({"POST"}, "/hook", http::Access::kPublic, handler);
    router.Handle({"POST"}, "/api/v2/alerts", http::Access::kPublic, handler);
    http::ServerOptions options;
    options.listen = "127.0.0.1:0";
    auto started = http::HttpServer::Start(options, &router);
    if (!started.ok()) {
      std::fprintf(stderr, "receiver: %s\n", started.status().ToString().c_str());
      std::exit(1);
    }
    server = std::move(started.value());
  }
  std::string url(bool alertmanager) const {
    return "http://127.0.0.1:" + std::to_string(server->port()) + (alertmanager ? "" : "/hook");
  }
};

struct Engine {
  std::string dir;
  std::unique_ptr<DB> db;
  std::unique_ptr<notify::Outbox> outbox;
  explicit Engine(const Args& a, size_t limit) {
    std::string tmpl = a.dir + "/notify-bench-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) std::exit(1);
    dir = tmpl;
    Options o;
    o.sync_mode = SyncMode::kAlways;
    if (!DB::Open(o, dir, &db).ok()) std::exit(1);
    auto ob = notify::Outbox::Open(db.get(), {.max_per_receiver = limit});
    if (!ob.ok()) std::exit(1);
    outbox = std::move(ob.value());
  }
  ~Engine() {
    outbox.reset();
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// The alerts of evaluation `e`: per_eval new firing alerts (each one due, so each is enqueued).
std::vector<notify::ActiveAlert> Alerts(size_t e, size_t per_eval) {
  std::vector<notify::ActiveAlert> out(per_eval);
  for (size_t j = 0; j < per_eval; ++j) {
    notify::ActiveAlert& a = out[j];
    const std::string id = std::to_string(e * per_eval + j);
    a.labels = {{"alertname", "DiskFull"}, {"instance", "host-" + id + ":9100"}, {"severity", "page"}};
    a.annotations = {{"summary", "disk of host-" + id + " is 97% full"}};
    a.firing = true;
    a.fired_at_ms = 1764874800000;
    a.generator_url = "http://gnomon.example/graph?g0.expr=disk_used%20%3E%200.95&g0.tab=1";
  }
  return out;
}

notify::ReceiverOptions ReceiverFor(const Args& a, const Receiver& r) {
  notify::ReceiverOptions o;
  o.name = "bench";
  o.kind =
      a.kind == "alertmanager" ? notify::ReceiverOptions::Kind::kAlertmanager : notify::ReceiverOptions::Kind::kWebhook;
  o.url = r.url(o.kind == notify::ReceiverOptions::Kind::kAlertmanager);
  if (a.max_batch > 0) o.max_batch = a.max_batch;
  if (a.rate > 0) o.max_batches_per_second = a.rate;
  return o;
}

bool WaitDelivered(const Engine& eng, const Receiver& r, uint64_t want, double seconds) {
  const double deadline = Now() + seconds;
  while (Now() < deadline) {
    if (r.alerts.load() >= want && eng.outbox->Depth("bench") == 0) return true;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return false;
}

std::unique_ptr<notify::AlertNotifier> Notifier(notify::Outbox* outbox) {
  auto n = notify::AlertNotifier::Create(outbox, {{"bench", {}}}, 60'000);
  if (!n.ok()) std::exit(1);
  return std::move(n.value());
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  const size_t evals = (a.n + a.per_eval - 1) / a.per_eval;
  const uint64_t total = evals * a.per_eval;
  notify::ReceiverOptions defaults;
  std::printf(
      "notify_bench: %llu notifications, %zu per evaluation, %s receiver, max_batch %zu, %.0f batches/s, "
      "sync=always\n",
      static_cast<unsigned long long>(total), a.per_eval, a.kind.c_str(),
      a.max_batch ? a.max_batch : defaults.max_batch, a.rate > 0 ? a.rate : defaults.max_batches_per_second);

  {  // live: evaluations enqueue while the dispatcher delivers
    Engine eng(a, total);
    Receiver r;
    auto notifier = Notifier(eng.outbox.get());
    notify::Dispatcher d(eng.outbox.get(), {ReceiverFor(a, r)}, "http://gnomon.example");
    std::atomic<uint64_t> outcomes{0};
    d.SetOutcomeHook([&](const notify::DeliveryOutcome& o) { outcomes.fetch_add(o.notifications.size()); });
    d.Start();
    std::vector<std::vector<notify::ActiveAlert>> rounds;
    for (size_t e = 0; e < evals; ++e) rounds.push_back(Alerts(e, a.per_eval));
    const double t0 = Now();
    for (size_t e = 0; e < evals; ++e) {
      auto woken = notifier->Process(1764874800000 + static_cast<int64_t>(e) * 15'000, 15'000, rounds[e]);
      if (!woken.ok()) {
        std::fprintf(stderr, "Process: %s\n", woken.status().ToString().c_str());
        return 1;
      }
      for (const std::string& w : *woken) d.Wake(w);
    }
    const double t1 = Now();
    const bool ok = WaitDelivered(eng, r, total, 120);
    const double t2 = Now();
    d.Stop();
    if (!ok) {
      std::fprintf(stderr, "live: not delivered within 120 s (%llu of %llu)\n",
                   static_cast<unsigned long long>(r.alerts.load()), static_cast<unsigned long long>(total));
      return 1;
    }
    std::printf(
        "live     enqueue %8.0f notifications/s (%zu synced writes, %.3f s); end to end %8.0f notifications/s "
        "(%.3f s, %llu requests, %.1f MB, hook saw %llu)\n",
        static_cast<double>(total) / (t1 - t0), evals, t1 - t0, static_cast<double>(total) / (t2 - t0), t2 - t0,
        static_cast<unsigned long long>(r.requests.load()), static_cast<double>(r.bytes.load()) / 1e6,
        static_cast<unsigned long long>(outcomes.load()));
  }

  {  // backlog: everything queued first, then the dispatcher drains it at its bounded rate
    Engine eng(a, total);
    Receiver r;
    auto notifier = Notifier(eng.outbox.get());
    for (size_t e = 0; e < evals; ++e) {
      if (!notifier->Process(1764874800000 + static_cast<int64_t>(e) * 15'000, 15'000, Alerts(e, a.per_eval)).ok())
        return 1;
    }
    notify::Dispatcher d(eng.outbox.get(), {ReceiverFor(a, r)}, "http://gnomon.example");
    const double t0 = Now();
    d.Start();
    const bool ok = WaitDelivered(eng, r, total, 120);
    const double t1 = Now();
    d.Stop();
    if (!ok) {
      std::fprintf(stderr, "backlog: not delivered within 120 s\n");
      return 1;
    }
    std::printf("backlog  drain %8.0f notifications/s (%.3f s, %llu requests)\n",
                static_cast<double>(total) / (t1 - t0), t1 - t0, static_cast<unsigned long long>(r.requests.load()));
  }

  if (a.single > 0) {  // the old path: one synced write per notification
    Engine eng(a, a.single);
    notify::Notification n;
    n.created_ms = 1764874800000;
    n.alert_key = "k";
    n.payload = std::string(400, 'x');
    const double t0 = Now();
    for (size_t i = 0; i < a.single; ++i) {
      if (!eng.outbox->Enqueue("bench", n).ok()) return 1;
    }
    const double t1 = Now();
    std::printf("single   Enqueue one by one %8.0f notifications/s (%zu synced writes, %.3f s)\n",
                static_cast<double>(a.single) / (t1 - t0), a.single, t1 - t0);
  }
  return 0;
}
