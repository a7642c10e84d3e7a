// Crash test: a writer process (tools/gnomon_crash_writer.cc) is killed with SIGKILL at random
// moments, 25 times over the same data directory; after each kill the engine is reopened and
// every acknowledged batch must be there, exactly.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <string>

#include "gnomon/db.h"
#include "test_util.h"

using namespace gnomon;

namespace {

struct Writer {
  pid_t pid = -1;
  int out = -1;
};

Writer Spawn(const std::string& dir, long first) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  Writer w;
  w.pid = ::fork();
  REQUIRE(w.pid >= 0);
  if (w.pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    std::string bin = gnomon::testing::BuildDir() + "/gnomon_crash_writer";
    std::string first_s = std::to_string(first);
    ::execl(bin.c_str(), bin.c_str(), dir.c_str(), first_s.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  w.out = fds[0];
  return w;
}

// Reads acknowledged batch numbers from the writer until `want` more arrived or `max_ms` passed.
long ReadAcks(int fd, long last, int want, int max_ms, std::string* pending) {
  char buf[4096];
  int got = 0;
  while (got < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, max_ms) <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    pending->append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending->find('\n')) != std::string::npos) {
      last = std::stol(pending->substr(0, nl));
      pending->erase(0, nl + 1);
      ++got;
    }
  }
  return last;
}

}  // namespace

TEST_CASE("every acknowledged write survives SIGKILL at random moments") {
  gnomon::testing::TempDir dir;
  std::mt19937 rng(20261125);
  long last_acked = -1;
  int kills = 0;
  for (int round = 0; round < 25; ++round) {
    Writer w = Spawn(dir.path(), last_acked + 1);
    std::string pending;
    // Sometimes kill almost at once (during open and WAL replay), sometimes mid-stream.
    int want = (round % 4 == 0) ? 0 : static_cast<int>(rng() % 400) + 1;
    long acked = ReadAcks(w.out, last_acked, want, 5000, &pending);
    ::usleep(rng() % 3000);
    ::kill(w.pid, SIGKILL);
    // Acks already in the pipe were acknowledged before the kill: count them too.
    acked = ReadAcks(w.out, acked, 1 << 30, 200, &pending);
    int status = 0;
    ::waitpid(w.pid, &status, 0);
    ::close(w.out);
    REQUIRE_MESSAGE(WIFSIGNALED(status), "writer exited on its own, status " << status);
    ++kills;
    last_acked = acked;

    std::unique_ptr<DB> db;
    Status s = DB::Open(Options(), dir.path(), &db);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    auto set = db->Select({Matcher::Equal("__name__", "crash_metric")}, INT64_MIN, INT64_MAX);
    REQUIRE(set.ok());
    int series_seen = 0;
    while ((*set)->Next()) {
      int series = std::stoi((*set)->labels()[1].value);
      std::map<int64_t, double> got;
      for (auto* it = (*set)->samples(); it->Next();) got[it->At().timestamp] = it->At().value;
      // Every sample of every acknowledged batch is checked; the first problem is reported (one
      // REQUIRE per series rather than per sample keeps this fast under ASan).
      std::string problem;
      for (long i = 0; i <= last_acked && problem.empty(); ++i) {
        for (int j = 0; j < 10 && problem.empty(); ++j) {
          auto f = got.find(i * 10 + j);
          if (f == got.end()) {
            problem = "batch " + std::to_string(i) + " lost";
          } else if (f->second != static_cast<double>(i * 1000 + series * 10 + j)) {
            problem = "batch " + std::to_string(i) + " sample " + std::to_string(j) + " has a wrong value";
          }
        }
        if (i % 5 == 0 && problem.empty()) {
          auto b = got.find(-i - 1);
          if (b == got.end()) {
            problem = "backfill of batch " + std::to_string(i) + " lost";
          } else if (b->second != static_cast<double>(i)) {
            problem = "backfill of batch " + std::to_string(i) + " has a wrong value";
          }
        }
      }
      REQUIRE_MESSAGE(problem.empty(), "round " << round << ", series " << series << ": " << problem);
      ++series_seen;
    }
    REQUIRE((*set)->status().ok());
    if (last_acked >= 0) REQUIRE(series_seen == 20);
  }
  CHECK(kills >= 20);
  CHECK(last_acked > 100);  // the writer made real progress across the rounds
}
