// Options: every knob of an embedded Gnomon engine, with its default.
//
// Pass an Options to DB::Open. The defaults suit a small server: data kept forever, every write
// batch appended to the write-ahead log before it is acknowledged (so an acknowledged write
// survives the process being killed), and the log fsynced every second.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gnomon {

// How acknowledged writes are protected. Every mode appends each batch to the write-ahead log
// with one write() before DB::Write returns, so a write survives a crash of the process
// (kill -9). The modes differ in when the log reaches stable storage (power loss).
enum class SyncMode : unsigned char {
  kAlways,    // fdatasync after every batch: survives power loss; slowest
  kInterval,  // fdatasync every `sync_interval_ms` in the background
  kNever,     // leave it to the operating system
};

struct Limits {
  size_t max_labels_per_series = 64;
  size_t max_label_name_length = 256;
  size_t max_label_value_length = 4096;
  size_t max_series = 0;  // 0 = unlimited; creating a series beyond it fails with kResourceExhausted
  // Most series one metric name may have; creating one more fails with kResourceExhausted naming
  // the metric and the limit. 0 = unlimited.
  size_t max_series_per_metric = 0;
};

struct Options {
  // Create the data directory if it is missing. If false, opening a missing directory fails.
  bool create_if_missing = true;

  SyncMode sync_mode = SyncMode::kInterval;
  uint32_t sync_interval_ms = 1000;

  // Samples older than now - retention_ms are dropped (whole chunks at a time) and no longer
  // returned. 0 keeps data forever, so old data can be backfilled.
  int64_t retention_ms = 0;

  Limits limits;

  // A series' in-memory samples are sealed into a compressed chunk when they reach this count,
  // or when a sample crosses into a new chunk window.
  uint32_t max_samples_per_chunk = 1024;
  // Chunks never span more than one aligned window of this length (ms). Reads use it to bound
  // how far back they look for chunks overlapping a time range; Compact merges a series' chunks
  // within a window, so a longer window means fewer, better-compressed chunks (24 h: 1.02 B/sample
  // on the reference data, 2 h: 1.07). Retention drops whole chunks, so data may stay on disk up
  // to one window past its cutoff (it is never returned).
  int64_t chunk_window_ms = 24 * 3600 * 1000;

  // When the write-ahead log exceeds this many bytes a new segment is started, and series whose
  // unsealed samples are in segments two or more behind are sealed so old segments can be deleted.
  uint64_t wal_segment_bytes = 64ull << 20;
  // Segments that recovery no longer needs are kept while a WAL consumer (forwarding) has not
  // read past them, up to this many bytes; beyond it the oldest are deleted anyway and the
  // consumers skip them (they count what they lost). 0: consumers pin nothing.
  uint64_t max_wal_retained_bytes = 1ull << 30;

  // Every this many ms the engine runs Compact() on its own background thread (the first run one
  // interval after Open). 0 never compacts by itself. A failed run is logged and counted
  // (Stats::compaction_errors) and the next one is tried an interval later.
  int64_t compaction_interval_ms = 0;

  // RocksDB block cache for chunk reads.
  size_t block_cache_bytes = 64ull << 20;

  // A throwaway database held entirely in memory: nothing is read from or written to disk (no
  // data directory is created; the `path` given to DB::Open only names the database), there is
  // no write-ahead log and no background sync thread, and nothing is ever synced. Everything
  // is lost when the DB is closed; opening the same path again gives an empty database.
  // DB::Write returns OK once the batch is in memory; sync_mode, sync_interval_ms and
  // wal_segment_bytes are ignored (Stats::wal_bytes stays 0). Reads, Flush (chunks go to an
  // in-memory RocksDB), Compact, retention and keyspaces behave as on disk. Meant for scratch
  // space such as rule unit tests (`gnomon test rules`). Default false: a durable database.
  bool in_memory = false;
};

}  // namespace gnomon
