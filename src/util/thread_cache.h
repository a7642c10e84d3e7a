// Per-thread allocation caches for busy request threads.
//
// gnomond runs on jemalloc with per-thread caches off (src/gnomond/allocator.cc): a hundred
// sleeping scrape threads would each keep a cache resident. The few threads that serve requests
// allocate and free constantly and, without a cache, take the one arena's lock for every
// allocation (a million new series: 26% of the CPU in that lock, bench/RESULTS.md).
// EnableThreadCache turns the calling thread's cache on; without jemalloc it does nothing.
#pragma once

namespace gnomon::util {

void EnableThreadCache();

}  // namespace gnomon::util
