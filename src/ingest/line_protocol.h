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
// (InfluxDB's partial-write semantics). Label names that are not valid Prometheus names are
// rejected by the engine, not here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/status.h"
#include "gnomon/write_batch.h"

namespace gnomon::ingest {

enum class Precision : uint8_t { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds, kMinutes, kHours };

// Accepts "ns", "n", "u", "us", "µs", "ms", "s", "m", "h" (InfluxDB 1.x and 2.x spellings); "" = ns.
Result<Precision> ParsePrecision(std::string_view text);

struct LineError {
  size_t line = 0;      // 1-based
  std::string reason;   // e.g. `invalid field value "12x" for field "usage"`
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
};

// Parses `body` and appends its samples to *batch, grouped so that each series' samples are one
// contiguous batch entry (cheap for the engine to resolve).
LineProtocolResult ParseLineProtocol(std::string_view body, const LineProtocolOptions& options, WriteBatch* batch);

}  // namespace gnomon::ingest
