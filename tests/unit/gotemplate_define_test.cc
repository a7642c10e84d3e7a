// {{define}}, {{template}} and {{block}} in alert templates (src/gotemplate/template.h) against what
// Go's text/template does: a define registers a named template of the same parse and prints
// nothing, template runs it with dot set to its pipeline (nil without one) and only "$" in scope,
// block is define + template in place; names defined twice, misplaced clauses and unknown names
// fail with Go's messages; recursion stops at the documented depth instead of overflowing the stack.
#include <doctest/doctest.h>

#include <string>

#include "gotemplate/template.h"

namespace gnomon::gotemplate {
namespace {

TemplateData Data() {
  TemplateData d;
  d.labels = {{"service", "svc-checkout"}, {"instance", "10.0.0.5:8080"}, {"job", "api"}};
  d.value = 0.25;
  d.external_url = "http://gnomon.example:9090";
  return d;
}

std::string Expand(std::string_view text) { return ExpandAlertTemplate("__alert_Test", text, Data(), {}); }

// Runs `text` as template "t" and returns its output, or "ERR: " and the error message.
std::string Run(std::string_view text) {
  Result<Template> t = Template::Parse("t", text);
  if (!t.ok()) return "ERR: " + t.status().message();
  Result<std::string> out = t->Execute(Data(), {});
  return out.ok() ? out.value() : "ERR: " + out.status().message();
}

TEST_CASE("define registers a template and prints nothing; template runs it") {
  CHECK(Run(R"(a{{define "x"}}never printed here{{end}}b)") == "ab");
  CHECK(Run(R"({{define "x"}}[{{.}}]{{end}}{{template "x" "v"}}{{template "x" 2}})") == "[v][2]");
  // Called before its definition: names resolve at execution time.
  CHECK(Run(R"({{template "x" 1.5}}{{define "x"}}<{{.}}>{{end}})") == "<1.5>");
  // Trim markers around a define.
  CHECK(Run("a\n{{- define \"x\" -}}\n  X  \n{{- end -}}\nb{{template \"x\"}}") == "abX");
  // A define called from inside if/range and from another define.
  CHECK(
      Run(R"({{define "li"}}<li>{{.}}</li>{{end}}{{define "ul"}}<ul>{{range .}}{{template "li" .}}{{end}}</ul>{{end}})"
          R"({{template "ul" .Labels}})") == "<ul><li>10.0.0.5:8080</li><li>api</li><li>svc-checkout</li></ul>");
  // Raw string names.
  CHECK(Run("{{define `x`}}raw{{end}}{{template `x`}}") == "raw");
}

TEST_CASE("Prometheus' pattern: a helper defined in the annotation and called with dot") {
  const char* text = R"({{ define "where" }}{{ .Labels.service }} on {{ .Labels.instance | stripPort }}{{ end -}})"
                     R"({{ template "where" . }} is at {{ $value | humanizePercentage }} ({{ template "where" . }}))";
  CHECK(Expand(text) == "svc-checkout on 10.0.0.5 is at 25% (svc-checkout on 10.0.0.5)");
  // Passing a label map or a single value works the same way.
  CHECK(Expand(R"({{define "j"}}job={{.job}}{{end}}{{template "j" $labels}})") == "job=api");
  CHECK(Expand(R"({{define "pct"}}{{. | humanizePercentage}}{{end}}{{template "pct" $value}})") == "25%");
}

TEST_CASE("dot and variables inside a called template") {
  // No pipeline: dot is nil, and fields of nil are missing (missingkey=zero prints <no value>).
  CHECK(Run(R"({{define "x"}}{{.}}|{{.Labels}}{{end}}{{template "x"}})") == "<no value>|<no value>");
  // $ is the template's dot, not the caller's data.
  CHECK(Run(R"({{define "x"}}{{$}}{{end}}{{template "x" "dot"}})") == "dot");
  // No dynamic scoping: the caller's variables (and Prometheus' header ones) are not declared.
  CHECK(Run(R"({{$v := 1}}{{define "x"}}{{$v}}{{end}})") == "ERR: template: t:1: undefined variable \"$v\"");
  CHECK(Run(R"({{define "x"}}{{$labels.job}}{{end}})") == "ERR: template: t:1: undefined variable \"$labels\"");
  // Variables declared in a define stay inside it; one declared in the call's pipeline persists.
  CHECK(Run(R"({{define "x"}}{{$a := 5}}{{$a}}{{end}}{{template "x"}}{{$a}})") ==
        "ERR: template: t:1: undefined variable \"$a\"");
  CHECK(Run(R"({{define "x"}}{{.}}{{end}}{{template "x" $p := "q"}}-{{$p}})") == "q-q");
  // A called template's assignments do not reach the caller's variables of the same name.
  CHECK(Run(R"({{define "x"}}{{$s := "in"}}{{$s = "in2"}}{{$s}}{{end}}{{$s := "out"}}{{template "x"}}{{$s}})") ==
        "in2out");
}

TEST_CASE("block defines a template and runs it in place") {
  CHECK(Run(R"(a{{block "b" "x"}}[{{.}}]{{end}}c)") == "a[x]c");
  CHECK(Run(R"({{block "b" 1}}[{{.}}]{{end}}{{template "b" 2}})") == "[1][2]");
  CHECK(Expand(R"({{block "svc" .Labels}}{{.service}}{{end}}@{{$labels.job}})") == "svc-checkout@api");
  // A block may sit inside other actions and inside a define; its body is registered either way.
  CHECK(Run(R"({{if false}}{{block "b" .}}B{{end}}{{end}}{{template "b"}})") == "B");
  CHECK(Run(R"({{define "x"}}<{{block "y" .}}y{{.}}{{end}}>{{end}}{{template "x" 1}}{{template "y" 2}})") == "<y1>y2");
  // Its body is a template of its own: only "$" is declared, break is outside any range.
  CHECK(Run(R"({{$v := 1}}{{block "b" .}}{{$v}}{{end}})") == "ERR: template: t:1: undefined variable \"$v\"");
  CHECK(Run(R"({{range $labels}}{{block "b" .}}{{break}}{{end}}{{end}})") ==
        "ERR: template: t:1: {{break}} outside {{range}}");
  CHECK(Run(R"({{block "b"}}x{{end}})") == "ERR: template: t:1: missing value for block clause");
  CHECK(Run(R"({{block "b" .}}x{{else}}y{{end}})") == "ERR: template: t:1: unexpected {{else}} in block clause");
}

TEST_CASE("multiple definitions") {
  CHECK(Run(R"({{define "a"}}x{{end}}{{define "a"}}y{{end}})") ==
        "ERR: template: t:1: template: multiple definition of template \"a\"");
  CHECK(Run("{{define \"a\"}}x{{end}}\n{{block \"a\" .}}y{{end}}") ==
        "ERR: template: t:2: template: multiple definition of template \"a\"");
  // The top-level template has the parse's name (and is never empty: Prometheus' header).
  CHECK(Run(R"({{define "t"}}x{{end}})") == "ERR: template: t:1: template: multiple definition of template \"t\"");
  // As in Go's Tree.add, an empty (white space) body neither conflicts nor replaces.
  CHECK(Run(R"({{define "a"}}x{{end}}{{define "a"}} {{end}}{{template "a"}})") == "x");
  CHECK(Run(R"({{define "a"}}{{end}}{{define "a"}}y{{end}}{{template "a"}})") == "y");
  CHECK(Run(R"({{define "a"}}{{/* c */}}{{end}}{{define "a"}}{{end}}[{{template "a"}}])") == "[]");
}

TEST_CASE("parse errors of define, template and block read like Go's") {
  CHECK(Run(R"({{if true}}{{define "a"}}x{{end}}{{end}})") == "ERR: template: t:1: unexpected <define> in command");
  CHECK(Run(R"({{define "a"}}{{define "b"}}{{end}}{{end}})") == "ERR: template: t:1: unexpected <define> in command");
  CHECK(Run(R"({{define a}}{{end}})") == "ERR: template: t:1: unexpected \"a\" in define clause");
  CHECK(Run(R"({{define "a" 1}}{{end}})") == "ERR: template: t:1: unexpected \"1\" in define clause");
  CHECK(Run(R"({{define}}{{end}})") == "ERR: template: t:1: unexpected \"}}\" in define clause");
  CHECK(Run(R"({{define "a"}}x{{else}}y{{end}})") == "ERR: template: t:1: unexpected {{else}} in define clause");
  CHECK(Run("{{define \"a\"}}\nx") == "ERR: template: t:2: unexpected EOF");
  CHECK(Run(R"({{define "a"}}{{break}}{{end}})") == "ERR: template: t:1: {{break}} outside {{range}}");
  CHECK(Run(R"({{template}})") == "ERR: template: t:1: unexpected \"}}\" in template clause");
  CHECK(Run(R"({{template .}})") == "ERR: template: t:1: unexpected <.> in template clause");
  CHECK(Run(R"({{template "a" | }})") == "ERR: template: t:1: unexpected \"|\" in template clause");
  CHECK(Run(R"({{block 1 .}}{{end}})") == "ERR: template: t:1: unexpected \"1\" in block clause");
  CHECK(Run(R"({{template "a" nosuch}})") == "ERR: template: t:1: function \"nosuch\" not defined");
  CHECK(Run(R"({{define "a\q"}}{{end}})") == "ERR: template: t:1: invalid syntax");
}

TEST_CASE("execution errors name the template being executed") {
  CHECK(Run("\n{{template \"nope\"}}") ==
        "ERR: template: t:2:11: executing \"t\" at <{{template \"nope\"}}>: template \"nope\" not defined");
  CHECK(Run("\n{{template \"nope\" .Labels.job}}") ==
        "ERR: template: t:2:11: executing \"t\" at <{{template \"nope\" .Labels.job}}>: template \"nope\" not defined");
  CHECK(Expand("\n{{template \"nope\"}}") ==
        "<error expanding template: error executing template __alert_Test: template: __alert_Test:2:11: executing "
        "\"__alert_Test\" at <{{template \"nope\"}}>: template \"nope\" not defined>");
  // Inside a called template the location is still the parse's (name:line:col), the quoted name
  // is the defined template's; after the call returns it is the caller's again.
  CHECK(Run("{{define \"a\"}}\n  {{nil}}{{end}}{{template \"a\"}}") ==
        "ERR: template: t:2:4: executing \"a\" at <nil>: nil is not a command");
  CHECK(Run("{{define \"a\"}}a{{end}}{{template \"a\"}}\n {{nil}}") ==
        "ERR: template: t:2:3: executing \"t\" at <nil>: nil is not a command");
  CHECK(Run("{{define \"a\"}}{{end}}\n{{template \"a\" 1 2}}") ==
        "ERR: template: t:2:15: executing \"t\" at <1>: can't give argument to non-function 1");
}

// template_internal.h's kMaxExecDepth: template calls plus if/with/range bodies being executed.
constexpr int kExecDepth = 1000;
const std::string kTooDeep = "exceeded maximum template depth (" + std::to_string(kExecDepth) + ")";

TEST_CASE("recursion is bounded and never overflows the stack") {
  // Endless recursion stops at the depth limit with Go's message.
  CHECK(Run(R"({{define "a"}}{{template "a" .}}{{end}}{{template "a" .}})").ends_with(kTooDeep));
  CHECK(Run("\n{{define \"a\"}}{{template \"a\" .}}{{end}}{{template \"a\" .}}") ==
        "ERR: template: t:2:25: executing \"a\" at <{{template \"a\" .}}>: " + kTooDeep);
  // Calling the top-level template from itself is the same.
  CHECK(Run(R"(x{{template "t" .}})").ends_with(kTooDeep));
  // Recursion that terminates works up to the limit (each level is an if and a call).
  std::string grow = R"({{define "g"}}{{if lt (len .) N}}{{template "g" (printf "%sx" .)}}{{else}}{{len .}})"
                     R"({{end}}{{end}}{{template "g" ""}})";
  std::string ok = grow;
  ok.replace(ok.find('N'), 1, std::to_string(kExecDepth / 2 - 1));
  CHECK(Run(ok) == std::to_string(kExecDepth / 2 - 1));
  std::string too_deep = grow;
  too_deep.replace(too_deep.find('N'), 1, std::to_string(kExecDepth / 2));
  CHECK(Run(too_deep).ends_with(kTooDeep));
  // Each level nests as deep as the parser allows: the limit counts those bodies too, so the
  // stack stays bounded whatever the mix (ranges have the largest frames).
  for (const char* control : {"{{with .}}", "{{if .}}", "{{range args .}}"}) {
    std::string nested = R"({{define "n"}})";
    for (int i = 0; i < 95; ++i) nested += control;
    nested += R"({{template "n" .}})";
    for (int i = 0; i < 95; ++i) nested += "{{end}}";
    nested += R"({{end}}{{template "n" 1}})";
    CHECK(Run(nested).ends_with(kTooDeep));
  }
  // Exponential fan-out of calls without a base case still ends at the first deep path.
  CHECK(Run(R"({{define "f"}}{{template "f"}}{{template "f"}}{{end}}{{template "f"}})").ends_with(kTooDeep));
  // Blocks nested in blocks count toward the parser's nesting limit.
  std::string blocks;
  for (int i = 0; i < 3000; ++i) blocks += "{{block \"b" + std::to_string(i) + "\" .}}";
  CHECK(Run(blocks).ends_with("max expression depth exceeded"));
}

TEST_CASE("each parse has its own templates; a parsed template is reusable") {
  Result<Template> a = Template::Parse("a", R"({{define "x"}}A{{.}}{{end}}{{template "x" $value}})");
  Result<Template> b = Template::Parse("b", R"({{template "x"}})");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  TemplateData d = Data();
  CHECK(a->Execute(d, {}).value() == "A0.25");
  d.value = 3;
  CHECK(a->Execute(d, {}).value() == "A3");
  Result<std::string> out = b->Execute(d, {});
  REQUIRE(!out.ok());
  CHECK(out.status().message().ends_with("template \"x\" not defined"));
  Template moved = std::move(a).value();
  CHECK(moved.Execute(d, {}).value() == "A3");
}

}  // namespace
}  // namespace gnomon::gotemplate
