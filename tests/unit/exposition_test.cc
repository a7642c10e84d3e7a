// The exposition-format parsers (src/scrape/exposition.h): the case files of
// tests/scrape/exposition/*.txt (their format is in tests/scrape/exposition/README.md), the streaming
// parser against ParseExposition, Content-Type decisions, value and timestamp corners, and a bounded
// fuzz run of mutated bodies that must never crash, hang or hand back an invalid label set (run under
// ASan+UBSan too; FUZZ_SEED and FUZZ_SCALE as for fuzz_smoke_test).
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_mutator.h"
#include "parse_cases.h"
#include "scrape/exposition.h"
#include "util/go_strconv.h"

namespace gnomon::scrape {
namespace {

// ---- the case files -----------------------------------------------------------------------------

struct CaseFile {
  std::string path;
  ExpositionFormat format = ExpositionFormat::kPrometheusText;
  ParseOptions options;
  std::string body;
  bool want_error = false;
  std::vector<std::string> want;  // the printed samples, or the error's expected prefix
};

// Decodes the markers of an input line: <CR> <TAB> <SP> <NUL> <xHH>.
std::string DecodeMarkers(const std::string& line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '<') {
      const size_t close = line.find('>', i);
      if (close != std::string::npos) {
        const std::string m = line.substr(i + 1, close - i - 1);
        int byte = -1;
        if (m == "CR") byte = '\r';
        if (m == "TAB") byte = '\t';
        if (m == "SP") byte = ' ';
        if (m == "NUL") byte = 0;
        if (m.size() == 3 && m[0] == 'x') byte = static_cast<int>(std::strtol(m.c_str() + 1, nullptr, 16));
        if (byte >= 0) {
          out.push_back(static_cast<char>(byte));
          i = close;
          continue;
        }
      }
    }
    out.push_back(line[i]);
  }
  return out;
}

CaseFile LoadCase(const std::filesystem::path& path) {
  CaseFile c;
  c.path = path.filename().string();
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::string line, section;
  bool have_format = false, no_eol = false;
  while (std::getline(in, line)) {
    if (line.rfind("--- ", 0) == 0) {
      section = line.substr(4);
      REQUIRE_MESSAGE((section == "input" || section == "expect" || section == "error"), c.path << ": " << line);
      c.want_error = section == "error";
      continue;
    }
    if (section.empty()) {
      if (line.empty() || line[0] == '#') continue;
      if (line.rfind("format: ", 0) == 0) {
        const std::string f = line.substr(8);
        REQUIRE_MESSAGE((f == "text" || f == "openmetrics"), c.path << ": " << line);
        c.format = f == "text" ? ExpositionFormat::kPrometheusText : ExpositionFormat::kOpenMetrics;
        have_format = true;
      } else if (line.rfind("options: ", 0) == 0) {
        std::istringstream words(line.substr(9));
        for (std::string w; words >> w;) {
          if (w == "keep_exemplars") {
            c.options.keep_exemplars = true;
          } else if (w.rfind("max_line_bytes=", 0) == 0) {
            c.options.max_line_bytes = std::stoul(w.substr(15));
          } else {
            FAIL(c.path << ": unknown option " << w);
          }
        }
      } else {
        FAIL(c.path << ": unexpected header line " << line);
      }
    } else if (section == "input") {
      REQUIRE_MESSAGE(!no_eol, c.path << ": <NOEOL> must end the last input line");
      if (line.size() >= 7 && line.compare(line.size() - 7, 7, "<NOEOL>") == 0) {
        line.resize(line.size() - 7);
        no_eol = true;
      }
      c.body += DecodeMarkers(line);
      if (!no_eol) c.body += '\n';
    } else if (!line.empty()) {
      c.want.push_back(line);
    }
  }
  REQUIRE_MESSAGE(have_format, c.path << ": no format: line");
  REQUIRE_MESSAGE((!c.want_error || c.want.size() == 1), c.path << ": --- error takes one line");
  return c;
}

std::vector<CaseFile> LoadCases() {
  const std::filesystem::path dir = std::filesystem::path(testing::SourceDir()) / "tests/scrape/exposition";
  REQUIRE_MESSAGE(std::filesystem::is_directory(dir), "no " << dir << " (set GNOMON_SOURCE_DIR)");
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".txt") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<CaseFile> cases;
  for (const auto& p : paths) cases.push_back(LoadCase(p));
  return cases;
}

// A label value or name as the case files write it: \\ \" \n escaped, other control bytes as <xHH>.
void AppendQuoted(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->push_back('"');
  for (unsigned char c : s) {
    if (c == '\\' || c == '"') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c < 0x20 || c == 0x7f) {
      out->append("<x");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
      out->push_back('>');
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('"');
}

void AppendLabels(const Labels& labels, size_t from, std::string* out) {
  out->push_back('{');
  for (size_t i = from; i < labels.size(); ++i) {
    if (i > from) out->push_back(',');
    out->append(labels[i].name);
    out->push_back('=');
    AppendQuoted(labels[i].value, out);
  }
  out->push_back('}');
}

// `name{a="b",...} value [timestamp_ms] [# {labels} value [timestamp_ms]]`; the braces only when
// there are labels besides __name__.
std::string Print(const ScrapedSample& s) {
  std::string out;
  REQUIRE(!s.labels.empty());
  CHECK(s.labels[0].name == "__name__");
  out += s.labels[0].value;
  if (s.labels.size() > 1) AppendLabels(s.labels, 1, &out);
  out += " " + GoFormatFloat(s.value, 'g', -1);
  if (s.timestamp_ms) out += " " + std::to_string(*s.timestamp_ms);
  if (s.exemplar) {
    out += " # ";
    AppendLabels(s.exemplar->labels, 0, &out);
    out += " " + GoFormatFloat(s.exemplar->value, 'g', -1);
    if (s.exemplar->timestamp_ms) out += " " + std::to_string(*s.exemplar->timestamp_ms);
  }
  return out;
}

TEST_CASE("tests/scrape/exposition/*.txt") {
  const std::vector<CaseFile> cases = LoadCases();
  CHECK(cases.size() >= 40);
  size_t errors = 0;
  for (const CaseFile& c : cases) {
    CAPTURE(c.path);
    auto r = ParseExposition(c.body, c.format, c.options);
    if (c.want_error) {
      ++errors;
      if (r.ok()) {
        FAIL_CHECK("expected an error starting " << c.want[0] << ", got " << r->size() << " samples");
        continue;
      }
      CHECK(r.status().code() == Status::Code::kInvalidArgument);
      CHECK_MESSAGE(r.status().message().rfind(c.want[0], 0) == 0,
                    "error \"" << r.status().message() << "\" does not start with \"" << c.want[0] << "\"");
      continue;
    }
    if (!r.ok()) {
      FAIL_CHECK("unexpected error: " << r.status().message());
      continue;
    }
    std::vector<std::string> got;
    for (const ScrapedSample& s : *r) got.push_back(Print(s));
    std::string diff;
    for (size_t i = 0; i < std::max(got.size(), c.want.size()); ++i) {
      const std::string g = i < got.size() ? got[i] : "(none)";
      const std::string w = i < c.want.size() ? c.want[i] : "(none)";
      if (g != w) diff += "\n  sample " + std::to_string(i + 1) + ": got  " + g + "\n            want " + w;
    }
    CHECK_MESSAGE(diff.empty(), diff);
  }
  CHECK(errors >= 15);
  CHECK(cases.size() - errors >= 15);
}

// ---- the streaming parser -----------------------------------------------------------------------

// ParseExposition again, through ExpositionParser and a cache keyed by series_text(), as a scrape
// loop would use it: the same samples, or the same error.
std::string ThroughStreamingParser(std::string_view body, ExpositionFormat format) {
  ExpositionParser parser(body, format);
  std::vector<std::pair<std::string, Labels>> cache;
  std::string out;
  Labels scratch = {{"stale", "strings"}, {"to", "reuse"}, {"a", "b"}, {"c", "d"}};
  while (parser.Next()) {
    parser.ReadLabels(&scratch);
    auto it = std::find_if(cache.begin(), cache.end(), [&](const auto& e) { return e.first == parser.series_text(); });
    if (it != cache.end()) {
      CHECK(it->second == scratch);
    } else {
      cache.emplace_back(std::string(parser.series_text()), scratch);
    }
    CHECK(parser.metric_name() == scratch[0].value);
    ScrapedSample s{scratch, parser.value(), parser.timestamp_ms(), std::nullopt};
    out += Print(s) + "\n";
  }
  if (!parser.status().ok()) return "ERROR " + parser.status().message();
  return out;
}

std::string ThroughParseExposition(std::string_view body, ExpositionFormat format) {
  auto r = ParseExposition(body, format);
  if (!r.ok()) return "ERROR " + r.status().message();
  std::string out;
  for (ScrapedSample& s : *r) {
    s.exemplar.reset();
    out += Print(s) + "\n";
  }
  return out;
}

TEST_CASE("ExpositionParser: the same samples as ParseExposition, series_text a sound cache key") {
  for (const CaseFile& c : LoadCases()) {
    CAPTURE(c.path);
    CHECK(ThroughStreamingParser(c.body, c.format) == ThroughParseExposition(c.body, c.format));
  }
  ExpositionParser parser("a 1\nb{x=\"1\"} 2 5\nc 3\n", ExpositionFormat::kPrometheusText);
  REQUIRE(parser.Next());
  CHECK(parser.line() == 1);
  CHECK(parser.series_text() == "a");
  REQUIRE(parser.Next());
  CHECK(parser.line() == 2);
  CHECK(parser.series_text() == "b{x=\"1\"}");
  CHECK(parser.timestamp_ms() == 5);
  REQUIRE(parser.Next());
  CHECK(parser.line() == 3);
  CHECK(!parser.Next());
  CHECK(parser.status().ok());
  CHECK(!parser.Next());

  ExpositionParser bad("a 1\nb x\nc 3\n", ExpositionFormat::kPrometheusText);
  CHECK(bad.Next());
  CHECK(!bad.Next());
  CHECK(bad.status().message() == "line 2: invalid value \"x\"");
  CHECK(!bad.Next());
}

TEST_CASE("ExpositionParser: exemplars are parsed whether kept or not") {
  const std::string body = "a_total 1 # {trace_id=\"x\\\"y\"} 2.5 1.5\nb_total 2\n# EOF\n";
  ExpositionParser parser(body, ExpositionFormat::kOpenMetrics);
  REQUIRE(parser.Next());
  REQUIRE(parser.has_exemplar());
  Exemplar e;
  parser.ReadExemplar(&e);
  CHECK(e.labels == Labels{{"trace_id", "x\"y"}});
  CHECK(e.value == 2.5);
  CHECK(e.timestamp_ms == 1500);
  REQUIRE(parser.Next());
  CHECK(!parser.has_exemplar());
  CHECK(!parser.Next());
  CHECK(parser.status().ok());
}

// ---- values, timestamps, content types ----------------------------------------------------------

TEST_CASE("every NaN is Prometheus' normal NaN, never the stale marker") {
  for (const char* v : {"NaN", "nan", "nAN"}) {
    for (ExpositionFormat f : {ExpositionFormat::kPrometheusText, ExpositionFormat::kOpenMetrics}) {
      auto r = ParseExposition(std::string("a ") + v + "\n# EOF\n", f);
      if (f == ExpositionFormat::kPrometheusText) r = ParseExposition(std::string("a ") + v + "\n", f);
      REQUIRE(r.ok());
      REQUIRE(r->size() == 1);
      CHECK(std::bit_cast<uint64_t>((*r)[0].value) == 0x7ff8000000000001ull);
    }
  }
}

TEST_CASE("values: Go's ParseFloat, correctly rounded") {
  struct Case {
    const char* text;
    double want;
  };
  const Case cases[] = {
      {"0.1", 0.1},
      {"-0.0", -0.0},
      {"1e-400", 0},
      {"4.9e-324", 4.9e-324},
      {"2.2250738585072011e-308", 2.2250738585072011e-308},
      {"1.7976931348623157e308", 1.7976931348623157e308},
      {"123456789012345678901234567890", 1.2345678901234568e29},
      {"9007199254740993", 9007199254740992.0},  // ties to even
      {"0.30000000000000004", 0.30000000000000004},
      {"+.5", 0.5},
      {"5.", 5},
      {"1E3", 1000},
      {"-Infinity", -INFINITY},
      {"+inf", INFINITY},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto r = ParseExposition(std::string("a ") + c.text + "\n", ExpositionFormat::kPrometheusText);
    REQUIRE(r.ok());
    CHECK(std::bit_cast<uint64_t>((*r)[0].value) == std::bit_cast<uint64_t>(c.want));
  }
  for (const char* bad : {"1e309", "-1e309", "0x10", "0x1p3", "1_000", "+nan", "-NaN", "infin", ".", "e5", "1e",
                          "1.2.3", "--1", "1,5", "true"}) {
    CAPTURE(bad);
    CHECK(!ParseExposition(std::string("a ") + bad + "\n", ExpositionFormat::kPrometheusText).ok());
  }
}

TEST_CASE("OpenMetrics timestamps: int64(seconds * 1000) as Go on amd64") {
  struct Case {
    const char* text;
    int64_t want;
  };
  const Case cases[] = {
      {"1520879607.789", 1520879607789},
      {"-1.5", -1500},
      {"0.0019", 1},
      {"-0.0019", -1},
      {"1e3", 1000000},
      {"1e300", INT64_MIN},
      {"-1e300", INT64_MIN},
      {"9223372036854774", 9223372036854773760},  // the product rounds to a double first
      {"9223372036854776", INT64_MIN},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto r = ParseExposition(std::string("a 1 ") + c.text + "\n# EOF\n", ExpositionFormat::kOpenMetrics);
    REQUIRE(r.ok());
    CHECK((*r)[0].timestamp_ms == c.want);
  }
}

TEST_CASE("FormatFromContentType: as Prometheus 2.42's textparse.New") {
  const ExpositionFormat om = ExpositionFormat::kOpenMetrics, text = ExpositionFormat::kPrometheusText;
  const std::pair<const char*, ExpositionFormat> cases[] = {
      {"application/openmetrics-text; version=1.0.0; charset=utf-8", om},
      {"application/openmetrics-text;version=0.0.1", om},
      {"application/openmetrics-text", om},
      {"Application/OpenMetrics-Text; Version=1.0.0", om},
      {"  application/openmetrics-text  ;  version = \"1.0.0\" ; ", om},
      {"application/openmetrics-text;", om},
      {"application/openmetrics-text; version=\"1.0.0", text},       // unterminated quote
      {"application/openmetrics-text; version", text},               // no value
      {"application/openmetrics-text; version=1; version=2", text},  // repeated parameter
      {"application/openmetrics-text; VERSION=1; version=2", text},  // names are case-insensitive
      {"application/openmetrics-text x", text},                      // content after the subtype
      {"application/openmetrics-text/x", text},
      {"application/openmetrics", text},
      {"text/plain; version=0.0.4; charset=utf-8", text},
      {"text/plain", text},
      {"application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited", text},
      {"application/json", text},
      {"", text},
      {"garbage", text},
  };
  for (const auto& [ct, want] : cases) {
    CAPTURE(ct);
    CHECK(FormatFromContentType(ct) == want);
  }
}

// ---- fuzz ---------------------------------------------------------------------------------------

bool ValidName(std::string_view s, bool metric) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':') ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

TEST_CASE("fuzz: mutated bodies parse or fail cleanly, in both formats") {
  uint64_t seed = 7;
  double scale = 1;
  if (const char* s = std::getenv("FUZZ_SEED"); s && *s) seed = std::strtoull(s, nullptr, 10);
  if (const char* s = std::getenv("FUZZ_SCALE"); s && *s) scale = std::max(0.0, std::strtod(s, nullptr));
  std::vector<std::string> seeds;
  for (const CaseFile& c : LoadCases()) seeds.push_back(c.body);
  std::mt19937_64 rng(seed);
  const std::vector<std::string> tokens = {"# HELP ",
                                           "# TYPE ",
                                           "# UNIT ",
                                           "# EOF",
                                           "# EOF\n",
                                           "counter",
                                           "histogram",
                                           "_total",
                                           "_bucket",
                                           "{",
                                           "}",
                                           "=\"",
                                           "\"",
                                           "\\\"",
                                           "\\\\",
                                           "\\n",
                                           ",",
                                           "NaN",
                                           "+Inf",
                                           "-Inf",
                                           "1e309",
                                           "0x1p3",
                                           "1_0",
                                           " # {a=\"b\"} 1 ",
                                           "\n",
                                           "\r\n",
                                           "\t",
                                           "  ",
                                           std::string(1, '\0'),
                                           "\xff",
                                           "\xc3\xa9",
                                           "\xed\xa0\x80",
                                           "__name__",
                                           "le=\"+Inf\"",
                                           "9223372036854775808",
                                           "1.5e9",
                                           "a=\"\",",
                                           "a=\"x\",a=\"y\""};
  testing::Mutator m(&rng, tokens, "{}=\",#\\ \t\n\r0123456789.eE+-abcxyz_:AZ", 200'000);
  const int n = static_cast<int>(20000 * scale);
  size_t ok = 0, failed = 0, samples = 0;
  for (int i = 0; i < n; ++i) {
    const std::string body = m.Mutate(seeds[rng() % seeds.size()], seeds);
    for (ExpositionFormat f : {ExpositionFormat::kPrometheusText, ExpositionFormat::kOpenMetrics}) {
      ParseOptions o;
      o.keep_exemplars = rng() % 2 == 0;
      if (rng() % 8 == 0) o.max_line_bytes = rng() % 64;
      const auto t0 = std::chrono::steady_clock::now();
      auto r = ParseExposition(body, f, o);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      CHECK_MESSAGE(ms < 2000, GoQuote(body.substr(0, 200)));
      if (!r.ok()) {
        ++failed;
        const std::string& msg = r.status().message();
        CHECK_MESSAGE(msg.rfind("line ", 0) == 0, msg);
        const size_t line = std::strtoull(msg.c_str() + 5, nullptr, 10);
        CHECK_MESSAGE((line >= 1 && line <= static_cast<size_t>(std::count(body.begin(), body.end(), '\n')) + 1), msg);
        continue;
      }
      ++ok;
      samples += r->size();
      for (const ScrapedSample& s : *r) {
        REQUIRE(!s.labels.empty());
        CHECK(s.labels[0].name == "__name__");
        CHECK(ValidName(s.labels[0].value, true));
        for (size_t j = 1; j < s.labels.size(); ++j) {
          CHECK(ValidName(s.labels[j].name, false));
          CHECK(s.labels[j].name != "__name__");
          CHECK(!s.labels[j].value.empty());
          if (j > 1) CHECK(s.labels[j - 1].name < s.labels[j].name);
        }
        CHECK(!(std::isnan(s.value) && std::bit_cast<uint64_t>(s.value) != 0x7ff8000000000001ull));
        if (s.exemplar) CHECK(o.keep_exemplars);
      }
    }
  }
  MESSAGE("exposition fuzz: " << n << " bodies x 2 formats, " << ok << " parsed (" << samples << " samples), " << failed
                              << " rejected");
  if (n >= 1000) {
    CHECK(ok > static_cast<size_t>(n) / 10);
    CHECK(failed > static_cast<size_t>(n) / 10);
  }
}

}  // namespace
}  // namespace gnomon::scrape
