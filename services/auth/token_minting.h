// The claims of a signaling token (protocol section 5: sub, aud, exp, the
// accept/offer grants, iat, and nbf and iss when asked for) and their signing:
// one home for the mint CLI, the load generator and the test stacks. Pure:
// the clock passed in. Thread-safe.
#ifndef SERVICES_AUTH_TOKEN_MINTING_H_
#define SERVICES_AUTH_TOKEN_MINTING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/auth/jwt.h"

namespace signaling::auth {

// What a minted token says. Times are whole seconds from `now`. The `= {}`
// defaults let designated initializers leave fields out.
struct TokenClaims {
  std::string subject = {};
  std::vector<std::string> accept = {};  // ids the subject may accept on (patterns)
  std::vector<std::string> offer = {};   // ids the subject may offer to (patterns)
  absl::Duration ttl = absl::Hours(1);
  std::string audience = "signaling";
  std::string issuer = {};                           // omitted when empty
  absl::Duration not_before = absl::ZeroDuration();  // from now; zero: no nbf
};

// `claims` at `now`, signed with `key` (see SignJwt); the key's error when
// it cannot sign.
absl::StatusOr<std::string> MintToken(const SigningKey& key, const TokenClaims& claims,
                                      absl::Time now);

}  // namespace signaling::auth

#endif  // SERVICES_AUTH_TOKEN_MINTING_H_
