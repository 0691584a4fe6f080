// ISAKMP codec: exact RFC byte layouts, round trips, and clear errors on malformed input.
#include <doctest/doctest.h>

#include <string>

#include "msim/kmd/isakmp.hpp"
#include "msim/kmd/proposals.hpp"

using namespace msim::kmd;
using namespace msim::kmd::isakmp;

namespace {
Bytes unhex(std::string s) {
    std::string clean;
    for (char ch : s)
        if (ch != ' ' && ch != '\n')
            clean += ch;
    Bytes out;
    for (std::size_t i = 0; i + 1 < clean.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoi(clean.substr(i, 2), nullptr, 16)));
    return out;
}
std::string hex(const Bytes& b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (auto c : b) {
        s += d[c >> 4];
        s += d[c & 15];
    }
    return s;
}
Header main_header() {
    Header h;
    h.initiator_cookie = {1, 2, 3, 4, 5, 6, 7, 8};
    h.exchange = ExchangeType::IdentityProtection;
    return h;
}
}  // namespace

TEST_CASE("main mode message 1 has the exact RFC 2408/2409 layout") {
    IkeProposal p;  // 3des-cbc sha1 pre-shared-keys group2 3600 s
    SaPayload sa = make_ike_sa({p});
    Bytes msg = encode(main_header(), {sa, VendorIdPayload{vendor_id(KnownVendor::NatTraversalRfc3947)}});
    std::string expect =
        // header: cookies, next=SA(1), version 0x10, exchange 2, flags 0, message id 0, length 100
        "0102030405060708"
        "0000000000000000"
        "01"
        "10"
        "02"
        "00"
        "00000000"
        "00000064"
        // SA: next=VID(13), length 52, DOI 1, situation 1
        "0d000034"
        "00000001"
        "00000001"
        // proposal: last, length 40, #1, ISAKMP, spi size 0, 1 transform
        "00000028"
        "01"
        "01"
        "00"
        "01"
        // transform: last, length 32, #1, KEY_IKE, reserved
        "00000020"
        "01"
        "01"
        "0000"
        // enc 3des, hash sha1, auth psk, group 2, life type seconds, life duration 3600
        "80010005"
        "80020002"
        "80030001"
        "80040002"
        "800b0001"
        "800c0e10"
        // VID: last, length 20, MD5("RFC 3947")
        "00000014"
        "4a131c81070358455c5728f20e95452f";
    CHECK(hex(msg) == expect);
    auto m = decode(msg);
    REQUIRE(m.ok());
    REQUIRE(m->payloads.size() == 2);
    CHECK(std::get<SaPayload>(m->payloads[0]) == sa);
    CHECK(m->header.length == msg.size());
}

TEST_CASE("every payload kmd uses round-trips through encode and decode") {
    SaPayload ipsec_sa;
    Proposal ah{1, ProtocolId::Ah, {0, 0, 1, 2}, {Transform{1, 3, {Attribute::make_basic(5, 2)}}}};
    Proposal esp{1,
                 ProtocolId::Esp,
                 {0, 0, 1, 3},
                 {Transform{1,
                            3,
                            {Attribute::make_basic(1, 1), Attribute::make_number(2, 86400),
                             Attribute::make_basic(4, 61443), Attribute::make_basic(5, 1)}}}};
    ipsec_sa.proposals = {ah, esp};
    std::vector<Payload> all{
        HashPayload{Bytes(20, 0xaa)},
        ipsec_sa,
        NoncePayload{Bytes(16, 0x11)},
        KePayload{Bytes(96, 0x22)},
        IdPayload{IdType::Ipv4AddrSubnet, 17, 500, {10, 0, 0, 0, 255, 255, 255, 0}},
        IdPayload{IdType::Fqdn, 0, 0, {'g', 'w'}},
        IdPayload{IdType::UserFqdn, 0, 0, {'a', '@', 'b'}},
        IdPayload{IdType::DerAsn1Dn, 0, 0, {0x30, 0x00}},
        CertPayload{4, {0x30, 0x03, 1, 2, 3}},
        CertRequestPayload{4, {}},
        SignaturePayload{Bytes(64, 0x33)},
        NotifyPayload{1, ProtocolId::Isakmp, notify::InitialContact, Bytes(16, 0x44), {}},
        DeletePayload{1, ProtocolId::Esp, 4, {{1, 2, 3, 4}, {5, 6, 7, 8}}},
        VendorIdPayload{vendor_id(KnownVendor::DeadPeerDetection)},
        NatDPayload{Bytes(20, 0x55), false},
        NatDPayload{Bytes(16, 0x66), true},
        NatOaPayload{IdType::Ipv4Addr, {192, 168, 1, 1}, false},
        NatOaPayload{IdType::Ipv4Addr, {192, 168, 1, 2}, true},
        UnknownPayload{200, {9, 9}},
    };
    Header h = main_header();
    h.exchange = ExchangeType::Quick;
    h.message_id = 0x01020304;
    Bytes msg = encode(h, all);
    auto m = decode(msg);
    REQUIRE(m.ok());
    REQUIRE(m->payloads.size() == all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        CAPTURE(i);
        CHECK(m->payloads[i] == all[i]);
    }
    CHECK(payload_type(all[15]) == PayloadType::NatDDraft);
    CHECK(payload_type(all[17]) == PayloadType::NatOaDraft);
    CHECK(m->header.message_id == 0x01020304);
    CHECK(encode(m->header, m->payloads) == msg);
    CHECK(*std::get<SaPayload>(m->payloads[1]).proposals[1].transforms[0].find(2)->number() == 86400);
}

TEST_CASE("the vendor IDs strongSwan sends are recognised by their hashes") {
    CHECK(hex(vendor_id(KnownVendor::NatTraversalRfc3947)) == "4a131c81070358455c5728f20e95452f");
    CHECK(hex(vendor_id(KnownVendor::NatTraversalDraft02)) == "cd60464335df21f87cfdb2fc68b6a448");
    CHECK(hex(vendor_id(KnownVendor::NatTraversalDraft02N)) == "90cb80913ebb696e086381b5ec427b1f");
    CHECK(classify_vendor_id(unhex("4a131c81070358455c5728f20e95452f")) == KnownVendor::NatTraversalRfc3947);
    CHECK(classify_vendor_id(unhex("90cb80913ebb696e086381b5ec427b1f")) == KnownVendor::NatTraversalDraft02N);
    CHECK(classify_vendor_id(unhex("afcad71368a1f1c96b8696fc77570100")) == KnownVendor::DeadPeerDetection);
    CHECK(classify_vendor_id(unhex("09002689dfd6b712")) == KnownVendor::XAuth);
    CHECK(classify_vendor_id(unhex("4048b7d56ebce88525e7de7f00d6c2d380000000")) ==
          KnownVendor::Fragmentation);
    CHECK(classify_vendor_id(unhex("882fe56d6fd20dbc2251613b2ebe5beb")) == KnownVendor::StrongSwan);
    CHECK(classify_vendor_id(unhex("0123456789abcdef0123456789abcdef")) == KnownVendor::Unknown);
    CHECK(classify_vendor_id(Bytes{}) == KnownVendor::Unknown);
}

TEST_CASE("malformed messages give clear errors") {
    Bytes good = encode(main_header(), {NoncePayload{Bytes(16, 1)}});
    SUBCASE("shorter than a header") {
        auto r = decode(Bytes(good.begin(), good.begin() + 20));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == ErrorCode::Truncated);
    }
    SUBCASE("header length beyond the datagram") {
        Bytes b = good;
        b[27] += 4;
        auto r = decode(b);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == ErrorCode::Truncated);
    }
    SUBCASE("header length shorter than the datagram") {
        Bytes b = good;
        b.push_back(0);
        CHECK(decode(b).error().code == ErrorCode::Malformed);
    }
    SUBCASE("payload length below 4") {
        Bytes b = good;
        b[28 + 3] = 3;
        CHECK(decode(b).error().code == ErrorCode::Malformed);
    }
    SUBCASE("payload length beyond the message") {
        Bytes b = good;
        b[28 + 3] = 0x40;
        auto r = decode(b);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == ErrorCode::Truncated);
        CHECK(r.error().message.find("NONCE") != std::string::npos);
    }
    SUBCASE("version 2") {
        Bytes b = good;
        b[17] = 0x20;
        CHECK(decode(b).error().code == ErrorCode::UnsupportedVersion);
    }
    SUBCASE("nonce too short") {
        auto r = decode(encode(main_header(), {NoncePayload{Bytes(4, 1)}}));
        CHECK(r.error().code == ErrorCode::Malformed);
    }
    SUBCASE("too many payloads") {
        std::vector<Payload> many(kMaxPayloads + 1, VendorIdPayload{Bytes(4, 7)});
        CHECK(decode(encode(main_header(), many)).error().code == ErrorCode::TooLarge);
    }
    SUBCASE("transform count differs") {
        Bytes b = encode(main_header(), {make_ike_sa({IkeProposal{}})});
        b[28 + 12 + 7] = 2;  // proposal's transform count
        CHECK(decode(b).error().code == ErrorCode::Malformed);
    }
    SUBCASE("attribute runs past the transform") {
        Bytes b = encode(main_header(), {make_ike_sa({IkeProposal{}})});
        // turn the last attribute (life duration) into a variable one of 0x0e10 bytes
        std::size_t at = b.size() - 4;
        b[at] = 0x00;
        auto r = decode(b);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == ErrorCode::Truncated);
    }
    SUBCASE("delete payload with inconsistent SPI count") {
        Bytes b = encode(main_header(), {DeletePayload{1, ProtocolId::Esp, 4, {{1, 2, 3, 4}}}});
        b[28 + 4 + 7] = 3;
        CHECK(decode(b).error().code == ErrorCode::Malformed);
    }
    SUBCASE("proposal payload at top level") {
        Bytes b = good;
        b[16] = 2;
        CHECK(decode(b).error().code == ErrorCode::Malformed);
    }
}

TEST_CASE("unknown payloads and vendor IDs are skipped, not fatal") {
    Bytes msg = encode(main_header(), {VendorIdPayload{Bytes(16, 0x99)}, UnknownPayload{77, {1, 2, 3}},
                                       NoncePayload{Bytes(16, 1)}});
    auto m = decode(msg);
    REQUIRE(m.ok());
    CHECK(std::holds_alternative<UnknownPayload>(m->payloads[1]));
    CHECK(std::holds_alternative<NoncePayload>(m->payloads[2]));
}

TEST_CASE("IKE proposal selection: configured order wins and the shorter lifetime is used") {
    IkeProposal a;  // 3des sha1 group2
    a.lifetime_seconds = 10000;
    IkeProposal b;
    b.encryption = EncryptionAlgorithm::DesCbc;
    b.hash = HashAlgorithm::Md5;
    b.group = DhGroup::Modp768;
    b.lifetime_seconds = 1000;
    IkeProposal b_peer = b;
    b_peer.lifetime_seconds = 6000;
    IkeProposal a_peer = a;
    a_peer.lifetime_seconds = 1000;
    // The peer offers b then a; we prefer a (configured first).
    auto choice = select_ike_proposal({a, b}, make_ike_sa({b_peer, a_peer}));
    REQUIRE(choice.ok());
    CHECK(choice->proposal.encryption == EncryptionAlgorithm::TripleDesCbc);
    CHECK(choice->proposal.lifetime_seconds == 1000);
    CHECK(choice->reply.proposals[0].transforms.size() == 1);
    CHECK(choice->reply.proposals[0].transforms[0].number == 2);  // echoed unmodified
    auto only_b = select_ike_proposal({b}, make_ike_sa({b_peer}));
    REQUIRE(only_b.ok());
    CHECK(only_b->proposal.lifetime_seconds == 1000);
    IkeProposal c = a;
    c.group = DhGroup::Modp1536;
    auto none = select_ike_proposal({c}, make_ike_sa({a, b}));
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().code == ErrorCode::NoProposalChosen);
}

TEST_CASE("IPsec proposal selection: ESP, AH and bundle, PFS group and modes must match") {
    IpsecProposal esp;
    IpsecProposal ah;
    ah.protocol = IpsecProposal::Protocol::Ah;
    ah.authentication = AuthAlgorithm::HmacMd5;
    IpsecProposal bundle;
    bundle.protocol = IpsecProposal::Protocol::Bundle;
    QuickModeOffer offer{{ah, bundle, esp}, DhGroup::Modp1024, EncapsulationMode::Tunnel, 0x1111, 0x2222};
    auto sa = make_ipsec_sa(offer);
    CHECK(sa.proposals.size() == 4);  // AH, AH+ESP, ESP
    std::vector<EncapsulationMode> tunnel{EncapsulationMode::Tunnel};
    auto pick = select_ipsec_proposal({bundle}, DhGroup::Modp1024, tunnel, sa);
    REQUIRE(pick.ok());
    REQUIRE(pick->protocols.size() == 2);
    CHECK(pick->protocols[0].protocol == IpsecProtocol::Ah);
    CHECK(pick->protocols[0].peer_spi == 0x2222);
    CHECK(pick->protocols[1].peer_spi == 0x1111);
    auto no_pfs = select_ipsec_proposal({esp}, std::nullopt, tunnel, sa);
    CHECK(no_pfs.error().code == ErrorCode::NoProposalChosen);
    auto wrong_mode = select_ipsec_proposal({esp}, DhGroup::Modp1024, {EncapsulationMode::UdpTunnel}, sa);
    CHECK_FALSE(wrong_mode.ok());
    auto back = accept_ipsec_reply(offer, pick->reply);
    REQUIRE(back.ok());
    CHECK(back->protocols.size() == 2);
}
