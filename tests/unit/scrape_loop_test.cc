// A scrape's outcome without I/O (scrape/scrape_loop.h AssembleScrape): the target's labels on
// every series (a clashing scraped label becomes exported_<name>, or wins with honor_labels),
// metric_relabel_configs, sample_limit and label_limit failing the scrape, honor_timestamps, the
// five report series, and stale markers for the series that went away or after a failure.
#include "scrape/scrape_loop.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "index/labels_util.h"
#include "scrape/scrape_config.h"
#include "util/stale_marker.h"

namespace gnomon::scrape {
namespace {

ScrapedSample S(std::string name, Labels labels, double v, std::optional<int64_t> ts = std::nullopt) {
  labels.insert(labels.begin(), {kMetricNameLabel, std::move(name)});
  return {std::move(labels), v, ts, std::nullopt};
}

ScrapeTarget Target() {
  ScrapeTarget t;
  t.job = "node";
  t.url = "http://127.0.0.1:9100/metrics";
  t.labels = {{"instance", "127.0.0.1:9100"}, {"job", "node"}};
  return t;
}

// Every (series text, timestamp) -> value the batch holds.
struct Written {
  std::map<std::string, std::pair<int64_t, double>> series;
  bool Has(const std::string& s) const { return series.count(s) > 0; }
  double Value(const std::string& s) const { return series.at(s).second; }
};

Written Decode(const WriteBatch& batch) {
  Written w;
  for (size_t i = 0; i < batch.num_entries(); ++i) {
    Labels labels;
    REQUIRE(index::DecodeLabelsFraming(batch.EncodedLabels(i), false, &labels).ok());
    std::sort(labels.begin(), labels.end());
    std::string text;  // name=value,... sorted, for the checks
    for (const Label& l : labels) text += l.name + "=" + l.value + ",";
    for (const Sample& s : batch.SamplesOf(i)) w.series[text] = {s.timestamp, s.value};
  }
  return w;
}

TEST_CASE("scrape: target labels, exported_ clashes, honor_labels, the report") {
  ScrapeTarget t = Target();
  std::unordered_set<std::string> previous;
  WriteBatch batch;
  std::string error;
  AssembleScrape(t, {S("cpu", {{"job", "scraped"}, {"mode", "idle"}}, 5), S("mem", {}, 7, 123)}, "", 1000, 0.25,
                 &previous, &batch, &error);
  CHECK(error.empty());
  Written w = Decode(batch);
  CHECK(w.Has("__name__=cpu,exported_job=scraped,instance=127.0.0.1:9100,job=node,mode=idle,"));
  CHECK(w.series.at("__name__=mem,instance=127.0.0.1:9100,job=node,").first == 123);  // honor_timestamps
  CHECK(w.Value("__name__=up,instance=127.0.0.1:9100,job=node,") == 1);
  CHECK(w.Value("__name__=scrape_duration_seconds,instance=127.0.0.1:9100,job=node,") == 0.25);
  CHECK(w.Value("__name__=scrape_samples_scraped,instance=127.0.0.1:9100,job=node,") == 2);
  CHECK(w.Value("__name__=scrape_series_added,instance=127.0.0.1:9100,job=node,") == 2);
  CHECK(previous.size() == 1);  // mem has its own timestamp: not tracked for staleness

  t.honor_labels = true;
  t.honor_timestamps = false;
  WriteBatch b2;
  std::unordered_set<std::string> prev2;
  AssembleScrape(t, {S("cpu", {{"job", "scraped"}}, 5), S("mem", {}, 7, 123)}, "", 2000, 0.1, &prev2, &b2, &error);
  w = Decode(b2);
  CHECK(w.Has("__name__=cpu,instance=127.0.0.1:9100,job=scraped,"));  // the scraped value wins
  CHECK(w.series.at("__name__=mem,instance=127.0.0.1:9100,job=node,").first == 2000);
}

TEST_CASE("scrape: series that went away and failed scrapes get stale markers") {
  ScrapeTarget t = Target();
  std::unordered_set<std::string> previous;
  WriteBatch b1, b2, b3;
  std::string error;
  AssembleScrape(t, {S("a", {}, 1), S("b", {}, 2)}, "", 1000, 0, &previous, &b1, &error);
  AssembleScrape(t, {S("a", {}, 1)}, "", 2000, 0, &previous, &b2, &error);
  Written w = Decode(b2);
  CHECK(IsStaleNaN(w.Value("__name__=b,instance=127.0.0.1:9100,job=node,")));
  CHECK(w.Value("__name__=scrape_series_added,instance=127.0.0.1:9100,job=node,") == 0);
  AssembleScrape(t, {}, "line 3: expected label name", 3000, 0, &previous, &b3, &error);
  CHECK(error == "line 3: expected label name");
  w = Decode(b3);
  CHECK(IsStaleNaN(w.Value("__name__=a,instance=127.0.0.1:9100,job=node,")));
  CHECK(w.Value("__name__=up,instance=127.0.0.1:9100,job=node,") == 0);
  CHECK(w.Value("__name__=scrape_samples_scraped,instance=127.0.0.1:9100,job=node,") == 0);
  CHECK(previous.empty());
}

TEST_CASE("scrape: metric_relabel_configs, sample_limit and label_limit") {
  auto jobs = ParseScrapeConfigs(R"(scrape_configs:
  - job_name: node
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'drop_.*'
        action: drop
)",
                                 "test.yml");
  REQUIRE(jobs.ok());
  ScrapeTarget t = Target();
  t.metric_relabel_configs = jobs->at(0).metric_relabel_configs;
  std::unordered_set<std::string> previous;
  WriteBatch batch;
  std::string error;
  AssembleScrape(t, {S("keep_me", {}, 1), S("drop_me", {}, 2)}, "", 1000, 0, &previous, &batch, &error);
  Written w = Decode(batch);
  CHECK(w.Has("__name__=keep_me,instance=127.0.0.1:9100,job=node,"));
  CHECK_FALSE(w.Has("__name__=drop_me,instance=127.0.0.1:9100,job=node,"));
  CHECK(w.Value("__name__=scrape_samples_scraped,instance=127.0.0.1:9100,job=node,") == 2);
  CHECK(w.Value("__name__=scrape_samples_post_metric_relabeling,instance=127.0.0.1:9100,job=node,") == 1);

  t.sample_limit = 1;
  WriteBatch over;
  AssembleScrape(t, {S("keep_me", {}, 1), S("keep_too", {}, 2)}, "", 2000, 0, &previous, &over, &error);
  CHECK(error == "sample limit exceeded");
  w = Decode(over);
  CHECK_FALSE(w.Has("__name__=keep_too,instance=127.0.0.1:9100,job=node,"));  // nothing of it stored
  CHECK(w.Value("__name__=up,instance=127.0.0.1:9100,job=node,") == 0);

  t.sample_limit = 0;
  t.label_limit = 3;
  WriteBatch labels;
  AssembleScrape(t, {S("wide", {{"a", "1"}, {"b", "2"}}, 1)}, "", 3000, 0, &previous, &labels, &error);
  CHECK(error.find("label_limit exceeded") == 0);

  t.label_limit = 0;
  WriteBatch reserved;
  AssembleScrape(t, {S("ok", {}, 1), S("bad", {{"__hidden", "x"}}, 2)}, "", 4000, 0, &previous, &reserved, &error);
  CHECK(error.find("bad{") == 0);  // named, the scrape failed, up = 0 still written
  w = Decode(reserved);
  CHECK_FALSE(w.Has("__name__=ok,instance=127.0.0.1:9100,job=node,"));
  CHECK(w.Value("__name__=up,instance=127.0.0.1:9100,job=node,") == 0);

  WriteBatch twice;
  std::unordered_set<std::string> fresh;
  AssembleScrape(t, {S("dup", {}, 1), S("dup", {}, 2)}, "", 5000, 0, &fresh, &twice, &error);
  CHECK(error.empty());
  CHECK(Decode(twice).Value("__name__=dup,instance=127.0.0.1:9100,job=node,") == 1);  // the first, as Prometheus
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
