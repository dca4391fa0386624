// How the matching service asks for a token to be verified: one call per
// token, answered once through a callback. The production implementation
// calls the auth service over gRPC (grpc_token_verifier.h); tests use a fake
// that answers when the test says so.
#ifndef SERVICES_MATCHING_TOKEN_VERIFIER_CLIENT_H_
#define SERVICES_MATCHING_TOKEN_VERIFIER_CLIENT_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/matching/pairing_engine.h"

namespace signaling::matching {

class TokenVerifierClient {
 public:
  // The principal the token grants; UNAUTHENTICATED when the token is
  // refused; any other error when the verifier could not answer (the engine
  // fails closed on both).
  using Callback = absl::AnyInvocable<void(absl::StatusOr<Principal>) &&>;

  virtual ~TokenVerifierClient() = default;
  // Verifies `token`, answering by `deadline` at the latest (then with an
  // error). `done` is called exactly once, on any thread, possibly before
  // Verify returns; nothing is called after it.
  virtual void Verify(std::string token, absl::Time deadline, Callback done) = 0;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_TOKEN_VERIFIER_CLIENT_H_
