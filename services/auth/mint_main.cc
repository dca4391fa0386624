// signaling-mint: mints development tokens, and generates keys.
//   signaling-mint --generate_key dev.key --alg HS256
//   signaling-mint --key_file dev.key --kid dev --alg HS256 --sub alice \
//                  --accept 'kiosk-*' --offer 'kiosk-*' --ttl_s 3600
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "services/auth/jwt.h"
#include "services/auth/token_minting.h"

ABSL_FLAG(std::string, generate_key, "", "write a new key for --alg to this path (mode 0600)");
ABSL_FLAG(std::string, key_file, "", "signing key: HS256 secret or PEM private key");
ABSL_FLAG(std::string, kid, "dev", "key id placed in the header");
ABSL_FLAG(std::string, alg, "HS256", "HS256, RS256, ES256 or EdDSA");
ABSL_FLAG(std::string, sub, "", "subject");
ABSL_FLAG(std::vector<std::string>, accept, {}, "ids the subject may accept on (patterns)");
ABSL_FLAG(std::vector<std::string>, offer, {}, "ids the subject may offer to (patterns)");
ABSL_FLAG(int, ttl_s, 3600, "lifetime in seconds");
ABSL_FLAG(int, nbf_s, 0, "not-before, seconds from now (0: no nbf)");
ABSL_FLAG(std::string, aud, "signaling", "audience");
ABSL_FLAG(std::string, iss, "", "issuer (omitted when empty)");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "signaling-mint: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string alg = absl::GetFlag(FLAGS_alg);
  if (const std::string path = absl::GetFlag(FLAGS_generate_key); !path.empty()) {
    auto material = signaling::auth::GenerateKeyMaterial(alg);
    if (!material.ok()) return Fail(std::string(material.status().message()));
    const mode_t old = umask(077);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    umask(old);
    out << *material;
    if (!out) return Fail("cannot write " + path);
    return 0;
  }
  if (absl::GetFlag(FLAGS_sub).empty()) return Fail("--sub is required");
  auto key =
      signaling::auth::LoadSigningKey(absl::GetFlag(FLAGS_kid), alg, absl::GetFlag(FLAGS_key_file));
  if (!key.ok()) return Fail(std::string(key.status().message()));
  signaling::auth::TokenClaims claims;
  claims.subject = absl::GetFlag(FLAGS_sub);
  claims.accept = absl::GetFlag(FLAGS_accept);
  claims.offer = absl::GetFlag(FLAGS_offer);
  claims.ttl = absl::Seconds(absl::GetFlag(FLAGS_ttl_s));
  claims.audience = absl::GetFlag(FLAGS_aud);
  claims.issuer = absl::GetFlag(FLAGS_iss);
  claims.not_before = absl::Seconds(absl::GetFlag(FLAGS_nbf_s));
  auto token = signaling::auth::MintToken(*key, claims, absl::Now());
  if (!token.ok()) return Fail(std::string(token.status().message()));
  std::printf("%s\n", token->c_str());
  return 0;
}
