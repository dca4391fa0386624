// Keys, verifiers and signers of the JWT fuzz target; see jwt_fuzz_keys.h.
#include "tests/fuzz/jwt_fuzz_keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"

namespace signaling::fuzz {
namespace {

struct KeyMaterial {
  std::string kid;
  std::string alg;
  std::string private_pem;  // HS256: the secret
  std::string public_pem;   // HS256: the secret
};

void Die(const char* what) {
  std::fprintf(stderr, "jwt fuzz setup: %s\n", what);
  std::abort();
}

EVP_PKEY* ParsePem(const std::string& pem, bool is_private) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = is_private ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                             : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) Die("unreadable PEM");
  return key;
}

const std::vector<KeyMaterial>& Keys() {
  static const std::vector<KeyMaterial>* keys = [] {
    auto* out = new std::vector<KeyMaterial>;
    for (const auto& [kid, alg] : {std::pair{"hs", "HS256"}, std::pair{"rs", "RS256"},
                                   std::pair{"es", "ES256"}, std::pair{"ed", "EdDSA"}}) {
      auto material = auth::GenerateKeyMaterial(alg);
      if (!material.ok()) Die("key generation failed");
      KeyMaterial key{kid, alg, *material, *material};
      if (std::string(alg) != "HS256") {
        auto pub = auth::PublicKeyPem(*material);
        if (!pub.ok()) Die("no public key");
        key.public_pem = *pub;
      }
      out->push_back(std::move(key));
    }
    return out;
  }();
  return *keys;
}

const KeyMaterial& KeyOf(const std::string& kid) {
  for (const KeyMaterial& key : Keys()) {
    if (key.kid == kid) return key;
  }
  Die("unknown kid");
  std::abort();
}

Signer RealSigner(const std::string& kid) {
  const KeyMaterial& key = KeyOf(kid);
  if (key.alg == "HS256") {
    return Signer{SignerKind::kKey, kid, key.alg, key.alg, key.private_pem, nullptr, nullptr};
  }
  return Signer{SignerKind::kKey,
                kid,
                key.alg,
                key.alg,
                "",
                ParsePem(key.private_pem, true),
                ParsePem(key.public_pem, false)};
}

Signer ConfusedSigner(const std::string& kid) {
  const KeyMaterial& key = KeyOf(kid);
  return Signer{SignerKind::kConfusedHmac, kid, key.alg, "HS256", key.public_pem, nullptr, nullptr};
}

Signer NoSigner(const std::string& kid) {
  return Signer{SignerKind::kNone, kid, KeyOf(kid).alg, "none", "", nullptr, nullptr};
}

std::string Hmac(const std::string& secret, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

const EVP_MD* DigestOf(const std::string& alg) { return alg == "EdDSA" ? nullptr : EVP_sha256(); }

}  // namespace

const std::vector<Signer>& Signers() {
  static const std::vector<Signer>* signers = [] {
    auto* out = new std::vector<Signer>;
    for (const char* kid : {"hs", "hs", "hs", "hs", "es", "es", "es", "ed", "ed", "ed", "rs"}) {
      out->push_back(RealSigner(kid));
    }
    for (const char* kid : {"rs", "es", "ed"}) out->push_back(ConfusedSigner(kid));
    for (const char* kid : {"hs", "ed"}) out->push_back(NoSigner(kid));
    // The upper half HMACs: cheap to sign and verify, so most executions
    // reach the claims.
    while (out->size() < 32) out->push_back(RealSigner("hs"));
    return out;
  }();
  return *signers;
}

std::unique_ptr<auth::JwtVerifier> MakeVerifier(const auth::VerifierOptions& options) {
  char dir_template[] = "/tmp/fuzz-jwt-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) Die("no temporary directory");
  std::vector<auth::KeySpec> specs;
  for (const KeyMaterial& key : Keys()) {
    const std::string path = absl::StrCat(dir, "/", key.kid);
    std::ofstream(path, std::ios::binary) << key.public_pem;
    specs.push_back({key.kid, key.alg, path});
  }
  auto verifier = auth::JwtVerifier::Create(specs, options);
  std::filesystem::remove_all(dir);
  if (!verifier.ok()) Die("verifier refused its keys");
  return *std::move(verifier);
}

std::string Sign(const Signer& signer, absl::string_view input) {
  if (signer.kind == SignerKind::kNone) return "";
  if (signer.private_key == nullptr) return Hmac(signer.secret, input);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  std::string sig;
  if (EVP_DigestSignInit(ctx, nullptr, DigestOf(signer.alg), nullptr, signer.private_key) != 1 ||
      EVP_DigestSign(ctx, nullptr, &len, in, input.size()) != 1) {
    Die("sign init failed");
  }
  sig.resize(len);
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) !=
      1) {
    Die("sign failed");
  }
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (signer.alg != "ES256") return sig;
  // DER to the JWS form, r||s of 32 bytes each.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  if (ecdsa == nullptr) Die("bad DER signature");
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(ecdsa);
  return raw;
}

bool VerifySignature(const Signer& signer, absl::string_view input, absl::string_view signature) {
  if (signer.kind != SignerKind::kKey) return false;
  if (signer.public_key == nullptr) {
    const std::string mac = Hmac(signer.secret, input);
    return signature.size() == mac.size() &&
           CRYPTO_memcmp(signature.data(), mac.data(), mac.size()) == 0;
  }
  std::string der(signature);
  if (signer.alg == "ES256") {
    if (signature.size() != 64) return false;
    ECDSA_SIG* ecdsa = ECDSA_SIG_new();
    const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG_set0(ecdsa, BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
    unsigned char* out = nullptr;
    const int len = i2d_ECDSA_SIG(ecdsa, &out);
    der = len > 0 ? std::string(reinterpret_cast<char*>(out), len) : std::string();
    OPENSSL_free(out);
    ECDSA_SIG_free(ecdsa);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, DigestOf(signer.alg), nullptr, signer.public_key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace signaling::fuzz
