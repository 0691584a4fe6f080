#include <doctest/doctest.h>

#include <set>

#include "msim/ipsec/engine.hpp"
#include "test_support.hpp"

using namespace msim::ipsec;
using namespace msim::ipsec::test;

TEST_CASE("SA configuration is validated") {
    IpsecEngine engine;
    SaConfig good = outbound_sa(Protocol::esp, Cipher::des3_cbc, Integrity::hmac_md5_96, Mode::tunnel);
    CHECK(engine.add_sa(good).ok());

    SaConfig c = good;
    c.name = "short-key";
    c.cipher_key.pop_back();
    Status s = engine.add_sa(c);
    REQUIRE(!s.ok());
    CHECK(s.error().code == ErrorCode::invalid_argument);
    CHECK(s.error().message.find("24 bytes") != std::string::npos);

    c = outbound_sa(Protocol::ah, Cipher::null, Integrity::hmac_sha1_96, Mode::tunnel);
    c.cipher = Cipher::des_cbc;
    c.cipher_key = key_bytes(8, 1);
    CHECK(engine.add_sa(c).error().message == "AH cannot have an encryption algorithm");

    c = outbound_sa(Protocol::ah, Cipher::null, Integrity::hmac_sha1_96, Mode::tunnel);
    c.udp_encapsulation = UdpEncapsulation{};
    CHECK(engine.add_sa(c).error().code == ErrorCode::invalid_argument);

    c = outbound_sa(Protocol::esp, Cipher::null, Integrity::none, Mode::tunnel);
    CHECK(!engine.add_sa(c).ok());

    c = good;
    c.name = "low-spi";
    c.spi = 255;
    CHECK(engine.add_sa(c).error().message == "SPI must be at least 256");

    c = good;
    c.name = "window";
    c.replay_window = 16;
    CHECK(!engine.add_sa(c).ok());

    c = good;
    c.name = "no-tunnel";
    c.source = 0;
    CHECK(!engine.add_sa(c).ok());

    c = outbound_sa(Protocol::bundle, Cipher::aes128_cbc, Integrity::hmac_sha1_96, Mode::tunnel);
    c.auxiliary_spi = 0;
    CHECK(!engine.add_sa(c).ok());
}

TEST_CASE("single DES is available through the engine's own legacy provider") {
    IpsecEngine engine;
    CHECK(engine.supports(Cipher::des_cbc));
    CHECK(engine.add_sa(outbound_sa(Protocol::esp, Cipher::des_cbc, Integrity::hmac_md5_96, Mode::tunnel))
              .ok());
}

TEST_CASE("duplicate keys, names and reqids are refused") {
    IpsecEngine engine;
    SaConfig out = outbound_sa(Protocol::esp, Cipher::aes128_cbc, Integrity::hmac_sha1_96, Mode::tunnel);
    REQUIRE(engine.add_sa(out).ok());
    CHECK(engine.add_sa(out).error().code == ErrorCode::already_exists);
    SaConfig other = out;
    other.spi = 4000;  // different key, same name
    CHECK(engine.add_sa(other).error().code == ErrorCode::already_exists);
    other.name = "other";
    CHECK(engine.add_sa(other).ok());

    // A bidirectional manual SA installs the same SPI in both directions.
    SaConfig in = inbound_twin(out);
    CHECK(engine.add_sa(in).ok());
    CHECK(engine.add_sa(in).error().code == ErrorCode::already_exists);
    // An AH SA cannot share the SPI a bundle is found by.
    SaConfig bundle =
        inbound_twin(outbound_sa(Protocol::bundle, Cipher::des3_cbc, Integrity::hmac_md5_96, Mode::tunnel));
    bundle.spi = 5000;
    CHECK(engine.add_sa(bundle).ok());
    SaConfig ah = inbound_twin(outbound_sa(Protocol::ah, Cipher::null, Integrity::hmac_md5_96, Mode::tunnel));
    ah.spi = 5000;
    CHECK(engine.add_sa(ah).error().code == ErrorCode::already_exists);
    CHECK(engine.list_sas().size() == 4);
}

TEST_CASE("get_spi reserves distinct SPIs at or above 256") {
    IpsecEngine engine;
    std::set<std::uint32_t> seen;
    for (int i = 0; i < 200; ++i) {
        auto spi = engine.get_spi(Protocol::esp, gateway_b);
        REQUIRE(spi.ok());
        CHECK(*spi >= 256);
        CHECK(seen.insert(*spi).second);
    }
    SaConfig in = inbound_twin(
        outbound_sa(Protocol::esp, Cipher::aes256_cbc, Integrity::hmac_sha256_128, Mode::tunnel, 64));
    in.spi = *seen.begin();
    CHECK(engine.add_sa(in).ok());
}

TEST_CASE("query, update and delete") {
    IpsecEngine engine;
    SaConfig in =
        inbound_twin(outbound_sa(Protocol::esp, Cipher::des3_cbc, Integrity::hmac_sha1_96, Mode::tunnel));
    REQUIRE(engine.add_sa(in).ok());
    SaKey key = key_of(in);
    auto state = engine.query_sa(key);
    REQUIRE(state.ok());
    CHECK(state->counters == SaCounters{});
    CHECK(state->config.spi == 2312);

    SaEndpoints moved{gateway_a, 0x0a070707, UdpEncapsulation{4500, 4500}};
    REQUIRE(engine.update_sa(key, moved).ok());
    CHECK(engine.query_sa(key).error().code == ErrorCode::not_found);
    SaKey new_key = key;
    new_key.destination = 0x0a070707;
    REQUIRE(engine.query_sa(new_key).ok());
    CHECK(engine.query_sa(new_key)->config.udp_encapsulation.has_value());

    CHECK(engine.del_sa(new_key).ok());
    CHECK(engine.del_sa(new_key).error().code == ErrorCode::not_found);
    CHECK(engine.list_sas().empty());
    REQUIRE(engine.add_sa(in).ok());
    engine.flush_sas();
    CHECK(engine.list_sas().empty());
}
