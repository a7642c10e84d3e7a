// AlertNotifier: decides, after each evaluation of a rule group, which of its alerts to send to
// which receivers, with Prometheus' resend rules (rules/alerting.go: needsSending, sendAlerts), and
// puts those notifications in the outbox (the dispatcher delivers them).
//
//   - pending alerts are never sent;
//   - a firing alert is sent when it was never sent, or `resend_delay` after its last send, with
//     startsAt = when it fired and endsAt = now + 4 x max(resend_delay, the group's interval) (so a
//     receiver that stops hearing of it lets it expire);
//   - a resolved alert is sent at once (when resolved since its last send) with its real endsAt,
//     and re-sent every resend_delay while the rule keeps it (Prometheus keeps resolved alerts 15
//     minutes).
// A receiver with `match` matchers gets only the alerts whose labels match all of them. The
// last-send times are kept in memory: after a restart every active alert is sent once more, which
// receivers de-duplicate (at-least-once). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "gnomon/status.h"
#include "index/matcher_eval.h"
#include "notify/outbox.h"
#include "notify/payload.h"

namespace gnomon::notify {

// An alert as the rule evaluation sees it.
struct ActiveAlert {
  Labels labels;        // sorted; alertname among them
  Labels annotations;   // sorted
  bool firing = false;  // false: pending, or resolved when resolved_at_ms != 0
  int64_t fired_at_ms = 0;
  int64_t resolved_at_ms = 0;
  std::string generator_url;
};

struct NotifierReceiver {
  std::string name;             // the outbox queue
  std::vector<Matchers> match;  // all must match; empty: every alert
};

class AlertNotifier {
 public:
  // Fails when a receiver's matcher does not compile.
  static Result<std::unique_ptr<AlertNotifier>> Create(Outbox* outbox, std::vector<NotifierReceiver> receivers,
                                                       int64_t resend_delay_ms);

  // Enqueues what is due for the alerts of one group evaluated at `eval_ms`, for every receiver,
  // in one durable outbox write (Outbox::EnqueueBatch; what the size limit drops is logged and
  // counted there); returns the receivers that got something (to wake their senders). On an
  // error nothing was queued and nothing counts as sent: the next evaluation tries again.
  Result<std::vector<std::string>> Process(int64_t eval_ms, int64_t group_interval_ms,
                                           std::span<const ActiveAlert> alerts);

  // Forgets alerts not seen for an hour (their rule is gone).
  void Expire(int64_t now_ms);

 private:
  struct Receiver {
    std::string name;
    std::vector<std::vector<index::CompiledMatcher>> match;
  };
  AlertNotifier(Outbox* outbox, std::vector<Receiver> receivers, int64_t resend_delay_ms)
      : outbox_(outbox), receivers_(std::move(receivers)), resend_delay_ms_(resend_delay_ms) {}
  static bool Matches(const Receiver& r, const Labels& labels);

  struct Sent {
    int64_t last_sent_ms = 0;
    int64_t last_seen_ms = 0;
  };
  Outbox* const outbox_;
  const std::vector<Receiver> receivers_;
  const int64_t resend_delay_ms_;
  std::mutex mu_;
  std::map<std::string, Sent> sent_;  // by the alert's fingerprint
};

}  // namespace gnomon::notify
