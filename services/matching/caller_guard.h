// The check at the top of every RPC handler of the matching service: reads
// the caller's identities from its mTLS client certificate (gRPC's
// AuthContext: x509_common_name, x509_subject_alternative_name) and asks the
// CallerPolicy; a refusal is PERMISSION_DENIED, counted in
// signaling_matching_rpc_denied_total{rpc}.
//
// Modes, chosen from the server's TLS settings at start-up:
// - TLS with a client CA (mTLS): every RPC checked against its list.
// - plaintext (--grpc_insecure, no certificate): callers have no
//   identities; everything is open, and start-up says so in a warning.
// - TLS without a client CA: no identities either; refused at start-up
//   unless --grpc_insecure (development) is set, then open as plaintext.
//
// Thread-safety: Allow() may be called from any thread.
#ifndef SERVICES_MATCHING_CALLER_GUARD_H_
#define SERVICES_MATCHING_CALLER_GUARD_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"
#include "common/net/grpc_tls.h"
#include "grpcpp/security/auth_context.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "services/matching/caller_policy.h"

namespace signaling::matching {

// The identities a verified client certificate gives its caller: the
// subject's CN and every SAN (DNS, URI, email, IP as text). Empty when the
// peer is not authenticated (plaintext, or TLS without a client certificate).
std::vector<std::string> PeerIdentities(const grpc::AuthContext& auth);

class CallerGuard {
 public:
  // Validates `identities` and picks the mode from `tls` (see above); logs
  // the start-up warning of the open modes. Registers the denial counter in
  // `registry` when it is not null (it must outlive the guard).
  static absl::StatusOr<std::unique_ptr<CallerGuard>> Create(const CallerIdentities& identities,
                                                             const net::GrpcServerTls& tls,
                                                             metrics::Registry* registry);

  // True when the caller of `context` may call `rpc`; otherwise counts the
  // denial and logs it (rate-limited).
  bool Allow(const grpc::ServerContextBase& context, MatchingRpc rpc);

  bool open() const { return policy_.open(); }

 private:
  explicit CallerGuard(CallerPolicy policy) : policy_(std::move(policy)) {}

  const CallerPolicy policy_;
  std::array<metrics::Counter*, kAllMatchingRpcs.size()> denied_{};
};

// The reactor of a refused stream: finishes at once with `status`, reads and
// writes nothing, and never reaches the engine. Deletes itself in OnDone.
template <typename Request, typename Response>
class RefusedStream final : public grpc::ServerBidiReactor<Request, Response> {
 public:
  explicit RefusedStream(grpc::Status status) { this->Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

// The status of every refusal.
grpc::Status PermissionDenied(MatchingRpc rpc);

// A refused unary call: finished with PermissionDenied(rpc).
grpc::ServerUnaryReactor* RefuseUnary(grpc::CallbackServerContext* context, MatchingRpc rpc);

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CALLER_GUARD_H_
