// TokenVerifierClient over gRPC: the auth service's TokenVerifier.Verify,
// with a deadline, counted in the verification metrics. A refused token is
// UNAUTHENTICATED; any other failure (down, slow, bad answer) is UNAVAILABLE.
//
// Lifetime: the object holds the channel. It must outlive every call's
// callback (the owner waits for the calls in flight before destroying it),
// so that the channel is never released on gRPC's callback thread.
// Thread-safety: Verify may be called from any thread.
#ifndef SERVICES_MATCHING_GRPC_TOKEN_VERIFIER_H_
#define SERVICES_MATCHING_GRPC_TOKEN_VERIFIER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/log/log.h"
#include "common/net/grpc_tls.h"
#include "services/matching/clock.h"
#include "services/matching/matching_metrics.h"
#include "services/matching/token_verifier_client.h"
#include "signaling/v1/auth.grpc.pb.h"

namespace signaling::matching {

class GrpcTokenVerifier final : public TokenVerifierClient {
 public:
  // A verifier of the auth service at `target` (host:port). `clock` (for the
  // latency metric) and `metrics` must outlive it.
  static absl::StatusOr<std::unique_ptr<GrpcTokenVerifier>> Create(const std::string& target,
                                                                   const net::GrpcClientTls& tls,
                                                                   Clock* clock,
                                                                   MatchingMetrics* metrics);

  void Verify(std::string token, absl::Time deadline, Callback done) override;

 private:
  GrpcTokenVerifier(std::unique_ptr<v1::TokenVerifier::Stub> stub, Clock* clock,
                    MatchingMetrics* metrics)
      : stub_(std::move(stub)), clock_(clock), metrics_(metrics) {}

  std::unique_ptr<v1::TokenVerifier::Stub> stub_;
  Clock* clock_;
  MatchingMetrics* metrics_;
  std::shared_ptr<spdlog::logger> log_ = log::Get("matching");
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_GRPC_TOKEN_VERIFIER_H_
