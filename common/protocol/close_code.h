// The WebSocket close codes of protocol v1, section 7: the one definition
// used by the gateway, the matching service and the tests.
#ifndef COMMON_PROTOCOL_CLOSE_CODE_H_
#define COMMON_PROTOCOL_CLOSE_CODE_H_

#include <cstdint>

namespace signaling::protocol {

// Unscoped so that a code converts to the integer the wire carries.
enum CloseCode : uint16_t {
  kCloseNormal = 1000,           // an offerer's leave
  kCloseGoingAway = 1001,        // draining (after goAway), or idle
  kCloseMalformed = 1007,        // malformed frame or message
  kClosePolicy = 1008,           // policy violation not covered below
  kCloseTooBig = 1009,           // message too big
  kCloseInternal = 1011,         // internal error
  kCloseTryAgain = 1013,         // at capacity, slow reader, dependency down
  kCloseUnauthenticated = 4001,  // no valid token in time, or it expired
  kClosePermission = 4003,       // permission denied
  kCloseReplaced = 4009,         // replaced by a newer session of the subject
  kCloseRateLimit = 4029,        // rate limit abused
};

}  // namespace signaling::protocol

#endif  // COMMON_PROTOCOL_CLOSE_CODE_H_
