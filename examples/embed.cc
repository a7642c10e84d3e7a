// A program that embeds the Gnomon engine: open a data directory, write a day of one series,
// read it back, and list label values. Built and run by the test suite (tests/integration).
//
//   gnomon_example [DATA_DIR]
#include <cstdio>
#include <filesystem>
#include <memory>

#include "gnomon/db.h"

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "./gnomon-example-data";
  gnomon::Options options;
  options.sync_mode = gnomon::SyncMode::kAlways;

  std::unique_ptr<gnomon::DB> db;
  gnomon::Status s = gnomon::DB::Open(options, dir, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.ToString().c_str());
    return 1;
  }

  const gnomon::Labels series = {{"__name__", "room_temperature_celsius"}, {"room", "kitchen"}};
  const int64_t start = 1700000000000;
  gnomon::WriteBatch batch;
  for (int i = 0; i < 8640; ++i) batch.Add(series, start + i * 10000LL, 20.0 + (i % 100) / 10.0);
  if (s = db->Write(batch); !s.ok()) {
    std::fprintf(stderr, "write: %s\n", s.ToString().c_str());
    return 1;
  }

  auto set = db->Select({gnomon::Matcher::Equal("room", "kitchen")}, start, start + 86400000);
  if (!set.ok()) {
    std::fprintf(stderr, "select: %s\n", set.status().ToString().c_str());
    return 1;
  }
  while ((*set)->Next()) {
    size_t n = 0;
    double last = 0;
    for (auto* it = (*set)->samples(); it->Next(); ++n) last = it->At().value;
    std::printf("series with %zu labels: %zu samples, last value %.1f\n", (*set)->labels().size(), n, last);
  }
  if (!(*set)->status().ok()) {
    std::fprintf(stderr, "iterate: %s\n", (*set)->status().ToString().c_str());
    return 1;
  }
  auto rooms = db->LabelValues("room", {});
  if (rooms.ok()) {
    for (const auto& r : *rooms) std::printf("room=%s\n", r.c_str());
  }
  return 0;
}
