// Label-set helpers: validation against Prometheus' naming rules and the configured limits, and
// the canonical byte form used as a series' identity in memory and in RocksDB.
#pragma once

#include <string>
#include <string_view>

#include "gnomon/options.h"
#include "gnomon/series.h"
#include "gnomon/status.h"

namespace gnomon::index {

// Prometheus' naming rules: label names [a-zA-Z_][a-zA-Z0-9_]*, metric names [a-zA-Z_:][a-zA-Z0-9_:]*.
bool IsValidLabelName(std::string_view name);
bool IsValidMetricName(std::string_view name);

// Sorts by name. Does not check for duplicates (ValidateLabels does).
void SortLabels(Labels* labels);

// Checks a sorted label set: __name__ present and valid, label names valid, no duplicate names,
// values valid UTF-8 without NUL, empty values are dropped by the caller beforehand (a label with
// an empty value is the same as no label), and the Limits. The error message names the label and
// the rule it breaks, e.g. `label name "1abc" is invalid: must match [a-zA-Z_][a-zA-Z0-9_]*`.
// Names starting with "__" other than __name__ are reserved and rejected; a label with an empty
// value, or unsorted input, is rejected too. Rule violations are InvalidArgument; exceeding a
// Limit is ResourceExhausted with the size and the limit, e.g.
// `label "job": value is 5000 bytes, limit is 4096`.
Status ValidateLabels(const Labels& sorted_labels, const Limits& limits);

// Removes labels whose value is empty (Prometheus treats them as absent).
void DropEmptyLabels(Labels* labels);

// The canonical encoding of a sorted label set: for each label, varint(len) name varint(len)
// value. Equal label sets have equal encodings.
std::string EncodeLabels(const Labels& sorted_labels);
void AppendEncodedLabels(const Labels& sorted_labels, std::string* out);
// Corruption (and *out untouched) for truncated or malformed input, non-minimal varints, empty
// names, or names not strictly increasing; never reads outside `encoded`.
// Reads one length-prefixed string of an encoding (a varint length, then the bytes) into *s, a
// view into *in, and advances *in past it; false if *in is truncated or malformed.
bool ReadStringView(std::string_view* in, std::string_view* s);
Status DecodeLabels(std::string_view encoded, Labels* out);
// Like DecodeLabels, but with check_order false it checks only the framing, so a label set that
// was encoded before validation (WriteBatch) can be decoded and then given to ValidateLabels.
Status DecodeLabelsFraming(std::string_view encoded, bool check_order, Labels* out);

// A label set as text. Prometheus prints label sets in two layouts, and both are needed: PromQL's
// error messages and promtool's test output use labels.Labels.String(), Gnomon's own validation
// messages the metric-name-first form of model.Metric.String(). Both escape as Go's %q does
// (strconv.Quote, util/go_strconv.h: \" \\ \n, \xHH for invalid UTF-8, \u for unprintable runes) and
// quote a name that is not a valid label name.
//
// LabelsToString: labels.Labels.String(), every label inside the braces, in the given order:
//   {__name__="up", job="api"}   {}
std::string LabelsToString(const Labels& labels);
// MetricToString: model.Metric.String(), a valid metric name before the braces:
//   up{job="api"}   up   {__name__="a b", x="1"}   {}
std::string MetricToString(const Labels& labels);

// `s` quoted like a label value above, cut short with "..." after `max_bytes` bytes: safe to embed
// any user-supplied string in a message.
std::string QuoteForMessage(std::string_view s, size_t max_bytes = 128);

}  // namespace gnomon::index
