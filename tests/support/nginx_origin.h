// A test peer: an nginx process serving a directory on loopback (plain HTTP or HTTPS with
// certificates from tests/support/test_pki.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace fleetgate::testing {

struct NginxTls {
  std::string cert, key;
  std::string client_ca;  // non-empty: require a client certificate signed by it
};

// WebDAV locations below the served root (nginx's http_dav_module), for upload tests.
struct NginxWebDav {
  std::string put_prefix;        // e.g. "/status/": PUT stores files, creating directories
  std::string denied_prefix;     // e.g. "/denied/": PUT is refused with 403
  std::string max_body = "16m";  // client_max_body_size of put_prefix; larger: 413
};

class NginxOrigin {
 public:
  // Serves `root` on 127.0.0.1 at a free port; `tls` with an empty cert means plain HTTP.
  // `dir` holds the config, logs and temporary paths.
  static Result<std::unique_ptr<NginxOrigin>> start(const std::string& dir, const std::string& root,
                                                    const NginxTls& tls = {},
                                                    const NginxWebDav& dav = {});
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
  NginxWebDav dav_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// Writes `size` deterministic pseudo-random bytes to `path`; returns their SHA-256 hex.
Result<std::string> write_test_file(const std::string& path, uint64_t size, uint64_t seed);

}  // namespace fleetgate::testing
