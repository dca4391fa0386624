// The test CA's openssl calls; see test_pki.h.
#include "tests/services/matching/test_pki.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace signaling::testing {
namespace {

constexpr char kNewKey[] = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";

absl::Status Run(const std::string& command) {
  const std::string quiet = absl::StrCat(command, " >/dev/null 2>&1");
  if (std::system(quiet.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("failed: ", command));
  }
  return absl::OkStatus();
}

}  // namespace

TestPki::TestPki(std::string dir) : dir_(std::move(dir)) {}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

absl::StatusOr<std::unique_ptr<TestPki>> TestPki::Create(const std::string& ca_name) {
  char dir[] = "/tmp/test-pki-XXXXXX";
  if (mkdtemp(dir) == nullptr) return absl::InternalError("mkdtemp failed");
  std::unique_ptr<TestPki> pki(new TestPki(dir));
  pki->ca_cert_ = pki->dir_ + "/ca.crt";
  pki->ca_key_ = pki->dir_ + "/ca.key";
  absl::Status made = Run(absl::StrCat(
      "openssl req -x509 ", kNewKey, " -days 1 -subj /CN=", ca_name,
      " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
      " -keyout ", pki->ca_key_, " -out ", pki->ca_cert_));
  if (!made.ok()) return made;
  return pki;
}

absl::StatusOr<CertFiles> TestPki::Issue(const std::string& file_name, const std::string& cn,
                                         const std::vector<std::string>& sans) {
  const std::string base = absl::StrCat(dir_, "/", file_name);
  CertFiles files{base + ".crt", base + ".key"};
  {
    std::ofstream ext(base + ".ext");
    ext << "basicConstraints=CA:FALSE\n"
        << "keyUsage=critical,digitalSignature\n"
        << "extendedKeyUsage=serverAuth,clientAuth\n";
    if (!sans.empty()) ext << "subjectAltName=" << absl::StrJoin(sans, ",") << "\n";
    if (!ext) return absl::InternalError("cannot write " + base + ".ext");
  }
  if (absl::Status st = Run(absl::StrCat("openssl req ", kNewKey, " -subj /CN=", cn, " -keyout ",
                                         files.key, " -out ", base, ".csr"));
      !st.ok()) {
    return st;
  }
  if (absl::Status st = Run(absl::StrCat("openssl x509 -req -in ", base, ".csr -CA ", ca_cert_,
                                         " -CAkey ", ca_key_, " -CAcreateserial -days 1 -extfile ",
                                         base, ".ext -out ", files.cert));
      !st.ok()) {
    return st;
  }
  return files;
}

}  // namespace signaling::testing
