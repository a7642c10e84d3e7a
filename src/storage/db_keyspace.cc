// DBImpl's side of keyspaces (storage/keyspace.h): their column families, opened at Open when
// they exist (db_open.cc lists them) and created here on first use, and their writes, which take
// the engine's durability and failure accounting.
#include <rocksdb/write_batch.h>

#include "storage/db_impl.h"
#include "storage/keyspace.h"

namespace gnomon::storage {

Result<rocksdb::ColumnFamilyHandle*> DBImpl::KeyspaceFamily(std::string_view name) {
  if (!ValidKeyspaceName(name)) {
    return Status::InvalidArgument("keyspace name \"" + std::string(name) +
                                   "\": must be 1-64 of [a-z0-9_] and not default, series, chunks or meta");
  }
  std::lock_guard lock(keyspace_mu_);
  if (auto it = keyspaces_.find(name); it != keyspaces_.end()) return it->second;
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  GNOMON_RETURN_IF_ERROR(
      FromRocks(rocks_->CreateColumnFamily(keyspace_cf_options_, std::string(name), &handle), "create keyspace"));
  keyspaces_.emplace(std::string(name), handle);
  return handle;
}

Status DBImpl::WriteKeyspace(rocksdb::WriteBatch* batch, bool sync) {
  if (failed_.load(std::memory_order_relaxed) & kSync) {
    std::lock_guard lock(write_mu_);
    GNOMON_RETURN_IF_ERROR(RetryFailedSync());
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync || options_.sync_mode == SyncMode::kAlways;
  return RocksWrite(wo, batch, "keyspace write");
}

}  // namespace gnomon::storage
