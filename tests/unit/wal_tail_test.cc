// WAL consumers (storage/wal_tail.h): a consumer reads every acknowledged batch in write order
// with its series' labels, across segment rotations and reopen; it resumes where it acknowledged;
// the segments it still needs stay on disk after the head sealed them, without recovery replaying
// them; the retention cap deletes the oldest anyway and the consumer counts what it skipped; a
// dropped consumer pins nothing.
#include "storage/wal_tail.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "gnomon/db.h"
#include "test_util.h"

namespace gnomon::storage {
namespace {

using gnomon::testing::TempDir;

Options SmallSegments() {
  Options o;
  o.wal_segment_bytes = 4096;  // a rotation every few batches
  return o;
}

std::unique_ptr<DB> OpenDB(const std::string& dir, const Options& o) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(o, dir, &db);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return db;
}

// Batch b: 20 series "m{s=<i>}", one sample each at time b (ms), value b * 100 + i.
void WriteBatches(DB* db, int first, int count) {
  for (int b = first; b < first + count; ++b) {
    WriteBatch batch;
    for (int i = 0; i < 20; ++i) {
      batch.Add(Labels{{"__name__", "m"}, {"s", std::to_string(i)}}, b, b * 100.0 + i);
    }
    REQUIRE(db->Write(batch).ok());
  }
}

// What a consumer read: "s=<i>" -> samples, in read order.
using Seen = std::map<std::string, std::vector<Sample>>;

WalReadStats ReadAll(WalTail* tail, Seen* seen) {
  WalReadStats stats;
  for (int round = 0; round < 10000 && tail->position() < tail->end(); ++round) {
    Status s = tail->Read(1000, [&](uint64_t ref, std::span<const Sample> samples) {
      Labels labels;
      REQUIRE(tail->LabelsOf(ref, &labels).ok());
      REQUIRE(labels.size() == 2);
      auto& out = (*seen)[labels[0].name + "=" + labels[0].value + "," + labels[1].name + "=" + labels[1].value];
      out.insert(out.end(), samples.begin(), samples.end());
    }, &stats);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
  }
  CHECK(tail->position() == tail->end());
  return stats;
}

// Checks that `seen` holds exactly batches [first, first + count) for all 20 series, in order.
void CheckBatches(const Seen& seen, int first, int count) {
  REQUIRE(seen.size() == 20);
  for (int i = 0; i < 20; ++i) {
    const auto it = seen.find("__name__=m,s=" + std::to_string(i));
    REQUIRE(it != seen.end());
    REQUIRE(it->second.size() == static_cast<size_t>(count));
    for (int k = 0; k < count; ++k) {
      CHECK(it->second[k].timestamp == first + k);
      CHECK(it->second[k].value == (first + k) * 100.0 + i);
    }
  }
}

size_t WalFiles(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/wal")) n += e.is_regular_file() ? 1 : 0;
  return n;
}

TEST_CASE("a consumer reads every batch from its registration on, across rotations, and resumes where it acknowledged") {
  TempDir dir;
  auto db = OpenDB(dir.path(), SmallSegments());
  WriteBatches(db.get(), 0, 5);  // before the consumer: not for it
  auto tail = OpenWalTail(db.get(), "fwd");
  REQUIRE(tail.ok());
  CHECK((*tail)->position() == (*tail)->end());
  WriteBatches(db.get(), 5, 60);
  Seen seen;
  WalReadStats stats = ReadAll(tail->get(), &seen);
  CheckBatches(seen, 5, 60);
  CHECK(stats.samples == 60 * 20);
  CHECK(stats.skipped_segments == 0);
  CHECK((*tail)->position().segment > (*tail)->acknowledged().segment);  // it crossed rotations

  // Acknowledge the first 30 batches' position only: reopening resumes there.
  (*tail)->Seek((*tail)->acknowledged());
  seen.clear();
  WalReadStats half;
  while (half.records < 30) {
    REQUIRE((*tail)->Read(1, [](uint64_t, std::span<const Sample>) {}, &half).ok());
  }
  REQUIRE((*tail)->Acknowledge((*tail)->position()).ok());
  tail->reset();
  db.reset();

  db = OpenDB(dir.path(), SmallSegments());
  tail = OpenWalTail(db.get(), "fwd");
  REQUIRE(tail.ok());
  WriteBatches(db.get(), 65, 5);
  ReadAll(tail->get(), &seen);
  CheckBatches(seen, 35, 35);  // batches 35..69: nothing acknowledged is read again
}

TEST_CASE("segments a consumer needs outlive sealing, recovery does not replay them, and a dropped consumer frees them") {
  TempDir dir;
  auto db = OpenDB(dir.path(), SmallSegments());
  auto tail = OpenWalTail(db.get(), "fwd");
  REQUIRE(tail.ok());
  WriteBatches(db.get(), 0, 40);
  REQUIRE(db->Flush().ok());  // everything sealed: recovery needs no segment
  CHECK(WalFiles(dir.path()) > 3);
  tail->reset();
  db.reset();

  db = OpenDB(dir.path(), SmallSegments());
  CHECK(db->GetStats().head_samples == 0);  // the kept segments were not replayed
  tail = OpenWalTail(db.get(), "fwd");
  REQUIRE(tail.ok());
  Seen seen;
  ReadAll(tail->get(), &seen);
  CheckBatches(seen, 0, 40);

  REQUIRE(DropWalConsumer(db.get(), "fwd").ok());
  REQUIRE(db->Flush().ok());
  CHECK(WalFiles(dir.path()) == 1);  // only the current segment
}

TEST_CASE("past max_wal_retained_bytes the oldest segments go and the consumer skips them, counted") {
  TempDir dir;
  Options o = SmallSegments();
  o.max_wal_retained_bytes = 3 * 4096;
  auto db = OpenDB(dir.path(), o);
  auto tail = OpenWalTail(db.get(), "fwd");
  REQUIRE(tail.ok());
  WriteBatches(db.get(), 0, 80);
  REQUIRE(db->Flush().ok());
  Seen seen;
  WalReadStats stats = ReadAll(tail->get(), &seen);
  CHECK(stats.skipped_segments > 0);
  // What it read is the newest batches, complete and in order.
  REQUIRE(seen.size() == 20);
  const auto& one = seen.begin()->second;
  REQUIRE(!one.empty());
  CHECK(one.back().timestamp == 79);
  CHECK(one.size() < 80);
  for (size_t k = 1; k < one.size(); ++k) CHECK(one[k].timestamp == one[k - 1].timestamp + 1);
}

TEST_CASE("a damaged record fails the read without passing anything on; the segment can be given up") {
  TempDir dir;
  auto db = OpenDB(dir.path(), SmallSegments());
  auto tail = OpenWalTail(db.get(), "fwd");
  REQUIRE(tail.ok());
  const WalPosition start = (*tail)->position();
  WriteBatches(db.get(), 0, 60);
  REQUIRE(db->Flush().ok());
  {
    // Flip a payload byte of the first record of the consumer's first segment.
    const std::string path = dir.path() + "/wal/" + std::string(8 - std::to_string(start.segment).size(), '0') +
                             std::to_string(start.segment);
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f.good());
    f.seekp(static_cast<std::streamoff>(start.offset + 20));
    f.put('\x7f');
  }
  size_t passed = 0;
  WalReadStats stats;
  Status s = (*tail)->Read(1 << 20, [&](uint64_t, std::span<const Sample>) { ++passed; }, &stats);
  CHECK(s.code() == Status::Code::kCorruption);
  CHECK(passed == 0);
  CHECK((*tail)->position() == start);
  (*tail)->SkipSegment(&stats);
  CHECK(stats.skipped_segments == 1);
  Seen seen;
  ReadAll(tail->get(), &seen);
  REQUIRE(seen.size() == 20);
  CHECK(seen.begin()->second.back().timestamp == 59);  // the rest of the log is read
}

TEST_CASE("consumers are listed and dropped") {
  TempDir dir;
  auto db = OpenDB(dir.path(), Options());
  REQUIRE(OpenWalTail(db.get(), "b").ok());
  REQUIRE(OpenWalTail(db.get(), "a").ok());
  CHECK(*ListWalConsumers(db.get()) == std::vector<std::string>{"a", "b"});
  REQUIRE(DropWalConsumer(db.get(), "a").ok());
  CHECK(*ListWalConsumers(db.get()) == std::vector<std::string>{"b"});
}

TEST_CASE("consumer names are checked; an in-memory database has no log to read") {
  TempDir dir;
  auto db = OpenDB(dir.path(), Options());
  CHECK(OpenWalTail(db.get(), "Bad-Name").status().code() == Status::Code::kInvalidArgument);
  Options mem;
  mem.in_memory = true;
  auto scratch = OpenDB(dir.path() + "/mem", mem);
  CHECK(OpenWalTail(scratch.get(), "fwd").status().code() == Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace gnomon::storage
