// What a verified session token grants: one plain type from the verifier
// (JwtVerifier, in the auth service) to the pairing engine (in matching,
// where it is matching::Principal). On the wire between the two services it
// is signaling.v1.Principal (auth.proto), converted once at each edge: the
// auth server's Verify handler, and matching's token verifier client.
#ifndef SERVICES_AUTH_PRINCIPAL_H_
#define SERVICES_AUTH_PRINCIPAL_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace signaling::auth {

struct Principal {
  std::string subject;
  // Id patterns: an exact id, a prefix ending in '*', or a lone '*'.
  std::vector<std::string> accept;  // peerIds the subject may register as acceptor
  std::vector<std::string> offer;   // targetIds the subject may offer to
  absl::Time expires_at;
};

}  // namespace signaling::auth

#endif  // SERVICES_AUTH_PRINCIPAL_H_
