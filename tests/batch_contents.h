// Test helpers for ingest parsers: what a WriteBatch holds, with labels decoded back from their
// canonical form, and bit-exact double comparison.
#pragma once

#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <vector>

#include "gnomon/write_batch.h"
#include "index/labels_util.h"

namespace gnomon::testing {

struct Series {
  Labels labels;
  std::vector<Sample> samples;
};

// The batch's entries, labels decoded back from their canonical form.
inline std::vector<Series> Contents(const WriteBatch& batch) {
  std::vector<Series> out;
  for (size_t i = 0; i < batch.num_entries(); ++i) {
    Series s;
    Status st = index::DecodeLabelsFraming(batch.EncodedLabels(i), false, &s.labels);
    REQUIRE(st.ok());
    auto span = batch.SamplesOf(i);
    s.samples.assign(span.begin(), span.end());
    out.push_back(std::move(s));
  }
  return out;
}

inline bool SameBits(double a, double b) { return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b); }

}  // namespace gnomon::testing
