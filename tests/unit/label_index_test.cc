// Tests for index/matcher_eval and index/label_index: matcher semantics, Select against a small
// fleet and against brute force, label listings, and the postings set operations.
#include <doctest/doctest.h>
#include <re2/re2.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "index/label_index.h"
#include "index/labels_util.h"
#include "index/matcher_eval.h"

using gnomon::Label;
using gnomon::Labels;
using gnomon::Matcher;
using gnomon::Matchers;
using gnomon::Status;
using namespace gnomon::index;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

CompiledMatcher MustCompile(const Matcher& m) {
  auto c = CompiledMatcher::Compile(m);
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  return std::move(c).value();
}

// The fleet used by the Select tests, added out of order.
struct Fleet {
  LabelIndex index;
  Fleet() {
    const std::vector<std::pair<SeriesRef, Labels>> series = {
        {5, {{"__name__", "http_requests_total"}, {"code", "200"}, {"instance", "a"}, {"job", "api"}}},
        {1, {{"__name__", "up"}, {"env", "prod"}, {"instance", "a"}, {"job", "api"}}},
        {6, {{"__name__", "http_requests_total"}, {"code", "500"}, {"instance", "a"}, {"job", "api"}}},
        {3, {{"__name__", "up"}, {"env", "dev"}, {"instance", "c"}, {"job", "api2"}}},
        {2, {{"__name__", "up"}, {"instance", "b"}, {"job", "api"}}},
        {4, {{"__name__", "up"}, {"env", "prod"}, {"instance", "d"}, {"job", "web"}}},
        {7, {{"__name__", "log_lines"}, {"msg", "line1\nline2"}}},
    };
    for (const auto& [ref, labels] : series) index.Add(ref, labels);
  }
};

}  // namespace

TEST_CASE("CompiledMatcher: semantics table") {
  struct Case {
    Matcher m;
    std::string value;
    bool want;
  };
  const Case cases[] = {
      // Equality; "" is the value of an absent label.
      {Matcher::Equal("job", "api"), "api", true},
      {Matcher::Equal("job", "api"), "api2", false},
      {Matcher::Equal("job", "api"), "", false},
      {Matcher::Equal("job", ""), "", true},
      {Matcher::Equal("job", ""), "api", false},
      {Matcher::NotEqual("job", "api"), "api", false},
      {Matcher::NotEqual("job", "api"), "web", true},
      {Matcher::NotEqual("job", "api"), "", true},
      {Matcher::NotEqual("job", ""), "", false},
      {Matcher::NotEqual("job", ""), "x", true},
      // Regexes are fully anchored.
      {Matcher::Regex("job", "api"), "api", true},
      {Matcher::Regex("job", "api"), "api2", false},
      {Matcher::Regex("job", "api"), "xapi", false},
      {Matcher::Regex("job", "api|web"), "web", true},
      {Matcher::Regex("job", "api|web"), "apiweb", false},
      {Matcher::Regex("job", "api|web"), "api|web", false},
      {Matcher::Regex("job", "ap.*"), "api2", true},
      {Matcher::Regex("job", "ap.*"), "xapi", false},
      {Matcher::Regex("job", "a.i"), "api", true},
      {Matcher::Regex("job", "a.i"), "a\ni", true},  // dot matches newline, as in Prometheus
      {Matcher::Regex("job", ".*"), "", true},
      {Matcher::Regex("job", ".*"), "a\nb", true},
      {Matcher::Regex("job", ".+"), "", false},
      {Matcher::Regex("job", ".+"), "\n", true},
      {Matcher::Regex("job", ""), "", true},
      {Matcher::Regex("job", ""), "a", false},
      {Matcher::Regex("job", "api|"), "", true},
      {Matcher::Regex("job", "api|"), "api", true},
      {Matcher::Regex("job", "a\\.b"), "a.b", true},
      {Matcher::Regex("job", "a\\.b"), "axb", false},
      {Matcher::Regex("job", "a.b"), "axb", true},
      {Matcher::Regex("job", "5.."), "500", true},
      {Matcher::Regex("job", "5.."), "5000", false},
      {Matcher::Regex("job", "(?i)API"), "api", true},
      {Matcher::Regex("job", "[a-c]+"), "abcabc", true},
      {Matcher::Regex("job", "[a-c]+"), "abcd", false},
      {Matcher::NotRegex("job", "api"), "api", false},
      {Matcher::NotRegex("job", "api"), "api2", true},
      {Matcher::NotRegex("job", "api"), "", true},
      {Matcher::NotRegex("job", ".*"), "", false},
      {Matcher::NotRegex("job", ".*"), "x", false},
      {Matcher::NotRegex("job", ".+"), "", true},
      {Matcher::NotRegex("job", ".+"), "x", false},
      {Matcher::NotRegex("job", "api|"), "", false},
      {Matcher::NotRegex("job", "api|web"), "web2", true},
      {Matcher::Regex("v", "\xE6\x97\xA5."), "\xE6\x97\xA5\xE6\x9C\xAC", true},  // . is one code point
  };
  for (const Case& c : cases) {
    CAPTURE(MatcherToString(c.m));
    CAPTURE(c.value);
    CompiledMatcher cm = MustCompile(c.m);
    CHECK(cm.Matches(c.value) == c.want);
    CHECK(cm.MatchesEmpty() == cm.Matches(""));
    CHECK(cm.name() == c.m.name);
  }
}

TEST_CASE("CompiledMatcher: MatchesEmpty") {
  CHECK(MustCompile(Matcher::Equal("a", "")).MatchesEmpty());
  CHECK(!MustCompile(Matcher::Equal("a", "x")).MatchesEmpty());
  CHECK(MustCompile(Matcher::NotEqual("a", "x")).MatchesEmpty());
  CHECK(!MustCompile(Matcher::NotEqual("a", "")).MatchesEmpty());
  CHECK(MustCompile(Matcher::Regex("a", "x*")).MatchesEmpty());
  CHECK(!MustCompile(Matcher::Regex("a", "x+")).MatchesEmpty());
  CHECK(MustCompile(Matcher::NotRegex("a", "x+")).MatchesEmpty());
  CHECK(!MustCompile(Matcher::NotRegex("a", "x*")).MatchesEmpty());
}

TEST_CASE("CompiledMatcher: bad regex is an InvalidArgument naming the matcher") {
  for (const char* bad : {"(", "a)|(b", "[z-a]", "*", "a{2,1}", "\\"}) {
    CAPTURE(bad);
    auto c = CompiledMatcher::Compile(Matcher::Regex("job", bad));
    REQUIRE(!c.ok());
    CHECK(c.status().code() == Status::Code::kInvalidArgument);
    CHECK(Contains(c.status().message(), "job=~"));
    CHECK(Contains(c.status().message(), "invalid regular expression"));
  }
  auto c = CompiledMatcher::Compile(Matcher::NotRegex("job", "("));
  REQUIRE(!c.ok());
  CHECK(Contains(c.status().message(), "job!~\"(\""));
  CHECK(Contains(c.status().message(), "missing )"));  // RE2's own message
  // Literal matchers never fail, even with regex metacharacters.
  CHECK(CompiledMatcher::Compile(Matcher::Equal("job", "(")).ok());
}

TEST_CASE("CompiledMatcher: literal fast path agrees with RE2") {
  CHECK(MustCompile(Matcher::Regex("a", "x|y|z")).literals() != nullptr);
  CHECK(MustCompile(Matcher::Regex("a", "a\\.b|c-d")).literals() != nullptr);
  CHECK(MustCompile(Matcher::Equal("a", "x.y")).literals() != nullptr);
  CHECK(MustCompile(Matcher::Regex("a", "x.y")).literals() == nullptr);
  CHECK(MustCompile(Matcher::Regex("a", "x+")).literals() == nullptr);
  CHECK(MustCompile(Matcher::Regex("a", "(x|y)")).literals() == nullptr);
  CHECK(MustCompile(Matcher::Regex("a", "\\d")).literals() == nullptr);
  CompiledMatcher alt = MustCompile(Matcher::Regex("a", "c|a|b|a|"));
  const std::vector<std::string>* lits = alt.literals();
  REQUIRE(lits != nullptr);
  CHECK(*lits == std::vector<std::string>{"", "a", "b", "c"});

  const char* patterns[] = {"api|web", "a\\.b|a\\|b",    "x",  "",   "|",           "a||b",
                            "-/:,= ",  "\xE6\x97\xA5|b", ".*", ".+", "a\\*|\\(b\\)"};
  const char* values[] = {"",       "api",          "web", "apiweb", "a.b", "a|b",  "axb", "x",
                          "-/:,= ", "\xE6\x97\xA5", "b",   "a*",     "(b)", "a\nb", "\n"};
  RE2::Options opts;
  opts.set_dot_nl(true);
  for (const char* p : patterns) {
    RE2 re(p, opts);
    REQUIRE(re.ok());
    for (bool neg : {false, true}) {
      CompiledMatcher cm = MustCompile(neg ? Matcher::NotRegex("a", p) : Matcher::Regex("a", p));
      for (const char* v : values) {
        CAPTURE(p);
        CAPTURE(v);
        CHECK(cm.Matches(v) == (RE2::FullMatch(v, re) != neg));
      }
    }
  }
}

TEST_CASE("Select: the fleet") {
  Fleet f;
  struct Case {
    Matchers ms;
    Postings want;
  };
  const Case cases[] = {
      {{Matcher::Equal("job", "api")}, {1, 2, 5, 6}},
      {{Matcher::Regex("job", "api")}, {1, 2, 5, 6}},  // anchored: not api2
      {{Matcher::Regex("job", "api|web")}, {1, 2, 4, 5, 6}},
      {{Matcher::Regex("job", "ap.*")}, {1, 2, 3, 5, 6}},
      {{Matcher::Regex("job", "pi.*")}, {}},
      {{Matcher::Equal("__name__", "up"), Matcher::Equal("env", "")}, {2}},
      {{Matcher::Equal("__name__", "up"), Matcher::NotEqual("env", "")}, {1, 3, 4}},
      {{Matcher::Equal("__name__", "up"), Matcher::NotEqual("env", "prod")}, {2, 3}},
      {{Matcher::Equal("__name__", "up"), Matcher::NotRegex("env", "prod|dev")}, {2}},
      {{Matcher::Equal("__name__", "up"), Matcher::NotRegex("env", "pr.*")}, {2, 3}},
      {{Matcher::Equal("__name__", "up"), Matcher::Regex("env", "prod|")}, {1, 2, 4}},
      {{Matcher::Equal("__name__", "up"), Matcher::Regex("env", "pr.*|")}, {1, 2, 4}},
      {{Matcher::Equal("__name__", "up"), Matcher::Regex("env", ".*")}, {1, 2, 3, 4}},
      {{Matcher::Equal("__name__", "up"), Matcher::Regex("env", ".+")}, {1, 3, 4}},
      {{Matcher::Equal("__name__", "up"), Matcher::NotRegex("env", ".+")}, {2}},
      {{Matcher::Equal("__name__", "up"), Matcher::NotRegex("env", ".*")}, {}},
      {{Matcher::Equal("job", "nope")}, {}},
      {{Matcher::Equal("nolabel", "x")}, {}},
      {{Matcher::Equal("__name__", "up"), Matcher::Equal("nolabel", "")}, {1, 2, 3, 4}},
      {{Matcher::Equal("__name__", "up"), Matcher::NotEqual("nolabel", "x")}, {1, 2, 3, 4}},
      {{Matcher::Equal("__name__", "up"), Matcher::NotEqual("nolabel", "")}, {}},
      {{Matcher::Regex("__name__", "up|http_requests_total"), Matcher::NotRegex("code", "5..")}, {1, 2, 3, 4, 5}},
      {{Matcher::Regex("code", "5..")}, {6}},
      {{Matcher::Regex("job", "api"), Matcher::NotEqual("job", "api")}, {}},
      {{Matcher::Equal("__name__", "up"), Matcher::Regex("instance", "a|b"), Matcher::Equal("job", "api")}, {1, 2}},
      {{Matcher::Regex("instance", "a|b|zz"), Matcher::Regex("job", "a.*")}, {1, 2, 5, 6}},
      {{Matcher::NotEqual("job", "")}, {1, 2, 3, 4, 5, 6}},
      {{Matcher::Regex("msg", "line1.line2")}, {7}},  // dot matches the newline
      {{Matcher::Regex("msg", "line1")}, {}},
  };
  for (const Case& c : cases) {
    std::string desc;
    for (const Matcher& m : c.ms) desc += MatcherToString(m) + " ";
    CAPTURE(desc);
    auto got = f.index.Select(c.ms);
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    CHECK(*got == c.want);
  }
}

TEST_CASE("Select: selectors whose matchers all match the empty string are refused") {
  Fleet f;
  const Matchers refused[] = {
      {},
      {Matcher::Equal("env", "")},
      {Matcher::NotEqual("job", "api")},
      {Matcher::Regex("job", ".*")},
      {Matcher::Regex("env", "prod|")},
      {Matcher::NotRegex("job", "api"), Matcher::Equal("env", "")},
  };
  for (const Matchers& ms : refused) {
    auto got = f.index.Select(ms);
    REQUIRE(!got.ok());
    CHECK(got.status().code() == Status::Code::kInvalidArgument);
    CHECK(Contains(got.status().message(), "at least one matcher that does not match the empty string"));
  }
  // SelectAllowEmpty starts from every series instead.
  CHECK(*f.index.SelectAllowEmpty({}) == Postings{1, 2, 3, 4, 5, 6, 7});
  CHECK(*f.index.SelectAllowEmpty({Matcher::NotEqual("job", "api")}) == Postings{3, 4, 7});
  CHECK(*f.index.SelectAllowEmpty({Matcher::Equal("env", "")}) == Postings{2, 5, 6, 7});
  CHECK(*f.index.SelectAllowEmpty({Matcher::Equal("job", "web")}) == Postings{4});
  // A bad regex is still an error, in both.
  auto bad = f.index.Select({Matcher::Equal("job", "api"), Matcher::Regex("x", "(")});
  REQUIRE(!bad.ok());
  CHECK(bad.status().code() == Status::Code::kInvalidArgument);
  CHECK(!f.index.SelectAllowEmpty({Matcher::Regex("x", "(")}).ok());
}

TEST_CASE("Select on an empty index") {
  LabelIndex index;
  CHECK(index.Select({Matcher::Equal("a", "b")})->empty());
  CHECK(index.Select({Matcher::Regex("a", ".+"), Matcher::NotEqual("b", "c")})->empty());
  CHECK(index.SelectAllowEmpty({})->empty());
  CHECK(index.num_series() == 0);
  CHECK(index.LabelNames(nullptr).empty());
  CHECK(index.LabelValues("a", nullptr).empty());
}

TEST_CASE("Select agrees with brute force on random fleets and matchers") {
  std::mt19937 rng(7);
  const std::vector<std::string> names = {"__name__", "a", "b", "c"};
  const std::vector<std::string> values = {"x", "y", "xy", "yx", "z", "xx"};
  const std::vector<std::string> patterns = {"x",  "y",    "",   "x|y",   "x.*", ".*",      ".+",
                                             "x|", "z|xy", ".y", "[xz]+", "q",   "xy|yx|zz"};
  for (int round = 0; round < 30; ++round) {
    LabelIndex index;
    std::vector<Labels> series(60);
    std::vector<SeriesRef> refs(series.size());
    for (size_t i = 0; i < series.size(); ++i) refs[i] = i * 3 + 1;
    std::shuffle(refs.begin(), refs.end(), rng);
    for (size_t i = 0; i < series.size(); ++i) {
      for (const std::string& n : names) {
        if (rng() % 3 != 0) series[i].push_back({n, values[rng() % values.size()]});
      }
      index.Add(refs[i], series[i]);
    }
    for (int q = 0; q < 200; ++q) {
      Matchers ms;
      const size_t k = 1 + rng() % 3;
      for (size_t j = 0; j < k; ++j) {
        const std::string& n = names[rng() % names.size()];
        switch (rng() % 4) {
          case 0: ms.push_back(Matcher::Equal(n, rng() % 4 == 0 ? "" : values[rng() % values.size()])); break;
          case 1: ms.push_back(Matcher::NotEqual(n, rng() % 4 == 0 ? "" : values[rng() % values.size()])); break;
          case 2: ms.push_back(Matcher::Regex(n, patterns[rng() % patterns.size()])); break;
          case 3: ms.push_back(Matcher::NotRegex(n, patterns[rng() % patterns.size()])); break;
        }
      }
      std::vector<CompiledMatcher> cms;
      bool any_non_empty = false;
      for (const Matcher& m : ms) {
        cms.push_back(MustCompile(m));
        any_non_empty |= !cms.back().MatchesEmpty();
      }
      Postings want;
      for (size_t i = 0; i < series.size(); ++i) {
        bool ok = true;
        for (const CompiledMatcher& cm : cms) {
          std::string v;
          for (const Label& l : series[i]) {
            if (l.name == cm.name()) v = l.value;
          }
          ok = ok && cm.Matches(v);
        }
        if (ok) want.push_back(refs[i]);
      }
      std::sort(want.begin(), want.end());
      std::string desc;
      for (const Matcher& m : ms) desc += MatcherToString(m) + " ";
      CAPTURE(desc);
      auto all = index.SelectAllowEmpty(ms);
      REQUIRE(all.ok());
      CHECK(*all == want);
      auto got = index.Select(ms);
      if (any_non_empty) {
        REQUIRE(got.ok());
        CHECK(*got == want);
      } else {
        CHECK(got.status().code() == Status::Code::kInvalidArgument);
      }
    }
  }
}

TEST_CASE("LabelNames and LabelValues") {
  Fleet f;
  CHECK(f.index.LabelNames(nullptr) == std::vector<std::string>{"__name__", "code", "env", "instance", "job", "msg"});
  CHECK(f.index.LabelValues("job", nullptr) == std::vector<std::string>{"api", "api2", "web"});
  CHECK(f.index.LabelValues("__name__", nullptr) == std::vector<std::string>{"http_requests_total", "log_lines", "up"});
  CHECK(f.index.LabelValues("nope", nullptr).empty());

  Postings up = *f.index.Select({Matcher::Equal("__name__", "up")});
  CHECK(up == Postings{1, 2, 3, 4});
  CHECK(f.index.LabelNames(&up) == std::vector<std::string>{"__name__", "env", "instance", "job"});
  CHECK(f.index.LabelValues("job", &up) == std::vector<std::string>{"api", "api2", "web"});
  CHECK(f.index.LabelValues("instance", &up) == std::vector<std::string>{"a", "b", "c", "d"});
  Postings some = {2, 5};
  CHECK(f.index.LabelNames(&some) == std::vector<std::string>{"__name__", "code", "instance", "job"});
  CHECK(f.index.LabelValues("env", &some).empty());
  CHECK(f.index.LabelValues("code", &some) == std::vector<std::string>{"200"});
  Postings none;
  CHECK(f.index.LabelNames(&none).empty());
  Postings unknown = {100, 200};
  CHECK(f.index.LabelNames(&unknown).empty());
}

TEST_CASE("Add: out of order, duplicates, empty values, size accounting") {
  LabelIndex index;
  const size_t empty_bytes = index.memory_bytes();
  index.Add(10, {{"__name__", "m"}, {"job", "a"}});
  index.Add(3, {{"__name__", "m"}, {"job", "a"}});
  index.Add(7, {{"__name__", "m"}, {"job", "b"}, {"env", ""}});
  index.Add(1, {{"__name__", "m"}, {"job", "a"}});
  index.Add(3, {{"__name__", "m"}, {"job", "a"}});  // again: no change
  CHECK(index.num_series() == 4);
  CHECK(*index.Select({Matcher::Equal("job", "a")}) == Postings{1, 3, 10});
  CHECK(*index.Select({Matcher::Equal("__name__", "m")}) == Postings{1, 3, 7, 10});
  CHECK(*index.SelectAllowEmpty({}) == Postings{1, 3, 7, 10});
  // The empty value was not indexed: env is absent.
  CHECK(index.LabelNames(nullptr) == std::vector<std::string>{"__name__", "job"});
  CHECK(*index.Select({Matcher::Equal("__name__", "m"), Matcher::Equal("env", "")}) == Postings{1, 3, 7, 10});

  const size_t before = index.memory_bytes();
  CHECK(before > empty_bytes);
  for (SeriesRef r = 100; r < 1100; ++r) {
    index.Add(r, {{"__name__", "m"}, {"instance", "host-with-a-long-name-" + std::to_string(r)}});
  }
  CHECK(index.memory_bytes() > before + 1000 * 40);
  CHECK(index.memory_bytes() < before + 1000 * 1000);
}

TEST_CASE("concurrent Add and Select") {
  LabelIndex index;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (SeriesRef r = 0; r < 2000; ++r) {
      index.Add(r, {{"__name__", "m"}, {"shard", std::to_string(r % 4)}});
    }
    done = true;
  });
  size_t last = 0;
  bool monotonic = true, sorted = true;
  while (!done) {
    auto got = index.Select({Matcher::Equal("__name__", "m"), Matcher::NotEqual("shard", "1")});
    REQUIRE(got.ok());
    sorted = sorted && std::is_sorted(got->begin(), got->end());
    monotonic = monotonic && got->size() >= last;
    last = got->size();
  }
  writer.join();
  CHECK(sorted);
  CHECK(monotonic);
  CHECK(index.Select({Matcher::Equal("__name__", "m"), Matcher::NotEqual("shard", "1")})->size() == 1500);
}

namespace {

Postings RandomPostings(std::mt19937& rng, size_t n, SeriesRef universe) {
  std::set<SeriesRef> s;
  while (s.size() < n && s.size() < universe) s.insert(rng() % universe);
  return Postings(s.begin(), s.end());
}

}  // namespace

TEST_CASE("set operations against std::set") {
  std::mt19937 rng(1);
  CHECK(Intersect({}, {}).empty());
  CHECK(Union({}, {1}) == Postings{1});
  CHECK(Subtract({1, 2, 3}, {}) == Postings{1, 2, 3});
  CHECK(Subtract({}, {1}).empty());
  CHECK(Intersect({1, 3, 5}, {2, 3, 4, 5}) == Postings{3, 5});
  CHECK(Union({1, 3, 5}, {2, 3}) == Postings{1, 2, 3, 5});
  CHECK(Subtract({1, 3, 5}, {2, 3}) == Postings{1, 5});
  for (int iter = 0; iter < 2000; ++iter) {
    // Mix similar sizes (merge path) with very different sizes (binary-search path).
    const size_t na = rng() % 3 == 0 ? rng() % 4 : rng() % 300;
    const size_t nb = rng() % 3 == 0 ? rng() % 4 : rng() % 300;
    const SeriesRef universe = 1 + rng() % 1000;
    Postings a = RandomPostings(rng, na, universe), b = RandomPostings(rng, nb, universe);
    std::set<SeriesRef> sa(a.begin(), a.end()), sb(b.begin(), b.end());
    Postings inter, uni, diff;
    for (SeriesRef x : sa) {
      if (sb.count(x)) inter.push_back(x);
      if (!sb.count(x)) diff.push_back(x);
    }
    std::set<SeriesRef> su = sa;
    su.insert(sb.begin(), sb.end());
    uni.assign(su.begin(), su.end());
    CHECK(Intersect(a, b) == inter);
    CHECK(Intersect(b, a) == inter);
    CHECK(Union(a, b) == uni);
    CHECK(Union(b, a) == uni);
    CHECK(Subtract(a, b) == diff);
  }
}

TEST_CASE("label index: cardinality, the top entries of each list, largest first") {
  LabelIndex index;
  // 3 series of http_requests (2 jobs), 1 of up; "instance" has 4 distinct values.
  index.Add(1, {{"__name__", "http_requests"}, {"instance", "a:1"}, {"job", "api"}});
  index.Add(2, {{"__name__", "http_requests"}, {"instance", "b:1"}, {"job", "api"}});
  index.Add(3, {{"__name__", "http_requests"}, {"instance", "c:1"}, {"job", "web"}});
  index.Add(4, {{"__name__", "up"}, {"instance", "dd:1"}, {"job", "web"}});
  gnomon::CardinalityStats all;
  index.Cardinality(100, &all);
  CHECK(all.num_series == 4);
  CHECK(all.num_label_pairs == 2 + 4 + 2);
  auto pairs = [](const std::vector<gnomon::CardinalityStats::Entry>& v) {
    std::vector<std::pair<std::string, uint64_t>> out;
    for (const auto& e : v) out.emplace_back(e.name, e.value);
    return out;
  };
  using P = std::vector<std::pair<std::string, uint64_t>>;
  CHECK(pairs(all.series_count_by_metric_name) == P{{"http_requests", 3}, {"up", 1}});
  CHECK(pairs(all.label_value_count_by_label_name) == P{{"instance", 4}, {"__name__", 2}, {"job", 2}});
  // bytes of each value times its series: instance 3*3 + 4, __name__ 13*3 + 2, job 3*2 + 3*2
  CHECK(pairs(all.memory_in_bytes_by_label_name) == P{{"__name__", 41}, {"instance", 13}, {"job", 12}});
  CHECK(all.series_count_by_label_value_pair.size() == 8);
  CHECK(pairs(all.series_count_by_label_value_pair)[0] ==
        std::pair<std::string, uint64_t>{"__name__=http_requests", 3});
  // Ties broken by name: job=api and job=web both have 2.
  CHECK(pairs(all.series_count_by_label_value_pair)[1] == std::pair<std::string, uint64_t>{"job=api", 2});
  CHECK(pairs(all.series_count_by_label_value_pair)[2] == std::pair<std::string, uint64_t>{"job=web", 2});

  gnomon::CardinalityStats top1;
  index.Cardinality(1, &top1);
  CHECK(pairs(top1.series_count_by_metric_name) == P{{"http_requests", 3}});
  CHECK(pairs(top1.label_value_count_by_label_name) == P{{"instance", 4}});
  CHECK(pairs(top1.series_count_by_label_value_pair) == P{{"__name__=http_requests", 3}});
  CHECK(top1.num_label_pairs == 8);  // the totals do not depend on the limit
}

TEST_CASE("a label with many values: each found by equality and by regex, listed sorted, counted") {
  LabelIndex index;
  constexpr int kValues = 20000;  // the value table grows (rehashes) many times
  std::vector<std::pair<SeriesRef, Labels>> batch;
  for (int i = 0; i < kValues; ++i) {
    const SeriesRef ref = static_cast<SeriesRef>(i + 1);
    batch.emplace_back(ref, Labels{{"__name__", "m"}, {"pod", "pod-" + std::to_string(i)}});
    if (batch.size() == 1000) {
      index.AddAll(batch);
      batch.clear();
    }
  }
  index.AddAll(batch);
  // Series sharing a value: a second series of pod-7.
  index.Add(kValues + 1, Labels{{"__name__", "n"}, {"pod", "pod-7"}});
  for (int i = 0; i < kValues; i += 997) {
    auto r = index.Select({Matcher::Equal("pod", "pod-" + std::to_string(i))});
    REQUIRE(r.ok());
    CHECK(*r == (i == 7 ? Postings{8, kValues + 1} : Postings{static_cast<SeriesRef>(i + 1)}));
  }
  CHECK(index.NumSeriesWith("pod", "pod-7") == 2);
  CHECK(index.NumSeriesWith("pod", "pod-x") == 0);
  CHECK(index.Select({Matcher::Equal("pod", "pod-x")})->empty());
  auto re = index.Select({Matcher::Regex("pod", "pod-1999[0-9]|pod-7")});
  REQUIRE(re.ok());
  CHECK(re->size() == 10 + 2);  // pod-19990 ... pod-19999, pod-7 twice
  auto values = index.LabelValues("pod", nullptr);
  CHECK(values.size() == kValues);
  CHECK(std::is_sorted(values.begin(), values.end()));
  CHECK(values.front() == "pod-0");
}

TEST_CASE("AddAllEncoded reads encodings in place: the same index as AddAll; malformed ones are refused") {
  LabelIndex from_labels, from_encoded;
  std::vector<std::pair<SeriesRef, Labels>> series;
  std::vector<std::string> encodings;
  for (int i = 0; i < 300; ++i) {
    Labels l{{"__name__", i % 3 == 0 ? "a" : "b"}, {"job", "j" + std::to_string(i % 7)}};
    if (i % 5 == 0) l.push_back({"zone", std::string(40, 'z') + std::to_string(i)});  // beyond SSO
    series.emplace_back(static_cast<SeriesRef>(i + 1), l);
    encodings.push_back(EncodeLabels(l));
  }
  std::vector<std::pair<SeriesRef, std::string_view>> encoded;
  for (size_t i = 0; i < series.size(); ++i) encoded.emplace_back(series[i].first, encodings[i]);
  from_labels.AddAll(series);
  REQUIRE(from_encoded.AddAllEncoded(encoded).ok());
  for (const Matchers& m : std::vector<Matchers>{{Matcher::Equal("__name__", "a")},
                                                 {Matcher::Regex("job", "j[0-3]")},
                                                 {Matcher::Regex("zone", ".+"), Matcher::NotEqual("job", "j1")}}) {
    CHECK(*from_encoded.Select(m) == *from_labels.Select(m));
  }
  CHECK(from_encoded.LabelValues("job", nullptr) == from_labels.LabelValues("job", nullptr));
  CHECK(from_encoded.memory_bytes() == from_labels.memory_bytes());

  LabelIndex bad;
  const std::string truncated = EncodeLabels({{"__name__", "m"}}).substr(0, 5);
  const std::string unordered = EncodeLabels({{"b", "1"}}) + EncodeLabels({{"a", "2"}});
  const std::string odd = EncodeLabels({{"__name__", "m"}}).substr(0, 9);  // the name only
  for (const std::string& e : {truncated, unordered, odd}) {
    const std::pair<SeriesRef, std::string_view> one{1, e};
    Status s = bad.AddAllEncoded(std::span(&one, 1));
    CHECK(s.code() == Status::Code::kCorruption);
  }
  CHECK(bad.num_series() == 0);
}
