// The token-verification service; see auth_server.h.
#include "services/auth/auth_server.h"

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/net/grpc_server.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "signaling/v1/auth.grpc.pb.h"

namespace signaling::auth {

class AuthServer::Impl final : public v1::TokenVerifier::CallbackService {
 public:
  explicit Impl(AuthServerOptions options) : options_(std::move(options)) {}

  absl::Status Init() {
    auto verifier = JwtVerifier::Create(options_.keys, options_.verifier);
    if (!verifier.ok()) return verifier.status();
    verifier_ = *std::move(verifier);
    if (options_.registry != nullptr) {
      auto calls = options_.registry->AddCounter("signaling_auth_verifications_total",
                                                 "Token verifications, by result.", {"result"});
      if (!calls.ok()) return calls.status();
      ok_ = &(*calls)->With({{"result", "ok"}});
      refused_ = &(*calls)->With({{"result", "refused"}});
    }
    auto credentials = net::ServerCredentials(options_.tls);
    if (!credentials.ok()) return credentials.status();
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort(options_.listen, *credentials, &port_);
    builder.RegisterService(this);
    net::ApplyServerLimits(builder,
                           {options_.max_message_bytes, options_.max_message_bytes,
                            options_.max_concurrent_streams, 32},
                           "auth");
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen));
    }
    server_->GetHealthCheckService()->SetServingStatus(true);
    serving_ = true;
    return absl::OkStatus();
  }

  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* context,
                                   const v1::VerifyRequest* request,
                                   v1::Principal* response) override {
    auto* reactor = context->DefaultReactor();
    auto principal = verifier_->Verify(request->token(), absl::Now());
    if (!principal.ok()) {
      if (refused_) refused_->Inc();
      if (log::ShouldLog(absl::StrCat("refused:", principal.status().message()))) {
        log_->info("token refused: {}", std::string(principal.status().message()));
      }
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                   std::string(principal.status().message())));
      return reactor;
    }
    if (ok_) ok_->Inc();
    response->set_subject(principal->subject);
    for (auto& a : principal->accept) response->mutable_grants()->add_accept(a);
    for (auto& o : principal->offer) response->mutable_grants()->add_offer(o);
    *response->mutable_expires_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(
        absl::ToUnixSeconds(principal->expires_at));
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  AuthServerOptions options_;
  std::unique_ptr<JwtVerifier> verifier_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<spdlog::logger> log_ = log::Get("auth");
  metrics::Counter* ok_ = nullptr;
  metrics::Counter* refused_ = nullptr;
  std::atomic<bool> serving_{false};
  bool stopped_ = false;
  int port_ = 0;
};

absl::StatusOr<std::unique_ptr<AuthServer>> AuthServer::Start(AuthServerOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (absl::Status status = impl->Init(); !status.ok()) return status;
  return std::unique_ptr<AuthServer>(new AuthServer(std::move(impl)));
}

AuthServer::AuthServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AuthServer::~AuthServer() { Shutdown(absl::Seconds(1)); }
int AuthServer::port() const { return impl_->port_; }

void AuthServer::SetNotServing() {
  impl_->serving_ = false;
  impl_->server_->GetHealthCheckService()->SetServingStatus(false);
}

bool AuthServer::Ready() const { return impl_->serving_; }

void AuthServer::Shutdown(absl::Duration grace) {
  if (impl_->stopped_) return;
  impl_->stopped_ = true;
  SetNotServing();
  impl_->server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
}

}  // namespace signaling::auth
