// A throw-away certificate authority for tests over real mTLS: a CA, and
// leaf certificates it signs with a chosen subject CN and SANs, usable as
// both server and client certificates. Made with the openssl command line
// in a temporary directory that is removed with the object.
#ifndef TESTS_SERVICES_MATCHING_TEST_PKI_H_
#define TESTS_SERVICES_MATCHING_TEST_PKI_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace signaling::testing {

struct CertFiles {
  std::string cert;  // PEM certificate
  std::string key;   // PEM private key
};

class TestPki {
 public:
  // A new CA named `ca_name` (its subject CN).
  static absl::StatusOr<std::unique_ptr<TestPki>> Create(const std::string& ca_name);
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // A certificate signed by this CA with subject CN `cn` and the given
  // subjectAltName entries ("DNS:localhost", "URI:spiffe://...", ...).
  // `file_name` names its files in the directory (must be unique).
  absl::StatusOr<CertFiles> Issue(const std::string& file_name, const std::string& cn,
                                  const std::vector<std::string>& sans);

  const std::string& ca_cert() const { return ca_cert_; }

 private:
  explicit TestPki(std::string dir);

  const std::string dir_;
  std::string ca_cert_;
  std::string ca_key_;
};

}  // namespace signaling::testing

#endif  // TESTS_SERVICES_MATCHING_TEST_PKI_H_
