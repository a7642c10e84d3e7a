// Series identity and samples: the data model every other header speaks.
//
// A series is identified by its label set. The metric name is the label "__name__". Label names
// follow Prometheus' rules ([a-zA-Z_][a-zA-Z0-9_]*, and the metric name [a-zA-Z_:][a-zA-Z0-9_:]*);
// values are UTF-8. A Labels value handed to Gnomon need not be sorted; everything Gnomon hands
// back is sorted by name with no duplicates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gnomon {

inline constexpr const char* kMetricNameLabel = "__name__";

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};

using Labels = std::vector<Label>;

// The engine's handle for a series, as Prometheus' storage.SeriesRef: DB::Write hands one back for
// each entry of a batch, and a later batch may name the series by it (WriteBatch::Add(SeriesRef,
// ...)) instead of its labels, skipping their encoding and lookup. A ref is valid for the life of
// the DB object that gave it (not across a reopen, nor for another DB). 0 is no series.
using SeriesRef = uint64_t;

// One observation: milliseconds since the Unix epoch, and a value. Any double is a valid value,
// including NaN, ±Inf and Prometheus' stale marker; Gnomon stores the bit pattern exactly.
struct Sample {
  int64_t timestamp = 0;
  double value = 0;
};

}  // namespace gnomon
