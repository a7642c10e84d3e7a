// Options::in_memory: a throwaway engine that works like the durable one (writes, reads, sealed
// chunks, Flush, Compact, keyspaces) and writes nothing to disk.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "gnomon/db.h"
#include "storage/keyspace.h"
#include "test_util.h"

using namespace gnomon;
using gnomon::testing::TempDir;

namespace {

Labels Series(const char* name, const char* job) { return Labels{{"__name__", name}, {"job", job}}; }

std::vector<Sample> ReadOne(DB* db, const Matchers& m) {
  auto set = db->Select(m, INT64_MIN, INT64_MAX);
  REQUIRE_MESSAGE(set.ok(), set.status().ToString());
  std::vector<Sample> out;
  int series = 0;
  while ((*set)->Next()) {
    ++series;
    for (auto* it = (*set)->samples(); it->Next();) out.push_back(it->At());
  }
  REQUIRE_MESSAGE((*set)->status().ok(), (*set)->status().ToString());
  CHECK(series <= 1);
  return out;
}

Options InMemory() {
  Options o;
  o.in_memory = true;
  o.max_samples_per_chunk = 8;      // seal early, so chunks go through (in-memory) RocksDB
  o.sync_mode = SyncMode::kAlways;  // ignored: nothing to sync
  return o;
}

size_t Entries(const std::string& dir) {
  size_t n = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir);
       it != std::filesystem::recursive_directory_iterator(); ++it)
    ++n;
  return n;
}

// Runs the body with the working directory set to `dir`, so relative paths land there.
class ChangeDir {
 public:
  explicit ChangeDir(const std::string& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ChangeDir() { std::filesystem::current_path(old_); }

 private:
  std::filesystem::path old_;
};

}  // namespace

TEST_CASE("in-memory DB: writes, reads, seals, flushes, compacts and keeps keyspaces without touching the disk") {
  TempDir dir;
  ChangeDir cd(dir.path());
  const std::string abs_path = dir.path() + "/db";
  for (const std::string& path : {abs_path, std::string("relative-db")}) {
    CAPTURE(path);
    {
      std::unique_ptr<DB> db;
      Status s = DB::Open(InMemory(), path, &db);
      REQUIRE_MESSAGE(s.ok(), s.ToString());

      WriteBatch b;
      for (int i = 0; i < 30; ++i) b.Add(Series("up", "api"), int64_t{1000} * i, i);
      b.Add(Series("up", "db"), 5, 1.5);
      REQUIRE(db->Write(b).ok());
      WriteBatch late;  // out of order and a duplicate timestamp: the newest write wins
      late.Add(Series("up", "api"), 500, -1);
      late.Add(Series("up", "api"), 2000, 42);
      REQUIRE(db->Write(late).ok());

      auto check = [&] {
        std::vector<Sample> api = ReadOne(db.get(), {Matcher::Equal("job", "api")});
        REQUIRE(api.size() == 31);
        CHECK(api[0].timestamp == 0);
        CHECK(api[1].timestamp == 500);
        CHECK(api[1].value == -1);
        CHECK(api[3].timestamp == 2000);
        CHECK(api[3].value == 42);
        CHECK(api.back().timestamp == 29000);
        CHECK(ReadOne(db.get(), {Matcher::Equal("job", "db")}).size() == 1);
        auto values = db->LabelValues("job", {});
        REQUIRE(values.ok());
        CHECK(values.value() == std::vector<std::string>{"api", "db"});
      };
      check();
      Stats st = db->GetStats();
      CHECK(st.chunks_written > 0);  // sealed chunks were written to RocksDB, in memory
      CHECK(st.wal_bytes == 0);
      CHECK(st.writable);

      REQUIRE(db->Flush().ok());
      check();
      CHECK(db->GetStats().head_samples == 0);
      REQUIRE(db->Compact().ok());
      check();

      auto ks = storage::OpenKeyspace(db.get(), "scratch");
      REQUIRE(ks.ok());
      REQUIRE((*ks)->Put("k", "v", {.sync = true}).ok());
      std::string v;
      REQUIRE((*ks)->Get("k", &v).ok());
      CHECK(v == "v");

      // A second in-memory DB with the same name is another, empty database (no lock on a path).
      std::unique_ptr<DB> other;
      REQUIRE(DB::Open(InMemory(), path, &other).ok());
      CHECK(ReadOne(other.get(), {Matcher::Equal("job", "api")}).empty());
    }
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK(Entries(dir.path()) == 0);  // nothing at all in the working directory

    // Closed means gone: the same path opens empty.
    std::unique_ptr<DB> db;
    REQUIRE(DB::Open(InMemory(), path, &db).ok());
    CHECK(db->GetStats().num_series == 0);
    CHECK(ReadOne(db.get(), {Matcher::Equal("job", "api")}).empty());
  }
  CHECK(Entries(dir.path()) == 0);
}

TEST_CASE("in-memory DB: periodic compaction runs and stops with the DB") {
  Options o = InMemory();
  o.compaction_interval_ms = 10;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(o, "periodic", &db).ok());
  WriteBatch b;
  for (int i = 0; i < 20; ++i) b.Add(Series("m", "x"), i, i);
  REQUIRE(db->Write(b).ok());
  for (int i = 0; i < 200 && db->GetStats().compactions == 0; ++i) ::usleep(10'000);
  CHECK(db->GetStats().compactions > 0);
  CHECK(ReadOne(db.get(), {Matcher::Equal("job", "x")}).size() == 20);
  CHECK_FALSE(std::filesystem::exists("periodic"));
}
