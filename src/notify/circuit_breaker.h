// CircuitBreaker: whether a notification receiver may be called now (the seed's pattern).
//
//   closed     every call goes out; a failure is remembered with its time. `failure_threshold`
//              failures within `window_ms` open the breaker.
//   open       nothing goes out, for `cooldown_ms`.
//   half-open  after the cool-down, exactly one call (the probe) goes out: its success closes the
//              breaker (failures forgotten), its failure opens it again for another cool-down.
//
// A 2xx is a success; 5xx, 408/429, timeouts and refused connections are failures; other 4xx say
// nothing about the receiver's health and are reported as neither. Time is passed in (ms on any
// monotonic clock), so the state machine is tested without waiting. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string_view>

namespace gnomon::notify {

struct CircuitBreakerOptions {
  int failure_threshold = 5;
  int64_t window_ms = 60'000;
  int64_t cooldown_ms = 30'000;
};

class CircuitBreaker {
 public:
  enum class State : unsigned char { kClosed, kOpen, kHalfOpen };

  explicit CircuitBreaker(CircuitBreakerOptions options = {}) : options_(options) {}

  // Whether a call may go out at `now_ms`. In half-open, true once (the probe) until its outcome
  // is reported; a probe whose outcome never comes is given up after another cool-down.
  bool Allow(int64_t now_ms);
  void OnSuccess(int64_t now_ms);
  void OnFailure(int64_t now_ms);

  State state(int64_t now_ms) const;
  // Times the breaker opened (closed or half-open -> open) since it was made.
  uint64_t times_opened() const;

 private:
  State StateLocked(int64_t now_ms) const;
  void Open(int64_t now_ms);

  const CircuitBreakerOptions options_;
  mutable std::mutex mu_;
  State state_ = State::kClosed;  // as last decided; kOpen turns half-open by time
  std::deque<int64_t> failures_;  // closed: failure times within the window
  int64_t opened_at_ms_ = 0;
  bool probe_out_ = false;  // half-open: the probe went out
  int64_t probe_at_ms_ = 0;
  uint64_t times_opened_ = 0;
};

// "closed", "open", "half-open".
std::string_view StateName(CircuitBreaker::State state);

}  // namespace gnomon::notify
