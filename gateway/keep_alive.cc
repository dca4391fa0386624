// The idle timer's decisions; see keep_alive.h.
#include "gateway/keep_alive.h"

namespace signaling::gateway {

void KeepAlive::Active(Clock::time_point now) {
  if (state_ != State::kClosing) since_ = now;
}

void KeepAlive::PongReceived() {
  if (state_ == State::kPinged) state_ = State::kQuiet;
}

void KeepAlive::CloseRequested(Clock::time_point now) {
  state_ = State::kClosing;
  since_ = now;
}

KeepAlive::Clock::time_point KeepAlive::NextWake(std::chrono::milliseconds idle_timeout) const {
  // The end of the close grace; else a ping at half the idle time; else,
  // with a ping out, the idle close.
  switch (state_) {
    case State::kClosing: return since_ + kCloseGrace;
    case State::kPinged: return since_ + idle_timeout;
    case State::kQuiet: break;
  }
  return since_ + idle_timeout / 2;
}

KeepAlive::Due KeepAlive::Check(Clock::time_point now, std::chrono::milliseconds idle_timeout) {
  if (state_ == State::kClosing) {
    return now - since_ >= kCloseGrace ? Due::kTearDown : Due::kNothing;
  }
  const auto silent = now - since_;
  if (silent >= idle_timeout) return Due::kIdleClose;
  if (silent >= idle_timeout / 2 && state_ == State::kQuiet) {
    state_ = State::kPinged;
    return Due::kPing;
  }
  return Due::kNothing;
}

}  // namespace signaling::gateway
