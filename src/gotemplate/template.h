// gotemplate: Go's text/template as Prometheus uses it for alert labels and annotations, with Go's
// fmt (go_format.h) for printf and value printing; strconv's part is util/go_strconv.h. It owns
// the template language only: it may call util/ and the engine's public types (gnomon/series.h,
// gnomon/status.h), never alert/ or query/ (a `query` call goes through the caller's QueryFunc).
//
// A Template is parsed once (Parse) and executed per alert (Execute). Execution sees the alert's
// data the way Prometheus' templates do: `.Labels`, `.Value`, `.ExternalLabels`, `.ExternalURL`,
// and the variables `$labels`, `$value`, `$externalLabels`, `$externalURL` (Prometheus defines
// them in a header it prepends to every alert template). The language covers actions `{{ }}` with
// trim markers `{{-`/`-}}` and comments, pipelines, parenthesised commands, variables (`:=`, `=`),
// field and map access (`$labels.instance`, `.Labels.job`), `if`/`else if`/`else`, `with`/`else`,
// `range` (with `$i, $x :=`) and `end`, named templates (`define` at top level, `template` with or
// without a pipeline, `block`; names are local to one Parse, a called template sees only `$`, its
// dot); Go's builtins (printf with Go's verbs, print, println, len, index, eq, ne, lt, le, gt, ge,
// and, or, not, html, js, urlquery) and Prometheus' functions (query, first, label, value,
// strvalue, sortByLabel, args, reReplaceAll, match, title, toUpper, toLower, safeHtml, stripPort,
// stripDomain, humanize, humanize1024, humanizeDuration, humanizePercentage, humanizeTimestamp,
// pathPrefix, externalURL, parseDuration, toTime, graphLink, tableLink).
//
// Values print as Go's fmt prints them: a float64 with %v is strconv's shortest 'g' form, the
// exponent form when the decimal exponent is below -4 or at least 6 (so 1e6 prints as "1e+06",
// 1234567 as "1.234567e+06"), a missing map key as "" (Prometheus' templates use missingkey=zero
// on map[string]string). Not supported: Go's slice and call builtins. Execution nesting (template
// calls plus if/with/range bodies) stops at 1000 levels, where Go allows 100000 template calls.
//
// Errors are Status values, never exceptions: Parse reports the template's name, the line and
// what is wrong; Execute reports run-time errors (a failed query, a call with the wrong arguments,
// indexing a non-map). ExpandAlertTemplate folds both into the text Prometheus shows.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"

namespace gnomon::gotemplate {

// One element of a `query` result as templates see it: `.Labels` (a map) and `.Value`.
struct QuerySample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Runs a PromQL instant query (at the alert's evaluation time) for the `query` function.
using QueryFunc = std::function<Result<std::vector<QuerySample>>(std::string_view expr)>;

// What one alert's templates see.
struct TemplateData {
  std::map<std::string, std::string> labels;           // .Labels, $labels
  double value = 0;                                     // .Value, $value
  std::map<std::string, std::string> external_labels;  // .ExternalLabels, $externalLabels
  std::string external_url;                             // .ExternalURL, $externalURL
};

class Template {
 public:
  // Parses `text`; `name` appears in error messages (Prometheus uses e.g. "__alert_HighLoad").
  static Result<Template> Parse(std::string_view name, std::string_view text);

  // Runs the template. `query` may be empty: then a `query` call fails with an error.
  Result<std::string> Execute(const TemplateData& data, const QueryFunc& query) const;

  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

  struct Impl;  // the parsed tree (template.cc)

 private:
  explicit Template(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Parse + Execute for one alert label or annotation. On any error returns Prometheus' text:
// "<error expanding template: MESSAGE>".
std::string ExpandAlertTemplate(std::string_view name, std::string_view text, const TemplateData& data,
                                const QueryFunc& query);

// The same for a template parsed once beforehand (`parsed` is Template::Parse's result), so that a
// rule does not parse its templates again for every alert.
std::string ExpandAlertTemplate(std::string_view name, const Result<Template>& parsed, const TemplateData& data,
                                const QueryFunc& query);

}  // namespace gnomon::gotemplate
