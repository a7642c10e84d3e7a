// The RocksDB layout: column families and key encodings (documented in docs/format/keys.md).
//
//   series  key: ref (u64 BE)                          value: canonical labels (index/labels_util.h)
//   chunks  key: ref (u64 BE) | min_time (i64, BE with sign bit flipped) | seq (u64 BE)
//           value: an encoded chunk (storage/chunk/chunk.h)
//   meta    key: "next_series_ref" | "next_chunk_seq"  value: u64 BE
// Big-endian keys make one series' chunks one contiguous range, ordered by time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/coding.h"

namespace gnomon::storage {

inline constexpr const char* kSeriesFamily = "series";
inline constexpr const char* kChunksFamily = "chunks";
inline constexpr const char* kMetaFamily = "meta";
inline constexpr const char* kNextSeriesRefKey = "next_series_ref";
inline constexpr const char* kNextChunkSeqKey = "next_chunk_seq";
// The oldest WAL segment recovery replays (older ones are kept only for WAL consumers), u64 BE.
inline constexpr const char* kWalReplayFromKey = "wal_replay_from";
// + consumer name: the consumer's acknowledged WAL position, u64 BE (segment << 40 | offset).
inline constexpr std::string_view kWalConsumerPrefix = "wal_consumer/";

inline constexpr size_t kChunkKeySize = 24;

inline std::string SeriesKey(uint64_t ref) {
  std::string k;
  PutFixed64BE(&k, ref);
  return k;
}

struct ChunkKey {
  uint64_t ref = 0;
  int64_t min_time = 0;
  uint64_t seq = 0;

  std::string Encode() const {
    std::string k;
    k.reserve(kChunkKeySize);
    PutFixed64BE(&k, ref);
    PutTimestampKey(&k, min_time);
    PutFixed64BE(&k, seq);
    return k;
  }
  static bool Decode(std::string_view k, ChunkKey* out) {
    if (k.size() != kChunkKeySize) return false;
    out->ref = DecodeFixed64BE(k.data());
    out->min_time = DecodeTimestampKey(k.data() + 8);
    out->seq = DecodeFixed64BE(k.data() + 16);
    return true;
  }
};

// The smallest chunk key of series `ref` whose min_time is >= t.
inline std::string ChunkSeekKey(uint64_t ref, int64_t t) { return ChunkKey{ref, t, 0}.Encode(); }

}  // namespace gnomon::storage
