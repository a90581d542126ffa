#include "tests/support/test_pki.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fleetgate::testing {
namespace {

Status run(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  if (rc != 0) return make_error(Errc::internal, "command", "command failed: " + cmd);
  return ok_status();
}

Status leaf(const std::string& dir, const std::string& name, const std::string& san,
            bool ca_signed, const std::string& cn = "") {
  const std::string key = dir + "/" + name + ".key", crt = dir + "/" + name + ".crt";
  FG_TRY(run("openssl ecparam -name prime256v1 -genkey -noout -out " + key));
  if (!ca_signed) {
    return run("openssl req -x509 -new -key " + key + " -subj /CN=" + name + " -days 2 -out " +
               crt + " -addext subjectAltName=" + san);
  }
  const std::string csr = dir + "/" + name + ".csr", ext = dir + "/" + name + ".ext";
  std::ofstream(ext) << "subjectAltName=" << san << "\nextendedKeyUsage=serverAuth,clientAuth\n";
  FG_TRY(run("openssl req -new -key " + key + " -subj /CN=" + (cn.empty() ? name : cn) + " -out " + csr));
  return run("openssl x509 -req -in " + csr + " -CA " + dir + "/ca.crt -CAkey " + dir +
             "/ca.key -CAcreateserial -days 2 -extfile " + ext + " -out " + crt);
}

}  // namespace

Result<TestPki> make_test_pki(const std::string& dir, const std::string& client_cn) {
  std::filesystem::create_directories(dir);
  FG_TRY(run("openssl ecparam -name prime256v1 -genkey -noout -out " + dir + "/ca.key"));
  FG_TRY(run("openssl req -x509 -new -key " + dir +
             "/ca.key -subj /CN=fleetgate-test-ca -days 2 -out " + dir + "/ca.crt"));
  FG_TRY(leaf(dir, "server", "IP:127.0.0.1,IP:::1,DNS:localhost", true));
  FG_TRY(leaf(dir, "wrong", "DNS:wrong.example", true));
  FG_TRY(leaf(dir, "selfsigned", "IP:127.0.0.1", false));
  FG_TRY(leaf(dir, "client", "DNS:gateway.test", true, client_cn));
  TestPki p;
  p.ca_cert = dir + "/ca.crt";
  p.server_cert = dir + "/server.crt";
  p.server_key = dir + "/server.key";
  p.wrong_host_cert = dir + "/wrong.crt";
  p.wrong_host_key = dir + "/wrong.key";
  p.self_signed_cert = dir + "/selfsigned.crt";
  p.self_signed_key = dir + "/selfsigned.key";
  p.client_cert = dir + "/client.crt";
  p.client_key = dir + "/client.key";
  return p;
}

}  // namespace fleetgate::testing
