#include <doctest/doctest.h>

#include "router_fixture.hpp"

using namespace msim::dataplane;
using namespace msim::dataplane::test;

namespace {

constexpr uint32_t kSpi = 2312;

// A stand-in for the ES PIC: "encrypts" by prefixing the SPI and an outer IPv4 header (protocol 50) from
// the tunnel source to the tunnel destination; "decrypts" by stripping them. Enough to exercise the seam.
struct FakePic : ServicePic {
    Ipv4Address local = ip("10.5.5.5");
    Ipv4Address remote = ip("10.6.6.6");
    std::vector<std::string> outbound_sas;
    int declined = 0;

    void outbound(Packet&& p, const std::string& sa_name, PicContext& ctx) override {
        outbound_sas.push_back(sa_name);
        Packet out = std::move(p);
        store_be32(out.push_front(4), kSpi);
        Ipv4Header h;
        h.total_length = static_cast<uint16_t>(out.size() + 20);
        h.protocol = ip_protocol::kEsp;
        h.source = local;
        h.destination = remote;
        h.write(out.push_front(20));
        ctx.send_to_network(std::move(out));
    }
    bool inbound(Packet& p, PicContext& ctx) override {
        if (p.size() < 24 || load_be32(p.data() + 20) != kSpi) {
            ++declined;
            return false;
        }
        Packet inner(p.bytes().subspan(24));
        p = Packet();
        ctx.receive_from_pic(std::move(inner), "es-0/1/0.0");
        return true;
    }
    bool has_sa(const std::string& name) const override { return name == "manual-sa1"; }
};

// Gateway A of the seed's traffic example: LAN 10.1.1.0/24 on fe-0/0/1 with the encrypt filter, the
// tunnel from 10.5.5.5 (fe-0/0/0) to 10.6.6.6, es-0/1/0.0 with the decrypt policy filter.
struct GatewayA : RouterFixture {
    FakePic pic;

    GatewayA() {
        REQUIRE(e.configure_unit("fe-0/0/0", unit0("10.5.5.5/24")).ok());
        FirewallFilter encrypt{"ipsec-encrypt-policy-filter", {}};
        FilterTerm t1;
        t1.name = "term1";
        t1.source_addresses = {{pfx("10.1.1.0/24"), false}};
        t1.destination_addresses = {{pfx("10.2.2.0/24"), false}};
        t1.action = FilterAction::kIpsecSa;
        t1.ipsec_sa = "manual-sa1";
        FilterTerm def;
        def.name = "default";
        encrypt.terms = {t1, def};
        FirewallFilter decrypt{"ipsec-decrypt-policy-filter", {}};
        FilterTerm d1;
        d1.name = "term1";
        d1.source_addresses = {{pfx("10.2.2.0/24"), false}};
        d1.destination_addresses = {{pfx("10.1.1.0/24"), false}};
        decrypt.terms = {d1};
        REQUIRE(e.set_filter(encrypt).ok());
        REQUIRE(e.set_filter(decrypt).ok());

        UnitConfig lan = unit0("10.1.1.254/24");
        lan.input_filter = "ipsec-encrypt-policy-filter";
        REQUIRE(e.configure_unit("fe-0/0/1", lan).ok());

        REQUIRE(e.add_interface("es-0/1/0").ok());
        UnitConfig es = unit0("10.1.1.8/32", "10.1.1.9");
        es.tunnel_source = ip("10.5.5.5");
        es.tunnel_destination = ip("10.6.6.6");
        es.ipsec_sa = "manual-sa1";
        es.input_filter = "ipsec-decrypt-policy-filter";
        REQUIRE(e.configure_unit("es-0/1/0", es).ok());
        REQUIRE(e.attach_service_pic("es-0/1/0", &pic).ok());
        REQUIRE(e.add_static_route({pfx("10.6.6.6/32"), StaticRoute::Kind::kNextHop, {{ip("10.5.5.1"), ""}}})
                    .ok());

        introduce("fe-0/0/0", kHostUp, "10.5.5.1", "10.5.5.5");
        introduce("fe-0/0/1", kHostLan, "10.1.1.10", "10.1.1.254");
        cap.clear();
    }

    Bytes tunnel_frame(const Bytes& inner, uint32_t spi = kSpi) {
        Bytes payload(4);
        payload[0] = static_cast<uint8_t>(spi >> 24);
        payload[1] = static_cast<uint8_t>(spi >> 16);
        payload[2] = static_cast<uint8_t>(spi >> 8);
        payload[3] = static_cast<uint8_t>(spi);
        payload.insert(payload.end(), inner.begin(), inner.end());
        return ethernet(mac_of("fe-0/0/0"), kHostUp, 0x0800,
                        ipv4(ip("10.6.6.6"), ip("10.5.5.5"), 50, payload));
    }
};

}  // namespace

TEST_CASE("ipsec-sa: the encrypt filter hands LAN traffic to the PIC, which sends it into the tunnel") {
    GatewayA g;
    Bytes inner = ipv4(ip("10.1.1.10"), ip("10.2.2.10"), 1, icmp(8, 0, 9, 1, Bytes(16, 1)));
    g.from_host("fe-0/0/1", kHostLan, inner);
    REQUIRE(g.pic.outbound_sas == std::vector<std::string>{"manual-sa1"});
    auto out = g.frames_on("fe-0/0/0");
    REQUIRE(out.size() == 1);
    CHECK(std::equal(out[0].begin(), out[0].begin() + 6, kHostUp.bytes.begin()));  // to the 10.5.5.1 gateway
    Bytes outer = ip_of(out[0]);
    CHECK(outer[9] == 50);
    CHECK(get32(outer, 12) == ip("10.5.5.5").value);
    CHECK(get32(outer, 16) == ip("10.6.6.6").value);
    Bytes expected = inner;  // forwarded by this router: TTL one less
    expected[8] = 63;
    put16(expected, 10, 0);
    put16(expected, 10, ref_checksum(expected.data(), 20));
    CHECK(Bytes(outer.begin() + 24, outer.end()) == expected);
    CHECK(g.e.firewall()[1].terms[0].packets == 1);  // filters listed by name: encrypt is second
    // Traffic that does not match term1 is routed normally (default term).
    g.cap.clear();
    g.from_host("fe-0/0/1", kHostLan, ipv4(ip("10.1.1.10"), ip("10.5.5.1"), 1, icmp(8, 0, 9, 2, {})));
    CHECK(g.pic.outbound_sas.size() == 1);
    CHECK(g.frames_on("fe-0/0/0").size() == 1);
}

TEST_CASE("ipsec-sa: decrypted packets re-enter on the es- unit and pass its input filter") {
    GatewayA g;
    Bytes reply = ipv4(ip("10.2.2.10"), ip("10.1.1.10"), 1, icmp(0, 0, 9, 1, Bytes(16, 1)));
    g.e.receive("fe-0/0/0", g.tunnel_frame(reply));
    auto out = g.frames_on("fe-0/0/1");
    REQUIRE(out.size() == 1);
    Bytes fwd = ip_of(out[0]);
    CHECK(fwd[8] == 63);
    CHECK(Bytes(fwd.begin() + 20, fwd.end()) == Bytes(reply.begin() + 20, reply.end()));
    auto es = g.e.interface("es-0/1/0");
    REQUIRE(es);
    CHECK(es->units[0].counters.input_packets == 1);

    // The policy check: a decrypted packet from outside 10.2.2.0/24 is discarded on the es- unit.
    g.cap.clear();
    g.e.receive("fe-0/0/0", g.tunnel_frame(ipv4(ip("10.9.9.9"), ip("10.1.1.10"), 1, icmp(0, 0, 9, 1, {}))));
    CHECK(g.cap.frames.empty());
    CHECK(g.e.interface("es-0/1/0")->units[0].counters.drops(DropReason::kFilterDiscard) == 1);

    // Unknown SPI: the PIC declines, the engine counts it.
    g.e.receive("fe-0/0/0", g.tunnel_frame(reply, 999));
    CHECK(g.pic.declined == 1);
    CHECK(g.drops(DropReason::kIpsecNoSa) == 1);
}

TEST_CASE("ipsec-sa: a route through the es- unit uses the unit's SA; no PIC means counted drops") {
    GatewayA g;
    REQUIRE(g.e.add_static_route(
                   {pfx("10.3.3.0/24"), StaticRoute::Kind::kNextHop, {{std::nullopt, "es-0/1/0.0"}}})
                .ok());
    g.from_host("fe-0/0/1", kHostLan,
                ipv4(ip("10.1.1.10"), ip("10.3.3.3"), 17, udp(ip("10.1.1.10"), ip("10.3.3.3"), 1, 2, {})));
    REQUIRE(g.pic.outbound_sas == std::vector<std::string>{"manual-sa1"});
    CHECK(g.frames_on("fe-0/0/0").size() == 1);
    CHECK(g.e.interface("es-0/1/0")->units[0].counters.output_packets == 1);

    g.e.detach_service_pic("es-0/1/0");
    g.from_host("fe-0/0/1", kHostLan, ipv4(ip("10.1.1.10"), ip("10.2.2.10"), 1, icmp(8, 0, 1, 1, {})));
    CHECK(g.drops(DropReason::kNoServicePic) == 1);
    CHECK(g.pic.outbound_sas.size() == 1);
}

TEST_CASE("NAT-T: UDP 4500 with a non-zero first word goes to the PIC, the zero marker to the IKE listener") {
    GatewayA g;
    std::vector<Bytes> ike;
    REQUIRE(g.e.bind_udp(
        4500, [&](const UdpDatagram& d) { ike.emplace_back(d.payload.begin(), d.payload.end()); }));
    Bytes marker_ike{0, 0, 0, 0, 0xaa, 0xbb};
    g.e.receive("fe-0/0/0", ethernet(g.mac_of("fe-0/0/0"), kHostUp, 0x0800,
                                     ipv4(ip("10.6.6.6"), ip("10.5.5.5"), 17,
                                          udp(ip("10.6.6.6"), ip("10.5.5.5"), 4500, 4500, marker_ike))));
    REQUIRE(ike.size() == 1);
    CHECK(ike[0] == marker_ike);
    CHECK(g.pic.declined == 0);
    // A non-zero first word is an SPI: offered to the PIC (this fake one only knows bare ESP: declines).
    Bytes esp_in_udp{0, 0, 0x09, 0x08, 0, 0, 0, 1};
    g.e.receive("fe-0/0/0", ethernet(g.mac_of("fe-0/0/0"), kHostUp, 0x0800,
                                     ipv4(ip("10.6.6.6"), ip("10.5.5.5"), 17,
                                          udp(ip("10.6.6.6"), ip("10.5.5.5"), 4500, 4500, esp_in_udp))));
    CHECK(ike.size() == 1);
    CHECK(g.pic.declined == 1);
    CHECK(g.drops(DropReason::kIpsecNoSa) == 1);
}

TEST_CASE("ipsec-sa steering decrements TTL and answers TTL 1 with time exceeded") {
    GatewayA g;
    IpOptions o;
    o.ttl = 1;
    g.from_host("fe-0/0/1", kHostLan, ipv4(ip("10.1.1.10"), ip("10.2.2.10"), 1, icmp(8, 0, 1, 1, {}), o));
    CHECK(g.pic.outbound_sas.empty());
    auto back = g.frames_on("fe-0/0/1");
    REQUIRE(back.size() == 1);
    CHECK(ip_of(back[0])[20] == icmp_type::kTimeExceeded);
    // Re-injection onto a unit that does not exist is counted, not crashed on.
    g.e.receive_from_pic(Packet(ipv4(ip("10.2.2.10"), ip("10.1.1.10"), 1, icmp(0, 0, 1, 1, {}))),
                         "es-0/3/0.0");
    CHECK(g.drops(DropReason::kNoUnit) == 1);
}
