// Outbox crash test: a forked child enqueues notifications, one by one or in batches of 50 (the
// outbox syncs each write, though the engine's own SyncMode is kNever) and reports each
// acknowledged one; it is killed with SIGKILL at random moments over several rounds on one data
// directory. After each kill a forked checker reopens the outbox and finds every acknowledged
// notification, in order, and only whole batches. The parent never opens
// RocksDB itself, so every child forks from a process without RocksDB's threads.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "gnomon/db.h"
#include "notify/outbox.h"
#include "test_util.h"

using namespace gnomon;
using notify::Notification;
using notify::Outbox;

namespace {

constexpr size_t kNoLimit = size_t{1} << 40;  // the size limit is not under test here

// Enqueues "n<i>" for i = first, first+1, ... and reports each acknowledged i; with batch > 1,
// `batch` at a time in one EnqueueBatch, reporting the last of each acknowledged batch.
[[noreturn]] void EnqueueChild(const std::string& dir, long first, int out, long batch) {
  std::unique_ptr<DB> db;
  Options o;
  o.sync_mode = SyncMode::kNever;  // the outbox's own sync must be enough
  if (!DB::Open(o, dir, &db).ok()) ::_exit(2);
  auto outbox = Outbox::Open(db.get(), {.max_per_receiver = kNoLimit});
  if (!outbox.ok()) ::_exit(3);
  for (long i = first;; i += batch) {
    std::vector<notify::OutboxItem> items;
    for (long j = i; j < i + batch; ++j) {
      Notification n;
      n.created_ms = j;
      n.alert_key = "k";
      n.payload = "n" + std::to_string(j);
      items.push_back({"r", std::move(n)});
    }
    if (batch == 1 && !(*outbox)->Enqueue("r", items[0].notification).ok()) ::_exit(4);
    if (batch > 1 && !(*outbox)->EnqueueBatch(items).ok()) ::_exit(4);
    std::string line = std::to_string(i + batch - 1) + "\n";
    if (::write(out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(5);
  }
}

// Reopens and checks 0 .. last_acked are queued in order, and only whole batches; writes the
// queue's length to `out`. Exit status 0 when all are there. A child, so the parent never starts
// RocksDB's threads.
[[noreturn]] void CheckChild(const std::string& dir, long last_acked, int out, long batch) {
  std::unique_ptr<DB> db;
  if (!DB::Open(Options(), dir, &db).ok()) ::_exit(2);
  auto outbox = Outbox::Open(db.get(), {.max_per_receiver = kNoLimit});
  if (!outbox.ok()) ::_exit(3);
  auto all = (*outbox)->Peek("r", SIZE_MAX);
  if (!all.ok() || (*outbox)->Depth("r") != all->size()) ::_exit(4);
  // One more (batch) than acknowledged may be there: written, not yet reported.
  if (static_cast<long>(all->size()) < last_acked + 1) ::_exit(5);
  if (static_cast<long>(all->size()) % batch != 0) ::_exit(8);  // a batch is all or nothing
  for (long i = 0; i < static_cast<long>(all->size()); ++i) {
    if ((*all)[static_cast<size_t>(i)].notification.payload != "n" + std::to_string(i)) ::_exit(6);
  }
  std::string line = std::to_string(all->size()) + "\n";
  if (::write(out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(7);
  db.reset();
  ::_exit(0);
}

// Rounds of: a child enqueues (`batch` at a time), is killed at a random moment, a checker finds
// every acknowledged notification.
void KillRounds(long batch) {
  testing::TempDir dir;
  std::mt19937 rng(42);
  long next = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (int round = 0; round < 6 && std::chrono::steady_clock::now() < deadline; ++round) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      EnqueueChild(dir.path(), next, fds[1], batch);
    }
    ::close(fds[1]);
    // Let it run for a random moment, reading what it acknowledged, then kill it.
    const auto stop = std::chrono::steady_clock::now() + std::chrono::milliseconds(50 + rng() % 300);
    std::string acked_text;
    char buf[4096];
    while (std::chrono::steady_clock::now() < stop) {
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, 10) > 0) {
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;
        acked_text.append(buf, static_cast<size_t>(n));
      }
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) acked_text.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    long last_acked = next - 1;
    for (size_t pos = 0, nl; (nl = acked_text.find('\n', pos)) != std::string::npos; pos = nl + 1) {
      last_acked = std::stol(acked_text.substr(pos, nl - pos));
    }
    int check[2];
    REQUIRE(::pipe(check) == 0);
    pid_t checker = ::fork();
    REQUIRE(checker >= 0);
    if (checker == 0) {
      ::close(check[0]);
      CheckChild(dir.path(), last_acked, check[1], batch);
    }
    ::close(check[1]);
    std::string count;
    for (ssize_t n; (n = ::read(check[0], buf, sizeof buf)) > 0;) count.append(buf, static_cast<size_t>(n));
    ::close(check[0]);
    int check_status = 0;
    ::waitpid(checker, &check_status, 0);
    CAPTURE(round);
    CAPTURE(last_acked);
    REQUIRE(WIFEXITED(check_status));
    REQUIRE(WEXITSTATUS(check_status) == 0);
    next = std::stol(count);
    CHECK(next >= last_acked + 1);
  }
  MESSAGE(next << " notifications acknowledged and found over the rounds (batches of " << batch << ")");
  CHECK(next > 0);
}

}  // namespace

TEST_CASE("outbox: every acknowledged enqueue survives SIGKILL, in order") { KillRounds(1); }

TEST_CASE("outbox: every acknowledged EnqueueBatch survives SIGKILL whole, in order; none is half there") {
  KillRounds(50);
}
