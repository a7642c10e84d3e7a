// remote_write out of the write-ahead log (forward/remote_write_queue.h), against an in-process
// receiver that decodes what it gets as gnomond's own remote_write ingest does: every stored sample
// arrives once, with its labels, in requests of at most max_samples_per_send; 5xx and 429 are
// retried, and a redirect too (nothing lost, nothing doubled); another 4xx drops the request and the queue moves on;
// a queue stopped and opened again resumes after what the receiver accepted.
#include "forward/remote_write_queue.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "http/server/http_server.h"
#include "http/server/router.h"
#include "index/labels_util.h"
#include "ingest/remote_write.h"
#include "test_util.h"

namespace gnomon::forward {
namespace {

using gnomon::testing::TempDir;

struct Receiver {
  http::Router router;
  std::mutex mu;
  std::map<std::string, std::vector<Sample>> series;  // MetricToString -> samples in arrival order
  size_t largest_request = 0;
  std::atomic<int> requests{0};
  std::function<int(int n)> answer = [](int) { return 200; };  // status for the n-th request
  std::unique_ptr<http::HttpServer> server;

  Receiver() {
    router.Handle({"POST"}, "/api/v1/write", http::Access::kPublic, [this](const http::Request& req, http::Response& resp) {
      const int n = requests.fetch_add(1);
      resp.status = answer(n);
      if (resp.status != 200) {
        resp.body = "not now";
        return;
      }
      WriteBatch batch;
      auto decoded = ingest::DecodeRemoteWrite(req.body, 64 << 20, &batch);
      if (!decoded.ok()) {
        resp.status = 400;
        resp.body = decoded.status().message();
        return;
      }
      std::lock_guard lock(mu);
      largest_request = std::max(largest_request, batch.num_samples());
      for (size_t i = 0; i < batch.num_entries(); ++i) {
        Labels labels;
        REQUIRE(index::DecodeLabels(batch.EncodedLabels(i), &labels).ok());
        auto& out = series[index::MetricToString(labels)];
        for (const Sample& s : batch.SamplesOf(i)) out.push_back(s);
      }
    });
    http::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.worker_threads = 2;
    auto started = http::HttpServer::Start(options, &router);
    REQUIRE(started.ok());
    server = std::move(started.value());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()) + "/api/v1/write"; }
  size_t Samples() {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (const auto& [name, samples] : series) n += samples.size();
    return n;
  }
};

bool WaitFor(const std::function<bool()>& done, int seconds = 10) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

std::unique_ptr<DB> OpenDB(const std::string& dir) {
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(Options(), dir, &db).ok());
  return db;
}

// Batch b: 30 series "fw{s=<i>}", one sample each at time b * 1000, value b * 100 + i.
void Write(DB* db, int first, int count) {
  for (int b = first; b < first + count; ++b) {
    WriteBatch batch;
    for (int i = 0; i < 30; ++i) batch.Add(Labels{{"__name__", "fw"}, {"s", std::to_string(i)}}, b * 1000, b * 100.0 + i);
    REQUIRE(db->Write(batch).ok());
  }
}

// Every series holds exactly batches [first, first + count), once each, in order.
void CheckReceived(Receiver& r, int first, int count) {
  std::lock_guard lock(r.mu);
  REQUIRE(r.series.size() == 30);
  for (int i = 0; i < 30; ++i) {
    const auto it = r.series.find("fw{s=\"" + std::to_string(i) + "\"}");
    REQUIRE(it != r.series.end());
    REQUIRE(it->second.size() == static_cast<size_t>(count));
    for (int k = 0; k < count; ++k) {
      CHECK(it->second[k].timestamp == (first + k) * 1000);
      CHECK(it->second[k].value == (first + k) * 100.0 + i);
    }
  }
}

RemoteWriteOptions Options(const Receiver& r) {
  RemoteWriteOptions o;
  o.name = "rw_test";
  o.url = r.url();
  o.max_samples_per_send = 100;
  o.batch_send_deadline_ms = 20;
  o.min_backoff_ms = 5;
  o.max_backoff_ms = 40;
  return o;
}

TEST_CASE("every stored sample reaches the receiver once, in bounded requests, through 5xx and 429") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  Receiver r;
  r.answer = [](int n) { return n == 0 ? 503 : n == 1 ? 429 : n == 5 ? 500 : n == 7 ? 308 : 200; };
  auto q = RemoteWriteQueue::Open(db.get(), Options(r));
  REQUIRE(q.ok());
  Write(db.get(), 0, 40);  // 1,200 samples
  (*q)->Start();
  REQUIRE(WaitFor([&] { return r.Samples() == 1200; }));
  (*q)->Stop();
  CheckReceived(r, 0, 40);
  const RemoteWriteStats st = (*q)->Stats();
  CHECK(st.sent_samples == 1200);
  CHECK(st.failed_requests == 4);  // the redirect too: retried, not dropped
  CHECK(st.dropped_samples == 0);
  CHECK(st.last_sent_ms == 39 * 1000);
  CHECK(r.largest_request <= 100);
}

TEST_CASE("a refused request is dropped and counted; a reopened queue resumes after what was accepted") {
  TempDir dir;
  Receiver r;
  {
    auto db = OpenDB(dir.path());
    r.answer = [](int n) { return n == 0 ? 400 : 200; };
    auto q = RemoteWriteQueue::Open(db.get(), Options(r));
    REQUIRE(q.ok());
    Write(db.get(), 0, 10);  // 300 samples: the first request's 100 are refused
    (*q)->Start();
    REQUIRE(WaitFor([&] { return (*q)->Stats().sent_samples + (*q)->Stats().dropped_samples == 300; }));
    (*q)->Stop();
    CHECK((*q)->Stats().dropped_samples == 100);
    CHECK(r.Samples() == 200);
    CHECK((*q)->Stats().last_error.find("HTTP 400") != std::string::npos);
  }
  // Written while no queue runs, then a new process: only the new batches are sent.
  auto db = OpenDB(dir.path());
  Write(db.get(), 10, 20);
  {
    std::lock_guard lock(r.mu);
    r.series.clear();
  }
  auto q = RemoteWriteQueue::Open(db.get(), Options(r));
  REQUIRE(q.ok());
  (*q)->Start();
  REQUIRE(WaitFor([&] { return r.Samples() == 600; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // nothing more comes
  (*q)->Stop();
  CheckReceived(r, 10, 20);
}

TEST_CASE("a receiver down holds the data back without losing it") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  Receiver r;
  std::atomic<bool> up{false};
  r.answer = [&](int) { return up.load() ? 200 : 503; };
  auto q = RemoteWriteQueue::Open(db.get(), Options(r));
  REQUIRE(q.ok());
  (*q)->Start();
  Write(db.get(), 0, 20);
  REQUIRE(WaitFor([&] { return (*q)->Stats().failed_requests >= 3; }));
  CHECK(r.Samples() == 0);
  Write(db.get(), 20, 20);
  up = true;
  REQUIRE(WaitFor([&] { return r.Samples() == 1200; }));
  (*q)->Stop();
  CheckReceived(r, 0, 40);
  CHECK((*q)->Stats().last_error.find("HTTP 503") != std::string::npos);
}

}  // namespace
}  // namespace gnomon::forward
