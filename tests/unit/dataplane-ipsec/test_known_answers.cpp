// Known-answer tests: packets built by an independent implementation (scapy 2.5's IPsec layer, with
// fixed IVs; see the parameters next to each vector) that the engine must accept and decapsulate exactly.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "msim/ipsec/engine.hpp"

using namespace msim::ipsec;
using Bytes = std::vector<std::uint8_t>;

namespace {
Bytes hex(const std::string& text) {
    Bytes out;
    for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoul(text.substr(i, 2), nullptr, 16)));
    }
    return out;
}
}  // namespace

// SecurityAssociation(ESP, spi=2312, crypt_algo='3DES', crypt_key=0123..dcfe (24 bytes),
// auth_algo='HMAC-MD5-96', auth_key=00..0f, tunnel_header=IP(src=10.5.5.5, dst=10.6.6.6, id=7))
// .encrypt(IP(10.1.1.5 > 10.2.2.5)/ICMP echo/"msim known answer", seq_num=5, iv=a1a2a3a4a5a6a7a8)
TEST_CASE("known answer: 3des-cbc + hmac-md5-96 tunnel ESP, SPI 2312 (the seed's manual SA)") {
    const Bytes inner =
        hex("4500002d000100003f0164c30a0101050a0202050800a299000100016d73696d206b6e6f776e20616e73776572");
    const Bytes wire =
        hex("450000600007000040325b500a0505050a0606060000090800000005a1a2a3a4a5a6a7a8be3feec65fc8829d5397acd5"
            "aaa162f8"
            "b358f2e0cd5c1cf758fa1de713586c436adda1c94af0d0737088e67937977a004969c282baabfa65aa358a33");
    SaConfig sa;
    sa.direction = Direction::inbound;
    sa.protocol = Protocol::esp;
    sa.spi = 2312;
    sa.mode = Mode::tunnel;
    sa.source = *parse_ipv4("10.5.5.5");
    sa.destination = *parse_ipv4("10.6.6.6");
    sa.cipher = Cipher::des3_cbc;
    sa.cipher_key = hex("0123456789abcdef1032547698badcfe2143658709badcfe");
    sa.integrity = Integrity::hmac_md5_96;
    sa.integrity_key = hex("000102030405060708090a0b0c0d0e0f");
    sa.replay_window = 32;
    IpsecEngine engine;
    REQUIRE(engine.add_sa(sa).ok());
    Packet packet(wire);
    InboundResult r = engine.unprotect(packet);
    REQUIRE(r.kind == InboundKind::delivered);
    CHECK(Bytes(packet.data(), packet.data() + packet.size()) == inner);
    CHECK(engine.query_sa(key_of(sa))->last_sequence == 5);
    // The same bytes again are a replay; with one bit of the ICV changed, an authentication failure.
    Packet again(wire);
    CHECK(engine.unprotect(again).drop == DropReason::replay);
    Bytes forged = wire;
    forged.back() ^= 1;
    engine.flush_sas();
    REQUIRE(engine.add_sa(sa).ok());
    Packet bad(forged);
    CHECK(engine.unprotect(bad).drop == DropReason::auth_failure);
}

// SecurityAssociation(AH, spi=0x1234, auth_algo='HMAC-SHA1-96', auth_key=20..33)
// .encrypt(IP(10.5.5.5 > 10.6.6.6, id=9)/UDP(179 > 179)/"bgp", seq_num=1)   (transport mode)
TEST_CASE("known answer: hmac-sha1-96 transport AH") {
    const Bytes plain = hex("4500001f0009000040115bb00a0505050a06060600b300b3000b0cf5626770");
    const Bytes wire =
        hex("450000370009000040335b760a0505050a060606110400000000123400000001f0c2f44942e9fc9fef89576f00b300b3"
            "000b0c"
            "f5626770");
    SaConfig sa;
    sa.direction = Direction::inbound;
    sa.protocol = Protocol::ah;
    sa.spi = 0x1234;
    sa.mode = Mode::transport;
    sa.destination = *parse_ipv4("10.6.6.6");
    sa.integrity = Integrity::hmac_sha1_96;
    for (std::uint8_t b = 0x20; b < 0x34; ++b) {
        sa.integrity_key.push_back(b);
    }
    IpsecEngine engine;
    REQUIRE(engine.add_sa(sa).ok());
    Packet packet(wire);
    REQUIRE(engine.unprotect(packet).kind == InboundKind::delivered);
    CHECK(Bytes(packet.data(), packet.data() + packet.size()) == plain);

    // Our own AH over the same datagram, with the same sequence number, is the same packet byte for byte.
    SaConfig out = sa;
    out.direction = Direction::outbound;
    out.name = "ah";
    REQUIRE(engine.add_sa(out).ok());
    Packet ours(plain);
    REQUIRE(engine.protect("ah", ours).ok());
    CHECK(Bytes(ours.data(), ours.data() + ours.size()) == wire);
}
