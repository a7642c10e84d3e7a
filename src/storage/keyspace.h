// Keyspace: a durable, ordered key-value store that a component of the server (the alert outbox,
// the log store, ...) keeps inside the engine's data directory instead of writing files of its
// own. Internal interface (not under include/): components reach it through a gnomon::DB*.
//
//   auto ks = storage::OpenKeyspace(db, "alert_outbox");   // created on first use
//   storage::KeyspaceBatch b;  b.Put("n/0001", payload);  b.Delete("n/0000");
//   Status s = (*ks)->Write(b, {.sync = true});             // atomic; synced before OK
//   (*ks)->ScanPrefix("n/", [](std::string_view k, std::string_view v) { ...; return true; });
//
// Storage: each keyspace is its own RocksDB column family, named after the keyspace, in the
// engine's RocksDB (docs/format/keys.md). Keys and values are arbitrary bytes; keys sort
// bytewise. Retention and chunk compaction never touch a keyspace.
//
// Durability is the same as samples': with SyncMode::kAlways every write is synced before it
// returns OK; with kInterval it survives kill -9 at once and reaches stable storage within
// sync_interval_ms (the engine's background thread syncs RocksDB's log with the WAL); with kNever
// it survives kill -9 only. `KeyspaceWriteOptions::sync` demands the sync for one write in any
// mode. A write that returns an error stored nothing; failures (kNoSpace for a full disk,
// kIOError otherwise) count into the engine's Stats (wal_write_errors, writable, write_error),
// and, like sample writes, keyspace writes are refused while a background sync has failed.
//
// Thread-safety: a Keyspace may be used from many threads at once. It must be destroyed before
// the DB it came from. Names: [a-z0-9_]+, at most 64 bytes, not one of the engine's own families
// (default, series, chunks, meta).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/db.h"
#include "gnomon/status.h"

namespace rocksdb {
class ColumnFamilyHandle;
}

namespace gnomon::storage {

class DBImpl;

// How a keyspace's column family is kept; applied at every OpenKeyspace (RocksDB changes both
// settings on a live family).
struct KeyspaceOptions {
  size_t memtable_bytes = 4 << 20;
  // False: values are stored as written, for components that compress what they keep in bulk.
  bool compress = true;
  // With compress false: still compress the last level (what is at rest after compaction), where
  // small keys outnumber bulk values that are compressed already (RocksDB keeps a block that does
  // not shrink as it is), without compressing what is written and soon deleted.
  bool compress_at_rest = false;
};

struct KeyspaceWriteOptions {
  // Sync before returning OK even when the engine's SyncMode would not (kAlways always syncs).
  bool sync = false;
};

// Puts and deletes applied together by Keyspace::Write: all of them or none, also across a crash.
class KeyspaceBatch {
 public:
  void Put(std::string_view key, std::string_view value) { ops_.push_back({true, std::string(key), std::string(value)}); }
  void Delete(std::string_view key) { ops_.push_back({false, std::string(key), {}}); }
  void Clear() { ops_.clear(); }
  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }

 private:
  friend class Keyspace;
  struct Op {
    bool put;
    std::string key, value;
  };
  std::vector<Op> ops_;
};

class Keyspace {
 public:
  // Called for each key in order; return false to stop early.
  using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;

  ~Keyspace();
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  const std::string& name() const { return name_; }

  // Stores `value` under `key`, replacing any value. OK once durable as described above.
  Status Put(std::string_view key, std::string_view value, const KeyspaceWriteOptions& options = {});
  // Removes `key` (OK if it was absent).
  Status Delete(std::string_view key, const KeyspaceWriteOptions& options = {});
  // Applies every operation of `batch` atomically, in order (a later op on a key wins).
  Status Write(const KeyspaceBatch& batch, const KeyspaceWriteOptions& options = {});

  // OK with the value in *value, NotFound if `key` is absent, IOError/Corruption on failure.
  Status Get(std::string_view key, std::string* value) const;

  // Calls fn for every key in [start, end) in key order (an empty `end`: to the last key), from
  // one consistent snapshot, until fn returns false. The views are valid only during the call.
  Status Scan(std::string_view start, std::string_view end, const ScanFn& fn) const;
  // Calls fn for every key that starts with `prefix`, in key order, as Scan.
  Status ScanPrefix(std::string_view prefix, const ScanFn& fn) const;

  // Approximate bytes the keyspace occupies: its SST files on disk plus its memtables.
  uint64_t ApproximateSize() const;

 private:
  friend Result<std::unique_ptr<Keyspace>> OpenKeyspace(DB* db, std::string_view name, const KeyspaceOptions& options);
  Keyspace(DBImpl* db, rocksdb::ColumnFamilyHandle* family, std::string name)
      : db_(db), family_(family), name_(std::move(name)) {}

  DBImpl* const db_;
  rocksdb::ColumnFamilyHandle* const family_;  // owned by the DBImpl
  const std::string name_;
};

// Opens keyspace `name` of `db` (a DB from DB::Open), creating it on first use. InvalidArgument
// for a bad name or a DB that is not Gnomon's engine. Opening a name twice gives two handles on
// the same data.
Result<std::unique_ptr<Keyspace>> OpenKeyspace(DB* db, std::string_view name, const KeyspaceOptions& options = {});

// True if `name` may name a keyspace (see above).
bool ValidKeyspaceName(std::string_view name);

}  // namespace gnomon::storage
