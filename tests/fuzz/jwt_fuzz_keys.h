// The keys and signers of the JWT fuzz target: one key of each algorithm,
// made once per process, verifiers over them, and the signers a fuzz input
// may pick (each real key, HMACs keyed with a public key's PEM, none).
// Signing and checking signatures with OpenSSL directly, independently of
// services/auth/jwt.cc.
#ifndef TESTS_FUZZ_JWT_FUZZ_KEYS_H_
#define TESTS_FUZZ_JWT_FUZZ_KEYS_H_

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/auth/jwt.h"

namespace signaling::fuzz {

enum class SignerKind {
  kKey,           // the real key of `kid`
  kConfusedHmac,  // HMAC-SHA256 keyed with the PEM public key of `kid`
  kNone,          // an empty signature
};

struct Signer {
  SignerKind kind;
  std::string kid;         // the verifier's key this signer claims
  std::string alg;         // that key's algorithm
  std::string header_alg;  // the alg a header built for this signer names
  std::string secret;      // HS256 secret, or the PEM used as an HMAC key
  EVP_PKEY* private_key;   // asymmetric kKey only; lives for the process
  EVP_PKEY* public_key;
};

// 32 signers, indexed by five bits of the input: the real keys (RS256, slow
// to sign, once), the confusions and none, then HS256 again.
const std::vector<Signer>& Signers();

// A verifier over the four keys (public halves only) with `options`.
std::unique_ptr<auth::JwtVerifier> MakeVerifier(const auth::VerifierOptions& options);

// The JWS signature bytes of `input` (ES256: r||s).
std::string Sign(const Signer& signer, absl::string_view input);

// Whether `signature` is the real key's signature of `input`.
bool VerifySignature(const Signer& signer, absl::string_view input, absl::string_view signature);

}  // namespace signaling::fuzz

#endif  // TESTS_FUZZ_JWT_FUZZ_KEYS_H_
