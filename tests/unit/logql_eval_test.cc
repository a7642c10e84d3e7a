// LogQL evaluation: the case table in tests/logql/eval_cases.txt (every pipeline stage, range and
// vector aggregation, windows and limits) over fixed lines, the pipeline on its own, the line
// budget and series limit, and EvalLogQuery/EvalMetricQuery over a real LogStore via ForEach.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gnomon/db.h"
#include "gnomon/options.h"
#include "index/matcher_eval.h"
#include "logs/log_store.h"
#include "logs/logql/eval.h"
#include "logs/logql/parser.h"
#include "query/selector.h"

namespace gnomon::logs::logql {
namespace {

constexpr int64_t kS = 1'000'000'000;

std::string SourceDir() {
  const char* d = std::getenv("GNOMON_SOURCE_DIR");
  return d ? d : ".";
}

struct FixedLine {
  int64_t ts_ns;
  Labels stream;
  std::string line;
};

// A LineSource over fixed lines: the store's contract (matchers, [start, end), direction with
// arrival order among equal times, stop when the visitor says so), taking the hints as the store
// does (the line filter applied, no text when lines are not wanted), so an evaluator that relied on
// what it asked the source to leave out would fail here.
LineSource FixedSource(const std::vector<FixedLine>* lines) {
  return [lines](const Matchers& matchers, int64_t start, int64_t end, const ScanOptions& options,
                 const std::function<bool(const StoredLine&)>& visit) -> Status {
    const bool backward = options.backward;
    std::vector<index::CompiledMatcher> compiled;
    for (const Matcher& m : matchers) {
      auto c = index::CompiledMatcher::Compile(m);
      if (!c.ok()) return c.status();
      compiled.push_back(std::move(c.value()));
    }
    std::vector<const FixedLine*> picked;
    size_t examined = 0;
    for (const FixedLine& l : *lines) {
      if (l.ts_ns < start || l.ts_ns >= end) continue;
      bool all = true;
      for (const auto& m : compiled) {
        std::string_view v;
        for (const Label& lb : l.stream) {
          if (lb.name == m.name()) v = lb.value;
        }
        all = all && m.Matches(v);
      }
      if (all && ++examined > options.max_lines) return Status::ResourceExhausted("over budget");
      if (all && options.stats != nullptr) {
        options.stats->lines++;
        options.stats->bytes += l.line.size();
        if (options.stats->bytes > options.max_bytes) return Status::ResourceExhausted("over budget");
      }
      if (all && (options.line_filter == nullptr || options.line_filter(l.line))) picked.push_back(&l);
    }
    std::stable_sort(picked.begin(), picked.end(), [&](const FixedLine* a, const FixedLine* b) {
      return backward ? a->ts_ns > b->ts_ns : a->ts_ns < b->ts_ns;
    });
    for (const FixedLine* l : picked) {
      StoredLine s{l->ts_ns, &l->stream, options.lines ? l->line : "", ""};
      if (!visit(s)) break;
    }
    return Status::OK();
  };
}

std::string LabelsText(const Labels& ls) {
  std::string out = "{";
  for (size_t i = 0; i < ls.size(); ++i) {
    if (i) out += ", ";
    out += ls[i].name + "=\"" + ls[i].value + "\"";
  }
  return out + "}";
}

Labels ParseLabels(const std::string& text) {
  if (text == "{}") return {};
  auto m = query::ParseSeriesSelector(text);
  REQUIRE_MESSAGE(m.ok(), text);
  Labels out;
  for (const Matcher& x : *m) out.push_back({x.name, x.value});
  std::sort(out.begin(), out.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
  return out;
}

// "{...} rest" -> ("{...}", "rest"), honouring quotes inside the braces.
std::pair<std::string, std::string> SplitLabels(const std::string& s) {
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && quoted) {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (s[i] == '}' && !quoted) {
      std::string rest = i + 1 < s.size() ? s.substr(i + 1) : "";
      if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
      return {s.substr(0, i + 1), rest};
    }
  }
  FAIL("no closing brace in " << s);
  return {};
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b);
}

struct Block {
  int line = 0;
  std::string header;
  std::vector<std::string> body;
};

std::vector<Block> LoadBlocks() {
  const std::string path = SourceDir() + "/tests/logql/eval_cases.txt";
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path << " (set GNOMON_SOURCE_DIR)");
  std::vector<Block> blocks;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == ' ') {
      REQUIRE_MESSAGE(!blocks.empty(), "line " << n << ": indented line outside a block");
      blocks.back().body.push_back(Trim(line));
    } else {
      blocks.push_back({n, line, {}});
    }
  }
  return blocks;
}

// The header's words after `skip` words, and the rest as the query.
std::vector<std::string> Words(const std::string& header, size_t count, std::string* rest) {
  std::istringstream in(header);
  std::vector<std::string> w(count);
  for (auto& x : w) in >> x;
  std::getline(in, *rest);
  *rest = Trim(*rest);
  return w;
}

TEST_CASE("eval_cases.txt") {
  std::vector<FixedLine> lines;
  const LineSource source = FixedSource(&lines);
  int cases = 0;
  for (const Block& b : LoadBlocks()) {
    CAPTURE(b.line);
    CAPTURE(b.header);
    if (b.header == "load") {
      lines.clear();
      for (const std::string& l : b.body) {
        const size_t sp = l.find(' ');
        auto [labels, text] = SplitLabels(l.substr(sp + 1));
        lines.push_back({std::stoll(l.substr(0, sp)) * kS, ParseLabels(labels), text});
      }
      continue;
    }
    std::string rest = b.header, query;
    const bool want_error = b.header.rfind("eval error ", 0) == 0;
    if (want_error) rest = "eval " + b.header.substr(11);
    const bool is_log = rest.rfind("eval log ", 0) == 0;
    std::vector<std::string> w = Words(rest, is_log ? 6 : 5, &query);
    CAPTURE(query);
    auto expr = ParseQuery(query);
    REQUIRE_MESSAGE(expr.ok(), expr.status().ToString());
    ++cases;
    std::vector<std::string> got;
    Status status;
    if (is_log) {
      auto r = EvalLogQuery(source, **expr, std::stoll(w[2]) * kS, std::stoll(w[3]) * kS, std::stoul(w[4]),
                            w[5] == "backward");
      status = r.status();
      if (r.ok()) {
        for (const StreamResult& s : r->streams) {
          for (const auto& [ts, line] : s.entries)
            got.push_back(LabelsText(s.labels) + " " + std::to_string(ts / kS) + " " + line);
        }
      }
      if (!want_error) {
        std::string have, want;
        for (const std::string& g : got) have += g + "\n";
        for (const std::string& g : b.body) want += g + "\n";
        CHECK(have == want);
      }
    } else {
      auto r = EvalMetricQuery(source, **expr, std::stoll(w[2]) * kS, std::stoll(w[3]) * kS, std::stoll(w[4]) * kS);
      status = r.status();
      if (r.ok() && !want_error) {
        REQUIRE(r->series.size() == b.body.size());
        for (size_t i = 0; i < b.body.size(); ++i) {
          auto [labels, points] = SplitLabels(b.body[i]);
          CHECK(LabelsText(r->series[i].labels) == LabelsText(ParseLabels(labels)));
          std::istringstream pin(points);
          std::string p;
          size_t j = 0;
          for (; pin >> p; ++j) {
            REQUIRE(j < r->series[i].points.size());
            const size_t colon = p.find(':');
            CHECK(r->series[i].points[j].first == std::stoll(p.substr(0, colon)) * kS);
            const double want = std::stod(p.substr(colon + 1)), have = r->series[i].points[j].second;
            CHECK_MESSAGE(std::fabs(want - have) <= 1e-12 * std::max(1.0, std::fabs(want)), p << " got " << have);
          }
          CHECK(j == r->series[i].points.size());
        }
      }
    }
    if (want_error) {
      REQUIRE_FALSE(status.ok());
      REQUIRE(b.body.size() == 1);
      CHECK_MESSAGE(status.message().find(b.body[0]) != std::string::npos, status.message());
    } else {
      CHECK_MESSAGE(status.ok(), status.ToString());
    }
  }
  CHECK(cases >= 40);
}

TEST_CASE("pipeline: label names sanitised as Loki's, logfmt quoting and errors") {
  CHECK(SanitizeLabelName("a.b-c", true) == "a_b_c");
  CHECK(SanitizeLabelName("9lives", true) == "_9lives");
  CHECK(SanitizeLabelName("9lives", false) == "9lives");
  CHECK(SanitizeLabelName(" é ", true) == "_");
  auto run = [](std::string query, std::string line) {
    auto e = ParseQuery(query);
    REQUIRE(e.ok());
    auto p = Pipeline::Compile(std::get<LogSelector>((*e)->node).pipeline);
    REQUIRE(p.ok());
    Labels ls = {{"app", "a"}};
    if (!p->Process(&line, &ls)) return std::string("dropped");
    return LabelsText(ls) + " " + line;
  };
  CHECK(run(R"({app="a"} | logfmt)", R"(a="x \"y\" z" b= c)") ==
        R"({a="x "y" z", app="a", b="", c=""} a="x \"y\" z" b= c)");
  CHECK(run(R"({app="a"} | logfmt)", R"(a="unterminated)") ==
        R"({__error__="LogfmtParserErr", app="a"} a="unterminated)");
  CHECK(run(R"({app="a"} | logfmt)", "=x") == R"({__error__="LogfmtParserErr", app="a"} =x)");
  CHECK(run(R"({app="a"} | json)", R"({"a":{"b":{"c":1.5}},"n":null,"x-y":false})") ==
        R"({a_b_c="1.5", app="a", n="", x_y="false"} {"a":{"b":{"c":1.5}},"n":null,"x-y":false})");
  CHECK(run(R"({app="a"} | drop app | json | logfmt)", R"({"app":"x"})") ==
        R"({__error__="LogfmtParserErr", app_extracted="x"} {"app":"x"})");
  CHECK(run(R"({app="a"} | json)", "[1,2]") == R"({__error__="JSONParserErr", app="a"} [1,2])");
  CHECK(run(R"({app="a"} | json | x > 1)", R"({"x":"abc"})") ==
        R"({__error__="LabelFilterErr", app="a", x="abc"} {"x":"abc"})");
  CHECK(run(R"({app="a"} | json | x > 1)", R"({"x":"0.5"})") == "dropped");
  CHECK(run(R"({app="a"} | line_format "{{.app}}-{{.missing}}-{{ \"q.x\" }}")", "l") == R"({app="a"} a--q.x)");
}

TEST_CASE("eval: the line budget and the series limit fail with kResourceExhausted") {
  std::vector<FixedLine> lines;
  for (int i = 0; i < 100; ++i) lines.push_back({i * kS, {{"app", "a"}, {"i", std::to_string(i)}}, "x"});
  const LineSource source = FixedSource(&lines);
  EvalLimits limits;
  limits.max_lines_scanned = 50;
  auto log = ParseQuery(R"({app="a"} |= "nothing")");
  REQUIRE(log.ok());
  auto r = EvalLogQuery(source, **log, 0, 1000 * kS, 10, true, limits);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kResourceExhausted);
  CHECK(r.status().message().find("more than 50 log lines") != std::string::npos);
  limits.max_lines_scanned = 1000;
  CHECK(EvalLogQuery(source, **log, 0, 1000 * kS, 10, true, limits).ok());
  limits.max_bytes_read = 99;  // 100 lines of one byte
  auto bytes = EvalLogQuery(source, **log, 0, 1000 * kS, 10, true, limits);
  REQUIRE_FALSE(bytes.ok());
  CHECK(bytes.status().message().find("more than 99 bytes of log lines") != std::string::npos);
  limits.max_bytes_read = 100;
  CHECK(EvalLogQuery(source, **log, 0, 1000 * kS, 10, true, limits).ok());
  limits.max_series = 10;
  auto metric = ParseQuery(R"(max(count_over_time({app="a"}[1h])))");
  REQUIRE(metric.ok());
  auto m = EvalMetricQuery(source, **metric, 100 * kS, 100 * kS, kS, limits);
  REQUIRE_FALSE(m.ok());
  CHECK(m.status().code() == Status::Code::kResourceExhausted);
  CHECK(m.status().message().find("more than 10 series") != std::string::npos);
  // A sum over an additive range aggregation counts per group: 100 label sets, one series.
  for (const char* q : {R"(sum(count_over_time({app="a"}[1h])))", R"(topk(1, sum by (app) (rate({app="a"}[1h]))))",
                        R"(sum without (i) (bytes_over_time({app="a"}[1h])))"}) {
    CAPTURE(q);
    auto e = ParseQuery(q);
    REQUIRE(e.ok());
    auto summed = EvalMetricQuery(source, **e, 99 * kS, 99 * kS, kS, limits);
    REQUIRE(summed.ok());
    REQUIRE(summed->series.size() == 1);
    CHECK(summed->series[0].points.size() == 1);
  }
  CHECK_FALSE(EvalMetricQuery(source, **metric, 100 * kS, 90 * kS, kS).ok());
  CHECK_FALSE(EvalMetricQuery(source, **metric, 100 * kS, 100 * kS, 0).ok());
  CHECK_FALSE(EvalMetricQuery(source, **log, 100 * kS, 100 * kS, kS).ok());
  CHECK_FALSE(EvalLogQuery(source, **metric, 0, 1, 1, true).ok());
}

TEST_CASE("eval: times and ranges at the ends of int64 do not overflow") {
  std::vector<FixedLine> lines = {{INT64_MIN + 1, {{"app", "a"}}, "first"}, {INT64_MAX - 8, {{"app", "a"}}, "last"}};
  const LineSource source = FixedSource(&lines);
  auto q = ParseQuery(R"(count_over_time({app="a"}[10000d]))");
  REQUIRE(q.ok());
  auto hi = EvalMetricQuery(source, **q, INT64_MAX - 10, INT64_MAX, 4);
  REQUIRE(hi.ok());
  REQUIRE(hi->series.size() == 1);
  CHECK(hi->series[0].points.size() == 2);  // the steps at or after the last line
  auto lo = EvalMetricQuery(source, **q, INT64_MIN, INT64_MIN + 10, 5);
  REQUIRE(lo.ok());
  REQUIRE(lo->series.size() == 1);
  CHECK(lo->series[0].points.size() == 2);  // not the step before the first line
  CHECK(EvalMetricQuery(source, **q, INT64_MIN, INT64_MAX, INT64_MAX).ok());
  auto log = ParseQuery(R"({app="a"})");
  REQUIRE(log.ok());
  auto all = EvalLogQuery(source, **log, INT64_MIN, INT64_MAX, 10, false);
  REQUIRE(all.ok());
  CHECK(all->streams.at(0).entries.size() == 2);
}

TEST_CASE("eval over a LogStore: ForEach by direction, with early stop and [start, end)") {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("logql_eval_" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  {
    Options o;
    o.sync_mode = SyncMode::kNever;
    std::unique_ptr<DB> db;
    REQUIRE(DB::Open(o, dir, &db).ok());
    auto store = LogStore::Open(db.get(), {});
    REQUIRE(store.ok());
    LogBatch batch;
    LogStream s;
    s.labels = {{"app", "a"}};
    const int64_t base = 1'700'000'000 * kS;
    for (int i = 0; i < 10; ++i) s.entries.push_back({base + i * 600 * kS, "line " + std::to_string(i), {}});
    batch.streams.push_back(s);
    REQUIRE((*store)->Append(batch).ok());
    std::vector<int64_t> seen;
    REQUIRE((*store)
                ->ForEach({Matcher::Equal("app", "a")}, base + 600 * kS, base + 3000 * kS, true,
                          [&](const StoredLine& l) {
                            seen.push_back((l.ts_ns - base) / (600 * kS));
                            return seen.size() < 3;
                          })
                .ok());
    CHECK(seen == std::vector<int64_t>{4, 3, 2});
    auto q = ParseQuery(R"(count_over_time({app="a"} |= "line"[1h]))");
    REQUIRE(q.ok());
    auto r = EvalMetricQuery(StoreSource(**store), **q, base + 3600 * kS, base + 3600 * kS, kS);
    REQUIRE(r.ok());
    REQUIRE(r->series.size() == 1);
    CHECK(r->series[0].points == std::vector<std::pair<int64_t, double>>{{base + 3600 * kS, 6}});
    CHECK(*(*store)->LabelNames() == std::vector<std::string>{"app"});
    CHECK(*(*store)->LabelValues("app") == std::vector<std::string>{"a"});
    CHECK((*store)->LabelValues("nope")->empty());
    // By time: hour granularity; the lines span base .. base + 5400s.
    s.labels = {{"app", "b"}, {"extra", "x"}};
    s.entries = {{base + 10 * 3600 * kS, "later", {}}};
    batch.streams = {s};
    REQUIRE((*store)->Append(batch).ok());
    CHECK(*(*store)->LabelNames(base, base + 1) == std::vector<std::string>{"app"});
    CHECK(*(*store)->LabelNames() == std::vector<std::string>{"app", "extra"});
    CHECK(*(*store)->LabelValues("app", base + 9 * 3600 * kS, base + 11 * 3600 * kS) == std::vector<std::string>{"b"});
    CHECK((*store)->LabelValues("app", base - 7200 * kS, base - 3600 * kS)->empty());
    CHECK((*store)->Streams({}, base + 11 * 3600 * kS, INT64_MAX)->empty());
    CHECK((*store)->Streams({Matcher::Equal("app", "a")}, INT64_MIN, INT64_MAX)->size() == 1);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gnomon::logs::logql
