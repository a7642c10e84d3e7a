#include "notify/outbox.h"

#include <algorithm>
#include <unordered_set>

#include "util/coding.h"
#include "util/log.h"

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
  const OutboxItem item{std::string(receiver), n};
  std::vector<DroppedNotification> gone;
  GNOMON_RETURN_IF_ERROR(EnqueueBatch(std::span(&item, 1), dropped != nullptr ? &gone : nullptr));
  if (dropped != nullptr) {
    for (DroppedNotification& d : gone) dropped->push_back(std::move(d.queued));
  }
  return Status::OK();
}

Status Outbox::EnqueueBatch(std::span<const OutboxItem> items, std::vector<DroppedNotification>* dropped) {
  for (const OutboxItem& item : items) {
    if (!ValidReceiverName(item.receiver))
      return Status::InvalidArgument("outbox: invalid receiver name \"" + item.receiver + "\"");
  }
  if (items.empty()) return Status::OK();
  // The items of each receiver, in item order; receivers in order of first appearance.
  std::vector<std::pair<std::string_view, std::vector<size_t>>> groups;
  for (size_t i = 0; i < items.size(); ++i) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& e) { return e.first == items[i].receiver; });
    if (g == groups.end()) {
      groups.push_back({items[i].receiver, {}});
      g = groups.end() - 1;
    }
    g->second.push_back(i);
  }

  // What one receiver's part of the batch does to its queue, decided before the write.
  struct Plan {
    Queue* queue;
    std::string_view receiver;
    std::vector<size_t> items;          // indexes into `items`, in order
    std::vector<uint64_t> seqs;         // the seq each item gets
    std::vector<bool> item_dropped;     // dropped before it was ever written
    std::vector<uint64_t> old_dropped;  // queued entries dropped, oldest first
  };
  std::lock_guard lock(mu_);
  std::vector<Plan> plans;
  storage::KeyspaceBatch batch;
  std::string value;
  for (auto& [receiver, idx] : groups) {
    Plan p;
    p.queue = &queues_.try_emplace(std::string(receiver)).first->second;
    p.receiver = receiver;
    p.items = std::move(idx);
    p.item_dropped.assign(p.items.size(), false);
    const Queue& q = *p.queue;
    for (size_t j = 0; j < p.items.size(); ++j) p.seqs.push_back(q.next_seq + j);
    // Enqueue one by one, as a model: each item that finds the queue full drops the oldest
    // resolved notice, else the oldest. Every queued entry is older than every item, so the
    // oldest candidate is the first not-yet-dropped queued entry of the kind, else the first
    // not-yet-dropped earlier item of the kind. Four forward-only cursors: O(queue + items).
    const auto resolved = [](Notification::Kind k) { return k == Notification::Kind::kResolved; };
    std::unordered_set<uint64_t> old_gone;
    auto old_res = q.entries.begin(), old_any = q.entries.begin();
    size_t new_res = 0, new_any = 0;
    size_t size = q.entries.size();
    for (size_t j = 0; j < p.items.size(); ++j) {
      while (size + 1 > options_.max_per_receiver) {
        const auto kind_of = [&](size_t k) { return items[p.items[k]].notification.kind; };
        while (old_res != q.entries.end() && (!resolved(old_res->second.kind) || old_gone.contains(old_res->first)))
          ++old_res;
        while (new_res < j && (!resolved(kind_of(new_res)) || p.item_dropped[new_res])) ++new_res;
        while (old_any != q.entries.end() && old_gone.contains(old_any->first)) ++old_any;
        while (new_any < j && p.item_dropped[new_any]) ++new_any;
        if (old_res != q.entries.end()) {
          old_gone.insert(old_res->first);
        } else if (new_res < j) {
          p.item_dropped[new_res] = true;
        } else if (old_any != q.entries.end()) {
          old_gone.insert(old_any->first);
        } else if (new_any < j) {
          p.item_dropped[new_any] = true;
        } else {
          break;  // nothing left to drop (cannot happen: max_per_receiver >= 1)
        }
        --size;
      }
      ++size;
    }
    p.old_dropped.assign(old_gone.begin(), old_gone.end());
    std::sort(p.old_dropped.begin(), p.old_dropped.end());
    for (size_t j = 0; j < p.items.size(); ++j) {
      if (p.item_dropped[j]) continue;
      value.clear();
      EncodeValue(items[p.items[j]].notification, {}, false, &value);
      batch.Put(Key(kQueued, receiver, p.seqs[j]), value);
    }
    for (uint64_t s : p.old_dropped) batch.Delete(Key(kQueued, receiver, s));
    plans.push_back(std::move(p));
  }

  // Read what is dropped from the queue before the write deletes it, to report it.
  std::vector<DroppedNotification> gone;
  for (const Plan& p : plans) {
    if (dropped == nullptr) break;
    for (uint64_t s : p.old_dropped) {
      std::string old;
      DroppedNotification d{std::string(p.receiver), {}};
      d.queued.seq = s;
      if (ks_->Get(Key(kQueued, p.receiver, s), &old).ok() &&
          DecodeValue(old, false, &d.queued.notification, &d.queued.reason).ok())
        gone.push_back(std::move(d));
    }
    for (size_t j = 0; j < p.items.size(); ++j) {
      if (p.item_dropped[j]) gone.push_back({std::string(p.receiver), {p.seqs[j], items[p.items[j]].notification, {}}});
    }
  }

  GNOMON_RETURN_IF_ERROR(ks_->Write(batch, kSync));

  for (Plan& p : plans) {
    Queue& q = *p.queue;
    size_t resolved_dropped = 0, total_dropped = p.old_dropped.size();
    for (uint64_t s : p.old_dropped) {
      auto it = q.entries.find(s);
      if (it != q.entries.end() && it->second.kind == Notification::Kind::kResolved) ++resolved_dropped;
      q.entries.erase(s);
    }
    for (size_t j = 0; j < p.items.size(); ++j) {
      const Notification& n = items[p.items[j]].notification;
      if (p.item_dropped[j]) {
        ++total_dropped;
        if (n.kind == Notification::Kind::kResolved) ++resolved_dropped;
        continue;
      }
      q.entries.emplace_hint(q.entries.end(), p.seqs[j], Meta{n.kind, n.created_ms});
    }
    q.next_seq += p.items.size();
    if (total_dropped > 0) {
      q.dropped_over_limit += total_dropped;
      log::Warn("notify: the outbox of receiver " + std::string(p.receiver) + " is full (" +
                std::to_string(options_.max_per_receiver) + "): dropped " + std::to_string(total_dropped) +
                " notification(s), " + std::to_string(resolved_dropped) + " of them resolved notices");
    }
  }
  // `gone` is by receiver, oldest first already: a receiver's queued entries are older than its items.
  if (dropped != nullptr) {
    for (DroppedNotification& d : gone) dropped->push_back(std::move(d));
  }
  return Status::OK();
}

Result<std::vector<QueuedNotification>> Outbox::Scan(std::string_view space, std::string_view receiver, size_t max,
                                                     uint64_t from_seq) const {
  std::vector<QueuedNotification> out;
  if (max == 0) return out;
  const bool aside = space == kAside;
  const std::string prefix = Prefix(space, receiver);
  // The prefix ends in '/', so the keys after it start with '0' ('/' + 1).
  std::string end = prefix;
  end.back() = '0';
  Status bad;
  Status s = ks_->Scan(Key(space, receiver, from_seq), end, [&](std::string_view key, std::string_view value) {
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
  uint64_t first = 0;
  {
    std::lock_guard lock(mu_);
    auto it = queues_.find(receiver);
    if (it == queues_.end() || it->second.entries.empty()) return std::vector<QueuedNotification>{};
    first = it->second.entries.begin()->first;
  }
  return Scan(kQueued, receiver, max, first);
}

Status Outbox::Ack(std::string_view receiver, uint64_t seq) { return AckBatch(receiver, std::span(&seq, 1)); }

Status Outbox::AckBatch(std::string_view receiver, std::span<const uint64_t> seqs) {
  std::lock_guard lock(mu_);
  auto it = queues_.find(receiver);
  if (it == queues_.end()) return Status::OK();
  storage::KeyspaceBatch batch;
  for (uint64_t seq : seqs) {
    if (it->second.entries.contains(seq)) batch.Delete(Key(kQueued, receiver, seq));
  }
  GNOMON_RETURN_IF_ERROR(ks_->Write(batch, kSync));
  for (uint64_t seq : seqs) it->second.entries.erase(seq);
  return Status::OK();
}

Status Outbox::MoveAside(std::string_view receiver, uint64_t seq, std::string_view reason) {
  return MoveAsideBatch(receiver, std::span(&seq, 1), reason);
}

Status Outbox::MoveAsideBatch(std::string_view receiver, std::span<const uint64_t> seqs, std::string_view reason) {
  std::lock_guard lock(mu_);
  auto it = queues_.find(receiver);
  if (it == queues_.end()) return Status::OK();
  storage::KeyspaceBatch batch;
  std::string value, aside, unused;
  for (uint64_t seq : seqs) {
    if (!it->second.entries.contains(seq)) continue;
    Status s = ks_->Get(Key(kQueued, receiver, seq), &value);
    if (s.code() == Status::Code::kNotFound) continue;
    GNOMON_RETURN_IF_ERROR(s);
    Notification n;
    GNOMON_RETURN_IF_ERROR(DecodeValue(value, false, &n, &unused));
    aside.clear();
    EncodeValue(n, reason, true, &aside);
    batch.Delete(Key(kQueued, receiver, seq));
    batch.Put(Key(kAside, receiver, seq), aside);
  }
  GNOMON_RETURN_IF_ERROR(ks_->Write(batch, kSync));
  for (uint64_t seq : seqs) it->second.entries.erase(seq);
  return Status::OK();
}

Result<std::vector<QueuedNotification>> Outbox::MovedAside(std::string_view receiver, size_t max) const {
  return Scan(kAside, receiver, max, 0);
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

uint64_t Outbox::DroppedOverLimit(std::string_view receiver) const {
  std::lock_guard lock(mu_);
  auto it = queues_.find(receiver);
  return it == queues_.end() ? 0 : it->second.dropped_over_limit;
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
