#include "logs/log_store.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <unordered_map>

#include "index/labels_util.h"
#include "index/matcher_eval.h"
#include "util/clock.h"
#include "util/coding.h"

namespace gnomon::logs {

namespace {

constexpr int64_t kHourNs = int64_t{3600} * 1'000'000'000;
constexpr std::string_view kMetaKey = "m/next";

int64_t HourOf(int64_t ts_ns) {
  int64_t h = ts_ns / kHourNs;
  if (ts_ns % kHourNs < 0) --h;  // floor for times before 1970
  return h * kHourNs;
}

std::string StreamKey(uint64_t sid) {
  std::string k = "s/";
  PutFixed64BE(&k, sid);
  return k;
}

std::string BlockPrefix(uint64_t sid) {
  std::string k = "b/";
  PutFixed64BE(&k, sid);
  return k;
}

std::string BlockKey(uint64_t sid, int64_t hour_ns, uint64_t seq) {
  std::string k = BlockPrefix(sid);
  PutTimestampKey(&k, hour_ns);
  PutFixed64BE(&k, seq);
  return k;
}

// The keys of stream `sid`'s blocks of the hours that overlap [start, end): [*from, *to).
void BlockRange(uint64_t sid, int64_t start, int64_t end, std::string* from, std::string* to) {
  *from = *to = BlockPrefix(sid);
  if (start > INT64_MIN + kHourNs) PutTimestampKey(from, HourOf(start));  // else: from the first block
  const int64_t last_hour = HourOf(end - 1);
  if (last_hour > INT64_MAX - kHourNs) {
    to->append(17, '\xff');  // past the stream's last block
  } else {
    PutTimestampKey(to, last_hour + kHourNs);
  }
}

std::string IdPrefix(std::string_view id) {
  std::string k = "c/";
  k.append(id);
  k.push_back('\0');
  return k;
}

// A block: varint count, then per line zig-zag varint time delta (from the previous line; the
// first from 0), varint length + line bytes, varint length + correlation ID bytes.
struct BlockLine {
  int64_t ts_ns;
  std::string_view line;
  std::string_view id;
};

Status DecodeBlock(std::string_view in, std::vector<BlockLine>* out) {
  out->clear();
  uint64_t n = 0;
  if (!GetVarint64(&in, &n) || n > in.size()) return Status::Corruption("log block: bad count");
  int64_t ts = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t zz = 0, len = 0, id_len = 0;
    if (!GetVarint64(&in, &zz) || !GetVarint64(&in, &len) || len > in.size()) {
      return Status::Corruption("log block: bad line");
    }
    ts += ZigZagDecode(zz);
    const std::string_view line = in.substr(0, len);
    in.remove_prefix(len);
    if (!GetVarint64(&in, &id_len) || id_len > in.size()) return Status::Corruption("log block: bad id");
    out->push_back({ts, line, in.substr(0, id_len)});
    in.remove_prefix(id_len);
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<LogStore>> LogStore::Open(DB* db, LogStoreOptions options, std::string_view keyspace) {
  auto ids = CorrelationIdExtractor::Create(options.correlation);
  if (!ids.ok()) return ids.status();
  auto ks = storage::OpenKeyspace(db, keyspace);
  if (!ks.ok()) return ks.status();
  std::unique_ptr<LogStore> store(new LogStore(std::move(ks.value()), std::move(options), std::move(ids.value())));
  GNOMON_RETURN_IF_ERROR(store->Load());
  return store;
}

Status LogStore::Load() {
  std::string meta;
  Status s = ks_->Get(kMetaKey, &meta);
  if (s.ok()) {
    if (meta.size() != 16) return Status::Corruption("log store: bad " + std::string(kMetaKey));
    next_stream_id_ = DecodeFixed64BE(meta.data());
    next_block_seq_ = DecodeFixed64BE(meta.data() + 8);
  } else if (s.code() != Status::Code::kNotFound) {
    return s;
  }
  Status decode;
  s = ks_->ScanPrefix("s/", [&](std::string_view key, std::string_view value) {
    if (key.size() != 10) {
      decode = Status::Corruption("log store: bad stream key");
      return false;
    }
    auto stream = std::make_unique<Stream>();
    stream->id = DecodeFixed64BE(key.data() + 2);
    decode = index::DecodeLabels(value, &stream->labels);
    if (!decode.ok()) return false;
    by_id_[stream->id] = stream.get();
    next_stream_id_ = std::max(next_stream_id_, stream->id + 1);
    streams_[stream->labels] = std::move(stream);
    return true;
  });
  GNOMON_RETURN_IF_ERROR(s);
  return decode;
}

Result<AppendStats> LogStore::Append(const LogBatch& batch) {
  std::lock_guard writing(write_mu_);
  AppendStats stats;
  storage::KeyspaceBatch out;
  std::vector<std::unique_ptr<Stream>> created;
  uint64_t next_stream = 0, next_seq = 0;
  {
    std::lock_guard lock(mu_);
    next_stream = next_stream_id_;
    next_seq = next_block_seq_;
  }
  std::vector<size_t> order;
  std::string block, key;
  for (const LogStream& s : batch.streams) {
    if (s.entries.empty()) continue;
    uint64_t sid = 0;
    {
      std::lock_guard lock(mu_);
      if (auto it = streams_.find(s.labels); it != streams_.end()) sid = it->second->id;
    }
    if (sid == 0) {
      for (const auto& c : created) {
        if (c->labels == s.labels) sid = c->id;
      }
    }
    if (sid == 0) {
      auto stream = std::make_unique<Stream>();
      stream->id = sid = next_stream++;
      stream->labels = s.labels;
      out.Put(StreamKey(sid), index::EncodeLabels(s.labels));
      created.push_back(std::move(stream));
    }
    // Lines by hour, each hour's in time order (arrival order among equal times).
    order.resize(s.entries.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return s.entries[a].ts_ns < s.entries[b].ts_ns; });
    for (size_t from = 0; from < order.size();) {
      const int64_t hour = HourOf(s.entries[order[from]].ts_ns);
      size_t to = from;
      while (to < order.size() && HourOf(s.entries[order[to]].ts_ns) == hour) ++to;
      const uint64_t seq = next_seq++;
      block.clear();
      PutVarint64(&block, to - from);
      int64_t prev = 0;
      for (size_t i = from; i < to; ++i) {
        const LogEntry& e = s.entries[order[i]];
        std::string id = ids_->Extract(e.line, e.metadata);
        if (id.find('\0') != std::string::npos) id.clear();
        PutZigZagVarint64(&block, e.ts_ns - prev);
        prev = e.ts_ns;
        PutVarint64(&block, e.line.size());
        block.append(e.line);
        PutVarint64(&block, id.size());
        block.append(id);
        if (!id.empty()) {
          key = IdPrefix(id);
          PutTimestampKey(&key, e.ts_ns);
          PutFixed64BE(&key, seq);
          PutFixed64BE(&key, i - from);
          std::string ref;
          PutFixed64BE(&ref, sid);
          PutTimestampKey(&ref, hour);
          out.Put(key, ref);
          ++stats.with_id;
        }
        ++stats.lines;
      }
      out.Put(BlockKey(sid, hour, seq), block);
      from = to;
    }
  }
  if (out.empty()) return stats;
  std::string meta;
  PutFixed64BE(&meta, next_stream);
  PutFixed64BE(&meta, next_seq);
  out.Put(kMetaKey, meta);
  GNOMON_RETURN_IF_ERROR(ks_->Write(out));
  std::lock_guard lock(mu_);
  next_stream_id_ = next_stream;
  next_block_seq_ = next_seq;
  stats.new_streams = created.size();
  for (auto& c : created) {
    by_id_[c->id] = c.get();
    streams_[c->labels] = std::move(c);
  }
  return stats;
}

int64_t LogStore::RetentionCutoffNs() const {
  if (options_.retention_ms <= 0) return INT64_MIN;
  return (NowMs() - options_.retention_ms) * 1'000'000;
}

Result<std::vector<StoredLine>> LogStore::ByCorrelationId(std::string_view id, int64_t start_ns, int64_t end_ns,
                                                          size_t limit) const {
  std::vector<StoredLine> lines;
  if (id.empty() || id.size() > CorrelationIdExtractor::kMaxIdBytes || id.find('\0') != std::string_view::npos) {
    return lines;
  }
  start_ns = std::max(start_ns, RetentionCutoffNs());
  if (start_ns > end_ns) return lines;
  struct Ref {
    std::string block_key;
    uint64_t sid;
    uint64_t pos;
  };
  std::vector<Ref> refs;
  const std::string prefix = IdPrefix(id);
  std::string from = prefix, to = prefix;
  PutTimestampKey(&from, start_ns);
  if (end_ns == INT64_MAX) {
    to.back() = '\1';  // past every key of this ID
  } else {
    PutTimestampKey(&to, end_ns + 1);
  }
  Status s = ks_->Scan(from, to, [&](std::string_view key, std::string_view value) {
    if (key.size() != prefix.size() + 24 || value.size() != 16) return true;  // not ours: skip
    const uint64_t seq = DecodeFixed64BE(key.data() + prefix.size() + 8);
    const uint64_t pos = DecodeFixed64BE(key.data() + prefix.size() + 16);
    const uint64_t sid = DecodeFixed64BE(value.data());
    refs.push_back({BlockKey(sid, DecodeTimestampKey(value.data() + 8), seq), sid, pos});
    return refs.size() < limit;
  });
  GNOMON_RETURN_IF_ERROR(s);
  std::unordered_map<std::string, std::string> blocks;  // the blocks read so far, by key
  std::vector<BlockLine> decoded;
  for (const Ref& r : refs) {
    auto [it, fresh] = blocks.try_emplace(r.block_key);
    if (fresh) GNOMON_RETURN_IF_ERROR(ks_->Get(r.block_key, &it->second));
    GNOMON_RETURN_IF_ERROR(DecodeBlock(it->second, &decoded));
    if (r.pos >= decoded.size()) return Status::Corruption("log store: an index entry points past its block");
    const BlockLine& b = decoded[r.pos];
    StoredLine line;
    line.ts_ns = b.ts_ns;
    line.line = b.line;
    line.correlation_id = b.id;
    {
      std::lock_guard lock(mu_);
      auto st = by_id_.find(r.sid);
      if (st == by_id_.end()) return Status::Corruption("log store: an index entry names an unknown stream");
      line.stream = &st->second->labels;
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<const LogStore::Stream*> LogStore::Matching(const Matchers& matchers) const {
  std::vector<index::CompiledMatcher> compiled;
  for (const Matcher& m : matchers) {
    auto c = index::CompiledMatcher::Compile(m);
    if (!c.ok()) return {};
    compiled.push_back(std::move(c.value()));
  }
  std::vector<const Stream*> out;
  std::lock_guard lock(mu_);
  for (const auto& [labels, stream] : streams_) {
    bool all = true;
    for (const index::CompiledMatcher& m : compiled) {
      std::string_view v;
      for (const Label& l : labels) {
        if (l.name == m.name()) v = l.value;
      }
      if (!m.Matches(v)) {
        all = false;
        break;
      }
    }
    if (all) out.push_back(stream.get());
  }
  return out;
}

size_t LogStore::num_streams() const {
  std::lock_guard lock(mu_);
  return streams_.size();
}

Result<std::vector<Labels>> LogStore::Streams(const Matchers& matchers, int64_t start_ns, int64_t end_ns) const {
  std::vector<Labels> out;
  const int64_t start = std::max(start_ns, RetentionCutoffNs());
  if (start >= end_ns) return out;
  std::string from, to;
  for (const Stream* st : Matching(matchers)) {
    BlockRange(st->id, start, end_ns, &from, &to);
    const size_t key_size = BlockPrefix(st->id).size() + 16;
    bool found = false;
    Status s = ks_->Scan(from, to, [&](std::string_view key, std::string_view) {
      found = key.size() == key_size;
      return !found;
    });
    GNOMON_RETURN_IF_ERROR(s);
    if (found) out.push_back(st->labels);
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

Status LogStore::ForEach(const Matchers& matchers, int64_t start_ns, int64_t end_ns, bool backward,
                         const std::function<bool(const StoredLine&)>& visit) const {
  const int64_t start = std::max(start_ns, RetentionCutoffNs());
  if (start >= end_ns) return Status::OK();
  // The blocks of the matching streams in the hours of the range, by hour.
  struct BlockRef {
    int64_t hour;
    std::string key;
    const Stream* stream;
  };
  std::vector<BlockRef> refs;
  for (const Stream* st : Matching(matchers)) {
    const std::string prefix = BlockPrefix(st->id);
    std::string from, to;
    BlockRange(st->id, start, end_ns, &from, &to);
    Status s = ks_->Scan(from, to, [&](std::string_view key, std::string_view) {
      if (key.size() == prefix.size() + 16) {
        refs.push_back({DecodeTimestampKey(key.data() + prefix.size()), std::string(key), st});
      }
      return true;
    });
    GNOMON_RETURN_IF_ERROR(s);
  }
  std::stable_sort(refs.begin(), refs.end(),
                   [&](const BlockRef& a, const BlockRef& b) { return backward ? a.hour > b.hour : a.hour < b.hour; });
  std::string value;
  std::vector<BlockLine> decoded;
  for (size_t from = 0; from < refs.size();) {
    size_t to = from;
    std::vector<StoredLine> hour_lines;
    while (to < refs.size() && refs[to].hour == refs[from].hour) {
      GNOMON_RETURN_IF_ERROR(ks_->Get(refs[to].key, &value));
      GNOMON_RETURN_IF_ERROR(DecodeBlock(value, &decoded));
      for (const BlockLine& b : decoded) {
        if (b.ts_ns < start || b.ts_ns >= end_ns) continue;
        hour_lines.push_back({b.ts_ns, &refs[to].stream->labels, std::string(b.line), std::string(b.id)});
      }
      ++to;
    }
    std::stable_sort(hour_lines.begin(), hour_lines.end(), [&](const StoredLine& a, const StoredLine& b) {
      return backward ? a.ts_ns > b.ts_ns : a.ts_ns < b.ts_ns;
    });
    for (const StoredLine& l : hour_lines) {
      if (!visit(l)) return Status::OK();
    }
    from = to;
  }
  return Status::OK();
}

}  // namespace gnomon::logs
