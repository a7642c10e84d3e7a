// DBImpl's background thread: with SyncMode::kInterval, fdatasyncs the WAL and syncs RocksDB's
// log every sync_interval_ms.
#include <algorithm>
#include <chrono>

#include "storage/db_impl.h"

namespace gnomon::storage {

void DBImpl::BackgroundLoop() {
  const auto interval = std::chrono::milliseconds(std::max<uint32_t>(options_.sync_interval_ms, 10));
  std::unique_lock lock(bg_mu_);
  while (!stopping_) {
    bg_cv_.wait_for(lock, interval, [this] { return stopping_; });
    if (stopping_) break;
    if (options_.sync_mode == SyncMode::kInterval) {
      lock.unlock();
      {
        std::lock_guard wl(write_mu_);
        wal_->Sync();
      }
      rocks_->FlushWAL(true);
      lock.lock();
    }
  }
}

}  // namespace gnomon::storage
