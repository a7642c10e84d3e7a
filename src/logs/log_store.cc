#include "logs/log_store.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "index/labels_util.h"
#include "index/matcher_eval.h"
#include "logs/log_store_parts.h"
#include "logs/segment.h"
#include "util/clock.h"
#include "util/coding.h"
#include "util/log.h"

namespace gnomon::logs {

LogStore::LogStore(std::unique_ptr<storage::Keyspace> ks, LogStoreOptions options,
                   std::unique_ptr<CorrelationIdExtractor> ids)
    : ks_(std::move(ks)), options_(std::move(options)), ids_(std::move(ids)), head_(std::make_shared<Head>()) {
  head_->created_ms = NowMs();
}

LogStore::~LogStore() {
  {
    std::lock_guard lock(compaction_mu_);
    stopping_ = true;
  }
  compaction_cv_.notify_all();
  if (background_.joinable()) background_.join();
}

Result<std::unique_ptr<LogStore>> LogStore::Open(DB* db, LogStoreOptions options, std::string_view keyspace) {
  auto ids = CorrelationIdExtractor::Create(options.correlation);
  if (!ids.ok()) return ids.status();
  // Segments are compressed already, and a head's records are deleted when it is sealed: with a
  // memtable larger than a head most of them die before a flush would write them out.
  storage::KeyspaceOptions ks_options;
  ks_options.memtable_bytes = 32 << 20;
  ks_options.compress = false;
  ks_options.compress_at_rest = true;  // the ID index keys: 2.4 bytes a line uncompressed, ~1 compressed
  auto ks = storage::OpenKeyspace(db, keyspace, ks_options);
  if (!ks.ok()) return ks.status();
  std::unique_ptr<LogStore> store(new LogStore(std::move(ks.value()), std::move(options), std::move(ids.value())));
  GNOMON_RETURN_IF_ERROR(store->Load());
  store->background_ = std::thread([s = store.get()] { s->BackgroundLoop(); });
  return store;
}

Status LogStore::Load() {
  std::string meta;
  Status s = ks_->Get(kMetaKey, &meta);
  if (s.ok() && meta.size() == 16) {
    // The first layout (per-stream hour blocks `b/`, an index key per line) kept two counters
    // here; its streams are still read, its lines are not.
    log::Warn("logs: lines stored by an earlier build's layout (keys b/...) are not read by this one");
  } else if (s.ok()) {
    if (meta.size() != 8) return Status::Corruption("log store: bad " + std::string(kMetaKey));
    next_segment_seq_ = DecodeFixed64BE(meta.data());
  } else if (s.code() != Status::Code::kNotFound) {
    return s;
  }
  Status decode;
  s = ks_->ScanPrefix(kStreamPrefix, [&](std::string_view key, std::string_view value) {
    if (key.size() != 10) {
      decode = Status::Corruption("log store: bad stream key");
      return false;
    }
    auto stream = std::make_unique<Stream>();
    stream->id = DecodeFixed64BE(key.data() + 2);
    stream->durable = true;
    decode = index::DecodeLabels(value, &stream->labels);
    if (!decode.ok()) return false;
    by_id_[stream->id] = stream.get();
    next_stream_id_ = std::max(next_stream_id_, stream->id + 1);
    streams_[stream->labels] = std::move(stream);
    return true;
  });
  GNOMON_RETURN_IF_ERROR(s);
  GNOMON_RETURN_IF_ERROR(decode);
  s = ks_->ScanPrefix(segment::kMetaPrefix, [&](std::string_view key, std::string_view value) {
    if (key.size() != 10) {
      decode = Status::Corruption("log store: bad segment key");
      return false;
    }
    auto seg = std::make_shared<Segment>();
    seg->sealed_ms = NowMs();
    decode = segment::DecodeMeta(DecodeFixed64BE(key.data() + 2), value, &seg->meta);
    if (!decode.ok()) return false;
    next_segment_seq_ = std::max(next_segment_seq_, seg->meta.seq + 1);
    segments_.push_back(std::move(seg));
    return true;
  });
  GNOMON_RETURN_IF_ERROR(s);
  GNOMON_RETURN_IF_ERROR(decode);
  s = ks_->ScanPrefix(kSourcePrefix, [&](std::string_view key, std::string_view value) {
    uint64_t start = 0, end = 0;
    if (!GetVarint64(&value, &start) || !GetVarint64(&value, &end)) {
      decode = Status::Corruption("log store: bad source record");
      return false;
    }
    source_end_[std::string(key.substr(kSourcePrefix.size()))] = end;
    return true;
  });
  GNOMON_RETURN_IF_ERROR(s);
  GNOMON_RETURN_IF_ERROR(decode);
  // Keys a compaction replaced before the process stopped: no reader holds them now.
  storage::KeyspaceBatch obsolete;
  s = ks_->ScanPrefix(kObsoletePrefix, [&](std::string_view key, std::string_view value) {
    obsolete.Delete(key);
    uint64_t n = 0, len = 0;
    if (!GetVarint64(&value, &n)) return true;
    for (uint64_t i = 0; i < n && GetVarint64(&value, &len) && len <= value.size(); ++i) {
      obsolete.Delete(value.substr(0, len));
      value.remove_prefix(len);
    }
    return true;
  });
  GNOMON_RETURN_IF_ERROR(s);
  GNOMON_RETURN_IF_ERROR(ks_->Write(obsolete));
  s = ks_->ScanPrefix(kRecordPrefix, [&](std::string_view key, std::string_view value) {
    if (key.size() != 10) {
      decode = Status::Corruption("log store: bad log record key");
      return false;
    }
    const uint64_t seq = DecodeFixed64BE(key.data() + 2);
    next_wal_seq_ = std::max(next_wal_seq_, seq + 1);
    decode = ReplayRecord(seq, value);
    return decode.ok();
  });
  GNOMON_RETURN_IF_ERROR(s);
  GNOMON_RETURN_IF_ERROR(decode);
  bool seal = false;
  {
    std::lock_guard lock(mu_);
    seal = RotateHeadLocked(false);
  }
  return seal ? SealPending() : Status::OK();
}

// A log record: varint row count, then per row varint stream id, zig-zag varint time delta (from
// the previous row; the first from 0), varint length + line, varint length + correlation ID.
Status LogStore::ReplayRecord(uint64_t wal_seq, std::string_view in) {
  const Status bad = Status::Corruption("log store: bad log record " + std::to_string(wal_seq));
  uint64_t n = 0;
  if (!GetVarint64(&in, &n) || n > in.size()) return bad;
  int64_t ts = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t sid = 0, zz = 0, len = 0;
    if (!GetVarint64(&in, &sid) || !GetVarint64(&in, &zz) || !GetVarint64(&in, &len) || len > in.size()) return bad;
    ts += ZigZagDecode(zz);
    const std::string_view line = in.substr(0, len);
    in.remove_prefix(len);
    if (!GetVarint64(&in, &len) || len > in.size()) return bad;
    const std::string_view id = in.substr(0, len);
    in.remove_prefix(len);
    if (by_id_.count(sid) == 0) return Status::Corruption("log store: a log record names an unknown stream");
    head_->Add(ts, sid, line, id);
  }
  head_->records.push_back(wal_seq);
  return Status::OK();
}

Result<AppendStats> LogStore::Append(const LogBatch& batch) {
  AppendStats stats;
  // The IDs first, without any lock: this is most of an Append's work.
  std::vector<std::string> ids;
  for (const LogStream& s : batch.streams) {
    for (const LogEntry& e : s.entries) {
      ids.push_back(ids_->Extract(e.line, e.metadata));
      stats.with_id += !ids.back().empty();
      ++stats.lines;
    }
  }
  // A sourced batch: checked against its source's stored range, which it moves in the same write.
  std::unique_lock<std::mutex> source_lock;
  storage::KeyspaceBatch out;
  if (batch.source.has_value()) {
    const LogSource& src = *batch.source;
    source_lock = std::unique_lock(source_mu_);
    auto it = source_end_.find(src.id);
    if (it != source_end_.end() && src.end <= it->second) return AppendStats{.duplicate = true};
    if (it != source_end_.end() && src.start < it->second) {
      return Status::FailedPrecondition("log source " + src.id + ": bytes [" + std::to_string(src.start) + ", " +
                                        std::to_string(src.end) + ") overlap those stored, up to " +
                                        std::to_string(it->second) + "; send from there");
    }
    std::string range;
    PutVarint64(&range, src.start);
    PutVarint64(&range, src.end);
    out.Put(std::string(kSourcePrefix) + src.id, range);
    if (stats.lines == 0) {
      GNOMON_RETURN_IF_ERROR(ks_->Write(out));
      source_end_[src.id] = src.end;
      return stats;
    }
  }
  if (stats.lines == 0) return stats;

  std::vector<Stream*> stream_of(batch.streams.size(), nullptr);
  uint64_t wal_seq = 0;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < batch.streams.size(); ++i) {
      const LogStream& s = batch.streams[i];
      if (s.entries.empty()) continue;
      auto it = streams_.find(s.labels);
      if (it == streams_.end()) {
        auto stream = std::make_unique<Stream>();
        stream->id = next_stream_id_++;
        stream->labels = s.labels;
        by_id_[stream->id] = stream.get();
        it = streams_.emplace(s.labels, std::move(stream)).first;
        ++stats.new_streams;
      }
      stream_of[i] = it->second.get();
      if (!it->second->durable) out.Put(StreamKey(it->second->id), index::EncodeLabels(s.labels));
    }
    wal_seq = next_wal_seq_++;
  }

  std::string record;
  PutVarint64(&record, stats.lines);
  int64_t prev = 0;
  size_t k = 0;
  for (size_t i = 0; i < batch.streams.size(); ++i) {
    for (const LogEntry& e : batch.streams[i].entries) {
      PutVarint64(&record, stream_of[i]->id);
      PutZigZagVarint64(&record, e.ts_ns - prev);
      prev = e.ts_ns;
      PutVarint64(&record, e.line.size());
      record.append(e.line);
      PutVarint64(&record, ids[k].size());
      record.append(ids[k++]);
    }
  }
  out.Put(RecordKey(wal_seq), record);
  GNOMON_RETURN_IF_ERROR(ks_->Write(out));
  if (batch.source.has_value()) {
    source_end_[batch.source->id] = batch.source->end;
    source_lock.unlock();
  }

  bool seal = false;
  {
    std::lock_guard lock(mu_);
    k = 0;
    for (size_t i = 0; i < batch.streams.size(); ++i) {
      if (stream_of[i] != nullptr) stream_of[i]->durable = true;
      for (const LogEntry& e : batch.streams[i].entries) head_->Add(e.ts_ns, stream_of[i]->id, e.line, ids[k++]);
    }
    head_->records.push_back(wal_seq);
    seal = RotateHeadLocked(false);
  }
  if (seal) {
    // The batch is durable whatever happens here; a failed seal is retried by the next one.
    Status s = SealPending();
    if (!s.ok()) log::Warn("logs: cannot seal the head into a segment: " + s.ToString());
  }
  return stats;
}

bool LogStore::RotateHeadLocked(bool force) {
  if (head_->rows.empty()) return false;
  const bool due = force || head_->rows.size() >= options_.segment_max_rows ||
                   head_->bytes.size() >= options_.segment_max_bytes ||
                   NowMs() - head_->created_ms >= options_.head_max_age_ms;
  if (!due) return false;
  sealing_.push_back(std::move(head_));
  head_ = std::make_shared<Head>();
  head_->created_ms = NowMs();
  return true;
}

Status LogStore::Flush() {
  {
    std::lock_guard lock(mu_);
    RotateHeadLocked(true);
  }
  return SealPending();
}

Status LogStore::SealPending() {
  std::lock_guard sealing(seal_mu_);
  for (;;) {
    std::shared_ptr<const Head> head;
    {
      std::lock_guard lock(mu_);
      if (sealing_.empty()) break;
      head = sealing_.front();
    }
    std::vector<segment::StreamRows> streams;
    std::unordered_map<uint64_t, uint32_t> stream_index;
    // Rows in time order (arrival order among equal times): reads in time order then go through
    // the blocks one after the other, and one request's lines sit together.
    std::vector<segment::Row> rows;
    rows.reserve(head->rows.size());
    for (const Head::Row& r : head->rows) {
      auto [it, fresh] = stream_index.try_emplace(r.sid, static_cast<uint32_t>(streams.size()));
      if (fresh) streams.push_back({r.sid, 0});
      rows.push_back({r.ts_ns, it->second, head->line(r), head->id(r)});
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const segment::Row& a, const segment::Row& b) { return a.ts_ns < b.ts_ns; });
    const uint64_t seq = next_segment_seq_;
    storage::KeyspaceBatch out;
    auto seg = std::make_shared<Segment>();
    seg->sealed_ms = NowMs();
    std::vector<std::string> ids;
    segment::Build(seq, streams, rows, options_.compression_level, &out, &seg->meta, &ids);
    for (const std::string& id : ids) {
      std::string key = IdKeyPrefix(id);
      PutFixed64BE(&key, seq);
      out.Put(key, "");
    }
    for (uint64_t record : head->records) out.Delete(RecordKey(record));
    std::string next;
    PutFixed64BE(&next, seq + 1);
    out.Put(kMetaKey, next);
    GNOMON_RETURN_IF_ERROR(ks_->Write(out));
    next_segment_seq_ = seq + 1;
    std::lock_guard lock(mu_);
    segments_.push_back(std::move(seg));
    sealing_.erase(sealing_.begin());
  }
  return DropExpired();
}

// Deletes the segments whose every line is past retention: their keys and their ID index keys.
// Called with seal_mu_ held.
Status LogStore::DropExpired() {
  const int64_t cutoff = RetentionCutoffNs();
  if (cutoff == INT64_MIN) return Status::OK();
  std::vector<std::shared_ptr<const Segment>> expired;
  {
    std::lock_guard lock(mu_);
    for (const auto& seg : segments_) {
      if (seg->meta.max_ts < cutoff) expired.push_back(seg);
    }
  }
  for (const auto& seg : expired) {
    const segment::Meta& m = seg->meta;
    storage::KeyspaceBatch out;
    std::string value;
    Status s = ks_->Get(segment::IdsKey(m), &value);
    if (s.ok()) {
      segment::IdDictionary dict;
      GNOMON_RETURN_IF_ERROR(dict.Decode(value, m));
      for (size_t i = 0; i < dict.size(); ++i) {
        std::string key = IdKeyPrefix(dict.at(i));
        PutFixed64BE(&key, m.seq);
        out.Delete(key);
      }
    } else if (s.code() != Status::Code::kNotFound) {
      return s;
    }
    out.Delete(segment::IdsKey(m));
    out.Delete(segment::ColumnsKey(m.seq));
    out.Delete(segment::FiltersKey(m.seq));
    for (uint32_t b = 0; b < m.blocks.size(); ++b) out.Delete(segment::LinesKey(m, b));
    out.Delete(segment::MetaKey(m.seq));
    GNOMON_RETURN_IF_ERROR(ks_->Write(out));
    std::lock_guard lock(mu_);
    std::erase_if(segments_, [&](const auto& x) { return x->meta.seq == m.seq; });
  }
  return Status::OK();
}

std::optional<uint64_t> LogStore::SourceEnd(std::string_view id) const {
  std::lock_guard lock(source_mu_);
  auto it = source_end_.find(id);
  if (it == source_end_.end()) return std::nullopt;
  return it->second;
}

Status LogStore::Compact() {
  GNOMON_RETURN_IF_ERROR(CompactSegments(INT64_MAX));
  std::lock_guard sealing(seal_mu_);
  return DeleteObsolete();
}

Status LogStore::DeleteObsolete() {
  storage::KeyspaceBatch out;
  std::vector<uint8_t> deleted(obsolete_.size());
  for (size_t i = 0; i < obsolete_.size(); ++i) {
    if (!obsolete_[i].old.expired()) continue;
    for (const std::string& k : obsolete_[i].keys) out.Delete(k);
    out.Delete(ObsoleteKey(obsolete_[i].seq));
    deleted[i] = 1;
  }
  GNOMON_RETURN_IF_ERROR(ks_->Write(out));
  std::vector<Obsolete> kept;
  for (size_t i = 0; i < obsolete_.size(); ++i) {
    if (deleted[i] == 0) kept.push_back(std::move(obsolete_[i]));
  }
  obsolete_ = std::move(kept);
  return Status::OK();
}

Status LogStore::CompactSegments(int64_t sealed_before_ms) {
  // compaction_level 0: segments keep their seal's level, and only get their text filters.
  const int level = options_.compaction_level > 0 ? options_.compaction_level : options_.compression_level;
  std::vector<std::shared_ptr<const Segment>> todo;
  {
    std::lock_guard lock(mu_);
    for (const auto& seg : segments_) {
      const bool compacted = seg->meta.filtered && seg->meta.format == segment::BlockFormat::kSplit;
      if ((seg->meta.level != level || !compacted) && seg->sealed_ms <= sealed_before_ms) {
        todo.push_back(seg);
      }
    }
  }
  for (const auto& seg : todo) {
    {
      std::lock_guard lock(compaction_mu_);
      if (stopping_) return Status::OK();
    }
    std::lock_guard sealing(seal_mu_);  // per segment: a seal waits for one rewrite at most
    storage::KeyspaceBatch out;
    auto rewritten = std::make_shared<Segment>();
    rewritten->sealed_ms = seg->sealed_ms;
    std::vector<std::string> replaced;
    Status s = segment::Rewrite(*ks_, seg->meta, level, &out, &rewritten->meta, &replaced);
    if (s.code() == Status::Code::kNotFound) continue;  // dropped by retention meanwhile
    GNOMON_RETURN_IF_ERROR(s);
    if (!replaced.empty()) {
      std::string list;
      PutVarint64(&list, replaced.size());
      for (const std::string& k : replaced) {
        PutVarint64(&list, k.size());
        list += k;
      }
      out.Put(ObsoleteKey(seg->meta.seq), list);
    }
    GNOMON_RETURN_IF_ERROR(ks_->Write(out));
    if (!replaced.empty()) obsolete_.push_back({seg, seg->meta.seq, std::move(replaced)});
    std::lock_guard lock(mu_);
    for (auto& x : segments_) {
      if (x->meta.seq == seg->meta.seq) x = rewritten;
    }
  }
  return Status::OK();
}

void LogStore::BackgroundLoop() {
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);  // behind ingest and queries
  const int64_t period_ms =
      std::clamp<int64_t>(std::min(options_.head_max_age_ms, options_.compaction_delay_ms) / 4, 100, 60'000);
  std::unique_lock lock(compaction_mu_);
  while (!compaction_cv_.wait_for(lock, std::chrono::milliseconds(period_ms), [this] { return stopping_; })) {
    lock.unlock();
    // A head no push has sealed for head_max_age_ms (traffic stopped) becomes a segment anyway.
    bool seal = false;
    {
      std::lock_guard head_lock(mu_);
      seal = RotateHeadLocked(false);
    }
    Status s = seal ? SealPending() : Status::OK();
    if (!s.ok()) log::Warn("logs: cannot seal the head into a segment: " + s.ToString());
    s = CompactSegments(NowMs() - options_.compaction_delay_ms);
    if (s.ok()) {
      std::lock_guard sealing(seal_mu_);
      s = DeleteObsolete();
    }
    if (!s.ok()) log::Warn("logs: cannot compact segments: " + s.ToString());
    lock.lock();
  }
}

int64_t LogStore::RetentionCutoffNs() const {
  if (options_.retention_ms <= 0) return INT64_MIN;
  return (NowMs() - options_.retention_ms) * 1'000'000;
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

size_t LogStore::num_segments() const {
  std::lock_guard lock(mu_);
  return segments_.size();
}

}  // namespace gnomon::logs
