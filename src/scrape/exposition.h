// Exposition-format parsers: what a scraped target's body holds, as Prometheus 2.42's textparse reads
// it (model/textparse/promparse.go and openmetricsparse.go). Owns the two text grammars and nothing
// else: no HTTP, no gzip (the HTTP client decodes bodies), no target labels, relabelling or limits
// (the scrape loop's). Calls go_parsing.h (Go's ParseFloat, utf8.Valid, ParseMediaType) and util/.
//
// Contract. A body is parsed whole or not at all: the first malformed entry fails the parse with
// kInvalidArgument "line N: reason" (N is 1-based, the line where the entry starts), as a bad body
// fails the whole scrape in Prometheus and nothing of it is stored. On success every sample becomes:
//   - labels: "__name__" first, then the others sorted by name. A label with an empty value is left
//     out, and so is every other label of that name in the same sample (Prometheus' label builder
//     deletes empty-valued names before relabelling). Duplicate label names, and "__name__" inside the
//     braces, are errors (in 2.42 the head rejects such a sample, which fails the scrape). Values are
//     unescaped (\\ \" \n; any other escape is kept as written) and must be valid UTF-8.
//   - value: Go's strconv.ParseFloat without '_', 'p' or 'P' (so no hex floats); NaN, ±Inf, Inf and
//     Infinity in any case; every NaN is Prometheus' normal NaN (0x7ff8000000000001, never the stale
//     marker); an overflowing value ("1e999") is an error, an underflowing one is 0.
//   - timestamp_ms: absent unless written. Text format: integer milliseconds (digits only, so not
//     negative). OpenMetrics: seconds as a float (fractions, exponents, negatives), times 1000 and
//     truncated toward zero as Go's int64(ts*1000) (out of int64 range: INT64_MIN, as on amd64);
//     NaN and ±Inf are errors.
// Histogram and summary series (_bucket, _sum, _count, quantile) and OpenMetrics' _created, _info and
// stateset series are ordinary samples, as in 2.42 (which has no created-timestamp handling yet).
// HELP, TYPE and UNIT lines are checked as Prometheus checks them (a known TYPE; HELP text valid
// UTF-8; a UNIT a suffix of its metric's name after '_') and then skipped. A series written twice is
// returned twice (Prometheus stores the first value and counts the rest as duplicates).
//
// Text format (kPrometheusText): blank lines, '#' comments (indented too) and spaces or tabs between
// tokens (even before the value, inside the braces and at the end of a line) are fine, but not before
// a sample's metric name (2.42 makes them part of the name, then invalid); commas between labels
// are optional and one trailing comma is allowed; a label value may hold a raw newline; the last line
// needs no '\n'. '\r' is not a line ending: "1\r" is not a number and "counter\r" not a type, so a
// CRLF body fails as it does in Prometheus. A NUL byte at the start of a line ends the body (the rest
// is ignored), as 2.42's lexer does. Exemplars are not part of this format (an error, as in 2.42).
//
// OpenMetrics (kOpenMetrics): single spaces only (no tabs, no blank lines, no trailing space);
// comments other than "# HELP", "# TYPE", "# UNIT" are errors; no trailing comma in braces; the body
// must end with "# EOF" (optionally followed by one '\n') and nothing after it. An exemplar
// (` # {trace_id="x"} 1.0 [ts]`) may follow the value or timestamp of a *_total or *_bucket sample
// only (elsewhere it is an error, as in 2.42); it is checked like a sample, then dropped unless
// ParseOptions::keep_exemplars.
//
// Deliberate differences from 2.42, all in inputs no exporter writes: a NUL byte is accepted only
// inside label values (sample labels; not exemplar labels, as in 2.42), HELP/TYPE/UNIT text and
// comments, and at the start of a text-format line; 2.42 also skips NULs at a few token boundaries
// (and then mis-slices the label value). Exemplar label values are unescaped like sample label values
// (2.42 keeps their escapes raw). A "__"-prefixed label name other than __name__ is accepted, as
// Prometheus stores it; the engine's own rules apply when the scrape loop writes the sample.
//
// Thread safety: the functions are pure; an ExpositionParser is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"

namespace gnomon::scrape {

enum class ExpositionFormat : uint8_t { kPrometheusText, kOpenMetrics };

// The parser Prometheus 2.42 picks for a response's Content-Type: a media type (Go's
// mime.ParseMediaType: case-insensitive, spaces around it ignored, parameters well formed and not
// repeated) of application/openmetrics-text is kOpenMetrics; anything else, an empty or a malformed
// header included, is kPrometheusText.
ExpositionFormat FormatFromContentType(std::string_view content_type);

struct Exemplar {
  Labels labels;  // sorted by name, as written (duplicates and empty values kept, as 2.42)
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

struct ScrapedSample {
  Labels labels;  // "__name__" first, then the others sorted by name (see the contract above)
  double value = 0;
  std::optional<int64_t> timestamp_ms;
  std::optional<Exemplar> exemplar;  // only with ParseOptions::keep_exemplars
};

struct ParseOptions {
  // Keep OpenMetrics exemplars in ScrapedSample::exemplar. Default: dropped (they are still checked,
  // and a malformed one still fails the parse).
  bool keep_exemplars = false;
  // An entry (a sample with its exemplar, a HELP/TYPE/UNIT line, a comment; its '\n' not counted)
  // longer than this many bytes fails the parse. 0, the default, means no limit, as Prometheus (the HTTP client's body
  // limit bounds the total).
  size_t max_line_bytes = 0;
};

// Parses a whole body. On success, the samples in the order they were written; on the first
// malformed entry, kInvalidArgument "line N: reason" and no samples.
Result<std::vector<ScrapedSample>> ParseExposition(std::string_view body, ExpositionFormat format,
                                                   const ParseOptions& options = {});

// The same parser, one sample at a time and without allocating per sample: what a scrape loop uses
// to skip building label sets it has already seen. series_text() is the sample's metric name and
// label block exactly as written (Prometheus' scrape cache key): equal texts always give equal
// labels, so a caller may cache whatever it derives from ReadLabels() under that text.
//
//   ExpositionParser parser(body, format);
//   while (parser.Next()) { ... parser.series_text(), parser.value() ... }
//   if (!parser.status().ok()) ... the body is malformed; discard what was read ...
//
// The parser keeps views into `body`, which must outlive it. Accessors other than status() and
// line() may be called only after Next() returned true, and describe that sample until the next call.
class ExpositionParser {
 public:
  ExpositionParser(std::string_view body, ExpositionFormat format, const ParseOptions& options = {});

  ExpositionParser(const ExpositionParser&) = delete;
  ExpositionParser& operator=(const ExpositionParser&) = delete;

  // Moves to the next sample and returns true, or returns false at the end of the body (status()
  // OK) or at the first malformed entry (status() is kInvalidArgument "line N: reason"). Once it has
  // returned false it keeps returning false.
  bool Next();
  const Status& status() const { return status_; }

  std::string_view series_text() const { return series_; }
  std::string_view metric_name() const { return name_; }
  double value() const { return value_; }
  std::optional<int64_t> timestamp_ms() const { return has_ts_ ? std::optional<int64_t>(ts_) : std::nullopt; }
  // Sets *out to the sample's labels (as ScrapedSample::labels), reusing its strings' capacity.
  void ReadLabels(Labels* out) const;
  // Whether the sample carries an OpenMetrics exemplar (whatever keep_exemplars says), and it.
  bool has_exemplar() const { return has_exemplar_; }
  void ReadExemplar(Exemplar* out) const;
  // The 1-based line where the current sample (or, after an error, the failed entry) starts.
  size_t line();

 private:
  struct LabelRef {
    std::string_view name;
    std::string_view raw_value;  // between the quotes, escapes not yet undone
    bool escaped = false;
  };

  bool NextText();
  bool NextOpenMetrics();
  bool TextComment(const char* p);
  bool TextSample(const char* p);
  bool OpenMetricsMeta(const char* p, int kind);
  bool OpenMetricsSample(const char* p);
  bool OpenMetricsExemplar(const char* p);
  // Reads an OpenMetrics timestamp (seconds, a float) starting at *p into *ms and moves *p past
  // it; `what` names it in the error ("timestamp", "exemplar timestamp").
  bool OpenMetricsTimestamp(const char** p, const char* what, int64_t* ms);
  // Parses `{...}` at p (at the '{'); text-format rules when `loose`, OpenMetrics' otherwise.
  const char* ParseLabels(const char* p, bool loose, bool allow_nul, std::vector<LabelRef>* out);
  bool FinishSample(const char* eol);
  bool Finish();
  // Records "line N: reason" (N: the line where the current entry starts) and ends the parse.
  bool Fail(std::string reason);

  const char* const begin_;
  const char* const end_;
  const ExpositionFormat format_;
  const ParseOptions options_;
  const char* p_;
  const char* entry_;
  bool done_ = false;
  Status status_;
  // Line counting, incremental: line_ is the line of counted_to_.
  const char* counted_to_;
  size_t line_ = 1;

  std::string_view series_, name_;
  std::vector<LabelRef> labels_;
  double value_ = 0;
  int64_t ts_ = 0;
  bool has_ts_ = false;
  bool has_exemplar_ = false;
  std::vector<LabelRef> exemplar_labels_;
  double exemplar_value_ = 0;
  int64_t exemplar_ts_ = 0;
  bool exemplar_has_ts_ = false;
};

}  // namespace gnomon::scrape
