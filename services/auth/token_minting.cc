// Minting signaling tokens; see token_minting.h.
#include "services/auth/token_minting.h"

#include <cstdint>

#include "nlohmann/json.hpp"

namespace signaling::auth {

absl::StatusOr<std::string> MintToken(const SigningKey& key, const TokenClaims& claims,
                                      absl::Time now) {
  const int64_t now_s = absl::ToUnixSeconds(now);
  nlohmann::json json = {
      {"sub", claims.subject},
      {"aud", claims.audience},
      {"exp", now_s + absl::ToInt64Seconds(claims.ttl)},
      {"iat", now_s},
      {"grants", {{"accept", claims.accept}, {"offer", claims.offer}}},
  };
  if (claims.not_before != absl::ZeroDuration()) {
    json["nbf"] = now_s + absl::ToInt64Seconds(claims.not_before);
  }
  if (!claims.issuer.empty()) json["iss"] = claims.issuer;
  return SignJwt(key, json);
}

}  // namespace signaling::auth
