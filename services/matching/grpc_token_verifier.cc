// The auth service's Verify call; see grpc_token_verifier.h.
#include "services/matching/grpc_token_verifier.h"

#include <utility>

#include "common/net/grpc_server.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"

namespace signaling::matching {
namespace {

// Largest Verify answer accepted from the auth service.
constexpr int kMaxAnswerBytes = 64 * 1024;

Principal FromWire(const v1::Principal& wire) {
  Principal p;
  p.subject = wire.subject();
  p.accept.assign(wire.grants().accept().begin(), wire.grants().accept().end());
  p.offer.assign(wire.grants().offer().begin(), wire.grants().offer().end());
  p.expires_at = absl::FromUnixNanos(
      google::protobuf::util::TimeUtil::TimestampToNanoseconds(wire.expires_at()));
  return p;
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcTokenVerifier>> GrpcTokenVerifier::Create(
    const std::string& target, const net::GrpcClientTls& tls, Clock* clock,
    MatchingMetrics* metrics) {
  auto credentials = net::ChannelCredentials(tls);
  if (!credentials.ok()) return credentials.status();
  auto stub = v1::TokenVerifier::NewStub(grpc::CreateCustomChannel(
      target, *credentials, net::ClientChannelArguments(kMaxAnswerBytes)));
  return std::unique_ptr<GrpcTokenVerifier>(new GrpcTokenVerifier(std::move(stub), clock, metrics));
}

void GrpcTokenVerifier::Verify(std::string token, absl::Time deadline, Callback done) {
  struct Call {
    absl::Time started;
    grpc::ClientContext context;
    v1::VerifyRequest request;
    v1::Principal response;
    Callback done;
  };
  auto* call = new Call;
  call->started = clock_->Now();
  call->context.set_deadline(absl::ToChronoTime(deadline));
  call->request.set_token(std::move(token));
  call->done = std::move(done);
  stub_->async()->Verify(
      &call->context, &call->request, &call->response, [this, call](grpc::Status status) {
        const bool refused = status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
        metrics_->VerifyDone(status.ok(), !refused,
                             absl::ToDoubleSeconds(clock_->Now() - call->started));
        absl::StatusOr<Principal> principal;
        if (status.ok()) {
          principal = FromWire(call->response);
        } else if (refused) {
          principal = absl::UnauthenticatedError("token refused");
        } else {
          if (log::ShouldLog("verifier-unavailable")) {
            log_->warn("token verifier unavailable: grpc code {}",
                       static_cast<int>(status.error_code()));
          }
          principal = absl::UnavailableError("verifier unavailable");
        }
        Callback callback = std::move(call->done);
        // The call's context holds a channel reference and stub_ another,
        // so the channel is not destroyed here, on gRPC's callback thread.
        delete call;
        // Last: the owner may destroy this verifier once every callback ran.
        std::move(callback)(std::move(principal));
      });
}

}  // namespace signaling::matching
