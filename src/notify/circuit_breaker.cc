#include "notify/circuit_breaker.h"

namespace gnomon::notify {

std::string_view StateName(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed: return "closed";
    case CircuitBreaker::State::kOpen: return "open";
    case CircuitBreaker::State::kHalfOpen: return "half-open";
  }
  return "unknown";
}

CircuitBreaker::State CircuitBreaker::StateLocked(int64_t now_ms) const {
  if (state_ == State::kOpen && now_ms - opened_at_ms_ >= options_.cooldown_ms) return State::kHalfOpen;
  return state_;
}

void CircuitBreaker::Open(int64_t now_ms) {
  state_ = State::kOpen;
  opened_at_ms_ = now_ms;
  probe_out_ = false;
  failures_.clear();
  ++times_opened_;
}

bool CircuitBreaker::Allow(int64_t now_ms) {
  std::lock_guard lock(mu_);
  switch (StateLocked(now_ms)) {
    case State::kClosed: return true;
    case State::kOpen: return false;
    case State::kHalfOpen:
      state_ = State::kHalfOpen;
      if (probe_out_ && now_ms - probe_at_ms_ < options_.cooldown_ms) return false;
      probe_out_ = true;  // the first probe, or one whose outcome never came
      probe_at_ms_ = now_ms;
      return true;
  }
  return false;
}

void CircuitBreaker::OnSuccess(int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (StateLocked(now_ms) == State::kOpen) return;  // a late answer to a call made before opening
  state_ = State::kClosed;
  probe_out_ = false;
  failures_.clear();
}

void CircuitBreaker::OnFailure(int64_t now_ms) {
  std::lock_guard lock(mu_);
  switch (StateLocked(now_ms)) {
    case State::kOpen: return;
    case State::kHalfOpen: Open(now_ms); return;
    case State::kClosed:
      failures_.push_back(now_ms);
      while (!failures_.empty() && now_ms - failures_.front() >= options_.window_ms) failures_.pop_front();
      if (static_cast<int>(failures_.size()) >= options_.failure_threshold) Open(now_ms);
      return;
  }
}

CircuitBreaker::State CircuitBreaker::state(int64_t now_ms) const {
  std::lock_guard lock(mu_);
  return StateLocked(now_ms);
}

uint64_t CircuitBreaker::times_opened() const {
  std::lock_guard lock(mu_);
  return times_opened_;
}

}  // namespace gnomon::notify
