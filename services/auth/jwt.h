// JSON Web Tokens (RFC 7519, JWS compact form): verification against keys
// chosen by `kid`, each bound to one algorithm (HS256, RS256, ES256, EdDSA),
// and signing for the mint CLI and tests. Pure: OpenSSL for the signatures,
// nlohmann::json for the claims, the clock passed in. Thread-safe after
// construction.
#ifndef SERVICES_AUTH_JWT_H_
#define SERVICES_AUTH_JWT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "services/auth/principal.h"  // what a valid token grants

namespace signaling::auth {

// A verification key: `kid`, its one allowed algorithm, and the file that
// holds it (HS256: the raw secret, at least 32 bytes; otherwise a PEM
// public key, or a PEM private key whose public half is used).
struct KeySpec {
  std::string kid;
  std::string alg;
  std::string path;
};

// Parses "kid:alg:path".
absl::StatusOr<KeySpec> ParseKeySpec(absl::string_view text);

struct VerifierOptions {
  std::string audience = "signaling";
  std::string issuer;                         // empty: not checked
  absl::Duration leeway = absl::Seconds(30);  // at most 60 s
  size_t max_token_bytes = 8 * 1024;
};

class Key;

class JwtVerifier {
 public:
  // Loads every key; InvalidArgument for an unknown algorithm, a duplicate
  // kid, an unreadable or unsuitable key, or a leeway over 60 s.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(const std::vector<KeySpec>& keys,
                                                             VerifierOptions options);
  ~JwtVerifier();

  // The principal of a valid token at `now`; Unauthenticated with a short
  // reason (never the token itself) otherwise.
  absl::StatusOr<Principal> Verify(absl::string_view token, absl::Time now) const;

 private:
  JwtVerifier(std::map<std::string, std::unique_ptr<Key>> keys, VerifierOptions options);
  std::map<std::string, std::unique_ptr<Key>> keys_;
  VerifierOptions options_;
};

// A signing key: the same file formats (HS256 secret, PEM private key).
struct SigningKey {
  std::string kid;
  std::string alg;
  std::string material;  // secret bytes or PEM private key
};

absl::StatusOr<SigningKey> LoadSigningKey(const std::string& kid, const std::string& alg,
                                          const std::string& path);

// Signs `claims` with `key`; the header carries alg and kid. `header_alg`
// overrides the header's alg (tests of algorithm confusion only).
absl::StatusOr<std::string> SignJwt(const SigningKey& key, const nlohmann::json& claims,
                                    const std::string& header_alg = "");

// A new key for `alg`: 32 random bytes for HS256, else a PEM private key
// (RSA 2048, P-256, Ed25519).
absl::StatusOr<std::string> GenerateKeyMaterial(const std::string& alg);

// The PEM public key of a PEM private key.
absl::StatusOr<std::string> PublicKeyPem(const std::string& private_pem);

}  // namespace signaling::auth

#endif  // SERVICES_AUTH_JWT_H_
