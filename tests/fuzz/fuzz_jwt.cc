// libFuzzer target for the JWT verifier (services/auth/jwt.h), which takes
// the untrusted bytes of every join and refresh. Keys of each algorithm are
// made once; the first input byte picks how the rest becomes a token (bits
// 0-1), the signer (bits 2-6) and the verifier's options (bit 7):
//   mode 0: the bytes are the token, as a client sent it;
//   mode 1: the bytes are a token whose signature the target replaces with
//           its signer's over everything before the last '.';
//   mode 2: the bytes are "<header JSON>\n<claims JSON>", encoded and signed;
//   mode 3: the bytes are the claims JSON, under a header naming the
//           signer's kid and alg.
// The signer is a real key, an HMAC keyed with a public key's PEM (the
// HS/RS confusion) or an empty signature (alg none). Beyond "no crash, no
// UB, no leak" it checks that every refusal is Unauthenticated and that
// whatever verifies was signed by the key its kid names with that key's
// algorithm, carries every required claim, matches the principal returned,
// and is refused once expired, before its nbf, or with a changed signature.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "services/auth/jwt.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/jwt_fuzz_keys.h"

namespace {

namespace auth = signaling::auth;
using signaling::fuzz::Signer;
using signaling::fuzz::SignerKind;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

// The verifier options a fuzz input may be checked against.
struct Setup {
  auth::VerifierOptions options;
  std::unique_ptr<auth::JwtVerifier> verifier;
};

const std::vector<Setup>& Setups() {
  static const std::vector<Setup>* setups = [] {
    auto* out = new std::vector<Setup>(2);
    (*out)[1].options.issuer = "https://auth.example";
    (*out)[1].options.leeway = absl::ZeroDuration();
    (*out)[1].options.max_token_bytes = 2048;
    for (Setup& s : *out) {
      s.verifier = signaling::fuzz::MakeVerifier(s.options);
      FUZZ_CHECK(s.verifier != nullptr);
    }
    return out;
  }();
  return *setups;
}

std::string B64(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

// The checks on a token the verifier accepted.
void CheckAccepted(absl::string_view token, const auth::Principal& principal, const Setup& setup,
                   const Signer* signer) {
  // Mode 0 has no key: nothing it sends may verify.
  FUZZ_CHECK(signer != nullptr && signer->kind == SignerKind::kKey);
  FUZZ_CHECK(token.size() <= setup.options.max_token_bytes);
  const size_t first = token.find('.');
  const size_t last = token.rfind('.');
  FUZZ_CHECK(first != absl::string_view::npos && first != last &&
             token.find('.', first + 1) == last);
  std::string header_json, claims_json, signature;
  FUZZ_CHECK(absl::WebSafeBase64Unescape(token.substr(0, first), &header_json));
  FUZZ_CHECK(absl::WebSafeBase64Unescape(token.substr(first + 1, last - first - 1), &claims_json));
  FUZZ_CHECK(absl::WebSafeBase64Unescape(token.substr(last + 1), &signature));

  const auto header = nlohmann::json::parse(header_json, nullptr, false);
  FUZZ_CHECK(header.is_object() && header.contains("kid") && header["kid"].is_string() &&
             header.contains("alg") && header["alg"].is_string());
  // Signed by the key the kid names, with that key's one algorithm.
  FUZZ_CHECK(header["kid"].get<std::string>() == signer->kid);
  FUZZ_CHECK(header["alg"].get<std::string>() == signer->alg);
  FUZZ_CHECK(signaling::fuzz::VerifySignature(*signer, token.substr(0, last), signature));

  const auto claims = nlohmann::json::parse(claims_json, nullptr, false);
  FUZZ_CHECK(claims.is_object());
  FUZZ_CHECK(claims.contains("sub") && claims["sub"].is_string() &&
             !claims["sub"].get<std::string>().empty());
  FUZZ_CHECK(principal.subject == claims["sub"].get<std::string>());
  FUZZ_CHECK(claims.contains("exp") && claims["exp"].is_number());
  const double exp = claims["exp"].get<double>();
  const double now_s = absl::ToUnixSeconds(kNow);
  const double leeway = absl::ToDoubleSeconds(setup.options.leeway);
  FUZZ_CHECK(std::isfinite(exp) && exp + leeway > now_s);
  FUZZ_CHECK(principal.expires_at <= absl::UnixEpoch() + absl::Seconds(exp) + absl::Seconds(1) &&
             principal.expires_at > kNow - setup.options.leeway - absl::Seconds(1));
  if (claims.contains("nbf")) {
    FUZZ_CHECK(claims["nbf"].is_number() && claims["nbf"].get<double>() - leeway <= now_s);
  }
  FUZZ_CHECK(claims.contains("aud"));
  const auto& aud = claims["aud"];
  bool audience = aud.is_string() && aud.get<std::string>() == setup.options.audience;
  if (aud.is_array()) {
    for (const auto& a : aud)
      audience |= a.is_string() && a.get<std::string>() == setup.options.audience;
  }
  FUZZ_CHECK(audience);
  if (!setup.options.issuer.empty()) {
    FUZZ_CHECK(claims.contains("iss") && claims["iss"].is_string() &&
               claims["iss"].get<std::string>() == setup.options.issuer);
  }
  std::vector<std::string> accept, offer;
  if (claims.contains("grants")) {
    const auto& grants = claims["grants"];
    FUZZ_CHECK(grants.is_object());
    for (auto [name, out] : {std::pair{"accept", &accept}, std::pair{"offer", &offer}}) {
      if (!grants.contains(name)) continue;
      FUZZ_CHECK(grants[name].is_array());
      for (const auto& g : grants[name]) {
        FUZZ_CHECK(g.is_string());
        out->push_back(g.get<std::string>());
      }
    }
  }
  FUZZ_CHECK(principal.accept == accept && principal.offer == offer);

  // Refused once expired, before its nbf, and with any other signature.
  if (std::fabs(exp) < 1e12) {
    const absl::Time after =
        absl::UnixEpoch() + absl::Seconds(exp) + setup.options.leeway + absl::Seconds(1);
    FUZZ_CHECK(absl::IsUnauthenticated(setup.verifier->Verify(token, after).status()));
  }
  if (claims.contains("nbf") && std::fabs(claims["nbf"].get<double>()) < 1e12) {
    const absl::Time before = absl::UnixEpoch() + absl::Seconds(claims["nbf"].get<double>()) -
                              setup.options.leeway - absl::Seconds(2);
    FUZZ_CHECK(absl::IsUnauthenticated(setup.verifier->Verify(token, before).status()));
  }
  std::string forged = signature;
  if (forged.empty()) forged.push_back('\0');
  forged[0] = static_cast<char>(forged[0] ^ 0x01);
  const std::string tampered = absl::StrCat(token.substr(0, last + 1), B64(forged));
  FUZZ_CHECK(absl::IsUnauthenticated(setup.verifier->Verify(tampered, kNow).status()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Setup& setup = Setups()[control >> 7];
  const int mode = control & 3;
  const Signer* signer = mode == 0 ? nullptr : &signaling::fuzz::Signers()[(control >> 2) & 31];

  std::string token;
  if (mode == 0) {
    token = std::string(rest);
  } else if (mode == 1) {
    const size_t dot = rest.rfind('.');
    const absl::string_view input = dot == absl::string_view::npos ? rest : rest.substr(0, dot);
    token = absl::StrCat(input, ".", B64(signaling::fuzz::Sign(*signer, input)));
  } else {
    std::string header, claims;
    if (mode == 2) {
      const size_t newline = rest.find('\n');
      header = std::string(rest.substr(0, newline));
      if (newline != absl::string_view::npos) claims = std::string(rest.substr(newline + 1));
    } else {
      header = nlohmann::json{{"alg", signer->header_alg}, {"kid", signer->kid}}.dump();
      claims = std::string(rest);
    }
    const std::string input = absl::StrCat(B64(header), ".", B64(claims));
    token = absl::StrCat(input, ".", B64(signaling::fuzz::Sign(*signer, input)));
  }

  const absl::StatusOr<auth::Principal> principal = setup.verifier->Verify(token, kNow);
  if (!principal.ok()) {
    FUZZ_CHECK(absl::IsUnauthenticated(principal.status()));
    // The reason is short and never echoes the token.
    FUZZ_CHECK(principal.status().message().size() < 64);
    return 0;
  }
  CheckAccepted(token, *principal, setup, signer);
  return 0;
}
