// The log store (logs/log_store.h): lines by correlation ID in time order across streams and
// batches, time/stream selection with a line filter and both directions, backfill into old hours,
// reopening (streams, sequence numbers and lines survive), and retention. Each case runs with the
// lines in the head, in small segments beside the head, and all in segments.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "logs/log_store.h"
#include "storage/keyspace.h"
#include "test_util.h"
#include "util/time_format.h"

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

// A store in a new directory.
struct Fixture {
  explicit Fixture(const LogStoreOptions& options = {}) {
    auto opened = LogStore::Open(db.get(), options);
    REQUIRE(opened.ok());
    store = std::move(opened.value());
  }
  testing::TempDir dir;
  std::unique_ptr<DB> db = OpenDb(dir.path());
  std::unique_ptr<LogStore> store;
};

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

// The lines a Scan with `options` over everything visits, as text.
std::vector<std::string> ScanAll(const LogStore& store, const ScanOptions& options) {
  std::vector<std::string> got;
  REQUIRE(store
              .Scan({}, INT64_MIN, INT64_MAX, options,
                    [&](const StoredLine& l) {
                      got.push_back(l.line);
                      return true;
                    })
              .ok());
  return got;
}

// A `|= needle` search's options (the store's hint and the line filter), and the lines of `lines`
// it must find.
ScanOptions SearchFor(const std::string& needle) {
  ScanOptions o;
  o.required = {needle};
  o.line_filter = [needle](std::string_view l) { return l.find(needle) != std::string_view::npos; };
  return o;
}

std::vector<std::string> Containing(const std::vector<std::string>& lines, const std::string& needle) {
  std::vector<std::string> out;
  for (const std::string& l : lines) {
    if (l.find(needle) != std::string::npos) out.push_back(l);
  }
  return out;
}

// The three ways lines can be kept: all in the head (log records), sealed every two rows (most in
// small segments, the rest in the head), or sealed by Flush before reading.
struct Layout {
  const char* name;
  size_t segment_max_rows;
  bool flush;
};
constexpr Layout kLayouts[] = {{"head", 1'000'000, false}, {"small segments", 2, false}, {"flushed", 1'000'000, true}};

LogStoreOptions WithLayout(const Layout& layout, LogStoreOptions o = {}) {
  o.segment_max_rows = layout.segment_max_rows;
  return o;
}

void Settle(LogStore& store, const Layout& layout) {
  if (layout.flush) REQUIRE(store.Flush().ok());
}

std::vector<std::string> Texts(const std::vector<StoredLine>& lines) {
  std::vector<std::string> v;
  for (const StoredLine& l : lines) v.push_back(l.line);
  return v;
}

TEST_CASE("log store: a correlation ID finds its lines across services and batches, in time order") {
  for (const Layout& layout : kLayouts) {
    CAPTURE(layout.name);
    Fixture f(WithLayout(layout));
    LogStore& store = *f.store;

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
    Settle(store, layout);

    auto lines = store.ByCorrelationId("req-1", INT64_MIN, INT64_MAX, 100);
    REQUIRE(lines.ok());
    CHECK(Texts(*lines) == std::vector<std::string>{R"({"msg":"accept","correlation_id":"req-1"})",
                                                    "charge failed cid=req-1 code=402",
                                                    R"({"msg":"reply","correlation_id":"req-1"})",
                                                    R"({"msg":"refund","trace_id":"req-1"})"});
    CHECK((*lines)[1].stream->at(1).value == "payments");
    CHECK((*lines)[0].ts_ns == kT0 + kSec);
    CHECK((*lines)[0].correlation_id == "req-1");
    // A time window and a limit.
    CHECK(Texts(*store.ByCorrelationId("req-1", kT0 + 2 * kSec, kT0 + 3 * kSec, 100)).size() == 2);
    CHECK(Texts(*store.ByCorrelationId("req-1", INT64_MIN, INT64_MAX, 1)).size() == 1);
    CHECK(store.ByCorrelationId("nope", INT64_MIN, INT64_MAX, 100)->empty());
    CHECK(store.ByCorrelationId("", INT64_MIN, INT64_MAX, 100)->empty());
  }
}

TEST_CASE("log store: selection by stream, time and line filter, both directions; reopen keeps it all") {
  for (const Layout& layout : kLayouts) {
    CAPTURE(layout.name);
    testing::TempDir dir;
    {
      auto db = OpenDb(dir.path());
      auto store = LogStore::Open(db.get(), WithLayout(layout));
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
      Settle(**store, layout);
    }
    auto db = OpenDb(dir.path());
    auto opened = LogStore::Open(db.get(), WithLayout(layout));
    REQUIRE(opened.ok());
    LogStore& store = *opened.value();
    CHECK(store.num_streams() == 2);

    const Matchers api = {Matcher::Equal("service", "api")};
    CHECK(Visit(store, api, /*backward=*/true, 3) ==
          std::vector<std::string>{"api line 9", "api line 8", "api line 7"});
    CHECK(Visit(store, api, /*backward=*/false, 3) ==
          std::vector<std::string>{"api line old", "api line 0", "api line 1"});
    // The range: end exclusive.
    CHECK(Visit(store, api, false, 100, kT0, kT0 + 1200 * kSec) ==
          std::vector<std::string>{"api line 0", "api line 1"});
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
    if (layout.segment_max_rows == 2) CHECK(store.num_segments() >= 2);
    if (layout.flush) CHECK(store.num_segments() == 1);
  }
}

TEST_CASE("log store: retention hides older lines") {
  for (const Layout& layout : kLayouts) {
    CAPTURE(layout.name);
    LogStoreOptions options;
    options.retention_ms = 3600 * 1000;
    Fixture f(WithLayout(layout, options));
    LogStore& store = *f.store;
    const int64_t now =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    LogBatch b;
    b.streams.push_back(Stream("api", {{now - 7200 * kSec, "old cid=x"}, {now - 60 * kSec, "new cid=x"}}));
    REQUIRE(store.Append(b).ok());
    Settle(store, layout);
    CHECK(Texts(*store.ByCorrelationId("x", INT64_MIN, INT64_MAX, 10)) == std::vector<std::string>{"new cid=x"});
    CHECK(Visit(store, {Matcher::Equal("service", "api")}, true) == std::vector<std::string>{"new cid=x"});
  }
}

TEST_CASE("log store: a filtered scan finds texts that run into or out of a line's own (left-out) time") {
  Fixture f;
  LogBatch b;
  std::vector<std::pair<int64_t, std::string>> lines;
  std::vector<std::string> sent;
  for (int64_t i = 0; i < 400; ++i) {
    const int64_t ts = kT0 + i * 1'000'003;
    char t[30];
    REQUIRE(FormatRfc3339Fixed9(ts, t) == 30);
    const std::string time(t, 30);
    std::string line;
    switch (i % 4) {
      case 0: line = R"({"ts":")" + time + R"(","msg":"x)" + std::to_string(i) + "\"}"; break;
      case 1: line = "item SKU-0424" + time + " end " + std::to_string(i); break;  // a text running into it
      case 2: line = time + "Zulu " + std::to_string(i); break;                    // and out of it
      default: line = "no time here " + std::to_string(i);
    }
    lines.push_back({ts, line});
    sent.push_back(line);
  }
  b.streams.push_back(Stream("api", lines));
  REQUIRE(f.store->Append(b).ok());
  REQUIRE(f.store->Flush().ok());
  char t5[30];
  REQUIRE(FormatRfc3339Fixed9(kT0 + 5 * 1'000'003, t5) == 30);
  const std::string whole = "SKU-0424" + std::string(t5, 30) + " end 5";
  for (const std::string& needle : {std::string(R"("ts":"20)"), std::string("SKU-04242"), std::string("Z\",\"msg"),
                                    std::string("9Z\",\"msg\":\"x12\""), std::string("Zulu 6"), whole,
                                    std::string("SKU-04243"), std::string("absent")}) {
    CAPTURE(needle);
    CHECK(ScanAll(*f.store, SearchFor(needle)) == Containing(sent, needle));
  }
}

TEST_CASE("log store: a keyspace of the first layout opens (its streams kept, its lines not read)") {
  testing::TempDir dir;
  auto db = OpenDb(dir.path());
  {
    auto ks = storage::OpenKeyspace(db.get(), "logs");
    REQUIRE(ks.ok());
    std::string counters(16, '\0');  // next stream id, next block seq
    REQUIRE((*ks)->Put("m/next", counters).ok());
  }
  auto opened = LogStore::Open(db.get(), {});
  REQUIRE(opened.ok());
  LogBatch b;
  b.streams.push_back(Stream("api", {{kT0, "new line cid=n"}}));
  REQUIRE((*opened)->Append(b).ok());
  REQUIRE((*opened)->Flush().ok());
  CHECK(Texts(*(*opened)->ByCorrelationId("n", INT64_MIN, INT64_MAX, 10)) ==
        std::vector<std::string>{"new line cid=n"});
}

TEST_CASE("log store: a head no push seals is sealed by the background thread once past head_max_age_ms") {
  LogStoreOptions options;
  options.head_max_age_ms = 200;
  Fixture f(options);
  LogBatch b;
  b.streams.push_back(Stream("api", {{kT0, "only line cid=q"}}));
  REQUIRE(f.store->Append(b).ok());
  CHECK(f.store->num_segments() == 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (f.store->num_segments() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(f.store->num_segments() == 1);
  CHECK(Texts(*f.store->ByCorrelationId("q", INT64_MIN, INT64_MAX, 10)) == std::vector<std::string>{"only line cid=q"});
}

TEST_CASE("log store: a segment wholly past retention is deleted, its index keys too") {
  LogStoreOptions options;
  options.retention_ms = 3600 * 1000;
  Fixture f(options);
  LogStore& store = *f.store;
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  LogBatch old;
  old.streams.push_back(Stream("api", {{now - 7200 * kSec, "old cid=x"}, {now - 7100 * kSec, "old too cid=y"}}));
  REQUIRE(store.Append(old).ok());
  REQUIRE(store.Flush().ok());
  LogBatch fresh;
  fresh.streams.push_back(Stream("api", {{now - 60 * kSec, "new cid=x"}}));
  REQUIRE(store.Append(fresh).ok());
  REQUIRE(store.Flush().ok());  // seals the new segment, then drops the old one
  CHECK(store.num_segments() == 1);
  auto ks = storage::OpenKeyspace(f.db.get(), "logs");
  REQUIRE(ks.ok());
  size_t index_keys = 0;
  REQUIRE((*ks)->ScanPrefix("c/", [&](std::string_view, std::string_view) { return ++index_keys, true; }).ok());
  CHECK(index_keys == 1);  // x in the new segment; the old segment's x and y are gone
  CHECK(Texts(*store.ByCorrelationId("x", INT64_MIN, INT64_MAX, 10)) == std::vector<std::string>{"new cid=x"});
}

TEST_CASE("log store: segments give back every line byte for byte, across blocks, with their own times") {
  testing::TempDir dir;
  std::vector<std::string> sent;
  std::vector<int64_t> times;
  {
    auto db = OpenDb(dir.path());
    LogStoreOptions options;
    options.segment_max_rows = 3000;  // one segment of 7,000 rows (~1.2 MB of lines: several blocks) and a head
    auto opened = LogStore::Open(db.get(), options);
    REQUIRE(opened.ok());
    LogBatch b;
    std::vector<std::pair<int64_t, std::string>> lines;
    for (int64_t i = 0; i < 7000; ++i) {
      const int64_t ts = kT0 + i * 1'234'567 + (i % 7 == 0 ? 0 : i);
      char text[31];
      REQUIRE(FormatRfc3339Fixed9(ts, text) == 30);
      std::string line;
      switch (i % 4) {
        case 0:  // its own time in the nine-digit form: stored once
          line = R"({"ts":")" + std::string(text, 30) + R"(","msg":"step )" + std::to_string(i) + R"(","trace_id":"t)" +
                 std::to_string(i / 10) + "\"}";
          break;
        case 1:  // another time
          line = "2001-01-01T00:00:00.000000000Z step " + std::to_string(i) + " cid=t" + std::to_string(i / 10);
          break;
        case 2:  // its time twice: the first occurrence is left out
          line = std::string(text, 30) + " and " + std::string(text, 30);
          break;
        default: line = std::string(200 + i % 50, 'x') + std::to_string(i);
      }
      lines.push_back({ts, line});
      sent.push_back(line);
      times.push_back(ts);
    }
    b.streams.push_back(Stream("api", lines));
    REQUIRE((*opened)->Append(b).ok());
    LogBatch tail;
    tail.streams.push_back(Stream("api", {{kT0 + 9'000'000'000'000, "the last line"}}));
    REQUIRE((*opened)->Append(tail).ok());
    sent.push_back("the last line");
    times.push_back(kT0 + 9'000'000'000'000);
    CHECK((*opened)->num_segments() == 1);  // 7,000 rows in one append: one segment; the tail in the head
    REQUIRE((*opened)->Compact().ok());     // rewritten at compaction_level: the same lines, smaller
  }
  auto db = OpenDb(dir.path());
  auto opened = LogStore::Open(db.get(), {});
  REQUIRE(opened.ok());
  std::vector<std::string> got;
  std::vector<int64_t> got_times;
  REQUIRE((*opened)
              ->ForEach({Matcher::Equal("service", "api")}, INT64_MIN, INT64_MAX, false,
                        [&](const StoredLine& l) {
                          got.push_back(l.line);
                          got_times.push_back(l.ts_ns);
                          return true;
                        })
              .ok());
  CHECK(got == sent);
  CHECK(got_times == times);
  auto t42 = (*opened)->ByCorrelationId("t42", INT64_MIN, INT64_MAX, 100);
  REQUIRE(t42.ok());
  REQUIRE(t42->size() == 6);  // rows 420..429: 420, 421, 424, 425, 428, 429
  CHECK((*t42)[0].line == sent[420]);
  CHECK((*t42)[5].line == sent[429]);
  // Backward, the newest first.
  std::vector<std::string> last3;
  REQUIRE((*opened)
              ->ForEach({}, INT64_MIN, INT64_MAX, true,
                        [&](const StoredLine& l) {
                          last3.push_back(l.line);
                          return last3.size() < 3;
                        })
              .ok());
  CHECK(last3 == std::vector<std::string>{sent[7000], sent[6999], sent[6998]});
}

TEST_CASE("log store: scan hints leave out what the filters drop, read no text when asked, keep a budget") {
  for (const Layout& layout : kLayouts) {
    CAPTURE(layout.name);
    Fixture f(WithLayout(layout));
    LogStore& store = *f.store;
    LogBatch b;
    std::vector<std::pair<int64_t, std::string>> lines;
    for (int i = 0; i < 50; ++i)
      lines.push_back({kT0 + i * kSec, "order " + std::to_string(i) + " SKU-" + std::to_string(i % 7)});
    b.streams.push_back(Stream("api", lines));
    REQUIRE(store.Append(b).ok());
    Settle(store, layout);
    auto scan = [&](const ScanOptions& o, std::vector<std::string>* out) {
      return store.Scan({Matcher::Equal("service", "api")}, INT64_MIN, INT64_MAX, o, [&](const StoredLine& l) {
        out->push_back(l.line);
        return true;
      });
    };
    ScanOptions o;
    o.required = {"SKU-3"};
    o.line_filter = [](std::string_view l) { return l.find("SKU-3") != std::string_view::npos; };
    std::vector<std::string> got;
    REQUIRE(scan(o, &got).ok());
    CHECK(got == std::vector<std::string>{"order 3 SKU-3", "order 10 SKU-3", "order 17 SKU-3", "order 24 SKU-3",
                                          "order 31 SKU-3", "order 38 SKU-3", "order 45 SKU-3"});
    o.required = {"SKU-404"};  // in no line: nothing visited
    got.clear();
    REQUIRE(scan(o, &got).ok());
    CHECK(got.empty());
    ScanOptions no_text;
    no_text.lines = false;
    got.clear();
    REQUIRE(scan(no_text, &got).ok());
    REQUIRE(got.size() == 50);
    CHECK(got[0].empty());
    ScanOptions budget;
    budget.max_lines = 49;
    got.clear();
    CHECK(scan(budget, &got).code() == Status::Code::kResourceExhausted);
    budget.max_lines = 50;
    got.clear();
    CHECK(scan(budget, &got).ok());
  }
}

// Compaction builds the filters, whether it recompresses (level 9) or not (level 0).
void CheckTextFilters(int level) {
  LogStoreOptions options;
  options.compaction_level = level;
  Fixture f(options);
  LogBatch b;
  std::vector<std::pair<int64_t, std::string>> lines;
  std::vector<std::string> sent;
  for (int64_t i = 0; i < 48000; ++i) {
    const int64_t ts = kT0 + i * 1'000'037;
    char t[30];
    REQUIRE(FormatRfc3339Fixed9(ts, t) == 30);
    std::string line = R"({"ts":")" + std::string(t, 30) + R"(","correlation_id":"cid-)" + std::to_string(i / 7) + "x" +
                       std::to_string(i % 3) + R"(","msg":"product SKU-)" + std::to_string(10000 + i * 7 % 9000) +
                       " served " + std::string(50, static_cast<char>('a' + i % 26)) + "\"}";
    sent.push_back(line);
    lines.push_back({ts, std::move(line)});
  }
  b.streams.push_back(Stream("api", lines));
  REQUIRE(f.store->Append(b).ok());
  REQUIRE(f.store->Flush().ok());
  size_t total = 0;
  for (const std::string& l : sent) total += l.size();
  char t[30];
  REQUIRE(FormatRfc3339Fixed9(kT0 + 777 * 1'000'037, t) == 30);
  const std::string fraction = "." + std::string(t + 20, 6);  // a left-out time's fraction
  // Segments get their filters when compacted: before, every block is read.
  for (bool compacted : {false, true}) {
    if (compacted) REQUIRE(f.store->Compact().ok());
    for (const std::string& needle :
         {std::string("SKU-10007 "), std::string("-1234x"), std::string("cid-1234x1"), std::string("_id\":\"cid-99x"),
          fraction, std::string("SKU-99999"), std::string("/no such text")}) {
      CAPTURE(needle);
      CAPTURE(compacted);
      const std::vector<std::string> want = Containing(sent, needle);
      ScanOptions o = SearchFor(needle);
      ScanStats stats;
      o.stats = &stats;
      const std::vector<std::string> got = ScanAll(*f.store, o);
      CHECK(got == want);
      if (compacted && want.size() <= 2) CHECK(stats.bytes * 3 < total);  // most blocks were never read
      if (!compacted) CHECK(stats.bytes >= total);
    }
  }
}

TEST_CASE("log store: text filters skip blocks, yet texts inside IDs and left-out times are found") {
  CheckTextFilters(9);
}

TEST_CASE("log store: compaction at level 0 still builds the text filters") { CheckTextFilters(0); }

// How many keys of the logs keyspace are sealed blocks (`l`), split blocks (`s`) or lists of keys
// a compaction replaced (`x`).
size_t CountKeys(DB* db, char kind) {
  auto ks =
      storage::OpenKeyspace(db, "logs", {.memtable_bytes = 32 << 20, .compress = false, .compress_at_rest = true});
  REQUIRE(ks.ok());
  size_t n = 0;
  REQUIRE((*ks)
              ->ScanPrefix(kind == 'x' ? "x/" : "g/",
                           [&](std::string_view key, std::string_view) {
                             n += kind == 'x' || (key.size() > 10 && key[10] == kind);
                             return true;
                           })
              .ok());
  return n;
}

TEST_CASE("log store: a scan that began before a compaction reads on; the replaced keys go once it ends") {
  testing::TempDir dir;
  std::vector<std::string> sent;
  {
    auto db = OpenDb(dir.path());
    auto opened = LogStore::Open(db.get(), {});
    REQUIRE(opened.ok());
    LogStore& store = **opened;
    LogBatch b;
    std::vector<std::pair<int64_t, std::string>> lines;
    for (int64_t i = 0; i < 20000; ++i) {
      lines.push_back({kT0 + i * 1000, R"({"trace_id":"t)" + std::to_string(i / 9) + R"(","msg":"step )" +
                                           std::to_string(i) + " " + std::string(40, 'a' + i % 26) + "\"}"});
      sent.push_back(lines.back().second);
    }
    b.streams.push_back(Stream("api", lines));
    REQUIRE(store.Append(b).ok());
    REQUIRE(store.Flush().ok());
    const size_t sealed_blocks = CountKeys(db.get(), 'l');
    REQUIRE(sealed_blocks > 2);
    std::vector<std::string> got;
    REQUIRE(store
                .ForEach({}, INT64_MIN, INT64_MAX, false,
                         [&](const StoredLine& l) {
                           got.push_back(l.line);
                           if (got.size() == 100) REQUIRE(store.Compact().ok());  // meanwhile
                           return true;
                         })
                .ok());
    CHECK(got == sent);
    CHECK(CountKeys(db.get(), 's') == sealed_blocks);  // the new blocks, beside
    CHECK(CountKeys(db.get(), 'l') == sealed_blocks);  // the old ones the scan still read
    CHECK(CountKeys(db.get(), 'x') == 1);
    // The store closes before deleting them: its next Open does.
  }
  auto db = OpenDb(dir.path());
  auto opened = LogStore::Open(db.get(), {});
  REQUIRE(opened.ok());
  CHECK(CountKeys(db.get(), 'l') == 0);
  CHECK(CountKeys(db.get(), 'x') == 0);
  CHECK(Visit(**opened, {}, false, 100000) == sent);
  auto t7 = (*opened)->ByCorrelationId("t7", INT64_MIN, INT64_MAX, 100);
  REQUIRE(t7.ok());
  REQUIRE(t7->size() == 9);
  CHECK((*t7)[0].line == sent[63]);
  // A compaction no reader overlaps deletes what it replaced at once.
  LogBatch more;
  more.streams.push_back(Stream("api", {{kT0 + 30'000'000, R"({"trace_id":"z","msg":"late"})"}}));
  REQUIRE((*opened)->Append(more).ok());
  REQUIRE((*opened)->Flush().ok());
  CHECK(CountKeys(db.get(), 'l') == 1);
  REQUIRE((*opened)->Compact().ok());
  CHECK(CountKeys(db.get(), 'l') == 0);
  CHECK(CountKeys(db.get(), 'x') == 0);
}

TEST_CASE("log store: a sourced batch is stored once; an overlap is refused; the range survives reopening") {
  testing::TempDir dir;
  auto sourced = [](const std::string& line, uint64_t start, uint64_t end) {
    LogBatch b;
    b.streams.push_back(Stream("api", {{kT0 + static_cast<int64_t>(start), line}}));
    b.source = LogSource{"dev1:ino7:abcd", start, end};
    return b;
  };
  {
    auto db = OpenDb(dir.path());
    auto opened = LogStore::Open(db.get(), {});
    REQUIRE(opened.ok());
    LogStore& store = **opened;
    CHECK_FALSE(store.SourceEnd("dev1:ino7:abcd").has_value());
    auto first = store.Append(sourced("a", 0, 10));
    REQUIRE(first.ok());
    CHECK_FALSE(first->duplicate);
    CHECK(store.SourceEnd("dev1:ino7:abcd") == 10u);
    auto again = store.Append(sourced("a", 0, 10));  // a resend after a lost answer
    REQUIRE(again.ok());
    CHECK(again->duplicate);
    CHECK(again->lines == 0);
    auto overlap = store.Append(sourced("b", 5, 20));
    CHECK(overlap.status().code() == Status::Code::kFailedPrecondition);
    CHECK(store.Append(sourced("b", 10, 20)).ok());
    CHECK(store.Append(sourced("d", 30, 40)).ok());  // a gap (a batch the sender skipped) is fine
    LogBatch empty;                                  // a range with no line left moves the range too
    empty.source = LogSource{"other", 0, 7};
    REQUIRE(store.Append(empty).ok());
    CHECK(store.SourceEnd("other") == 7u);
    CHECK(Visit(store, {}, false) == std::vector<std::string>{"a", "b", "d"});
  }
  auto db = OpenDb(dir.path());
  auto opened = LogStore::Open(db.get(), {});
  REQUIRE(opened.ok());
  CHECK((*opened)->SourceEnd("dev1:ino7:abcd") == 40u);
  CHECK((*opened)->SourceEnd("other") == 7u);
  auto again = (*opened)->Append(sourced("d", 30, 40));
  REQUIRE(again.ok());
  CHECK(again->duplicate);
  CHECK(Visit(**opened, {}, false) == std::vector<std::string>{"a", "b", "d"});
}

TEST_CASE("log store: a filtered scan over many blocks (searched on two threads) keeps exactly the matching lines") {
  Fixture f;
  LogStore& store = *f.store;
  LogBatch b;
  std::vector<std::pair<int64_t, std::string>> lines;
  std::vector<std::string> want;
  for (int64_t i = 0; i < 20000; ++i) {
    std::string line = "request " + std::to_string(i) + " item=" + std::to_string(i * 7919 % 10007) + " " +
                       std::string(60, static_cast<char>('a' + i % 26));
    if (line.find("item=42") != std::string::npos) want.push_back(line);
    lines.push_back({kT0 + i * 1000, std::move(line)});
  }
  b.streams.push_back(Stream("api", lines));
  REQUIRE(store.Append(b).ok());
  REQUIRE(store.Flush().ok());
  ScanOptions o;
  o.required = {"item=42"};
  o.line_filter = [](std::string_view l) { return l.find("item=42") != std::string_view::npos; };
  ScanStats stats;
  o.stats = &stats;
  const std::vector<std::string> got = ScanAll(store, o);
  REQUIRE(want.size() > 10);
  CHECK(got == want);
  CHECK(stats.lines == 20000);
}

}  // namespace
}  // namespace gnomon::logs
