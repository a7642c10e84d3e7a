// A LogQL pipeline compiled for running on lines (the stages after a stream selector, ast.h).
//
// A log query's pipeline runs per line, in order: line filters (line_filter.h); `| json` (the
// top-level fields, nested objects flattened with `_`, arrays skipped; `| json a="x.y[0]"` takes
// only the named paths); `| logfmt`; label filters (string matchers, numbers and Go durations
// compared with and/or); `| line_format` (Go text/template, labels as `.name`); `| drop` /
// `| keep`. A line's labels are its stream's plus the extracted ones; extracted names are
// sanitised as Loki's (every character outside [A-Za-z0-9_] becomes `_`, a leading digit gets a
// `_` prefix) and get an `_extracted` suffix when they clash with a stream label. A line a parser
// cannot read gets `__error__="JSONParserErr"` / `"LogfmtParserErr"`, a number or duration label
// filter that cannot read its label `__error__="LabelFilterErr"` (the line is kept, as in Loki).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"
#include "logs/logql/ast.h"

namespace gnomon::logs::logql {

// A compiled pipeline. Immutable after Compile; one Pipeline may be shared by threads.
class Pipeline {
 public:
  // kInvalidArgument if a line_format template does not parse (Go's message).
  static Result<Pipeline> Compile(const std::vector<Stage>& stages);

  // Runs every stage on `*line` whose stream labels are `*labels` (sorted). False: the line is
  // filtered out. True: `*line` is the final line and `*labels` its final labels, sorted.
  bool Process(std::string* line, Labels* labels) const;

  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  ~Pipeline();

  struct Impl;

 private:
  explicit Pipeline(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Loki's sanitizeLabelKey: characters outside [A-Za-z0-9_] become '_'; with `is_prefix`, a
// leading digit gets a '_' in front.
std::string SanitizeLabelName(std::string_view name, bool is_prefix);

}  // namespace gnomon::logs::logql
