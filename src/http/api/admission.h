// IngestAdmission: bounds the request-body bytes being written at once, so that when the engine
// cannot keep up, ingest answers 503 + Retry-After instead of buffering without limit. A single
// body is always admitted when nothing else is in flight (the body-size limit bounds it).
#pragma once

#include <atomic>
#include <cstddef>

namespace gnomon::api {

class IngestAdmission {
 public:
  explicit IngestAdmission(size_t max_inflight_bytes) : max_(max_inflight_bytes) {}

  // Reserves `bytes`; false (reserving nothing) if that would pass the limit.
  bool TryAcquire(size_t bytes) {
    size_t now = inflight_.fetch_add(bytes) + bytes;
    if (now > max_ && now != bytes) {
      inflight_.fetch_sub(bytes);
      return false;
    }
    return true;
  }
  void Release(size_t bytes) { inflight_.fetch_sub(bytes); }
  size_t inflight() const { return inflight_.load(); }

 private:
  const size_t max_;
  std::atomic<size_t> inflight_{0};
};

}  // namespace gnomon::api
