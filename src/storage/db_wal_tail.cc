// DBImpl's side of WAL consumers (storage/wal_tail.h): the end of the acknowledged log, the
// consumers' acknowledged positions in the meta family, and trimming the log to what recovery and
// the consumers still need, within Options::max_wal_retained_bytes.
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "storage/db_impl.h"
#include "storage/keys.h"
#include "storage/wal_tail.h"
#include "util/coding.h"
#include "util/log.h"

namespace gnomon::storage {

namespace {

std::string ConsumerKey(std::string_view name) { return std::string(kWalConsumerPrefix).append(name); }

std::string EncodePosition(uint64_t position) {
  std::string v;
  PutFixed64BE(&v, position);
  return v;
}

}  // namespace

std::string DBImpl::WalSegmentPath(uint32_t segment) const { return wal_->SegmentPath(segment); }

void DBImpl::PublishWalEnd() {
  wal_end_.store(PackWalPosition({wal_->current_segment(), wal_->current_segment_bytes()}), std::memory_order_release);
  const auto& older = wal_->older_segments();
  wal_first_segment_.store(older.empty() ? wal_->current_segment() : older.front().first, std::memory_order_release);
}

Status DBImpl::LoadWalConsumers(uint32_t* first_replayed) {
  std::string value;
  if (rocks_->Get(rocksdb::ReadOptions(), meta_cf_, kWalReplayFromKey, &value).ok() && value.size() == 8) {
    wal_replay_from_ = static_cast<uint32_t>(DecodeFixed64BE(value.data()));
  }
  *first_replayed = wal_replay_from_;
  std::unique_ptr<rocksdb::Iterator> it(rocks_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  const rocksdb::Slice prefix(kWalConsumerPrefix.data(), kWalConsumerPrefix.size());
  std::lock_guard lock(wal_consumers_mu_);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->value().size() != 8) return Status::Corruption("meta: malformed " + it->key().ToString());
    std::string name = it->key().ToString().substr(kWalConsumerPrefix.size());
    wal_consumers_[name] = DecodeFixed64BE(it->value().data());
  }
  return FromRocks(it->status(), "read wal consumers");
}

Result<uint64_t> DBImpl::RegisterWalConsumer(std::string_view name) {
  if (!wal_) return Status::InvalidArgument("an in-memory database keeps no write-ahead log to read");
  std::lock_guard lock(wal_consumers_mu_);
  if (auto it = wal_consumers_.find(name); it != wal_consumers_.end()) return it->second;
  const uint64_t position = WalEnd();  // a new consumer reads what is written from now on
  rocksdb::WriteBatch wb;
  wb.Put(meta_cf_, ConsumerKey(name), EncodePosition(position));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_mode != SyncMode::kNever;
  GNOMON_RETURN_IF_ERROR(RocksWrite(wo, &wb, "register wal consumer"));
  wal_consumers_.emplace(std::string(name), position);
  return position;
}

Status DBImpl::AcknowledgeWal(std::string_view name, uint64_t position, bool sync) {
  std::lock_guard lock(wal_consumers_mu_);
  auto it = wal_consumers_.find(name);
  if (it == wal_consumers_.end()) return Status::NotFound("wal consumer " + std::string(name));
  if (position == it->second) return Status::OK();
  rocksdb::WriteBatch wb;
  wb.Put(meta_cf_, ConsumerKey(name), EncodePosition(position));
  rocksdb::WriteOptions wo;
  wo.sync = sync || options_.sync_mode == SyncMode::kAlways;
  GNOMON_RETURN_IF_ERROR(RocksWrite(wo, &wb, "acknowledge wal"));
  it->second = position;
  return Status::OK();
}

std::vector<std::string> DBImpl::WalConsumers() {
  std::lock_guard lock(wal_consumers_mu_);
  std::vector<std::string> names;
  for (const auto& [name, position] : wal_consumers_) names.push_back(name);
  return names;
}

Status DBImpl::DropWalConsumer(std::string_view name) {
  std::lock_guard lock(wal_consumers_mu_);
  auto it = wal_consumers_.find(name);
  if (it == wal_consumers_.end()) return Status::OK();
  rocksdb::WriteBatch wb;
  wb.Delete(meta_cf_, ConsumerKey(name));
  GNOMON_RETURN_IF_ERROR(RocksWrite(rocksdb::WriteOptions(), &wb, "drop wal consumer"));
  wal_consumers_.erase(it);
  return Status::OK();
}

Status DBImpl::TrimWal(uint32_t head_oldest) {
  uint32_t keep = head_oldest;
  {
    std::lock_guard lock(wal_consumers_mu_);
    for (const auto& [name, position] : wal_consumers_) {
      keep = std::min(keep, UnpackWalPosition(position).segment);
    }
  }
  const auto& older = wal_->older_segments();
  if (keep < head_oldest) {
    // Keep the newest segments below head_oldest that fit in the cap; the consumers skip the rest.
    uint64_t retained = 0;
    uint32_t within_cap = head_oldest;
    for (auto it = older.rbegin(); it != older.rend() && it->first >= keep; ++it) {
      if (it->first >= head_oldest) continue;
      if (retained + it->second > options_.max_wal_retained_bytes) break;
      retained += it->second;
      within_cap = it->first;
    }
    if (within_cap > keep && !older.empty() && older.front().first < within_cap) {
      log::Warn("storage: WAL consumers are more than max_wal_retained_bytes (" +
                std::to_string(options_.max_wal_retained_bytes) + ") behind: deleting WAL segments below " +
                std::to_string(within_cap) + "; what they hold is not forwarded");
    }
    keep = std::max(keep, within_cap);
  }
  if (head_oldest != wal_replay_from_ && keep < head_oldest) {
    // Segments below head_oldest stay for the consumers only: recovery must not replay them
    // (their samples are sealed), so record where it starts before it could find them.
    std::string v;
    PutFixed64BE(&v, head_oldest);
    rocksdb::WriteBatch wb;
    wb.Put(meta_cf_, kWalReplayFromKey, v);
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync_mode != SyncMode::kNever;
    GNOMON_RETURN_IF_ERROR(RocksWrite(wo, &wb, "record wal replay start"));
    wal_replay_from_ = head_oldest;
  }
  // Readers learn the new first segment before its predecessors go (wal_tail.cc: a missing
  // segment below it was deleted).
  uint32_t first = wal_->current_segment();
  for (const auto& [segment, bytes] : older) {
    if (segment >= keep) {
      first = segment;
      break;
    }
  }
  wal_first_segment_.store(std::max(first, wal_first_segment_.load()), std::memory_order_release);
  Status s = wal_->DeleteSegmentsBefore(keep);
  PublishWalEnd();
  return s;
}

}  // namespace gnomon::storage
