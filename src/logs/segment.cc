#include "logs/segment.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "logs/text_filter.h"
#include "util/coding.h"
#include "util/time_format.h"

namespace gnomon::logs::segment {

namespace {

constexpr uint8_t kVersion = 2;  // 1: no text filters
constexpr size_t kBlockBytes = 256 * 1024;  // uncompressed line bytes per block, about
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
std::string IdsKey(uint64_t seq) { return SeqKey("g/", seq) + "i"; }
std::string ColumnsKey(uint64_t seq) { return SeqKey("g/", seq) + "c"; }
std::string FiltersKey(uint64_t seq) { return SeqKey("g/", seq) + "f"; }
std::string LinesKey(uint64_t seq, uint32_t block) {
  std::string k = SeqKey("g/", seq) + "l";
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
  std::string dict;
  PutVarint64(&dict, sorted.size());
  ids->clear();
  for (std::string_view id : sorted) {
    PutVarint64(&dict, id.size());
    dict.append(id);
    const std::vector<uint32_t>& r = rows_of[id];
    std::string list;
    PutVarint64(&list, r.size());
    uint32_t prev = 0;
    for (uint32_t row : r) {
      PutVarint64(&list, row - prev);
      prev = row;
    }
    PutVarint64(&dict, list.size());
    dict += list;
    ids->emplace_back(id);
  }
  out->Put(IdsKey(seq), Compress(dict, level));

  std::string lines;
  std::vector<int64_t> all_ts;
  std::vector<uint32_t> all_stream;
  all_ts.reserve(rows.size());
  all_stream.reserve(rows.size());
  char ts_text[kTsTextBytes];
  BlockMeta current;
  auto flush_block = [&]() {
    const uint32_t b = static_cast<uint32_t>(meta->blocks.size());
    out->Put(LinesKey(seq, b), Compress(lines, level));
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
  meta->filtered = false;
  out->Put(ColumnsKey(seq), Compress(EncodeColumns(all_ts, all_stream, streams.size(), meta->min_ts), level));
  out->Put(MetaKey(seq), EncodeMeta(*meta));
}

Status Rewrite(const storage::Keyspace& ks, const Meta& meta, int level, storage::KeyspaceBatch* out,
               Meta* rewritten) {
  const bool recompress = level != meta.level;
  std::string value, raw;
  auto rewrite = [&](const std::string& key, std::string_view what) -> Status {
    GNOMON_RETURN_IF_ERROR(ks.Get(key, &value));
    if (!recompress) return Status::OK();
    GNOMON_RETURN_IF_ERROR(Decompress(value, &raw, what));
    out->Put(key, Compress(raw, level));
    return Status::OK();
  };
  GNOMON_RETURN_IF_ERROR(rewrite(IdsKey(meta.seq), "ID dictionary"));
  IdDictionary dict;
  GNOMON_RETURN_IF_ERROR(dict.Decode(value));
  GNOMON_RETURN_IF_ERROR(rewrite(ColumnsKey(meta.seq), "columns"));
  Columns columns;
  GNOMON_RETURN_IF_ERROR(DecodeColumns(value, meta, &columns));
  // Each row's ID, for the text filters to leave its tokens out.
  std::vector<std::string_view> id_of(meta.rows);
  std::vector<uint32_t> rows;
  for (size_t i = 0; i < dict.size(); ++i) {
    if (!dict.Rows(i, &rows)) return Status::Corruption("log segment: bad ID dictionary");
    for (uint32_t row : rows) {
      if (row >= meta.rows) return Status::Corruption("log segment: bad ID dictionary");
      id_of[row] = dict.at(i);
    }
  }
  std::string filters;
  PutVarint64(&filters, meta.blocks.size());
  TextFilterBuilder filter;
  std::string block_filter;
  Block block;
  for (uint32_t b = 0; b < meta.blocks.size(); ++b) {
    GNOMON_RETURN_IF_ERROR(rewrite(LinesKey(meta.seq, b), "block"));
    const uint32_t first = meta.blocks[b].first_row;
    GNOMON_RETURN_IF_ERROR(block.Load(value, first, meta.block_end(b) - first));
    GNOMON_RETURN_IF_ERROR(block.Rebuild(columns.ts.data() + first));
    for (uint32_t row = first; row < meta.block_end(b); ++row) {
      const std::string_view line = block.line(row), id = id_of[row];
      const size_t id_at = id.empty() ? std::string_view::npos : line.find(id);
      const size_t time_at = block.TimeAt(row);
      filter.AddLine(line, id_at == std::string_view::npos ? 0 : id_at,
                     id_at == std::string_view::npos ? 0 : id_at + id.size(),
                     time_at == std::string_view::npos ? time_at : time_at + kFractionAt);
    }
    block_filter.clear();
    filter.Finish(&block_filter);
    PutVarint64(&filters, block_filter.size());
    filters += block_filter;
  }
  out->Put(FiltersKey(meta.seq), filters);
  *rewritten = meta;
  rewritten->level = level;
  rewritten->filtered = true;
  out->Put(MetaKey(meta.seq), EncodeMeta(*rewritten));
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
  return v;
}

Status DecodeMeta(uint64_t seq, std::string_view in, Meta* meta) {
  const Status bad = Status::Corruption("log segment " + std::to_string(seq) + ": bad meta");
  if (in.empty() || (static_cast<uint8_t>(in[0]) != kVersion && static_cast<uint8_t>(in[0]) != 1)) return bad;
  const uint8_t version = static_cast<uint8_t>(in[0]);
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
  if (version >= 2) {
    if (in.empty() || static_cast<uint8_t>(in[0]) > 1) return bad;
    meta->filtered = in[0] == 1;
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

Status IdDictionary::Decode(std::string_view value) {
  GNOMON_RETURN_IF_ERROR(Decompress(value));
  return Index();
}

Status IdDictionary::Decompress(std::string_view value) {
  ids_.clear();
  return segment::Decompress(value, &raw_, "ID dictionary");
}

bool IdDictionary::MayContainText(std::string_view text) const {
  return text.empty() || memmem(raw_.data(), raw_.size(), text.data(), text.size()) != nullptr;
}

Status IdDictionary::Index() {
  const Status bad = Status::Corruption("log segment: bad ID dictionary");
  std::string_view in = raw_;
  uint64_t n = 0;
  if (!GetVarint64(&in, &n) || n > in.size()) return bad;
  ids_.resize(n);
  for (Entry& e : ids_) {
    uint64_t len = 0;
    if (!GetVarint64(&in, &len) || len > in.size()) return bad;
    e.id = in.substr(0, len);
    in.remove_prefix(len);
    if (!GetVarint64(&in, &len) || len > in.size()) return bad;
    e.rows = in.substr(0, len);
    in.remove_prefix(len);
  }
  return Status::OK();
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

Status Block::Load(std::string_view value, uint32_t first_row, size_t rows) {
  GNOMON_RETURN_IF_ERROR(Decompress(value, &raw_, "block"));
  first_row_ = first_row;
  const Status bad = Status::Corruption("log segment: bad block");
  stored_.clear();
  stored_.reserve(rows);
  text_.clear();
  lines_.clear();
  std::string_view in = raw_;
  for (size_t i = 0; i < rows; ++i) {
    uint64_t at = 0, len = 0;
    if (!GetVarint64(&in, &at) || !GetVarint64(&in, &len) || len > in.size() || (at != 0 && at - 1 > len)) {
      return bad;
    }
    stored_.push_back(
        {static_cast<size_t>(in.data() - raw_.data()), static_cast<uint32_t>(len), static_cast<uint32_t>(at)});
    in.remove_prefix(len);
  }
  return in.empty() ? Status::OK() : bad;
}

namespace {

bool IsTimeChar(char c) { return (c >= '0' && c <= '9') || c == '-' || c == ':' || c == '.' || c == 'T' || c == 'Z'; }

}  // namespace

bool Block::MayContain(std::string_view needle, const int64_t* ts) const {
  if (needle.empty() || std::string_view(raw_).find(needle) != std::string_view::npos) return true;
  // Otherwise only a match that overlaps a left-out time: its part inside the time is a run of the
  // time's characters at the needle's end (the time's start) or at its start (the time's end).
  const size_t n = needle.size();
  size_t tail = 0, head = 0;
  while (tail < n && IsTimeChar(needle[n - 1 - tail])) ++tail;
  while (head < n && IsTimeChar(needle[head])) ++head;
  size_t run = 0, longest = 0;
  for (char c : needle) longest = std::max(longest, run = IsTimeChar(c) ? run + 1 : 0);
  if (head == n || longest >= kTsTextBytes) return true;  // it may hold a whole time: not worth the detail
  tail = std::min(tail, kTsTextBytes);
  head = std::min(head, kTsTextBytes);
  char t[kTsTextBytes];
  for (size_t i = 0; i < stored_.size(); ++i) {
    const StoredRow& r = stored_[i];
    if (r.at == 0) continue;
    const std::string_view line(raw_.data() + r.offset, r.len);
    const size_t cut = r.at - 1;  // where the time goes
    bool formatted = false;
    auto time = [&]() {
      if (!formatted) FormatRfc3339Fixed9(ts[i], t);
      formatted = true;
      return std::string_view(t, kTsTextBytes);
    };
    // Ends in the time: needle = line[cut - (n - m), cut) + time[0, m).
    for (size_t m = 1; m <= tail; ++m) {
      // (The character right before the cut first: it rules out nearly every row.)
      if (n - m <= cut && line[cut - 1] == needle[n - m - 1] &&
          line.substr(cut - (n - m), n - m) == needle.substr(0, n - m) && time().substr(0, m) == needle.substr(n - m)) {
        return true;
      }
    }
    // Starts in the time: needle = time[30 - m, 30) + line[cut, cut + n - m).
    for (size_t m = 1; m <= head; ++m) {
      if (cut < line.size() && line[cut] == needle[m] && line.substr(cut, n - m) == needle.substr(m) &&
          time().substr(kTsTextBytes - m) == needle.substr(0, m)) {
        return true;
      }
    }
  }
  return false;
}

size_t Block::TimeAt(uint32_t row) const {
  const StoredRow& r = stored_[row - first_row_];
  return r.at == 0 ? std::string_view::npos : r.at - 1;
}

size_t Block::LineSize(uint32_t row) const {
  const StoredRow& r = stored_[row - first_row_];
  return r.len + (r.at == 0 ? 0 : kTsTextBytes);
}

Status Block::Rebuild(const int64_t* ts) {
  text_.clear();
  text_.reserve(raw_.size() + stored_.size() * kTsTextBytes);
  std::vector<std::pair<size_t, size_t>> spans;  // offset, length in text_
  spans.reserve(stored_.size());
  char ts_text[kTsTextBytes];
  for (size_t i = 0; i < stored_.size(); ++i) {
    const StoredRow& r = stored_[i];
    const std::string_view stored(raw_.data() + r.offset, r.len);
    const size_t offset = text_.size();
    if (r.at == 0) {
      text_.append(stored);
    } else {
      if (FormatRfc3339Fixed9(ts[i], ts_text) != kTsTextBytes) return Status::Corruption("log segment: bad block");
      text_.append(stored.substr(0, r.at - 1));
      text_.append(ts_text, kTsTextBytes);
      text_.append(stored.substr(r.at - 1));
    }
    spans.emplace_back(offset, text_.size() - offset);
  }
  lines_.clear();
  lines_.reserve(spans.size());
  for (const auto& [offset, len] : spans) lines_.push_back(std::string_view(text_).substr(offset, len));
  return Status::OK();
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
