// Caller authorization of the matching service's RPCs; see caller_guard.h.
#include "services/matching/caller_guard.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log/log.h"
#include "grpc/grpc_security_constants.h"

namespace signaling::matching {
namespace {

// Longest identity text a denial log line carries; only printable ASCII
// other than quotes and backslashes is kept (a certificate's text is chosen
// by whoever the CA signed it for).
constexpr size_t kLoggedIdentityBytes = 256;

}  // namespace

std::vector<std::string> PeerIdentities(const grpc::AuthContext& auth) {
  std::vector<std::string> identities;
  if (!auth.IsPeerAuthenticated()) return identities;
  for (const char* property : {GRPC_X509_CN_PROPERTY_NAME, GRPC_X509_SAN_PROPERTY_NAME}) {
    for (const grpc::string_ref& value : auth.FindPropertyValues(property)) {
      identities.emplace_back(value.data(), value.size());
    }
  }
  return identities;
}

absl::StatusOr<std::unique_ptr<CallerGuard>> CallerGuard::Create(const CallerIdentities& identities,
                                                                 const net::GrpcServerTls& tls,
                                                                 metrics::Registry* registry) {
  auto log = log::Get("matching");
  const bool tls_on = !tls.cert_file.empty() && !tls.key_file.empty();
  const bool mtls = tls_on && !tls.client_ca_file.empty();
  std::unique_ptr<CallerGuard> guard;
  if (mtls) {
    auto policy = CallerPolicy::Create(identities);
    if (!policy.ok()) return policy.status();
    guard.reset(new CallerGuard(*std::move(policy)));
  } else if (tls_on && !tls.insecure) {
    return absl::InvalidArgumentError(
        "gRPC TLS without --tls_client_ca: callers would have no identities, so no RPC could be "
        "authorized (give the CA of the client certificates, or --grpc_insecure for development)");
  } else {
    // Plaintext, or TLS without client certificates in development mode.
    log->warn(
        "{}: callers have no identities, so Relay, Session and the admin API are open to anyone "
        "who reaches the port{} (development only)",
        tls_on ? "gRPC TLS without client certificates (--grpc_insecure)"
               : "plaintext gRPC (--grpc_insecure)",
        identities.empty() ? "" : "; the *_identities lists are ignored");
    guard.reset(new CallerGuard(CallerPolicy::Open()));
  }
  if (registry != nullptr) {
    auto family = registry->AddCounter("signaling_matching_rpc_denied_total",
                                       "RPCs refused with PERMISSION_DENIED: the caller's "
                                       "identity is not in the RPC's list.",
                                       {"rpc"});
    if (!family.ok()) return family.status();
    for (MatchingRpc rpc : kAllMatchingRpcs) {
      guard->denied_[static_cast<size_t>(rpc)] =
          &(*family)->With({{"rpc", std::string(RpcName(rpc))}});
    }
  }
  return guard;
}

bool CallerGuard::Allow(const grpc::ServerContextBase& context, MatchingRpc rpc) {
  if (policy_.open()) return true;
  std::vector<std::string> identities;
  if (auto auth = context.auth_context(); auth != nullptr) identities = PeerIdentities(*auth);
  if (policy_.Allowed(rpc, identities)) return true;
  if (metrics::Counter* denied = denied_[static_cast<size_t>(rpc)]; denied != nullptr) {
    denied->Inc();
  }
  if (log::ShouldLog(absl::StrCat("rpc-denied-", RpcName(rpc)))) {
    std::string caller = identities.empty() ? "(none)" : absl::StrJoin(identities, ",");
    if (caller.size() > kLoggedIdentityBytes) caller.resize(kLoggedIdentityBytes);
    for (char& c : caller) {
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') c = '?';
    }
    log::Get("matching")
        ->warn("refused a {} call (PERMISSION_DENIED): caller identities {} are not in its list",
               std::string(RpcName(rpc)), caller);
  }
  return false;
}

grpc::Status PermissionDenied(MatchingRpc rpc) {
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("this caller may not call ", RpcName(rpc)));
}

grpc::ServerUnaryReactor* RefuseUnary(grpc::CallbackServerContext* context, MatchingRpc rpc) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(PermissionDenied(rpc));
  return reactor;
}

}  // namespace signaling::matching
