// gnomon_crash_writer DIR FIRST_BATCH: a helper for the crash test (tests/unit/crash_test.cc).
//
// Opens the engine in DIR with settings that make sealing and WAL rotation frequent, then writes
// batches FIRST_BATCH, FIRST_BATCH+1, ... forever. After each Write returns OK it prints the
// batch number on its own line and flushes stdout, so the parent knows which batches were
// acknowledged when it kills this process with SIGKILL. Batch i holds, for each of 20 series,
// timestamps i*10 .. i*10+9 with value i*1000 + series*10 + j, plus (every 5th batch) one
// backfilled sample at timestamp -i-1.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gnomon/db.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: gnomon_crash_writer DIR FIRST_BATCH\n");
    return 2;
  }
  gnomon::Options options;
  options.sync_mode = gnomon::SyncMode::kNever;  // kill -9 must not lose acknowledged writes anyway
  options.max_samples_per_chunk = 64;
  options.wal_segment_bytes = 16 << 10;
  options.chunk_window_ms = 1000;
  std::unique_ptr<gnomon::DB> db;
  gnomon::Status s = gnomon::DB::Open(options, argv[1], &db);
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.ToString().c_str());
    return 1;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  for (long i = std::atol(argv[2]);; ++i) {
    gnomon::WriteBatch b;
    for (int series = 0; series < 20; ++series) {
      gnomon::Labels labels = {{"__name__", "crash_metric"}, {"series", std::to_string(series)}};
      for (int j = 0; j < 10; ++j) b.Add(labels, i * 10 + j, static_cast<double>(i * 1000 + series * 10 + j));
      if (i % 5 == 0) b.Add(labels, -i - 1, static_cast<double>(i));
    }
    s = db->Write(b);
    if (!s.ok()) {
      std::fprintf(stderr, "write %ld: %s\n", i, s.ToString().c_str());
      return 1;
    }
    std::printf("%ld\n", i);
  }
}
