// Fuzz smoke test for the alerting inputs, "no crash on any input": mutated alert templates,
// rule files and promtool-format rule test files (seeds: the shared kit's files in
// ../shared/alerts plus hand-written ones) go through Template::Parse/Execute, ParseRuleFile plus
// one evaluation of every group, and RunRuleTestFile. Every call must return a value or an error
// with a message (never crash, throw or hang); outputs stay bounded. Fixed seed; under
// ASan+UBSan it is also a memory-safety check. FUZZ_SEED and FUZZ_SCALE work as in
// fuzz_smoke_test.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "alert/rule_file.h"
#include "alert/rule_group.h"
#include "alert/rule_test_runner.h"
#include "fuzz_mutator.h"
#include "gnomon/db.h"
#include "gotemplate/template.h"
#include "test_util.h"

namespace gnomon::alert {
namespace {

using gotemplate::ExpandAlertTemplate;
using gotemplate::QueryFunc;
using gotemplate::QuerySample;
using gotemplate::Template;
using gotemplate::TemplateData;

#if defined(__SANITIZE_ADDRESS__)
constexpr double kDefaultScale = 0.25;
#else
constexpr double kDefaultScale = 1.0;
#endif
constexpr double kHangMs = 10'000;

uint64_t Seed() {
  const char* s = std::getenv("FUZZ_SEED");
  return s && *s ? std::strtoull(s, nullptr, 10) : 20261201;
}

int Iterations(int base) {
  const char* s = std::getenv("FUZZ_SCALE");
  const double scale = s && *s ? std::strtod(s, nullptr) : kDefaultScale;
  return std::max(1, static_cast<int>(base * scale));
}

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string Show(const std::string& s) { return s.size() > 300 ? s.substr(0, 300) + "..." : s; }

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::filesystem::path KitDir() {
  const char* src = std::getenv("GNOMON_SOURCE_DIR");
  return std::filesystem::path(src ? src : ".") / ".." / "shared" / "alerts";
}

// The kit's files in `sub` ending in `suffix`, sorted; empty if the kit is not there.
std::vector<std::filesystem::path> KitFiles(const char* sub, const char* suffix) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(KitDir() / sub, ec)) {
    if (e.path().string().ends_with(suffix)) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

const std::vector<std::string> kTemplateTokens = {
    "{{", "}}", "{{-", "-}}", "{{ ", " }}", "$labels", ".Labels", "$value", ".Value", "$externalURL",
    "$externalLabels", "$labels.instance", "|", "printf", "print", "println", "humanize", "humanize1024",
    "humanizeDuration", "humanizePercentage", "humanizeTimestamp", "if", "else", "else if", "end", "with",
    "range", "$i, $x :=", "query", "first", "value", "label \"job\"", "strvalue", "sortByLabel", "args",
    "reReplaceAll", "match", "title", "toUpper", "toLower", "stripPort", "stripDomain", "safeHtml",
    "parseDuration", "toTime", "pathPrefix", "externalURL", "graphLink", "tableLink", "(", ")", "\"", "`", ":=",
    "=", "$x", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "len", "index", "html", "js",
    "urlquery", "%", "%d", "%s", "%v", "%q", "%x", "%e", "%g", "%.3f", "%*d", "%-10s", "%+.2e", "%[1]d",
    "/*", "*/", "nil", "true", "false", "1e309", "-0", "0x1F", "'a'", "'\\n'", "\"\\u00e9\"", ".", "break",
    "continue", "define", "template", "block"};
const std::string kTemplateAlphabet = "{}$.|()\"`'=: -_abcdefghijklmnopqrstuvwxyz0123456789%\\\n\t";

TEST_CASE("fuzz: mutated alert templates parse and execute cleanly") {
  std::vector<std::string> seeds = {
      "{{ $labels.instance }} is down",
      "{{ $value | printf \"%.3f\" }} / {{ $value | humanize }} / {{ $value | humanizePercentage }}",
      "{{ reReplaceAll \"^svc-(.*)$\" \"$1\" $labels.service | toUpper }}",
      "{{ with printf \"m{service=%q}\" $labels.service | query }}{{ . | first | value | humanize1024 }}B"
      "{{ else }}n/a{{ end }}",
      "{{ if gt $value 90.0 }}page{{ else if gt $value 50.0 }}ticket{{ else }}none{{ end }}",
      "{{ range $i, $s := query \"up\" }}{{ $i }}={{ $s.Labels.job }}:{{ $s.Value }} {{ end }}",
      "{{- /* comment */ -}} {{ $externalURL }}/alerts?x={{ $labels.job | urlquery }}",
      "{{ $x := 1 }}{{ $x = 2 }}{{ $x }} {{ len $labels }} {{ index $labels \"job\" }}",
      "{{ humanizeDuration 3661.5 }} {{ humanizeTimestamp 1700000000 }} {{ parseDuration \"1h30m\" }}",
      "{{ printf \"%5.2f|%-8s|%x|%q|%v|%d\" 3.14159 \"ab\" 255 \"q\" 1e6 42 }}",
  };
  // Annotations and label templates of the kit's rule files join the seeds.
  for (const auto& file : KitFiles("rules", ".yml")) {
    auto groups = LoadRuleFile(file.string());
    if (!groups.ok()) continue;
    for (const RuleGroup& g : groups.value()) {
      for (const Rule& r : g.rules) {
        for (const auto& [k, v] : r.annotations) seeds.push_back(v);
        for (const auto& [k, v] : r.labels) seeds.push_back(v);
      }
    }
  }
  std::mt19937_64 rng(Seed() * 31 + 1);
  testing::Mutator m(&rng, kTemplateTokens, kTemplateAlphabet, 20'000);
  TemplateData data;
  data.labels = {{"__name__", "up"}, {"job", "api"}, {"instance", "10.0.0.1:9100"}, {"service", "svc-x"}};
  data.value = 0.25;
  data.external_url = "https://gnomon.example";
  data.external_labels = {{"cluster", "eu"}};
  int calls = 0;
  const QueryFunc query = [&calls](std::string_view expr) -> Result<std::vector<QuerySample>> {
    ++calls;
    if (expr.size() % 3 == 0) return Status::InvalidArgument("bad query");
    std::vector<QuerySample> out;
    for (size_t i = 0; i < expr.size() % 3; ++i) out.push_back({{{"job", "j" + std::to_string(i)}}, 1.5 * i});
    return out;
  };
  int parsed = 0, executed = 0;
  const int n = Iterations(30000);
  for (int i = 0; i < n; ++i) {
    const std::string text = m.Mutate(seeds[rng() % seeds.size()], seeds);
    const auto t0 = std::chrono::steady_clock::now();
    try {
      auto t = Template::Parse("fuzz", text);
      if (!t.ok()) {
        CHECK_MESSAGE(!t.status().message().empty(), Show(text));
      } else {
        ++parsed;
        auto out = t.value().Execute(data, query);
        if (out.ok()) {
          ++executed;
          CHECK_MESSAGE(out.value().size() <= (2u << 20), Show(text));
        } else {
          CHECK_MESSAGE(!out.status().message().empty(), Show(text));
        }
      }
      const std::string expanded = ExpandAlertTemplate("fuzz", text, data, query);
      CHECK(expanded.size() <= (2u << 20));
    } catch (const std::exception& e) {
      FAIL_CHECK("threw " << std::string(e.what()) << " for " << Show(text));
    }
    CHECK_MESSAGE(MsSince(t0) < kHangMs, Show(text));
  }
  MESSAGE("templates: " << n << " inputs, " << parsed << " parsed, " << executed << " executed, " << calls
                        << " queries");
  CHECK(parsed > n / 10);
  CHECK(executed > n / 20);
  CHECK(parsed < n);
}

const std::vector<std::string> kYamlTokens = {
    "groups:", "- name: g", "rules:", "- alert: A", "- record: r", "expr: ", "for: 5m", "for: 1y",
    "keep_firing_for: 1m", "labels:", "annotations:", "interval: 0s", "limit: -1", "  ", "\n", "- ", ": ",
    "{", "}", "[", "]", "&a", "*a", "!!str", "|", ">", "'", "\"", "#", "---", "...", "up == 0", "sum((",
    "{{ $value }}", "rate(x[5m])", "ALERTS", "absent(x)", "x{a=\"b\"}", "1e309", "null", "~", "<<: *a"};
const std::string kYamlAlphabet = " \n-:{}[]'\"#&*!|>,abcdefgrxyz0123456789_.";

TEST_CASE("fuzz: mutated rule files parse cleanly, and what parses evaluates cleanly") {
  std::vector<std::string> seeds = {R"(groups:
  - name: g
    interval: 1m
    rules:
      - record: job:x:sum
        expr: sum by (job) (x)
      - alert: High
        expr: job:x:sum > 1
        for: 2m
        labels: {severity: '{{ if gt $value 2.0 }}page{{ end }}'}
        annotations: {summary: '{{ $labels.job }} at {{ $value | humanize }}'}
)"};
  for (const auto& file : KitFiles("rules", ".yml")) seeds.push_back(ReadFile(file));
  testing::TempDir dir;
  std::unique_ptr<DB> db;
  Options o;
  o.sync_mode = SyncMode::kNever;
  REQUIRE(DB::Open(o, dir.path(), &db).ok());
  WriteBatch batch;
  for (int t = 0; t < 20; ++t) {
    batch.Add({{"__name__", "x"}, {"job", "a"}}, t * 60'000, t);
    batch.Add({{"__name__", "up"}, {"job", "b"}, {"instance", "h:1"}}, t * 60'000, t % 2);
  }
  REQUIRE(db->Write(batch).ok());
  EvalContext ctx;
  ctx.db = db.get();
  ctx.query_options.parallelism = 1;
  ctx.query_options.timeout_ms = 2000;

  std::mt19937_64 rng(Seed() * 31 + 2);
  testing::Mutator m(&rng, kYamlTokens, kYamlAlphabet, 50'000);
  int ok = 0, rejected = 0, rules = 0;
  const int n = Iterations(3000);
  for (int i = 0; i < n; ++i) {
    const std::string text = m.Mutate(seeds[rng() % seeds.size()], seeds);
    const auto t0 = std::chrono::steady_clock::now();
    try {
      auto groups = ParseRuleFile("fuzz.yml", text);
      if (!groups.ok()) {
        ++rejected;
        CHECK_MESSAGE(groups.status().message().rfind("fuzz.yml", 0) == 0, groups.status().message());
      } else {
        ++ok;
        for (RuleGroup& g : groups.value()) {
          rules += static_cast<int>(g.rules.size());
          RuleGroupEvaluator eval(std::move(g));
          for (int64_t t : {0, 600'000}) {
            for (const RuleEvalError& e : eval.Eval(ctx, t)) CHECK(!e.status.message().empty());
          }
        }
      }
    } catch (const std::exception& e) {
      FAIL_CHECK("threw " << std::string(e.what()) << " for " << Show(text));
    }
    CHECK_MESSAGE(MsSince(t0) < kHangMs, Show(text));
  }
  MESSAGE("rule files: " << n << " inputs, " << ok << " parsed (" << rules << " rules evaluated), " << rejected
                         << " rejected");
  CHECK(ok > n / 20);
  CHECK(rejected > n / 4);
}

TEST_CASE("fuzz: mutated rule test files run cleanly") {
  const auto kit_tests = KitFiles("tests", "_test.yml");
  if (kit_tests.empty()) {
    MESSAGE("../shared/alerts is not there: nothing to mutate");
    return;
  }
  testing::TempDir dir;
  // The kit's tests name their rule files as ../rules/X.yml: give them the same layout.
  std::filesystem::create_directories(std::filesystem::path(dir.path()) / "tests");
  std::filesystem::copy(KitDir() / "rules", std::filesystem::path(dir.path()) / "rules");
  std::vector<std::string> seeds;
  for (const auto& f : kit_tests) seeds.push_back(ReadFile(f));
  std::mt19937_64 rng(Seed() * 31 + 3);
  testing::Mutator m(&rng, kYamlTokens, kYamlAlphabet, 50'000);
  int passed = 0, failed = 0;
  const int n = Iterations(120);
  const std::string path = dir.path() + "/tests/fuzz_test.yml";
  for (int i = 0; i < n; ++i) {
    const std::string text = m.Mutate(seeds[rng() % seeds.size()], seeds, 2);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      std::string report;
      const bool ok = RunRuleTestFile(path, &report);
      (ok ? passed : failed)++;
      CHECK(report.rfind("Unit Testing:  " + path + "\n", 0) == 0);
      CHECK((report.find(ok ? "  SUCCESS" : "  FAILED:") != std::string::npos));
    } catch (const std::exception& e) {
      FAIL_CHECK("threw " << std::string(e.what()) << " for " << Show(text));
    }
    CHECK_MESSAGE(MsSince(t0) < 60'000, Show(text));
  }
  MESSAGE("rule test files: " << n << " inputs, " << passed << " passed, " << failed << " failed");
  CHECK(failed > 0);
}

}  // namespace
}  // namespace gnomon::alert
