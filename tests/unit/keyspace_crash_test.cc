// Keyspace crash test: a forked child writes keys to a keyspace with sync (single Puts and atomic
// batches) and reports each acknowledged write; it is killed with SIGKILL at random moments over
// several rounds on the same data directory. After each kill another forked child reopens the
// engine and checks that every acknowledged key is there with its value and that no batch is
// half-applied. The parent never opens RocksDB itself, so each child starts from a process with
// no RocksDB threads.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "gnomon/db.h"
#include "storage/keyspace.h"
#include "test_util.h"

using namespace gnomon;

namespace {

std::string Key(long i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "k/%09ld", i);
  return buf;
}
std::string PairKey(long i) { return "pair/" + std::to_string(i); }
std::string Value(long i) { return "value-" + std::to_string(i) + std::string(static_cast<size_t>(i % 50), 'x'); }

// The writer: writes i = first, first+1, ... forever; every 4th is an atomic batch of two keys.
[[noreturn]] void WriterChild(const std::string& dir, long first, int out) {
  std::unique_ptr<DB> db;
  Options o;
  o.sync_mode = SyncMode::kNever;  // the per-write sync below must be enough
  if (!DB::Open(o, dir, &db).ok()) ::_exit(2);
  auto ks = storage::OpenKeyspace(db.get(), "crash_keys");
  if (!ks.ok()) ::_exit(3);
  for (long i = first;; ++i) {
    Status s;
    if (i % 4 == 0) {
      storage::KeyspaceBatch b;
      b.Put(Key(i), Value(i));
      b.Put(PairKey(i), Value(i));
      s = (*ks)->Write(b, {.sync = true});
    } else {
      s = (*ks)->Put(Key(i), Value(i), {.sync = true});
    }
    if (!s.ok()) ::_exit(4);
    std::string line = std::to_string(i) + "\n";
    if (::write(out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(5);
  }
}

// The checker: exit status 0 if every write up to `last_acked` is present and batches are whole.
[[noreturn]] void CheckerChild(const std::string& dir, long last_acked) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(Options(), dir, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.ToString().c_str());
    ::_exit(1);
  }
  auto ks = storage::OpenKeyspace(db.get(), "crash_keys");
  if (!ks.ok()) ::_exit(1);
  for (long i = 0; i <= last_acked; ++i) {
    std::string v;
    s = (*ks)->Get(Key(i), &v);
    if (!s.ok() || v != Value(i)) {
      std::fprintf(stderr, "acknowledged key %ld: %s\n", i, s.ok() ? "wrong value" : s.ToString().c_str());
      ::_exit(1);
    }
  }
  // Every batch, acknowledged or not, is all or nothing.
  long keys = 0, problems = 0;
  s = (*ks)->ScanPrefix("k/", [&](std::string_view k, std::string_view) {
    const long i = std::stol(std::string(k.substr(2)));
    ++keys;
    std::string v;
    if (i % 4 == 0 && !(*ks)->Get(PairKey(i), &v).ok()) ++problems;
    return true;
  });
  if (!s.ok() || problems > 0 || keys < last_acked + 1) {
    std::fprintf(stderr, "scan: %s, %ld half-applied batches, %ld keys\n", s.ToString().c_str(), problems, keys);
    ::_exit(1);
  }
  ::_exit(0);
}

int WaitExit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace

TEST_CASE("every acknowledged keyspace write survives SIGKILL at random moments") {
  gnomon::testing::TempDir dir;
  std::mt19937 rng(20261204);
  long last_acked = -1;
  int kills = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int round = 0; round < 15 && std::chrono::steady_clock::now() < deadline; ++round) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t writer = ::fork();
    REQUIRE(writer >= 0);
    if (writer == 0) {
      ::close(fds[0]);
      WriterChild(dir.path(), last_acked + 1, fds[1]);
    }
    ::close(fds[1]);
    // Sometimes kill almost at once (during open), sometimes after a few hundred writes.
    const int want = (round % 4 == 0) ? 0 : static_cast<int>(rng() % 300) + 1;
    std::string pending;
    auto read_acks = [&](int count, int max_ms) {
      char buf[4096];
      for (int got = 0; got < count;) {
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, max_ms) <= 0) break;
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;
        pending.append(buf, static_cast<size_t>(n));
        for (size_t nl; (nl = pending.find('\n')) != std::string::npos; ++got) {
          last_acked = std::stol(pending.substr(0, nl));
          pending.erase(0, nl + 1);
        }
      }
    };
    read_acks(want, 5000);
    ::usleep(rng() % 3000);
    ::kill(writer, SIGKILL);
    read_acks(1 << 30, 200);  // acks already in the pipe were acknowledged before the kill
    const int status = WaitExit(writer);
    ::close(fds[0]);
    REQUIRE_MESSAGE(WIFSIGNALED(status), "writer exited on its own, status " << status);
    ++kills;

    const pid_t checker = ::fork();
    REQUIRE(checker >= 0);
    if (checker == 0) CheckerChild(dir.path(), last_acked);
    const int check = WaitExit(checker);
    REQUIRE_MESSAGE((WIFEXITED(check) && WEXITSTATUS(check) == 0),
                    "round " << round << ": check after the kill failed (last acknowledged " << last_acked << ")");
  }
  MESSAGE(kills << " kills, " << last_acked + 1 << " writes acknowledged");
  CHECK(kills >= 10);
  CHECK(last_acked > 100);
}
