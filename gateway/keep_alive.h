// When a connection's idle timer wakes and what is due then: a ping once it
// has been quiet for half the idle timeout, the idle close once it has been
// quiet for all of it with the ping unanswered, and, once closing, the
// teardown of a close handshake that outlasts the grace. Plain timing, no
// socket or timer: the session passes the time and acts on the verdict.
//
// Not thread-safe: used on the session's strand only.
#ifndef GATEWAY_KEEP_ALIVE_H_
#define GATEWAY_KEEP_ALIVE_H_

#include <chrono>

namespace signaling::gateway {

class KeepAlive {
 public:
  using Clock = std::chrono::steady_clock;
  // How long a close handshake may take before the socket is torn down.
  static constexpr Clock::duration kCloseGrace = std::chrono::seconds(5);

  enum class Due {
    kNothing,
    kPing,       // send a ping: one is now in flight
    kIdleClose,  // close with 1001
    kTearDown,   // the close grace is over: drop the socket
  };

  // The connection opened at `now`.
  explicit KeepAlive(Clock::time_point now) : since_(now) {}

  // A message or control frame came in at `now`.
  void Active(Clock::time_point now);
  void PongReceived();
  // A close was requested at `now`: from then on only the grace counts.
  void CloseRequested(Clock::time_point now);

  // When something may next be due. Activity before then only moves the
  // wake-up after it, computed then.
  Clock::time_point NextWake(std::chrono::milliseconds idle_timeout) const;
  // What is due at `now`; call it when the timer wakes.
  Due Check(Clock::time_point now, std::chrono::milliseconds idle_timeout);

 private:
  enum class State : char {
    kQuiet,    // since_: the last activity
    kPinged,   // the same, with a ping in flight
    kClosing,  // since_: when the close was requested (activity no longer counts)
  };

  // One time point serves both: once closing, the last activity no longer
  // matters (and every idle connection holds one of these).
  Clock::time_point since_;
  State state_ = State::kQuiet;
};

}  // namespace signaling::gateway

#endif  // GATEWAY_KEEP_ALIVE_H_
