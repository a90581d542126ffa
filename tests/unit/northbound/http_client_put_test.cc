// A request body (PUT) through the HTTP client, against the real nginx with WebDAV over
// HTTPS: the bytes arrive as sent, a second PUT replaces them, and GET on the same client
// still works as before.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/uv.h"
#include "northbound/http_client.h"
#include "tests/unit/northbound/https_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct DavSite {
  TempDir tmp;
  TestPki pki;
  std::string www = tmp.path() + "/www";
  std::unique_ptr<NginxOrigin> nginx;

  DavSite() {
    auto made = make_test_pki(tmp.path() + "/pki");
    REQUIRE(made.ok());
    pki = *made;
    std::filesystem::create_directories(www);
    auto started = NginxOrigin::start(tmp.path() + "/nginx", www,
                                      NginxTls{pki.server_cert, pki.server_key, ""},
                                      NginxWebDav{"/up/", "/ro/"});
    REQUIRE(started.ok());
    nginx = std::move(started).value();
  }
};

struct Exchange {
  int status = 0;
  std::string body;
  std::optional<Status> done;
};

// Runs one exchange on `loop` to its end.
Exchange run(uv::Loop& loop, northbound::HttpClient& client, const std::string& method,
             const std::string& target, std::optional<std::string> body) {
  Exchange ex;
  auto on_head = [&](const http::Message& head) {
    ex.status = head.status;
    return ok_status();
  };
  auto on_body = [&](std::string_view bytes) {
    ex.body.append(bytes);
    return ok_status();
  };
  auto on_done = [&](Status s) { ex.done = std::move(s); };
  std::vector<http::Header> headers = {{"Content-Type", "application/json"}};
  if (body) {
    client.request(method, target, headers, *body, on_head, on_body, on_done);
  } else {
    client.request(method, target, headers, on_head, on_body, on_done);
  }
  REQUIRE(loop.run_until([&] { return ex.done.has_value(); }, std::chrono::seconds(10)));
  return ex;
}

}  // namespace

TEST_CASE("http client PUTs a body that nginx stores as sent and then GETs it back") {
  DavSite site;
  uv::Loop loop;
  {
    auto origin = northbound::OriginUrl::parse(site.nginx->url() + "up/");
    REQUIRE(origin.ok());
    northbound::HttpClientOptions options;
    auto tls = tls::ClientContext::create(tls::ClientConfig{site.pki.ca_cert, {}, "", ""});
    REQUIRE(tls.ok());
    options.tls = *tls;
    northbound::HttpClient client(loop, *origin, options);

    std::string big(300'000, 'x');  // several TLS records
    for (size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
    Exchange put = run(loop, client, "PUT", "/up/site/epoch/1.json", big);
    REQUIRE(put.done->ok());
    CHECK(put.status == 201);
    CHECK(slurp(site.www + "/up/site/epoch/1.json") == big);

    // The same name again replaces the file (an idempotent retry), on the kept-alive
    // connection.
    Exchange again = run(loop, client, "PUT", "/up/site/epoch/1.json", "{\"n\":2}");
    REQUIRE(again.done->ok());
    CHECK(again.status == 204);
    CHECK(slurp(site.www + "/up/site/epoch/1.json") == "{\"n\":2}");

    Exchange get = run(loop, client, "GET", "/up/site/epoch/1.json", std::nullopt);
    REQUIRE(get.done->ok());
    CHECK(get.status == 200);
    CHECK(get.body == "{\"n\":2}");
    CHECK(client.connections_opened() == 1);

    // An empty body is still a body: Content-Length: 0.
    Exchange empty = run(loop, client, "PUT", "/up/empty.json", std::string());
    REQUIRE(empty.done->ok());
    CHECK(empty.status == 201);
    CHECK(std::filesystem::file_size(site.www + "/up/empty.json") == 0);

    Exchange refused = run(loop, client, "PUT", "/ro/x.json", "{}");
    REQUIRE(refused.done->ok());
    CHECK(refused.status == 403);
    CHECK_FALSE(std::filesystem::exists(site.www + "/ro/x.json"));
  }
  REQUIRE(loop.close().ok());
}
