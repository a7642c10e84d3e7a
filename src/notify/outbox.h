// Outbox: the durable queue of alert notifications, one FIFO per receiver, kept in an engine
// keyspace (storage/keyspace.h) so it has the samples' durability and crash behaviour.
//
// A notification is written before anyone tries to send it (Enqueue returns OK only once it is
// durable: synced, whatever the engine's SyncMode) and removed only when its receiver answered
// 2xx (Ack). One that the receiver refuses for good (a 4xx other than 408/429) is moved aside
// (MoveAside): kept with the reason, for inspection, never retried. Each receiver's queue holds at
// most `max_per_receiver`; an Enqueue beyond that drops the oldest *resolved* notice first, else
// the oldest notice, in the same atomic write, and reports what it dropped (never silently: the
// caller gets the dropped notices, the drop is logged and counted in DroppedOverLimit). After a
// crash, Open finds every notification that was enqueued and not acknowledged, in order.
//
// Group commit: every mutation costs one synced RocksDB write (~1 fsync), so the batch forms are
// the fast path — EnqueueBatch queues any number of notifications, for any receivers, in one
// write (what one rule evaluation produces); AckBatch and MoveAsideBatch settle a whole delivered
// or refused batch in one write. Enqueue, Ack and MoveAside are the batch forms with one element.
//
// Layout in the keyspace (docs/format/keys.md): "q/" RECEIVER "/" SEQ and "x/" RECEIVER "/" SEQ,
// SEQ 8 bytes big-endian and increasing per receiver; the value is the kind (1 byte), the
// creation time (zig-zag varint ms), a key identifying the alert (varint length + bytes) and the
// payload to send (the rest); moved-aside values add the reason before the payload.
//
// Receiver names are 1-128 bytes of [A-Za-z0-9_.:-]. The in-memory index holds a few dozen bytes
// per queued notification; payloads stay on disk until Peek reads them. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/db.h"
#include "gnomon/status.h"
#include "storage/keyspace.h"

namespace gnomon::notify {

struct Notification {
  enum class Kind : unsigned char { kFiring = 0, kResolved = 1 };
  Kind kind = Kind::kFiring;
  int64_t created_ms = 0;
  std::string alert_key;  // which alert (its label set, encoded by the caller)
  std::string payload;    // what is sent

  bool operator==(const Notification&) const = default;
};

struct QueuedNotification {
  uint64_t seq = 0;
  Notification notification;
  std::string reason;  // moved-aside entries: why
};

// One notification for one receiver, for EnqueueBatch.
struct OutboxItem {
  std::string receiver;
  Notification notification;
};

// A notification that EnqueueBatch dropped to keep `receiver`'s queue within its limit.
struct DroppedNotification {
  std::string receiver;
  QueuedNotification queued;
};

struct OutboxOptions {
  size_t max_per_receiver = 10'000;
};

class Outbox {
 public:
  // Opens (creating) the outbox in keyspace `keyspace` of `db`, and loads its index.
  static Result<std::unique_ptr<Outbox>> Open(DB* db, OutboxOptions options = {},
                                              std::string_view keyspace = "alert_outbox");

  // Appends `n` to `receiver`'s queue, durably. Notices dropped to stay within the limit are
  // appended to *dropped (if given). InvalidArgument for a bad receiver name.
  Status Enqueue(std::string_view receiver, const Notification& n, std::vector<QueuedNotification>* dropped = nullptr);

  // Appends every item to its receiver's queue, in item order, in ONE durable (synced) write:
  // all of them or none. The limit is applied exactly as if the items were enqueued one by one
  // (each one that finds its queue full drops the oldest resolved notice then queued, else the
  // oldest, and may drop an earlier item of the same batch; those are never written). Dropped
  // notices are appended to *dropped (if given) by receiver, oldest first, with their seq.
  // InvalidArgument (and nothing written) if any receiver name is bad. An empty batch is OK.
  Status EnqueueBatch(std::span<const OutboxItem> items, std::vector<DroppedNotification>* dropped = nullptr);

  // The oldest `max` queued notifications of `receiver`, oldest first. Reads from the oldest
  // queued key on, so the tombstones that acknowledged entries leave behind are never scanned.
  Result<std::vector<QueuedNotification>> Peek(std::string_view receiver, size_t max) const;

  // Removes a delivered notification (OK if it is no longer queued).
  Status Ack(std::string_view receiver, uint64_t seq);
  // Removes delivered notifications in one synced write (seqs no longer queued are ignored).
  Status AckBatch(std::string_view receiver, std::span<const uint64_t> seqs);

  // Moves a notification that will never be accepted out of the queue, keeping it with `reason`.
  Status MoveAside(std::string_view receiver, uint64_t seq, std::string_view reason);
  // Moves several aside with the same `reason`, in one synced write (seqs no longer queued are
  // ignored).
  Status MoveAsideBatch(std::string_view receiver, std::span<const uint64_t> seqs, std::string_view reason);
  // What was moved aside for `receiver`, oldest first (at most `max`).
  Result<std::vector<QueuedNotification>> MovedAside(std::string_view receiver, size_t max) const;

  size_t Depth(std::string_view receiver) const;
  // The creation time of the oldest queued notification, or 0 when the queue is empty.
  int64_t OldestCreatedMs(std::string_view receiver) const;
  // Receivers with anything queued, sorted.
  std::vector<std::string> Receivers() const;
  // Notifications of `receiver` dropped by the size limit since Open.
  uint64_t DroppedOverLimit(std::string_view receiver) const;

  static bool ValidReceiverName(std::string_view name);

 private:
  struct Meta {
    Notification::Kind kind;
    int64_t created_ms;
  };
  struct Queue {
    std::map<uint64_t, Meta> entries;  // queued, by seq
    uint64_t next_seq = 1;             // above every seq ever used, queued or moved aside
    uint64_t dropped_over_limit = 0;
  };

  Outbox(std::unique_ptr<storage::Keyspace> ks, OutboxOptions options) : ks_(std::move(ks)), options_(options) {}
  Status Load();
  // The entries of `receiver` under key prefix `space` ("q/" or "x/") from `from_seq` on, oldest first.
  Result<std::vector<QueuedNotification>> Scan(std::string_view space, std::string_view receiver, size_t max,
                                               uint64_t from_seq) const;

  std::unique_ptr<storage::Keyspace> ks_;
  const OutboxOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Queue, std::less<>> queues_;
};

}  // namespace gnomon::notify
