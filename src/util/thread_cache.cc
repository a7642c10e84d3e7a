#include "util/thread_cache.h"

#include <cstddef>

// jemalloc's control interface, when jemalloc is the process' allocator (a weak reference: null
// with glibc's malloc or a sanitizer's).
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen) __attribute__((weak));

namespace gnomon::util {

void EnableThreadCache() {
  if (mallctl == nullptr) return;
  bool enabled = true;
  mallctl("thread.tcache.enabled", nullptr, nullptr, &enabled, sizeof(enabled));
}

}  // namespace gnomon::util
