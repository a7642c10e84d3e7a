// Crash rounds for the SIGKILL tests: each round forks a writer child that reports every
// acknowledged operation as a decimal number and a newline on a pipe, lets it acknowledge a random
// number of operations (none in every fourth round: a kill during open and recovery), SIGKILLs it
// at a random moment, reads the acknowledgements already in the pipe (they were acknowledged
// before the kill), then forks a checker child that reopens the data and exits 0 when everything
// acknowledged is there. The parent never opens the storage itself, so each child starts from a
// process without storage threads. Header-only, for doctest test cases.
#pragma once

#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>

namespace gnomon::testing {

struct CrashRounds {
  uint32_t seed = 1;
  int rounds = 15;
  std::chrono::seconds budget{60};  // no round starts after this
  int max_acks = 300;               // a round waits for 1..max_acks acknowledgements
};

// Runs the rounds; `writer(round, fd)` runs in the child and writes acknowledgements to `fd` (it
// must not return), `on_ack(n)` sees each one in the parent, `checker()` runs in a child after each
// kill and returns its exit status. Returns how many writers were killed.
inline int RunCrashRounds(const CrashRounds& c, const std::function<void(int round, int fd)>& writer,
                          const std::function<void(long ack)>& on_ack, const std::function<int()>& checker) {
  std::mt19937 rng(c.seed);
  int kills = 0;
  const auto deadline = std::chrono::steady_clock::now() + c.budget;
  for (int round = 0; round < c.rounds && std::chrono::steady_clock::now() < deadline; ++round) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(fds[0]);
      writer(round, fds[1]);
      ::_exit(99);  // a writer does not return
    }
    ::close(fds[1]);
    const int want = (round % 4 == 0) ? 0 : static_cast<int>(rng() % static_cast<uint32_t>(c.max_acks)) + 1;
    std::string pending;
    auto read_acks = [&](int count, int max_ms) {
      char buf[4096];
      for (int got = 0; got < count;) {
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, max_ms) <= 0) break;
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;
        pending.append(buf, static_cast<size_t>(n));
        for (size_t nl; (nl = pending.find('\n')) != std::string::npos; ++got) {
          on_ack(std::stol(pending.substr(0, nl)));
          pending.erase(0, nl + 1);
        }
      }
    };
    read_acks(want, 5000);
    ::usleep(rng() % 3000);
    ::kill(child, SIGKILL);
    read_acks(1 << 30, 200);  // acks already in the pipe were acknowledged before the kill
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(fds[0]);
    REQUIRE_MESSAGE(WIFSIGNALED(status), "writer exited on its own, status " << status);
    ++kills;

    const pid_t check = ::fork();
    REQUIRE(check >= 0);
    if (check == 0) ::_exit(checker());
    int checked = 0;
    ::waitpid(check, &checked, 0);
    REQUIRE_MESSAGE((WIFEXITED(checked) && WEXITSTATUS(checked) == 0),
                    "round " << round << ": check after the kill failed");
  }
  return kills;
}

}  // namespace gnomon::testing
