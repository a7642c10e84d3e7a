// DBImpl::Compact: merges each series' overlapping and neighbouring chunks within a chunk window
// into one, drops chunks past retention, then compacts RocksDB (every family, keyspaces too; only
// the chunks family has the retention filter).
//
// The chunk sequence: a merged chunk reuses the newest seq of the chunks it replaces and never
// takes a new one, so compaction needs no meta write: meta's next_chunk_seq, written atomically
// with every newly sealed chunk, already exceeds every seq it writes (docs/format/keys.md).
#include <rocksdb/write_batch.h>

#include "storage/chunk/chunk.h"
#include "storage/db_impl.h"
#include "storage/keys.h"
#include "storage/sample_merge.h"

namespace gnomon::storage {

namespace {

int64_t WindowOf(int64_t t, int64_t w) {
  int64_t q = t / w;
  return (t % w < 0) ? q - 1 : q;
}

// Chunks produced by compaction may hold this many times max_samples_per_chunk.
constexpr uint32_t kCompactedChunkFactor = 16;

}  // namespace

Status DBImpl::CompactChunks() {
  struct Stored {
    std::string key;
    ChunkKey parsed;
    std::string value;
  };
  const int64_t cutoff = RetentionFilter::Cutoff(options_.retention_ms);
  const size_t max_samples = static_cast<size_t>(options_.max_samples_per_chunk) * kCompactedChunkFactor;
  rocksdb::WriteBatch wb;
  std::vector<Stored> group;
  std::vector<std::vector<Sample>> decoded;
  std::vector<std::span<const Sample>> runs;
  std::vector<Sample> merged;
  Status error;

  auto write_batch = [&]() -> Status {
    if (wb.Count() == 0) return Status::OK();
    Status s = RocksWrite(rocksdb::WriteOptions(), &wb, "compact");
    wb.Clear();
    return s;
  };
  // Rewrites one group (chunks of one series in one window) as as few chunks as possible.
  auto flush_group = [&]() -> Status {
    if (group.size() < 2) {
      group.clear();
      return Status::OK();
    }
    std::sort(group.begin(), group.end(), [](const Stored& a, const Stored& b) { return a.parsed.seq < b.parsed.seq; });
    decoded.resize(group.size());
    runs.clear();
    for (size_t i = 0; i < group.size(); ++i) {
      decoded[i].clear();
      GNOMON_RETURN_IF_ERROR(chunk::Decode(group[i].value, &decoded[i]));
      runs.push_back(decoded[i]);
    }
    MergeRuns(runs, &merged);
    // The merged chunk takes the newest seq of its group, so its priority against chunks sealed
    // concurrently (which get fresh, higher seqs) is unchanged.
    const uint64_t seq = group.back().parsed.seq;
    const uint64_t ref = group.back().parsed.ref;
    for (const Stored& s : group) wb.Delete(chunks_cf_, s.key);
    SplitByWindow(merged, options_.chunk_window_ms, max_samples, [&](std::span<const Sample> piece) {
      // More than one piece is rare (a window with more than max_samples); give each its own key.
      wb.Put(chunks_cf_, ChunkKey{ref, piece.front().timestamp, seq}.Encode(), chunk::Encode(piece));
    });
    group.clear();
    if (wb.Count() > 4096) return write_batch();
    return Status::OK();
  };

  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  const rocksdb::Snapshot* snapshot = rocks_->GetSnapshot();
  ro.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(rocks_->NewIterator(ro, chunks_cf_));
  for (it->SeekToFirst(); it->Valid() && error.ok(); it->Next()) {
    if (shutting_down_.load(std::memory_order_relaxed)) {
      error = Status::Aborted("compact: the database is closing");
      break;
    }
    Stored s;
    s.key.assign(it->key().data(), it->key().size());
    if (!ChunkKey::Decode(s.key, &s.parsed)) continue;
    s.value.assign(it->value().data(), it->value().size());
    chunk::ChunkMeta meta;
    if (!chunk::ReadMeta(s.value, &meta).ok()) continue;
    if (meta.max_time < cutoff) {
      wb.Delete(chunks_cf_, s.key);
      continue;
    }
    if (!group.empty() && (group.back().parsed.ref != s.parsed.ref ||
                           WindowOf(group.back().parsed.min_time, options_.chunk_window_ms) !=
                               WindowOf(s.parsed.min_time, options_.chunk_window_ms))) {
      error = flush_group();
    }
    group.push_back(std::move(s));
  }
  if (error.ok()) error = flush_group();
  if (error.ok() && !it->status().ok()) error = Status::IOError("compact: " + it->status().ToString());
  it.reset();
  rocks_->ReleaseSnapshot(snapshot);
  GNOMON_RETURN_IF_ERROR(error);
  return write_batch();
}

Status DBImpl::Compact() {
  std::lock_guard lock(compact_mu_);
  Status s = CompactChunks();
  rocksdb::CompactRangeOptions opts;
  opts.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (rocksdb::ColumnFamilyHandle* h : AllFamilies()) {
    if (!s.ok()) break;
    s = FromRocks(rocks_->CompactRange(opts, h, nullptr, nullptr), "compact range");
  }
  (s.ok() ? compactions_ : compaction_errors_).fetch_add(1, std::memory_order_relaxed);
  return s;
}

}  // namespace gnomon::storage
