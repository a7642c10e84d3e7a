// Shipper (ship/shipper.h) against a scripted gnomond: what it sends (gzip, labels, times, source
// ranges), what each answer does to the saved offset (2xx and 400 move it, 413 halves the batch,
// other 4xx skip, 5xx/429 keep it and count a failure), the circuit breaker that stops pushes, and
// the catch-up rate after gnomond recovers.
#include "ship/shipper.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "http/server/http_server.h"
#include "test_util.h"

namespace gnomon::ship {
namespace {

struct Push {
  std::string source, range, encoding;
  nlohmann::json body;
};

// A fake gnomond: answers each push with answer(n) for the n-th request, recording every one.
struct FakeGnomond {
  http::Router router;
  std::mutex mu;
  std::vector<Push> pushes;  // guarded by mu
  std::function<int(int n)> answer = [](int) { return 204; };
  std::unique_ptr<http::HttpServer> server;

  FakeGnomond() {
    router.Handle({"POST"}, "/loki/api/v1/push", http::Access::kPublic,
                  [this](const http::Request& req, http::Response& resp) {
                    std::lock_guard lock(mu);
                    pushes.push_back(
                        {std::string(req.Header("x-gnomon-source")), std::string(req.Header("x-gnomon-source-range")),
                         std::string(req.Header("content-encoding")), nlohmann::json::parse(req.body, nullptr, false)});
                    resp.status = answer(static_cast<int>(pushes.size()) - 1);
                  });
    http::ServerOptions options;
    options.listen = "127.0.0.1:0";
    auto started = http::HttpServer::Start(options, &router);
    REQUIRE(started.ok());
    server = std::move(*started);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }
  std::vector<Push> Pushes() {
    std::lock_guard lock(mu);
    return pushes;
  }
};

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

std::string Lines(int from, int to) {
  std::string s;
  for (int i = from; i < to; ++i)
    s += "{\"service\":\"api\",\"level\":\"info\",\"msg\":\"line " + std::to_string(i) + "\"}\n";
  return s;
}

ShipConfig Config(const FakeGnomond& g, const testing::TempDir& dir) {
  ShipConfig c;
  c.server = g.url();
  c.paths = {dir.path() + "/*.log"};
  c.state_dir = dir.path() + "/state";
  c.labels = {{"env", "test"}};
  c.host = "box1";
  c.batch_wait_ms = 0;
  c.compression = ShipConfig::Compression::kGzip;  // auto would not, to loopback
  return c;
}

// Polls until it sends nothing more (at most 200 rounds); the last result.
Result<bool> Drain(Shipper& s) {
  Result<bool> r = false;
  for (int i = 0; i < 200; ++i) {
    r = s.Poll();
    if (!r.ok() || !*r) break;
  }
  return r;
}

TEST_CASE("shipper: gzip bodies, the labels, JSON times, and the source ranges of a file") {
  FakeGnomond g;
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log";
  Append(path,
         "{\"ts\":\"2026-12-07T10:00:00.5Z\",\"service\":\"pay\",\"level\":\"error\",\"msg\":\"boom\"}\nplain text\n");
  auto s = Shipper::Open(Config(g, dir));
  REQUIRE(s.ok());
  REQUIRE(Drain(**s).ok());
  auto pushes = g.Pushes();
  REQUIRE(pushes.size() == 1);
  CHECK(pushes[0].encoding == "gzip");
  CHECK(pushes[0].range == "0-88");
  const nlohmann::json& streams = pushes[0].body["streams"];
  REQUIRE(streams.size() == 2);  // the JSON line's (service, level) and the plain line's
  bool found = false;
  for (const auto& st : streams) {
    CHECK(st["stream"]["env"] == "test");
    CHECK(st["stream"]["host"] == "box1");
    CHECK(st["stream"]["filename"] == path);
    if (st["stream"].contains("service")) {
      found = true;
      CHECK(st["stream"]["level"] == "error");
      CHECK(st["values"][0][0] == "1796637600500000000");
      CHECK(st["values"][0][1] ==
            "{\"ts\":\"2026-12-07T10:00:00.5Z\",\"service\":\"pay\",\"level\":\"error\",\"msg\":\"boom\"}");
    } else {
      CHECK(st["values"][0][1] == "plain text");
    }
  }
  CHECK(found);
  const ShipperSnapshot snap = (*s)->Snapshot();
  CHECK(snap.counters.lines_shipped == 2);
  REQUIRE(snap.files.size() == 1);
  CHECK(snap.files[0].offset == 88);
  CHECK(snap.files[0].size == 88);
}

TEST_CASE("shipper: 5xx keeps the offset, 413 halves the batch, 400 moves on, other 4xx skip") {
  FakeGnomond g;
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log";
  Append(path, Lines(0, 100));  // 50 bytes a line
  ShipConfig c = Config(g, dir);
  c.batch_size = 1000;
  c.compression = ShipConfig::Compression::kNone;
  c.breaker_failures = 100;
  // 503, 429, then 413, then 400, then 422 and 204s.
  g.answer = [](int n) { return n == 0 ? 503 : n == 1 ? 429 : n == 2 ? 413 : n == 4 ? 400 : n == 5 ? 422 : 204; };
  auto s = Shipper::Open(c);
  REQUIRE(s.ok());
  CHECK_FALSE((*s)->Poll().ok());
  CHECK_FALSE((*s)->Poll().ok());
  CHECK((*s)->Snapshot().files.at(0).offset == 0);
  CHECK((*s)->Snapshot().counters.push_failures == 2);
  REQUIRE(Drain(**s).ok());
  auto pushes = g.Pushes();
  REQUIRE(pushes.size() >= 6);
  CHECK(pushes[0].range == pushes[2].range);  // the same batch until it got through
  const auto size_of = [](const std::string& range) {
    const size_t dash = range.find('-');
    return std::stoul(range.substr(dash + 1)) - std::stoul(range.substr(0, dash));
  };
  CHECK(size_of(pushes[3].range) <= size_of(pushes[2].range) / 2 + 60);  // after 413: half the bytes
  const ShipperSnapshot snap = (*s)->Snapshot();
  CHECK(snap.counters.batches_skipped == 1);  // the 422
  CHECK(snap.counters.lines_skipped > 0);
  CHECK(snap.counters.lines_shipped + snap.counters.lines_skipped == 100);
  CHECK(snap.files.at(0).offset == snap.files.at(0).size);
  // The saved state: a new shipper sends nothing again.
  s->reset();
  auto again = Shipper::Open(c);
  REQUIRE(again.ok());
  REQUIRE(Drain(**again).ok());
  CHECK(g.Pushes().size() == pushes.size());
}

TEST_CASE("shipper: 401, 403 and 404 are failures to retry, never batches to skip") {
  FakeGnomond g;
  testing::TempDir dir;
  Append(dir.path() + "/app.log", Lines(0, 10));
  ShipConfig c = Config(g, dir);
  c.breaker_failures = 100;
  g.answer = [](int n) { return n == 0 ? 401 : n == 1 ? 403 : n == 2 ? 404 : 204; };
  auto s = Shipper::Open(c);
  REQUIRE(s.ok());
  for (int i = 0; i < 3; ++i) CHECK_FALSE((*s)->Poll().ok());
  CHECK((*s)->Snapshot().files.at(0).offset == 0);
  CHECK((*s)->Snapshot().counters.batches_skipped == 0);
  REQUIRE(Drain(**s).ok());
  CHECK((*s)->Snapshot().counters.lines_shipped == 10);
}

TEST_CASE("shipper: a directory the glob matches is passed over; a deleted file's state is dropped") {
  FakeGnomond g;
  testing::TempDir dir;
  REQUIRE(std::filesystem::create_directory(dir.path() + "/sub.log"));
  Append(dir.path() + "/app.log", Lines(0, 5));
  Append(dir.path() + "/gone.log", Lines(5, 8));
  auto s = Shipper::Open(Config(g, dir));
  REQUIRE(s.ok());
  REQUIRE(Drain(**s).ok());
  CHECK((*s)->Snapshot().counters.lines_shipped == 8);
  std::ifstream state_file(dir.path() + "/state/state");
  std::string state((std::istreambuf_iterator<char>(state_file)), {});
  CHECK(state.find("gone.log") != std::string::npos);
  std::filesystem::remove(dir.path() + "/gone.log");
  REQUIRE(Drain(**s).ok());
  Append(dir.path() + "/app.log", Lines(8, 9));  // a save after the deletion was seen
  REQUIRE(Drain(**s).ok());
  std::ifstream again(dir.path() + "/state/state");
  state.assign((std::istreambuf_iterator<char>(again)), {});
  CHECK(state.find("gone.log") == std::string::npos);
  CHECK(state.find("app.log") != std::string::npos);
}

TEST_CASE("shipper: a file rotated while stopped is found again, also after another restart mid-way") {
  FakeGnomond g;
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log", rotated = dir.path() + "/app.log.1";
  Append(path, Lines(0, 300));  // ~15 KB
  ShipConfig c = Config(g, dir);
  c.paths = {path};
  c.batch_size = 2000;
  c.breaker_failures = 100;
  c.rotate_wait_ms = 0;
  std::atomic<int> allowed{3};  // batches answered 204 before gnomond "fails"
  g.answer = [&allowed](int) { return allowed.fetch_sub(1) > 0 ? 204 : 503; };
  auto run = [&] {
    auto s = Shipper::Open(c);
    REQUIRE(s.ok());
    for (int i = 0; i < 50; ++i) {
      auto r = (*s)->Poll();
      if (!r.ok()) break;
    }
  };
  run();  // 3 batches, then failures: stopped mid-file
  REQUIRE(std::rename(path.c_str(), rotated.c_str()) == 0);
  allowed = 2;
  run();  // resumes the rotated file by its inode: 2 more batches, then stopped again
  allowed = 1000;
  run();  // and again, to its end
  // Every byte once: the acknowledged ranges tile the file.
  uint64_t covered = 0;
  for (const Push& p : g.Pushes()) {
    const size_t dash = p.range.find('-');
    const uint64_t start = std::stoull(p.range.substr(0, dash)), end = std::stoull(p.range.substr(dash + 1));
    if (start == covered) covered = end;  // answered 503 ones come again from the same start
  }
  CHECK(covered == std::filesystem::file_size(rotated));
}

TEST_CASE("shipper: the circuit breaker stops pushes until its cool-down, then a probe closes it") {
  FakeGnomond g;
  testing::TempDir dir;
  Append(dir.path() + "/app.log", Lines(0, 10));
  ShipConfig c = Config(g, dir);
  c.breaker_failures = 2;
  c.breaker_cooldown_ms = 300;
  std::atomic<bool> down{true};
  g.answer = [&down](int) { return down ? 503 : 204; };
  auto s = Shipper::Open(c);
  REQUIRE(s.ok());
  CHECK_FALSE((*s)->Poll().ok());
  CHECK_FALSE((*s)->Poll().ok());
  CHECK((*s)->Snapshot().breaker == notify::CircuitBreaker::State::kOpen);
  auto refused = (*s)->Poll();
  CHECK(refused.status().code() == Status::Code::kBusy);  // open: not even tried
  CHECK(g.Pushes().size() == 2);
  down = false;
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  REQUIRE(Drain(**s).ok());
  const ShipperSnapshot snap = (*s)->Snapshot();
  CHECK(snap.breaker == notify::CircuitBreaker::State::kClosed);
  CHECK(snap.breaker_opened == 1);
  CHECK(snap.counters.lines_shipped == 10);
}

TEST_CASE("shipper: after gnomond recovers, the backlog goes at the catch-up rate") {
  FakeGnomond g;
  testing::TempDir dir;
  Append(dir.path() + "/app.log", Lines(0, 2000));  // ~100 KB
  ShipConfig c = Config(g, dir);
  c.batch_size = 10'000;
  c.catch_up_rate = 200'000;  // bytes/s: ~0.5 s for the backlog
  g.answer = [](int n) { return n == 0 ? 503 : 204; };
  auto s = Shipper::Open(c);
  REQUIRE(s.ok());
  CHECK_FALSE((*s)->Poll().ok());
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(Drain(**s).ok());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK((*s)->Snapshot().counters.lines_shipped == 2000);
  CHECK(seconds >= 0.35);                     // ~100 KB at 200 KB/s, less the first batch
  CHECK_FALSE((*s)->Snapshot().catching_up);  // caught up: no bound any more
}

TEST_CASE("shipper: multi-line entries are held until the next one starts or the wait passes") {
  FakeGnomond g;
  testing::TempDir dir;
  const std::string path = dir.path() + "/app.log";
  ShipConfig c = Config(g, dir);
  c.multiline_firstline = "^ERROR|^INFO";
  c.multiline_max_wait_time_ms = 200;
  Append(path, "ERROR boom\n  at a()\n");
  auto s = Shipper::Open(c);
  REQUIRE(s.ok());
  REQUIRE(Drain(**s).ok());
  CHECK(g.Pushes().empty());  // the entry may go on
  Append(path, "  at b()\nINFO next\n");
  REQUIRE(Drain(**s).ok());
  auto pushes = g.Pushes();
  REQUIRE(pushes.size() == 1);
  CHECK(pushes[0].body["streams"][0]["values"][0][1] == "ERROR boom\n  at a()\n  at b()");
  CHECK(pushes[0].range == "0-29");
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  REQUIRE(Drain(**s).ok());
  pushes = g.Pushes();
  REQUIRE(pushes.size() == 2);
  CHECK(pushes[1].body["streams"][0]["values"][0][1] == "INFO next");
}

}  // namespace
}  // namespace gnomon::ship
