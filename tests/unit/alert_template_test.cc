// Alert templates (src/gotemplate/template.h) against what Prometheus 2.42 (Go text/template) prints:
// the Prometheus-compatible test kit's cases, every control structure, Go's builtins and
// Prometheus' functions with exact expected strings, Go's fmt verbs, and the error paths (parse
// errors name template and line; execution errors never crash; depth and output are bounded).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gotemplate/go_format.h"
#include "gotemplate/template.h"

namespace gnomon::gotemplate {
namespace {

TemplateData KitData(double value = 0.25) {
  TemplateData d;
  d.labels = {{"service", "svc-checkout"}, {"instance", "10.0.0.5:8080"}, {"owner", "storefront team"}};
  d.value = value;
  d.external_labels = {{"cluster", "eu-1"}};
  d.external_url = "http://gnomon.example:9090/prefix";
  return d;
}

std::string Expand(std::string_view text, const TemplateData& data = KitData(), const QueryFunc& query = {}) {
  return ExpandAlertTemplate("__alert_Test", text, data, query);
}

// Runs `text` and returns the error message (empty if it succeeded).
std::string ErrorOf(std::string_view text, const TemplateData& data = KitData(), const QueryFunc& query = {}) {
  Result<Template> t = Template::Parse("t", text);
  if (!t.ok()) return t.status().message();
  Result<std::string> out = t->Execute(data, query);
  return out.ok() ? std::string() : out.status().message();
}

QueryFunc OneSample(double v, std::string* seen = nullptr) {
  return [v, seen](std::string_view expr) -> Result<std::vector<QuerySample>> {
    if (seen) *seen = std::string(expr);
    QuerySample s;
    s.labels = {{"__name__", "service_heap_bytes"}, {"service", "svc-checkout"}};
    s.value = v;
    return std::vector<QuerySample>{s};
  };
}

QueryFunc Samples(std::vector<QuerySample> samples) {
  return [samples](std::string_view) -> Result<std::vector<QuerySample>> { return samples; };
}

TEST_CASE("test kit cases") {
  CHECK(Expand("{{ $labels.instance | stripPort }}") == "10.0.0.5");
  CHECK(Expand("[{{ $labels.no_such_label }}]") == "[]");
  CHECK(Expand(R"({{ $value | printf "%.3f" }} / {{ $value | humanize }} / {{ $value | humanizePercentage }})") ==
        "0.250 / 250m / 25%");
  CHECK(Expand(R"({{ $value | printf "%.3f" }} / {{ $value | humanize }} / {{ $value | humanizePercentage }})",
               KitData(0.0001)) == "0.000 / 100u / 0.01%");
  CHECK(Expand(R"({{ reReplaceAll "^svc-(.*)$" "$1" $labels.service | toUpper }})") == "CHECKOUT");
  CHECK(Expand("{{ $labels.owner | title }}") == "Storefront Team");
  const char* heap =
      R"({{ with printf "service_heap_bytes{service=%q}" $labels.service | query }})"
      R"({{ . | first | value | humanize1024 }}B{{ else }}n/a{{ end }})";
  std::string seen;
  CHECK(Expand(heap, KitData(), OneSample(1610612736, &seen)) == "1.5GiB");
  CHECK(seen == R"(service_heap_bytes{service="svc-checkout"})");
  CHECK(Expand(heap, KitData(), Samples({})) == "n/a");
  CHECK(Expand("{{ humanizeDuration 300 }}") == "5m 0s");
  CHECK(Expand("{{ $externalURL }}/alerts") == "http://gnomon.example:9090/prefix/alerts");
  CHECK(Expand("{{ $value }}", KitData(1e6)) == "1e+06");
}

TEST_CASE("printing values") {
  CHECK(Expand("{{ $value }}", KitData(0.25)) == "0.25");
  CHECK(Expand("{{ $value }}", KitData(3)) == "3");
  CHECK(Expand("{{ $value }}", KitData(123456)) == "123456");
  CHECK(Expand("{{ $value }}", KitData(1234567)) == "1.234567e+06");
  CHECK(Expand("{{ $value }}", KitData(0.0001)) == "0.0001");
  CHECK(Expand("{{ $value }}", KitData(0.00001)) == "1e-05");
  CHECK(Expand("{{ $value }}", KitData(std::nan(""))) == "NaN");
  CHECK(Expand("{{ $value }}", KitData(std::numeric_limits<double>::infinity())) == "+Inf");
  CHECK(Expand("{{ $value }}", KitData(-std::numeric_limits<double>::infinity())) == "-Inf");
  CHECK(Expand("{{ .Value }} {{ .Labels.service }} {{ .ExternalLabels.cluster }} {{ .ExternalURL }}") ==
        "0.25 svc-checkout eu-1 http://gnomon.example:9090/prefix");
  CHECK(Expand("{{ $externalLabels.cluster }}") == "eu-1");
  CHECK(Expand("{{ .Labels }}") == "map[instance:10.0.0.5:8080 owner:storefront team service:svc-checkout]");
  CHECK(Expand("{{ 3 }} {{ 1.5 }} {{ 1e6 }} {{ true }} {{ \"s\" }} {{ `raw\\n` }} {{ 'a' }} {{ 0x10 }}") ==
        "3 1.5 1e+06 true s raw\\n 97 16");
  CHECK(Expand("{{ \"tab\\there\\u00e9\" }}") == "tab\there\xC3\xA9");
  CHECK(Expand("{{ (args 1).missing }}") == "<no value>");
}

TEST_CASE("text, trim markers and comments") {
  CHECK(Expand("a  {{- \"b\" -}}  c") == "abc");
  CHECK(Expand("a \n{{- 1 }} \n") == "a1 \n");
  CHECK(Expand("x{{/* a comment */}}y") == "xy");
  CHECK(Expand("x {{- /* trimmed */ -}} y") == "xy");
  CHECK(Expand("{{-3}}") == "-3");
  CHECK(Expand("no actions at all") == "no actions at all");
  CHECK(Expand("") == "");
}

TEST_CASE("variables and pipelines") {
  CHECK(Expand("{{ $x := 1 }}{{ $x }}{{ $x = 2 }}{{ $x }}") == "12");
  CHECK(Expand("{{ $x := \"a\" }}{{ if true }}{{ $x = \"b\" }}{{ $y := 1 }}{{ end }}{{ $x }}") == "b");
  CHECK(Expand("{{ \"abc\" | printf \"%s-%s\" \"x\" }}") == "x-abc");
  CHECK(Expand("{{ printf \"%s\" (printf \"%d\" (len \"four\")) }}") == "4");
  CHECK(Expand("{{ (query \"q\" | first).Value }}", KitData(), OneSample(7)) == "7");
  CHECK(Expand("{{ (query \"q\" | first).Labels.service }}", KitData(), OneSample(7)) == "svc-checkout");
  CHECK(Expand("{{ . }}").starts_with("{map[instance:10.0.0.5:8080"));
  CHECK(Expand("{{ $ | len }}") == "<error expanding template: error executing template __alert_Test: template: "
                                    "__alert_Test:1:119: executing \"__alert_Test\" at <len>: error calling len: len "
                                    "of type struct { Labels map[string]string; ExternalLabels map[string]string; "
                                    "ExternalURL string; Value float64 }>");
}

TEST_CASE("if, else if, else, with, range") {
  CHECK(Expand("{{ if gt $value 0.5 }}high{{ else if gt $value 0.1 }}mid{{ else }}low{{ end }}") == "mid");
  CHECK(Expand("{{ if gt $value 0.5 }}high{{ else if gt $value 0.3 }}mid{{ else }}low{{ end }}") == "low");
  CHECK(Expand("{{ if $labels.owner }}has owner{{ end }}") == "has owner");
  CHECK(Expand("{{ if $labels.nope }}x{{ else }}empty{{ end }}") == "empty");
  CHECK(Expand("{{ if 0 }}a{{ else if \"\" }}b{{ else if (args).x }}c{{ else }}d{{ end }}") == "d");
  CHECK(Expand("{{ with $labels.service }}[{{ . }}]{{ end }}") == "[svc-checkout]");
  CHECK(Expand("{{ with $labels.nope }}[{{ . }}]{{ else }}none{{ end }}") == "none");
  CHECK(Expand("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}") ==
        "instance=10.0.0.5:8080;owner=storefront team;service=svc-checkout;");
  CHECK(Expand("{{ range $labels }}{{ . }},{{ end }}") == "10.0.0.5:8080,storefront team,svc-checkout,");
  CHECK(Expand("{{ range $v := $labels }}{{ $v }}|{{ end }}") == "10.0.0.5:8080|storefront team|svc-checkout|");
  QuerySample a{{{"job", "b"}}, 2}, b{{{"job", "a"}}, 1}, c{{{"job", "c"}}, 3};
  QueryFunc three = Samples({a, b, c});
  CHECK(Expand("{{ range query \"up\" }}{{ .Labels.job }}={{ .Value }} {{ end }}", KitData(), three) == "b=2 a=1 c=3 ");
  CHECK(Expand("{{ range $i, $s := query \"up\" | sortByLabel \"job\" }}{{ $i }}:{{ label \"job\" $s }} {{ end }}",
               KitData(), three) == "0:a 1:b 2:c ");
  CHECK(Expand("{{ range query \"up\" }}x{{ else }}empty{{ end }}", KitData(), Samples({})) == "empty");
  CHECK(Expand("{{ range query \"up\" }}{{ if eq .Labels.job \"a\" }}{{ break }}{{ end }}{{ .Value }}{{ end }}",
               KitData(), three) == "2");
  CHECK(Expand("{{ range query \"up\" }}{{ if eq .Labels.job \"a\" }}{{ continue }}{{ end }}{{ .Value }}{{ end }}",
               KitData(), three) == "23");
}

TEST_CASE("Go builtins") {
  CHECK(Expand("{{ print \"a\" 1 2 \"b\" \"c\" 3.5 }}") == "a1 2bc3.5");
  CHECK(Expand("{{ println 1 \"a\" }}") == "1 a\n");
  CHECK(Expand("{{ len \"héllo\" }} {{ len $labels }}") == "6 3");
  CHECK(Expand("{{ index $labels \"owner\" }}|{{ index $labels \"none\" }}|") == "storefront team||");
  CHECK(Expand("{{ index \"abc\" 1 }}") == "98");
  CHECK(Expand("{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ eq $value 0.25 }}") == "true true true true");
  CHECK(Expand("{{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2.5 }}") == "true true true false");
  CHECK(Expand("{{ and 1 0 2 }} {{ and 1 2 }} {{ or 0 \"\" 3 }} {{ or 0 \"\" }} {{ not 0 }} {{ not \"x\" }}") ==
        "0 2 3  true false");
  CHECK(Expand("{{ or 1 (index 1 1) }}") == "1");  // short-circuits: index is never called
  CHECK(Expand("{{ html \"<a href='x'>&\\\"\" }}") == "&lt;a href=&#39;x&#39;&gt;&amp;&#34;");
  CHECK(Expand("{{ js \"it's <b>\\\"x\\\"</b>=\" }}") == "it\\'s \\u003Cb\\u003E\\\"x\\\"\\u003C/b\\u003E\\u003D");
  CHECK(Expand("{{ urlquery \"a b&c=d/é\" }}") == "a+b%26c%3Dd%2F%C3%A9");
  CHECK(Expand("{{ eq 1 1.0 }}").find("incompatible types for comparison") != std::string::npos);
  CHECK(Expand("{{ lt true false }}").find("invalid type for comparison") != std::string::npos);
}

TEST_CASE("printf verbs") {
  CHECK(Expand("{{ printf \"%d|%5d|%-5d|%05d|%+d|%x|%X|%o|%b|%c\" 42 42 42 -42 42 255 255 8 5 65 }}") ==
        "42|   42|42   |-0042|+42|ff|FF|10|101|A");
  CHECK(Expand("{{ printf \"%f|%.2f|%8.3f|%-8.1f|%e|%.3e|%g|%G|%v\" 3.14159 3.14159 3.14159 2.5 1234.5678 0.00012 "
               "0.00001234 1e21 2.5 }}") ==
        "3.141590|3.14|   3.142|2.5     |1.234568e+03|1.200e-04|1.234e-05|1E+21|2.5");
  CHECK(Expand("{{ printf \"%s|%q|%v|%10s|%-4s|%.2s|%x\" \"a\" \"b\\\"c\" \"d\" \"right\" \"l\" \"trunc\" \"hi\" }}") ==
        "a|\"b\\\"c\"|d|     right|l   |tr|6869");
  CHECK(Expand("{{ printf \"%t %v %%\" true false }}") == "true false %");
  CHECK(Expand("{{ printf \"%d\" \"s\" }}") == "%!d(string=s)");
  CHECK(Expand("{{ printf \"%d %d\" 1 }}") == "1 %!d(MISSING)");
  CHECK(Expand("{{ printf \"%d\" 1 2 }}") == "1%!(EXTRA int=2)");
  CHECK(Expand("{{ printf \"%s\" $labels }}") ==
        "map[instance:10.0.0.5:8080 owner:storefront team service:svc-checkout]");
  CHECK(Expand("{{ printf \"%.1f%%\" 99.95 }}") == "100.0%");
  CHECK(Expand("{{ printf \"%5.1f|%v|%s\" $value nil (args).x }}") == "  0.2|<nil>|%!s(<nil>)");
}

TEST_CASE("go_format directly") {
  CHECK(GoFormatFloat(1e21, 'g', -1) == "1e+21");
  CHECK(GoFormatFloat(100000, 'g', -1) == "100000");
  CHECK(GoFormatFloat(0, 'g', -1) == "0");
  CHECK(GoFormatFloat(-0.0, 'g', -1) == "-0");
  CHECK(GoFormatFloat(0.1 + 0.2, 'g', -1) == "0.30000000000000004");
  CHECK(GoFormatFloat(1.5, 'e', -1) == "1.5e+00");
  // 'f' with the shortest digits, as count_values writes its label: Go's digits, not the
  // double's exact decimal expansion.
  CHECK(GoFormatFloat(1e23, 'f', -1) == "100000000000000000000000");
  CHECK(GoFormatFloat(1.2345678901234567e30, 'f', -1) == "1234567890123456700000000000000");
  CHECK(GoFormatFloat(58.23, 'f', -1) == "58.23");
  CHECK(GoFormatFloat(-0.05, 'f', -1) == "-0.05");
  CHECK(GoFormatFloat(-0.0, 'f', -1) == "-0");
  CHECK(GoFormatFloat(0, 'f', -1) == "0");
  CHECK(GoFormatFloat(1e-7, 'f', -1) == "0.0000001");
  CHECK(GoFormatFloat(1e100, 'e', 2) == "1.00e+100");
  CHECK(GoFormatFloat(1234.5, 'g', 4) == "1234");
  CHECK(GoFormatFloat(12345, 'g', 4) == "1.234e+04");
  CHECK(GoFormatFloat(0.5, 'f', 0) == "0");
  CHECK(GoFormatFloat(1.5, 'f', 0) == "2");
  CHECK(GoQuote("a\"\\\n\x01\xff") == "\"a\\\"\\\\\\n\\x01\\xff\"");
  CHECK(GoQuote("é") == "\"é\"");
  CHECK(GoSprint({GoArg::Int(1), GoArg::Int(2), GoArg::String("x"), GoArg::Float(0.5)}) == "1 2x0.5");
}

TEST_CASE("Prometheus functions") {
  CHECK(Expand("{{ humanize 1234567 }} {{ humanize 0 }} {{ humanize -1500 }} {{ humanize \"2048\" }}") ==
        "1.235M 0 -1.5k 2.048k");
  CHECK(Expand("{{ humanize 1e30 }} {{ humanize 1e-30 }}") == "1e+06Y 1e-06y");
  CHECK(Expand("{{ humanize1024 1024 }} {{ humanize1024 0.5 }} {{ humanize1024 1048576 }} {{ humanize1024 1 }}") ==
        "1ki 0.5 1Mi 1");
  CHECK(Expand("{{ humanizeDuration 0 }}|{{ humanizeDuration 4.5 }}|{{ humanizeDuration 0.5 }}|"
               "{{ humanizeDuration 0.000123 }}|{{ humanizeDuration 3600 }}|{{ humanizeDuration 93784 }}|"
               "{{ humanizeDuration -65 }}|{{ humanizeDuration \"60\" }}") ==
        "0s|4.5s|500ms|123us|1h 0m 0s|1d 2h 3m 4s|-1m 5s|1m 0s");
  CHECK(Expand("{{ humanizePercentage 0.5 }} {{ humanizePercentage 1.23456 }}") == "50% 123.5%");
  CHECK(Expand("{{ humanizeTimestamp 0 }}|{{ humanizeTimestamp 1435065584.128 }}|{{ humanizeTimestamp 1.5555 }}") ==
        "1970-01-01 00:00:00 +0000 UTC|2015-06-23 13:19:44.128 +0000 UTC|1970-01-01 00:00:01.555 +0000 UTC");
  CHECK(Expand("{{ humanize \"abc\" }}") ==
        "<error expanding template: error executing template __alert_Test: template: __alert_Test:1:115: executing "
        "\"__alert_Test\" at <humanize \"abc\">: error calling humanize: strconv.ParseFloat: parsing \"abc\": invalid "
        "syntax>");
  CHECK(Expand("{{ humanize true }}").find("can't convert bool to float") != std::string::npos);
  CHECK(Expand("{{ toUpper \"abc\" }} {{ toLower \"ABC\" }} {{ title \"hello wORLD-foo_bar 1st\" }}") ==
        "ABC abc Hello WORLD-Foo_bar 1st");
  CHECK(Expand("{{ stripPort \"[::1]:80\" }} {{ stripPort \"host\" }} {{ stripPort \"a:b:c\" }}") == "::1 host a:b:c");
  CHECK(Expand("{{ stripDomain \"foo.example.com:9090\" }} {{ stripDomain \"foo.example.com\" }} "
               "{{ stripDomain \"10.0.0.1:80\" }} {{ stripDomain \"[::1]:80\" }}") ==
        "foo:9090 foo 10.0.0.1:80 [::1]:80");
  CHECK(Expand("{{ match \"^svc-\" $labels.service }} {{ match \"x+\" \"abc\" }}") == "true false");
  CHECK(Expand("{{ reReplaceAll \"a\" \"[$0]\" \"banana\" }}") == "b[a]n[a]n[a]");
  CHECK(Expand("{{ reReplaceAll \"(?P<w>\\\\w+)@(\\\\w+)\" \"${2}:$w $$ $1x\" \"me@host\" }}") == "host:me $ ");
  CHECK(Expand("{{ reReplaceAll \"x*\" \"-\" \"abc\" }}") == "-a-b-c-");
  CHECK(Expand("{{ reReplaceAll \"(\" \"\" \"abc\" }}").find("error calling reReplaceAll: regexp: Compile(") !=
        std::string::npos);
  CHECK(Expand("{{ \"<b>\" | safeHtml }}") == "<b>");
  CHECK(Expand("{{ graphLink \"up{job=\\\"a b\\\"}\" }}") == "/graph?g0.expr=up%7Bjob%3D%22a+b%22%7D&g0.tab=0");
  CHECK(Expand("{{ tableLink \"up\" }}") == "/graph?g0.expr=up&g0.tab=1");
  CHECK(Expand("{{ pathPrefix }}|{{ externalURL }}") == "/prefix|http://gnomon.example:9090/prefix");
  CHECK(Expand("{{ parseDuration \"1h30m\" }} {{ parseDuration \"500ms\" }}") == "5400 0.5");
  CHECK(Expand("{{ parseDuration \"soon\" }}").find("not a valid duration string: \"soon\"") != std::string::npos);
  CHECK(Expand("{{ (toTime 1.5).Unix }} {{ toTime 60 }}") == "1 1970-01-01 00:01:00 +0000 UTC");
  CHECK(Expand("{{ $a := args 1 \"x\" }}{{ $a.arg0 }} {{ $a.arg1 }} {{ len $a }}") == "1 x 2");
  CHECK(Expand("{{ with query \"q\" }}{{ . | first | strvalue }}|{{ . | first | label \"service\" }}{{ end }}",
               KitData(), Samples({QuerySample{{{"__value__", "sv"}, {"service", "s"}}, 1}})) == "sv|s");
  CHECK(Expand("{{ query \"q\" | first | value }}", KitData(), Samples({})) ==
        "<error expanding template: error executing template __alert_Test: template: __alert_Test:1:127: executing "
        "\"__alert_Test\" at <first>: error calling first: first() called on vector with no elements>");
  QueryFunc failing = [](std::string_view) -> Result<std::vector<QuerySample>> {
    return Status::InvalidArgument("parse error at char 3: unexpected");
  };
  CHECK(Expand("{{ query \"up(\" }}", KitData(), failing).find("error calling query: parse error at char 3") !=
        std::string::npos);
  CHECK(Expand("{{ query \"up\" }}").find("error calling query:") != std::string::npos);  // no QueryFunc
}

TEST_CASE("parse errors name the template and the line") {
  Result<Template> t = Template::Parse("__alert_X", "line one\n{{ $labels.instance }");
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().code() == Status::Code::kInvalidArgument);
  CHECK(t.status().message().starts_with("template: __alert_X:2: "));
  CHECK(ErrorOf("{{ 1 }") == "template: t:1: unexpected \"}\" in operand");
  CHECK(ErrorOf("{{ .Value ") == "template: t:1: unclosed action");
  CHECK(ErrorOf("{{ foo 1 }}") == "template: t:1: function \"foo\" not defined");
  CHECK(ErrorOf("{{ $nope }}") == "template: t:1: undefined variable \"$nope\"");
  CHECK(ErrorOf("{{ | printf }}") == "template: t:1: unexpected \"|\" in command");
  CHECK(ErrorOf("{{ printf \"x\" | 3 }}") == "template: t:1: non executable command in pipeline stage 2");
  CHECK(ErrorOf("{{ if 1 }}x") == "template: t:1: unexpected EOF");
  CHECK(ErrorOf("{{ end }}") == "template: t:1: unexpected {{end}}");
  CHECK(ErrorOf("{{ else }}") == "template: t:1: unexpected {{else}}");
  CHECK(ErrorOf("{{ break }}") == "template: t:1: {{break}} outside {{range}}");
  CHECK(ErrorOf("{{ \"abc }}") == "template: t:1: unterminated quoted string");
  CHECK(ErrorOf("{{/* x }}") == "template: t:1: unclosed comment");
  CHECK(ErrorOf("{{ ) }}") == "template: t:1: unexpected right paren U+0029 ')'");
  CHECK(ErrorOf("{{ (1 }}") == "template: t:1: unclosed left paren");
  CHECK(ErrorOf("{{ }}") == "template: t:1: missing value for command");
  CHECK(ErrorOf("{{ 3x }}") == "template: t:1: bad number syntax: \"3x\"");
  CHECK(ErrorOf("{{ \"a\".b }}") == "template: t:1: unexpected . after term \"\\\"a\\\"\"");
  CHECK(ErrorOf("{{ define \"x\" }}x{{ end }}{{ define \"x\" }}y{{ end }}") ==
        "template: t:1: template: multiple definition of template \"x\"");
  CHECK(ErrorOf("{{ if 1 }}{{ define \"x\" }}{{ end }}{{ end }}") == "template: t:1: unexpected <define> in command");
  CHECK(Expand("{{ nosuch }}") == "<error expanding template: error parsing template __alert_Test: template: "
                                  "__alert_Test:1: function \"nosuch\" not defined>");
}

TEST_CASE("execution errors") {
  CHECK(ErrorOf("{{ $value | toUpper }}").find("wrong type for value; expected string; got float64") !=
        std::string::npos);
  CHECK(ErrorOf("{{ toUpper 1 }}").find("expected string; found 1") != std::string::npos);
  CHECK(ErrorOf("{{ printf }}").find("wrong number of args for printf: want at least 1 got 0") != std::string::npos);
  CHECK(ErrorOf("{{ first }}").find("wrong number of args for first: want 1 got 0") != std::string::npos);
  CHECK(ErrorOf("{{ nil }}").find("nil is not a command") != std::string::npos);
  CHECK(ErrorOf("{{ $labels.x 1 }}").find("x is not a method but has arguments") != std::string::npos);
  CHECK(ErrorOf("{{ .Nope }}").find("can't evaluate field Nope in type struct") != std::string::npos);
  CHECK(ErrorOf("{{ $value.x }}").find("can't evaluate field x in type float64") != std::string::npos);
  CHECK(ErrorOf("{{ range 3 }}{{ end }}").find("range can't iterate over 3") != std::string::npos);
  CHECK(ErrorOf("{{ index $labels 1 }}").find("value has type int; should be string") != std::string::npos);
  CHECK(ErrorOf("{{ 1 2 }}").find("can't give argument to non-function 1") != std::string::npos);
  CHECK(ErrorOf("{{ value nil }}").find("nil pointer dereference") != std::string::npos);
}

TEST_CASE("limits: nesting depth and output size never crash") {
  std::string deep_parens(5000, '(');
  deep_parens = "{{ " + deep_parens + "1" + std::string(5000, ')') + " }}";
  CHECK(ErrorOf(deep_parens).find("max expression depth exceeded") != std::string::npos);
  std::string deep_ifs;
  for (int i = 0; i < 5000; ++i) deep_ifs += "{{ if 1 }}";
  CHECK(ErrorOf(deep_ifs).find("max expression depth exceeded") != std::string::npos);
  std::string ok_parens = "{{ " + std::string(50, '(') + "1" + std::string(50, ')') + " }}";
  CHECK(Expand(ok_parens) == "1");

  // Doubling a string 30 times would need a gigabyte: it stops at the 1 MiB limit instead.
  std::vector<QuerySample> many(30);
  CHECK(ErrorOf("{{ $s := \"xxxxxxxx\" }}{{ range query \"q\" }}{{ $s = printf \"%s%s\" $s $s }}{{ end }}{{ $s }}",
                KitData(), Samples(many))
            .find("exceeds 1048576 bytes") != std::string::npos);
  CHECK(ErrorOf("{{ printf \"%1000000d\" 1 }}{{ printf \"%1000000d\" 1 }}").find("exceeds 1048576 bytes") !=
        std::string::npos);

  // Garbage never crashes: every prefix of a rich template parses or fails cleanly.
  std::string rich =
      "{{- /* c */ -}}{{ range $i, $x := query \"a\" | sortByLabel \"j\" }}{{ if and (gt $i 0) (lt $x.Value 2.5) }}"
      "{{ printf \"%q\" (label \"j\" $x) }}{{ else if $x }}{{ `r` }}{{ end }}{{ end }}{{ with $labels.owner }}"
      "{{ . | title | reReplaceAll \"(\\\\w+)\" \"<$1>\" }}{{ end }}";
  for (size_t n = 0; n <= rich.size(); ++n) {
    std::string out = Expand(rich.substr(0, n), KitData(), OneSample(1));
    CHECK(out.size() < 10000);
  }
}

TEST_CASE("Template is movable and reusable") {
  Result<Template> t = Template::Parse("t", "{{ $labels.service }}={{ $value }}");
  REQUIRE(t.ok());
  Template tmpl = std::move(t).value();
  TemplateData d = KitData(2);
  CHECK(tmpl.Execute(d, {}).value() == "svc-checkout=2");
  d.value = 0.5;
  CHECK(tmpl.Execute(d, {}).value() == "svc-checkout=0.5");
}

}  // namespace
}  // namespace gnomon::gotemplate
