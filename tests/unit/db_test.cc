// Engine tests through the public API: write/read, out-of-order and duplicate resolution,
// reopen (clean close and flush), retention, compaction (explicit and periodic), labels, validation
// errors, the write state in Stats.
#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "gnomon/db.h"
#include "test_util.h"

using namespace gnomon;
using gnomon::testing::TempDir;

namespace {

Labels L(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  Labels out;
  for (auto& [n, v] : pairs) out.push_back({n, v});
  return out;
}

struct ReadSeries {
  Labels labels;
  std::vector<Sample> samples;
};

std::vector<ReadSeries> ReadAll(DB* db, const Matchers& m, int64_t mint = INT64_MIN, int64_t maxt = INT64_MAX) {
  auto set = db->Select(m, mint, maxt);
  REQUIRE_MESSAGE(set.ok(), set.status().ToString());
  std::vector<ReadSeries> out;
  while ((*set)->Next()) {
    ReadSeries rs;
    rs.labels = (*set)->labels();
    for (auto* it = (*set)->samples(); it->Next();) rs.samples.push_back(it->At());
    out.push_back(std::move(rs));
  }
  REQUIRE_MESSAGE((*set)->status().ok(), (*set)->status().ToString());
  return out;
}

std::unique_ptr<DB> OpenDB(const std::string& dir, Options o = Options()) {
  std::unique_ptr<DB> db;
  Status s = DB::Open(o, dir, &db);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return db;
}

const Labels kUp = L({{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}});

}  // namespace

TEST_CASE("write then read returns samples in time order with sorted labels") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  WriteBatch b;
  for (int i = 0; i < 100; ++i) b.Add(kUp, 1000 * i, i * 1.5);
  REQUIRE(db->Write(b).ok());
  auto got = ReadAll(db.get(), {Matcher::Equal("job", "api")});
  REQUIRE(got.size() == 1);
  CHECK(got[0].labels == L({{"__name__", "up"}, {"instance", "a:1"}, {"job", "api"}}));
  REQUIRE(got[0].samples.size() == 100);
  for (int i = 0; i < 100; ++i) {
    CHECK(got[0].samples[i].timestamp == 1000 * i);
    CHECK(got[0].samples[i].value == i * 1.5);
  }
  // Range restriction is inclusive on both ends.
  auto part = ReadAll(db.get(), {Matcher::Equal("job", "api")}, 10000, 20000);
  REQUIRE(part.size() == 1);
  CHECK(part[0].samples.size() == 11);
  CHECK(part[0].samples.front().timestamp == 10000);
  CHECK(part[0].samples.back().timestamp == 20000);
}

TEST_CASE("cardinality: the index's lists and the head's series and time range; Flush empties the head") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  WriteBatch b;
  b.Add(kUp, 5000, 1);
  b.Add(kUp, 2000, 1);  // out of order
  b.Add(L({{"__name__", "up"}, {"job", "db"}, {"instance", "b:1"}}), 3000, 1);
  REQUIRE(db->Write(b).ok());
  CardinalityStats st = db->GetCardinality(10);
  CHECK(st.num_series == 2);
  CHECK(st.head_series == 2);
  CHECK(st.head_min_time == 2000);
  CHECK(st.head_max_time == 5000);
  REQUIRE(st.series_count_by_metric_name.size() == 1);
  CHECK(st.series_count_by_metric_name[0].name == "up");
  CHECK(st.series_count_by_metric_name[0].value == 2);
  REQUIRE(db->Flush().ok());
  st = db->GetCardinality(10);
  CHECK(st.num_series == 2);
  CHECK(st.head_series == 0);
  CHECK(st.head_min_time == 0);
  CHECK(st.head_max_time == 0);
}

TEST_CASE("out-of-order, backfilled and duplicate samples: sorted, last write wins") {
  TempDir dir;
  Options o;
  o.max_samples_per_chunk = 16;  // force many sealed chunks
  auto db = OpenDB(dir.path(), o);
  std::mt19937_64 rng(7);
  std::map<int64_t, double> expect;
  for (int round = 0; round < 50; ++round) {
    WriteBatch b;
    for (int i = 0; i < 40; ++i) {
      int64_t t = static_cast<int64_t>(rng() % 2000) * 1000 - 500000;  // includes negative timestamps
      double v = static_cast<double>(rng() % 1000) / 10;
      b.Add(kUp, t, v);
      expect[t] = v;
    }
    REQUIRE(db->Write(b).ok());
  }
  auto check = [&](DB* d) {
    auto got = ReadAll(d, {Matcher::Equal("__name__", "up")});
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].samples.size() == expect.size());
    size_t i = 0;
    for (auto& [t, v] : expect) {
      CHECK(got[0].samples[i].timestamp == t);
      CHECK(got[0].samples[i].value == v);
      ++i;
    }
  };
  check(db.get());
  REQUIRE(db->Flush().ok());
  check(db.get());
  REQUIRE(db->Compact().ok());
  check(db.get());
  db.reset();
  db = OpenDB(dir.path(), o);
  check(db.get());
}

TEST_CASE("reopen after clean close without flush replays the write-ahead log") {
  TempDir dir;
  {
    auto db = OpenDB(dir.path());
    WriteBatch b;
    for (int s = 0; s < 10; ++s) {
      Labels l = L({{"__name__", "cpu"}, {"core", ""}});
      l[1].value = std::to_string(s);
      for (int i = 0; i < 50; ++i) b.Add(l, 10000 * i, s * 100 + i);
    }
    REQUIRE(db->Write(b).ok());
  }
  auto db = OpenDB(dir.path());
  auto got = ReadAll(db.get(), {Matcher::Equal("__name__", "cpu")});
  REQUIRE(got.size() == 10);
  for (auto& rs : got) {
    REQUIRE(rs.samples.size() == 50);
    int core = std::stoi(rs.labels[1].value);
    CHECK(rs.samples[49].value == core * 100 + 49);
  }
  CHECK(db->GetStats().num_series == 10);
}

TEST_CASE("special float values round-trip bit-exactly through the engine") {
  TempDir dir;
  const double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  std::vector<double> values = {
      0.0,   -0.0,  1.5,   std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
      stale, 1e308, 5e-324};
  {
    auto db = OpenDB(dir.path());
    WriteBatch b;
    for (size_t i = 0; i < values.size(); ++i) b.Add(kUp, static_cast<int64_t>(i) * 15000, values[i]);
    REQUIRE(db->Write(b).ok());
    REQUIRE(db->Flush().ok());
  }
  auto db = OpenDB(dir.path());
  auto got = ReadAll(db.get(), {Matcher::Equal("__name__", "up")});
  REQUIRE(got.size() == 1);
  REQUIRE(got[0].samples.size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    CHECK(std::bit_cast<uint64_t>(got[0].samples[i].value) == std::bit_cast<uint64_t>(values[i]));
  }
}

TEST_CASE("matchers select series with Prometheus semantics") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  WriteBatch b;
  b.Add(L({{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "200"}}), 1, 1);
  b.Add(L({{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "500"}}), 1, 2);
  b.Add(L({{"__name__", "http_requests_total"}, {"job", "web"}}), 1, 3);
  b.Add(L({{"__name__", "up"}, {"job", "api2"}}), 1, 4);
  REQUIRE(db->Write(b).ok());
  CHECK(ReadAll(db.get(), {Matcher::Equal("__name__", "http_requests_total")}).size() == 3);
  CHECK(ReadAll(db.get(), {Matcher::Regex("job", "api")}).size() == 2);  // anchored: not api2
  CHECK(ReadAll(db.get(), {Matcher::Regex("job", "api.*")}).size() == 3);
  CHECK(ReadAll(db.get(), {Matcher::Equal("__name__", "http_requests_total"), Matcher::Equal("code", "")}).size() == 1);
  CHECK(
      ReadAll(db.get(), {Matcher::Equal("__name__", "http_requests_total"), Matcher::NotEqual("code", "200")}).size() ==
      2);
  CHECK(
      ReadAll(db.get(), {Matcher::Equal("__name__", "http_requests_total"), Matcher::NotRegex("code", "5..")}).size() ==
      2);
  // Every matcher matches the empty string: refused, as Prometheus does.
  CHECK_FALSE(db->Select({Matcher::Regex("job", ".*")}, 0, 10).ok());
  CHECK_FALSE(db->Select({Matcher::Regex("job", "(")}, 0, 10).ok());

  auto names = db->LabelNames({});
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"__name__", "code", "job"});
  auto jobs = db->LabelValues("job", {Matcher::Equal("__name__", "http_requests_total")});
  REQUIRE(jobs.ok());
  CHECK(*jobs == std::vector<std::string>{"api", "web"});
}

TEST_CASE("invalid series are rejected with a message naming the problem, and nothing is written") {
  TempDir dir;
  Options o;
  o.limits.max_labels_per_series = 4;
  auto db = OpenDB(dir.path(), o);
  WriteBatch b;
  b.Add(kUp, 1, 1);
  b.Add(L({{"__name__", "ok"}, {"1bad", "x"}}), 1, 1);
  Status s = db->Write(b);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message().find("1bad") != std::string::npos);
  CHECK(db->Select({Matcher::Equal("__name__", "up")}, INT64_MIN, INT64_MAX).value()->Next() == false);

  WriteBatch nameless;
  nameless.Add(L({{"job", "x"}}), 1, 1);
  CHECK_FALSE(db->Write(nameless).ok());

  WriteBatch many;
  many.Add(L({{"__name__", "m"}, {"a", "1"}, {"b", "1"}, {"c", "1"}, {"d", "1"}}), 1, 1);
  Status too_many = db->Write(many);
  CHECK_FALSE(too_many.ok());
  CHECK(db->GetStats().num_series == 0);
}

TEST_CASE("series limit") {
  TempDir dir;
  Options o;
  o.limits.max_series = 2;
  auto db = OpenDB(dir.path(), o);
  WriteBatch b;
  b.Add(L({{"__name__", "a"}}), 1, 1);
  b.Add(L({{"__name__", "b"}}), 1, 1);
  REQUIRE(db->Write(b).ok());
  WriteBatch c;
  c.Add(L({{"__name__", "a"}}), 2, 1);  // existing: fine
  REQUIRE(db->Write(c).ok());
  WriteBatch d;
  d.Add(L({{"__name__", "c"}}), 1, 1);
  Status s = db->Write(d);
  CHECK(s.code() == Status::Code::kResourceExhausted);
}

TEST_CASE("series limit per metric name: counted over the index and the batch, named in the error") {
  TempDir dir;
  Options o;
  o.limits.max_series_per_metric = 2;
  auto db = OpenDB(dir.path(), o);
  WriteBatch b;
  b.Add(L({{"__name__", "req"}, {"id", "1"}}), 1, 1);
  b.Add(L({{"__name__", "other"}, {"id", "1"}}), 1, 1);
  REQUIRE(db->Write(b).ok());
  WriteBatch c;  // one more req series, and the third of the batch is one too many
  c.Add(L({{"__name__", "req"}, {"id", "2"}}), 1, 1);
  c.Add(L({{"__name__", "req"}, {"id", "1"}}), 2, 1);  // existing: not counted again
  c.Add(L({{"__name__", "req"}, {"id", "3"}}), 1, 1);
  Status s = db->Write(c);
  CHECK(s.code() == Status::Code::kResourceExhausted);
  CHECK(s.message().find("series limit of metric \"req\" reached (2, limits.max_series_per_metric)") !=
        std::string::npos);
  CHECK(s.message().find("id=\"3\"") != std::string::npos);
  CHECK(ReadAll(db.get(), {Matcher::Equal("__name__", "req")}).size() == 1);  // the batch is not stored
  WriteBatch d;  // up to the limit is fine, other metrics are not affected
  d.Add(L({{"__name__", "req"}, {"id", "2"}}), 1, 1);
  d.Add(L({{"__name__", "other"}, {"id", "2"}}), 1, 1);
  d.Add(L({{"__name__", "other"}, {"id", "3"}}), 1, 1);  // "other" at 3: over the limit too
  CHECK(db->Write(d).code() == Status::Code::kResourceExhausted);
  WriteBatch e;
  e.Add(L({{"__name__", "req"}, {"id", "2"}}), 1, 1);
  e.Add(L({{"__name__", "other"}, {"id", "2"}}), 1, 1);
  REQUIRE(db->Write(e).ok());
  CHECK(ReadAll(db.get(), {Matcher::Equal("__name__", "req")}).size() == 2);
}

TEST_CASE("retention drops old data from reads and, after compaction, from disk") {
  TempDir dir;
  Options o;
  o.retention_ms = 3600 * 1000;         // one hour
  o.chunk_window_ms = 2 * 3600 * 1000;  // retention drops whole windows: keep them small here
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  auto db = OpenDB(dir.path(), o);
  WriteBatch b;
  for (int i = 0; i < 48; ++i) b.Add(kUp, now - (48 - i) * 600000LL + 300000, i);  // 8 h, 10 min apart
  REQUIRE(db->Write(b).ok());
  auto got = ReadAll(db.get(), {Matcher::Equal("__name__", "up")});
  REQUIRE(got.size() == 1);
  CHECK(got[0].samples.size() == 6);  // only the last hour: 55, 45, ... 5 minutes ago
  for (auto& s : got[0].samples) CHECK(s.timestamp >= now - 3600 * 1000);
  REQUIRE(db->Flush().ok());
  const uint64_t chunks_before = db->GetStats().chunks_written;
  CHECK(chunks_before >= 4);
  REQUIRE(db->Compact().ok());
  got = ReadAll(db.get(), {Matcher::Equal("__name__", "up")});
  REQUIRE(got.size() == 1);
  CHECK(got[0].samples.size() == 6);
  // Data past retention is gone from disk too: reopening with retention 0 shows only what is kept.
  db.reset();
  Options keep;
  db = OpenDB(dir.path(), keep);
  got = ReadAll(db.get(), {Matcher::Equal("__name__", "up")});
  REQUIRE(got.size() == 1);
  CHECK(got[0].samples.size() < 48);
  CHECK(got[0].samples.front().timestamp >= now - 3 * 3600 * 1000);  // old windows dropped whole
}

TEST_CASE("a second open of the same directory fails") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  std::unique_ptr<DB> second;
  Status s = DB::Open(Options(), dir.path(), &second);
  CHECK_FALSE(s.ok());
}

TEST_CASE("create_if_missing=false on a missing directory fails") {
  TempDir dir;
  Options o;
  o.create_if_missing = false;
  std::unique_ptr<DB> db;
  CHECK_FALSE(DB::Open(o, dir.path() + "/nope", &db).ok());
}

TEST_CASE("WAL rotation seals old runs and deletes segments; data survives reopen") {
  TempDir dir;
  Options o;
  o.wal_segment_bytes = 4096;
  o.max_samples_per_chunk = 100000;
  o.chunk_window_ms = INT64_MAX / 4;
  {
    auto db = OpenDB(dir.path(), o);
    for (int batch = 0; batch < 200; ++batch) {
      WriteBatch b;
      for (int s = 0; s < 5; ++s) {
        Labels l = L({{"__name__", "g"}, {"s", ""}});
        l[1].value = std::to_string(s);
        for (int i = 0; i < 10; ++i) b.Add(l, batch * 10 + i, batch * 10 + i + s);
      }
      REQUIRE(db->Write(b).ok());
    }
    auto st = db->GetStats();
    CHECK(st.wal_bytes < 64 * 1024);  // old segments were deleted
    CHECK(st.chunks_written > 0);
  }
  auto db = OpenDB(dir.path(), o);
  auto got = ReadAll(db.get(), {Matcher::Equal("__name__", "g")});
  REQUIRE(got.size() == 5);
  for (auto& rs : got) {
    REQUIRE(rs.samples.size() == 2000);
    int s = std::stoi(rs.labels[1].value);
    for (int i = 0; i < 2000; ++i) CHECK(rs.samples[i].value == i + s);
  }
}

TEST_CASE("readers see every acknowledged write while a writer seals concurrently") {
  TempDir dir;
  Options o;
  o.max_samples_per_chunk = 8;
  auto db = OpenDB(dir.path(), o);
  std::atomic<int64_t> acked{-1};
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    for (int64_t i = 0; i < 3000; ++i) {
      WriteBatch b;
      b.Add(kUp, i, static_cast<double>(i));
      if (!db->Write(b).ok()) failed = true;
      acked = i;
    }
  });
  int checks = 0, misses = 0, errors = 0;
  while (acked < 2999) {
    int64_t seen_acked = acked;
    auto set = db->Select({Matcher::Equal("__name__", "up")}, INT64_MIN, INT64_MAX);
    if (!set.ok()) {
      ++errors;
      continue;
    }
    int64_t n = 0;
    while ((*set)->Next()) {
      for (auto* it = (*set)->samples(); it->Next();) ++n;
    }
    if (n < seen_acked + 1) ++misses;
    ++checks;
  }
  writer.join();  // joined before any assertion can end the test
  CHECK(errors == 0);
  CHECK(misses == 0);
  CHECK_FALSE(failed);
  CHECK(checks > 0);
}

TEST_CASE("AppendRemaining returns exactly the samples not yet visited") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  WriteBatch b;
  for (int i = 0; i < 10; ++i) b.Add(kUp, 1000 * i, i);
  REQUIRE(db->Write(b).ok());
  auto set = db->Select({Matcher::Equal("__name__", "up")}, INT64_MIN, INT64_MAX);
  REQUIRE(set.ok());
  REQUIRE((*set)->Next());
  SampleIterator* it = (*set)->samples();
  REQUIRE(it->Next());
  REQUIRE(it->Next());
  CHECK(it->At().value == 1);
  std::vector<Sample> rest = {{-1, -1}};  // appended to, not replaced
  REQUIRE(it->AppendRemaining(&rest).ok());
  REQUIRE(rest.size() == 9);
  CHECK(rest[1].timestamp == 2000);
  CHECK(rest.back().value == 9);
  CHECK_FALSE(it->Next());
  std::vector<Sample> none;
  REQUIRE(it->AppendRemaining(&none).ok());
  CHECK(none.empty());
}

TEST_CASE("TakeRemaining hands over the current series' samples, whole or the unvisited rest") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  WriteBatch b;
  for (int i = 0; i < 10; ++i) b.Add(kUp, 1000 * i, i);
  b.Add(L({{"__name__", "up"}, {"job", "db"}}), 500, 7);
  REQUIRE(db->Write(b).ok());
  auto set = db->Select({Matcher::Equal("__name__", "up")}, INT64_MIN, INT64_MAX);
  REQUIRE(set.ok());
  REQUIRE((*set)->Next());
  std::vector<Sample> got = {{-1, -1}};  // replaced, not appended to
  REQUIRE((*set)->samples()->TakeRemaining(&got).ok());
  REQUIRE(got.size() == 10);
  CHECK(got[3].timestamp == 3000);
  CHECK_FALSE((*set)->samples()->Next());
  REQUIRE((*set)->Next());
  SampleIterator* it = (*set)->samples();
  REQUIRE(it->Next());
  REQUIRE(it->TakeRemaining(&got).ok());
  CHECK(got.empty());  // the one sample was already visited
  CHECK_FALSE((*set)->Next());
}

TEST_CASE("SelectShards splits a selection into contiguous, label-ordered pieces of one snapshot") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  WriteBatch b;
  for (int s = 0; s < 37; ++s) {
    Labels l = L({{"__name__", "m"}, {"i", ""}});
    l[1].value = std::to_string(s);
    for (int t = 0; t < 5; ++t) b.Add(l, t * 1000, s * 10 + t);
  }
  REQUIRE(db->Write(b).ok());
  REQUIRE(db->Flush().ok());
  const auto whole = ReadAll(db.get(), {Matcher::Equal("__name__", "m")});
  REQUIRE(whole.size() == 37);

  auto shards = db->SelectShards({Matcher::Equal("__name__", "m")}, INT64_MIN, INT64_MAX, 4, 5);
  REQUIRE(shards.ok());
  CHECK(shards->size() == 4);
  // Written after the selection: not seen by any shard.
  WriteBatch later;
  later.Add(L({{"__name__", "m"}, {"i", "0"}}), 99'000, 1);
  REQUIRE(db->Write(later).ok());
  // Read the shards from several threads at once, then compare in order.
  std::vector<std::vector<ReadSeries>> parts(shards->size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < shards->size(); ++i) {
    threads.emplace_back([&, i] {
      SeriesSet* set = (*shards)[i].get();
      while (set->Next()) {
        ReadSeries rs{set->labels(), {}};
        set->samples()->AppendRemaining(&rs.samples);
        parts[i].push_back(std::move(rs));
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<ReadSeries> joined;
  for (auto& p : parts) {
    CHECK(p.size() >= 5);
    for (auto& rs : p) joined.push_back(std::move(rs));
  }
  REQUIRE(joined.size() == whole.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    CHECK(joined[i].labels == whole[i].labels);
    CHECK(joined[i].samples.size() == 5);
  }

  // Few series: fewer shards; none matching: no shards.
  auto few = db->SelectShards({Matcher::Equal("i", "3")}, INT64_MIN, INT64_MAX, 4, 5);
  REQUIRE(few.ok());
  CHECK(few->size() == 1);
  auto none = db->SelectShards({Matcher::Equal("i", "nope")}, INT64_MIN, INT64_MAX, 4, 5);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("a selection comes in label order: names and values that are prefixes of others, label counts, bytes") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  // Random label sets over a tiny alphabet, so prefixes ("a" < "ab"), a shorter label set, and
  // bytes above 0x7f (UTF-8) all meet; the metric name is shared, so the order is decided after it.
  std::mt19937 rng(7);
  const std::vector<std::string> names = {"a", "ab", "b", "ba"};
  const std::vector<std::string> values = {"x", "xy", "y", "\xc3\xa9", "x\xc3\xa9", "", "1"};
  WriteBatch b;
  std::vector<Labels> written;
  for (int i = 0; i < 400; ++i) {
    std::map<std::string, std::string> pairs;
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < n; ++k) pairs[names[rng() % names.size()]] = values[rng() % values.size()];
    Labels l = L({{"__name__", "m"}});
    for (const auto& [name, value] : pairs) {
      if (!value.empty()) l.push_back({name, value});
    }
    b.Add(l, 1000, i);
    written.push_back(l);
  }
  REQUIRE(db->Write(b).ok());
  std::sort(written.begin(), written.end());
  written.erase(std::unique(written.begin(), written.end()), written.end());
  const auto got = ReadAll(db.get(), {Matcher::Equal("__name__", "m")});
  REQUIRE(got.size() == written.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].labels == written[i]);
}

TEST_CASE("reads find sealed chunks of new series: after a flush, a backfill, and a reopen") {
  TempDir dir;
  Labels m = L({{"__name__", "m"}});
  auto timestamps = [&](DB* db, int64_t mint) {
    std::vector<int64_t> out;
    for (const auto& s : ReadAll(db, {Matcher::Equal("__name__", "m")}, mint)) {
      for (const Sample& x : s.samples) out.push_back(x.timestamp);
    }
    return out;
  };
  {
    auto db = OpenDB(dir.path());
    WriteBatch b;
    for (int64_t t = 1000; t <= 5000; t += 1000) b.Add(m, t, 1);
    REQUIRE(db->Write(b).ok());
    REQUIRE(db->Flush().ok());  // 1000-5000 sealed
    b.Clear();
    b.Add(m, 6000, 1);
    REQUIRE(db->Write(b).ok());  // 6000 in the head
    CHECK(timestamps(db.get(), 0) == std::vector<int64_t>{1000, 2000, 3000, 4000, 5000, 6000});
    CHECK(timestamps(db.get(), 5000) == std::vector<int64_t>{5000, 6000});
    CHECK(timestamps(db.get(), 5500) == std::vector<int64_t>{6000});
    b.Clear();
    b.Add(m, 500, 1);  // backfill, sealed below the newest sealed time
    REQUIRE(db->Write(b).ok());
    REQUIRE(db->Flush().ok());
    CHECK(timestamps(db.get(), 0) == std::vector<int64_t>{500, 1000, 2000, 3000, 4000, 5000, 6000});
  }
  auto db = OpenDB(dir.path());  // after a reopen nothing is known about the chunks: all are read
  CHECK(timestamps(db.get(), 0) == std::vector<int64_t>{500, 1000, 2000, 3000, 4000, 5000, 6000});
  CHECK(timestamps(db.get(), 5500) == std::vector<int64_t>{6000});
}

TEST_CASE("SelectShards with max_series refuses a selection over the limit before reading it") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  WriteBatch b;
  for (int s = 0; s < 50; ++s) b.Add(L({{"__name__", "m"}, {"i", std::to_string(s).c_str()}}), 1000, s);
  REQUIRE(db->Write(b).ok());
  auto over = db->SelectShards({Matcher::Equal("__name__", "m")}, INT64_MIN, INT64_MAX, 2, 1, 49);
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().code() == Status::Code::kResourceExhausted);
  CHECK(over.status().message() == "the selector matches 50 series, more than the limit of 49");
  auto at = db->SelectShards({Matcher::Equal("__name__", "m")}, INT64_MIN, INT64_MAX, 2, 1, 50);
  REQUIRE(at.ok());
  size_t n = 0;
  for (auto& set : *at) {
    while (set->Next()) ++n;
  }
  CHECK(n == 50);
}

namespace {

// The number of chunks stored for every series, read from the closed database's RocksDB.
size_t CountChunks(const std::string& dir) {
  std::vector<std::string> names;
  REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir + "/rocksdb", &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir + "/rocksdb", families, &handles, &raw).ok());
  size_t chunks = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != "chunks") continue;
    std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions(), handles[i]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++chunks;
  }
  for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
  delete raw;
  return chunks;
}

}  // namespace

TEST_CASE("compaction_interval_ms: the engine compacts by itself (and never with 0)") {
  TempDir dir;
  auto write_overlapping = [](DB* db) {
    // Three flushed runs over the same window: three overlapping chunks until compaction.
    for (int round = 0; round < 3; ++round) {
      WriteBatch b;
      for (int i = round; i < 30; i += 3) b.Add(kUp, 1000 * i, i);
      REQUIRE(db->Write(b).ok());
      REQUIRE(db->Flush().ok());
    }
  };
  {
    Options o;  // compaction_interval_ms = 0: nothing compacts by itself
    auto db = OpenDB(dir.path(), o);
    write_overlapping(db.get());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(db->GetStats().compactions == 0);
  }
  CHECK(CountChunks(dir.path()) == 3);
  {
    Options o;
    o.compaction_interval_ms = 50;
    auto db = OpenDB(dir.path(), o);
    for (int i = 0; i < 200 && db->GetStats().compactions == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Stats st = db->GetStats();
    CHECK(st.compactions >= 1);
    CHECK(st.compaction_errors == 0);
    auto got = ReadAll(db.get(), {Matcher::Equal("__name__", "up")});
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].samples.size() == 30);
    for (int i = 0; i < 30; ++i) CHECK(got[0].samples[i].timestamp == 1000 * i);
  }
  CHECK(CountChunks(dir.path()) == 1);
}

TEST_CASE("Stats: a healthy engine is writable, with no write or sync errors") {
  TempDir dir;
  auto db = OpenDB(dir.path());
  WriteBatch b;
  b.Add(kUp, 1, 1);
  REQUIRE(db->Write(b).ok());
  Stats st = db->GetStats();
  CHECK(st.writable);
  CHECK(st.write_error.empty());
  CHECK(st.wal_write_errors == 0);
  CHECK(st.wal_sync_errors == 0);
  CHECK(Status::NoSpace("disk full").IsNoSpace());
  CHECK(Status::NoSpace("disk full").ToString() == "no space: disk full");
  CHECK_FALSE(Status::IOError("x").IsNoSpace());
  CHECK(Status::IOError("x").IsIOError());
}
