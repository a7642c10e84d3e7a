// gnomond's heap: jemalloc when the build found it (never in sanitizer builds, whose runtimes
// bring their own allocator), configured by the options below; otherwise glibc's malloc.
//
// Why: a scrape, or a remote_write, touches a few bytes of one small per-series buffer for each
// of thousands of series, scattered over the heap, every few seconds, from a thread that slept in
// between. On a virtual machine with nested paging the address translations of such memory are
// cold every time (about 1 us per touched page here, measured in bench/RESULTS.md). jemalloc backs
// its heap with transparent huge pages (`thp:always`, a madvise the kernel's default THP mode
// honours), so the same data needs 512 times fewer translations; glibc's malloc has no such switch
// for its per-thread arenas. One arena and no per-thread caches keep the resident memory of a
// hundred scrape threads down (each thread's cache and each arena's partly used huge pages are
// resident memory; bench/RESULTS.md has the figures). MALLOC_CONF in the environment overrides.
#ifdef GNOMON_JEMALLOC
extern "C" {
// Read by jemalloc at its first allocation (it interposes the library's weak default).
extern const char* malloc_conf;
const char* malloc_conf = "thp:always,metadata_thp:auto,narenas:1,tcache:false";
}
#endif
