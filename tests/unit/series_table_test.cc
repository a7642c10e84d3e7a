// The series table (storage/series_table.h): every registered series is found by its encoding and
// its ref, across the hash table's growth and the key blocks' boundaries; refs never registered
// (holes) are unknown; an encoding longer than a block is kept whole.
#include "storage/series_table.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace gnomon::storage {
namespace {

std::string KeyOf(uint64_t i) { return "series-" + std::to_string(i) + std::string(i % 97, 'x'); }

TEST_CASE("every series is found by its encoding and by its ref across growth and blocks") {
  SeriesTable table;
  constexpr uint64_t kSeries = 60000;  // several rehashes; ~4 MB of keys, several blocks
  std::vector<std::string> keys;
  for (uint64_t i = 1; i <= kSeries; ++i) keys.push_back(KeyOf(i));
  std::vector<std::pair<uint64_t, std::string_view>> first_half;
  for (uint64_t i = 1; i <= kSeries / 2; ++i) first_half.emplace_back(i, keys[i - 1]);
  table.InsertAll(first_half);
  for (uint64_t i = kSeries / 2 + 1; i <= kSeries; ++i) table.Insert(i, keys[i - 1]);
  CHECK(table.size() == kSeries);
  for (uint64_t i = 1; i <= kSeries; ++i) {
    REQUIRE(table.EncodedLabels(i) == keys[i - 1]);
    auto ref = table.Find(keys[i - 1]);
    REQUIRE(ref.has_value());
    REQUIRE(*ref == i);
  }
  CHECK_FALSE(table.Find("series-0").has_value());
  CHECK_FALSE(table.Find("").has_value());
  CHECK(table.EncodedLabels(0).empty());
  CHECK(table.EncodedLabels(kSeries + 1).empty());
  CHECK(table.memory_bytes() > 0);
}

TEST_CASE("refs skipped over are holes; an encoding longer than a block is kept whole") {
  SeriesTable table;
  table.Insert(1, "a");
  table.Insert(5, std::string(3 << 20, 'k'));  // refs 2-4 never used
  table.Insert(6, "b");
  CHECK(table.size() == 3);
  CHECK(table.EncodedLabels(3).empty());
  CHECK(table.EncodedLabels(5).size() == size_t{3} << 20);
  CHECK(table.Find(std::string(3 << 20, 'k')) == std::optional<uint64_t>(5));
  CHECK(table.EncodedLabels(6) == "b");
  Labels labels;
  CHECK(table.GetLabels(3, &labels).code() == Status::Code::kNotFound);
}

}  // namespace
}  // namespace gnomon::storage
