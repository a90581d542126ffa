// Throw-away PKI for TLS tests, made with the openssl command in a temporary directory:
// a CA, a server certificate for 127.0.0.1 signed by it, and a client certificate whose
// subject CN is a device id.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace fleetgate::testing {

class TestPki {
 public:
  explicit TestPki(const std::string& client_cn = "sensor-1") {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fg-pki-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    std::string d = dir + "/";
    std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ";
    sh("openssl req -x509" + ec + "-keyout " + d + "ca.key -out " + d +
       "ca.pem -days 2 -subj /CN=fleetgate-test-ca");
    sh("openssl req" + ec + "-keyout " + d + "server.key -out " + d +
       "server.csr -subj /CN=127.0.0.1");
    sh("printf 'subjectAltName=IP:127.0.0.1,IP:::1\\n' > " + d + "server.ext");
    sh("openssl x509 -req -in " + d + "server.csr -CA " + d + "ca.pem -CAkey " + d +
       "ca.key -CAcreateserial -days 2 -extfile " + d + "server.ext -out " + d + "server.pem");
    sh("openssl req" + ec + "-keyout " + d + "client.key -out " + d + "client.csr -subj /CN=" +
       client_cn);
    sh("openssl x509 -req -in " + d + "client.csr -CA " + d + "ca.pem -CAkey " + d +
       "ca.key -CAcreateserial -days 2 -out " + d + "client.pem");
  }
  ~TestPki() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string path(const std::string& name) const { return dir + "/" + name; }

  std::string dir;

 private:
  static void sh(const std::string& cmd) {
    if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) {
      throw std::runtime_error("test PKI command failed: " + cmd);
    }
  }
};

}  // namespace fleetgate::testing
