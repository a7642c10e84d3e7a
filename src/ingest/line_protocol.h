// InfluxDB line protocol parser: turns a request body into samples, VictoriaMetrics-style.
//
//   measurement[,tag=value...] field=value[,field=value...] [timestamp]
//
// Each numeric field becomes the series `<measurement>_<field>` with the tags as labels (a field
// named "value" still maps to `<measurement>_value`). Floats, integers (`12i`), unsigned (`12u`) and
// booleans (t/T/true/True/TRUE/f/...: 1 or 0) are stored; string fields are skipped and counted.
// Escapes follow InfluxDB: `\,` `\ ` `\=` in measurements, tag keys/values and field keys, `\"`
// and `\\` in string fields. A missing timestamp means `default_time_ms`. Invalid lines are
// reported with their 1-based line number and skipped; the valid lines are still returned
// (InfluxDB's partial-write semantics). Because DB::Write rejects a whole batch when one label set
// is invalid, every label set is checked here, per line, with the engine's rules (Prometheus names,
// reserved "__" prefix, UTF-8 values, Limits): a tag key such as "host-name" or a field that makes
// an invalid metric name rejects its line with a reason, instead of being sanitized as
// VictoriaMetrics does. Tags with empty values and duplicate tag keys are invalid, as in InfluxDB.
// A line is all or nothing: if one field is invalid, none of its fields is stored.
// Lines are split at every '\n' (a string field cannot hold a raw newline); a trailing '\r', blank
// lines and lines starting with '#' are ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/options.h"
#include "gnomon/status.h"
#include "gnomon/write_batch.h"

namespace gnomon::ingest {

enum class Precision : uint8_t { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds, kMinutes, kHours };

// Accepts "ns", "n", "u", "us", "µs", "ms", "s", "m", "h" (InfluxDB 1.x and 2.x spellings); "" = ns.
Result<Precision> ParsePrecision(std::string_view text);

struct LineError {
  size_t line = 0;      // 1-based
  std::string reason;   // e.g. `invalid field value "12x" for field "usage"` (no "line N: " prefix)
};

struct LineProtocolResult {
  size_t lines = 0;                  // non-empty, non-comment lines seen
  size_t samples = 0;                // samples added to the batch
  size_t rejected_lines = 0;
  size_t skipped_string_fields = 0;
  std::vector<LineError> errors;     // at most max_errors kept; rejected_lines counts all
};

struct LineProtocolOptions {
  Precision precision = Precision::kNanoseconds;
  int64_t default_time_ms = 0;
  size_t max_errors = 100;
  // Label sets breaking these limits reject their line (the engine would reject the whole batch).
  Limits limits;
};

// Parses `body` and appends its samples to *batch, grouped so that each series' samples are one
// contiguous batch entry (cheap for the engine to resolve).
LineProtocolResult ParseLineProtocol(std::string_view body, const LineProtocolOptions& options, WriteBatch* batch);

}  // namespace gnomon::ingest
