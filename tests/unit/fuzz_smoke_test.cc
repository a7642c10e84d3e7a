// Fuzz smoke test: "no crash on any input". With a fixed seed and a bounded number of iterations,
// seed inputs are mutated (bit flips, random bytes, PromQL tokens, splices, deep nesting, huge
// numbers, very long strings) and fed to every parser that reads untrusted text, and the PromQL
// engine evaluates the mutated queries against a small database. Every call must come back with a
// value or an error Status (never crash, throw, or hang), errors must carry a message, and results
// must keep the shape their header promises. Under ASan+UBSan this is also a memory-safety check.
//
//   PromQL      ParseExpr, String() round trip, EvalInstant and EvalRange (parallelism 2, one
//               series per thread, 200 ms timeout), seeds from tests/promql/parse_cases.txt,
//               tests/promql/extra_queries.txt and ../shared/promql/queries.txt plus generated
//               expressions
//   ingest      ParseLineProtocol, ParseJsonLines, DecodeRemoteWrite (mutated protobuf and mutated
//               snappy), http::DecodeBody (gzip/deflate); the batches are written to a database
//   small text  query::ParseSeriesSelector (then DB::Select), UnquoteStringLiteral,
//               http::ParseQueryString, UrlDecodePath, api::ParseTimeParam, ParseDurationMs,
//               ingest::ParsePrecision
//
// Environment (for longer exploratory runs; the defaults are what CTest runs):
//   FUZZ_SEED=<n>        another seed (default 20240611)
//   FUZZ_SCALE=<x>       multiply every iteration count by x (e.g. 50 for a few minutes)
//   FUZZ_LAST_INPUT=<f>  write each input to file f before it is used, so a crash leaves it there
//   FUZZ_VERBOSE=1       print per-target statistics and the slowest PromQL inputs
//   FUZZ_NO_SKIP=1       also evaluate queries with huge subqueries (see SubqueryTooBig)
//   FUZZ_REPRO=<file>    instead of fuzzing, run the PromQL checks on the query in <file>
#include <doctest/doctest.h>

#include <pthread.h>
#include <snappy.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "gnomon/db.h"
#include "http/api/params.h"
#include "http/server/body_decoder.h"
#include "http/server/request.h"
#include "ingest/json_lines.h"
#include "ingest/line_protocol.h"
#include "ingest/remote_write.h"
#include "query/promql/engine.h"
#include "query/promql/eval_internal.h"
#include "query/promql/lexer.h"
#include "query/promql/parser.h"
#include "query/selector.h"
#include "fuzz_mutator.h"
#include "remote.pb.h"
#include "test_util.h"
#include "util/duration.h"
#include "util/stale_marker.h"
#include "wire_helpers.h"

namespace gnomon {
namespace {

// ---- configuration ----------------------------------------------------------------------------

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

struct FuzzConfig {
  uint64_t seed = 20240611;
  double scale = 1.0;
  bool verbose = false;
  bool no_skip = false;
  std::string last_input_path;
  std::string repro_path;
};

const FuzzConfig& Config() {
  static const FuzzConfig config = [] {
    FuzzConfig c;
    if (const char* s = std::getenv("FUZZ_SEED"); s && *s) c.seed = std::strtoull(s, nullptr, 10);
    if (kSanitized) c.scale = 0.25;  // the same first quarter of the inputs: ASan+UBSan is ~15x slower
    if (const char* s = std::getenv("FUZZ_SCALE"); s && *s) c.scale = std::max(0.0, std::strtod(s, nullptr));
    if (const char* s = std::getenv("FUZZ_VERBOSE"); s && *s && std::string_view(s) != "0") c.verbose = true;
    if (const char* s = std::getenv("FUZZ_NO_SKIP"); s && *s && std::string_view(s) != "0") c.no_skip = true;
    if (const char* s = std::getenv("FUZZ_LAST_INPUT")) c.last_input_path = s;
    if (const char* s = std::getenv("FUZZ_REPRO")) c.repro_path = s;
    return c;
  }();
  return config;
}

// `base` iterations times FUZZ_SCALE. Each target's inputs are one fixed sequence, so a smaller scale
// runs a prefix of it: the defaults (scale 1, and 0.25 under ASan+UBSan) take about 16 s in a Release
// build and 70 s in the sanitized one on the 2-core VM.
int Iterations(int base) { return static_cast<int>(std::max(1.0, base * Config().scale)); }

// Each target gets its own stream, so adding iterations to one does not change the others.
std::mt19937_64 Rng(uint64_t salt) { return std::mt19937_64(Config().seed * 1000003u + salt); }

std::string SourceDir() {
  const char* d = std::getenv("GNOMON_SOURCE_DIR");
  return d ? d : ".";
}

// Records the input about to be used (FUZZ_LAST_INPUT), so that a crash leaves it behind.
void NoteInput(std::string_view target, std::string_view input) {
  const std::string& path = Config().last_input_path;
  if (path.empty()) return;
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(target.data(), 1, target.size(), f);
    std::fputc('\n', f);
    std::fwrite(input.data(), 1, input.size(), f);
    std::fclose(f);
  }
}

// An input for a failure message: escaped, and shortened if long.
std::string Show(std::string_view s) {
  std::string out = "\"";
  const size_t limit = 400;
  for (size_t i = 0; i < s.size() && i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  out += '"';
  if (s.size() > limit) out += " ... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// A single input taking longer than this is reported as a hang (queries have a 200 ms timeout).
constexpr double kHangMs = 10'000;

// Runs `fn` on a thread with a stack of `bytes` and waits for it; an exception (a failed REQUIRE
// included) is passed on to the caller.
void RunWithStack(size_t bytes, const std::function<void()>& fn) {
  struct Job {
    const std::function<void()>* fn;
    std::exception_ptr error;
  } job{&fn, nullptr};
  pthread_attr_t attr;
  REQUIRE(pthread_attr_init(&attr) == 0);
  REQUIRE(pthread_attr_setstacksize(&attr, bytes) == 0);
  pthread_t thread;
  const int rc = pthread_create(
      &thread, &attr,
      [](void* p) -> void* {
        auto* j = static_cast<Job*>(p);
        try {
          (*j->fn)();
        } catch (...) {
          j->error = std::current_exception();
        }
        return nullptr;
      },
      &job);
  pthread_attr_destroy(&attr);
  REQUIRE(rc == 0);
  pthread_join(thread, nullptr);
  if (job.error) std::rethrow_exception(job.error);
}

// The parser allows 1000 levels of nesting, sized so that evaluation fits in a thread's default
// 8 MB stack; the fuzzing runs on such a stack rather than on whatever the test runner has.
// ASan's instrumented frames are several times larger, so the sanitized build gets 8x.
constexpr size_t kEvalStackBytes = (kSanitized ? 64u : 8u) << 20;

// ---- mutation (tests/fuzz_mutator.h) ------------------------------------------------------------

using testing::kHugeNumbers;
using testing::Mutator;

// ---- PromQL seeds and generator -------------------------------------------------------------

const std::vector<std::string> kFunctions = {
    "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time", "ceil",
    "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "days_in_month", "day_of_month",
    "day_of_week", "day_of_year", "deg", "delta", "deriv", "exp", "floor", "histogram_quantile", "holt_winters",
    "hour", "idelta", "increase", "irate", "label_replace", "label_join", "last_over_time", "ln", "log10", "log2",
    "max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear", "present_over_time",
    "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn", "sin", "sinh", "sort", "sort_desc",
    "sqrt", "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp", "vector",
    "year"};

const std::vector<std::string> kAggregations = {"sum", "avg", "min", "max", "count", "stddev", "stdvar", "group",
                                                "topk", "bottomk", "quantile", "count_values"};

const std::vector<std::string> kPromqlTokens = [] {
  std::vector<std::string> t = {
      "(", ")", "[", "]", "{", "}", ",", ":", "\"", "'", "`", "=", "!=", "=~", "!~", "==", ">", "<", ">=", "<=",
      "+", "-", "*", "/", "%", "^", "and", "or", "unless", "atan2", "bool", "by", "without", "on", "ignoring",
      "group_left", "group_right", "on()", "ignoring(instance)", "by (job)", "without (le)", "group_left(zone)",
      "offset", "offset 5m", "offset -1h", "@", "@ 1700000000", "@ -1", "@ start()", "@ end()", "start()",
      "end()", "5m", "1s", "1ms", "15s", "1h", "1d", "1w", "1y", "1h30m", "0s", "100y", "292y",
      "9223372036854775807ms", "[5m]", "[1m:15s]", "[10m:]", "[1h:1m]", "[1s]", "[1y:1h]", "__name__",
      "{__name__=~\".+\"}", "up", "node_temperature_celsius", "http_requests_total",
      "http_request_duration_seconds_bucket", "le", "job", "instance", "zone", "\"host-1:9100\"", "\".*\"",
      "\"(.*)\"", "\"$1\"", "\"\\xff\"", "\"\\u00e9\"", "# comment\n", "\n", "\t", "\\", "0x1f", "1e3", ".5",
      "NaN", "Inf", "-Inf", "\xc3\xa9", "\xff"};
  for (const std::string& f : kFunctions) t.push_back(f + "(");
  for (const std::string& a : kAggregations) t.push_back(a);
  return t;
}();

const std::string kPromqlAlphabet = "abcxyz_:019.eExX+-*/%^=!~<>(){}[],@#\"'`\\ \n\tsmhdwy";

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// The query part of each case in parse_cases.txt (before the last " => " or " !> "), and every
// line of the plain query lists; comments and blank lines skipped.
std::vector<std::string> LoadPromqlSeeds(int* files_found) {
  std::vector<std::string> seeds;
  *files_found = 0;
  const std::string dir = SourceDir();
  const auto cases = ReadLines(dir + "/tests/promql/parse_cases.txt");
  if (!cases.empty()) ++*files_found;
  for (const std::string& line : cases) {
    if (line.empty() || line[0] == '#') continue;
    std::string q = line;
    const size_t a = q.rfind(" => "), b = q.rfind(" !> ");
    size_t cut = std::string::npos;
    if (a != std::string::npos) cut = a;
    if (b != std::string::npos && (cut == std::string::npos || b > cut)) cut = b;
    if (cut != std::string::npos) q.resize(cut);
    for (size_t p; (p = q.find("\\n")) != std::string::npos;) q.replace(p, 2, "\n");
    seeds.push_back(q);
  }
  for (const char* rel : {"/tests/promql/extra_queries.txt", "/../shared/promql/queries.txt"}) {
    const auto lines = ReadLines(dir + rel);
    if (!lines.empty()) ++*files_found;
    for (const std::string& line : lines) {
      if (line.empty() || line[0] == '#') continue;
      seeds.push_back(line);
    }
  }
  if (seeds.empty()) {
    seeds = {"up", "rate(http_requests_total[5m])", "sum by (job) (up)", "node_temperature_celsius > bool 40",
             "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
             "max_over_time(up[10m:1m])", "up offset 5m", "up @ 1700000000", "vector(1) + on() group_left up"};
  }
  return seeds;
}

// Random, mostly well-typed PromQL over the fixture's metrics.
class ExprGen {
 public:
  explicit ExprGen(std::mt19937_64* rng) : rng_(rng) {}

  std::string Instant(int depth) {
    if (depth <= 0) return Selector();
    switch (Pick(14)) {
      case 0: return Selector();
      case 1: return Fn1() + "(" + Instant(depth - 1) + ")";
      case 2: return OverTime() + "(" + Range(depth - 1) + ")";
      case 3: return Aggregate(depth);
      case 4: return Paren(Instant(depth - 1)) + " " + BinOp(true) + " " + Paren(Instant(depth - 1));
      case 5: return Paren(Instant(depth - 1)) + " " + BinOp(false) + " " + Scalar(depth - 1);
      case 6: return "vector(" + Scalar(depth - 1) + ")";
      case 7:
        return "label_replace(" + Instant(depth - 1) + ", \"" + Label() + "\", \"$1\", \"" + Label() + "\", \"" +
               Pick({"(.*)", "(.*):.*", "h(o)st-(\\d)", "", "[", "$2"}) + "\")";
      case 8: return "label_join(" + Instant(depth - 1) + ", \"dst\", \"" + Pick({",", "", "-"}) + "\", \"" + Label() + "\", \"" + Label() + "\")";
      case 9:
        return "histogram_quantile(" + Scalar(depth - 1) + ", " +
               Pick({"rate(http_request_duration_seconds_bucket[5m])", "http_request_duration_seconds_bucket",
                     "sum by (le) (rate(http_request_duration_seconds_bucket[10m]))", Instant(depth - 1)}) +
               ")";
      case 10:
        if (Pick(2)) return Pick({"clamp_min", "clamp_max", "round"}) + "(" + Instant(depth - 1) + ", " + Scalar(0) + ")";
        return Pick({"predict_linear", "quantile_over_time", "holt_winters"}) + "(" + Range(depth - 1) + ", " +
               Scalar(0) + (Pick(3) == 0 ? ", 0.5" : "") + ")";
      case 11: return Selector() + Modifiers();
      case 12: return "absent(" + Instant(depth - 1) + ")";
      default: return "-" + Paren(Instant(depth - 1));
    }
  }

  std::string Range(int depth) {
    if (depth <= 0 || Pick(2)) return Selector() + "[" + Duration() + "]" + Modifiers();
    return Paren(Instant(depth - 1)) + "[" + Duration() + ":" + (Pick(3) ? Duration() : "") + "]" + Modifiers();
  }

  std::string Scalar(int depth) {
    switch (depth <= 0 ? Pick(2) : Pick(5)) {
      case 0: return Pick(10) < 8 ? Number() : kHugeNumbers[Pick(kHugeNumbers.size())];
      case 1: return "time()";
      case 2: return "scalar(" + Instant(depth - 1) + ")";
      case 3: return Scalar(depth - 1) + " " + BinOp(false) + " " + Scalar(depth - 1);
      default: return Pick({"pi()", "time() - 1700000000", "scalar(year())", "-Inf"});
    }
  }

 private:
  size_t Pick(size_t n) { return static_cast<size_t>((*rng_)() % n); }
  std::string Pick(std::initializer_list<std::string> options) {
    auto it = options.begin();
    std::advance(it, Pick(options.size()));
    return *it;
  }
  std::string Paren(const std::string& s) { return "(" + s + ")"; }
  std::string Number() { return Pick({"0", "1", "0.5", "2", "-1", "100", "0.99", "1e3", "3"}); }
  std::string Label() { return Pick({"job", "instance", "zone", "le", "code", "__name__", "nope", "dst"}); }
  std::string Duration() {
    if (Pick(40) == 0) return Pick({"9223372036854775807ms", "292y", "106751991167d", "100000000y", "1y"});
    return Pick({"1s", "15s", "1m", "5m", "10m", "1h", "2h", "1d", "30s", "90s", "1ms", "7m"});
  }
  std::string Selector() {
    std::string name = Pick({"up", "node_temperature_celsius", "node_memory_free_bytes", "http_requests_total",
                             "http_request_duration_seconds_bucket", "http_request_duration_seconds_sum",
                             "http_request_duration_seconds_count", "batch_job_last_success", "weird", "nonexistent",
                             ""});
    std::string m;
    const size_t n = name.empty() ? 1 : Pick(3);
    for (size_t i = 0; i < n; ++i) {
      if (!m.empty()) m += ",";
      if (name.empty() && i == 0) {
        m += Pick({"__name__=~\".+\"", "__name__=~\"http_.*\"", "job=\"node\"", "__name__!=\"\""});
        continue;
      }
      m += Label() + Pick({"=", "!=", "=~", "!~"}) + "\"" + Pick({"node", "api", "a", ".*", "host-1:9100", "", "b|c", "0.5", "+Inf"}) + "\"";
    }
    return name + (m.empty() && Pick(2) ? "" : "{" + m + "}");
  }
  std::string Modifiers() {
    std::string out;
    if (Pick(4) == 0) out += " offset " + std::string(Pick(3) == 0 ? "-" : "") + Duration();
    if (Pick(5) == 0) {
      out += " @ " + Pick({"1700000000", "1699998000.5", "start()", "end()", "0", "-100", "9199999999999999",
                           "-9199999999999999", "1e15"});
    }
    return out;
  }
  std::string Fn1() {
    return Pick({"abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn", "timestamp", "sort",
                 "sort_desc", "deg", "rad", "sin", "acos", "atanh", "hour", "minute", "month", "year",
                 "day_of_week", "days_in_month", "round"});
  }
  std::string OverTime() {
    return Pick({"rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets", "avg_over_time",
                 "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "last_over_time",
                 "present_over_time", "stddev_over_time", "stdvar_over_time", "absent_over_time"});
  }
  std::string BinOp(bool vector) {
    std::string op = Pick({"+", "-", "*", "/", "%", "^", "atan2", "==", "!=", ">", "<", ">=", "<="});
    if (vector && Pick(4) == 0) op = Pick({"and", "or", "unless"});
    if (Pick(3) == 0 && (op == "==" || op == "!=" || op == ">" || op == "<" || op == ">=" || op == "<=")) op += " bool";
    if (vector && Pick(3) == 0) {
      op += Pick({" on(instance)", " ignoring(code)", " on()", " ignoring(le, zone)", " on(job, zone)"});
      if (Pick(3) == 0) op += Pick({" group_left", " group_right", " group_left(zone)", " group_right(job)"});
    }
    return op;
  }
  std::string Aggregate(int depth) {
    const std::string op = kAggregations[Pick(kAggregations.size())];
    std::string param;
    if (op == "topk" || op == "bottomk") param = Pick({"1", "2", "0", "-1", "1e10", "NaN"}) + ", ";
    if (op == "quantile") param = Pick({"0.5", "0.99", "2", "-1", "NaN"}) + ", ";
    if (op == "count_values") param = Pick({"\"value\"", "\"le\"", "\"__name__\"", "\"\"", "\"bad-name\""}) + ", ";
    std::string grouping;
    switch (Pick(3)) {
      case 0: grouping = " by (" + Label() + ")"; break;
      case 1: grouping = " without (" + Label() + ")"; break;
      default: break;
    }
    return op + grouping + " (" + param + Instant(depth - 1) + ")";
  }

  std::mt19937_64* rng_;
};

// Structure-level PromQL mutations: nesting, combining, modifiers.
std::string StructuralMutation(Mutator& m, std::string q, const std::vector<std::string>& corpus) {
  switch (m.Pick(8)) {
    case 0: {  // deep nesting around the query, sometimes past the parser's depth limit
      const size_t depths[] = {8, 100, 999, 1000, 1001, 3000};
      const size_t n = depths[m.Pick(std::size(depths))];
      const std::string open[] = {"(", "-", "abs(", "sum(", "+", "(-"};
      const std::string close[] = {")", "", ")", ")", "", ")"};
      const size_t k = m.Pick(std::size(open));
      std::string out;
      for (size_t i = 0; i < n; ++i) out += open[k];
      out += q;
      for (size_t i = 0; i < n; ++i) out += close[k];
      return out;
    }
    case 1: {  // a long chain of binary operators
      const size_t n = 1 + m.Pick(1200);
      const std::string ops[] = {" + ", " * ", " and ", " or ", " ^ ", " > bool "};
      const std::string& op = ops[m.Pick(std::size(ops))];
      std::string out = q;
      for (size_t i = 0; i < n; ++i) out += op + "1";
      return out;
    }
    case 2: {  // two queries combined
      const std::string& other = corpus[m.Pick(corpus.size())];
      return "(" + q + ") " + m.Token() + " (" + other + ")";
    }
    case 3: return m.Token() + "(" + q + ")";
    case 4: return "(" + q + ")[" + m.Token() + ":" + m.Token() + "]";
    case 5: return q + " " + m.Token() + " " + m.Token();
    case 6: {  // a very long string or name
      const size_t len = m.OneIn(2) ? 5000 : 100'000;
      switch (m.Pick(3)) {
        case 0: return "label_replace(" + q + ", \"x\", \"" + std::string(len, 'v') + "\", \"job\", \"(.*)\")";
        case 1: return std::string(len, 'm') + "{job=\"" + std::string(len, 'j') + "\"}";
        default: return q + "{" + std::string(len / 4, 'l') + "=~\"" + std::string(len / 4, '.') + "\"}";
      }
    }
    default: return q;
  }
}

// ---- the PromQL fixture -----------------------------------------------------------------------

constexpr int64_t kT1 = 1'700'000'000'000;        // end of the data
constexpr int64_t kT0 = kT1 - 3'600'000;          // start of the data
constexpr int64_t kInterval = 15'000;
constexpr uint64_t kStaleBits = kStaleNaNBits;

struct QueryFixture {
  testing::TempDir dir;
  std::unique_ptr<DB> db;

  QueryFixture() {
    Options o;
    o.sync_mode = SyncMode::kNever;
    REQUIRE(DB::Open(o, dir.path(), &db).ok());
    WriteBatch first, second;
    const int64_t split = kT0 + 2'400'000;  // sealed before, in the head after
    for (int64_t t = kT0; t <= kT1; t += kInterval) {
      WriteBatch& b = t < split ? first : second;
      const double step = static_cast<double>((t - kT0) / kInterval);
      for (int h = 0; h < 3; ++h) {
        const std::string inst = "host-" + std::to_string(h) + ":9100";
        const std::string zone(1, static_cast<char>('a' + h));
        b.Add({{"__name__", "up"}, {"instance", inst}, {"job", "node"}, {"zone", zone}}, t,
              (h == 2 && step > 100 && step < 140) ? 0 : 1);
        b.Add({{"__name__", "node_temperature_celsius"}, {"instance", inst}, {"job", "node"}, {"zone", zone}}, t,
              40 + 10 * std::sin(step / 10 + h));
        b.Add({{"__name__", "node_memory_free_bytes"}, {"instance", inst}, {"job", "node"}, {"zone", zone}}, t,
              1e9 + 1e6 * h - 1e5 * step);
      }
      for (int h = 0; h < 2; ++h) {
        const std::string inst = "host-" + std::to_string(h) + ":8080";
        for (const char* code : {"200", "500"}) {
          for (const char* method : {"GET", "POST"}) {
            double v = step * (code[0] == '2' ? 10 : 1) * (method[0] == 'G' ? 2 : 1) + h;
            if (h == 1 && code[0] == '2' && step > 150) v -= 1000;  // a counter reset
            b.Add({{"__name__", "http_requests_total"}, {"code", code}, {"instance", inst}, {"job", "api"},
                   {"method", method}},
                  t, std::max(0.0, v));
          }
        }
        double cumulative = 0;
        for (const char* le : {"0.1", "0.5", "1", "+Inf"}) {
          cumulative += step * (h + 1);
          b.Add({{"__name__", "http_request_duration_seconds_bucket"}, {"instance", inst}, {"job", "api"}, {"le", le}},
                t, cumulative);
        }
        b.Add({{"__name__", "http_request_duration_seconds_sum"}, {"instance", inst}, {"job", "api"}}, t,
              step * 0.3 * (h + 1));
        b.Add({{"__name__", "http_request_duration_seconds_count"}, {"instance", inst}, {"job", "api"}}, t,
              cumulative);
      }
      // A gauge that goes stale for a while.
      const bool stale = step >= 120 && step < 160;
      b.Add({{"__name__", "batch_job_last_success"}, {"job", "batch"}}, t,
            stale ? std::bit_cast<double>(kStaleBits) : static_cast<double>(t / 1000));
      // Odd values.
      b.Add({{"__name__", "weird"}, {"kind", "nan"}}, t, std::nan(""));
      b.Add({{"__name__", "weird"}, {"kind", "inf"}}, t, step > 200 ? -INFINITY : INFINITY);
      b.Add({{"__name__", "weird"}, {"kind", "big"}}, t, step * 1e300);
      b.Add({{"__name__", "weird"}, {"kind", "tiny"}}, t, 4.9e-324 * step);
      b.Add({{"__name__", "weird"}, {"kind", "long"}, {"v", std::string(4096, 'x')}}, t, -step);
      b.Add({{"__name__", "weird"}, {"kind", "utf8"}, {"v", "\xc3\xa9\xe2\x9c\x93"}}, t, step);
    }
    REQUIRE(db->Write(first).ok());
    REQUIRE(db->Flush().ok());
    REQUIRE(db->Write(second).ok());
    WriteBatch late;  // out of order, into a sealed range
    late.Add({{"__name__", "up"}, {"instance", "host-0:9100"}, {"job", "node"}, {"zone", "a"}}, kT0 + 7'000, 5);
    REQUIRE(db->Write(late).ok());
  }
};

struct PromqlStats {
  int parsed = 0, parse_errors = 0;
  int skipped = 0;  // see SubqueryTooBig
  int times_rejected = 0;
  int instant_ok = 0, instant_nonempty = 0, range_ok = 0, range_nonempty = 0;
  std::map<std::string, int> errors_by_code;
  std::vector<std::pair<double, std::string>> slowest;  // (ms, input)

  void NoteTime(double ms, const std::string& what) {
    slowest.emplace_back(ms, what);
    std::sort(slowest.begin(), slowest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    if (slowest.size() > 5) slowest.resize(5);
  }
};

const char* CodeName(Status::Code c) {
  switch (c) {
    case Status::Code::kOk: return "OK";
    case Status::Code::kInvalidArgument: return "InvalidArgument";
    case Status::Code::kNotFound: return "NotFound";
    case Status::Code::kCorruption: return "Corruption";
    case Status::Code::kIOError: return "IOError";
    case Status::Code::kResourceExhausted: return "ResourceExhausted";
    case Status::Code::kNoSpace: return "NoSpace";
    case Status::Code::kBusy: return "Busy";
    case Status::Code::kAborted: return "Aborted";
    case Status::Code::kFailedPrecondition: return "FailedPrecondition";
    case Status::Code::kInternal: return "Internal";
  }
  return "?";
}

// An evaluation error: a message, and one of the codes engine.h documents for a healthy database.
void CheckEvalError(const Status& s, const std::string& context, PromqlStats* stats) {
  CHECK_MESSAGE(!s.message().empty(), context);
  const bool documented = s.code() == Status::Code::kInvalidArgument ||
                          s.code() == Status::Code::kFailedPrecondition ||
                          s.code() == Status::Code::kResourceExhausted || s.code() == Status::Code::kAborted;
  CHECK_MESSAGE(documented, "unexpected " << s.ToString() << " for " << context);
  ++stats->errors_by_code[CodeName(s.code())];
}

bool UniqueLabelSets(const std::vector<promql::SeriesResult>& series) {
  std::vector<const Labels*> l;
  for (const auto& s : series) l.push_back(&s.labels);
  std::sort(l.begin(), l.end(), [](const Labels* a, const Labels* b) { return *a < *b; });
  for (size_t i = 1; i < l.size(); ++i) {
    if (*l[i] == *l[i - 1]) return false;
  }
  return true;
}

// Evaluation times: inside the data, before and after it, and far away.
constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();
constexpr int64_t kEvalLimit = promql::kMaxEvalTimeMs;  // times beyond are InvalidArgument

int64_t PickInstantTime(std::mt19937_64& rng) {
  if (rng() % 8 == 0) {
    // What /api/v1/query accepts (the min/max time strings, +-9.2e15 s); the engine evaluates
    // within +-2^61 ms and must reject the rest.
    const int64_t extremes[] = {kMinTime, kMaxTime, -9'200'000'000'000'000'000, 9'200'000'000'000'000'000, -1,
                                kEvalLimit, -kEvalLimit, kEvalLimit + 1, -kEvalLimit - 1};
    return extremes[rng() % std::size(extremes)];
  }
  switch (rng() % 8) {
    case 0: return kT1;
    case 1: return kT0 - 600'000;
    case 2: return kT1 + 3'600'000;
    case 3: return 0;
    case 4: return kT0 + 2'400'000;  // the sealed/head boundary
    default: return kT0 + static_cast<int64_t>(rng() % 3'600'001);
  }
}

// A known engine limitation (reported): a subquery's steps are checked against max_samples
// before it runs, but the points its inner selectors produce are counted only once it has
// finished, and the deadline is checked between series, not within one. A subquery just under the
// limit therefore holds up to 16 bytes x steps x series (count_over_time(m[1d:2ms]) over 4 series
// of a day's data: ~2.4 GB, std::bad_alloc under a 4 GB cap) and runs past the timeout. So that
// the test stays small, queries whose subqueries run more than kMaxSubquerySteps steps are parsed
// but not evaluated; FUZZ_NO_SKIP=1 evaluates them anyway (max_samples still bounds them).
constexpr double kMaxSubquerySteps = 200'000;

// The largest number of steps any subquery of `e` runs when `e` is evaluated over `span_ms`.
double MaxSubquerySteps(const promql::Expr& e, double span_ms) {
  return std::visit(
      [&](const auto& n) -> double {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, promql::SubqueryExpr>) {
          const double step = n.step_ms > 0 ? static_cast<double>(n.step_ms) : 60'000.0;
          const double inner = span_ms + static_cast<double>(n.range_ms);
          return std::max(inner / step + 1, MaxSubquerySteps(*n.expr, inner));
        } else if constexpr (std::is_same_v<T, promql::BinaryExpr>) {
          return std::max(MaxSubquerySteps(*n.lhs, span_ms), MaxSubquerySteps(*n.rhs, span_ms));
        } else if constexpr (std::is_same_v<T, promql::UnaryExpr> || std::is_same_v<T, promql::ParenExpr>) {
          return MaxSubquerySteps(*n.expr, span_ms);
        } else if constexpr (std::is_same_v<T, promql::AggregateExpr>) {
          return std::max(MaxSubquerySteps(*n.expr, span_ms), n.param ? MaxSubquerySteps(*n.param, span_ms) : 0.0);
        } else if constexpr (std::is_same_v<T, promql::Call>) {
          double m = 0;
          for (const auto& a : n.args) m = std::max(m, MaxSubquerySteps(*a, span_ms));
          return m;
        } else {
          return 0.0;
        }
      },
      e.node);
}

// Whether `e` (null: a query that does not parse) evaluated over [start, end] is skipped.
bool SubqueryTooBig(const promql::Expr* e, int64_t start, int64_t end) {
  if (e == nullptr || Config().no_skip) return false;
  return MaxSubquerySteps(*e, static_cast<double>(end) - static_cast<double>(start)) > kMaxSubquerySteps;
}

void CheckPromqlQuery(DB* db, const std::string& q, std::mt19937_64& rng, PromqlStats* stats) {
  NoteInput("promql", q);
  // Parse, and for a success, String() must give text that parses back to the same String().
  auto t0 = std::chrono::steady_clock::now();
  bool parsed = false;
  promql::ExprPtr expr;
  try {
    auto r = promql::ParseExpr(q);
    if (r.ok()) {
      parsed = true;
      ++stats->parsed;
      (void)(*r)->Type();
      const std::string s = (*r)->String();
      auto again = promql::ParseExpr(s);
      CHECK_MESSAGE(again.ok(), "String() " << Show(s) << " does not parse back (" << again.status().ToString()
                                            << ") for " << Show(q));
      if (again.ok()) CHECK_MESSAGE((*again)->String() == s, "String() is not stable for " << Show(q));
      expr = std::move(*r);
    } else {
      ++stats->parse_errors;
      CHECK_MESSAGE(!r.status().message().empty(), Show(q));
      CHECK_MESSAGE(r.status().code() == Status::Code::kInvalidArgument, r.status().ToString() << " for " << Show(q));
    }
  } catch (const std::exception& e) {
    FAIL_CHECK("ParseExpr threw " << std::string(e.what()) << " for " << Show(q));
    return;
  }
  double ms = MsSince(t0);
  CHECK_MESSAGE(ms < kHangMs, "parsing took " << ms << " ms: " << Show(q));
  stats->NoteTime(ms, "parse " + Show(q));
  // The engine parses again; a query that does not parse is only evaluated now and then.
  if (!parsed && rng() % 8 != 0) return;

  promql::QueryOptions o;
  o.timeout_ms = 200;
  o.max_samples = 1'000'000;
  o.parallelism = 2;
  o.min_series_per_thread = 1;

  const int64_t t = PickInstantTime(rng);
  if (SubqueryTooBig(expr.get(), t, t)) {
    ++stats->skipped;
    return;
  }
  const std::string ictx = "EvalInstant at " + std::to_string(t) + " of " + Show(q);
  NoteInput("promql (EvalInstant at " + std::to_string(t) + ")", q);
  t0 = std::chrono::steady_clock::now();
  try {
    auto r = promql::EvalInstant(db, q, t, o);
    if (t < -kEvalLimit || t > kEvalLimit) {
      // Evaluation times outside +-kMaxEvalTimeMs are rejected (eval_internal.h).
      CHECK_MESSAGE((!r.ok() && r.status().code() == Status::Code::kInvalidArgument), ictx);
      ++stats->times_rejected;
    } else if (r.ok()) {
      ++stats->instant_ok;
      CHECK_MESSAGE(r->type != promql::ValueType::kNone, ictx);
      if (r->type == promql::ValueType::kVector) {
        if (!r->series.empty()) ++stats->instant_nonempty;
        for (const auto& s : r->series) {
          CHECK_MESSAGE(s.points.size() == 1, ictx);
          if (!s.points.empty()) CHECK_MESSAGE(s.points[0].timestamp == t, ictx);
        }
        CHECK_MESSAGE(UniqueLabelSets(r->series), "duplicate label sets in " << ictx);
      } else if (r->type == promql::ValueType::kMatrix) {
        for (const auto& s : r->series) {
          for (size_t i = 1; i < s.points.size(); ++i) {
            CHECK_MESSAGE(s.points[i - 1].timestamp < s.points[i].timestamp, ictx);
          }
        }
      } else if (r->type == promql::ValueType::kScalar) {
        CHECK_MESSAGE(r->scalar.timestamp == t, ictx);
      }
    } else {
      CheckEvalError(r.status(), ictx, stats);
    }
  } catch (const std::exception& e) {
    FAIL_CHECK("EvalInstant threw " << std::string(e.what()) << ": " << ictx);
  }
  ms = MsSince(t0);
  CHECK_MESSAGE(ms < kHangMs, "took " << ms << " ms: " << ictx);
  stats->NoteTime(ms, ictx);

  // A range query of up to 60 steps somewhere around the data.
  const int64_t steps[] = {1'000, 7'000, 15'000, 60'000, 300'000, 3'600'000};
  int64_t step = steps[rng() % std::size(steps)];
  int64_t start = kT0 - 1'800'000 + static_cast<int64_t>(rng() % 7'200'000);
  int64_t end = start + step * static_cast<int64_t>(rng() % 60);
  if (rng() % 8 == 0) {
    // What /api/v1/query_range accepts: any start <= end, at most 11,000 points.
    const int64_t extremes[] = {kMinTime, -9'200'000'000'000'000'000, -kEvalLimit - 1, -kEvalLimit, -1, 0, kT1,
                                kEvalLimit, kEvalLimit + 1, 9'200'000'000'000'000'000, kMaxTime};
    start = extremes[rng() % std::size(extremes)];
    end = extremes[rng() % std::size(extremes)];
    if (end < start) std::swap(start, end);
    const double span = static_cast<double>(end) - static_cast<double>(start);
    step = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(span / 10'000)));
    if (rng() % 2) step = std::max<int64_t>(step, 60'000);
  }
  if (SubqueryTooBig(expr.get(), start, end)) {
    ++stats->skipped;
    return;
  }
  const std::string rctx = "EvalRange [" + std::to_string(start) + ", " + std::to_string(end) + "] step " +
                           std::to_string(step) + " of " + Show(q);
  NoteInput("promql (EvalRange " + std::to_string(start) + " " + std::to_string(end) + " " + std::to_string(step) + ")",
            q);
  t0 = std::chrono::steady_clock::now();
  try {
    auto r = promql::EvalRange(db, q, start, end, step, o);
    if (start < -kEvalLimit || end > kEvalLimit) {
      CHECK_MESSAGE((!r.ok() && r.status().code() == Status::Code::kInvalidArgument), rctx);
      ++stats->times_rejected;
    } else if (r.ok()) {
      ++stats->range_ok;
      CHECK_MESSAGE(r->type == promql::ValueType::kMatrix, rctx);
      if (!r->series.empty()) ++stats->range_nonempty;
      for (const auto& s : r->series) {
        CHECK_MESSAGE(!s.points.empty(), rctx);
        for (size_t i = 0; i < s.points.size(); ++i) {
          const int64_t ts = s.points[i].timestamp;
          CHECK_MESSAGE((ts >= start && ts <= end &&
                         (static_cast<uint64_t>(ts) - static_cast<uint64_t>(start)) % static_cast<uint64_t>(step) == 0), "point at " << ts << " in " << rctx);
          if (i > 0) CHECK_MESSAGE(s.points[i - 1].timestamp < ts, rctx);
        }
      }
      CHECK_MESSAGE(UniqueLabelSets(r->series), "duplicate label sets in " << rctx);
    } else {
      CheckEvalError(r.status(), rctx, stats);
    }
  } catch (const std::exception& e) {
    FAIL_CHECK("EvalRange threw " << std::string(e.what()) << ": " << rctx);
  }
  ms = MsSince(t0);
  CHECK_MESSAGE(ms < kHangMs, "took " << ms << " ms: " << rctx);
  stats->NoteTime(ms, rctx);
}

TEST_CASE("fuzz: mutated PromQL never crashes the parser or the engine") {
  QueryFixture f;
  int files = 0;
  const std::vector<std::string> seeds = LoadPromqlSeeds(&files);
  MESSAGE("PromQL seeds: " << seeds.size() << " from " << files << " file(s)");
  REQUIRE(seeds.size() >= 8);
  PromqlStats stats;

  if (!Config().repro_path.empty()) {
    std::ifstream in(Config().repro_path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string q = ss.str();
    if (q.rfind("promql", 0) == 0) q.erase(0, q.find('\n') + 1);  // a FUZZ_LAST_INPUT file
    auto rng = Rng(0);
    RunWithStack(kEvalStackBytes, [&] {
      for (int i = 0; i < 64; ++i) CheckPromqlQuery(f.db.get(), q, rng, &stats);
    });
    MESSAGE("repro: " << stats.instant_ok << " instant and " << stats.range_ok << " range evaluations succeeded");
    return;
  }

  auto rng = Rng(1);
  Mutator m(&rng, kPromqlTokens, kPromqlAlphabet, 300'000);
  ExprGen gen(&rng);

  // Every seed once as it is, then mutated and generated queries.
  const int n = Iterations(30000);
  RunWithStack(kEvalStackBytes, [&] {
    for (const std::string& q : seeds) CheckPromqlQuery(f.db.get(), q, rng, &stats);
    for (int i = 0; i < n; ++i) {
      std::string q;
      switch (rng() % 10) {
        case 0:
        case 1:
        case 2: q = gen.Instant(1 + static_cast<int>(rng() % 4)); break;
        case 3: q = m.Mutate(gen.Instant(1 + static_cast<int>(rng() % 3)), seeds, 2); break;
        case 4: q = StructuralMutation(m, seeds[rng() % seeds.size()], seeds); break;
        case 5: q = StructuralMutation(m, gen.Instant(2), seeds); break;
        default: q = m.Mutate(seeds[rng() % seeds.size()], seeds); break;
      }
      CheckPromqlQuery(f.db.get(), q, rng, &stats);
    }
  });

  std::string codes;
  for (const auto& [code, count] : stats.errors_by_code) codes += " " + code + "=" + std::to_string(count);
  MESSAGE("PromQL: " << n << " fuzzed queries, " << stats.parsed << " parsed, " << stats.parse_errors
                     << " parse errors; instant ok " << stats.instant_ok << " (" << stats.instant_nonempty
                     << " non-empty vectors), range ok " << stats.range_ok << " (" << stats.range_nonempty
                     << " non-empty); eval errors:" << codes << "; out-of-range times rejected: "
                     << stats.times_rejected << "; not evaluated (huge subqueries): " << stats.skipped);
  if (Config().verbose) {
    for (const auto& [ms, what] : stats.slowest) MESSAGE("slow: " << ms << " ms " << what);
  }
  // The fuzzing reached both outcomes and the engine found data.
  CHECK(stats.parse_errors > n / 10);
  CHECK(stats.parsed > n / 4);
  CHECK(stats.instant_nonempty > n / 20);
  CHECK(stats.range_nonempty > n / 20);
  CHECK(stats.times_rejected > n / 100);
}

// ---- ingest -------------------------------------------------------------------------------------

struct IngestDb {
  testing::TempDir dir;
  std::unique_ptr<DB> db;
  IngestDb() {
    Options o;
    o.sync_mode = SyncMode::kNever;
    REQUIRE(DB::Open(o, dir.path(), &db).ok());
  }
};

// Writes a parsed batch; `must_accept` when the parser promises label sets the engine accepts.
void WriteBatchChecked(DB* db, const WriteBatch& batch, bool must_accept, const std::string& context) {
  if (batch.empty()) return;
  try {
    Status s = db->Write(batch);
    if (must_accept) {
      CHECK_MESSAGE(s.ok(), s.ToString() << " writing the batch of " << context);
    } else if (!s.ok()) {
      CHECK_MESSAGE(!s.message().empty(), context);
    }
  } catch (const std::exception& e) {
    FAIL_CHECK("DB::Write threw " << std::string(e.what()) << " for " << context);
  }
}

// After the ingest fuzzing: everything written reads back, seals and compacts.
void CheckDbReadable(DB* db) {
  auto set = db->Select({Matcher::Regex("__name__", ".+")}, std::numeric_limits<int64_t>::min(),
                        std::numeric_limits<int64_t>::max());
  REQUIRE_MESSAGE(set.ok(), set.status().ToString());
  size_t series = 0;
  std::vector<Sample> buf;
  while ((*set)->Next()) {
    ++series;
    CHECK((*set)->samples()->TakeRemaining(&buf).ok());
    for (size_t i = 1; i < buf.size(); ++i) CHECK(buf[i - 1].timestamp < buf[i].timestamp);
  }
  CHECK_MESSAGE((*set)->status().ok(), (*set)->status().ToString());
  set->reset();
  Status s = db->Flush();
  CHECK_MESSAGE(s.ok(), s.ToString());
  s = db->Compact();
  CHECK_MESSAGE(s.ok(), s.ToString());
  CHECK(series > 0);
}

const std::string kLineAlphabet = "\\\",= \"#\r\n\t-+.eEiutfTF0123456789abc_:\xff";
const std::vector<std::string> kLineTokens = {
    "\\,", "\\ ", "\\=", "\\\"", "\\\\", ",", " ", "=", "\"", "\n", "\r\n", "#", "i", "u", "t", "true", "F",
    "1e308", "-1e309", "NaN", "Inf", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
    "18446744073709551615u", "-1u", "0x10", "__name__", "__x", "host-name", "\xc3\xa9", "\xc3", "\xff\xfe",
    "m,a=1 v=1", " 1699913600000000000", " -1", "value", "=\"str\""};

TEST_CASE("fuzz: mutated line protocol parses cleanly and the engine accepts every batch") {
  IngestDb idb;
  const std::vector<std::string> seeds = {
      "cpu,hostname=host_0,region=us-east-1,rack=7 usage_user=12.34,usage_system=0.5,usage_idle=99 "
      "1699913600000000000",
      R"(log,host=a\ b msg="hello, \"world\" \\",level=3i,ok=true,u=7u 1000000)",
      "m,a=1,b=2 v=-1.5e-3,w=F",
      "m v=1",
      "disk,path=/var/lib used=1234567u,free=9i,pct=0.5 1700000000000000000\nmem free=1 1700000000000000001",
      "weather,location=us\\,midwest temperature=82 1465839830100400200",
      "# comment\n\nm\\ x,t\\=k=v\\ w f\\,g=1\r\n",
  };
  auto rng = Rng(2);
  Mutator m(&rng, kLineTokens, kLineAlphabet, 100'000);
  size_t samples = 0, rejected = 0;
  const int n = Iterations(20000);
  for (int iter = 0; iter < n; ++iter) {
    std::string body;
    const int lines = 1 + static_cast<int>(rng() % 4);
    for (int l = 0; l < lines; ++l) {
      body += m.Mutate(seeds[rng() % seeds.size()], seeds);
      body += '\n';
    }
    if (rng() % 2 == 0) body.pop_back();
    NoteInput("line_protocol", body);
    ingest::LineProtocolOptions o;
    o.precision = static_cast<ingest::Precision>(rng() % 6);
    o.max_errors = rng() % 3;
    o.default_time_ms = static_cast<int64_t>(rng() % 3 == 0 ? rng() : kT1);
    if (rng() % 4 == 0) o.limits.max_labels_per_series = 1 + rng() % 4;
    if (rng() % 4 == 0) o.limits.max_label_value_length = 1 + rng() % 16;
    WriteBatch batch;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      ingest::LineProtocolResult r = ingest::ParseLineProtocol(body, o, &batch);
      CHECK(r.rejected_lines <= r.lines);
      CHECK(r.errors.size() <= o.max_errors);
      CHECK(r.errors.size() <= r.rejected_lines);
      CHECK(r.samples == batch.num_samples());
      for (const ingest::LineError& e : r.errors) {
        CHECK(e.line >= 1);
        CHECK_MESSAGE(!e.reason.empty(), Show(body));
      }
      samples += r.samples;
      rejected += r.rejected_lines;
    } catch (const std::exception& e) {
      FAIL_CHECK("ParseLineProtocol threw " << std::string(e.what()) << " for " << Show(body));
    }
    CHECK_MESSAGE(MsSince(t0) < kHangMs, Show(body));
    // The parser checks every label set with the engine's rules, with limits at most as loose as
    // the engine's defaults: the engine must accept the whole batch.
    WriteBatchChecked(idb.db.get(), batch, true, "line protocol " + Show(body));
  }
  CheckDbReadable(idb.db.get());
  MESSAGE("line protocol: " << n << " bodies, " << samples << " samples, " << rejected << " rejected lines");
  CHECK(samples > static_cast<size_t>(n) / 4);
  CHECK(rejected > static_cast<size_t>(n) / 4);
}

const std::string kJsonAlphabet = "{}[]\":,.-+eE0123456789aNIn\\u \n\t\r";
const std::vector<std::string> kJsonTokens = {
    "{", "}", "[", "]", "\"", ":", ",", "null", "true", "false", "\"NaN\"", "\"+Inf\"", "\"-Infinity\"", "\"nan\"",
    "\"metric\"", "\"values\"", "\"timestamps\"", "\"__name__\"", "{}", "[]", "1e308", "1e309", "-0", "1.5",
    "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1.7e12", "1e19", "\"\\u0000\"",
    "\"\\ud800\"", "\"\\uDFFF\"", "\"\xff\"", "\"\xc3\xa9\"", "\n", "\r\n", "[[[[[[[[[[", "]]]]]]]]]]"};

TEST_CASE("fuzz: mutated JSON lines parse cleanly") {
  IngestDb idb;
  const std::vector<std::string> seeds = {
      R"({"metric":{"__name__":"x","job":"a"},"values":[1.5,2,-3],"timestamps":[1700000000000,1700000010000,1.70000002e12]})",
      R"({"metric":{"__name__":"x"},"values":["NaN","Inf","+Inf","-Inf","Infinity","-Infinity",0],"timestamps":[1,2,3,4,5,6,7]})",
      R"({"metric":{"__name__":"y","a":"","b":"\u00e9\n\"q\""},"values":[1],"timestamps":[-1]})",
      R"({"timestamps":[1700000000000],"values":[42],"metric":{"job":"no_name"}})",
      R"({"metric":{"__name__":"z"},"values":[],"timestamps":[]})",
  };
  auto rng = Rng(3);
  Mutator m(&rng, kJsonTokens, kJsonAlphabet, 100'000);
  size_t samples = 0, rejected = 0;
  const int n = Iterations(15000);
  for (int iter = 0; iter < n; ++iter) {
    std::string body;
    const int lines = 1 + static_cast<int>(rng() % 3);
    for (int l = 0; l < lines; ++l) {
      const std::string& seed = seeds[rng() % seeds.size()];
      body += rng() % 8 == 0 ? seed : m.Mutate(seed, seeds);
      body += rng() % 5 == 0 ? "\r\n" : "\n";
    }
    if (rng() % 32 == 0) {  // deep nesting
      const size_t depths[] = {2, 100, 1000, 100'000};
      const size_t depth = depths[rng() % std::size(depths)];
      body = R"({"metric":{"__name__":"deep"},"values":)" + std::string(depth, '[') + std::string(depth, ']') +
             R"(,"timestamps":[1]})";
    }
    NoteInput("json_lines", body);
    const size_t max_errors = rng() % 4;
    WriteBatch batch;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      ingest::JsonImportResult r = ingest::ParseJsonLines(body, &batch, max_errors);
      CHECK(r.rejected_lines <= r.lines);
      CHECK(r.errors.size() <= max_errors);
      CHECK(r.errors.size() <= r.rejected_lines);
      CHECK(r.samples == batch.num_samples());
      for (const ingest::JsonLineError& e : r.errors) {
        CHECK(e.line >= 1);
        CHECK_MESSAGE(!e.reason.empty(), Show(body));
      }
      samples += r.samples;
      rejected += r.rejected_lines;
    } catch (const std::exception& e) {
      FAIL_CHECK("ParseJsonLines threw " << std::string(e.what()) << " for " << Show(body));
    }
    CHECK_MESSAGE(MsSince(t0) < kHangMs, Show(body));
    WriteBatchChecked(idb.db.get(), batch, false, "JSON lines " + Show(body));
  }
  CheckDbReadable(idb.db.get());
  MESSAGE("JSON lines: " << n << " bodies, " << samples << " samples, " << rejected << " rejected lines");
  CHECK(samples > static_cast<size_t>(n) / 8);
  CHECK(rejected > static_cast<size_t>(n) / 4);
}

std::string Serialize(const prompb::WriteRequest& req) {
  std::string raw;
  REQUIRE(req.SerializeToString(&raw));
  return raw;
}

std::string Snappy(std::string_view raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

std::vector<std::string> RemoteWriteSeeds() {
  std::vector<std::string> out;
  {
    prompb::WriteRequest req;
    testing::AddRemoteWriteSeries(&req, {{"__name__", "up"}, {"job", "a"}}, {{kT1, 1}, {kT1 + 15'000, 0}});
    testing::AddRemoteWriteSeries(&req, {{"__name__", "temp"}, {"zone", "\xc3\xa9"}, {"empty", ""}}, {{kT0, -2.5}});
    out.push_back(Serialize(req));
  }
  {
    prompb::WriteRequest req;
    testing::AddRemoteWriteSeries(&req, {{"__name__", "odd"}},
               {{std::numeric_limits<int64_t>::min(), std::nan("")},
                {-1, INFINITY},
                {0, std::bit_cast<double>(kStaleBits)},
                {std::numeric_limits<int64_t>::max(), -0.0}});
    testing::AddRemoteWriteSeries(&req, {{"job", "no_samples"}}, {});
    auto* md = req.add_metadata();
    md->set_type(prompb::MetricMetadata::COUNTER);
    md->set_metric_family_name("up");
    md->set_help("help text");
    out.push_back(Serialize(req));
  }
  {
    prompb::WriteRequest req;
    for (int s = 0; s < 20; ++s) {
      std::vector<Sample> samples;
      for (int i = 0; i < 10; ++i) samples.push_back({kT0 + i * kInterval, static_cast<double>(s * i)});
      testing::AddRemoteWriteSeries(&req, {{"__name__", "many"}, {"s", std::to_string(s)}}, samples);
    }
    out.push_back(Serialize(req));
  }
  {
    prompb::WriteRequest req;
    testing::AddRemoteWriteSeries(&req, {{"__name__", "bad name"}, {"__reserved", "x"}, {"a", std::string(5000, 'v')}}, {{1, 1}});
    testing::AddRemoteWriteSeries(&req, {}, {{2, 2}});  // a series without labels
    out.push_back(Serialize(req));
  }
  out.push_back("");
  return out;
}

TEST_CASE("fuzz: mutated remote_write requests decode cleanly") {
  IngestDb idb;
  google::protobuf::LogSilencer quiet;  // libprotobuf logs invalid UTF-8 in string fields
  const std::vector<std::string> raw_seeds = RemoteWriteSeeds();
  std::vector<std::string> compressed_seeds;
  for (const std::string& r : raw_seeds) compressed_seeds.push_back(Snappy(r));
  const std::string alphabet = std::string("\x00\x01\x02\x08\x09\x0a\x0d\x10\x12\x1a\x22\x7f\x80\xff", 14) + "abc";
  const std::vector<std::string> tokens = {
      std::string("\x0a\x00", 2), "\x0a\x05", "\x0a\xff\xff\xff\xff\x0f", "\x12\x02", "\x09", "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
      "\x1a\x80\x80\x80\x80\x10", std::string(10, '\xff'), "\x0a\x0a\x0a\x0a", "\xfe\xff\xff\xff\x0f"};
  auto rng = Rng(4);
  Mutator m(&rng, tokens, alphabet, 200'000);

  // The unmutated seeds decode.
  for (size_t i = 0; i + 1 < raw_seeds.size(); ++i) {
    WriteBatch batch;
    auto r = ingest::DecodeRemoteWrite(compressed_seeds[i], 32 << 20, &batch);
    if (i == 3) {
      CHECK_FALSE(r.ok());  // the series without labels
    } else {
      REQUIRE_MESSAGE(r.ok(), r.status().ToString());
      CHECK(r->samples == batch.num_samples());
    }
  }

  int ok = 0, failed = 0;
  const int n = Iterations(20000);
  for (int iter = 0; iter < n; ++iter) {
    std::string body;
    const size_t k = rng() % raw_seeds.size();
    switch (rng() % 3) {
      case 0: body = Snappy(m.Mutate(raw_seeds[k], raw_seeds)); break;         // reaches the protobuf decoder
      case 1: body = m.Mutate(compressed_seeds[k], compressed_seeds); break;  // reaches snappy
      default: body = m.Mutate(std::string(), compressed_seeds); break;       // mostly garbage
    }
    NoteInput("remote_write", body);
    const size_t limits[] = {0, 16, 1024, 32u << 20};
    const size_t limit = limits[rng() % std::size(limits)];
    WriteBatch batch;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      auto r = ingest::DecodeRemoteWrite(body, limit, &batch);
      if (r.ok()) {
        ++ok;
        CHECK(r->samples == batch.num_samples());
        CHECK(r->series >= batch.num_entries());
        WriteBatchChecked(idb.db.get(), batch, false, "remote_write " + Show(body));
      } else {
        ++failed;
        CHECK_MESSAGE(!r.status().message().empty(), Show(body));
        CHECK_MESSAGE(r.status().code() == Status::Code::kInvalidArgument, r.status().ToString());
      }
    } catch (const std::exception& e) {
      FAIL_CHECK("DecodeRemoteWrite threw " << std::string(e.what()) << " for " << Show(body));
    }
    CHECK_MESSAGE(MsSince(t0) < kHangMs, Show(body));
  }
  CheckDbReadable(idb.db.get());
  MESSAGE("remote_write: " << n << " bodies, " << ok << " decoded, " << failed << " rejected");
  CHECK(ok > n / 50);
  CHECK(failed > n / 4);
}

TEST_CASE("fuzz: mutated gzip and deflate request bodies decode cleanly") {
  const std::vector<std::string> plain = {"m v=1 1\n", std::string(100'000, 'a'), "",
                                          R"({"metric":{"__name__":"x"},"values":[1],"timestamps":[1]})"};
  std::vector<std::string> gz, zl;
  for (const std::string& p : plain) {
    gz.push_back(testing::Compress(p, 31));
    zl.push_back(testing::Compress(p, 15));
  }
  // The unmutated bodies decode to the original.
  for (size_t i = 0; i < plain.size(); ++i) {
    for (bool gzip : {true, false}) {
      std::string body = gzip ? gz[i] : zl[i], error;
      REQUIRE(http::DecodeBody(gzip ? http::BodyEncoding::kGzip : http::BodyEncoding::kDeflate, body, 1 << 20,
                               &error) == http::DecodeOutcome::kOk);
      CHECK(body == plain[i]);
    }
  }
  std::vector<std::string> corpus = gz;
  corpus.insert(corpus.end(), zl.begin(), zl.end());
  auto rng = Rng(5);
  Mutator m(&rng, {std::string("\x1f\x8b\x08\x00", 4), "\x78\x9c", "\x03\x00", std::string(4, '\0'), "\xff\xff"},
            std::string("\x00\x01\x1f\x8b\x78\x9c\xff", 7), 200'000);
  int ok = 0, corrupt = 0, too_large = 0;
  const int n = Iterations(8000);
  for (int iter = 0; iter < n; ++iter) {
    std::string body = m.Mutate(corpus[rng() % corpus.size()], corpus, 3);
    NoteInput("decode_body", body);
    const size_t limits[] = {0, 10, 1000, 1 << 20};
    const size_t limit = limits[rng() % std::size(limits)];
    std::string error;
    try {
      const auto outcome =
          http::DecodeBody(rng() % 2 ? http::BodyEncoding::kGzip : http::BodyEncoding::kDeflate, body, limit, &error);
      if (outcome == http::DecodeOutcome::kOk) {
        ++ok;
        CHECK(body.size() <= limit);
      } else if (outcome == http::DecodeOutcome::kCorrupt) {
        ++corrupt;
        CHECK(!error.empty());
      } else {
        ++too_large;
      }
    } catch (const std::exception& e) {
      FAIL_CHECK("DecodeBody threw " << std::string(e.what()));
    }
  }
  MESSAGE("DecodeBody: " << n << " bodies, " << ok << " ok, " << corrupt << " corrupt, " << too_large << " too large");
  CHECK(ok > 0);
  CHECK(corrupt > n / 4);
}

// ---- selectors, query strings, times, durations ------------------------------------------------

TEST_CASE("fuzz: series selectors, string literals, query strings, times and durations") {
  QueryFixture f;
  auto rng = Rng(6);
  const std::vector<std::string> selectors = {
      "up", "{__name__=\"up\"}", "node_temperature_celsius{zone=\"a\",job=~\"no.*\"}", "{job!~\"api|node\",le=\"+Inf\"}",
      "metric:rule{a='single',b=`raw`}", "{__name__=~\".+\",instance!=\"\"}", "x{a=\"\\x41\\u00e9\\U0001F600\\101\\n\"}",
      "{zone=~\"(a|b\"}", "weird{v=~\"x{4096}\"}"};
  Mutator m(&rng, kPromqlTokens, kPromqlAlphabet, 100'000);
  int ok = 0, failed = 0, selected = 0;
  const int n = Iterations(8000);
  for (int i = 0; i < n; ++i) {
    const std::string text = m.Mutate(selectors[rng() % selectors.size()], selectors);
    NoteInput("selector", text);
    try {
      auto r = query::ParseSeriesSelector(text);
      if (!r.ok()) {
        ++failed;
        CHECK_MESSAGE(!r.status().message().empty(), Show(text));
        continue;
      }
      ++ok;
      // The matchers go to the engine as they would from match[].
      auto set = f.db->Select(*r, kT0, kT1);
      if (!set.ok()) {
        CHECK_MESSAGE(!set.status().message().empty(), Show(text));
        continue;
      }
      std::vector<Sample> buf;
      while ((*set)->Next()) {
        ++selected;
        CHECK((*set)->samples()->TakeRemaining(&buf).ok());
      }
      CHECK_MESSAGE((*set)->status().ok(), (*set)->status().ToString());
    } catch (const std::exception& e) {
      FAIL_CHECK("threw " << std::string(e.what()) << " for selector " << Show(text));
    }
  }
  MESSAGE("selectors: " << n << " inputs, " << ok << " parsed, " << failed << " rejected, " << selected
                        << " series read");
  CHECK(ok > n / 10);
  CHECK(failed > n / 10);
  CHECK(selected > 0);

  const std::vector<std::string> literals = {"\"abc\"", "'a\\'b'", "`raw\\`", "\"\\x4G\"", "\"\\u00e9\\U0010FFFF\"",
                                             "\"\\377\\400\"", "\"unterminated", "\"\\UFFFFFFFF\"", "\"\\ud800\""};
  for (int i = 0; i < Iterations(8000); ++i) {
    const std::string text = m.Mutate(literals[rng() % literals.size()], literals);
    NoteInput("literal", text);
    std::string value;
    size_t consumed = 0;
    Status s = promql::UnquoteStringLiteral(text, &value, &consumed);
    if (s.ok()) {
      CHECK(consumed >= 2);
      CHECK(consumed <= text.size());
    } else {
      CHECK_MESSAGE(!s.message().empty(), Show(text));
    }
  }

  const std::vector<std::string> query_strings = {
      "query=up&time=1700000000", "match[]=up%7Bjob%3D%22a%22%7D&start=-1&end=%2B1e9",
      "a=%&b=%2&c=%zz&d=%%41&=&&=x&y", "q=sum+by+(job)%20(up)&step=15s", "%00=%ff&x=%C3%A9"};
  Mutator qm(&rng, {"%", "%2", "%25", "%00", "%ff", "+", "&", "=", "&&", "==", "%%"}, "%&=+0123456789abcdefABCDEF",
             100'000);
  for (int i = 0; i < Iterations(8000); ++i) {
    const std::string text = qm.Mutate(query_strings[rng() % query_strings.size()], query_strings);
    NoteInput("query_string", text);
    const http::Params params = http::ParseQueryString(text);
    CHECK(params.size() <= static_cast<size_t>(std::count(text.begin(), text.end(), '&')) + 1);
    for (const auto& [k, v] : params) CHECK(k.size() + v.size() <= text.size());
    const std::string path = http::UrlDecodePath(text);
    CHECK(path.size() <= text.size());
  }

  const std::vector<std::string> times = {"1700000000", "1700000000.123", "-1.5", "2023-11-14T22:13:20.5Z",
                                          "2023-11-14T22:13:20+05:30", "9.2e15", "1e400", "nan", "0x10",
                                          "9999-12-31T23:59:60.999999999Z"};
  Mutator tm(&rng, {"T", "Z", "+", "-", ":", ".", "e", "9999", "1e15", "inf", "nan"}, "0123456789-+:.TZtz e",
             1000);
  for (int i = 0; i < Iterations(8000); ++i) {
    const std::string text = tm.Mutate(times[rng() % times.size()], times);
    NoteInput("time", text);
    auto r = api::ParseTimeParam(text);
    if (!r.ok()) CHECK_MESSAGE(!r.status().message().empty(), Show(text));
  }

  const std::vector<std::string> durations = {"5m", "1h30m", "1y2w3d4h5m6s7ms", "0", "15d", "500ms",
                                              "106751991167d", "292y", "9223372036854775807ms"};
  int durations_ok = 0;
  for (int i = 0; i < Iterations(8000); ++i) {
    const std::string text = tm.Mutate(durations[rng() % durations.size()], durations);
    NoteInput("duration", text);
    auto r = ParseDurationMs(text);
    if (r.ok()) {
      ++durations_ok;
      CHECK(*r >= 0);
      // Documented: every non-negative duration formats to text that parses back to it.
      auto back = ParseDurationMs(FormatDuration(*r));
      CHECK_MESSAGE(back.ok(), Show(text));
      if (back.ok()) CHECK_MESSAGE(*back == *r, Show(text));
    } else {
      CHECK_MESSAGE(!r.status().message().empty(), Show(text));
    }
    auto p = ingest::ParsePrecision(text.substr(0, 3));
    if (!p.ok()) CHECK(!p.status().message().empty());
  }
  CHECK(durations_ok > 0);
}

}  // namespace
}  // namespace gnomon
