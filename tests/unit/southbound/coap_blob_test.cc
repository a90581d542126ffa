// GET /b/{hex} with the real coap-client-gnutls: a 1 MiB blob in 1024-byte blocks over
// DTLS arrives intact; a device resuming asks for a later block and gets it under the same
// ETag; unknown and refused hashes are the same 4.04; plain CoAP reads public blobs only;
// with every transfer slot taken the answer is 5.03 + Max-Age.
#include <catch2/catch.hpp>

#include <memory>
#include <regex>
#include <set>

#include "cache/store_testing.h"
#include "coap_fixture.h"

using namespace fleetgate;
using namespace fleetgate::testing;

namespace {
std::string mib_blob() {
  std::string b(1 << 20, '\0');
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>((i * 7919u + (i >> 10)) & 0xff);
  return b;
}
// The ETag values coap-client printed for the responses it received (-v 7).
std::set<std::string> etags(const std::string& log) {
  std::set<std::string> out;
  std::regex re("ETag:(0x[0-9a-fA-F]+)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator();
       ++it) {
    out.insert((*it)[1]);
  }
  return out;
}
}  // namespace

TEST_CASE("coap blob of 1 MiB in 1024-byte blocks over DTLS has the right sha256") {
  ServedCoap gw;
  const std::string blob = mib_blob();
  Sha256Digest d = gw.store.add(blob);
  gw.oracle.assigned.insert({"sensor-1", d});
  TempDir dir;
  const std::string file = dir.path() + "/blob.bin";
  auto r = coap_client(
      with(as_device("sensor-1", kPsk1), {"-b", "1024", "-o", file, gw.coaps_uri("/b/" + d.hex())}),
      /*give_up_s=*/20);
  INFO(r.out << r.err);
  const std::string got = slurp(file);
  CHECK(got.size() == blob.size());
  CHECK(Sha256::of(got) == d);
  const std::string m = gw.metrics.render();
  CHECK(m.find("fleetgate_coap_blocks_sent_total 1024") != std::string::npos);
  CHECK(m.find("fleetgate_coap_blob_bytes_sent_total 1048576") != std::string::npos);
}

TEST_CASE("coap blob resumes at a later block under the same ETag") {
  ServedCoap gw;
  const std::string blob = mib_blob().substr(0, 64 * 1024);
  Sha256Digest d = gw.store.add(blob);
  gw.oracle.assigned.insert({"sensor-1", d});
  TempDir dir;
  const std::string first = dir.path() + "/first.bin";
  const std::string rest = dir.path() + "/rest.bin";
  auto whole = coap_client(with(as_device("sensor-1", kPsk1), {"-v", "7", "-b", "1024", "-o", first,
                                                               gw.coaps_uri("/b/" + d.hex())}));
  // Resume: ask for block 40 (byte 40960) directly, as a device does after losing the
  // transfer there. (coap-client 4.3.1 fetches just that block when told to start at it.)
  auto resumed =
      coap_client(with(as_device("sensor-1", kPsk1),
                       {"-v", "7", "-b", "40,1024", "-o", rest, gw.coaps_uri("/b/" + d.hex())}));
  INFO(resumed.out << resumed.err);
  CHECK(slurp(first) == blob);
  CHECK(slurp(rest) == blob.substr(40 * 1024, 1024));
  CHECK(resumed.out.find("Block2:40/M/1024, Size2:65536") != std::string::npos);
  // One ETag in every response of both transfers: the first 8 bytes of the SHA-256.
  std::set<std::string> seen = etags(whole.out + whole.err);
  auto more = etags(resumed.out + resumed.err);
  seen.insert(more.begin(), more.end());
  REQUIRE(seen.size() == 1);
  CHECK(*seen.begin() == "0x" + d.hex().substr(0, 16));
}

TEST_CASE("coap blob: unknown and refused hashes are the same 4.04") {
  ServedCoap gw;
  Sha256Digest mine = gw.store.add("blob of sensor-1");
  Sha256Digest theirs = gw.store.add("blob of sensor-2");
  gw.oracle.assigned.insert({"sensor-1", mine});
  gw.oracle.assigned.insert({"sensor-2", theirs});
  auto get = [&](const std::string& path) {
    auto r = coap_client(with(as_device("sensor-1", kPsk1), {"-v", "6", gw.coaps_uri(path)}));
    return r.out + r.err;
  };
  const std::string unknown = get("/b/" + Sha256::of(std::string_view("nobody")).hex());
  const std::string refused = get("/b/" + theirs.hex());
  const std::string malformed = get("/b/not-a-hash");
  INFO(unknown << refused << malformed);
  CHECK(unknown.find("4.04") != std::string::npos);
  CHECK(refused.find("4.04") != std::string::npos);
  CHECK(malformed.find("4.04") != std::string::npos);
  CHECK(refused.find("blob of") == std::string::npos);
  CHECK(get("/b/" + mine.hex()).find("blob of sensor-1") != std::string::npos);
}

TEST_CASE("plain coap reads public blobs only") {
  ServedCoap gw;
  Sha256Digest pub = gw.store.add("public blob");
  Sha256Digest priv = gw.store.add("private blob");
  gw.oracle.public_blobs.insert(pub);
  gw.oracle.assigned.insert({"sensor-1", priv});
  auto p = coap_client({gw.coap_uri("/b/" + pub.hex())});
  CHECK(p.out.find("public blob") != std::string::npos);
  auto q = coap_client({"-v", "6", gw.coap_uri("/b/" + priv.hex())});
  INFO(q.out << q.err);
  CHECK((q.out + q.err).find("4.04") != std::string::npos);
  CHECK(q.out.find("private blob") == std::string::npos);
}

TEST_CASE("coap blob with every transfer slot taken is 5.03 with Max-Age") {
  ServedCoap gw;
  Sha256Digest d = gw.store.add("busy blob");
  gw.oracle.assigned.insert({"sensor-1", d});
  std::vector<std::unique_ptr<cache::ArtifactReader>> held;
  gw.on_loop([&] {
    while (true) {
      auto r = gw.store->open_transfer(d);
      if (!r.ok()) break;
      held.push_back(std::move(r).value());
    }
  });
  REQUIRE(!held.empty());
  auto r =
      coap_client(with(as_device("sensor-1", kPsk1), {"-v", "6", gw.coaps_uri("/b/" + d.hex())}),
                  /*give_up_s=*/2);
  INFO(r.out << r.err);
  CHECK((r.out + r.err).find("5.03") != std::string::npos);
  CHECK((r.out + r.err).find("Max-Age:1") != std::string::npos);
  gw.on_loop([&] { held.clear(); });
  auto again = coap_client(with(as_device("sensor-1", kPsk1), {gw.coaps_uri("/b/" + d.hex())}));
  CHECK(again.out.find("busy blob") != std::string::npos);
}

TEST_CASE("coap blob with a corrupt chunk is 5.00 once, then 4.04 (quarantined)") {
  ServedCoap gw;
  Sha256Digest d = gw.store.add(std::string(4096, 'z'));
  gw.oracle.assigned.insert({"sensor-1", d});
  REQUIRE(cache::corrupt_chunk_for_test(*gw.store.get(), d, 0, 100).ok());
  auto get = [&] {
    auto r = coap_client(with(as_device("sensor-1", kPsk1),
                              {"-v", "6", "-b", "1024", gw.coaps_uri("/b/" + d.hex())}));
    return r.out + r.err;
  };
  const std::string first = get();
  INFO(first);
  CHECK(first.find("5.00") != std::string::npos);
  CHECK(first.find("zzzz") == std::string::npos);
  const std::string second = get();
  INFO(second);
  CHECK(second.find("4.04") != std::string::npos);
}

TEST_CASE("coap blob transfer handles are released after the last block and when idle") {
  southbound::CoapServerOptions options;
  options.sweep_every = std::chrono::milliseconds(10);
  ServedCoap gw(options);
  const std::string blob = mib_blob().substr(0, 8 * 1024);
  Sha256Digest d = gw.store.add(blob);
  gw.on_loop([&] { gw.oracle.assigned.insert({"sensor-1", d}); });
  auto held = [&] {
    size_t transfers = 0;
    uint64_t open = 0;
    gw.on_loop([&] {
      transfers = gw.server->api().transfers_in_progress();
      open = gw.store->stats()->open_transfers;
    });
    CHECK(open == transfers);  // one cache transfer handle per transfer in progress
    return transfers;
  };
  TempDir dir;
  const std::string file = dir.path() + "/blob.bin";
  // A whole fetch ends at its last block.
  auto whole = coap_client(with(as_device("sensor-1", kPsk1),
                                {"-b", "1024", "-o", file, gw.coaps_uri("/b/" + d.hex())}));
  CHECK(slurp(file) == blob);
  CHECK(held() == 0);
  // A device that stops after block 2 of 8 and closes its DTLS session: the session's
  // end releases the handle.
  auto part = coap_client(with(as_device("sensor-1", kPsk1),
                               {"-b", "2,1024", "-o", file, gw.coaps_uri("/b/" + d.hex())}));
  CHECK(slurp(file) == blob.substr(2048, 1024));
  CHECK(held() == 0);
  // Plain CoAP has no session end to see: the handle is held until transfer_idle passes.
  gw.on_loop([&] { gw.oracle.public_blobs.insert(d); });
  auto udp = coap_client({"-b", "2,1024", "-o", file, gw.coap_uri("/b/" + d.hex())});
  CHECK(slurp(file) == blob.substr(2048, 1024));
  CHECK(held() == 1);
  gw.clock.advance(std::chrono::seconds(11));
  CHECK(poll_until([&] { return held() == 0; }, std::chrono::seconds(5)));
}
