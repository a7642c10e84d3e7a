// DBImpl's write path: series lookup and creation, the WAL append, the head append, sealing head
// runs into chunks, WAL rotation and Flush.
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <unordered_map>

#include "index/labels_util.h"
#include "storage/chunk/chunk.h"
#include "storage/db_impl.h"
#include "storage/keys.h"
#include "storage/sample_merge.h"
#include "storage/wal/wal_record.h"
#include "util/log.h"

namespace gnomon::storage {

Status DBImpl::CreateSeries(const WriteBatch& batch, std::vector<uint64_t>* refs) {
  // Another writer may have created some of these meanwhile: look again, under write_mu_.
  if (series_.FindAll(batch, refs)) return Status::OK();
  std::vector<std::pair<uint64_t, std::string_view>> keys;  // new series: ref, encoded labels
  std::vector<std::pair<index::SeriesRef, Labels>> labels;   // the same, decoded
  std::unordered_map<std::string_view, uint64_t> created;    // a series named twice in the batch
  std::unordered_map<std::string, size_t> new_per_metric;    // series this batch adds, by metric name
  const uint64_t existing = series_.size();
  for (size_t i = 0; i < batch.num_entries(); ++i) {
    if ((*refs)[i] != 0) continue;
    std::string_view key = batch.EncodedLabels(i);
    if (auto dup = created.find(key); dup != created.end()) {
      (*refs)[i] = dup->second;
      continue;
    }
    Labels decoded;
    GNOMON_RETURN_IF_ERROR(index::DecodeLabelsFraming(key, /*check_order=*/false, &decoded));
    GNOMON_RETURN_IF_ERROR(index::ValidateLabels(decoded, options_.limits));
    if (options_.limits.max_series > 0 && existing + keys.size() >= options_.limits.max_series) {
      return Status::ResourceExhausted("series limit reached (" + std::to_string(options_.limits.max_series) +
                                       "): cannot create " + index::MetricToString(decoded));
    }
    if (const size_t limit = options_.limits.max_series_per_metric; limit > 0) {
      auto name = std::find_if(decoded.begin(), decoded.end(), [](const Label& l) { return l.name == "__name__"; });
      if (name != decoded.end()) {
        size_t& added = new_per_metric[name->value];
        if (index_.NumSeriesWith("__name__", name->value) + added >= limit) {
          return Status::ResourceExhausted(
              "series limit of metric " + index::QuoteForMessage(name->value) + " reached (" + std::to_string(limit) +
              ", limits.max_series_per_metric): cannot create " + index::MetricToString(decoded));
        }
        ++added;
      }
    }
    const uint64_t ref = next_ref_ + keys.size();
    keys.emplace_back(ref, key);
    labels.emplace_back(ref, std::move(decoded));
    created.emplace(key, ref);
    (*refs)[i] = ref;
  }

  rocksdb::WriteBatch wb;
  for (const auto& [ref, key] : keys) wb.Put(series_cf_, SeriesKey(ref), rocksdb::Slice(key.data(), key.size()));
  std::string next;
  PutFixed64BE(&next, next_ref_ + keys.size());
  wb.Put(meta_cf_, kNextSeriesRefKey, next);
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_mode == SyncMode::kAlways;
  GNOMON_RETURN_IF_ERROR(RocksWrite(wo, &wb, "create series"));
  next_ref_ += keys.size();
  // The table first: a reader that finds a ref in the index must be able to resolve its labels.
  series_.InsertAll(keys);
  head_.MarkNew(keys.front().first, keys.size());  // new refs are consecutive
  index_.AddAll(labels);
  return Status::OK();
}

Status DBImpl::Write(const WriteBatch& batch, std::vector<SeriesRef>* refs_out) {
  if (batch.empty()) {
    if (refs_out != nullptr) refs_out->clear();
    return Status::OK();
  }
  // Lookups of existing series need no write lock; only creation does (CreateSeries). Given refs
  // are checked just below.
  std::vector<uint64_t> refs;
  const bool all_known = series_.FindAll(batch, &refs);
  if (SeriesRef unknown = series_.FirstUnknown(batch); unknown != 0) {
    return Status::InvalidArgument("series ref " + std::to_string(unknown) + " is not a series of this database");
  }
  std::lock_guard lock(write_mu_);
  GNOMON_RETURN_IF_ERROR(RetryFailedSync());
  if (!all_known) GNOMON_RETURN_IF_ERROR(CreateSeries(batch, &refs));

  std::vector<WalEntry> entries(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) entries[i] = {refs[i], batch.SamplesOf(i)};
  std::string record;
  record.reserve(16 + batch.num_samples() * 11 + refs.size() * 4);
  EncodeSamplesRecord(entries, &record);
  if (wal_) {  // else Options::in_memory: nothing to make durable
    if (Status s = wal_->Append(WalRecordType::kSamples, record); !s.ok()) {
      failed_append_bytes_ = record.size();  // the probe asks for room for this much
      return RecordFailure(kWalAppend, std::move(s));
    }
    RecordSuccess(kWalAppend);
    if (options_.sync_mode == SyncMode::kAlways) {
      if (Status s = wal_->Sync(); !s.ok()) {
        // Not durable, so not acknowledged: take the record back out, so that it is not replayed.
        wal_->UndoLastAppend();
        return RecordFailure(kSync, std::move(s));
      }
      RecordSuccess(kSync);
    }
    PublishWalEnd();  // acknowledged: WAL consumers may read it
  }

  std::vector<PendingSeal> seals;
  const uint32_t segment = wal_ ? wal_->current_segment() : 0;
  std::vector<size_t> cuts;
  head_.AppendAll(entries, segment, &cuts);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (cuts[i] > 0) seals.push_back({entries[i].ref, cuts[i]});
  }
  samples_written_ += batch.num_samples();
  // A series listed twice (it appeared in two entries): keep its largest cut.
  std::sort(seals.begin(), seals.end(), [](const PendingSeal& a, const PendingSeal& b) {
    return a.ref != b.ref ? a.ref < b.ref : a.count > b.count;
  });
  seals.erase(std::unique(seals.begin(), seals.end(),
                          [](const PendingSeal& a, const PendingSeal& b) { return a.ref == b.ref; }),
              seals.end());
  // The batch is durable and visible: sealing and rotation below only move data around. If they
  // fail (a full disk) the samples stay in the head and the WAL, the failure is recorded in the
  // write state (Stats::writable), and the next write retries; the batch itself is acknowledged.
  if (Seal(seals).ok()) MaybeRotateWal();
  if (refs_out != nullptr) *refs_out = std::move(refs);
  return Status::OK();
}

Status DBImpl::Seal(const std::vector<PendingSeal>& seals) {
  // In pieces of a few MB: a WAL rotation may seal a run of every series at once, and one RocksDB
  // batch of a million chunks would be a transient 60 MB. Each piece stores next_chunk_seq with
  // its chunks, so the stored value always exceeds every stored chunk's (docs/format/keys.md),
  // and leaves the head as soon as it is in RocksDB.
  constexpr size_t kPieceBytes = 4 << 20;
  rocksdb::WriteBatch wb;
  std::vector<Sample> run;
  uint64_t seq = next_chunk_seq_;
  uint64_t chunks = 0;
  size_t piece_start = 0;
  auto write_piece = [&](size_t piece_end) -> Status {
    std::string next;
    PutFixed64BE(&next, seq);
    wb.Put(meta_cf_, kNextChunkSeqKey, next);
    rocksdb::WriteOptions wo;
    wo.sync = false;  // the WAL still holds these samples; SyncAll runs before segments are deleted
    GNOMON_RETURN_IF_ERROR(RocksWrite(wo, &wb, "write chunks"));
    wb.Clear();
    next_chunk_seq_ = seq;
    chunks_written_ += chunks;
    chunks = 0;
    const uint32_t segment = wal_ ? wal_->current_segment() : 0;
    std::unique_lock lock(seal_mu_);
    for (size_t i = piece_start; i < piece_end; ++i) head_.DropPrefix(seals[i].ref, seals[i].count, segment);
    piece_start = piece_end;
    return Status::OK();
  };
  for (size_t i = 0; i < seals.size(); ++i) {
    const PendingSeal& p = seals[i];
    head_.CopyPrefix(p.ref, p.count, &run);
    SortDedupLastWins(&run);
    SplitByWindow(run, options_.chunk_window_ms, options_.max_samples_per_chunk, [&](std::span<const Sample> piece) {
      wb.Put(chunks_cf_, ChunkKey{p.ref, piece.front().timestamp, seq++}.Encode(), chunk::Encode(piece));
      ++chunks;
    });
    if (wb.GetDataSize() >= kPieceBytes) GNOMON_RETURN_IF_ERROR(write_piece(i + 1));
  }
  if (piece_start < seals.size()) GNOMON_RETURN_IF_ERROR(write_piece(seals.size()));
  return Status::OK();
}

Status DBImpl::SyncAll() {
  if (options_.in_memory) return Status::OK();
  if (options_.sync_mode != SyncMode::kNever) return SyncNow();
  return FromRocks(rocks_->FlushWAL(false), "flush rocksdb wal");
}

Status DBImpl::SyncNow() {
  Status s = wal_ ? wal_->Sync() : Status::OK();
  if (s.ok()) s = SyncRocksLog();
  if (!s.ok()) return RecordFailure(kSync, std::move(s));
  RecordSuccess(kSync);
  return Status::OK();
}

Status DBImpl::SyncRocksLog() {
  if (options_.in_memory) return Status::OK();  // RocksDB keeps no log (RocksWrite)
  std::unique_lock lock(rocks_log_mu_);
  if (failed_.load() & kRocksWrite) return Status::OK();
  return FromRocks(rocks_->FlushWAL(true), "sync rocksdb wal");
}

Status DBImpl::RetryFailedSync() {
  if (!(failed_.load(std::memory_order_relaxed) & kSync) || options_.sync_mode == SyncMode::kNever) return Status::OK();
  return SyncNow();
}

Status DBImpl::MaybeRotateWal() {
  if (!wal_ || wal_->current_segment_bytes() < options_.wal_segment_bytes) return Status::OK();
  uint32_t segment;
  if (Status s = wal_->Rotate(&segment); !s.ok()) return RecordFailure(kWalAppend, std::move(s));
  PublishWalEnd();
  // Seal runs that started two or more segments ago so their segments can go.
  std::vector<PendingSeal> seals;
  for (auto [ref, n] : head_.SeriesOlderThan(segment - 1)) seals.push_back({ref, n});
  GNOMON_RETURN_IF_ERROR(Seal(seals));
  GNOMON_RETURN_IF_ERROR(SyncAll());
  return TrimWal(head_.OldestSegment(segment));
}

Status DBImpl::Flush() {
  std::lock_guard lock(write_mu_);
  std::vector<PendingSeal> seals;
  for (auto [ref, n] : head_.SeriesOlderThan(UINT32_MAX)) seals.push_back({ref, n});
  GNOMON_RETURN_IF_ERROR(Seal(seals));
  rocksdb::FlushOptions fo;
  fo.wait = true;
  GNOMON_RETURN_IF_ERROR(FromRocks(rocks_->Flush(fo, AllFamilies()), "flush"));
  GNOMON_RETURN_IF_ERROR(SyncAll());
  if (!wal_) return Status::OK();
  uint32_t segment;
  GNOMON_RETURN_IF_ERROR(wal_->Rotate(&segment));
  PublishWalEnd();
  return TrimWal(segment);
}

Status DBImpl::RocksWrite(const rocksdb::WriteOptions& wo, rocksdb::WriteBatch* wb, const char* what) {
  // After a failed write RocksDB refuses writes until it is resumed (it switches to a new log,
  // so nothing is appended behind a torn record); it may also be resuming by itself.
  if (failed_.load(std::memory_order_relaxed) & kRocksWrite) rocks_->Resume();
  std::shared_lock lock(rocks_log_mu_);
  rocksdb::WriteOptions in_memory_wo;
  if (options_.in_memory) {
    // Nothing is recovered from an in-memory database, so RocksDB keeps no log of its writes.
    in_memory_wo.disableWAL = true;
  }
  Status s = FromRocks(rocks_->Write(options_.in_memory ? in_memory_wo : wo, wb), what);
  if (!s.ok()) return RecordFailure(kRocksWrite, std::move(s));
  RecordSuccess(kRocksWrite);
  return Status::OK();
}

Status DBImpl::RecordFailure(Failure kind, Status s) {
  (kind == kSync ? wal_sync_errors_ : wal_write_errors_).fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(failure_mu_);
  const bool was_writable = failed_.load() == 0;
  failed_.fetch_or(kind);
  write_error_ = s.ToString();
  if (was_writable) log::Warn("storage: not writable: " + write_error_);
  return s;
}

void DBImpl::ClearFailure(Failure kind) {
  std::lock_guard lock(failure_mu_);
  if (!(failed_.fetch_and(~static_cast<unsigned>(kind)) & kind)) return;
  if (failed_.load() == 0) {
    log::Info("storage: writable again (after: " + write_error_ + ")");
    write_error_.clear();
  }
}

}  // namespace gnomon::storage
