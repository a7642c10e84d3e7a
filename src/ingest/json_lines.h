// VictoriaMetrics' JSON line format, used by /api/v1/import and /api/v1/export:
//   {"metric":{"__name__":"x","job":"a"},"values":[1.5,2],"timestamps":[1700000000000,1700000010000]}
// one object per line. Values may also be the strings "NaN", "+Inf", "-Inf" (and "Inf"); export
// writes non-finite values that way.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"
#include "gnomon/write_batch.h"

namespace gnomon::ingest {

struct JsonLineError {
  size_t line = 0;  // 1-based
  std::string reason;
};

struct JsonImportResult {
  size_t lines = 0;
  size_t samples = 0;
  size_t rejected_lines = 0;
  std::vector<JsonLineError> errors;  // at most max_errors kept
};

// Parses every line of `body`, appending valid lines' samples to *batch; invalid lines (bad JSON,
// missing fields, values/timestamps of different lengths, non-numeric values) are reported and
// skipped. Blank lines are skipped and not counted in `lines`; a trailing '\r' is ignored.
// Reasons read e.g. `invalid JSON: syntax error ...`, `missing "metric"`,
// `values and timestamps have different lengths (3 vs 2)`, `value 2 is not a number` (array
// indexes count from 0). Label values that are empty are dropped (as in remote_write); a metric
// left without labels is rejected. Values: JSON numbers or "NaN", "Inf", "+Inf", "-Inf",
// "Infinity", "+Infinity", "-Infinity". Timestamps: integer milliseconds; an integral float such as
// 1.7e12 is accepted, a fractional or out-of-range one is not.
JsonImportResult ParseJsonLines(std::string_view body, WriteBatch* batch, size_t max_errors = 100);

// Appends one export line (with trailing '\n') for a series to *out. Numbers are written in the
// shortest form that round-trips (ParseJsonLines reads back the same bits for every finite value,
// -0.0 included); non-finite values as "NaN", "+Inf", "-Inf", so NaN payloads such as Prometheus'
// stale marker are not preserved. Labels are written in the order given, escaped as JSON strings;
// bytes >= 0x80 are copied as they are (label values are UTF-8).
void AppendJsonLine(const Labels& labels, std::span<const Sample> samples, std::string* out);

}  // namespace gnomon::ingest
