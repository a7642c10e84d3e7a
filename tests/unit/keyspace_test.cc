// Keyspaces (storage/keyspace.h): a component's durable key-value store inside the engine's data
// directory. Put/Get/Delete, atomic batches, ordered scans, names, reopen, isolation from
// retention and from the engine's own families, sizes, and write failures on a full disk.
#include <doctest/doctest.h>
#include <sys/mount.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include "gnomon/db.h"
#include "storage/keyspace.h"
#include "test_util.h"

using namespace gnomon;
using gnomon::storage::Keyspace;
using gnomon::storage::KeyspaceBatch;
using gnomon::storage::OpenKeyspace;
using gnomon::testing::TempDir;

namespace {

std::unique_ptr<DB> OpenDB(const std::string& dir, const Options& o = Options()) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(o, dir, &db);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return db;
}

std::unique_ptr<Keyspace> OpenKs(DB* db, std::string_view name) {
  auto ks = OpenKeyspace(db, name);
  REQUIRE_MESSAGE(ks.ok(), ks.status().ToString());
  return std::move(ks).value();
}

std::map<std::string, std::string> ScanAll(const Keyspace& ks, std::string_view start = "", std::string_view end = "") {
  std::map<std::string, std::string> out;
  Status s = ks.Scan(start, end, [&](std::string_view k, std::string_view v) {
    out.emplace(std::string(k), std::string(v));
    return true;
  });
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return out;
}

std::string Get(const Keyspace& ks, std::string_view key) {
  std::string v;
  Status s = ks.Get(key, &v);
  if (s.code() == Status::Code::kNotFound) return "<absent>";
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return v;
}

}  // namespace

TEST_CASE("keyspace: put, get, delete and atomic batches") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  auto ks = OpenKs(db.get(), "outbox");
  CHECK(ks->name() == "outbox");
  CHECK(Get(*ks, "a") == "<absent>");
  REQUIRE(ks->Put("a", "1").ok());
  REQUIRE(ks->Put("b", std::string("\0\xff", 2)).ok());
  CHECK(Get(*ks, "a") == "1");
  CHECK(Get(*ks, "b") == std::string("\0\xff", 2));
  REQUIRE(ks->Put("a", "2").ok());  // replaces
  CHECK(Get(*ks, "a") == "2");
  REQUIRE(ks->Delete("a").ok());
  REQUIRE(ks->Delete("never-there").ok());
  CHECK(Get(*ks, "a") == "<absent>");

  KeyspaceBatch batch;
  batch.Put("x", "1");
  batch.Put("y", "2");
  batch.Delete("b");
  batch.Put("x", "3");  // a later op on a key wins
  CHECK(batch.size() == 4);
  REQUIRE(ks->Write(batch, {.sync = true}).ok());
  CHECK(Get(*ks, "x") == "3");
  CHECK(Get(*ks, "y") == "2");
  CHECK(Get(*ks, "b") == "<absent>");
  REQUIRE(ks->Write(KeyspaceBatch()).ok());  // empty: nothing to do
}

TEST_CASE("keyspace: scans in key order, by range and by prefix, with early stop") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  auto ks = OpenKs(db.get(), "logs_index");
  for (const char* k : {"b/2", "a/1", "b/10", "c", "b/1", "b\xff", "b"}) REQUIRE(ks->Put(k, k).ok());
  auto all = ScanAll(*ks);
  std::vector<std::string> keys;
  REQUIRE(ks->Scan("", "", [&](std::string_view k, std::string_view) {
               keys.emplace_back(k);
               return true;
             }).ok());
  CHECK(keys == std::vector<std::string>{"a/1", "b", "b/1", "b/10", "b/2", "b\xff", "c"});  // bytewise
  CHECK(ScanAll(*ks, "b/", "b/2").size() == 2);  // [b/, b/2): b/1, b/10
  std::vector<std::string> prefixed;
  REQUIRE(ks->ScanPrefix("b/", [&](std::string_view k, std::string_view v) {
               CHECK(k == v);
               prefixed.emplace_back(k);
               return true;
             }).ok());
  CHECK(prefixed == std::vector<std::string>{"b/1", "b/10", "b/2"});
  int seen = 0;
  REQUIRE(ks->ScanPrefix("b", [&](std::string_view, std::string_view) { return ++seen < 2; }).ok());
  CHECK(seen == 2);
  // A prefix of 0xff bytes has no upper bound: it scans to the end.
  REQUIRE(ks->Put(std::string("\xff\xff" "z"), "z").ok());
  seen = 0;
  REQUIRE(ks->ScanPrefix("\xff\xff", [&](std::string_view, std::string_view) { return ++seen, true; }).ok());
  CHECK(seen == 1);
}

TEST_CASE("keyspace: names are validated and keyspaces are separate") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  for (const char* bad : {"", "Outbox", "out-box", "a/b", "default", "series", "chunks", "meta", "sp ace"}) {
    auto ks = OpenKeyspace(db.get(), bad);
    CHECK_MESSAGE(ks.status().code() == Status::Code::kInvalidArgument, bad);
  }
  CHECK_FALSE(OpenKeyspace(db.get(), std::string(65, 'a')).ok());
  CHECK(OpenKeyspace(db.get(), std::string(64, 'a')).ok());
  auto a = OpenKs(db.get(), "alpha_1");
  auto b = OpenKs(db.get(), "beta");
  auto a2 = OpenKs(db.get(), "alpha_1");  // a second handle on the same data
  REQUIRE(a->Put("k", "from a").ok());
  CHECK(Get(*b, "k") == "<absent>");
  CHECK(Get(*a2, "k") == "from a");
}

TEST_CASE("keyspace: data survives reopen; existing keyspaces are opened with the database") {
  TempDir dir;
  {
    auto db = OpenDB(dir.path());
    auto ks = OpenKs(db.get(), "outbox");
    auto other = OpenKs(db.get(), "other");
    for (int i = 0; i < 1000; ++i) REQUIRE(ks->Put("k" + std::to_string(i), std::string(100, 'a' + i % 26)).ok());
    REQUIRE(other->Put("x", "y").ok());
    WriteBatch b;
    b.Add({{"__name__", "up"}}, 1, 1);
    REQUIRE(db->Write(b).ok());
  }
  {
    auto db = OpenDB(dir.path());  // both families exist: Open must list and open them
    auto ks = OpenKs(db.get(), "outbox");
    CHECK(ScanAll(*ks).size() == 1000);
    CHECK(Get(*ks, "k7") == std::string(100, 'h'));
    REQUIRE(db->Flush().ok());  // keyspaces are flushed to SST files too
    CHECK(ks->ApproximateSize() > 0);
    REQUIRE(db->Compact().ok());
  }
  auto db = OpenDB(dir.path());
  auto ks = OpenKs(db.get(), "outbox");
  auto other = OpenKs(db.get(), "other");
  CHECK(ScanAll(*ks).size() == 1000);
  CHECK(Get(*other, "x") == "y");
  CHECK(db->GetStats().num_series == 1);
}

TEST_CASE("keyspace: retention and chunk compaction never touch a keyspace") {
  TempDir dir;
  Options o;
  o.retention_ms = 1;  // every chunk is long expired
  auto db = OpenDB(dir.path(), o);
  auto ks = OpenKs(db.get(), "outbox");
  for (int i = 0; i < 100; ++i) REQUIRE(ks->Put("k" + std::to_string(i), "value").ok());
  REQUIRE(db->Flush().ok());
  REQUIRE(db->Compact().ok());
  CHECK(ScanAll(*ks).size() == 100);
}

TEST_CASE("keyspace: approximate size grows with the data") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  auto ks = OpenKs(db.get(), "sized");
  const uint64_t empty = ks->ApproximateSize();
  for (int i = 0; i < 2000; ++i) REQUIRE(ks->Put("k" + std::to_string(i), std::string(200, 'x')).ok());
  CHECK(ks->ApproximateSize() > empty);
}

TEST_CASE("keyspace: OpenKeyspace refuses a DB that is not Gnomon's engine") {
  struct FakeDB : DB {
    Status Write(const WriteBatch&, std::vector<SeriesRef>*) override { return Status::OK(); }
    Result<std::unique_ptr<SeriesSet>> Select(const Matchers&, int64_t, int64_t) override {
      return Status::Internal("fake");
    }
    Result<std::vector<std::unique_ptr<SeriesSet>>> SelectShards(const Matchers&, int64_t, int64_t, size_t, size_t,
                                                                 size_t) override {
      return Status::Internal("fake");
    }
    Result<std::vector<std::string>> LabelNames(const Matchers&) override { return Status::Internal("fake"); }
    Result<std::vector<std::string>> LabelValues(const std::string&, const Matchers&) override {
      return Status::Internal("fake");
    }
    Status Flush() override { return Status::OK(); }
    Status Compact() override { return Status::OK(); }
    Stats GetStats() override { return {}; }
    CardinalityStats GetCardinality(size_t) override { return {}; }
  } fake;
  CHECK(OpenKeyspace(&fake, "outbox").status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("keyspace: a full disk (tmpfs) fails writes with NoSpace in the engine's write state; recovers") {
  TempDir mnt;
  if (::mount("tmpfs", mnt.path().c_str(), "tmpfs", 0, "size=2m") != 0) {
    MESSAGE("skipped: cannot mount a tmpfs (" << std::strerror(errno) << "); this test needs root");
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt.path()};
  const std::string dir = mnt.path() + "/db";
  std::vector<int> acked;
  int next = 0;
  const std::string value(4096, 'v');
  Options o;
  o.sync_interval_ms = 50;  // the background thread syncs (and probes) RocksDB often meanwhile
  {
    auto db = OpenDB(dir, o);
    auto ks = OpenKs(db.get(), "outbox");
    Status failure;
    for (; next < 10000; ++next) {
      failure = ks->Put("k" + std::to_string(next), value, {.sync = true});
      if (!failure.ok()) break;
      acked.push_back(next);
    }
    REQUIRE_MESSAGE(!failure.ok(), "the file system never filled up");
    CHECK_MESSAGE(failure.IsNoSpace(), failure.ToString());
    Stats st = db->GetStats();
    CHECK_FALSE(st.writable);
    CHECK(st.wal_write_errors >= 1);
    CHECK(st.write_error.find("No space") != std::string::npos);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK_FALSE(ks->Put("refused", value).ok());
    CHECK_FALSE(db->GetStats().writable);
    for (int i : acked) REQUIRE(Get(*ks, "k" + std::to_string(i)) == value);

    REQUIRE(::mount("tmpfs", mnt.path().c_str(), "tmpfs", MS_REMOUNT, "size=64m") == 0);
    bool recovered = false;
    for (int tries = 0; tries < 600 && !recovered; ++tries, ++next) {
      if (ks->Put("k" + std::to_string(next), value, {.sync = true}).ok()) {
        acked.push_back(next);
        recovered = true;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    REQUIRE_MESSAGE(recovered, "keyspace writes never succeeded again after the disk was enlarged");
    CHECK(db->GetStats().writable);
  }
  auto db = OpenDB(dir, o);
  auto ks = OpenKs(db.get(), "outbox");
  for (int i : acked) REQUIRE(Get(*ks, "k" + std::to_string(i)) == value);
}

TEST_CASE("keyspace: closing while RocksDB refuses writes (full disk) loses nothing acknowledged") {
  TempDir mnt;
  if (::mount("tmpfs", mnt.path().c_str(), "tmpfs", 0, "size=2m") != 0) {
    MESSAGE("skipped: cannot mount a tmpfs (" << std::strerror(errno) << "); this test needs root");
    return;
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt.path()};
  const std::string dir = mnt.path() + "/db";
  std::vector<int> acked;
  const std::string value(4096, 'w');
  {
    auto db = OpenDB(dir);
    auto ks = OpenKs(db.get(), "outbox");
    for (int i = 0; i < 10000; ++i) {
      if (!ks->Put("k" + std::to_string(i), value, {.sync = true}).ok()) break;
      acked.push_back(i);
    }
    CHECK_FALSE(db->GetStats().writable);
  }  // closed while RocksDB is stopped by the error
  REQUIRE(::mount("tmpfs", mnt.path().c_str(), "tmpfs", MS_REMOUNT, "size=64m") == 0);
  auto db = OpenDB(dir);
  auto ks = OpenKs(db.get(), "outbox");
  for (int i : acked) REQUIRE(Get(*ks, "k" + std::to_string(i)) == value);
  REQUIRE(ks->Put("after", "x").ok());
}
