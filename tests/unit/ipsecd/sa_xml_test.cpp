// The SA backend's XML: what ipsecd sends is what pfed installs.
#include <doctest/doctest.h>

#include "msim/ipsec/sa_xml.hpp"
#include "msim/ipsecd/ipsecd.hpp"

using namespace msim;

TEST_CASE("SaConfig, SaKey and SaState survive the trip through XML") {
    ipsec::SaConfig c;
    c.name = "manual-sa1";
    c.reqid = 7;
    c.direction = ipsec::Direction::inbound;
    c.protocol = ipsec::Protocol::bundle;
    c.spi = 2312;
    c.auxiliary_spi = 2313;
    c.mode = ipsec::Mode::transport;
    c.source = *ipsec::parse_ipv4("10.6.6.6");
    c.destination = *ipsec::parse_ipv4("10.5.5.5");
    c.cipher = ipsec::Cipher::aes128_cbc;
    c.cipher_key = std::vector<uint8_t>(16, 0xab);
    c.integrity = ipsec::Integrity::hmac_sha1_96;
    c.integrity_key = std::vector<uint8_t>(20, 0x01);
    c.replay_window = 64;
    c.lifetime.hard_seconds = 3600;
    c.udp_encapsulation = ipsec::UdpEncapsulation{4500, 1234};
    pugi::xml_document doc;
    ipsec::append_sa_config(doc, c);
    std::string error;
    auto back = ipsec::parse_sa_config(doc.child("sa"), error);
    REQUIRE_MESSAGE(back, error);
    CHECK(ipsecd::fingerprint(*back) == ipsecd::fingerprint(c));
    CHECK(back->udp_encapsulation->destination_port == 1234);

    pugi::xml_document kdoc;
    ipsec::append_sa_key(kdoc, ipsec::key_of(c));
    auto key = ipsec::parse_sa_key(kdoc.child("sa-key"), error);
    REQUIRE(key);
    CHECK(*key == ipsec::key_of(c));

    ipsec::SaState st;
    st.config = c;
    st.counters.packets_decrypted = 5;
    st.counters.auth_failures = 2;
    st.hard_expired = true;
    pugi::xml_document sdoc;
    ipsec::append_sa_state(sdoc, st);
    auto sback = ipsec::parse_sa_state(sdoc.child("sa-state"), error);
    REQUIRE(sback);
    CHECK(sback->counters == st.counters);
    CHECK(sback->hard_expired);
    CHECK(sback->config.cipher_key.empty());  // states never carry keys
}

TEST_CASE("bad SA XML is refused with the field named") {
    pugi::xml_document doc;
    doc.load_string("<sa><direction>sideways</direction></sa>");
    std::string error;
    CHECK_FALSE(ipsec::parse_sa_config(doc.child("sa"), error));
    CHECK(error == "bad <direction>");
    doc.load_string(
        "<sa><direction>inbound</direction><protocol>esp</protocol><mode>tunnel</mode><cipher>3des-cbc</"
        "cipher>"
        "<integrity>hmac-md5-96</integrity><cipher-key>zz</cipher-key><integrity-key></integrity-key></sa>");
    CHECK_FALSE(ipsec::parse_sa_config(doc.child("sa"), error));
    CHECK(error == "bad <cipher-key>");
    CHECK_FALSE(ipsec::from_hex("abc"));
    CHECK(ipsec::from_hex("0xABcd")->size() == 2);
}
