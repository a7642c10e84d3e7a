// Keyspace crash test: a forked child writes keys to a keyspace with sync (single Puts and atomic
// batches) and reports each acknowledged write; it is killed with SIGKILL at random moments over
// several rounds on the same data directory. After each kill another forked child reopens the
// engine and checks that every acknowledged key is there with its value and that no batch is
// half-applied. The parent never opens RocksDB itself, so each child starts from a process with
// no RocksDB threads.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "crash_rounds.h"
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

// The checker: 0 if every write up to `last_acked` is present and batches are whole.
int CheckerChild(const std::string& dir, long last_acked) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(Options(), dir, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.ToString().c_str());
    return 1;
  }
  auto ks = storage::OpenKeyspace(db.get(), "crash_keys");
  if (!ks.ok()) return 1;
  for (long i = 0; i <= last_acked; ++i) {
    std::string v;
    s = (*ks)->Get(Key(i), &v);
    if (!s.ok() || v != Value(i)) {
      std::fprintf(stderr, "acknowledged key %ld: %s\n", i, s.ok() ? "wrong value" : s.ToString().c_str());
      return 1;
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
    return 1;
  }
  return 0;
}

}  // namespace

TEST_CASE("every acknowledged keyspace write survives SIGKILL at random moments") {
  gnomon::testing::TempDir dir;
  long last_acked = -1;
  const int kills = gnomon::testing::RunCrashRounds(
      {.seed = 20261204, .rounds = 15, .budget = std::chrono::seconds(60), .max_acks = 300},
      [&](int, int fd) { WriterChild(dir.path(), last_acked + 1, fd); }, [&](long ack) { last_acked = ack; },
      [&] { return CheckerChild(dir.path(), last_acked); });
  MESSAGE(kills << " kills, " << last_acked + 1 << " writes acknowledged");
  CHECK(kills >= 10);
  CHECK(last_acked > 100);
}
