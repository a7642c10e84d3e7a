#include "notify/alert_notifier.h"

#include <algorithm>

namespace gnomon::notify {

Result<std::unique_ptr<AlertNotifier>> AlertNotifier::Create(Outbox* outbox, std::vector<NotifierReceiver> receivers,
                                                             int64_t resend_delay_ms) {
  std::vector<Receiver> compiled;
  for (NotifierReceiver& r : receivers) {
    Receiver c;
    c.name = std::move(r.name);
    for (const Matchers& ms : r.match) {
      std::vector<index::CompiledMatcher> one;
      for (const Matcher& m : ms) {
        auto cm = index::CompiledMatcher::Compile(m);
        if (!cm.ok()) return Status::InvalidArgument("receiver \"" + c.name + "\": " + cm.status().message());
        one.push_back(std::move(cm.value()));
      }
      c.match.push_back(std::move(one));
    }
    compiled.push_back(std::move(c));
  }
  return std::unique_ptr<AlertNotifier>(new AlertNotifier(outbox, std::move(compiled), resend_delay_ms));
}

bool AlertNotifier::Matches(const Receiver& r, const Labels& labels) {
  for (const auto& matchers : r.match) {
    for (const index::CompiledMatcher& m : matchers) {
      std::string_view v;
      for (const Label& l : labels) {
        if (l.name == m.name()) v = l.value;
      }
      if (!m.Matches(v)) return false;
    }
  }
  return true;
}

Result<std::vector<std::string>> AlertNotifier::Process(int64_t eval_ms, int64_t group_interval_ms,
                                                        std::span<const ActiveAlert> alerts) {
  std::lock_guard lock(mu_);
  std::vector<std::string> woken;
  std::vector<OutboxItem> items;
  std::vector<Sent*> due_alerts;  // marked sent once the outbox write succeeded
  const int64_t valid_for = 4 * std::max(resend_delay_ms_, group_interval_ms);
  for (const ActiveAlert& a : alerts) {
    const bool resolved = a.resolved_at_ms != 0;
    if (!a.firing && !resolved) continue;  // pending
    const std::string fp = Fingerprint(a.labels);
    Sent& s = sent_[fp];
    s.last_seen_ms = eval_ms;
    // Prometheus' needsSending: resolved since the last send, or the resend delay has passed.
    const bool due = (resolved && a.resolved_at_ms > s.last_sent_ms) || s.last_sent_ms + resend_delay_ms_ < eval_ms;
    if (!due) continue;
    due_alerts.push_back(&s);
    bool encoded = false;  // the payload is encoded once, copied for further receivers
    for (const Receiver& r : receivers_) {
      if (!Matches(r, a.labels)) continue;
      if (!encoded) {
        encoded = true;
        AlertNotice n;
        n.labels = a.labels;
        n.annotations = a.annotations;
        n.starts_at_ms = a.fired_at_ms;
        n.ends_at_ms = resolved ? a.resolved_at_ms : eval_ms + valid_for;
        n.generator_url = a.generator_url;
        n.resolved = resolved;
        OutboxItem item;
        item.receiver = r.name;
        item.notification.kind = resolved ? Notification::Kind::kResolved : Notification::Kind::kFiring;
        item.notification.created_ms = eval_ms;
        item.notification.alert_key = fp;
        item.notification.payload = EncodeNotice(n);
        items.push_back(std::move(item));
      } else {
        OutboxItem item{r.name, items.back().notification};
        items.push_back(std::move(item));
      }
      if (std::find(woken.begin(), woken.end(), r.name) == woken.end()) woken.push_back(r.name);
    }
  }
  // Everything this evaluation produced, for every receiver, in one synced write.
  GNOMON_RETURN_IF_ERROR(outbox_->EnqueueBatch(items));
  for (Sent* s : due_alerts) s->last_sent_ms = eval_ms;
  return woken;
}

void AlertNotifier::Expire(int64_t now_ms) {
  std::lock_guard lock(mu_);
  std::erase_if(sent_, [now_ms](const auto& kv) { return now_ms - kv.second.last_seen_ms > 3600 * 1000; });
}

}  // namespace gnomon::notify
