// The label set of one log line while a LogQL pipeline runs (internal to src/logs/logql): a
// small unsorted vector, sorted once the pipeline is done.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "gnomon/series.h"

namespace gnomon::logs::logql {

// The value of label `name`, or null.
inline const std::string* Get(const Labels& ls, std::string_view name) {
  for (const Label& l : ls) {
    if (l.name == name) return &l.value;
  }
  return nullptr;
}

// Sets label `name` (adding it when absent).
inline void Set(Labels* ls, std::string_view name, std::string value) {
  for (Label& l : *ls) {
    if (l.name == name) {
      l.value = std::move(value);
      return;
    }
  }
  ls->push_back({std::string(name), std::move(value)});
}

// Sorts by name (names are unique).
inline void SortLabels(Labels* ls) {
  std::sort(ls->begin(), ls->end(), [](const Label& a, const Label& b) { return a.name < b.name; });
}

}  // namespace gnomon::logs::logql
