// DBImpl's background threads.
//
// BackgroundLoop wakes every sync_interval_ms (at least 10 ms). With SyncMode::kInterval it
// fdatasyncs the WAL and syncs RocksDB's log; in any mode, while a sync has failed it retries it,
// and while appends fail it probes whether the WAL and RocksDB take writes again — the WAL with the
// size of the append that failed — so the write state (Stats::writable) clears once there is room
// for it, even when no writer is retrying.
//
// CompactionLoop, started only when compaction_interval_ms > 0, runs Compact() every interval on
// its own thread, so a long compaction never delays the interval sync. A failure is logged and
// counted (Compact counts it) and the next run is an interval later.
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>

#include "storage/db_impl.h"
#include "storage/keys.h"
#include "util/coding.h"
#include "util/log.h"

namespace gnomon::storage {

void DBImpl::BackgroundLoop() {
  const auto interval = std::chrono::milliseconds(std::max<uint32_t>(options_.sync_interval_ms, 10));
  std::unique_lock lock(bg_mu_);
  while (!stopping_) {
    bg_cv_.wait_for(lock, interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    const unsigned failed = failed_.load();
    if (options_.sync_mode == SyncMode::kInterval || ((failed & kSync) && options_.sync_mode != SyncMode::kNever)) {
      // As SyncNow, but writers wait only for the WAL's fdatasync, not for RocksDB's.
      Status s;
      {
        std::lock_guard wl(write_mu_);
        s = wal_->Sync();
      }
      if (s.ok()) s = SyncRocksLog();
      if (s.ok()) {
        RecordSuccess(kSync);
      } else {
        RecordFailure(kSync, std::move(s));
      }
    }
    if (failed & (kWalAppend | kRocksWrite)) ProbeWritable();
    lock.lock();
  }
}

void DBImpl::ProbeWritable() {
  std::lock_guard wl(write_mu_);
  const unsigned failed = failed_.load();
  if (failed & kWalAppend) {
    // Room for the record that failed (at least a typical one): a disk with a few KiB left is
    // still full for the batch its writer retries. The probe leaves the log as it was.
    if (wal_->Probe(std::max<size_t>(4096, failed_append_bytes_)).ok()) RecordSuccess(kWalAppend);
  }
  if (failed & kRocksWrite) {
    // An idempotent write (the meta key's current value; write_mu_ keeps it current).
    rocksdb::WriteBatch wb;
    std::string next;
    PutFixed64BE(&next, next_ref_);
    wb.Put(meta_cf_, kNextSeriesRefKey, next);
    RocksWrite(rocksdb::WriteOptions(), &wb, "probe rocksdb");
  }
}

void DBImpl::CompactionLoop() {
  const auto interval = std::chrono::milliseconds(options_.compaction_interval_ms);
  std::unique_lock lock(bg_mu_);
  while (!stopping_) {
    if (bg_cv_.wait_for(lock, interval, [this] { return stopping_; })) break;
    lock.unlock();
    Status s = Compact();
    if (!s.ok() && !shutting_down_) log::Warn("storage: periodic compaction failed: " + s.ToString());
    lock.lock();
  }
}

}  // namespace gnomon::storage
