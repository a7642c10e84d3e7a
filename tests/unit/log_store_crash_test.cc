// Log store crash test: a forked child appends batches of lines (each batch's lines share one
// correlation ID) with small heads, so seals (records deleted, segment written) and background
// rewrites happen all the time, and reports each acknowledged batch; it is killed with SIGKILL at
// random moments over several rounds on the same data directory. After each kill another forked
// child reopens the store and checks that every acknowledged batch is there exactly once (no line
// lost, none replayed twice), and that every other batch is whole or absent. The parent never
// opens RocksDB itself.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "crash_rounds.h"
#include "gnomon/db.h"
#include "logs/log_store.h"
#include "test_util.h"

using namespace gnomon;

namespace {

constexpr int kLinesPerBatch = 12;
constexpr int64_t kT0 = int64_t{1'765'000'000} * 1'000'000'000;

logs::LogStoreOptions StoreOptions() {
  logs::LogStoreOptions o;
  o.segment_max_rows = 60;    // a seal every five batches
  o.compaction_delay_ms = 0;  // and background rewrites of every segment
  return o;
}

std::string Line(long batch, int j) {
  return "{\"msg\":\"step " + std::to_string(j) + "\",\"correlation_id\":\"b" + std::to_string(batch) + "\"}";
}

[[noreturn]] void WriterChild(const std::string& dir, long first, int out) {
  std::unique_ptr<DB> db;
  Options o;
  o.sync_mode = SyncMode::kAlways;  // an acknowledged Append is synced
  if (!DB::Open(o, dir, &db).ok()) ::_exit(2);
  auto store = logs::LogStore::Open(db.get(), StoreOptions());
  if (!store.ok()) ::_exit(3);
  for (long i = first;; ++i) {
    logs::LogBatch b;
    for (int s = 0; s < 2; ++s) {
      logs::LogStream stream;
      stream.labels = {{"service", s == 0 ? "api" : "db"}};
      for (int j = s; j < kLinesPerBatch; j += 2) stream.entries.push_back({kT0 + i * 1000 + j, Line(i, j), {}});
      b.streams.push_back(std::move(stream));
    }
    if (!(*store)->Append(b).ok()) ::_exit(4);
    std::string line = std::to_string(i) + "\n";
    if (::write(out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(5);
  }
}

int CheckerChild(const std::string& dir, const std::vector<long>& acked) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(Options(), dir, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.ToString().c_str());
    return 1;
  }
  logs::LogStoreOptions o = StoreOptions();
  o.compaction_level = 0;  // the checker only reads
  auto store = logs::LogStore::Open(db.get(), o);
  if (!store.ok()) {
    std::fprintf(stderr, "open store: %s\n", store.status().ToString().c_str());
    return 1;
  }
  for (long i : acked) {
    auto lines = (*store)->ByCorrelationId("b" + std::to_string(i), INT64_MIN, INT64_MAX, 1000);
    if (!lines.ok() || lines->size() != kLinesPerBatch) {
      std::fprintf(stderr, "acknowledged batch %ld: %s, %zu lines\n", i, lines.status().ToString().c_str(),
                   lines.ok() ? lines->size() : 0);
      return 1;
    }
    for (int j = 0; j < kLinesPerBatch; ++j) {
      if ((*lines)[j].line != Line(i, j)) {
        std::fprintf(stderr, "acknowledged batch %ld: line %d is %s\n", i, j, (*lines)[j].line.c_str());
        return 1;
      }
    }
  }
  // Every batch, acknowledged or not, is whole or absent: count the lines of each ID.
  std::map<std::string, int> per_id;
  s = (*store)->ForEach({}, INT64_MIN, INT64_MAX, false, [&](const logs::StoredLine& l) {
    const size_t at = l.line.find("\"correlation_id\":\"");
    per_id[at == std::string::npos ? "?" : l.line.substr(at + 18)]++;
    return true;
  });
  for (const auto& [id, n] : per_id) {
    if (n != kLinesPerBatch) {
      std::fprintf(stderr, "batch %s has %d lines\n", id.c_str(), n);
      return 1;
    }
  }
  if (!s.ok() || per_id.size() < acked.size()) {
    std::fprintf(stderr, "scan: %s, %zu batches\n", s.ToString().c_str(), per_id.size());
    return 1;
  }
  return 0;
}

}  // namespace

TEST_CASE("every acknowledged log batch survives SIGKILL at random moments, once, through seals and rewrites") {
  gnomon::testing::TempDir dir;
  // Batch numbers; each writer has its own range (a batch written but not acknowledged before the
  // kill must not be written again).
  std::vector<long> acked;
  const int kills = gnomon::testing::RunCrashRounds(
      {.seed = 20261207, .rounds = 12, .budget = std::chrono::seconds(60), .max_acks = 120},
      [&](int round, int fd) { WriterChild(dir.path(), long{round} * 1'000'000, fd); },
      [&](long ack) { acked.push_back(ack); }, [&] { return CheckerChild(dir.path(), acked); });
  MESSAGE(kills << " kills, " << acked.size() << " batches acknowledged");
  CHECK(kills >= 8);
  CHECK(acked.size() > 50);
}
