// Test peers: an nginx process serving a directory on loopback (plain HTTP or HTTPS),
// and a throw-away PKI made with the `openssl` tool at set-up (a test CA, a server
// certificate for 127.0.0.1/::1/localhost, one for the wrong host, a self-signed one,
// and a client certificate for mTLS).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"

namespace fleetgate::testing {

// A temporary directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct TestPki {
  std::string ca_cert;
  std::string server_cert, server_key;        // SAN 127.0.0.1, ::1, localhost
  std::string wrong_host_cert, wrong_host_key;  // SAN wrong.example only, CA-signed
  std::string self_signed_cert, self_signed_key;  // SAN 127.0.0.1, not CA-signed
  std::string client_cert, client_key;        // CA-signed, for mTLS
};

// Generates the PKI in `dir` (EC P-256 keys: fast).
Result<TestPki> make_test_pki(const std::string& dir);

struct NginxTls {
  std::string cert, key;
  std::string client_ca;  // non-empty: require a client certificate signed by it
};

class NginxOrigin {
 public:
  // Serves `root` on 127.0.0.1 at a free port; `tls` with an empty cert means plain HTTP.
  // `dir` holds the config, logs and temporary paths.
  static Result<std::unique_ptr<NginxOrigin>> start(const std::string& dir, const std::string& root,
                                                    const NginxTls& tls = {});
  ~NginxOrigin();

  uint16_t port() const { return port_; }
  // "http(s)://127.0.0.1:PORT/"
  std::string url() const;
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void stop();
  // Starts again on the same port (origin back up).
  Status restart();

 private:
  NginxOrigin() = default;
  Status launch();

  std::string dir_, root_;
  NginxTls tls_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// Writes `size` deterministic pseudo-random bytes to `path`; returns their SHA-256 hex.
Result<std::string> write_test_file(const std::string& path, uint64_t size, uint64_t seed);

}  // namespace fleetgate::testing
