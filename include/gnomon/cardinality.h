// CardinalityStats: what the series index holds, for an operator looking for what makes the
// series count explode (the data of Prometheus' GET /api/v1/status/tsdb; DB::GetCardinality).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gnomon {

// Each list holds the top `limit` entries, largest first.
struct CardinalityStats {
  struct Entry {
    std::string name;
    uint64_t value = 0;
  };
  uint64_t num_series = 0;
  uint64_t num_label_pairs = 0;                         // distinct name=value pairs
  uint64_t head_series = 0;                             // series with unsealed samples (as many open chunks)
  int64_t head_min_time = 0;                            // their earliest unsealed sample, ms (0: none)
  int64_t head_max_time = 0;                            // their latest unsealed sample, ms (0: none)
  std::vector<Entry> series_count_by_metric_name;       // metric name -> series
  std::vector<Entry> label_value_count_by_label_name;   // label name -> distinct values
  std::vector<Entry> memory_in_bytes_by_label_name;     // label name -> bytes of its values over all series
  std::vector<Entry> series_count_by_label_value_pair;  // "name=value" -> series
};

}  // namespace gnomon
