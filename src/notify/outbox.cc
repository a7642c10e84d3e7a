#include "notify/outbox.h"

#include <algorithm>

#include "util/coding.h"

namespace gnomon::notify {
namespace {

constexpr std::string_view kQueued = "q/";
constexpr std::string_view kAside = "x/";

std::string Key(std::string_view space, std::string_view receiver, uint64_t seq) {
  std::string k;
  k.reserve(space.size() + receiver.size() + 9);
  k.append(space).append(receiver).push_back('/');
  PutFixed64BE(&k, seq);
  return k;
}

std::string Prefix(std::string_view space, std::string_view receiver) {
  return std::string(space) + std::string(receiver) + "/";
}

void EncodeValue(const Notification& n, std::string_view reason, bool aside, std::string* out) {
  out->push_back(static_cast<char>(n.kind));
  PutZigZagVarint64(out, n.created_ms);
  PutVarint64(out, n.alert_key.size());
  out->append(n.alert_key);
  if (aside) {
    PutVarint64(out, reason.size());
    out->append(reason);
  }
  out->append(n.payload);
}

Status DecodeValue(std::string_view v, bool aside, Notification* n, std::string* reason) {
  auto corrupt = [] { return Status::Corruption("outbox: malformed notification"); };
  if (v.empty() || static_cast<unsigned char>(v[0]) > 1) return corrupt();
  n->kind = static_cast<Notification::Kind>(v[0]);
  const char* p = v.data() + 1;
  const char* end = v.data() + v.size();
  p = GetZigZagVarint64(p, end, &n->created_ms);
  uint64_t len = 0;
  if (p == nullptr || (p = GetVarint64(p, end, &len)) == nullptr || len > static_cast<uint64_t>(end - p))
    return corrupt();
  n->alert_key.assign(p, len);
  p += len;
  if (aside) {
    if ((p = GetVarint64(p, end, &len)) == nullptr || len > static_cast<uint64_t>(end - p)) return corrupt();
    reason->assign(p, len);
    p += len;
  }
  n->payload.assign(p, static_cast<size_t>(end - p));
  return Status::OK();
}

// Splits "RECEIVER/SEQ8" (after the space prefix).
bool ParseKey(std::string_view rest, std::string_view* receiver, uint64_t* seq) {
  if (rest.size() < 10 || rest[rest.size() - 9] != '/') return false;
  *receiver = rest.substr(0, rest.size() - 9);
  *seq = DecodeFixed64BE(rest.data() + rest.size() - 8);
  return true;
}

const storage::KeyspaceWriteOptions kSync{.sync = true};

}  // namespace

bool Outbox::ValidReceiverName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == ':' || c == '-';
  });
}

Result<std::unique_ptr<Outbox>> Outbox::Open(DB* db, OutboxOptions options, std::string_view keyspace) {
  if (options.max_per_receiver == 0) return Status::InvalidArgument("outbox: max_per_receiver must be at least 1");
  auto ks = storage::OpenKeyspace(db, keyspace);
  if (!ks.ok()) return ks.status();
  std::unique_ptr<Outbox> outbox(new Outbox(std::move(ks.value()), options));
  GNOMON_RETURN_IF_ERROR(outbox->Load());
  return outbox;
}

Status Outbox::Load() {
  Status bad;
  for (std::string_view space : {kQueued, kAside}) {
    Status s = ks_->ScanPrefix(space, [&](std::string_view key, std::string_view value) {
      std::string_view receiver;
      uint64_t seq = 0;
      if (!ParseKey(key.substr(space.size()), &receiver, &seq)) {
        bad = Status::Corruption("outbox: malformed key");
        return false;
      }
      Queue& q = queues_[std::string(receiver)];
      q.next_seq = std::max(q.next_seq, seq + 1);
      if (space == kQueued) {
        Notification n;
        std::string reason;
        bad = DecodeValue(value, false, &n, &reason);
        if (!bad.ok()) return false;
        q.entries[seq] = Meta{n.kind, n.created_ms};
      }
      return true;
    });
    GNOMON_RETURN_IF_ERROR(s);
    GNOMON_RETURN_IF_ERROR(bad);
  }
  return Status::OK();
}

Status Outbox::Enqueue(std::string_view receiver, const Notification& n, std::vector<QueuedNotification>* dropped) {
  if (!ValidReceiverName(receiver))
    return Status::InvalidArgument("outbox: invalid receiver name \"" + std::string(receiver) + "\"");
  std::lock_guard lock(mu_);
  Queue& q = queues_[std::string(receiver)];
  storage::KeyspaceBatch batch;
  std::string value;
  EncodeValue(n, {}, false, &value);
  const uint64_t seq = q.next_seq;
  batch.Put(Key(kQueued, receiver, seq), value);
  // Over the limit: the oldest resolved notices go first, then the oldest of any kind.
  std::vector<uint64_t> drop;
  size_t excess =
      q.entries.size() + 1 > options_.max_per_receiver ? q.entries.size() + 1 - options_.max_per_receiver : 0;
  for (const auto& [s, meta] : q.entries) {
    if (drop.size() == excess) break;
    if (meta.kind == Notification::Kind::kResolved) drop.push_back(s);
  }
  for (const auto& [s, meta] : q.entries) {
    if (drop.size() == excess) break;
    if (meta.kind != Notification::Kind::kResolved) drop.push_back(s);
  }
  std::vector<QueuedNotification> gone;
  for (uint64_t s : drop) {
    if (dropped != nullptr) {
      std::string old;
      if (ks_->Get(Key(kQueued, receiver, s), &old).ok()) {
        QueuedNotification d;
        d.seq = s;
        if (DecodeValue(old, false, &d.notification, &d.reason).ok()) gone.push_back(std::move(d));
      }
    }
    batch.Delete(Key(kQueued, receiver, s));
  }
  GNOMON_RETURN_IF_ERROR(ks_->Write(batch, kSync));
  q.next_seq = seq + 1;
  for (uint64_t s : drop) q.entries.erase(s);
  q.entries[seq] = Meta{n.kind, n.created_ms};
  if (dropped != nullptr) {
    std::sort(gone.begin(), gone.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
    for (auto& d : gone) dropped->push_back(std::move(d));
  }
  return Status::OK();
}

Result<std::vector<QueuedNotification>> Outbox::Scan(std::string_view space, std::string_view receiver,
                                                     size_t max) const {
  std::vector<QueuedNotification> out;
  if (max == 0) return out;
  const bool aside = space == kAside;
  Status bad;
  Status s = ks_->ScanPrefix(Prefix(space, receiver), [&](std::string_view key, std::string_view value) {
    QueuedNotification q;
    q.seq = DecodeFixed64BE(key.data() + key.size() - 8);
    bad = DecodeValue(value, aside, &q.notification, &q.reason);
    if (!bad.ok()) return false;
    out.push_back(std::move(q));
    return out.size() < max;
  });
  GNOMON_RETURN_IF_ERROR(s);
  GNOMON_RETURN_IF_ERROR(bad);
  return out;
}

Result<std::vector<QueuedNotification>> Outbox::Peek(std::string_view receiver, size_t max) const {
  return Scan(kQueued, receiver, max);
}

Status Outbox::Ack(std::string_view receiver, uint64_t seq) {
  std::lock_guard lock(mu_);
  GNOMON_RETURN_IF_ERROR(ks_->Delete(Key(kQueued, receiver, seq), kSync));
  if (auto it = queues_.find(receiver); it != queues_.end()) it->second.entries.erase(seq);
  return Status::OK();
}

Status Outbox::MoveAside(std::string_view receiver, uint64_t seq, std::string_view reason) {
  std::lock_guard lock(mu_);
  std::string value;
  Status s = ks_->Get(Key(kQueued, receiver, seq), &value);
  if (s.code() == Status::Code::kNotFound) return Status::OK();
  GNOMON_RETURN_IF_ERROR(s);
  Notification n;
  std::string unused;
  GNOMON_RETURN_IF_ERROR(DecodeValue(value, false, &n, &unused));
  std::string aside;
  EncodeValue(n, reason, true, &aside);
  storage::KeyspaceBatch batch;
  batch.Delete(Key(kQueued, receiver, seq));
  batch.Put(Key(kAside, receiver, seq), aside);
  GNOMON_RETURN_IF_ERROR(ks_->Write(batch, kSync));
  if (auto it = queues_.find(receiver); it != queues_.end()) it->second.entries.erase(seq);
  return Status::OK();
}

Result<std::vector<QueuedNotification>> Outbox::MovedAside(std::string_view receiver, size_t max) const {
  return Scan(kAside, receiver, max);
}

size_t Outbox::Depth(std::string_view receiver) const {
  std::lock_guard lock(mu_);
  auto it = queues_.find(receiver);
  return it == queues_.end() ? 0 : it->second.entries.size();
}

int64_t Outbox::OldestCreatedMs(std::string_view receiver) const {
  std::lock_guard lock(mu_);
  auto it = queues_.find(receiver);
  if (it == queues_.end() || it->second.entries.empty()) return 0;
  return it->second.entries.begin()->second.created_ms;
}

std::vector<std::string> Outbox::Receivers() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, q] : queues_) {
    if (!q.entries.empty()) out.push_back(name);
  }
  return out;
}

}  // namespace gnomon::notify
