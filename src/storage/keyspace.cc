// Keyspace: the component-facing key-value API over a keyspace column family (keyspace.h). Writes
// go through DBImpl::WriteKeyspace for the engine's durability and failure accounting; reads go
// to RocksDB directly.
#include "storage/keyspace.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "storage/db_impl.h"

namespace gnomon::storage {

namespace {

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// The smallest key greater than every key starting with `prefix`, or "" if there is none.
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) != 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

}  // namespace

bool ValidKeyspaceName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return name != "default" && name != "series" && name != "chunks" && name != "meta";
}

Result<std::unique_ptr<Keyspace>> OpenKeyspace(DB* db, std::string_view name, const KeyspaceOptions& options) {
  auto* impl = dynamic_cast<DBImpl*>(db);
  if (impl == nullptr) return Status::InvalidArgument("keyspace: not a database opened by gnomon::DB::Open");
  auto family = impl->KeyspaceFamily(name);
  if (!family.ok()) return family.status();
  rocksdb::Status set = impl->rocks()->SetOptions(
      *family, {{"write_buffer_size", std::to_string(options.memtable_bytes)},
                {"compression", options.compress ? "kZSTD" : "kNoCompression"},
                {"bottommost_compression",
                 options.compress || options.compress_at_rest ? "kZSTD" : "kDisableCompressionOption"}});
  if (!set.ok()) return Status::InvalidArgument("keyspace " + std::string(name) + ": " + set.ToString());
  return std::unique_ptr<Keyspace>(new Keyspace(impl, *family, std::string(name)));
}

Keyspace::~Keyspace() = default;

Status Keyspace::Put(std::string_view key, std::string_view value, const KeyspaceWriteOptions& options) {
  rocksdb::WriteBatch wb;
  wb.Put(family_, ToSlice(key), ToSlice(value));
  return db_->WriteKeyspace(&wb, options.sync);
}

Status Keyspace::Delete(std::string_view key, const KeyspaceWriteOptions& options) {
  rocksdb::WriteBatch wb;
  wb.Delete(family_, ToSlice(key));
  return db_->WriteKeyspace(&wb, options.sync);
}

Status Keyspace::Write(const KeyspaceBatch& batch, const KeyspaceWriteOptions& options) {
  if (batch.empty()) return Status::OK();
  rocksdb::WriteBatch wb;
  for (const KeyspaceBatch::Op& op : batch.ops_) {
    if (op.put) {
      wb.Put(family_, ToSlice(op.key), ToSlice(op.value));
    } else {
      wb.Delete(family_, ToSlice(op.key));
    }
  }
  return db_->WriteKeyspace(&wb, options.sync);
}

Status Keyspace::Get(std::string_view key, std::string* value) const {
  rocksdb::Status s = db_->rocks()->Get(rocksdb::ReadOptions(), family_, ToSlice(key), value);
  if (s.IsNotFound()) return Status::NotFound("keyspace " + name_ + ": no such key");
  return FromRocks(s, "keyspace get");
}

Status Keyspace::Scan(std::string_view start, std::string_view end, const ScanFn& fn) const {
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper = ToSlice(end);
  if (!end.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->rocks()->NewIterator(ro, family_));
  for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
    if (!fn(std::string_view(it->key().data(), it->key().size()), std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "keyspace scan");
}

Status Keyspace::ScanPrefix(std::string_view prefix, const ScanFn& fn) const {
  const std::string end = PrefixEnd(prefix);
  return Scan(prefix, end, fn);
}

uint64_t Keyspace::ApproximateSize() const {
  uint64_t sst = 0, mem = 0;
  db_->rocks()->GetIntProperty(family_, "rocksdb.live-sst-files-size", &sst);
  db_->rocks()->GetIntProperty(family_, "rocksdb.cur-size-all-mem-tables", &mem);
  return sst + mem;
}

}  // namespace gnomon::storage
