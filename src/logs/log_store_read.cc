// LogStore's read path (log_store.h): lookups by correlation ID, time/stream selections in time
// order merged across segments and heads, and the streams and labels present in a range.
#include <algorithm>
#include <future>
#include <queue>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "logs/log_store.h"
#include "logs/log_store_parts.h"
#include "logs/segment.h"
#include "logs/text_filter.h"
#include "util/coding.h"

namespace gnomon::logs {

namespace {

// A segment's ID dictionary (decompressed; then indexed) and each row's ID in it (once needed).
struct SegmentIds {
  segment::IdDictionary dict;
  bool indexed = false;
  segment::RowIdTable of_row;  // empty until RowIds
};

// A segment being read: its columns and (for blocks that left IDs out) its rows' IDs, read once
// and shared with the readers of other threads, and the two blocks of lines it read last (reads
// that go back and forth across a block boundary do not decompress again).
class SegmentReader {
 public:
  SegmentReader(const storage::Keyspace* ks, const segment::Meta* meta) : ks_(ks), meta_(meta) {}
  // A reader of the same segment on another thread, sharing what `other` has loaded.
  explicit SegmentReader(const SegmentReader& other)
      : ks_(other.ks_), meta_(other.meta_), columns_(other.columns_), ids_(other.ids_) {}
  const segment::Meta& meta() const { return *meta_; }
  const storage::Keyspace* keyspace() const { return ks_; }

  // NotFound when the segment was dropped (retention) since the snapshot was taken.
  Result<const segment::Columns*> Columns() {
    if (columns_ == nullptr) {
      std::string value;
      GNOMON_RETURN_IF_ERROR(ks_->Get(segment::ColumnsKey(meta_->seq), &value));
      auto columns = std::make_shared<segment::Columns>();
      GNOMON_RETURN_IF_ERROR(segment::DecodeColumns(value, *meta_, columns.get()));
      columns_ = std::move(columns);
    }
    return columns_.get();
  }

  // Uses `ids` (this segment's, indexed already) instead of reading them.
  void Adopt(std::shared_ptr<SegmentIds> ids) { ids_ = std::move(ids); }

  // The segment's ID dictionary: decompressed, and with `indexed` indexed too. (Not thread-safe
  // until RowIds has been called: SelectRows calls it before its second thread starts.)
  Result<const segment::IdDictionary*> Dictionary(bool indexed) {
    if (ids_ == nullptr) {
      std::string value;
      GNOMON_RETURN_IF_ERROR(ks_->Get(segment::IdsKey(*meta_), &value));
      auto ids = std::make_shared<SegmentIds>();
      GNOMON_RETURN_IF_ERROR(ids->dict.Decompress(value, *meta_));
      ids_ = std::move(ids);
    }
    if (indexed && !ids_->indexed) {
      GNOMON_RETURN_IF_ERROR(ids_->dict.Index());
      ids_->indexed = true;
    }
    return &ids_->dict;
  }

  // The IDs of rows [first, end) at least, when the blocks need them to put lines back (else
  // null). (Not thread-safe when it must read more: SelectRows asks for what its threads read.)
  Result<const segment::RowIdTable*> RowIds(uint32_t first, uint32_t end) {
    if (meta_->format == segment::BlockFormat::kSealed) return nullptr;
    const segment::RowIdTable* have = ids_ == nullptr ? nullptr : &ids_->of_row;
    if (have == nullptr || have->text.empty() || first < have->first || end > have->end) {
      if (have != nullptr && !have->text.empty()) {
        first = std::min(first, have->first);
        end = std::max(end, have->end);
      }
      auto dict = Dictionary(true);
      if (!dict.ok()) return dict.status();
      GNOMON_RETURN_IF_ERROR(segment::RowIds(**dict, *meta_, &ids_->of_row, first, end));
    }
    return &ids_->of_row;
  }

  // The lines of block `b`, put back together; with `wanted` (per row of the block) only those
  // (valid until the next call).
  Result<const segment::Block*> Lines(uint32_t b, const std::vector<uint8_t>* wanted = nullptr) {
    for (Slot& s : slots_) {
      if (s.block == b) return &s.lines;
    }
    auto columns = Columns();
    if (!columns.ok()) return columns.status();
    auto ids = RowIds(meta_->blocks[b].first_row, meta_->block_end(b));
    if (!ids.ok()) return ids.status();
    Slot& s = slots_[next_];
    next_ = 1 - next_;
    s.block = UINT32_MAX;
    std::string value;
    GNOMON_RETURN_IF_ERROR(ks_->Get(segment::LinesKey(*meta_, b), &value));
    GNOMON_RETURN_IF_ERROR(s.lines.Read(value, *meta_, b, (*columns)->ts.data(), *ids, wanted));
    if (wanted == nullptr) s.block = b;
    return &s.lines;
  }

  Result<std::string_view> Line(uint32_t row) {
    auto block = Lines(meta_->BlockOf(row));
    if (!block.ok()) return block.status();
    return (*block)->line(row);
  }

 private:
  struct Slot {
    uint32_t block = UINT32_MAX;
    segment::Block lines;
  };

  const storage::Keyspace* ks_;
  const segment::Meta* meta_;
  std::shared_ptr<const segment::Columns> columns_;
  std::shared_ptr<SegmentIds> ids_;
  Slot slots_[2];
  int next_ = 0;
};

// Read order: time (newest first when backward), then arrival: the source's rank (segments by
// seq, then the heads), then the row within it.
struct Pick {
  int64_t ts;
  uint64_t rank;
  uint32_t row;
};

bool Before(const Pick& a, const Pick& b, bool backward) {
  if (a.ts != b.ts) return backward ? a.ts > b.ts : a.ts < b.ts;
  if (a.rank != b.rank) return a.rank < b.rank;
  return a.row < b.row;
}

constexpr uint64_t kHeadRank = uint64_t{1} << 62;  // heads come after every segment

Status OverBudget(const ScanOptions& options) {
  return Status::ResourceExhausted("the scan would examine more than " + std::to_string(options.max_lines) +
                                   " log lines or read more than " + std::to_string(options.max_bytes) + " bytes");
}

bool Contains(const std::vector<uint64_t>& sorted, uint64_t v) {
  return std::binary_search(sorted.begin(), sorted.end(), v);
}

bool HasAll(std::string_view text, const std::vector<std::string>& required) {
  for (const std::string& r : required) {
    if (text.find(r) == std::string_view::npos) return false;
  }
  return true;
}

// What SelectRows works from: a segment's blocks in range and what a row must be.
struct Selection {
  const segment::Meta* meta;
  std::vector<uint32_t> blocks;  // in order
  std::vector<uint8_t> wanted;   // by position in the stream table
  int64_t start, end;            // [start, end)
  uint64_t rank;
  const std::vector<std::vector<NeedleKey>>* needles;  // per required text, its text-filter keys
};

// Whether a token of `id` starts with `run` where the line has `before` (not a token byte) just
// before it: at the ID's start (the line's byte before the ID is not known here), or after that
// byte inside the ID.
bool StartsTokenIn(std::string_view id, std::string_view run, char before) {
  for (size_t p = id.find(run); p != std::string_view::npos; p = id.find(run, p + 1)) {
    if (p == 0 || id[p - 1] == before) return true;
  }
  return false;
}

int64_t FractionNs(int64_t ts) {
  const int64_t f = ts % 1'000'000'000;
  return f < 0 ? f + 1'000'000'000 : f;
}

// Marks in *ruled_out (by position in sel.blocks) the blocks whose text filters show that no line
// can contain some required text: for one of the text's keys, the filter lacks it, no row's
// left-out time can start with its run, and no ID of the block's rows has a token starting with
// it.
Status RuleOutBlocks(SegmentReader* reader, const Selection& sel, std::vector<uint8_t>* ruled_out) {
  ruled_out->assign(sel.blocks.size(), 0);
  if (!sel.meta->filtered || sel.needles->empty()) return Status::OK();
  const segment::Meta& m = *sel.meta;
  const storage::Keyspace& ks = *reader->keyspace();
  std::string value;
  GNOMON_RETURN_IF_ERROR(ks.Get(segment::FiltersKey(m.seq), &value));
  segment::TextFilters filters;
  GNOMON_RETURN_IF_ERROR(filters.Decode(value, m));
  // Per run: the blocks with an ID holding a token that starts with it (the filters leave IDs'
  // tokens out).
  std::unordered_map<std::string_view, std::vector<uint8_t>> id_blocks;
  auto in_an_id = [&](const NeedleKey& k, uint32_t b) -> Result<bool> {
    auto it = id_blocks.find(k.run);
    if (it == id_blocks.end()) {
      std::vector<uint8_t> blocks(m.blocks.size());
      auto loaded = reader->Dictionary(false);
      if (!loaded.ok()) return loaded.status();
      // Most runs are in no ID: one search of the whole dictionary tells.
      if (!(*loaded)->MayContainText(k.run)) return id_blocks.emplace(k.run, std::move(blocks)).first->second[b] != 0;
      loaded = reader->Dictionary(true);
      if (!loaded.ok()) return loaded.status();
      const segment::IdDictionary& dict = **loaded;
      std::vector<uint32_t> rows;
      for (size_t i = 0; i < dict.size(); ++i) {
        if (!StartsTokenIn(dict.at(i), k.run, k.before)) continue;
        if (!dict.Rows(i, &rows)) return Status::Corruption("log segment: bad ID dictionary");
        for (uint32_t row : rows) {
          if (row < m.rows) blocks[m.BlockOf(row)] = 1;
        }
      }
      it = id_blocks.emplace(k.run, std::move(blocks)).first;
    }
    return it->second[b] != 0;
  };
  for (size_t i = 0; i < sel.blocks.size(); ++i) {
    const uint32_t b = sel.blocks[i];
    const std::string_view filter = filters.block(b);
    bool possible = true;
    for (const std::vector<NeedleKey>& keys : *sel.needles) {
      for (const NeedleKey& k : keys) {
        if (FilterHas(filter, k.key)) continue;
        bool maybe = false;
        // (A time's fraction follows its '.'.)
        const FractionRange fractions = k.whole || k.before != '.' ? FractionRange{} : FractionsStarting(k.run);
        if (fractions.lo < fractions.hi) {
          auto columns = reader->Columns();
          if (!columns.ok()) return columns.status();
          const segment::Columns& c = **columns;
          for (uint32_t row = m.blocks[b].first_row; row < m.block_end(b) && !maybe; ++row) {
            maybe = fractions.Has(FractionNs(c.ts[row]));
          }
        }
        if (!maybe) {
          auto in_id = in_an_id(k, b);
          if (!in_id.ok()) return in_id.status();
          maybe = *in_id;
        }
        if (!maybe) {
          possible = false;
          break;
        }
      }
      if (!possible) break;
    }
    (*ruled_out)[i] = possible ? 0 : 1;
  }
  return Status::OK();
}

// The rows of `sel`'s blocks whose time is in range and stream wanted, and that pass the filters
// of `options` (read block by block, each block's lines once), into (*picks)[i] for block i.
// Filters on two threads (the second with its own reader sharing the columns) when there are
// enough blocks for both cores to pay. Adds what it examined to *stats. NotFound when the segment
// was dropped meanwhile.
Status SelectRows(SegmentReader* reader, const Selection& sel, const ScanOptions& options,
                  std::vector<std::vector<Pick>>* picks, ScanStats* stats) {
  const bool filtering = !options.required.empty() || options.line_filter != nullptr;
  picks->assign(sel.blocks.size(), {});
  std::vector<uint8_t> ruled_out;
  GNOMON_RETURN_IF_ERROR(RuleOutBlocks(reader, sel, &ruled_out));
  const size_t open_blocks = std::count(ruled_out.begin(), ruled_out.end(), 0);
  const segment::Meta& m = *sel.meta;
  if (open_blocks == 0 && m.min_ts >= sel.start && m.max_ts < sel.end && sel.blocks.size() == m.blocks.size()) {
    // Nothing to read: the lines examined are the wanted streams' (the budget counts them).
    for (size_t i = 0; i < m.streams.size(); ++i) stats->lines += sel.wanted[i] ? m.streams[i].rows : 0;
    return Status::OK();
  }
  auto loaded = reader->Columns();
  if (!loaded.ok()) return loaded.status();
  const segment::Columns& c = **loaded;
  if (filtering && open_blocks > 0) {  // the IDs of the blocks the threads may read, once for both
    uint32_t first = UINT32_MAX, end = 0;
    for (size_t i = 0; i < sel.blocks.size(); ++i) {
      if (ruled_out[i] != 0) continue;
      first = std::min(first, m.blocks[sel.blocks[i]].first_row);
      end = std::max(end, m.block_end(sel.blocks[i]));
    }
    auto ids = reader->RowIds(first, end);
    if (!ids.ok()) return ids.status();
  }
  const size_t workers = filtering && open_blocks >= 4 ? 2 : 1;
  std::vector<Status> status(workers);
  std::vector<ScanStats> seen(workers);
  auto work = [&](size_t w) {
    SegmentReader own(*reader);
    SegmentReader& r = w == 0 ? *reader : own;
    for (size_t i = w; i < sel.blocks.size(); i += workers) {
      const uint32_t b = sel.blocks[i];
      std::vector<Pick>& out = (*picks)[i];
      const uint32_t first = sel.meta->blocks[b].first_row, end = sel.meta->block_end(b);
      if (ruled_out[i] != 0) {  // its lines are examined (for the budget) but none can pass
        for (uint32_t row = first; row < end; ++row) {
          seen[w].lines += c.ts[row] >= sel.start && c.ts[row] < sel.end && sel.wanted[c.stream[row]];
        }
        continue;
      }
      for (uint32_t row = first; row < end; ++row) {
        if (c.ts[row] >= sel.start && c.ts[row] < sel.end && sel.wanted[c.stream[row]]) {
          out.push_back({c.ts[row], sel.rank, row});
        }
      }
      seen[w].lines += out.size();
      if (!filtering || out.empty()) continue;
      auto lines = r.Lines(b);
      if (!lines.ok()) {
        status[w] = lines.status();
        return;
      }
      for (const Pick& p : out) seen[w].bytes += (*lines)->line(p.row).size();
      if (!HasAll((*lines)->text(), options.required)) {
        out.clear();
        continue;
      }
      if (options.line_filter == nullptr) continue;
      std::erase_if(out, [&](const Pick& p) { return !options.line_filter((*lines)->line(p.row)); });
    }
  };
  std::thread helper;
  if (workers > 1) helper = std::thread(work, 1);
  work(0);
  if (helper.joinable()) helper.join();
  for (size_t w = 0; w < workers; ++w) {
    GNOMON_RETURN_IF_ERROR(status[w]);
    stats->lines += seen[w].lines;
    stats->bytes += seen[w].bytes;
  }
  return Status::OK();
}

}  // namespace

LogStore::Snapshot LogStore::TakeSnapshot(const std::vector<uint64_t>* sids, int64_t start, int64_t end_inclusive,
                                          std::string_view id) const {
  Snapshot snap;
  auto active = std::make_shared<Head>();
  std::lock_guard lock(mu_);
  for (const auto& seg : segments_) {
    if (Overlaps(seg->meta, start, end_inclusive) && (sids == nullptr || seg->HasStream(*sids))) {
      snap.segments.push_back(seg);
    }
  }
  snap.heads = sealing_;
  for (const Head::Row& r : head_->rows) {
    if (r.ts_ns < start || r.ts_ns > end_inclusive) continue;
    if (sids != nullptr && !Contains(*sids, r.sid)) continue;
    if (!id.empty() && head_->id(r) != id) continue;
    active->Add(r.ts_ns, r.sid, head_->line(r), head_->id(r));
  }
  snap.heads.push_back(std::move(active));
  return snap;
}

Result<std::vector<StoredLine>> LogStore::ByCorrelationId(std::string_view id, int64_t start_ns, int64_t end_ns,
                                                          size_t limit) const {
  std::vector<StoredLine> lines;
  if (id.empty() || id.size() > CorrelationIdExtractor::kMaxIdBytes) return lines;
  start_ns = std::max(start_ns, RetentionCutoffNs());
  if (start_ns > end_ns || limit == 0) return lines;

  // The segments the index names for this ID's hash.
  std::vector<uint64_t> seqs;
  const std::string prefix = IdKeyPrefix(id);
  GNOMON_RETURN_IF_ERROR(ks_->ScanPrefix(prefix, [&](std::string_view key, std::string_view) {
    if (key.size() == prefix.size() + 8) seqs.push_back(DecodeFixed64BE(key.data() + prefix.size()));
    return true;
  }));
  std::sort(seqs.begin(), seqs.end());
  const Snapshot snap = TakeSnapshot(nullptr, start_ns, end_ns, id);

  struct Found {
    Pick pick;
    uint64_t sid;
    std::string line;
  };
  std::vector<Found> found;
  std::string value;
  std::vector<uint32_t> rows;
  for (const auto& seg : snap.segments) {
    const segment::Meta& m = seg->meta;
    if (!Contains(seqs, m.seq)) continue;
    Status s = ks_->Get(segment::IdsKey(m), &value);
    if (s.code() == Status::Code::kNotFound) continue;  // dropped by retention meanwhile
    GNOMON_RETURN_IF_ERROR(s);
    auto ids = std::make_shared<SegmentIds>();
    GNOMON_RETURN_IF_ERROR(ids->dict.Decode(value, m));
    ids->indexed = true;
    if (!ids->dict.Find(id, &rows) || rows.empty()) continue;  // another ID with the same hash
    if (rows.back() >= m.rows) return Status::Corruption("log store: an ID dictionary names a row past its segment");
    SegmentReader reader(ks_.get(), &m);
    // Only the blocks holding the ID's rows are read, and of them only those rows put back.
    const uint32_t first_block = m.BlockOf(rows.front()), last_block = m.BlockOf(rows.back());
    if (m.format != segment::BlockFormat::kSealed) {
      GNOMON_RETURN_IF_ERROR(
          segment::RowIds(ids->dict, m, &ids->of_row, m.blocks[first_block].first_row, m.block_end(last_block)));
      reader.Adopt(std::move(ids));
    }
    auto columns = reader.Columns();
    if (columns.status().code() == Status::Code::kNotFound) continue;  // dropped by retention meanwhile
    if (!columns.ok()) return columns.status();
    const segment::Columns& c = **columns;
    std::vector<uint8_t> wanted;
    for (size_t i = 0; i < rows.size();) {
      const uint32_t b = m.BlockOf(rows[i]), first = m.blocks[b].first_row;
      wanted.assign(m.block_end(b) - first, 0);
      size_t end = i;
      for (; end < rows.size() && rows[end] < m.block_end(b); ++end) wanted[rows[end] - first] = 1;
      auto block = reader.Lines(b, &wanted);
      if (!block.ok()) return block.status();
      for (; i < end; ++i) {
        const uint32_t row = rows[i];
        if (c.ts[row] < start_ns || c.ts[row] > end_ns) continue;
        found.push_back({{c.ts[row], m.seq, row}, m.streams[c.stream[row]].sid, std::string((*block)->line(row))});
      }
    }
  }
  for (size_t h = 0; h < snap.heads.size(); ++h) {
    const Head& head = *snap.heads[h];
    for (uint32_t row = 0; row < head.rows.size(); ++row) {
      const Head::Row& r = head.rows[row];
      if (r.ts_ns < start_ns || r.ts_ns > end_ns || head.id(r) != id) continue;
      found.push_back({{r.ts_ns, kHeadRank + h, row}, r.sid, std::string(head.line(r))});
    }
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return Before(a.pick, b.pick, false); });
  if (found.size() > limit) found.resize(limit);
  std::lock_guard lock(mu_);
  for (Found& f : found) {
    auto st = by_id_.find(f.sid);
    if (st == by_id_.end()) return Status::Corruption("log store: a segment names an unknown stream");
    lines.push_back({f.pick.ts, &st->second->labels, std::move(f.line), std::string(id)});
  }
  return lines;
}

Status LogStore::ForEach(const Matchers& matchers, int64_t start_ns, int64_t end_ns, bool backward,
                         const std::function<bool(const StoredLine&)>& visit) const {
  ScanOptions options;
  options.backward = backward;
  return Scan(matchers, start_ns, end_ns, options, visit);
}

Status LogStore::Scan(const Matchers& matchers, int64_t start_ns, int64_t end_ns, const ScanOptions& options,
                      const std::function<bool(const StoredLine&)>& visit) const {
  const bool backward = options.backward;
  const bool filtering = !options.required.empty() || options.line_filter != nullptr;
  auto has_required = [&](std::string_view text) { return HasAll(text, options.required); };
  auto wanted_line = [&](std::string_view line) { return options.line_filter == nullptr || options.line_filter(line); };
  ScanStats local;
  ScanStats& stats = options.stats != nullptr ? *options.stats : local;
  const int64_t start = std::max(start_ns, RetentionCutoffNs());
  if (start >= end_ns) return Status::OK();
  const std::vector<const Stream*> streams = Matching(matchers);
  if (streams.empty()) return Status::OK();
  std::vector<uint64_t> sids;
  std::unordered_map<uint64_t, const Labels*> labels_of;
  for (const Stream* st : streams) {
    sids.push_back(st->id);
    labels_of[st->id] = &st->labels;
  }
  std::sort(sids.begin(), sids.end());
  const Snapshot snap = TakeSnapshot(&sids, start, end_ns - 1, "");

  std::vector<std::vector<NeedleKey>> needles;  // (declared before the sources: prefetches use it)
  for (const std::string& r : options.required) {
    needles.push_back(NeedleKeys(r));
    if (needles.back().empty()) needles.pop_back();
  }
  // One source per segment (opened when the merge reaches its first possible time) and head.
  struct Source {
    int64_t bound;  // no row of the source comes before it: min time forward, max time backward
    uint64_t rank;
    const Head* head = nullptr;
    std::unique_ptr<SegmentReader> reader;
    std::vector<Pick> picks;  // the selected rows, in read order
    size_t pos = 0;
    std::future<Status> prefetch;  // selecting picks on another thread
    ScanStats prefetched;          // what that examined
  };
  std::vector<Source> sources;
  for (const auto& seg : snap.segments) {
    Source s;
    s.bound = backward ? seg->meta.max_ts : seg->meta.min_ts;
    s.rank = seg->meta.seq;
    s.reader = std::make_unique<SegmentReader>(ks_.get(), &seg->meta);
    sources.push_back(std::move(s));
  }
  for (size_t h = 0; h < snap.heads.size(); ++h) {
    Source s;
    s.rank = kHeadRank + h;
    s.head = snap.heads[h].get();
    for (uint32_t row = 0; row < s.head->rows.size(); ++row) {
      const Head::Row& r = s.head->rows[row];
      if (r.ts_ns < start || r.ts_ns >= end_ns || !Contains(sids, r.sid)) continue;
      if (++stats.lines > options.max_lines) return OverBudget(options);
      if (filtering) stats.bytes += r.line_size;
      if (stats.bytes > options.max_bytes) return OverBudget(options);
      if (filtering && (!has_required(s.head->line(r)) || !wanted_line(s.head->line(r)))) continue;
      s.picks.push_back({r.ts_ns, s.rank, row});
    }
    if (s.picks.empty()) continue;
    std::sort(s.picks.begin(), s.picks.end(), [&](const Pick& a, const Pick& b) { return Before(a, b, backward); });
    s.bound = s.picks.front().ts;
    sources.push_back(std::move(s));
  }
  std::sort(sources.begin(), sources.end(), [&](const Source& a, const Source& b) {
    return Before({a.bound, a.rank, 0}, {b.bound, b.rank, 0}, backward);
  });
  // Selects a segment's rows into s.picks, adding what it examined to *seen.
  auto select = [&](Source& s, ScanStats* seen) -> Status {
    const segment::Meta& m = s.reader->meta();
    Selection sel{&m, {}, std::vector<uint8_t>(m.streams.size()), start, end_ns, s.rank, &needles};
    for (size_t i = 0; i < m.streams.size(); ++i) sel.wanted[i] = Contains(sids, m.streams[i].sid);
    for (uint32_t b = 0; b < m.blocks.size(); ++b) {
      if (m.blocks[b].max_ts >= start && m.blocks[b].min_ts < end_ns) sel.blocks.push_back(b);
    }
    std::vector<std::vector<Pick>> block_picks;
    GNOMON_RETURN_IF_ERROR(SelectRows(s.reader.get(), sel, options, &block_picks, seen));
    for (const std::vector<Pick>& p : block_picks) s.picks.insert(s.picks.end(), p.begin(), p.end());
    std::sort(s.picks.begin(), s.picks.end(), [&](const Pick& a, const Pick& b) { return Before(a, b, backward); });
    return Status::OK();
  };
  // Opens source i: false when it has no rows (or is gone). A filtered scan, which mostly reads
  // segments one after the other and keeps few of their rows, selects the next segment's rows on
  // another thread meanwhile.
  auto open = [&](size_t i) -> Result<bool> {
    Source& s = sources[i];
    if (s.reader == nullptr) return !s.picks.empty();
    if (filtering && i + 1 < sources.size() && sources[i + 1].reader != nullptr) {
      Source& n = sources[i + 1];
      n.prefetch = std::async(std::launch::async, [&select, &n] { return select(n, &n.prefetched); });
    }
    ScanStats seen;
    Status selected;
    if (s.prefetch.valid()) {
      selected = s.prefetch.get();
      seen = s.prefetched;
    } else {
      selected = select(s, &seen);
    }
    if (selected.code() == Status::Code::kNotFound) return false;  // dropped by retention meanwhile
    GNOMON_RETURN_IF_ERROR(selected);
    stats.lines += seen.lines;
    stats.bytes += seen.bytes;
    if (stats.lines > options.max_lines || stats.bytes > options.max_bytes) return OverBudget(options);
    return !s.picks.empty();
  };
  // A prefetch still running when the scan ends early is waited for: it uses what is above.
  struct WaitForPrefetches {
    std::vector<Source>* sources;
    ~WaitForPrefetches() {
      for (Source& s : *sources) {
        if (s.prefetch.valid()) s.prefetch.wait();
      }
    }
  } wait_for_prefetches{&sources};
  auto after = [&](size_t a, size_t b) {  // the heap's order: false when a reads first
    return Before(sources[b].picks[sources[b].pos], sources[a].picks[sources[a].pos], backward);
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(after)> heap(after);
  size_t next = 0;
  StoredLine out;
  for (;;) {
    // Open every source that may hold the next line.
    while (next < sources.size() && (heap.empty() || !Before(sources[heap.top()].picks[sources[heap.top()].pos],
                                                             {sources[next].bound, sources[next].rank, 0}, backward))) {
      auto has = open(next);
      if (!has.ok()) return has.status();
      if (*has) heap.push(next);
      ++next;
    }
    if (heap.empty()) break;
    const size_t i = heap.top();
    heap.pop();
    Source& s = sources[i];
    const Pick& p = s.picks[s.pos];
    uint64_t sid = 0;
    if (s.head != nullptr) {
      const Head::Row& r = s.head->rows[p.row];
      sid = r.sid;
      if (options.lines) out.line.assign(s.head->line(r));
      if (options.lines && !filtering) stats.bytes += out.line.size();
    } else {
      auto columns = s.reader->Columns();
      if (!columns.ok()) return columns.status();
      sid = s.reader->meta().streams[(*columns)->stream[p.row]].sid;
      if (options.lines) {
        auto line = s.reader->Line(p.row);
        if (!line.ok()) return line.status();
        out.line.assign(*line);
        if (!filtering) stats.bytes += out.line.size();
      }
    }
    if (stats.bytes > options.max_bytes) return OverBudget(options);
    out.ts_ns = p.ts;
    out.stream = labels_of[sid];
    if (!visit(out)) return Status::OK();
    if (++s.pos < s.picks.size()) {
      heap.push(i);
    } else {
      s.picks = {};
      s.reader.reset();
    }
  }
  return Status::OK();
}

// A stream is present when a segment overlapping the range has lines of it, or a head has a line of
// it in the range: segment granularity, as Loki answers series from its chunks' time ranges.
Result<std::vector<Labels>> LogStore::Streams(const Matchers& matchers, int64_t start_ns, int64_t end_ns) const {
  std::vector<Labels> out;
  const int64_t start = std::max(start_ns, RetentionCutoffNs());
  if (start >= end_ns) return out;
  const std::vector<const Stream*> streams = Matching(matchers);
  std::vector<uint64_t> sids;
  for (const Stream* st : streams) sids.push_back(st->id);
  std::sort(sids.begin(), sids.end());
  const Snapshot snap = TakeSnapshot(&sids, start, end_ns - 1, "");
  std::unordered_set<uint64_t> present;
  for (const auto& seg : snap.segments) {
    for (const segment::StreamRows& s : seg->meta.streams) {
      if (s.rows > 0) present.insert(s.sid);
    }
  }
  for (const auto& head : snap.heads) {
    for (const Head::Row& r : head->rows) {
      if (r.ts_ns >= start && r.ts_ns < end_ns) present.insert(r.sid);
    }
  }
  for (const Stream* st : streams) {
    if (present.count(st->id) > 0) out.push_back(st->labels);
  }
  return out;
}

Result<std::vector<std::string>> LogStore::LabelNames(int64_t start_ns, int64_t end_ns) const {
  auto streams = Streams({}, start_ns, end_ns);
  if (!streams.ok()) return streams.status();
  std::set<std::string> names;
  for (const Labels& ls : *streams) {
    for (const Label& l : ls) names.insert(l.name);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> LogStore::LabelValues(std::string_view name, int64_t start_ns, int64_t end_ns) const {
  auto streams = Streams({Matcher::NotEqual(std::string(name), "")}, start_ns, end_ns);
  if (!streams.ok()) return streams.status();
  std::set<std::string> values;
  for (const Labels& ls : *streams) {
    for (const Label& l : ls) {
      if (l.name == name) values.insert(l.value);
    }
  }
  return std::vector<std::string>(values.begin(), values.end());
}

}  // namespace gnomon::logs
