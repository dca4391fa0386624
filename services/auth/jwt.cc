// JWT verification and signing; see jwt.h.
#include "services/auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace signaling::auth {
namespace {

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

absl::Status Refuse(const char* why) { return absl::UnauthenticatedError(why); }

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read key file ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool KnownAlg(absl::string_view alg) {
  return alg == "HS256" || alg == "RS256" || alg == "ES256" || alg == "EdDSA";
}

PKey ReadPublicKey(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    BIO_reset(bio.get());
    key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  }
  return PKey(key, &EVP_PKEY_free);
}

PKey ReadPrivateKey(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  return PKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
}

// Whether `key` suits `alg`: RSA of at least 2048 bits, P-256, Ed25519.
bool Suits(EVP_PKEY* key, const std::string& alg) {
  if (alg == "RS256")
    return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= 2048;
  if (alg == "ES256")
    return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && EVP_PKEY_get_bits(key) == 256;
  if (alg == "EdDSA") return EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519;
  return false;
}

std::string Hmac(const std::string& secret, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

// JWS ES256 signatures are r||s (32 bytes each); OpenSSL wants DER.
std::string RawToDer(absl::string_view raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  std::string out = len > 0 ? std::string(reinterpret_cast<char*>(der), len) : std::string();
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

std::string DerToRaw(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) return "";
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

bool DigestVerify(EVP_PKEY* key, const EVP_MD* md, absl::string_view data, absl::string_view sig) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

absl::StatusOr<std::string> DigestSign(EVP_PKEY* key, const EVP_MD* md, absl::string_view data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) {
    return absl::InternalError("signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     data.size()) != 1) {
    return absl::InternalError("signing failed");
  }
  sig.resize(len);
  return sig;
}

const EVP_MD* DigestFor(const std::string& alg) { return alg == "EdDSA" ? nullptr : EVP_sha256(); }

std::string B64(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

// Reads a string array claim; false when present with a wrong type.
bool StringArray(const nlohmann::json& object, const char* name, std::vector<std::string>* out) {
  auto it = object.find(name);
  if (it == object.end()) return true;
  if (!it->is_array() || it->size() > 256) return false;
  for (const auto& item : *it) {
    if (!item.is_string()) return false;
    out->push_back(item.get<std::string>());
  }
  return true;
}

}  // namespace

class Key {
 public:
  Key(std::string alg, std::string secret)
      : alg_(std::move(alg)), secret_(std::move(secret)), pkey_(nullptr, &EVP_PKEY_free) {}
  Key(std::string alg, PKey pkey) : alg_(std::move(alg)), pkey_(std::move(pkey)) {}

  const std::string& alg() const { return alg_; }

  bool Verify(absl::string_view data, absl::string_view sig) const {
    if (alg_ == "HS256") {
      const std::string mac = Hmac(secret_, data);
      return sig.size() == mac.size() && CRYPTO_memcmp(sig.data(), mac.data(), mac.size()) == 0;
    }
    if (alg_ == "ES256") {
      if (sig.size() != 64) return false;
      return DigestVerify(pkey_.get(), EVP_sha256(), data, RawToDer(sig));
    }
    return DigestVerify(pkey_.get(), DigestFor(alg_), data, sig);
  }

 private:
  std::string alg_;
  std::string secret_;
  PKey pkey_;
};

absl::StatusOr<KeySpec> ParseKeySpec(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits(':', 2));
  if (parts.size() != 3 || parts[0].empty() || parts[2].empty() || !KnownAlg(parts[1])) {
    return absl::InvalidArgumentError(
        "a key is kid:alg:path with alg HS256, RS256, ES256 or EdDSA");
  }
  return KeySpec{parts[0], parts[1], parts[2]};
}

JwtVerifier::JwtVerifier(std::map<std::string, std::unique_ptr<Key>> keys, VerifierOptions options)
    : keys_(std::move(keys)), options_(std::move(options)) {}
JwtVerifier::~JwtVerifier() = default;

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(const std::vector<KeySpec>& specs,
                                                                 VerifierOptions options) {
  if (options.leeway > absl::Seconds(60) || options.leeway < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("leeway must be between 0 and 60 s");
  }
  if (options.audience.empty()) return absl::InvalidArgumentError("audience must not be empty");
  if (specs.empty()) return absl::InvalidArgumentError("at least one key is required");
  std::map<std::string, std::unique_ptr<Key>> keys;
  for (const KeySpec& spec : specs) {
    if (!KnownAlg(spec.alg))
      return absl::InvalidArgumentError(absl::StrCat("unknown algorithm ", spec.alg));
    if (keys.count(spec.kid))
      return absl::InvalidArgumentError(absl::StrCat("duplicate kid ", spec.kid));
    auto material = ReadFile(spec.path);
    if (!material.ok()) return material.status();
    if (spec.alg == "HS256") {
      if (material->size() < 32) {
        return absl::InvalidArgumentError(
            absl::StrCat("HS256 key ", spec.kid, " is shorter than 32 bytes"));
      }
      keys[spec.kid] = std::make_unique<Key>(spec.alg, *std::move(material));
      continue;
    }
    PKey pkey = ReadPublicKey(*material);
    if (pkey == nullptr || !Suits(pkey.get(), spec.alg)) {
      return absl::InvalidArgumentError(
          absl::StrCat("key ", spec.kid, " is not a usable ", spec.alg, " key"));
    }
    keys[spec.kid] = std::make_unique<Key>(spec.alg, std::move(pkey));
  }
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(std::move(keys), std::move(options)));
}

absl::StatusOr<Principal> JwtVerifier::Verify(absl::string_view token, absl::Time now) const {
  if (token.size() > options_.max_token_bytes) return Refuse("token too large");
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Refuse("malformed token");
  std::string header_json, payload_json, signature;
  if (!absl::WebSafeBase64Unescape(parts[0], &header_json) ||
      !absl::WebSafeBase64Unescape(parts[1], &payload_json) ||
      !absl::WebSafeBase64Unescape(parts[2], &signature)) {
    return Refuse("malformed token");
  }
  const auto header = nlohmann::json::parse(header_json, nullptr, false);
  if (!header.is_object()) return Refuse("malformed token header");
  auto alg = header.find("alg");
  auto kid = header.find("kid");
  if (alg == header.end() || !alg->is_string()) return Refuse("missing alg");
  if (kid == header.end() || !kid->is_string()) return Refuse("missing kid");
  auto key = keys_.find(kid->get<std::string>());
  if (key == keys_.end()) return Refuse("unknown key");
  // The key decides the algorithm: "none" and any other are refused.
  if (alg->get<std::string>() != key->second->alg())
    return Refuse("algorithm not allowed for this key");
  const absl::string_view signing_input(token.data(), parts[0].size() + 1 + parts[1].size());
  if (!key->second->Verify(signing_input, signature)) return Refuse("bad signature");

  const auto claims = nlohmann::json::parse(payload_json, nullptr, false);
  if (!claims.is_object()) return Refuse("malformed claims");
  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() || sub->get<std::string>().empty()) {
    return Refuse("missing sub");
  }
  auto exp = claims.find("exp");
  if (exp == claims.end() || !exp->is_number() || !std::isfinite(exp->get<double>())) {
    return Refuse("missing exp");
  }
  const double now_s = absl::ToDoubleSeconds(now - absl::UnixEpoch());
  const double leeway = absl::ToDoubleSeconds(options_.leeway);
  if (exp->get<double>() + leeway <= now_s) return Refuse("token expired");
  auto nbf = claims.find("nbf");
  if (nbf != claims.end()) {
    if (!nbf->is_number()) return Refuse("malformed nbf");
    if (nbf->get<double>() - leeway > now_s) return Refuse("token not yet valid");
  }
  auto aud = claims.find("aud");
  bool audience_ok = false;
  if (aud != claims.end() && aud->is_string()) {
    audience_ok = aud->get<std::string>() == options_.audience;
  } else if (aud != claims.end() && aud->is_array()) {
    for (const auto& a : *aud)
      audience_ok |= a.is_string() && a.get<std::string>() == options_.audience;
  }
  if (!audience_ok) return Refuse("wrong audience");
  if (!options_.issuer.empty()) {
    auto iss = claims.find("iss");
    if (iss == claims.end() || !iss->is_string() || iss->get<std::string>() != options_.issuer) {
      return Refuse("wrong issuer");
    }
  }
  Principal principal;
  principal.subject = sub->get<std::string>();
  principal.expires_at = absl::UnixEpoch() + absl::Seconds(std::min(exp->get<double>(), 4e11));
  auto grants = claims.find("grants");
  if (grants != claims.end()) {
    if (!grants->is_object() || !StringArray(*grants, "accept", &principal.accept) ||
        !StringArray(*grants, "offer", &principal.offer)) {
      return Refuse("malformed grants");
    }
  }
  return principal;
}

absl::StatusOr<SigningKey> LoadSigningKey(const std::string& kid, const std::string& alg,
                                          const std::string& path) {
  if (!KnownAlg(alg)) return absl::InvalidArgumentError(absl::StrCat("unknown algorithm ", alg));
  auto material = ReadFile(path);
  if (!material.ok()) return material.status();
  return SigningKey{kid, alg, *std::move(material)};
}

absl::StatusOr<std::string> SignJwt(const SigningKey& key, const nlohmann::json& claims,
                                    const std::string& header_alg) {
  nlohmann::json header = {
      {"alg", header_alg.empty() ? key.alg : header_alg}, {"typ", "JWT"}, {"kid", key.kid}};
  const std::string input = absl::StrCat(B64(header.dump()), ".", B64(claims.dump()));
  std::string sig;
  if (key.alg == "HS256") {
    sig = Hmac(key.material, input);
  } else {
    PKey pkey = ReadPrivateKey(key.material);
    if (pkey == nullptr || !Suits(pkey.get(), key.alg)) {
      return absl::InvalidArgumentError("not a usable private key for " + key.alg);
    }
    auto signed_bytes = DigestSign(pkey.get(), DigestFor(key.alg), input);
    if (!signed_bytes.ok()) return signed_bytes.status();
    sig = key.alg == "ES256" ? DerToRaw(*signed_bytes) : *signed_bytes;
  }
  return absl::StrCat(input, ".", B64(sig));
}

absl::StatusOr<std::string> GenerateKeyMaterial(const std::string& alg) {
  if (alg == "HS256") {
    std::string secret(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), 32) != 1) {
      return absl::InternalError("no randomness");
    }
    return secret;
  }
  EVP_PKEY* raw = nullptr;
  if (alg == "RS256") {
    raw = EVP_RSA_gen(2048);
  } else if (alg == "ES256") {
    raw = EVP_EC_gen("P-256");
  } else if (alg == "EdDSA") {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown algorithm ", alg));
  }
  PKey pkey(raw, &EVP_PKEY_free);
  if (pkey == nullptr) return absl::InternalError("key generation failed");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, len);
}

absl::StatusOr<std::string> PublicKeyPem(const std::string& private_pem) {
  PKey pkey = ReadPrivateKey(private_pem);
  if (pkey == nullptr) return absl::InvalidArgumentError("not a PEM private key");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), pkey.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, len);
}

}  // namespace signaling::auth
