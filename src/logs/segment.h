// Segment: the log store's immutable, compressed unit of lines (layout: docs/format/logs.md).
//
// A segment holds the lines of one sealed head (log_store.h) in time order (arrival order among
// equal times): the lines in zstd blocks of ~512 KiB, a line's own RFC 3339 time left out of its
// text when it is the line's timestamp in the nine-digit form (it is put back on reading: lines
// come back byte for byte); compaction re-encodes each block without times and IDs, JSON split by
// key and rows grouped by ID (block_codec.h). Beside the blocks, the segment's compressed columns (each row's time and stream), so a
// time/stream selection reads one columns value and the lines of only the blocks holding rows it
// wants; and one sorted dictionary of the segment's correlation IDs with each ID's rows, so
// an ID lookup reads the dictionary and the block or two of that request.
//
// This unit only encodes and decodes; log_store.cc decides when to build a segment and what to
// read. Every decoder checks its input and answers Corruption instead of reading out of bounds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/status.h"
#include "logs/block_codec.h"
#include "storage/keyspace.h"

namespace gnomon::logs::segment {

// One line to store: its time, its stream (an index into the segment's stream table), its text and
// its correlation ID ("" when none).
struct Row {
  int64_t ts_ns = 0;
  uint32_t stream = 0;
  std::string_view line;
  std::string_view id;
};

struct StreamRows {
  uint64_t sid = 0;   // the store's stream id
  uint64_t rows = 0;  // how many of the segment's rows are this stream's
};

struct BlockMeta {
  uint32_t first_row = 0;  // the block holds rows [first_row, the next block's first_row)
  int64_t min_ts = 0, max_ts = 0;
};

// How a segment's blocks encode their lines: as sealed (each line whole, without its own time),
// or as compaction rewrites them (block_codec.h: without time and ID, JSON split by key).
enum class BlockFormat : uint8_t { kSealed = 0, kSplit = 1 };

// What the store keeps in memory per segment (key `n/` seq): enough to decide which segments and
// blocks a query reads.
struct Meta {
  uint64_t seq = 0;
  uint64_t rows = 0;
  int64_t min_ts = 0, max_ts = 0;
  std::vector<StreamRows> streams;  // the stream table, indexed by Row::stream
  std::vector<BlockMeta> blocks;
  int level = 0;          // the zstd level its data was last written with
  bool filtered = false;  // it has text filters (it was compacted)
  BlockFormat format = BlockFormat::kSealed;
  uint8_t version = 0;  // of its meta's encoding as read (EncodeMeta writes the current one)

  uint32_t block_end(uint32_t b) const {
    return b + 1 < blocks.size() ? blocks[b + 1].first_row : static_cast<uint32_t>(rows);
  }
  uint32_t BlockOf(uint32_t row) const;
};

// The columns of a segment's rows, in row order.
struct Columns {
  std::vector<int64_t> ts;
  std::vector<uint32_t> stream;  // index into Meta::streams
};

// Keys. Segment numbers are big-endian so a segment's keys are one contiguous range.
inline constexpr std::string_view kMetaPrefix = "n/";
std::string MetaKey(uint64_t seq);                       // n/ seq
std::string IdsKey(const Meta& meta);                    // g/ seq d (g/ seq i: the first layout)
std::string ColumnsKey(uint64_t seq);                    // g/ seq c
std::string LinesKey(const Meta& meta, uint32_t block);  // g/ seq l block (kSealed), g/ seq s block (kSplit)
std::string FiltersKey(uint64_t seq);                    // g/ seq f

// Encodes `rows` (sorted by time; streams: the stream table) as segment `seq` into `out`,
// compressed at zstd `level`; fills *meta and the segment's distinct IDs, sorted (for the ID index).
void Build(uint64_t seq, const std::vector<StreamRows>& streams, const std::vector<Row>& rows, int level,
           storage::KeyspaceBatch* out, Meta* meta, std::vector<std::string>* ids);

// Compacts segment `meta.seq` (read from `ks`) into `out`: its data recompressed at zstd `level`,
// its blocks re-encoded by block_codec.h (without times and IDs, JSON split by key), and its text
// filters (text_filter.h) built; its meta as *rewritten. The same rows, keys and block boundaries.
// This is done in the background, not when a head is sealed on the ingest path: filters and the
// split cost a few µs a line.
// A value whose meaning changes gets a new key, so a reader still holding the old meta reads what
// it expects: the old keys are listed in *obsolete, to delete once no reader has the old meta.
Status Rewrite(const storage::Keyspace& ks, const Meta& meta, int level, storage::KeyspaceBatch* out, Meta* rewritten,
               std::vector<std::string>* obsolete);

std::string EncodeMeta(const Meta& meta);
Status DecodeMeta(uint64_t seq, std::string_view value, Meta* meta);
Status DecodeColumns(std::string_view value, const Meta& meta, Columns* columns);

// The sorted ID dictionary of a segment, with each ID's rows.
class IdDictionary {
 public:
  Status Decode(std::string_view value, const Meta& meta);
  // Decode in two steps: Decompress, after which MayContainText works, then Index (the rest).
  Status Decompress(std::string_view value, const Meta& meta);
  Status Index();
  // False only if no ID contains `text` (true may be a false alarm).
  bool MayContainText(std::string_view text) const;
  // The rows of `id` in increasing order; false when the segment does not have it.
  bool Find(std::string_view id, std::vector<uint32_t>* rows) const;
  // The rows of the i-th ID; false when its list is malformed.
  bool Rows(size_t i, std::vector<uint32_t>* rows) const;
  size_t size() const { return ids_.size(); }
  std::string_view at(size_t i) const { return ids_[i].id; }
  // The i-th ID's row list as stored (for EncodeIdDictionary).
  std::string_view row_list(size_t i) const { return ids_[i].rows; }

 private:
  struct Entry {
    std::string_view id;
    std::string_view rows;  // varint count, then varint row deltas
  };
  std::string raw_;
  bool interleaved_ = false;  // the first layout: each ID followed by its rows
  std::string_view id_section_;
  std::vector<Entry> ids_;
};

// An ID dictionary's value before compression: `ids` sorted, each with its row list (varint
// count, then varint deltas of its rows, the first from 0).
std::string EncodeIdDictionary(const std::vector<std::pair<std::string_view, std::string_view>>& ids);

// Every row's ID, from the segment's dictionary: its text ("" when none; views into `dict`) and
// its rank (1 + its place in the dictionary; 0 when none).
// Only rows [first, end) are filled in (RowIds' range; a block outside it cannot be read with it).
struct RowIdTable {
  std::vector<std::string_view> text;
  std::vector<uint32_t> rank;
  uint32_t first = 0, end = 0;
};
Status RowIds(const IdDictionary& dict, const Meta& meta, RowIdTable* of_row, uint32_t first = 0,
              uint32_t end = UINT32_MAX);

// A segment's text filters (text_filter.h), one per block.
class TextFilters {
 public:
  Status Decode(std::string_view value, const Meta& meta);
  std::string_view block(uint32_t b) const { return blocks_[b]; }

 private:
  std::string raw_;
  std::vector<std::string_view> blocks_;
};

// A block's lines as sent: decompressed and put back together from either encoding (Meta::format).
class Block {
 public:
  // Reads block `b` of `meta` from its stored `value`; `ts` and `ids` are the segment's rows' times
  // and IDs (from its columns and RowIds; `ids` may be null for a block in the seal's encoding,
  // which keeps IDs in its lines).
  // With `wanted` (the block's rows, in order, from its first), only those lines are put back
  // (line() of another row is empty).
  Status Read(std::string_view value, const Meta& meta, uint32_t b, const int64_t* ts, const RowIdTable* ids,
              const std::vector<uint8_t>* wanted = nullptr);

  std::string_view line(uint32_t row) const { return lines_.line(row - first_row_); }
  // Every line, back to back.
  std::string_view text() const { return lines_.text; }
  // Where in `row`'s line its left-out time went (npos: none was).
  size_t TimeAt(uint32_t row) const { return lines_.time_at[row - first_row_]; }

 private:
  uint32_t first_row_ = 0;
  std::string raw_;
  DecodedLines lines_;
};

}  // namespace gnomon::logs::segment
