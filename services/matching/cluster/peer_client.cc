// Calls to the other replicas; see peer_client.h.
#include "services/matching/cluster/peer_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace signaling::matching {
namespace {

// One call in flight: what gRPC needs alive until its callback.
template <typename Request, typename Response>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
};

void LogFailure(const char* what, const std::string& replica, const grpc::Status& status) {
  if (status.ok() || !log::ShouldLog(absl::StrCat("peer-", what))) return;
  log::Get("matching")->warn("{} to replica {} failed: {}", what, replica, status.error_message());
}

}  // namespace

absl::StatusOr<std::unique_ptr<PeerClient>> PeerClient::Create(const net::GrpcClientTls& tls,
                                                               absl::Duration deadline,
                                                               ClusterMetrics* metrics) {
  auto credentials = net::ChannelCredentials(tls);
  if (!credentials.ok()) return credentials.status();
  return std::unique_ptr<PeerClient>(new PeerClient(*std::move(credentials), tls, deadline, metrics));
}

PeerClient::~PeerClient() {
  // Every call ends by its deadline; its callback uses this client.
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
}

void PeerClient::CallDone() {
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

v1::MatchingPeer::Stub* PeerClient::StubFor(const std::string& replica) {
  absl::MutexLock lock(&mu_);
  ++in_flight_;  // the caller starts a call on it at once
  auto& stub = stubs_[replica];
  if (stub == nullptr) stub = v1::MatchingPeer::NewStub(net::CreateChannel(replica, credentials_, tls_));
  return stub.get();
}

void PeerClient::Evict(const std::string& replica, const std::string& id, uint64_t fence) {
  auto* call = new Call<v1::EvictRequest, v1::EvictResponse>();
  call->context.set_deadline(std::chrono::system_clock::now() +
                             absl::ToChronoMilliseconds(deadline_));
  call->request.set_peer_id(id);
  call->request.set_fence(fence);
  StubFor(replica)->async()->Evict(&call->context, &call->request, &call->response,
                                   [this, call, replica](grpc::Status status) {
                                     metrics_->PeerCall("Evict", status.ok());
                                     LogFailure("eviction", replica, status);
                                     delete call;
                                     CallDone();
                                   });
}

void PeerClient::TellArrived(const std::string& replica, const std::string& id,
                             const std::string& holder) {
  auto* call = new Call<v1::AcceptorArrivedRequest, v1::AcceptorArrivedResponse>();
  call->context.set_deadline(std::chrono::system_clock::now() +
                             absl::ToChronoMilliseconds(deadline_));
  call->request.set_peer_id(id);
  call->request.set_replica(holder);
  StubFor(replica)->async()->AcceptorArrived(&call->context, &call->request, &call->response,
                                             [this, call, replica](grpc::Status status) {
                                               metrics_->PeerCall("AcceptorArrived", status.ok());
                                               LogFailure("arrival notice", replica, status);
                                               delete call;
                                               CallDone();
                                             });
}

template <typename Request, typename Response, typename Start>
void PeerClient::Ask(const char* rpc, const std::string& replica, absl::Time deadline,
                     Request request, Done<Response> done, Start start) {
  auto* call = new Call<Request, Response>();
  call->context.set_deadline(absl::ToChronoTime(deadline));
  call->request = std::move(request);
  start(StubFor(replica)->async(), call,
        [this, call, rpc, replica, done = std::move(done)](grpc::Status status) {
          metrics_->PeerCall(rpc, status.ok());
          LogFailure("admin call", replica, status);
          if (status.ok()) {
            done(std::move(call->response));
          } else {
            // gRPC's codes are absl's, number for number.
            done(absl::Status(
                static_cast<absl::StatusCode>(status.error_code()),
                absl::StrCat(rpc, " to replica ", replica, ": ", status.error_message())));
          }
          delete call;
          CallDone();
        });
}

void PeerClient::ListSessions(const std::string& replica, absl::Time deadline,
                              Done<v1::ListSessionsResponse> done) {
  Ask<v1::ListSessionsRequest, v1::ListSessionsResponse>(
      "PeerListSessions", replica, deadline, {}, std::move(done),
      [](auto* async, auto* call, auto callback) {
        async->PeerListSessions(&call->context, &call->request, &call->response,
                                std::move(callback));
      });
}

void PeerClient::GetStats(const std::string& replica, absl::Time deadline, Done<v1::Stats> done) {
  Ask<v1::StatsRequest, v1::Stats>("PeerGetStats", replica, deadline, {}, std::move(done),
                                   [](auto* async, auto* call, auto callback) {
                                     async->PeerGetStats(&call->context, &call->request,
                                                         &call->response, std::move(callback));
                                   });
}

void PeerClient::Disconnect(const std::string& replica, const std::string& id, absl::Time deadline,
                            Done<bool> done) {
  v1::DisconnectPeerRequest request;
  request.set_peer_id(id);
  Ask<v1::DisconnectPeerRequest, v1::DisconnectPeerResponse>(
      "PeerDisconnect", replica, deadline, std::move(request),
      [done = std::move(done)](absl::StatusOr<v1::DisconnectPeerResponse> answer) {
        if (!answer.ok()) return done(answer.status());
        done(answer->disconnected());
      },
      [](auto* async, auto* call, auto callback) {
        async->PeerDisconnect(&call->context, &call->request, &call->response, std::move(callback));
      });
}

}  // namespace signaling::matching
