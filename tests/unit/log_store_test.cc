// The log store (logs/log_store.h): lines by correlation ID in time order across streams and
// batches, time/stream selection with a line filter and both directions, backfill into old hours,
// reopening (streams, sequence numbers and lines survive), and retention.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>

#include "logs/log_store.h"
#include "test_util.h"

namespace gnomon::logs {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'765'000'000 * kSec;  // 2025-12-06

std::unique_ptr<DB> OpenDb(const std::string& dir) {
  Options o;
  o.sync_mode = SyncMode::kNever;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(o, dir, &db).ok());
  return db;
}

LogStream Stream(const std::string& service, std::vector<std::pair<int64_t, std::string>> lines) {
  LogStream s;
  s.labels = {{"level", "info"}, {"service", service}};
  for (auto& [t, line] : lines) s.entries.push_back({t, std::move(line), {}});
  return s;
}

// The lines ForEach visits (at most `limit`, those `keep` accepts), as text.
std::vector<std::string> Visit(const LogStore& store, const Matchers& matchers, bool backward, size_t limit = 100,
                               int64_t start = INT64_MIN, int64_t end = INT64_MAX,
                               const std::function<bool(std::string_view)>& keep = nullptr) {
  std::vector<std::string> out;
  Status s = store.ForEach(matchers, start, end, backward, [&](const StoredLine& l) {
    if (keep && !keep(l.line)) return true;
    out.push_back(l.line);
    return out.size() < limit;
  });
  REQUIRE(s.ok());
  return out;
}

std::vector<std::string> Texts(const std::vector<StoredLine>& lines) {
  std::vector<std::string> v;
  for (const StoredLine& l : lines) v.push_back(l.line);
  return v;
}

TEST_CASE("log store: a correlation ID finds its lines across services and batches, in time order") {
  testing::TempDir dir;
  auto db = OpenDb(dir.path());
  auto opened = LogStore::Open(db.get(), {});
  REQUIRE(opened.ok());
  LogStore& store = *opened.value();

  LogBatch b1;
  b1.streams.push_back(Stream("api", {{kT0 + 3 * kSec, R"({"msg":"reply","correlation_id":"req-1"})"},
                                      {kT0 + 1 * kSec, R"({"msg":"accept","correlation_id":"req-1"})"},
                                      {kT0 + 2 * kSec, R"({"msg":"other","correlation_id":"req-2"})"},
                                      {kT0 + 2 * kSec, "no id at all"}}));
  b1.streams.push_back(Stream("payments", {{kT0 + 2 * kSec, "charge failed cid=req-1 code=402"}}));
  auto stats = store.Append(b1);
  REQUIRE(stats.ok());
  CHECK(stats->lines == 5);
  CHECK(stats->with_id == 4);
  CHECK(stats->new_streams == 2);
  // A later batch: the compensating step, an hour later, and the same stream again.
  LogBatch b2;
  b2.streams.push_back(Stream("payments", {{kT0 + 3600 * kSec, R"({"msg":"refund","trace_id":"req-1"})"}}));
  REQUIRE(store.Append(b2).ok());
  CHECK(store.num_streams() == 2);

  auto lines = store.ByCorrelationId("req-1", INT64_MIN, INT64_MAX, 100);
  REQUIRE(lines.ok());
  CHECK(Texts(*lines) == std::vector<std::string>{
                             R"({"msg":"accept","correlation_id":"req-1"})", "charge failed cid=req-1 code=402",
                             R"({"msg":"reply","correlation_id":"req-1"})", R"({"msg":"refund","trace_id":"req-1"})"});
  CHECK((*lines)[1].stream->at(1).value == "payments");
  CHECK((*lines)[0].ts_ns == kT0 + kSec);
  CHECK((*lines)[0].correlation_id == "req-1");
  // A time window and a limit.
  CHECK(Texts(*store.ByCorrelationId("req-1", kT0 + 2 * kSec, kT0 + 3 * kSec, 100)).size() == 2);
  CHECK(Texts(*store.ByCorrelationId("req-1", INT64_MIN, INT64_MAX, 1)).size() == 1);
  CHECK(store.ByCorrelationId("nope", INT64_MIN, INT64_MAX, 100)->empty());
  CHECK(store.ByCorrelationId("", INT64_MIN, INT64_MAX, 100)->empty());
}

TEST_CASE("log store: selection by stream, time and line filter, both directions; reopen keeps it all") {
  testing::TempDir dir;
  {
    auto db = OpenDb(dir.path());
    auto store = LogStore::Open(db.get(), {});
    REQUIRE(store.ok());
    LogBatch b;
    std::vector<std::pair<int64_t, std::string>> api, db_lines;
    for (int i = 0; i < 10; ++i) api.push_back({kT0 + i * 600 * kSec, "api line " + std::to_string(i)});
    for (int i = 0; i < 3; ++i) db_lines.push_back({kT0 + i * kSec, "db line " + std::to_string(i)});
    b.streams.push_back(Stream("api", api));
    b.streams.push_back(Stream("db", db_lines));
    REQUIRE((*store)->Append(b).ok());
    // Backfill into an old hour, after newer lines.
    LogBatch old;
    old.streams.push_back(Stream("api", {{kT0 - 7200 * kSec, "api line old"}}));
    REQUIRE((*store)->Append(old).ok());
  }
  auto db = OpenDb(dir.path());
  auto opened = LogStore::Open(db.get(), {});
  REQUIRE(opened.ok());
  LogStore& store = *opened.value();
  CHECK(store.num_streams() == 2);

  const Matchers api = {Matcher::Equal("service", "api")};
  CHECK(Visit(store, api, /*backward=*/true, 3) == std::vector<std::string>{"api line 9", "api line 8", "api line 7"});
  CHECK(Visit(store, api, /*backward=*/false, 3) ==
        std::vector<std::string>{"api line old", "api line 0", "api line 1"});
  // The range: end exclusive.
  CHECK(Visit(store, api, false, 100, kT0, kT0 + 1200 * kSec) == std::vector<std::string>{"api line 0", "api line 1"});
  auto keep = [](std::string_view line) { return line.find(" 2") != std::string_view::npos; };
  CHECK(Visit(store, {Matcher::Regex("service", "api|db")}, false, 100, INT64_MIN, INT64_MAX, keep) ==
        std::vector<std::string>{"db line 2", "api line 2"});
  CHECK(store.Streams({Matcher::Equal("service", "db")}, INT64_MIN, INT64_MAX)->size() == 1);
  CHECK(store.Streams({}, INT64_MIN, INT64_MAX)->size() == 2);

  // New streams after a reopen get new ids: nothing is overwritten.
  LogBatch more;
  more.streams.push_back(Stream("cache", {{kT0, "cache line"}}));
  REQUIRE(store.Append(more).ok());
  CHECK(Visit(store, {Matcher::Equal("service", "db")}, true).size() == 3);
  CHECK(Visit(store, {Matcher::Equal("service", "cache")}, true) == std::vector<std::string>{"cache line"});
}

TEST_CASE("log store: retention hides older lines") {
  testing::TempDir dir;
  auto db = OpenDb(dir.path());
  LogStoreOptions options;
  options.retention_ms = 3600 * 1000;
  auto opened = LogStore::Open(db.get(), options);
  REQUIRE(opened.ok());
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  LogBatch b;
  b.streams.push_back(Stream("api", {{now - 7200 * kSec, "old cid=x"}, {now - 60 * kSec, "new cid=x"}}));
  REQUIRE((*opened)->Append(b).ok());
  CHECK(Texts(*(*opened)->ByCorrelationId("x", INT64_MIN, INT64_MAX, 10)) == std::vector<std::string>{"new cid=x"});
  CHECK(Visit(**opened, {Matcher::Equal("service", "api")}, true) == std::vector<std::string>{"new cid=x"});
}

}  // namespace
}  // namespace gnomon::logs
