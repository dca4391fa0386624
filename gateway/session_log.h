// The session.* lines the gateway logs for one WebSocket connection
// (docs/operations.md): session.opened, .joined, .refused and .ended, and
// what session.ended reports, the connection's age and its messages in and
// out. The session decides when each happens; this says how it is logged.
// Lines go to the "gateway" logger; ids and addresses only redacted.
//
// Not thread-safe: used on the session's strand only. The connection id is
// passed to each call rather than held, as the session already holds it:
// one of these lives in every connection.
#ifndef GATEWAY_SESSION_LOG_H_
#define GATEWAY_SESSION_LOG_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "signaling/v1/signaling.pb.h"

namespace signaling::gateway {

class SessionLog {
 public:
  using Clock = std::chrono::steady_clock;

  // The connection's age in session.ended counts from here.
  SessionLog() = default;

  // The upgrade completed (debug): `client_ip` as accounted, logged
  // redacted; `transport` "json" or "proto".
  void Opened(uint64_t conn, std::string_view client_ip, std::string_view transport) const;

  // Matching said joined (debug). From here the lines carry the session's
  // hashed id, the same tag as matching's lines for it.
  void Joined(uint64_t conn, const v1::Joined& joined);

  // A client message was refused as malformed, with `reason` (info, at most
  // one line per 10 s across the process: hostile input must not flood it).
  void Refused(uint64_t conn, std::string_view reason) const;

  // A message forwarded from the client, or delivered to it.
  void MessageIn() { ++messages_in_; }
  void MessageOut() { ++messages_out_; }

  // The connection ended (debug) with close `code` (1006 without a close
  // frame) for `cause`; reports the age and the message counts.
  void Ended(uint64_t conn, int code, std::string_view cause) const;

 private:
  Clock::time_point opened_at_ = Clock::now();
  uint64_t messages_in_ = 0;
  uint64_t messages_out_ = 0;
  std::string session_tag_;  // empty until joined
};

}  // namespace signaling::gateway

#endif  // GATEWAY_SESSION_LOG_H_
