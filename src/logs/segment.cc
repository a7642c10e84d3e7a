#include "logs/segment.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "logs/text_filter.h"
#include "util/coding.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace gnomon::logs::segment {

namespace {

constexpr uint8_t kVersion = 3;             // 1: no text filters; 2: no block format (kSealed)
constexpr size_t kBlockBytes = 512 * 1024;  // uncompressed line bytes per block, about
constexpr size_t kTsTextBytes = 30;         // "2023-11-14T22:13:20.123456789Z"
constexpr size_t kFractionAt = 20;          // where its fraction's digits start

std::string SeqKey(std::string_view prefix, uint64_t seq) {
  std::string k(prefix);
  PutFixed64BE(&k, seq);
  return k;
}

// zstd contexts are worth keeping: making one zeroes its tables (most of a small frame's cost).
struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};

ZstdContexts& Contexts() {
  thread_local ZstdContexts contexts;
  return contexts;
}

std::string Compress(const std::string& raw, int level) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  const size_t n = ZSTD_compressCCtx(Contexts().c, out.data(), out.size(), raw.data(), raw.size(), level);
  out.resize(ZSTD_isError(n) ? 0 : n);  // cannot fail with a bound-sized buffer
  return out;
}

Status Decompress(std::string_view in, std::string* out, std::string_view what) {
  const unsigned long long size = ZSTD_getFrameContentSize(in.data(), in.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ull << 32)) {
    return Status::Corruption("log segment: bad " + std::string(what));
  }
  out->resize(size);
  const size_t n = ZSTD_decompressDCtx(Contexts().d, out->data(), out->size(), in.data(), in.size());
  if (ZSTD_isError(n) || n != size) return Status::Corruption("log segment: bad " + std::string(what));
  return Status::OK();
}

// Columns: varint row count, then the time column: each row's time minus the previous row's (the
// first minus the segment's min time; rows are sorted, so none is negative) as four byte planes —
// every delta's low byte, then every second byte, and so on — which compress better than varints
// and decode without branches; a delta of 2^32 - 1 or more is written as 0xffffffff and listed
// after the planes: varint count, then per such row varint row and varint delta. Then the stream
// column: with a table of at most 256 streams one byte per row, else a varint per row.
constexpr uint32_t kBigGap = UINT32_MAX;

std::string EncodeColumns(const std::vector<int64_t>& ts, const std::vector<uint32_t>& stream, size_t table_size,
                          int64_t min_ts) {
  const size_t n = ts.size();
  std::string out;
  PutVarint64(&out, n);
  const size_t at = out.size();
  out.resize(at + 4 * n);
  std::vector<std::pair<size_t, uint64_t>> big;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t d = static_cast<uint64_t>(ts[i]) - static_cast<uint64_t>(i == 0 ? min_ts : ts[i - 1]);
    uint32_t v = static_cast<uint32_t>(d);
    if (d >= kBigGap) {
      v = kBigGap;
      big.emplace_back(i, d);
    }
    for (int k = 0; k < 4; ++k) out[at + k * n + i] = static_cast<char>(v >> (8 * k));
  }
  PutVarint64(&out, big.size());
  for (const auto& [row, d] : big) {
    PutVarint64(&out, row);
    PutVarint64(&out, d);
  }
  for (uint32_t s : stream) {
    if (table_size <= 256) {
      out.push_back(static_cast<char>(s));
    } else {
      PutVarint64(&out, s);
    }
  }
  return out;
}

}  // namespace

std::string MetaKey(uint64_t seq) { return SeqKey(kMetaPrefix, seq); }
std::string IdsKey(const Meta& meta) { return SeqKey("g/", meta.seq) + (meta.version < 3 ? "i" : "d"); }
std::string ColumnsKey(uint64_t seq) { return SeqKey("g/", seq) + "c"; }
std::string FiltersKey(uint64_t seq) { return SeqKey("g/", seq) + "f"; }
std::string LinesKey(const Meta& meta, uint32_t block) {
  std::string k = SeqKey("g/", meta.seq) + (meta.format == BlockFormat::kSealed ? "l" : "s");
  PutFixed64BE(&k, block);
  return k;
}

uint32_t Meta::BlockOf(uint32_t row) const {
  auto it = std::upper_bound(blocks.begin(), blocks.end(), row,
                             [](uint32_t r, const BlockMeta& b) { return r < b.first_row; });
  return static_cast<uint32_t>(it - blocks.begin()) - 1;
}

void Build(uint64_t seq, const std::vector<StreamRows>& streams, const std::vector<Row>& rows, int level,
           storage::KeyspaceBatch* out, Meta* meta, std::vector<std::string>* ids) {
  meta->seq = seq;
  meta->rows = rows.size();
  meta->level = level;
  meta->version = kVersion;
  meta->format = BlockFormat::kSealed;
  meta->filtered = false;
  meta->streams = streams;
  for (StreamRows& s : meta->streams) s.rows = 0;
  meta->blocks.clear();
  meta->min_ts = INT64_MAX;
  meta->max_ts = INT64_MIN;

  // The ID dictionary: sorted IDs, each with its rows.
  std::unordered_map<std::string_view, std::vector<uint32_t>> rows_of;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].id.empty()) rows_of[rows[i].id].push_back(static_cast<uint32_t>(i));
  }
  std::vector<std::string_view> sorted;
  sorted.reserve(rows_of.size());
  for (const auto& [id, unused] : rows_of) sorted.push_back(id);
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> lists;
  lists.reserve(sorted.size());
  std::vector<std::pair<std::string_view, std::string_view>> entries;
  entries.reserve(sorted.size());
  ids->clear();
  for (std::string_view id : sorted) {
    const std::vector<uint32_t>& r = rows_of[id];
    std::string& list = lists.emplace_back();
    PutVarint64(&list, r.size());
    uint32_t prev = 0;
    for (uint32_t row : r) {
      PutVarint64(&list, row - prev);
      prev = row;
    }
    entries.emplace_back(id, list);
    ids->emplace_back(id);
  }
  out->Put(IdsKey(*meta), Compress(EncodeIdDictionary(entries), level));

  std::string lines;
  std::vector<int64_t> all_ts;
  std::vector<uint32_t> all_stream;
  all_ts.reserve(rows.size());
  all_stream.reserve(rows.size());
  char ts_text[kTsTextBytes];
  BlockMeta current;
  auto flush_block = [&]() {
    const uint32_t b = static_cast<uint32_t>(meta->blocks.size());
    out->Put(LinesKey(*meta, b), Compress(lines, level));
    meta->blocks.push_back(current);
    lines.clear();
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    if (lines.empty()) {
      current = {static_cast<uint32_t>(i), r.ts_ns, r.ts_ns};
    }
    current.min_ts = std::min(current.min_ts, r.ts_ns);
    current.max_ts = std::max(current.max_ts, r.ts_ns);
    meta->min_ts = std::min(meta->min_ts, r.ts_ns);
    meta->max_ts = std::max(meta->max_ts, r.ts_ns);
    meta->streams[r.stream].rows++;
    all_ts.push_back(r.ts_ns);
    all_stream.push_back(r.stream);
    // The line, without its own time when it carries it in the nine-digit form.
    size_t at = std::string_view::npos;
    if (r.line.size() >= kTsTextBytes && FormatRfc3339Fixed9(r.ts_ns, ts_text) == kTsTextBytes) {
      at = r.line.find(std::string_view(ts_text, kTsTextBytes));
    }
    if (at == std::string_view::npos) {
      PutVarint64(&lines, 0);
      PutVarint64(&lines, r.line.size());
      lines.append(r.line);
    } else {
      PutVarint64(&lines, at + 1);
      PutVarint64(&lines, r.line.size() - kTsTextBytes);
      lines.append(r.line.substr(0, at));
      lines.append(r.line.substr(at + kTsTextBytes));
    }
    if (lines.size() >= kBlockBytes) flush_block();
  }
  if (!lines.empty()) flush_block();
  out->Put(ColumnsKey(seq), Compress(EncodeColumns(all_ts, all_stream, streams.size(), meta->min_ts), level));
  out->Put(MetaKey(seq), EncodeMeta(*meta));
}

Status Rewrite(const storage::Keyspace& ks, const Meta& meta, int level, storage::KeyspaceBatch* out, Meta* rewritten,
               std::vector<std::string>* obsolete) {
  *rewritten = meta;
  rewritten->level = level;
  rewritten->filtered = true;
  rewritten->format = BlockFormat::kSplit;
  rewritten->version = kVersion;
  obsolete->clear();
  if (IdsKey(meta) != IdsKey(*rewritten)) obsolete->push_back(IdsKey(meta));
  std::string value, raw;
  auto recompress = [&](const std::string& key, std::string_view what) -> Status {
    GNOMON_RETURN_IF_ERROR(ks.Get(key, &value));
    GNOMON_RETURN_IF_ERROR(Decompress(value, &raw, what));
    out->Put(key, Compress(raw, level));
    return Status::OK();
  };
  GNOMON_RETURN_IF_ERROR(ks.Get(IdsKey(meta), &value));
  IdDictionary dict;
  GNOMON_RETURN_IF_ERROR(dict.Decode(value, meta));
  std::vector<std::pair<std::string_view, std::string_view>> entries;
  for (size_t i = 0; i < dict.size(); ++i) entries.emplace_back(dict.at(i), dict.row_list(i));
  out->Put(IdsKey(*rewritten), Compress(EncodeIdDictionary(entries), level));  // (a first layout's too)
  RowIdTable id_of;
  GNOMON_RETURN_IF_ERROR(RowIds(dict, meta, &id_of));
  GNOMON_RETURN_IF_ERROR(recompress(ColumnsKey(meta.seq), "columns"));
  Columns columns;
  GNOMON_RETURN_IF_ERROR(DecodeColumns(value, meta, &columns));
  std::string filters;
  PutVarint64(&filters, meta.blocks.size());
  TextFilterBuilder filter;
  std::string block_filter, encoded;
  std::vector<BlockLine> lines;
  Block block;
  for (uint32_t b = 0; b < meta.blocks.size(); ++b) {
    GNOMON_RETURN_IF_ERROR(ks.Get(LinesKey(meta, b), &value));
    if (LinesKey(meta, b) != LinesKey(*rewritten, b)) obsolete->push_back(LinesKey(meta, b));
    GNOMON_RETURN_IF_ERROR(block.Read(value, meta, b, columns.ts.data(), &id_of));
    lines.clear();
    for (uint32_t row = meta.blocks[b].first_row; row < meta.block_end(b); ++row) {
      const std::string_view line = block.line(row), id = id_of.text[row];
      lines.push_back({line, columns.ts[row], id, id_of.rank[row]});
      // The filter leaves out the ID's tokens and the left-out time's fraction.
      const size_t id_at = id.empty() ? std::string_view::npos : line.find(id);
      const size_t time_at = block.TimeAt(row);
      filter.AddLine(line, id_at == std::string_view::npos ? 0 : id_at,
                     id_at == std::string_view::npos ? 0 : id_at + id.size(),
                     time_at == std::string_view::npos ? time_at : time_at + kFractionAt);
    }
    encoded.clear();
    EncodeBlockLines(lines, &encoded);
    out->Put(LinesKey(*rewritten, b), Compress(encoded, level));
    block_filter.clear();
    filter.Finish(&block_filter);
    PutVarint64(&filters, block_filter.size());
    filters += block_filter;
  }
  out->Put(FiltersKey(meta.seq), filters);
  out->Put(MetaKey(meta.seq), EncodeMeta(*rewritten));
  return Status::OK();
}

Status RowIds(const IdDictionary& dict, const Meta& meta, RowIdTable* of_row, uint32_t first, uint32_t end) {
  end = static_cast<uint32_t>(std::min<uint64_t>(end, meta.rows));
  of_row->text.assign(meta.rows, std::string_view());
  of_row->rank.assign(meta.rows, 0);
  of_row->first = first;
  of_row->end = end;
  const Status bad = Status::Corruption("log segment: bad ID dictionary");
  for (size_t i = 0; i < dict.size(); ++i) {
    std::string_view in = dict.row_list(i);
    uint64_t n = 0, row = 0;
    if (!GetVarint64(&in, &n)) return bad;
    for (uint64_t k = 0; k < n; ++k) {  // rows ascend: stop past the range
      uint64_t d = 0;
      if (!GetVarint64(&in, &d)) return bad;
      row += d;
      if (row >= meta.rows) return bad;
      if (row >= end) break;
      if (row < first) continue;
      of_row->text[row] = dict.at(i);
      of_row->rank[row] = static_cast<uint32_t>(i + 1);
    }
  }
  return Status::OK();
}

std::string EncodeMeta(const Meta& meta) {
  std::string v(1, static_cast<char>(kVersion));
  PutVarint64(&v, meta.rows);
  PutZigZagVarint64(&v, meta.min_ts);
  PutZigZagVarint64(&v, meta.max_ts);
  PutVarint64(&v, meta.streams.size());
  for (const StreamRows& s : meta.streams) {
    PutVarint64(&v, s.sid);
    PutVarint64(&v, s.rows);
  }
  PutVarint64(&v, meta.blocks.size());
  for (const BlockMeta& b : meta.blocks) {
    PutVarint64(&v, b.first_row);
    PutZigZagVarint64(&v, b.min_ts - meta.min_ts);
    PutZigZagVarint64(&v, b.max_ts - b.min_ts);
  }
  PutZigZagVarint64(&v, meta.level);
  v.push_back(meta.filtered ? 1 : 0);
  v.push_back(static_cast<char>(meta.format));
  return v;
}

Status DecodeMeta(uint64_t seq, std::string_view in, Meta* meta) {
  const Status bad = Status::Corruption("log segment " + std::to_string(seq) + ": bad meta");
  if (in.empty() || static_cast<uint8_t>(in[0]) < 1 || static_cast<uint8_t>(in[0]) > kVersion) return bad;
  const uint8_t version = static_cast<uint8_t>(in[0]);
  meta->version = version;
  in.remove_prefix(1);
  uint64_t rows = 0, min_zz = 0, max_zz = 0, n = 0;
  if (!GetVarint64(&in, &rows) || !GetVarint64(&in, &min_zz) || !GetVarint64(&in, &max_zz) || !GetVarint64(&in, &n) ||
      n > in.size() || rows > UINT32_MAX || rows == 0) {
    return bad;
  }
  meta->seq = seq;
  meta->rows = rows;
  meta->min_ts = ZigZagDecode(min_zz);
  meta->max_ts = ZigZagDecode(max_zz);
  meta->streams.resize(n);
  for (StreamRows& s : meta->streams) {
    if (!GetVarint64(&in, &s.sid) || !GetVarint64(&in, &s.rows)) return bad;
  }
  if (!GetVarint64(&in, &n) || n > in.size() || n == 0) return bad;
  meta->blocks.resize(n);
  uint64_t prev = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t first = 0, min_zz = 0, span_zz = 0;
    if (!GetVarint64(&in, &first) || !GetVarint64(&in, &min_zz) || !GetVarint64(&in, &span_zz)) return bad;
    if (first >= rows || (i == 0 ? first != 0 : first <= prev)) return bad;
    prev = first;
    BlockMeta& b = meta->blocks[i];
    b.first_row = static_cast<uint32_t>(first);
    b.min_ts = meta->min_ts + ZigZagDecode(min_zz);
    b.max_ts = b.min_ts + ZigZagDecode(span_zz);
  }
  uint64_t level_zz = 0;
  if (!GetVarint64(&in, &level_zz)) return bad;
  meta->level = static_cast<int>(ZigZagDecode(level_zz));
  meta->filtered = false;
  meta->format = BlockFormat::kSealed;
  if (version >= 2) {
    if (in.empty() || static_cast<uint8_t>(in[0]) > 1) return bad;
    meta->filtered = in[0] == 1;
    in.remove_prefix(1);
  }
  if (version >= 3) {
    if (in.empty() || static_cast<uint8_t>(in[0]) > 1) return bad;
    meta->format = static_cast<BlockFormat>(in[0]);
    in.remove_prefix(1);
  }
  return in.empty() ? Status::OK() : bad;
}

Status DecodeColumns(std::string_view value, const Meta& meta, Columns* columns) {
  std::string raw;
  GNOMON_RETURN_IF_ERROR(Decompress(value, &raw, "columns"));
  const Status bad = Status::Corruption("log segment " + std::to_string(meta.seq) + ": bad columns");
  std::string_view in = raw;
  uint64_t n = 0;
  if (!GetVarint64(&in, &n) || n != meta.rows || in.size() < 4 * n) return bad;
  columns->ts.resize(n);
  columns->stream.resize(n);
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  for (size_t i = 0; i < n; ++i) {
    columns->ts[i] = p[i] | uint32_t{p[n + i]} << 8 | uint32_t{p[2 * n + i]} << 16 | uint32_t{p[3 * n + i]} << 24;
  }
  in.remove_prefix(4 * n);
  uint64_t big = 0;
  if (!GetVarint64(&in, &big) || big > n) return bad;
  for (uint64_t k = 0; k < big; ++k) {
    uint64_t row = 0, d = 0;
    if (!GetVarint64(&in, &row) || !GetVarint64(&in, &d) || row >= n || columns->ts[row] != kBigGap) return bad;
    columns->ts[row] = static_cast<int64_t>(d);
  }
  int64_t ts = meta.min_ts;
  for (size_t i = 0; i < n; ++i) columns->ts[i] = ts = static_cast<int64_t>(static_cast<uint64_t>(ts) + columns->ts[i]);
  if (meta.streams.size() <= 256) {
    if (in.size() != n) return bad;
    for (size_t i = 0; i < n; ++i) {
      columns->stream[i] = static_cast<uint8_t>(in[i]);
      if (columns->stream[i] >= meta.streams.size()) return bad;
    }
    return Status::OK();
  }
  for (size_t i = 0; i < n; ++i) {
    uint64_t v = 0;
    if (!GetVarint64(&in, &v) || v >= meta.streams.size()) return bad;
    columns->stream[i] = static_cast<uint32_t>(v);
  }
  return in.empty() ? Status::OK() : bad;
}

// The dictionary (meta version 3 on): varint count, varint size of the ID section, the ID section
// (per ID: varint length + the ID), then per ID varint length + its row list. The first layout
// (meta versions 1 and 2) interleaved them: per ID its length and bytes, then its row list's.
std::string EncodeIdDictionary(const std::vector<std::pair<std::string_view, std::string_view>>& ids) {
  std::string id_section, out;
  for (const auto& [id, rows] : ids) {
    PutVarint64(&id_section, id.size());
    id_section.append(id);
  }
  PutVarint64(&out, ids.size());
  PutVarint64(&out, id_section.size());
  out += id_section;
  for (const auto& [id, rows] : ids) {
    PutVarint64(&out, rows.size());
    out.append(rows);
  }
  return out;
}

Status IdDictionary::Decode(std::string_view value, const Meta& meta) {
  GNOMON_RETURN_IF_ERROR(Decompress(value, meta));
  return Index();
}

Status IdDictionary::Decompress(std::string_view value, const Meta& meta) {
  ids_.clear();
  GNOMON_RETURN_IF_ERROR(segment::Decompress(value, &raw_, "ID dictionary"));
  interleaved_ = meta.version < 3;
  id_section_ = raw_;
  if (interleaved_) return Status::OK();
  std::string_view in = raw_;
  uint64_t n = 0, size = 0;
  if (!GetVarint64(&in, &n) || !GetVarint64(&in, &size) || size > in.size()) {
    return Status::Corruption("log segment: bad ID dictionary");
  }
  id_section_ = in.substr(0, size);
  return Status::OK();
}

bool IdDictionary::MayContainText(std::string_view text) const { return ContainsText(id_section_, text); }

Status IdDictionary::Index() {
  const Status bad = Status::Corruption("log segment: bad ID dictionary");
  std::string_view in = raw_;
  uint64_t n = 0, size = 0;
  if (!GetVarint64(&in, &n) || n > in.size()) return bad;
  if (!interleaved_ && (!GetVarint64(&in, &size) || size > in.size())) return bad;
  ids_.resize(n);
  std::string_view id_in = interleaved_ ? in : in.substr(0, size);
  std::string_view rows_in = interleaved_ ? in : in.substr(size);
  for (Entry& e : ids_) {
    uint64_t len = 0;
    if (!GetVarint64(&id_in, &len) || len > id_in.size()) return bad;
    e.id = id_in.substr(0, len);
    id_in.remove_prefix(len);
    if (interleaved_) rows_in = id_in;
    if (!GetVarint64(&rows_in, &len) || len > rows_in.size()) return bad;
    e.rows = rows_in.substr(0, len);
    rows_in.remove_prefix(len);
    if (interleaved_) id_in = rows_in;
  }
  return (interleaved_ ? id_in.empty() : id_in.empty() && rows_in.empty()) ? Status::OK() : bad;
}

bool IdDictionary::Find(std::string_view id, std::vector<uint32_t>* rows) const {
  rows->clear();
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id, [](const Entry& e, std::string_view v) { return e.id < v; });
  if (it == ids_.end() || it->id != id) return false;
  return Rows(static_cast<size_t>(it - ids_.begin()), rows);
}

bool IdDictionary::Rows(size_t i, std::vector<uint32_t>* rows) const {
  rows->clear();
  std::string_view in = ids_[i].rows;
  uint64_t n = 0, row = 0;
  if (!GetVarint64(&in, &n) || n > in.size()) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t d = 0;
    if (!GetVarint64(&in, &d)) return false;
    row += d;
    if (row > UINT32_MAX) return false;
    rows->push_back(static_cast<uint32_t>(row));
  }
  return true;
}

namespace {

// A block in the seal's encoding: per row varint `at` and varint length, then the bytes; when
// `at` is not 0 the line's time goes back at byte `at - 1`.
Status DecodeSealedLines(std::string_view in, size_t rows, const int64_t* ts, DecodedLines* out) {
  const Status bad = Status::Corruption("log segment: bad block");
  out->text.clear();
  out->text.reserve(in.size() + rows * kTsTextBytes);
  out->spans.clear();
  out->time_at.clear();
  char ts_text[kTsTextBytes];
  for (size_t i = 0; i < rows; ++i) {
    uint64_t at = 0, len = 0;
    if (!GetVarint64(&in, &at) || !GetVarint64(&in, &len) || len > in.size() || (at != 0 && at - 1 > len)) {
      return bad;
    }
    const std::string_view stored = in.substr(0, len);
    in.remove_prefix(len);
    const size_t offset = out->text.size();
    if (at == 0) {
      out->text.append(stored);
      out->time_at.push_back(std::string_view::npos);
    } else {
      if (FormatRfc3339Fixed9(ts[i], ts_text) != kTsTextBytes) return bad;
      out->text.append(stored.substr(0, at - 1));
      out->text.append(ts_text, kTsTextBytes);
      out->text.append(stored.substr(at - 1));
      out->time_at.push_back(at - 1);
    }
    out->spans.emplace_back(offset, out->text.size() - offset);
  }
  return in.empty() ? Status::OK() : bad;
}

}  // namespace

Status Block::Read(std::string_view value, const Meta& meta, uint32_t b, const int64_t* ts, const RowIdTable* ids,
                   const std::vector<uint8_t>* wanted) {
  GNOMON_RETURN_IF_ERROR(Decompress(value, &raw_, "block"));
  first_row_ = meta.blocks[b].first_row;
  const size_t rows = meta.block_end(b) - first_row_;
  if (meta.format == BlockFormat::kSealed) return DecodeSealedLines(raw_, rows, ts + first_row_, &lines_);
  if (ids == nullptr || first_row_ < ids->first || first_row_ + rows > ids->end) {
    return Status::InvalidArgument("log segment: a split block needs its rows' IDs");
  }
  return DecodeBlockLines(raw_, rows, ts + first_row_, ids->text.data() + first_row_, ids->rank.data() + first_row_,
                          &lines_, wanted != nullptr && wanted->size() == rows ? wanted->data() : nullptr);
}

Status TextFilters::Decode(std::string_view value, const Meta& meta) {
  raw_.assign(value);
  blocks_.clear();
  const Status bad = Status::Corruption("log segment " + std::to_string(meta.seq) + ": bad text filters");
  std::string_view in = raw_;
  uint64_t n = 0;
  if (!GetVarint64(&in, &n) || n != meta.blocks.size()) return bad;
  blocks_.reserve(n);
  for (uint64_t b = 0; b < n; ++b) {
    uint64_t len = 0;
    if (!GetVarint64(&in, &len) || len > in.size()) return bad;
    blocks_.push_back(in.substr(0, len));
    in.remove_prefix(len);
  }
  return in.empty() ? Status::OK() : bad;
}

}  // namespace gnomon::logs::segment
