// The head (storage/head/head.h): runs are kept only for series holding unsealed samples, so
// series replaced by new ones (pods restarted) leave the head's memory at the level of the active
// ones once sealed; reads, seal listings and the sealed-time bookkeeping stay exact across the
// reuse of run slots.
#include "storage/head/head.h"

#include <doctest/doctest.h>

#include <vector>

namespace gnomon::storage {
namespace {

constexpr uint64_t kSeries = 20000;

// Appends samples [t0, t0 + n) * 10 s to series [first, first + kSeries).
void AppendSeries(Head* head, uint64_t first, int64_t t0, int n) {
  std::vector<Sample> samples;
  for (int i = 0; i < n; ++i) samples.push_back({(t0 + i) * 10'000, static_cast<double>(i)});
  std::vector<WalEntry> entries;
  for (uint64_t ref = first; ref < first + kSeries; ++ref) entries.push_back({ref, samples});
  std::vector<size_t> cuts;
  head->AppendAll(entries, 1, &cuts);
}

// Seals everything the head holds, as Flush does.
void SealAll(Head* head) {
  for (auto [ref, n] : head->SeriesOlderThan(UINT32_MAX)) head->DropPrefix(ref, n, 2);
}

TEST_CASE("sealed series keep no run: churned series leave the head at the level of the active ones") {
  Options options;
  Head head(options);
  head.MarkNew(1, kSeries);
  AppendSeries(&head, 1, 0, 3);
  CHECK(head.num_series_with_samples() == kSeries);
  CHECK(head.num_samples() == 3 * kSeries);
  const uint64_t active = head.memory_bytes();
  SealAll(&head);
  CHECK(head.num_series_with_samples() == 0);
  CHECK(head.num_samples() == 0);
  const uint64_t sealed = head.memory_bytes();

  // As many new series, then sealed too: the old runs' slots are reused.
  head.MarkNew(kSeries + 1, kSeries);
  AppendSeries(&head, kSeries + 1, 3, 3);
  CHECK(head.num_series_with_samples() == kSeries);
  const uint64_t churned = head.memory_bytes();
  // What the old series still cost: their per-series words (12 bytes; vectors may double).
  CHECK(churned <= active + kSeries * 24);
  SealAll(&head);
  CHECK(head.memory_bytes() <= sealed + kSeries * 24);
  MESSAGE("head bytes: active ", active, ", sealed ", sealed, ", churned ", churned);
}

TEST_CASE("reads and seal listings stay exact across run slots reused by other series") {
  Options options;
  Head head(options);
  head.MarkNew(1, 3);
  const std::vector<Sample> a = {{1000, 1}, {2000, 2}};
  const std::vector<Sample> b = {{1500, 5}};
  head.Append(1, a, 1);
  head.Append(2, b, 1);
  std::vector<Sample> out;
  CHECK_FALSE(head.CopyRange(1, 0, 10'000, &out));  // new: no chunks yet
  CHECK(out.size() == 2);
  head.DropPrefix(1, 2, 2);  // series 1 sealed: its slot is free
  out.clear();
  CHECK(head.CopyRange(1, 0, 10'000, &out));  // chunks up to 2000 now
  CHECK(out.empty());
  CHECK_FALSE(head.CopyRange(1, 2001, 10'000, &out));
  head.Append(3, a, 2);  // takes series 1's slot
  out.clear();
  CHECK_FALSE(head.CopyRange(3, 0, 10'000, &out));
  CHECK(out.size() == 2);
  out.clear();
  head.CopyRange(1, 0, 10'000, &out);
  CHECK(out.empty());  // series 1 does not see series 3's samples
  auto listed = head.SeriesOlderThan(UINT32_MAX);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0] == std::pair<uint64_t, size_t>{2, 1});  // in ref order
  CHECK(listed[1] == std::pair<uint64_t, size_t>{3, 2});
  CHECK(head.SeriesOlderThan(2).size() == 1);  // series 2 from segment 1
  CHECK(head.OldestSegment(9) == 1);
  // Partly sealed: the rest stays, attributed to the new segment.
  const std::vector<Sample> c = {{3000, 3}};
  head.Append(1, c, 3);
  head.DropPrefix(3, 1, 3);
  out.clear();
  head.CopyRange(3, 0, 10'000, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].timestamp == 2000);
  out.clear();
  head.CopyRange(1, 0, 10'000, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].timestamp == 3000);
  // A series that existed at open and was not appended to: chunks of any time may exist.
  out.clear();
  CHECK(head.CopyRange(100, 0, 10, &out));
  int64_t mint = 0, maxt = 0;
  REQUIRE(head.TimeRange(&mint, &maxt));
  CHECK(mint == 1500);
  CHECK(maxt == 3000);
}

}  // namespace
}  // namespace gnomon::storage
