// Durability failures: a WAL append or sync that fails (injected through the WAL's test hook, or a
// real full disk on a small tmpfs) is refused with kNoSpace / kIOError, counted in Stats, makes
// the engine report itself not writable, loses nothing acknowledged before, leaves no torn record
// in front of later writes, and clears by itself once writes can succeed again.
#include <doctest/doctest.h>
#include <sys/mount.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "gnomon/db.h"
#include "storage/wal/wal.h"
#include "test_util.h"

using namespace gnomon;
using gnomon::testing::TempDir;

namespace {

std::atomic<int> write_errno{0};
std::atomic<int> sync_errno{0};

int Fault(storage::WalOp op) { return op == storage::WalOp::kWrite ? write_errno.load() : sync_errno.load(); }

// Installs the fault hook for one test; faults start off.
struct FaultScope {
  FaultScope() {
    write_errno = 0;
    sync_errno = 0;
    storage::SetWalFaultHookForTesting(&Fault);
  }
  ~FaultScope() { storage::SetWalFaultHookForTesting(nullptr); }
};

std::unique_ptr<DB> OpenDB(const std::string& dir, const Options& o) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(o, dir, &db);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return db;
}

// Batch i: 10 series, timestamps i*10 .. i*10+4, values i*100 + series*10 + j.
WriteBatch Batch(long i) {
  WriteBatch b;
  for (int series = 0; series < 10; ++series) {
    Labels labels = {{"__name__", "fail_metric"}, {"series", std::to_string(series)}};
    for (int j = 0; j < 5; ++j) b.Add(labels, i * 10 + j, static_cast<double>(i * 100 + series * 10 + j));
  }
  return b;
}

// Checks that every batch in `acked` is stored exactly and no batch in `refused` is.
void CheckBatches(DB* db, const std::vector<long>& acked, const std::vector<long>& refused) {
  auto set = db->Select({Matcher::Equal("__name__", "fail_metric")}, INT64_MIN, INT64_MAX);
  REQUIRE(set.ok());
  int series_seen = 0;
  while ((*set)->Next()) {
    std::map<int64_t, double> got;
    for (auto* it = (*set)->samples(); it->Next();) got[it->At().timestamp] = it->At().value;
    const int series = std::stoi((*set)->labels()[1].value);
    std::string problem;
    for (long i : acked) {
      for (int j = 0; j < 5 && problem.empty(); ++j) {
        auto f = got.find(i * 10 + j);
        if (f == got.end() || f->second != static_cast<double>(i * 100 + series * 10 + j)) {
          problem = "acknowledged batch " + std::to_string(i) + " lost or wrong";
        }
      }
    }
    for (long i : refused) {
      if (got.count(i * 10)) problem = "refused batch " + std::to_string(i) + " was stored";
    }
    REQUIRE_MESSAGE(problem.empty(), "series " << series << ": " << problem);
    ++series_seen;
  }
  REQUIRE((*set)->status().ok());
  CHECK(series_seen == 10);
}

template <typename Pred>
bool WaitFor(Pred pred, int max_ms) {
  for (int waited = 0; waited < max_ms; waited += 10) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace

TEST_CASE("a WAL append failing with ENOSPC half-way is refused as NoSpace, leaves no torn record, and clears") {
  FaultScope faults;
  TempDir dir;
  Options o;
  o.sync_interval_ms = 60000;  // no background probing during the test's checks
  std::vector<long> acked, refused;
  {
    auto db = OpenDB(dir.path(), o);
    for (long i = 0; i < 10; ++i) {
      REQUIRE(db->Write(Batch(i)).ok());
      acked.push_back(i);
    }
    write_errno = ENOSPC;
    for (long i = 10; i < 12; ++i) {
      Status s = db->Write(Batch(i));
      CHECK_MESSAGE(s.IsNoSpace(), s.ToString());
      refused.push_back(i);
    }
    Stats st = db->GetStats();
    CHECK_FALSE(st.writable);
    CHECK(st.wal_write_errors == 2);
    CHECK(st.wal_sync_errors == 0);
    CHECK(st.write_error.find("No space left") != std::string::npos);
    CheckBatches(db.get(), acked, refused);  // readable while failing

    write_errno = 0;
    for (long i = 12; i < 20; ++i) {
      REQUIRE(db->Write(Batch(i)).ok());
      acked.push_back(i);
    }
    st = db->GetStats();
    CHECK(st.writable);
    CHECK(st.write_error.empty());
    CHECK(st.wal_write_errors == 2);
    CheckBatches(db.get(), acked, refused);
  }
  // Replay sees every acknowledged record: nothing torn sits in front of batches 12..19.
  auto db = OpenDB(dir.path(), o);
  CheckBatches(db.get(), acked, refused);
  CHECK(db->GetStats().writable);
}

TEST_CASE("a failed EIO append is an IOError, not NoSpace") {
  FaultScope faults;
  TempDir dir;
  auto db = OpenDB(dir.path(), Options());
  write_errno = EIO;
  Status s = db->Write(Batch(0));
  CHECK(s.code() == Status::Code::kIOError);
  write_errno = EROFS;
  s = db->Write(Batch(0));
  CHECK(s.code() == Status::Code::kIOError);
  CHECK(db->GetStats().wal_write_errors == 2);
  write_errno = EDQUOT;
  CHECK(db->Write(Batch(0)).IsNoSpace());
}

TEST_CASE("sync=always: a failed fdatasync is refused, not replayed later, and the next good sync clears it") {
  FaultScope faults;
  TempDir dir;
  Options o;
  o.sync_mode = SyncMode::kAlways;
  o.sync_interval_ms = 60000;
  std::vector<long> acked, refused;
  {
    auto db = OpenDB(dir.path(), o);
    REQUIRE(db->Write(Batch(0)).ok());
    acked.push_back(0);
    sync_errno = EIO;
    Status s = db->Write(Batch(1));
    CHECK(s.code() == Status::Code::kIOError);
    refused.push_back(1);
    Stats st = db->GetStats();
    CHECK_FALSE(st.writable);
    CHECK(st.wal_sync_errors >= 1);
    CHECK_FALSE(st.write_error.empty());
    // Still failing: refused again.
    CHECK_FALSE(db->Write(Batch(2)).ok());
    refused.push_back(2);
    sync_errno = 0;
    REQUIRE(db->Write(Batch(3)).ok());
    acked.push_back(3);
    CHECK(db->GetStats().writable);
    CheckBatches(db.get(), acked, refused);
  }
  auto db = OpenDB(dir.path(), o);
  CheckBatches(db.get(), acked, refused);
}

TEST_CASE("sync=interval: after a failed background sync writes are refused until a sync succeeds") {
  FaultScope faults;
  TempDir dir;
  Options o;
  o.sync_mode = SyncMode::kInterval;
  o.sync_interval_ms = 20;
  std::vector<long> acked, refused;
  {
    auto db = OpenDB(dir.path(), o);
    REQUIRE(db->Write(Batch(0)).ok());
    acked.push_back(0);
    sync_errno = EIO;
    REQUIRE(WaitFor([&] { return db->GetStats().wal_sync_errors > 0; }, 5000));
    CHECK_FALSE(db->GetStats().writable);
    Status s = db->Write(Batch(1));  // retries the sync first, which fails again
    CHECK(s.code() == Status::Code::kIOError);
    refused.push_back(1);
    // The background thread retries by itself: the state clears without any write.
    sync_errno = 0;
    REQUIRE(WaitFor([&] { return db->GetStats().writable; }, 5000));
    CHECK(db->GetStats().write_error.empty());
    REQUIRE(db->Write(Batch(2)).ok());
    acked.push_back(2);
    CheckBatches(db.get(), acked, refused);
  }
  auto db = OpenDB(dir.path(), o);
  CheckBatches(db.get(), acked, refused);
}

TEST_CASE("while appends fail the background thread probes, so writable returns without a write") {
  FaultScope faults;
  TempDir dir;
  Options o;
  o.sync_interval_ms = 20;
  auto db = OpenDB(dir.path(), o);
  REQUIRE(db->Write(Batch(0)).ok());
  write_errno = ENOSPC;
  CHECK(db->Write(Batch(1)).IsNoSpace());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // probes fail meanwhile
  CHECK_FALSE(db->GetStats().writable);
  write_errno = 0;
  REQUIRE(WaitFor([&] { return db->GetStats().writable; }, 5000));
  REQUIRE(db->Write(Batch(2)).ok());
  CheckBatches(db.get(), {0, 2}, {1});
}

namespace {

// A small tmpfs mounted for one test (needs root); umounted at the end.
class Tmpfs {
 public:
  explicit Tmpfs(const std::string& size) {
    ok_ = ::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    if (!ok_) error_ = std::strerror(errno);
  }
  ~Tmpfs() {
    if (ok_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  bool Resize(const std::string& size) {
    return ::mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }
  std::string path() const { return dir_.path() + "/db"; }

 private:
  TempDir dir_;
  bool ok_ = false;
  std::string error_;
};

// Writes batches until one fails, then a few more; every write either succeeded (acknowledged)
// or failed with NoSpace.
void FillUntilFull(DB* db, long* next, std::vector<long>* acked, std::vector<long>* refused) {
  Status failure;
  for (const long stop = *next + 100000; *next < stop; ++*next) {
    Status s = db->Write(Batch(*next));
    if (!s.ok()) {
      failure = s;
      break;
    }
    acked->push_back(*next);
  }
  REQUIRE_MESSAGE(!failure.ok(), "the file system never filled up");
  CHECK_MESSAGE(failure.IsNoSpace(), failure.ToString());
  refused->push_back((*next)++);
  MESSAGE(acked->size() << " batches acknowledged when the disk was full");
  for (int k = 0; k < 5; ++k, ++*next) {
    Status s = db->Write(Batch(*next));
    if (s.ok()) {
      acked->push_back(*next);  // it found room (RocksDB freed some): durable, so fine
    } else {
      CHECK_MESSAGE(s.IsNoSpace(), s.ToString());
      refused->push_back(*next);
    }
  }
}

Options TmpfsOptions() {
  Options o;
  o.sync_interval_ms = 50;
  o.wal_segment_bytes = 256 << 10;
  o.max_samples_per_chunk = 64;
  return o;
}

}  // namespace

TEST_CASE("a full disk (tmpfs): NoSpace, not writable, nothing acknowledged lost; recovers once enlarged") {
  Tmpfs fs("2m");
  if (!fs.ok()) {
    MESSAGE("skipped: cannot mount a tmpfs (" << fs.error() << "); this test needs root");
    return;
  }
  const Options o = TmpfsOptions();
  std::vector<long> acked, refused;
  long next = 0;
  {
    auto db = OpenDB(fs.path(), o);
    FillUntilFull(db.get(), &next, &acked, &refused);
    Stats st = db->GetStats();
    CHECK_FALSE(st.writable);
    CHECK(st.wal_write_errors + st.wal_sync_errors >= 1);
    CHECK_FALSE(st.write_error.empty());
    CheckBatches(db.get(), acked, refused);  // everything acknowledged is readable while full

    REQUIRE(fs.Resize("64m"));
    // The next writes (or the background thread) retry; RocksDB may take a few seconds to resume.
    bool recovered = false;
    for (int tries = 0; tries < 600 && !recovered; ++tries) {
      Status s = db->Write(Batch(next));
      if (s.ok()) {
        acked.push_back(next);
        recovered = true;
      } else {
        refused.push_back(next);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      ++next;
    }
    REQUIRE_MESSAGE(recovered, "writes never succeeded again after the disk was enlarged");
    for (int k = 0; k < 200; ++k, ++next) {
      Status s = db->Write(Batch(next));
      REQUIRE_MESSAGE(s.ok(), s.ToString());
      acked.push_back(next);
    }
    REQUIRE(WaitFor([&] { return db->GetStats().writable; }, 30000));
    CHECK(db->GetStats().write_error.empty());
    CheckBatches(db.get(), acked, refused);
  }
  auto db = OpenDB(fs.path(), o);
  CheckBatches(db.get(), acked, refused);
  CHECK(db->GetStats().writable);
}

TEST_CASE("a full disk (tmpfs): closing and reopening while full loses nothing acknowledged") {
  Tmpfs fs("2m");
  if (!fs.ok()) {
    MESSAGE("skipped: cannot mount a tmpfs (" << fs.error() << "); this test needs root");
    return;
  }
  const Options o = TmpfsOptions();
  std::vector<long> acked, refused;
  long next = 0;
  {
    auto db = OpenDB(fs.path(), o);
    FillUntilFull(db.get(), &next, &acked, &refused);
  }
  {
    // RocksDB writes a new manifest at open, so this may fail; it must not damage anything.
    std::unique_ptr<DB> db;
    Status s = DB::Open(o, fs.path(), &db);
    if (s.ok()) {
      CheckBatches(db.get(), acked, refused);
    } else {
      MESSAGE("open on the full disk: " << s.ToString());
    }
  }
  REQUIRE(fs.Resize("64m"));
  auto db = OpenDB(fs.path(), o);
  CheckBatches(db.get(), acked, refused);
  REQUIRE(db->Write(Batch(next)).ok());
  CHECK(db->GetStats().writable);
}
