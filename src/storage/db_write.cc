// DBImpl's write path: series lookup and creation, the WAL append, the head append, sealing head
// runs into chunks, WAL rotation and Flush.
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "index/labels_util.h"
#include "storage/chunk/chunk.h"
#include "storage/db_impl.h"
#include "storage/keys.h"
#include "storage/sample_merge.h"
#include "storage/wal/wal_record.h"

namespace gnomon::storage {

bool DBImpl::LookupSeries(const WriteBatch& batch, std::vector<uint64_t>* refs) {
  // Lookups of existing series need no write lock; only creation does (CreateSeries).
  refs->assign(batch.num_entries(), 0);
  bool missing = false;
  for (size_t i = 0; i < batch.num_entries(); ++i) {
    if (auto ref = series_.Find(batch.EncodedLabels(i))) {
      (*refs)[i] = *ref;
    } else {
      missing = true;
    }
  }
  return !missing;
}

Status DBImpl::CreateSeries(const WriteBatch& batch, std::vector<uint64_t>* refs) {
  struct NewSeries {
    std::string_view key;
    Labels labels;
    uint64_t ref;
  };
  std::vector<NewSeries> created;
  for (size_t i = 0; i < batch.num_entries(); ++i) {
    if ((*refs)[i] != 0) continue;
    std::string_view key = batch.EncodedLabels(i);
    if (auto ref = series_.Find(key)) {  // created by another writer meanwhile
      (*refs)[i] = *ref;
      continue;
    }
    auto dup = std::find_if(created.begin(), created.end(), [&](const NewSeries& n) { return n.key == key; });
    if (dup != created.end()) {
      (*refs)[i] = dup->ref;
      continue;
    }
    Labels labels;
    GNOMON_RETURN_IF_ERROR(index::DecodeLabelsFraming(key, /*check_order=*/false, &labels));
    GNOMON_RETURN_IF_ERROR(index::ValidateLabels(labels, options_.limits));
    if (options_.limits.max_series > 0 && series_.size() + created.size() >= options_.limits.max_series) {
      return Status::ResourceExhausted("series limit reached (" + std::to_string(options_.limits.max_series) +
                                       "): cannot create " + index::LabelsToString(labels));
    }
    created.push_back({key, std::move(labels), next_ref_ + created.size()});
    (*refs)[i] = created.back().ref;
  }
  if (created.empty()) return Status::OK();

  rocksdb::WriteBatch wb;
  for (const NewSeries& n : created) wb.Put(series_cf_, SeriesKey(n.ref), rocksdb::Slice(n.key.data(), n.key.size()));
  std::string next;
  PutFixed64BE(&next, next_ref_ + created.size());
  wb.Put(meta_cf_, kNextSeriesRefKey, next);
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_mode == SyncMode::kAlways;
  GNOMON_RETURN_IF_ERROR(FromRocks(rocks_->Write(wo, &wb), "create series"));
  next_ref_ += created.size();
  // The table first: a reader that finds a ref in the index must be able to resolve its labels.
  for (NewSeries& n : created) {
    series_.Insert(n.ref, std::string(n.key));
    index_.Add(n.ref, n.labels);
  }
  return Status::OK();
}

Status DBImpl::Write(const WriteBatch& batch) {
  if (batch.empty()) return Status::OK();
  std::vector<uint64_t> refs;
  const bool all_known = LookupSeries(batch, &refs);
  std::lock_guard lock(write_mu_);
  if (!all_known) GNOMON_RETURN_IF_ERROR(CreateSeries(batch, &refs));

  std::vector<WalEntry> entries(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) entries[i] = {refs[i], batch.SamplesOf(i)};
  std::string record;
  record.reserve(16 + batch.num_samples() * 11 + refs.size() * 4);
  EncodeSamplesRecord(entries, &record);
  GNOMON_RETURN_IF_ERROR(wal_->Append(WalRecordType::kSamples, record));
  if (options_.sync_mode == SyncMode::kAlways) GNOMON_RETURN_IF_ERROR(wal_->Sync());

  std::vector<PendingSeal> seals;
  const uint32_t segment = wal_->current_segment();
  for (const WalEntry& e : entries) {
    size_t cut = head_.Append(e.ref, e.samples, segment);
    if (cut > 0) seals.push_back({e.ref, cut});
  }
  samples_written_ += batch.num_samples();
  // A series listed twice (it appeared in two entries): keep its largest cut.
  std::sort(seals.begin(), seals.end(), [](const PendingSeal& a, const PendingSeal& b) {
    return a.ref != b.ref ? a.ref < b.ref : a.count > b.count;
  });
  seals.erase(std::unique(seals.begin(), seals.end(), [](const PendingSeal& a, const PendingSeal& b) { return a.ref == b.ref; }),
              seals.end());
  // The batch is durable and visible: sealing and rotation below only move data around, so an
  // error there is reported but the samples are not lost (the WAL still has them).
  GNOMON_RETURN_IF_ERROR(Seal(seals));
  return MaybeRotateWal();
}

Status DBImpl::Seal(const std::vector<PendingSeal>& seals) {
  if (seals.empty()) return Status::OK();
  rocksdb::WriteBatch wb;
  std::vector<Sample> run;
  uint64_t seq = next_chunk_seq_;
  uint64_t chunks = 0;
  for (const PendingSeal& p : seals) {
    head_.CopyPrefix(p.ref, p.count, &run);
    SortDedupLastWins(&run);
    SplitByWindow(run, options_.chunk_window_ms, options_.max_samples_per_chunk, [&](std::span<const Sample> piece) {
      wb.Put(chunks_cf_, ChunkKey{p.ref, piece.front().timestamp, seq++}.Encode(), chunk::Encode(piece));
      ++chunks;
    });
  }
  std::string next;
  PutFixed64BE(&next, seq);
  wb.Put(meta_cf_, kNextChunkSeqKey, next);
  rocksdb::WriteOptions wo;
  wo.sync = false;  // the WAL still holds these samples; SyncAll runs before segments are deleted
  GNOMON_RETURN_IF_ERROR(FromRocks(rocks_->Write(wo, &wb), "write chunks"));
  next_chunk_seq_ = seq;
  chunks_written_ += chunks;
  const uint32_t segment = wal_ ? wal_->current_segment() : 0;
  std::unique_lock lock(seal_mu_);
  for (const PendingSeal& p : seals) head_.DropPrefix(p.ref, p.count, segment);
  return Status::OK();
}

Status DBImpl::SyncAll() {
  GNOMON_RETURN_IF_ERROR(FromRocks(rocks_->FlushWAL(options_.sync_mode != SyncMode::kNever), "sync rocksdb wal"));
  if (options_.sync_mode != SyncMode::kNever) GNOMON_RETURN_IF_ERROR(wal_->Sync());
  return Status::OK();
}

Status DBImpl::MaybeRotateWal() {
  if (wal_->current_segment_bytes() < options_.wal_segment_bytes) return Status::OK();
  uint32_t segment;
  GNOMON_RETURN_IF_ERROR(wal_->Rotate(&segment));
  // Seal runs that started two or more segments ago so their segments can go.
  std::vector<PendingSeal> seals;
  for (auto [ref, n] : head_.SeriesOlderThan(segment - 1)) seals.push_back({ref, n});
  GNOMON_RETURN_IF_ERROR(Seal(seals));
  GNOMON_RETURN_IF_ERROR(SyncAll());
  return wal_->DeleteSegmentsBefore(head_.OldestSegment(segment));
}

Status DBImpl::Flush() {
  std::lock_guard lock(write_mu_);
  std::vector<PendingSeal> seals;
  for (auto [ref, n] : head_.SeriesOlderThan(UINT32_MAX)) seals.push_back({ref, n});
  GNOMON_RETURN_IF_ERROR(Seal(seals));
  rocksdb::FlushOptions fo;
  fo.wait = true;
  GNOMON_RETURN_IF_ERROR(FromRocks(rocks_->Flush(fo, handles_), "flush"));
  GNOMON_RETURN_IF_ERROR(SyncAll());
  uint32_t segment;
  GNOMON_RETURN_IF_ERROR(wal_->Rotate(&segment));
  return wal_->DeleteSegmentsBefore(segment);
}

}  // namespace gnomon::storage
