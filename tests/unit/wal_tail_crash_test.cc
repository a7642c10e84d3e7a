// WAL consumer crash test: a forked child writes batches (small WAL segments, so rotations and
// trims are frequent; a Flush every 40 batches seals everything, so the consumer alone keeps old
// segments), reads them back as consumer "fwd" and acknowledges (synced) every few batches what it
// had read some batches before, and is
// killed with SIGKILL at random moments over several rounds on the same data directory. After each
// kill a checker child reopens the engine and checks that (1) every acknowledged write is in the
// engine although recovery skipped the segments kept only for the consumer, and (2) the consumer,
// reading from its acknowledged position, finds a whole, gapless run of batches up to the last
// acknowledged write, with no segment skipped. Then the checker acknowledges what it read, as a
// forwarder restarting would.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "crash_rounds.h"
#include "gnomon/db.h"
#include "storage/wal_tail.h"
#include "test_util.h"

using namespace gnomon;

namespace {

constexpr int kSeries = 5;

Options TestOptions() {
  Options o;
  o.wal_segment_bytes = 1024;  // about ten batches
  o.sync_mode = SyncMode::kAlways;
  return o;
}

// Batch i: kSeries series "wt{s=<j>}", one sample at time i with value i * 10 + j.
WriteBatch Batch(long i) {
  WriteBatch b;
  for (int j = 0; j < kSeries; ++j) {
    b.Add(Labels{{"__name__", "wt"}, {"s", std::to_string(j)}}, i, static_cast<double>(i * 10 + j));
  }
  return b;
}

[[noreturn]] void WriterChild(const std::string& dir, long first, int out) {
  std::unique_ptr<DB> db;
  if (!DB::Open(TestOptions(), dir, &db).ok()) ::_exit(2);
  auto tail = storage::OpenWalTail(db.get(), "fwd");
  if (!tail.ok()) ::_exit(3);
  storage::WalReadStats stats;
  // It acknowledges what it had read three rounds before (about 20 batches, two segments), so the
  // Flushes find segments that only the consumer still needs.
  std::vector<storage::WalPosition> read_at;
  for (long i = first;; ++i) {
    if (!db->Write(Batch(i)).ok()) ::_exit(4);
    std::string line = std::to_string(i) + "\n";
    if (::write(out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(5);
    if (i % 40 == 39 && !db->Flush().ok()) ::_exit(6);
    if (i % 7 == 0) {
      while ((*tail)->position() < (*tail)->end()) {
        if (!(*tail)->Read(1 << 16, [](uint64_t, std::span<const Sample>) {}, &stats).ok()) ::_exit(7);
      }
      if (stats.skipped_segments > 0) ::_exit(8);
      read_at.push_back((*tail)->position());
      if (read_at.size() > 3) {
        if (!(*tail)->Acknowledge(read_at[read_at.size() - 4], /*sync=*/true).ok()) ::_exit(9);
      }
    }
  }
}

int CheckerChild(const std::string& dir, long last_acked) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(TestOptions(), dir, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.ToString().c_str());
    return 1;
  }
  // (1) The engine holds every acknowledged batch.
  auto set = db->Select({Matcher::Equal("__name__", "wt")}, INT64_MIN, INT64_MAX);
  if (!set.ok()) return 1;
  int series = 0;
  while ((*set)->Next()) {
    ++series;
    long expect = 0;
    for (auto* it = (*set)->samples(); it->Next(); ++expect) {
      if (it->At().timestamp != expect) break;
    }
    if (expect <= last_acked) {
      std::fprintf(stderr, "engine: batch %ld lost (last acknowledged %ld)\n", expect, last_acked);
      return 1;
    }
  }
  if (last_acked >= 0 && series != kSeries) return 1;
  // (2) The consumer resumes at a record boundary and reads a gapless run up to the end.
  auto tail = storage::OpenWalTail(db.get(), "fwd");
  if (!tail.ok()) return 1;
  std::map<uint64_t, std::vector<int64_t>> seen;
  storage::WalReadStats stats;
  for (int round = 0; round < 100000 && (*tail)->position() < (*tail)->end(); ++round) {
    s = (*tail)->Read(1 << 16, [&](uint64_t ref, std::span<const Sample> samples) {
      for (const Sample& x : samples) seen[ref].push_back(x.timestamp);
    }, &stats);
    if (!s.ok()) {
      std::fprintf(stderr, "consumer read: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  if (stats.skipped_segments > 0) {
    std::fprintf(stderr, "consumer skipped %zu segments\n", stats.skipped_segments);
    return 1;
  }
  for (const auto& [ref, ts] : seen) {
    for (size_t k = 1; k < ts.size(); ++k) {
      if (ts[k] != ts[k - 1] + 1) {
        std::fprintf(stderr, "consumer: series %lu jumps from %ld to %ld\n", static_cast<unsigned long>(ref),
                     static_cast<long>(ts[k - 1]), static_cast<long>(ts[k]));
        return 1;
      }
    }
    if (!ts.empty() && ts.back() < last_acked) {
      std::fprintf(stderr, "consumer: series %lu ends at %ld, last acknowledged write %ld\n",
                   static_cast<unsigned long>(ref), static_cast<long>(ts.back()), last_acked);
      return 1;
    }
  }
  // What the checker read is handled: the next round starts after it, as a restarted forwarder.
  return (*tail)->Acknowledge((*tail)->position(), /*sync=*/true).ok() ? 0 : 1;
}

}  // namespace

TEST_CASE("a WAL consumer's acknowledged position and the segments it needs survive SIGKILL") {
  gnomon::testing::TempDir dir;
  long last_acked = -1;
  const int kills = gnomon::testing::RunCrashRounds(
      {.seed = 20261208, .rounds = 12, .budget = std::chrono::seconds(45), .max_acks = 200},
      [&](int, int fd) { WriterChild(dir.path(), last_acked + 1, fd); }, [&](long ack) { last_acked = ack; },
      [&] { return CheckerChild(dir.path(), last_acked); });
  MESSAGE(kills << " kills, " << last_acked + 1 << " batches acknowledged");
  CHECK(kills >= 8);
  CHECK(last_acked > 100);
}
