// A throw-away PKI for TLS tests, made with the `openssl` tool at set-up (EC P-256 keys:
// fast): a test CA, a server certificate for 127.0.0.1/::1/localhost, one for the wrong
// host, a self-signed one, and a client certificate for mTLS whose subject CN is
// `client_cn` (the southbound maps it to a device id).
#pragma once

#include <string>

#include "common/result.h"

namespace fleetgate::testing {

struct TestPki {
  std::string ca_cert;
  std::string server_cert, server_key;            // SAN 127.0.0.1, ::1, localhost
  std::string wrong_host_cert, wrong_host_key;    // SAN wrong.example only, CA-signed
  std::string self_signed_cert, self_signed_key;  // SAN 127.0.0.1, not CA-signed
  std::string client_cert, client_key;            // CA-signed, for mTLS
};

// Generates the PKI in `dir` (created if missing).
Result<TestPki> make_test_pki(const std::string& dir, const std::string& client_cn = "client");

}  // namespace fleetgate::testing
