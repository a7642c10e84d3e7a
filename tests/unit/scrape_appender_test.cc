// One target's scrapes stored (scrape/scrape_appender.h), on an in-memory engine: the target's
// labels on every series (a clashing scraped label becomes exported_<name>, or wins with
// honor_labels), metric_relabel_configs, sample_limit and label_limit failing the scrape,
// honor_timestamps, the five report series, stale markers for the series that went away or after
// a failure, and the series-text cache (a series seen before is written by its engine ref; a
// relabelled-away one stays away; forgotten entries come back right). Also the loop's offsets.
#include "scrape/scrape_appender.h"

#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "scrape/scrape_config.h"
#include "scrape/scrape_loop.h"
#include "util/stale_marker.h"

namespace gnomon::scrape {
namespace {

constexpr auto kText = ExpositionFormat::kPrometheusText;

ScrapeTarget Target() {
  ScrapeTarget t;
  t.job = "node";
  t.url = "http://127.0.0.1:9100/metrics";
  t.labels = {{"instance", "127.0.0.1:9100"}, {"job", "node"}};
  return t;
}

std::unique_ptr<DB> OpenDb() {
  Options o;
  o.in_memory = true;
  std::unique_ptr<DB> db;
  REQUIRE(DB::Open(o, "scrape-test", &db).ok());
  return db;
}

// Every series of the target ("name=value,..." sorted) -> its samples by timestamp.
struct Stored {
  std::map<std::string, std::map<int64_t, double>> series;
  bool Has(const std::string& s, int64_t t) const { return series.count(s) > 0 && series.at(s).count(t) > 0; }
  double At(const std::string& s, int64_t t) const {
    REQUIRE_MESSAGE(Has(s, t), s, " @", t);
    return series.at(s).at(t);
  }
};

Stored Read(DB* db) {
  Stored out;
  auto set = db->Select({Matcher::Equal("instance", "127.0.0.1:9100")}, INT64_MIN, INT64_MAX);
  REQUIRE(set.ok());
  while ((*set)->Next()) {
    std::string text;
    for (const Label& l : (*set)->labels()) text += l.name + "=" + l.value + ",";
    for (auto* it = (*set)->samples(); it->Next();) out.series[text][it->At().timestamp] = it->At().value;
  }
  REQUIRE((*set)->status().ok());
  return out;
}

const std::string kUp = "__name__=up,instance=127.0.0.1:9100,job=node,";
const std::string kScraped = "__name__=scrape_samples_scraped,instance=127.0.0.1:9100,job=node,";
const std::string kPostRelabel = "__name__=scrape_samples_post_metric_relabeling,instance=127.0.0.1:9100,job=node,";
const std::string kAdded = "__name__=scrape_series_added,instance=127.0.0.1:9100,job=node,";

TEST_CASE("scrape: target labels, exported_ clashes, honor_labels, the report") {
  auto db = OpenDb();
  ScrapeTarget t = Target();
  ScrapeAppender app(&t, db.get());
  CHECK(app.Append("cpu{job=\"scraped\",mode=\"idle\"} 5\nmem 7 123\n", kText, "", 1000, 0.25) == "");
  Stored s = Read(db.get());
  CHECK(s.At("__name__=cpu,exported_job=scraped,instance=127.0.0.1:9100,job=node,mode=idle,", 1000) == 5);
  CHECK(s.At("__name__=mem,instance=127.0.0.1:9100,job=node,", 123) == 7);  // honor_timestamps
  CHECK(s.At(kUp, 1000) == 1);
  CHECK(s.At("__name__=scrape_duration_seconds,instance=127.0.0.1:9100,job=node,", 1000) == 0.25);
  CHECK(s.At(kScraped, 1000) == 2);
  CHECK(s.At(kAdded, 1000) == 2);
  // mem has its own timestamp: not tracked, so no stale marker when it goes.
  CHECK(app.Append("cpu{job=\"scraped\",mode=\"idle\"} 6\n", kText, "", 2000, 0.25) == "");
  s = Read(db.get());
  CHECK(s.At("__name__=cpu,exported_job=scraped,instance=127.0.0.1:9100,job=node,mode=idle,", 2000) == 6);
  CHECK(s.series.at("__name__=mem,instance=127.0.0.1:9100,job=node,").size() == 1);
  CHECK(s.At(kAdded, 2000) == 0);

  auto db2 = OpenDb();
  t.honor_labels = true;
  t.honor_timestamps = false;
  ScrapeAppender honoured(&t, db2.get());
  CHECK(honoured.Append("cpu{job=\"scraped\"} 5\nmem 7 123\n", kText, "", 2000, 0.1) == "");
  s = Read(db2.get());
  CHECK(s.Has("__name__=cpu,instance=127.0.0.1:9100,job=scraped,", 2000));  // the scraped value wins
  CHECK(s.Has("__name__=mem,instance=127.0.0.1:9100,job=node,", 2000));
}

TEST_CASE("scrape: series that went away and failed scrapes get stale markers") {
  auto db = OpenDb();
  ScrapeTarget t = Target();
  ScrapeAppender app(&t, db.get());
  const std::string a = "__name__=a,instance=127.0.0.1:9100,job=node,";
  const std::string b = "__name__=b,instance=127.0.0.1:9100,job=node,";
  CHECK(app.Append("a 1\nb 2\n", kText, "", 1000, 0) == "");
  CHECK(app.Append("a 1\n", kText, "", 2000, 0) == "");
  Stored s = Read(db.get());
  CHECK(IsStaleNaN(s.At(b, 2000)));
  CHECK(s.At(kAdded, 2000) == 0);
  CHECK(app.Append("", kText, "server returned HTTP status 500", 3000, 0) == "server returned HTTP status 500");
  s = Read(db.get());
  CHECK(IsStaleNaN(s.At(a, 3000)));
  CHECK_FALSE(s.Has(b, 3000));  // already stale
  CHECK(s.At(kUp, 3000) == 0);
  CHECK(s.At(kScraped, 3000) == 0);
  // Back: both series are new again; then a malformed body fails the scrape by line.
  CHECK(app.Append("a 4\nb 5\n", kText, "", 4000, 0) == "");
  CHECK(app.Append("a 6\nb{ 7\n", kText, "", 5000, 0).find("line 2:") == 0);
  s = Read(db.get());
  CHECK(s.At(kAdded, 4000) == 2);
  CHECK(s.At(a, 4000) == 4);
  CHECK(IsStaleNaN(s.At(a, 5000)));  // nothing of the bad body stored: a's 6 is not there
  CHECK(IsStaleNaN(s.At(b, 5000)));
  CHECK(s.At(kUp, 5000) == 0);
  // The target goes away after a good scrape: its series and its report end.
  CHECK(app.Append("a 8\n", kText, "", 6000, 0) == "");
  REQUIRE(app.MarkStale(7000).ok());
  s = Read(db.get());
  CHECK(IsStaleNaN(s.At(a, 7000)));
  CHECK(IsStaleNaN(s.At(kUp, 7000)));
}

TEST_CASE("scrape: metric_relabel_configs, sample_limit and label_limit") {
  auto jobs = ParseScrapeConfigs(R"(scrape_configs:
  - job_name: node
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'drop_.*'
        action: drop
      - regex: 'noise'
        action: labeldrop
)",
                                 "test.yml");
  REQUIRE(jobs.ok());
  auto db = OpenDb();
  ScrapeTarget t = Target();
  t.metric_relabel_configs = jobs->at(0).metric_relabel_configs;
  const std::string keep = "__name__=keep_me,instance=127.0.0.1:9100,job=node,";
  {
    ScrapeAppender app(&t, db.get());
    for (int64_t ts : {1000, 2000}) {  // the second time from the cache: still dropped, still kept
      CHECK(app.Append("keep_me 1\ndrop_me 2\n", kText, "", ts, 0) == "");
      Stored s = Read(db.get());
      CHECK(s.At(keep, ts) == 1);
      CHECK(s.At(kScraped, ts) == 2);
      CHECK(s.At(kPostRelabel, ts) == 1);
    }
    CHECK(Read(db.get()).series.count("__name__=drop_me,instance=127.0.0.1:9100,job=node,") == 0);
    // Two texts that relabel into one series: the first value, as Prometheus.
    CHECK(app.Append("keep_me{noise=\"a\"} 3\nkeep_me{noise=\"b\"} 4\n", kText, "", 3000, 0) == "");
    CHECK(Read(db.get()).At(keep, 3000) == 3);
    CHECK(app.Append("keep_me 5\nkeep_me 6\n", kText, "", 4000, 0) == "");
    CHECK(Read(db.get()).At(keep, 4000) == 5);
  }

  t.sample_limit = 1;
  {
    ScrapeAppender app(&t, db.get());
    CHECK(app.Append("keep_me 1\nkeep_too 2\n", kText, "", 5000, 0) == "sample limit exceeded");
    Stored s = Read(db.get());
    CHECK_FALSE(s.Has(keep, 5000));  // nothing of it stored
    CHECK(s.At(kUp, 5000) == 0);
  }

  t.sample_limit = 0;
  t.label_limit = 3;
  {
    ScrapeAppender app(&t, db.get());
    CHECK(app.Append("wide{a=\"1\",b=\"2\"} 1\n", kText, "", 6000, 0).find("label_limit exceeded") == 0);
  }

  t.label_limit = 0;
  {
    ScrapeAppender app(&t, db.get());
    CHECK(app.Append("ok 1\nbad{__hidden=\"x\"} 2\n", kText, "", 7000, 0).find("bad{") == 0);  // named
    Stored s = Read(db.get());
    CHECK_FALSE(s.Has("__name__=ok,instance=127.0.0.1:9100,job=node,", 7000));
    CHECK(s.At(kUp, 7000) == 0);
  }
}

TEST_CASE("scrape: the series-text cache forgets what is not seen, and relearns it") {
  auto db = OpenDb();
  ScrapeTarget t = Target();
  ScrapeAppender app(&t, db.get());
  int64_t ts = 1000;
  CHECK(app.Append("gone 1\nstays 1\n", kText, "", ts, 0) == "");
  for (int i = 0; i < 10; ++i) CHECK(app.Append("stays 2\n", kText, "", ts += 1000, 0) == "");
  CHECK(app.cached_texts() == 1);
  CHECK(app.Append("gone 3\nstays 3\n", kText, "", ts += 1000, 0) == "");
  Stored s = Read(db.get());
  CHECK(s.At("__name__=gone,instance=127.0.0.1:9100,job=node,", ts) == 3);
  CHECK(s.At(kAdded, ts) == 1);
  CHECK(s.series.size() == 7);  // gone, stays and the five report series
}

TEST_CASE("scrape: the cache follows reordered, inserted and removed series") {
  auto db = OpenDb();
  ScrapeTarget t = Target();
  ScrapeAppender app(&t, db.get());
  auto name = [](const char* n) { return std::string("__name__=") + n + ",instance=127.0.0.1:9100,job=node,"; };
  CHECK(app.Append("a 1\nb 2\nc 3\n", kText, "", 1000, 0) == "");
  CHECK(app.Append("c 4\na 5\nb 6\n", kText, "", 2000, 0) == "");          // reordered
  CHECK(app.Append("a 7\nnew 8\nb 9\nc 10\n", kText, "", 3000, 0) == "");  // one inserted
  CHECK(app.Append("a 7\nnew 8\nb 9\nc 11\n", kText, "", 4000, 0) == "");  // the same series
  CHECK(app.Append("a 12\nc 13 5000\n", kText, "", 5000, 0) == "");         // b, new gone; c stamped
  CHECK(app.Append("a 14\nc 15\n", kText, "", 6000, 0) == "");              // c tracked again
  Stored s = Read(db.get());
  CHECK(s.At(name("c"), 2000) == 4);
  CHECK(s.At(name("a"), 2000) == 5);
  CHECK(s.At(kAdded, 2000) == 0);
  CHECK(s.At(name("new"), 3000) == 8);
  CHECK(s.At(kAdded, 3000) == 1);
  CHECK(s.At(name("c"), 4000) == 11);
  CHECK(s.At(kAdded, 4000) == 0);
  CHECK(s.At(name("a"), 5000) == 12);
  CHECK(IsStaleNaN(s.At(name("b"), 5000)));
  CHECK(IsStaleNaN(s.At(name("new"), 5000)));
  CHECK(s.At(name("c"), 5000) == 13);  // its own timestamp, and no marker: it is there
  CHECK(s.At(name("c"), 6000) == 15);
  for (int64_t ts = 1000; ts <= 6000; ts += 1000) CHECK(s.At(kUp, ts) == 1);
  CHECK(app.cached_texts() == 2);
}

TEST_CASE("engine: a batch names series by the refs a write returned") {
  auto db = OpenDb();
  WriteBatch b;
  b.Add({{"__name__", "x"}, {"a", "1"}}, 1, 1);
  b.Add({{"__name__", "y"}}, 1, 2);
  std::vector<SeriesRef> refs;
  REQUIRE(db->Write(b, &refs).ok());
  REQUIRE(refs.size() == 2);
  CHECK(refs[0] != refs[1]);
  WriteBatch by_ref;
  by_ref.Add(refs[1], 2, 3);
  by_ref.Add({{"__name__", "z"}}, 2, 4);
  std::vector<SeriesRef> refs2;
  REQUIRE(db->Write(by_ref, &refs2).ok());
  CHECK(refs2[0] == refs[1]);
  auto set = db->Select({Matcher::Equal("__name__", "y")}, 0, 10);
  REQUIRE(set.ok());
  REQUIRE((*set)->Next());
  std::vector<Sample> got;
  REQUIRE((*set)->samples()->AppendRemaining(&got).ok());
  CHECK(got.size() == 2);
  WriteBatch bad;
  bad.Add(refs2[1] + 1000, 3, 5);
  bad.Add({{"__name__", "w"}}, 3, 6);
  Status st = db->Write(bad);
  CHECK(st.code() == Status::Code::kInvalidArgument);
  CHECK(st.message().find("series ref") != std::string::npos);
  CHECK(db->LabelValues("__name__", {})->size() == 3);  // w was not created: the batch failed whole
}

TEST_CASE("scrape: targets are spread over their interval") {
  ScrapeTarget a = Target(), b = Target();
  b.url = "http://127.0.0.1:9101/metrics";
  a.interval_ms = b.interval_ms = 15'000;
  const int64_t oa = ScrapeLoop::Offset(a), ob = ScrapeLoop::Offset(b);
  CHECK(oa >= 0);
  CHECK(oa < 15'000);
  CHECK(oa != ob);
  CHECK(ScrapeLoop::Offset(a) == oa);  // stable
}

}  // namespace
}  // namespace gnomon::scrape
