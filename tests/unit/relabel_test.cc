// Relabelling (src/scrape/relabel.h): every action on Prometheus 2.42's own cases
// (model/relabel/relabel_test.go, TestRelabel and TestTargetLabelValidity, ported one for one),
// hashmod values checked against Prometheus' results, Go's regexp.Expand templates, and the
// config checks with Prometheus' messages. Whole configs against a real Prometheus 2.42 are in
// scrape_config_test (tests/scrape/relabel/).
#include <doctest/doctest.h>

#include <algorithm>

#include "scrape/relabel.h"
#include "test_util.h"

// Designated initializers leave the other fields at their (Prometheus) defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace gnomon::scrape {
namespace {

constexpr auto& L = testing::SortedLabels;

RelabelRegex Re(std::string_view text) {
  auto re = RelabelRegex::Compile(text);
  REQUIRE_MESSAGE(re.ok(), re.status().ToString());
  return re.value();
}

// Relabels a copy of `in`; nullopt if dropped.
std::optional<Labels> Run(Labels in, const std::vector<RelabelConfig>& cfgs) {
  if (!Relabel(cfgs, &in)) {
    CHECK(in.empty());
    return std::nullopt;
  }
  return in;
}

// The value of label `name` in `ls`, or "<unset>".
std::string Value(const Labels& ls, std::string_view name) {
  for (const Label& l : ls) {
    if (l.name == name) return l.value;
  }
  return "<unset>";
}

TEST_CASE("relabel: Prometheus 2.42's TestRelabel cases") {
  const Labels abc = L({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}});
  // replace with ${1} twice
  CHECK(
      Run(abc, {{.source_labels = {"a"}, .regex = Re("f(.*)"), .target_label = "d", .replacement = "ch${1}-ch${1}"}}) ==
      L({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "choo-choo"}}));
  // two steps; the second sees the first's result
  CHECK(
      Run(abc,
          {{.source_labels = {"a", "b"}, .regex = Re("f(.*);(.*)r"), .target_label = "a", .replacement = "b${1}${2}m"},
           {.source_labels = {"c", "a"},
            .regex = Re("(b).*b(.*)ba(.*)"),
            .target_label = "d",
            .replacement = "$1$2$2$3"}}) == L({{"a", "boobam"}, {"b", "bar"}, {"c", "baz"}, {"d", "boooom"}}));
  // drop, then nothing else runs
  CHECK(!Run(L({{"a", "foo"}}),
             {{.source_labels = {"a"}, .regex = Re(".*o.*"), .action = RelabelAction::kDrop},
              {.source_labels = {"a"}, .regex = Re("f(.*)"), .target_label = "d", .replacement = "ch$1-ch$1"}}));
  CHECK(!Run(L({{"a", "foo"}, {"b", "bar"}}),
             {{.source_labels = {"a"}, .regex = Re(".*o.*"), .action = RelabelAction::kDrop}}));
  CHECK(Run(L({{"a", "abc"}}), {{.source_labels = {"a"}, .regex = Re(".*(b).*"), .target_label = "d"}}) ==
        L({{"a", "abc"}, {"d", "b"}}));
  // the regex is anchored at both ends: "f|o" does not match "foo"
  CHECK(Run(L({{"a", "foo"}}), {{.source_labels = {"a"}, .regex = Re("no-match"), .action = RelabelAction::kDrop}}) ==
        L({{"a", "foo"}}));
  CHECK(Run(L({{"a", "foo"}}), {{.source_labels = {"a"}, .regex = Re("f|o"), .action = RelabelAction::kDrop}}) ==
        L({{"a", "foo"}}));
  CHECK(!Run(L({{"a", "foo"}}), {{.source_labels = {"a"}, .regex = Re("no-match"), .action = RelabelAction::kKeep}}));
  CHECK(Run(L({{"a", "foo"}}), {{.source_labels = {"a"}, .regex = Re("f.*"), .action = RelabelAction::kKeep}}) ==
        L({{"a", "foo"}}));
  // no match: no replacement
  CHECK(
      Run(L({{"a", "boo"}}), {{.source_labels = {"a"}, .regex = Re("f"), .target_label = "b", .replacement = "bar"}}) ==
      L({{"a", "boo"}}));
  // hashmod (Prometheus' expected values: md5 tail of "baz" % 1000 = 976, of "foo\nbar" % 1000 = 734)
  CHECK(Run(abc, {{.source_labels = {"c"}, .modulus = 1000, .target_label = "d", .action = RelabelAction::kHashMod}}) ==
        L({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "976"}}));
  CHECK(Run(L({{"a", "foo\nbar"}}),
            {{.source_labels = {"a"}, .modulus = 1000, .target_label = "b", .action = RelabelAction::kHashMod}}) ==
        L({{"a", "foo\nbar"}, {"b", "734"}}));
  // labelmap
  const Labels ab = L({{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}});
  CHECK(Run(ab, {{.regex = Re("(b.*)"), .replacement = "bar_${1}", .action = RelabelAction::kLabelMap}}) ==
        L({{"a", "foo"}, {"b1", "bar"}, {"b2", "baz"}, {"bar_b1", "bar"}, {"bar_b2", "baz"}}));
  CHECK(Run(L({{"a", "foo"}, {"__meta_my_bar", "aaa"}, {"__meta_my_baz", "bbb"}, {"__meta_other", "ccc"}}),
            {{.regex = Re("__meta_(my.*)"), .replacement = "${1}", .action = RelabelAction::kLabelMap}}) ==
        L({{"a", "foo"},
           {"__meta_my_bar", "aaa"},
           {"__meta_my_baz", "bbb"},
           {"__meta_other", "ccc"},
           {"my_bar", "aaa"},
           {"my_baz", "bbb"}}));
  // a templated target_label
  const Labels snv = L({{"a", "some-name-value"}});
  CHECK(Run(snv, {{.source_labels = {"a"},
                   .regex = Re("some-([^-]+)-([^,]+)"),
                   .target_label = "${1}",
                   .replacement = "${2}"}}) == L({{"a", "some-name-value"}, {"name", "value"}}));
  // an empty replacement: nothing set
  CHECK(Run(snv, {{.source_labels = {"a"},
                   .regex = Re("some-([^-]+)-([^,]+)"),
                   .target_label = "${1}",
                   .replacement = "${3}"}}) == snv);
  // invalid expanded target labels: nothing set
  CHECK(
      Run(snv,
          {{.source_labels = {"a"}, .regex = Re("some-([^-]+)-([^,]+)"), .target_label = "${3}", .replacement = "${1}"},
           {.source_labels = {"a"},
            .regex = Re("some-([^-]+)-([^,]+)"),
            .target_label = "0${3}",
            .replacement = "${1}"},
           {.source_labels = {"a"},
            .regex = Re("some-([^-]+)-([^,]+)"),
            .target_label = "-${3}",
            .replacement = "${1}"}}) == snv);
  // a real-life-like case
  CHECK(Run(L({{"__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"}}),
            {{.source_labels = {"__meta_sd_tags"},
              .regex = Re("(?:.+,|^)path:(/[^,]+).*"),
              .target_label = "__metrics_path__",
              .replacement = "${1}"},
             {.source_labels = {"__meta_sd_tags"},
              .regex = Re("(?:.+,|^)job:([^,]+).*"),
              .target_label = "job",
              .replacement = "${1}"},
             {.source_labels = {"__meta_sd_tags"},
              .regex = Re("(?:.+,|^)label:([^=]+)=([^,]+).*"),
              .target_label = "${1}",
              .replacement = "${2}"}}) == L({{"__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"},
                                             {"__metrics_path__", "/secret"},
                                             {"job", "some-job"},
                                             {"foo", "bar"}}));
  // labelkeep, labeldrop
  CHECK(Run(ab, {{.regex = Re("(b.*)"), .action = RelabelAction::kLabelKeep}}) == L({{"b1", "bar"}, {"b2", "baz"}}));
  CHECK(Run(ab, {{.regex = Re("(b.*)"), .action = RelabelAction::kLabelDrop}}) == L({{"a", "foo"}}));
  // uppercase, lowercase
  CHECK(Run(L({{"foo", "bAr123Foo"}}),
            {{.source_labels = {"foo"}, .target_label = "foo_uppercase", .action = RelabelAction::kUppercase},
             {.source_labels = {"foo"}, .target_label = "foo_lowercase", .action = RelabelAction::kLowercase}}) ==
        L({{"foo", "bAr123Foo"}, {"foo_lowercase", "bar123foo"}, {"foo_uppercase", "BAR123FOO"}}));
  // keepequal, dropequal
  const Labels ports = L({{"__tmp_port", "1234"}, {"__port1", "1234"}, {"__port2", "5678"}});
  CHECK(
      Run(ports, {{.source_labels = {"__tmp_port"}, .target_label = "__port1", .action = RelabelAction::kKeepEqual}}) ==
      ports);
  CHECK(
      !Run(ports, {{.source_labels = {"__tmp_port"}, .target_label = "__port1", .action = RelabelAction::kDropEqual}}));
  CHECK(
      Run(ports, {{.source_labels = {"__tmp_port"}, .target_label = "__port2", .action = RelabelAction::kDropEqual}}) ==
      ports);
  CHECK(
      !Run(ports, {{.source_labels = {"__tmp_port"}, .target_label = "__port2", .action = RelabelAction::kKeepEqual}}));
}

TEST_CASE("relabel: Prometheus 2.42's TestTargetLabelValidity") {
  const std::pair<const char*, bool> cases[] = {
      {"-label", false}, {"label", true},        {"label${1}", true}, {"${1}label", true},
      {"${1}", true},    {"${", false},          {"$", false},        {"${}", false},
      {"foo${", false},  {"$1", true},           {"asd$2asd", true},  {"-foo${1}bar-", false},
      {"_${1}_", true},  {"foo${bar}foo", true},
  };
  for (const auto& [target, valid] : cases) {
    RelabelConfig cfg{.source_labels = {"a"}, .target_label = target};
    CHECK_MESSAGE(cfg.Validate().ok() == valid, target);
  }
}

TEST_CASE("relabel: hashmod equals Prometheus 2.42's") {
  // md5(value)'s last 8 bytes, big-endian, modulo the modulus. The values were checked against a
  // real Prometheus 2.42.0 (tests/scrape/relabel/expected_targets.json, job "hashmod") and against
  // Python's hashlib.md5.
  CHECK(HashMod("baz", 1000) == 976);
  CHECK(HashMod("foo\nbar", 1000) == 734);
  CHECK(HashMod("node-1.invalid:9100", 4) == 3);
  CHECK(HashMod("node-2.invalid:9100", 4) == 0);
  CHECK(HashMod("node-4.invalid:9100", 4) == 1);
  CHECK(HashMod("node-2.invalid:9100", 1000) == 528);
  CHECK(HashMod("10.132.183.40:80", 1000) == 80);
  CHECK(HashMod("10.132.183.40:80", 3) == 1);
  CHECK(HashMod("node-1.invalid:9100;3", UINT64_MAX) == 2631923269502223551ULL);
  CHECK(HashMod("10.132.183.40:80;0", UINT64_MAX) == 16234675449620733479ULL);
  CHECK(HashMod("", 7) == 1);
  // The k8s example of Prometheus' benchmark: shard 1 of 3 for this address, so "keep ^0$" drops it.
  CHECK(!Run(L({{"__address__", "10.132.183.40:80"}}),
             {{.source_labels = {"__address__"},
               .modulus = 3,
               .target_label = "__tmp_hash",
               .action = RelabelAction::kHashMod},
              {.source_labels = {"__tmp_hash"}, .regex = Re("^0$"), .action = RelabelAction::kKeep}}));
}

TEST_CASE("relabel: replacement templates expand as Go's regexp.Expand") {
  auto expand = [](const char* regex, const char* replacement) {
    auto out = Run(L({{"a", "foo-bar"}}),
                   {{.source_labels = {"a"}, .regex = Re(regex), .target_label = "t", .replacement = replacement}});
    REQUIRE(out.has_value());
    return Value(*out, "t");
  };
  CHECK(expand("(\\w+)-(\\w+)", "$2 $1") == "bar foo");
  CHECK(expand("(\\w+)-(\\w+)", "${2}x$1") == "barxfoo");
  CHECK(expand("(\\w+)-(\\w+)", "$2x$1") == "foo");  // $2x is the (missing) group named "2x"
  CHECK(expand("(\\w+)-(\\w+)", "$$1 costs $$") == "$1 costs $");
  CHECK(expand("(\\w+)-(\\w+)", "a$-b$") == "a$-b$");  // a malformed reference is literal text
  CHECK(expand("(\\w+)-(\\w+)", "${1") == "${1");
  CHECK(expand("(\\w+)-(\\w+)", "$01") == "<unset>");  // leading zero: a name, not a number; empty
  CHECK(expand("(\\w+)-(\\w+)", "$9") == "<unset>");   // no such group: empty, so nothing set
  CHECK(expand("(?P<first>\\w+)-(?P<second>\\w+)", "${second}.$first") == "bar.foo");
  CHECK(expand("(\\w+)-(x)?(\\w+)", "[$2]") == "[]");  // a group that did not take part
  CHECK(expand(".*", "$0!") == "foo-bar!");
  CHECK(expand("(.*)", "static") == "static");
}

TEST_CASE("relabel: Prometheus' label-builder semantics") {
  // An empty replacement deletes the target label; so does a target that expands to an invalid
  // name, but Prometheus deletes the label named by the unexpanded template ("t$1-", not "tx-").
  CHECK(Run(L({{"a", "x"}, {"t", "old"}}), {{.source_labels = {"missing"}, .target_label = "t", .replacement = ""}}) ==
        L({{"a", "x"}}));
  CHECK(Run(L({{"a", "x"}, {"t", "old"}}),
            {{.source_labels = {"a"}, .regex = Re("(x)"), .target_label = "t$1-", .replacement = "v"}}) ==
        L({{"a", "x"}, {"t", "old"}}));
  CHECK(Run(L({{"a", "x"}, {"t$1-", "old"}}),
            {{.source_labels = {"a"}, .regex = Re("(x)"), .target_label = "t$1-", .replacement = "v"}}) ==
        L({{"a", "x"}}));
  // A missing source label reads as ""; several join with the separator.
  CHECK(Run(L({{"a", "1"}, {"c", "3"}}), {{.source_labels = {"a", "b", "c"}, .separator = "/", .target_label = "j"}}) ==
        L({{"a", "1"}, {"c", "3"}, {"j", "1//3"}}));
  // Labels with empty values are gone after any step; with no steps, the input is only sorted.
  Labels unsorted = {{"z", "1"}, {"e", ""}, {"a", "2"}};
  CHECK(Run(unsorted, {{.source_labels = {"a"}, .regex = Re("nope"), .action = RelabelAction::kDrop}}) ==
        L({{"a", "2"}, {"z", "1"}}));
  CHECK(Run(unsorted, {}) == Labels{{"a", "2"}, {"e", ""}, {"z", "1"}});
  // labelmap sees the labels as they were before the step; of two names mapped to one, the later wins.
  CHECK(Run(L({{"x_a", "1"}, {"y_a", "2"}}), {{.regex = Re("[xy]_(a)"), .action = RelabelAction::kLabelMap}}) ==
        L({{"a", "2"}, {"x_a", "1"}, {"y_a", "2"}}));
  CHECK(Run(L({{"a", "1"}, {"b", "2"}}),
            {{.regex = Re("(.)"), .replacement = "${1}${1}", .action = RelabelAction::kLabelMap}}) ==
        L({{"a", "1"}, {"aa", "1"}, {"b", "2"}, {"bb", "2"}}));
  // keepequal compares with the target label's value ("" when missing).
  CHECK(Run(L({{"a", ""}}), {{.source_labels = {"a"}, .target_label = "missing", .action = RelabelAction::kKeepEqual}})
            .has_value());
  // lowercase of an empty value sets "", which deletes the target label.
  CHECK(Run(L({{"t", "x"}}),
            {{.source_labels = {"missing"}, .target_label = "t", .action = RelabelAction::kLowercase}}) == Labels{});
}

TEST_CASE("relabel: lowercase and uppercase map Unicode as Go's strings.ToLower/ToUpper") {
  // Expected values from Prometheus 2.42.0 (tests/scrape/relabel/expected_targets.json, job "case").
  auto map = [](RelabelAction a, const char* value) {
    auto out = Run(L({{"v", value}}), {{.source_labels = {"v"}, .target_label = "t", .action = a}});
    REQUIRE(out.has_value());
    return Value(*out, "t");
  };
  CHECK(map(RelabelAction::kLowercase, "ÄÖÜ Straße ǅ İx") == "äöü straße ǆ ix");
  CHECK(map(RelabelAction::kUppercase, "ÄÖÜ Straße ǅ İx") == "ÄÖÜ STRAßE Ǆ İX");
  CHECK(map(RelabelAction::kUppercase, "Ωmega") == "ΩMEGA");
  CHECK(map(RelabelAction::kLowercase, "ΩMEGA") == "ωmega");
  // Invalid UTF-8 becomes U+FFFD, as strings.Map makes it.
  CHECK(map(RelabelAction::kLowercase,
            "A\xff"
            "B") ==
        "a\xef\xbf\xbd"
        "b");
}

TEST_CASE("relabel: actions by name, case-insensitively") {
  CHECK(ParseRelabelAction("replace") == RelabelAction::kReplace);
  CHECK(ParseRelabelAction("HashMod") == RelabelAction::kHashMod);
  CHECK(ParseRelabelAction("LABELMAP") == RelabelAction::kLabelMap);
  CHECK(ParseRelabelAction("keepequal") == RelabelAction::kKeepEqual);
  CHECK(ParseRelabelAction("dropequal") == RelabelAction::kDropEqual);
  CHECK(ParseRelabelAction("lowercase") == RelabelAction::kLowercase);
  CHECK(!ParseRelabelAction("copy").has_value());
  CHECK(!ParseRelabelAction("").has_value());
  for (RelabelAction a :
       {RelabelAction::kReplace, RelabelAction::kKeep, RelabelAction::kDrop, RelabelAction::kKeepEqual,
        RelabelAction::kDropEqual, RelabelAction::kHashMod, RelabelAction::kLabelMap, RelabelAction::kLabelDrop,
        RelabelAction::kLabelKeep, RelabelAction::kLowercase, RelabelAction::kUppercase}) {
    CHECK(ParseRelabelAction(RelabelActionName(a)) == a);
  }
}

TEST_CASE("relabel: config checks with Prometheus' messages") {
  auto why = [](RelabelConfig cfg) { return cfg.Validate().message(); };
  CHECK(why({.target_label = "t"}).empty());
  CHECK(why({.action = RelabelAction::kHashMod}) == "relabel configuration for hashmod requires non-zero modulus");
  CHECK(why({.modulus = 2, .action = RelabelAction::kHashMod}) ==
        "relabel configuration for hashmod action requires 'target_label' value");
  CHECK(why({.modulus = 2, .target_label = "${1}", .action = RelabelAction::kHashMod}) ==
        "\"${1}\" is invalid 'target_label' for hashmod action");
  CHECK(why({}) == "relabel configuration for replace action requires 'target_label' value");
  CHECK(why({.target_label = "1x"}) == "\"1x\" is invalid 'target_label' for replace action");
  CHECK(why({.target_label = "t", .action = RelabelAction::kLowercase}).empty());
  CHECK(why({.target_label = "t", .replacement = "x", .action = RelabelAction::kUppercase}) ==
        "'replacement' can not be set for uppercase action");
  CHECK(why({.replacement = "a-b", .action = RelabelAction::kLabelMap}) ==
        "\"a-b\" is invalid 'replacement' for labelmap action");
  CHECK(why({.source_labels = {"a"}, .target_label = "b", .action = RelabelAction::kKeepEqual}).empty());
  CHECK(why({.source_labels = {"a"}, .separator = ",", .target_label = "b", .action = RelabelAction::kDropEqual}) ==
        "dropequal action requires only 'source_labels' and `target_label`, and no other fields");
  CHECK(why({.source_labels = {"a"}, .regex = Re("x"), .target_label = "b", .action = RelabelAction::kKeepEqual}) ==
        "keepequal action requires only 'source_labels' and `target_label`, and no other fields");
  CHECK(why({.regex = Re("x"), .action = RelabelAction::kLabelDrop}).empty());
  CHECK(why({.source_labels = {"a"}, .regex = Re("x"), .action = RelabelAction::kLabelKeep}) ==
        "labelkeep action requires only 'regex', and no other fields");
  CHECK(why({.target_label = "t", .action = RelabelAction::kLabelDrop}) ==
        "labeldrop action requires only 'regex', and no other fields");
  CHECK(why({.source_labels = {"ok", "not-ok"}, .target_label = "t"}) == "\"not-ok\" is not a valid label name");
  auto bad = RelabelRegex::Compile("a(b");
  REQUIRE(!bad.ok());
  CHECK(bad.status().message().starts_with("invalid regex \"a(b\": "));
  CHECK(RelabelRegex().text() == "(.*)");
  CHECK(Re("").Matches(""));
  CHECK(!Re("").Matches("x"));
  CHECK(Re("a|b").Matches("b"));
  CHECK(!Re("a|b").Matches("ab"));
  CHECK(!Re("a").Matches("a\n"));  // $ is the end of the text, as in Go
}

}  // namespace
}  // namespace gnomon::scrape
