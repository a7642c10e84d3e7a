// PromQL engine tests: a runner for Prometheus' test-file format (tests/promql/*.test) plus a few
// cases that need code (limits, timeout, result shapes, range-query performance).
//
// Test-file commands (as in Prometheus' promql/testdata):
//   load <step>                 then indented lines `series_desc values...` (0+10x10, 1x3, _, _x2,
//                               stale, NaN, Inf); value i is written at i*step.
//   clear                       start over with an empty database
//   eval instant at <t> <expr>  then expected lines `series_desc value` (or a bare number for a
//                               scalar, or a quoted string); compared as a set, values within 1e-6
//   eval_ordered instant at ... the same, order matters
//   eval_fail instant at <t> <expr>   the query must fail; optional next line
//                               `expected_fail_message <substring>` and/or `expected_fail_code <Code>`
//   eval range from <t0> to <t1> step <s> <expr>   expected lines `series_desc values...` in the
//                               load notation, `_` for a step without a point
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "gnomon/db.h"
#include "query/promql/engine.h"
#include "query/promql/series_notation.h"
#include "test_util.h"
#include "util/stale_marker.h"

namespace gnomon::promql {
namespace {

constexpr uint64_t kStaleBits = kStaleNaNBits;

std::string Trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

// "1h30m", "50m", "10s", "0" → milliseconds.
bool ParseDur(std::string_view s, int64_t* out) {
  if (s == "0") {
    *out = 0;
    return true;
  }
  int64_t total = 0;
  size_t i = 0;
  bool any = false;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i) return false;
    const int64_t n = std::stoll(std::string(s.substr(i, j - i)));
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
    const std::string unit(s.substr(j, k - j));
    int64_t mult = 0;
    if (unit == "ms") mult = 1;
    else if (unit == "s") mult = 1000;
    else if (unit == "m") mult = 60'000;
    else if (unit == "h") mult = 3'600'000;
    else if (unit == "d") mult = 86'400'000;
    else if (unit == "w") mult = 7 * 86'400'000LL;
    else if (unit == "y") mult = 365 * 86'400'000LL;
    else return false;
    total += n * mult;
    i = k;
    any = true;
  }
  *out = total;
  return any;
}

// The shared series notation (query/promql/series_notation.h); a malformed line throws, which
// fails the test case with the message.
double ParseNum(const std::string& s) {
  auto r = ParseSeriesValues(s);
  if (!r.ok() || r.value().size() != 1 || !r.value()[0]) throw std::runtime_error("bad number: " + s);
  return *r.value()[0];
}

// Parses `name{a="b", c="d"}` (either part optional); returns the rest of the line in *rest.
Labels ParseSeries(const std::string& line, std::string* rest) {
  size_t used = 0;
  auto r = ParseSeriesDescription(line, &used);
  if (!r.ok()) throw std::runtime_error(r.status().ToString());
  *rest = line.substr(used);
  return r.value();
}

std::vector<std::optional<double>> ParseValues(const std::string& text) {
  auto r = ParseSeriesValues(text);
  if (!r.ok()) throw std::runtime_error(r.status().ToString());
  return r.value();
}

bool Close(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= 1e-6 * std::max(std::fabs(a), std::fabs(b)) + 1e-12;
}

std::string Str(const Labels& l) {
  std::string s = "{";
  for (const Label& x : l) s += x.name + "=\"" + x.value + "\",";
  return s + "}";
}

const char* CodeName(Status::Code c) {
  switch (c) {
    case Status::Code::kOk: return "OK";
    case Status::Code::kInvalidArgument: return "InvalidArgument";
    case Status::Code::kFailedPrecondition: return "FailedPrecondition";
    case Status::Code::kResourceExhausted: return "ResourceExhausted";
    case Status::Code::kAborted: return "Aborted";
    default: return "Other";
  }
}

// Runs one .test file; every failed expectation is reported with its line number.
class ScriptRunner {
 public:
  ScriptRunner(std::string name, QueryOptions options) : name_(std::move(name)), options_(options) { Reset(); }

  void Run(const std::vector<std::string>& lines) {
    size_t i = 0;
    while (i < lines.size()) {
      const std::string line = Trim(lines[i]);
      const size_t lineno = i + 1;
      ++i;
      if (line.empty() || line[0] == '#') continue;
      // The block of indented lines that follows a command.
      std::vector<std::string> block;
      while (i < lines.size() && !lines[i].empty() && std::isspace(static_cast<unsigned char>(lines[i][0])) &&
             !Trim(lines[i]).empty()) {
        if (Trim(lines[i])[0] != '#') block.push_back(Trim(lines[i]));
        ++i;
      }
      INFO(name_ << ":" << lineno << ": " << line);
      if (line == "clear") {
        Reset();
      } else if (line.rfind("load ", 0) == 0) {
        Load(line.substr(5), block);
      } else if (line.rfind("eval", 0) == 0) {
        Eval(line, block);
      } else {
        FAIL("unknown command");
      }
    }
  }

 private:
  void Reset() {
    db_.reset();
    dir_ = std::make_unique<testing::TempDir>();
    Options o;
    o.sync_mode = SyncMode::kNever;
    REQUIRE(DB::Open(o, dir_->path(), &db_).ok());
  }

  void Load(const std::string& step_text, const std::vector<std::string>& block) {
    int64_t step;
    REQUIRE(ParseDur(Trim(step_text), &step));
    WriteBatch b;
    for (const std::string& l : block) {
      std::string rest;
      Labels labels = ParseSeries(l, &rest);
      auto values = ParseValues(rest);
      for (size_t k = 0; k < values.size(); ++k) {
        if (values[k]) b.Add(labels, static_cast<int64_t>(k) * step, *values[k]);
      }
    }
    Status s = db_->Write(b);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
  }

  void Eval(const std::string& line, const std::vector<std::string>& block) {
    std::istringstream in(line);
    std::string cmd, kind;
    in >> cmd >> kind;
    const bool fail = cmd == "eval_fail";
    const bool ordered = cmd == "eval_ordered";
    Result<QueryResult> r = Status::Internal("not run");
    int64_t start = 0, end = 0, step = 0;
    if (kind == "instant") {
      std::string at, t;
      in >> at >> t;
      REQUIRE(ParseDur(t, &start));
      std::string expr;
      std::getline(in, expr);
      r = EvalInstant(db_.get(), Trim(expr), start, options_);
    } else if (kind == "range") {
      std::string from, t0, to, t1, st, s;
      in >> from >> t0 >> to >> t1 >> st >> s;
      REQUIRE(ParseDur(t0, &start));
      REQUIRE(ParseDur(t1, &end));
      REQUIRE(ParseDur(s, &step));
      std::string expr;
      std::getline(in, expr);
      r = EvalRange(db_.get(), Trim(expr), start, end, step, options_);
    } else {
      FAIL("unknown eval kind " << kind);
    }
    if (fail) {
      CHECK_MESSAGE(!r.ok(), "expected the query to fail");
      for (const std::string& b : block) {
        if (b.rfind("expected_fail_message ", 0) == 0) {
          const std::string want = b.substr(strlen("expected_fail_message "));
          CHECK_MESSAGE(r.status().message().find(want) != std::string::npos,
                        "message '" << r.status().message() << "' lacks '" << want << "'");
        } else if (b.rfind("expected_fail_code ", 0) == 0) {
          CHECK(std::string(CodeName(r.status().code())) == b.substr(strlen("expected_fail_code ")));
        }
      }
      return;
    }
    CHECK_MESSAGE(r.ok(), r.status().ToString());
    if (!r.ok()) return;
    const QueryResult& q = *r;
    if (kind == "range") {
      CheckRange(q, block, start, end, step);
      return;
    }
    if (q.type == ValueType::kScalar) {
      REQUIRE_MESSAGE(block.size() == 1, "scalar result " << q.scalar.value);
      CHECK_MESSAGE(Close(q.scalar.value, ParseNum(block[0])), "got " << q.scalar.value << " want " << block[0]);
      return;
    }
    if (q.type == ValueType::kString) {
      REQUIRE(block.size() == 1);
      CHECK(q.string_value == block[0].substr(1, block[0].size() - 2));
      return;
    }
    // Vector (or matrix: values in load notation).
    std::vector<std::pair<Labels, std::vector<std::optional<double>>>> want;
    for (const std::string& b : block) {
      std::string rest;
      Labels l = ParseSeries(b, &rest);
      want.push_back({l, ParseValues(rest)});
    }
    std::string got_text;
    for (const auto& s : q.series) {
      got_text += Str(s.labels) + " ";
      for (const Sample& p : s.points) got_text += std::to_string(p.value) + "@" + std::to_string(p.timestamp) + " ";
      got_text += "\n";
    }
    INFO("got:\n" << got_text);
    CHECK_MESSAGE(q.series.size() == want.size(), "series count " << q.series.size() << " want " << want.size());
    for (size_t k = 0; k < want.size(); ++k) {
      const auto& [labels, values] = want[k];
      const SeriesResult* found = nullptr;
      if (ordered) {
        if (k < q.series.size() && q.series[k].labels == labels) found = &q.series[k];
      } else {
        for (const auto& s : q.series) {
          if (s.labels == labels) found = &s;
        }
      }
      CHECK_MESSAGE(found != nullptr, "missing series " << Str(labels));
      if (!found) continue;
      if (q.type == ValueType::kVector) {
        REQUIRE(values.size() == 1);
        CHECK_MESSAGE(Close(found->points.at(0).value, *values[0]),
                      Str(labels) << " got " << found->points[0].value << " want " << *values[0]);
        CHECK(found->points.at(0).timestamp == start);
      } else {
        std::vector<double> got;
        for (const Sample& p : found->points) got.push_back(p.value);
        CHECK_MESSAGE(got.size() == values.size(), Str(labels) << " point count");
        for (size_t v = 0; v < std::min(got.size(), values.size()); ++v) CHECK(Close(got[v], *values[v]));
      }
    }
  }

  void CheckRange(const QueryResult& q, const std::vector<std::string>& block, int64_t start, int64_t end, int64_t step) {
    std::string got_text;
    for (const auto& s : q.series) {
      got_text += Str(s.labels) + " ";
      for (const Sample& p : s.points) got_text += std::to_string(p.value) + "@" + std::to_string(p.timestamp) + " ";
      got_text += "\n";
    }
    INFO("got:\n" << got_text);
    CHECK(q.type == ValueType::kMatrix);
    CHECK_MESSAGE(q.series.size() == block.size(), "series count");
    for (const std::string& b : block) {
      std::string rest;
      Labels l = ParseSeries(b, &rest);
      auto values = ParseValues(rest);
      const SeriesResult* found = nullptr;
      for (const auto& s : q.series) {
        if (s.labels == l) found = &s;
      }
      CHECK_MESSAGE(found != nullptr, "missing series " << Str(l));
      if (!found) continue;
      std::map<int64_t, double> got;
      for (const Sample& p : found->points) got[p.timestamp] = p.value;
      size_t k = 0;
      for (int64_t t = start; t <= end; t += step, ++k) {
        const std::optional<double> w = k < values.size() ? values[k] : std::nullopt;
        auto it = got.find(t);
        if (!w) {
          CHECK_MESSAGE(it == got.end(), Str(l) << " unexpected point at " << t);
        } else {
          CHECK_MESSAGE(it != got.end(), Str(l) << " missing point at " << t);
          if (it != got.end()) CHECK_MESSAGE(Close(it->second, *w), Str(l) << " at " << t << " got " << it->second << " want " << *w);
        }
      }
      CHECK_MESSAGE(got.size() <= values.size(), Str(l) << " has extra points");
    }
  }

  std::string name_;
  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<DB> db_;
  QueryOptions options_;
};

std::string SourceDir() {
  const char* d = std::getenv("GNOMON_SOURCE_DIR");
  return d ? d : ".";
}

// Runs every tests/promql/*.test file with the given engine options.
void RunTestFiles(const QueryOptions& options) {
  const std::filesystem::path dir = std::filesystem::path(SourceDir()) / "tests" / "promql";
  REQUIRE_MESSAGE(std::filesystem::is_directory(dir), "set GNOMON_SOURCE_DIR; looked in " << dir);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".test") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  CHECK(files.size() >= 12);
  const char* only = std::getenv("PROMQL_TEST");
  for (const auto& f : files) {
    if (only && f.filename().string().find(only) == std::string::npos) continue;
    SUBCASE(f.filename().string().c_str()) {
      std::ifstream in(f);
      std::vector<std::string> lines;
      std::string l;
      while (std::getline(in, l)) lines.push_back(l);
      ScriptRunner(f.filename().string(), options).Run(lines);
    }
  }
}

TEST_CASE("promql test files") { RunTestFiles(QueryOptions()); }

TEST_CASE("promql test files, every selection split over three threads") {
  QueryOptions o;
  o.parallelism = 3;
  o.min_series_per_thread = 1;
  RunTestFiles(o);
}

// ---- cases that need code ---------------------------------------------------------------------

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<DB> db;
  Fixture() {
    Options o;
    o.sync_mode = SyncMode::kNever;
    REQUIRE(DB::Open(o, dir.path(), &db).ok());
  }
  // n series metric{i="k"} with samples every 10 s over [0, duration].
  void Fill(const std::string& metric, int n, int64_t duration_ms, int64_t interval_ms = 10'000) {
    WriteBatch b;
    for (int k = 0; k < n; ++k) {
      Labels l{{"__name__", metric}, {"i", std::to_string(k)}};
      for (int64_t t = 0; t <= duration_ms; t += interval_ms) b.Add(l, t, static_cast<double>(t / 1000 + k));
    }
    REQUIRE(db->Write(b).ok());
  }
};

TEST_CASE("max_samples and max_series limits") {
  Fixture f;
  f.Fill("m", 10, 600'000);  // 61 samples per series
  QueryOptions o;
  o.max_samples = 100;
  auto r = EvalInstant(f.db.get(), "sum_over_time(m[10m])", 600'000, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kResourceExhausted);

  o.max_samples = 1000;
  r = EvalInstant(f.db.get(), "sum_over_time(m[10m])", 600'000, o);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->series.size() == 10);
  CHECK(r->samples_loaded == 610);

  o = QueryOptions();
  o.max_series = 5;
  r = EvalInstant(f.db.get(), "m", 600'000, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kResourceExhausted);
  o.max_series = 10;
  CHECK(EvalInstant(f.db.get(), "m", 600'000, o).ok());
}

TEST_CASE("min/max_over_time over long windows: NaNs never win after the first value, the first of +0/-0 is kept") {
  Fixture f;
  WriteBatch b;
  const double nan = std::nan("");
  // 11 samples: leading NaNs, NaNs in every lane of the four-way loop, the extreme in the last lane.
  const std::vector<double> mixed = {nan, nan, 4, nan, 2, 9, nan, 1, 8, nan, 0.5};
  // Two zeros as the extreme: the first one seen is kept (Prometheus replaces only on a strict
  // compare), also when a later one of the other sign falls in an earlier lane.
  const std::vector<double> zeros = {-1, -5, -0.0, -3, -4, 0.0, -2, -2};
  const std::vector<double> zeros_pos = {1, 5, 0.0, 3, 4, -0.0, 2, 2};
  for (size_t i = 0; i < mixed.size(); ++i) b.Add({{"__name__", "mixed"}}, 1000 * static_cast<int64_t>(i), mixed[i]);
  for (size_t i = 0; i < zeros.size(); ++i) b.Add({{"__name__", "zeros"}}, 1000 * static_cast<int64_t>(i), zeros[i]);
  for (size_t i = 0; i < zeros_pos.size(); ++i) {
    b.Add({{"__name__", "zeros_pos"}}, 1000 * static_cast<int64_t>(i), zeros_pos[i]);
  }
  REQUIRE(f.db->Write(b).ok());
  auto one = [&](const char* q) {
    auto r = EvalInstant(f.db.get(), q, 20'000, QueryOptions());
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    REQUIRE(r->series.size() == 1);
    return r->series[0].points.at(0).value;
  };
  CHECK(one("max_over_time(mixed[1m])") == 9);
  CHECK(one("min_over_time(mixed[1m])") == 0.5);
  CHECK(one("max_over_time(zeros[1m])") == 0);
  CHECK(std::signbit(one("max_over_time(zeros[1m])")));
  CHECK(one("min_over_time(zeros_pos[1m])") == 0);
  CHECK_FALSE(std::signbit(one("min_over_time(zeros_pos[1m])")));
}

TEST_CASE("extreme times, durations and subquery resolutions fail cleanly or clamp") {
  Fixture f;
  f.Fill("m", 2, 600'000);
  // A subquery's steps are checked against max_samples before anything is allocated.
  auto r = EvalInstant(f.db.get(), "max_over_time(vector(1)[1y:1ms])", 600'000, QueryOptions());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kResourceExhausted);
  CHECK(r.status().message().find("evaluation steps") != std::string::npos);
  // So are a range query's (the HTTP API allows 11,000 points; an embedder may ask for more).
  QueryOptions small;
  small.max_samples = 1000;
  r = EvalRange(f.db.get(), "vector(1)", 0, 10'000'000, 1, small);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kResourceExhausted);
  // Durations are bounded as Prometheus bounds them (Go's time.Duration, ~292 years).
  r = EvalInstant(f.db.get(), "changes(m[9223372036854775807ms] @ -100)", 600'000, QueryOptions());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  CHECK(r.status().message().find("duration out of range") != std::string::npos);
  CHECK(EvalInstant(f.db.get(), "count_over_time(m[292y])", 600'000, QueryOptions()).ok());
  // Evaluation times far outside any data are refused; @ times that far out are clamped.
  r = EvalInstant(f.db.get(), "m", INT64_MIN, QueryOptions());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  r = EvalRange(f.db.get(), "m", -9'000'000'000'000'000'000, INT64_MAX, 1'000'000'000'000'000, QueryOptions());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  r = EvalInstant(f.db.get(), "m @ 9000000000000000 offset -292y", 600'000, QueryOptions());
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->series.empty());
  r = EvalInstant(f.db.get(), "count_over_time(m[10m] @ -9000000000000000)", 600'000, QueryOptions());
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->series.empty());
}

TEST_CASE("timeout aborts a long query") {
  Fixture f;
  f.Fill("m", 200, 3'600'000);
  QueryOptions o;
  o.timeout_ms = 1;
  // A subquery at a 1 s step over a day of 200 series is far more than 1 ms of work.
  auto r = EvalRange(f.db.get(), "max_over_time(rate(m[5m])[1h:1s])", 0, 3'600'000, 1000, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kAborted);
}

TEST_CASE("a subquery without a step runs at no_step_subquery_interval_ms") {
  Fixture f;
  f.Fill("m", 1, 600'000);  // a sample every 10 s, so every subquery step sees a fresh one
  auto count_at = [&](const std::string& q, int64_t interval_ms) {
    QueryOptions o;
    if (interval_ms > 0) o.no_step_subquery_interval_ms = interval_ms;
    auto r = EvalInstant(f.db.get(), q, 600'000, o);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    REQUIRE(r->series.size() == 1);
    return r->series[0].points[0].value;
  };
  // Steps at multiples of the interval in [5m, 10m]: 5m..10m by 1m, by 30s, by 10s; by 4m: 8m.
  CHECK(QueryOptions().no_step_subquery_interval_ms == 60'000);
  CHECK(count_at("count_over_time(m[5m:])", 0) == 6);
  CHECK(count_at("count_over_time(m[5m:])", 30'000) == 11);
  CHECK(count_at("count_over_time(m[5m:])", 10'000) == 31);
  CHECK(count_at("count_over_time(m[5m:])", 240'000) == 1);
  // An explicit step wins; a nested stepless subquery uses the interval too (its 1m window holds
  // 3 steps at 30s, 2 at 1m).
  CHECK(count_at("count_over_time(m[5m:1m])", 30'000) == 6);
  CHECK(count_at("max_over_time(count_over_time(m[1m:])[5m:])", 0) == 2);
  CHECK(count_at("max_over_time(count_over_time(m[1m:])[5m:])", 30'000) == 3);
  // A range query's subqueries take it as well, not the query's own step.
  QueryOptions o;
  o.no_step_subquery_interval_ms = 30'000;
  auto range = EvalRange(f.db.get(), "count_over_time(m[5m:])", 540'000, 600'000, 60'000, o);
  REQUIRE_MESSAGE(range.ok(), range.status().ToString());
  REQUIRE(range->series.size() == 1);
  REQUIRE(range->series[0].points.size() == 2);
  CHECK(range->series[0].points[0].value == 11);
  CHECK(range->series[0].points[1].value == 11);
  // It must be positive.
  o.no_step_subquery_interval_ms = 0;
  auto bad = EvalInstant(f.db.get(), "count_over_time(m[5m:])", 600'000, o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == Status::Code::kInvalidArgument);
  bad = EvalRange(f.db.get(), "m", 0, 600'000, 60'000, o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("result shapes and parameter errors") {
  Fixture f;
  f.Fill("m", 2, 600'000);
  auto r = EvalRange(f.db.get(), "m[5m]", 0, 600'000, 60'000, QueryOptions());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  r = EvalRange(f.db.get(), "m", 0, 600'000, 0, QueryOptions());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  r = EvalRange(f.db.get(), "m", 600'000, 0, 1000, QueryOptions());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  r = EvalInstant(f.db.get(), "sum(", 0, QueryOptions());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);

  r = EvalRange(f.db.get(), "time()", 0, 120'000, 60'000, QueryOptions());
  REQUIRE(r.ok());
  REQUIRE(r->type == ValueType::kMatrix);
  REQUIRE(r->series.size() == 1);
  CHECK(r->series[0].labels.empty());
  REQUIRE(r->series[0].points.size() == 3);
  CHECK(r->series[0].points[2].timestamp == 120'000);
  CHECK(r->series[0].points[2].value == 120);

  r = EvalInstant(f.db.get(), "m[1m]", 600'000, QueryOptions());
  REQUIRE(r.ok());
  CHECK(r->type == ValueType::kMatrix);
  REQUIRE(r->series.size() == 2);
  CHECK(r->series[0].points.size() == 7);  // [540s, 600s] inclusive at a 10 s interval
  CHECK(r->series[0].points.front().timestamp == 540'000);

  r = EvalInstant(f.db.get(), "\"hello\"", 5000, QueryOptions());
  REQUIRE(r.ok());
  CHECK(r->type == ValueType::kString);
  CHECK(r->string_value == "hello");
  CHECK(r->string_time_ms == 5000);

  r = EvalInstant(f.db.get(), "sort_desc(m)", 600'000, QueryOptions());
  REQUIRE(r.ok());
  REQUIRE(r->series.size() == 2);
  CHECK(r->series[0].points[0].value > r->series[1].points[0].value);
}

TEST_CASE("a large selection split over threads gives exactly the single-threaded answer") {
  Fixture f;
  const int64_t hours = 6 * 3'600'000LL;
  {
    WriteBatch b;
    for (int m = 0; m < 4; ++m) {
      for (int h = 0; h < 50; ++h) {
        Labels l{{"__name__", "cpu_usage_" + std::to_string(m)}, {"hostname", "host_" + std::to_string(h)}};
        std::vector<Sample> s;
        for (int64_t t = 0; t <= hours; t += 10'000) s.push_back({t, static_cast<double>((t / 10'000 * 7 + h * 13 + m) % 100)});
        b.Add(l, s);
      }
    }
    REQUIRE(f.db->Write(b).ok());
    REQUIRE(f.db->Flush().ok());
    // Some series also have unsealed (head) samples, one of them out of order.
    b.Clear();
    b.Add({{"__name__", "cpu_usage_0"}, {"hostname", "host_3"}}, hours + 10'000, 42);
    b.Add({{"__name__", "cpu_usage_1"}, {"hostname", "host_4"}}, 5'000, -1);
    REQUIRE(f.db->Write(b).ok());
  }
  const char* queries[] = {
      "avg by (hostname) (cpu_usage_0)",
      "max by (hostname) (max_over_time({__name__=~\"cpu_usage_.*\"}[5m]))",
      "rate(cpu_usage_1[5m])",
      "quantile_over_time(0.9, cpu_usage_2[10m])",
      "absent_over_time(cpu_usage_3[1m])",
      "sum(count_over_time({__name__=~\"cpu_usage_.*\"}[2m]))",
  };
  QueryOptions serial;
  serial.parallelism = 1;
  QueryOptions split;
  split.parallelism = 4;
  split.min_series_per_thread = 1;
  for (const char* q : queries) {
    CAPTURE(q);
    auto want = EvalRange(f.db.get(), q, 0, hours + 60'000, 60'000, serial);
    auto got = EvalRange(f.db.get(), q, 0, hours + 60'000, 60'000, split);
    REQUIRE_MESSAGE(want.ok(), want.status().ToString());
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    CHECK(got->samples_loaded == want->samples_loaded);
    REQUIRE(got->series.size() == want->series.size());
    for (size_t i = 0; i < want->series.size(); ++i) {
      CHECK(got->series[i].labels == want->series[i].labels);
      REQUIRE(got->series[i].points.size() == want->series[i].points.size());
      for (size_t j = 0; j < want->series[i].points.size(); ++j) {
        CHECK(got->series[i].points[j].timestamp == want->series[i].points[j].timestamp);
        CHECK(std::bit_cast<uint64_t>(got->series[i].points[j].value) ==
              std::bit_cast<uint64_t>(want->series[i].points[j].value));
      }
    }
  }
  // A selection over the series limit is refused before it is read (the index counts it) ...
  split.max_series = 150;
  auto r = EvalRange(f.db.get(), "max_over_time({__name__=~\"cpu_usage_.*\"}[5m])", 0, hours, 60'000, split);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kResourceExhausted);
  CHECK(r.status().message() == "query would touch more than 150 series (limit max_series)");
  // ... and an error in one thread (the limit reached by a second selection, with no series left
  // to check it against up front) fails the whole query with the same error.
  split.max_series = 50;
  r = EvalRange(f.db.get(), "count(cpu_usage_0) + count({__name__=~\"cpu_usage_.*\"})", 0, hours, 60'000, split);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kResourceExhausted);
  CHECK(r.status().message() == "query would touch more than 50 series (limit max_series)");
}

}  // namespace
}  // namespace gnomon::promql
