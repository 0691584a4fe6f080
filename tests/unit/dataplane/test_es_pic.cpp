// The seed's traffic example end to end with real ESP: two gateways, the manual SA manual-sa1 (ESP,
// 3des-cbc, hmac-md5-96, SPI 2312), the encrypt filter on each LAN and the decrypt policy filter on each
// es- unit; host-a pings host-b and the gateway-to-gateway wire carries only ESP.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>

#include "helpers.hpp"
#include "msim/dataplane/es_pic.hpp"

using namespace msim::dataplane;
using namespace msim::dataplane::test;
namespace ipsec = msim::ipsec;

namespace {

std::vector<uint8_t> ascii(const char* s) {
    return std::vector<uint8_t>(s, s + std::strlen(s));
}

ipsec::SaConfig manual_sa(ipsec::Direction dir, const char* src, const char* dst, const char* enc_key,
                          const char* auth_key = "1234123412341234", const char* name = "manual-sa1") {
    ipsec::SaConfig c;
    c.name = name;
    c.direction = dir;
    c.protocol = ipsec::Protocol::esp;
    c.spi = 2312;
    c.mode = ipsec::Mode::tunnel;
    c.source = *ipsec::parse_ipv4(src);
    c.destination = *ipsec::parse_ipv4(dst);
    c.cipher = ipsec::Cipher::des3_cbc;
    c.cipher_key = ascii(enc_key);
    c.integrity = ipsec::Integrity::hmac_md5_96;
    c.integrity_key = ascii(auth_key);
    return c;
}

FirewallFilter policy(const char* name, const char* from, const char* to, bool encrypt,
                      const std::string& sa = "manual-sa1") {
    FirewallFilter f{name, {}};
    FilterTerm t;
    t.name = "term1";
    t.source_addresses = {{pfx(from), false}};
    t.destination_addresses = {{pfx(to), false}};
    if (encrypt) {
        t.action = FilterAction::kIpsecSa;
        t.ipsec_sa = sa;
    }
    f.terms = {t};
    if (encrypt) {
        FilterTerm def;
        def.name = "default";
        f.terms.push_back(def);
    }
    return f;
}

struct Gateways {
    std::string sa;  // the SA name of the filters and es- units
    ManualClock clock;
    std::map<std::string, std::unique_ptr<ForwardingEngine>> nodes;
    std::unique_ptr<EsPic> pic_a;
    std::unique_ptr<EsPic> pic_b;
    Network net;
    std::vector<IcmpEvent> replies;
    std::vector<std::string> logs;  // what the engines report (PicContext::report_once)
    size_t esp_frames = 0;
    size_t other_frames = 0;

    ForwardingEngine& node(const std::string& n) { return *nodes.at(n); }

    void gateway(ForwardingEngine& g, EsPic& pic, const char* lan, const char* lan_net,
                 const char* remote_net, const char* local_end, const char* remote_end, const char* es_local,
                 const char* es_peer) {
        REQUIRE(g.add_interface("fe-0/0/1").ok());
        REQUIRE(g.add_interface("so-0/2/0").ok());
        REQUIRE(g.add_interface("es-0/1/0").ok());
        REQUIRE(g.set_filter(policy("ipsec-encrypt-policy-filter", lan_net, remote_net, true, sa)).ok());
        REQUIRE(g.set_filter(policy("ipsec-decrypt-policy-filter", remote_net, lan_net, false)).ok());
        UnitConfig lan_unit = unit0(lan);
        lan_unit.input_filter = "ipsec-encrypt-policy-filter";
        REQUIRE(g.configure_unit("fe-0/0/1", lan_unit).ok());
        REQUIRE(
            g.configure_unit("so-0/2/0", unit0((std::string(local_end) + "/32").c_str(), remote_end)).ok());
        UnitConfig es = unit0(es_local, es_peer);
        es.tunnel_source = ip(local_end);
        es.tunnel_destination = ip(remote_end);
        es.ipsec_sa = sa;
        es.input_filter = "ipsec-decrypt-policy-filter";
        REQUIRE(g.configure_unit("es-0/1/0", es).ok());
        REQUIRE(g.attach_service_pic("es-0/1/0", &pic).ok());
    }

    // Without `install_sas` no SA is installed (a dynamic SA that kmd has yet to negotiate).
    explicit Gateways(const char* b_auth_key = "1234123412341234", std::string sa_name = "manual-sa1",
                      bool install_sas = true)
        : sa(std::move(sa_name)) {
        for (const char* n : {"host-a", "gateway-a", "gateway-b", "host-b"}) {
            EngineOptions o;
            o.clock = clock.fn();
            o.base_mac.bytes[3] = static_cast<uint8_t>(nodes.size() + 1);
            o.log = [this, name = std::string(n)](const std::string& m) { logs.push_back(name + ": " + m); };
            nodes[n] = std::make_unique<ForwardingEngine>(o);
        }
        pic_a = std::make_unique<EsPic>("es-0/1/0");
        pic_b = std::make_unique<EsPic>("es-0/1/0");
        auto& ha = node("host-a");
        auto& hb = node("host-b");
        REQUIRE(ha.add_interface("fe-0/0/0").ok());
        REQUIRE(ha.configure_unit("fe-0/0/0", unit0("10.1.1.10/24")).ok());
        REQUIRE(ha.add_static_route({pfx("0.0.0.0/0"), StaticRoute::Kind::kNextHop, {{ip("10.1.1.254"), ""}}})
                    .ok());
        REQUIRE(hb.add_interface("fe-0/0/0").ok());
        REQUIRE(hb.configure_unit("fe-0/0/0", unit0("10.2.2.10/24")).ok());
        REQUIRE(hb.add_static_route({pfx("0.0.0.0/0"), StaticRoute::Kind::kNextHop, {{ip("10.2.2.254"), ""}}})
                    .ok());
        gateway(node("gateway-a"), *pic_a, "10.1.1.254/24", "10.1.1.0/24", "10.2.2.0/24", "10.5.5.5",
                "10.6.6.6", "10.1.1.8/32", "10.1.1.9");
        gateway(node("gateway-b"), *pic_b, "10.2.2.254/24", "10.2.2.0/24", "10.1.1.0/24", "10.6.6.6",
                "10.5.5.5", "10.1.1.9/32", "10.1.1.8");
        if (install_sas) {
            install(b_auth_key);
        }

        for (auto& [n, e] : nodes) {
            net.add(n, *e);
        }
        net.link("host-a", "fe-0/0/0", "gateway-a", "fe-0/0/1");
        net.link("gateway-a", "so-0/2/0", "gateway-b", "so-0/2/0");
        net.link("gateway-b", "fe-0/0/1", "host-b", "fe-0/0/0");
        net.tap = [this](const std::string& node, const std::string& ifname, std::span<const uint8_t> f) {
            if (ifname == "so-0/2/0" && node.rfind("gateway", 0) == 0) {
                // Cisco HDLC (4 bytes) + IPv4: protocol at offset 4 + 9.
                (f.size() > 13 && f[13] == ip_protocol::kEsp ? esp_frames : other_frames)++;
            }
        };
        ha.set_icmp_handler([this](const IcmpEvent& ev) { replies.push_back(ev); });
    }

    // Both directions on both gateways; gateway-a's outbound SA last (it releases held packets).
    void install(const char* b_auth_key = "1234123412341234") {
        const char* key = "123456789009876543211234";
        const char* n = sa.c_str();
        REQUIRE(pic_b->sa_backend()
                    .add_sa(manual_sa(ipsec::Direction::outbound, "10.6.6.6", "10.5.5.5", key, b_auth_key, n))
                    .ok());
        REQUIRE(pic_b->sa_backend()
                    .add_sa(manual_sa(ipsec::Direction::inbound, "10.5.5.5", "10.6.6.6", key, b_auth_key, n))
                    .ok());
        REQUIRE(pic_a->sa_backend()
                    .add_sa(manual_sa(ipsec::Direction::inbound, "10.6.6.6", "10.5.5.5", key,
                                      "1234123412341234", n))
                    .ok());
        REQUIRE(pic_a->sa_backend()
                    .add_sa(manual_sa(ipsec::Direction::outbound, "10.5.5.5", "10.6.6.6", key,
                                      "1234123412341234", n))
                    .ok());
    }

    void ping(uint16_t seq) {
        EchoRequest req = echo_to(ip("10.2.2.10"));
        req.sequence = seq;
        node("host-a").send_echo_request(req);
        net.run();
    }
};

}  // namespace

TEST_CASE("ES PIC: host-a pings host-b through a manual ESP SA; the tunnel carries only ESP") {
    Gateways g;
    CHECK(g.pic_a->has_sa("manual-sa1"));
    CHECK_FALSE(g.pic_a->has_sa("other"));
    for (uint16_t seq = 0; seq < 3; ++seq) {
        EchoRequest req = echo_to(ip("10.2.2.10"));
        req.sequence = seq;
        g.node("host-a").send_echo_request(req);
        g.net.run();
    }
    REQUIRE(g.replies.size() == 3);
    for (const auto& r : g.replies) {
        CHECK(r.header.type == icmp_type::kEchoReply);
        CHECK(r.source == ip("10.2.2.10"));
        CHECK(r.ttl == 62);
    }
    CHECK(g.esp_frames == 6);
    CHECK(g.other_frames == 0);
    CHECK(g.pic_a->counters().outbound_packets == 3);
    CHECK(g.pic_a->counters().inbound_packets == 3);
    CHECK(g.pic_b->counters().inbound_packets == 3);
    ipsec::SaKey out_a{ipsec::Direction::outbound, ipsec::Protocol::esp, 2312,
                       *ipsec::parse_ipv4("10.6.6.6")};
    auto state = g.pic_a->sa_backend().query_sa(out_a);
    REQUIRE(state);
    CHECK(state->counters.packets_encrypted == 3);
    // Decrypted traffic re-entered on es-0/1/0.0 and passed the decrypt policy filter there.
    auto es = g.node("gateway-b").interface("es-0/1/0");
    REQUIRE(es);
    CHECK(es->units[0].counters.input_packets == 3);
    CHECK(g.node("gateway-b").firewall()[0].terms[0].packets == 3);  // ipsec-decrypt-policy-filter term1
}

TEST_CASE("ES PIC: mismatched keys are authentication failures, nothing is delivered") {
    Gateways g("abcdefghabcdefgh");
    for (int i = 0; i < 3; ++i) {
        g.node("host-a").send_echo_request(echo_to(ip("10.2.2.10")));
        g.net.run();
    }
    CHECK(g.replies.empty());
    CHECK(g.pic_b->counters().inbound_drops == 3);
    // Counted every time, logged once.
    REQUIRE(g.logs.size() == 1);
    CHECK(g.logs[0] ==
          "gateway-b: es-0/1/0: inbound packet for SA manual-sa1 SPI 2312: authentication failure (dropped; "
          "further "
          "packets of this kind are counted, not reported)");
    ipsec::SaKey in_b{ipsec::Direction::inbound, ipsec::Protocol::esp, 2312, *ipsec::parse_ipv4("10.6.6.6")};
    auto state = g.pic_b->sa_backend().query_sa(in_b);
    REQUIRE(state);
    CHECK(state->counters.auth_failures == 3);
    // B's inbound SA gone: A's ESP has an unknown SPI at B, reported once per SPI and destination.
    REQUIRE(g.pic_b->sa_backend().del_sa(in_b).ok());
    for (int i = 0; i < 2; ++i) {
        g.node("host-a").send_echo_request(echo_to(ip("10.2.2.10")));
        g.net.run();
    }
    REQUIRE(g.logs.size() == 2);
    CHECK(g.logs[1].rfind("gateway-b: ESP packet from 10.5.5.5 to 10.6.6.6 with unknown SPI 2312 (dropped;",
                          0) == 0);
    CHECK(g.node("host-b").global_counters().input_packets == 0);

    // SA removed: the name is gone, the filter's hand-off is counted as no-service-pic.
    ipsec::SaKey out_a{ipsec::Direction::outbound, ipsec::Protocol::esp, 2312,
                       *ipsec::parse_ipv4("10.6.6.6")};
    REQUIRE(g.pic_a->sa_backend().del_sa(out_a).ok());
    CHECK_FALSE(g.pic_a->has_sa("manual-sa1"));
}

// ---- dynamic SAs: acquires and the per-name queue (kmd negotiates the SA; here the test installs it) ----

namespace {

struct AcquireLog {
    std::vector<std::tuple<std::string, std::string, Ipv4Address, Ipv4Address, uint8_t>> seen;
    bool accept = true;
    EsPic::AcquireListener listener() {
        return [this](const EsPic::Acquire& a) {
            seen.emplace_back(a.sa_name, a.pic, a.source, a.destination, a.protocol);
            return accept;
        };
    }
};

}  // namespace

TEST_CASE("ES PIC acquire: one notification, packets held, then sent through the SA when it is added") {
    Gateways g("1234123412341234", "sa-dyn", false);
    AcquireLog log;
    g.pic_a->set_acquire_listener(log.listener());
    for (uint16_t seq = 0; seq < 3; ++seq) {
        g.ping(seq);
        g.clock.advance(std::chrono::milliseconds(300));
        g.net.tick_all();
    }
    REQUIRE(log.seen.size() == 1);  // not one per packet
    CHECK(std::get<0>(log.seen[0]) == "sa-dyn");
    CHECK(std::get<1>(log.seen[0]) == "es-0/1/0");
    CHECK(std::get<2>(log.seen[0]) == ip("10.1.1.10"));
    CHECK(std::get<3>(log.seen[0]) == ip("10.2.2.10"));
    CHECK(std::get<4>(log.seen[0]) == ip_protocol::kIcmp);
    CHECK(g.pic_a->acquire_queued() == 3);
    CHECK(g.esp_frames == 0);
    CHECK(g.other_frames == 0);
    CHECK(g.pic_a->counters().outbound_drops == 0);

    // 0.9 s after the first packet kmd installs the SAs: the three echo requests leave at once, as ESP.
    g.install();
    g.net.run();
    CHECK(g.pic_a->acquire_queued() == 0);
    CHECK(g.pic_a->counters().acquire_sent == 3);
    CHECK(g.pic_a->counters().outbound_packets == 3);
    REQUIRE(g.replies.size() == 3);
    CHECK(g.esp_frames == 6);
    CHECK(g.other_frames == 0);
    // From now on the SA carries traffic directly; no more acquires.
    g.ping(3);
    CHECK(g.replies.size() == 4);
    CHECK(log.seen.size() == 1);
}

TEST_CASE("ES PIC acquire: held packets are dropped and counted after 2 s; at most 16 per name") {
    Gateways g("1234123412341234", "sa-dyn", false);
    AcquireLog log;
    g.pic_a->set_acquire_listener(log.listener());
    for (uint16_t seq = 0; seq < 20; ++seq) {
        g.ping(seq);
    }
    CHECK(log.seen.size() == 1);
    CHECK(g.pic_a->acquire_queued() == EsPic::kAcquireQueueLimit);
    CHECK(g.pic_a->counters().acquire_drops == 4);  // the overflow
    CHECK(g.pic_a->counters().outbound_drops == 4);

    // Still nothing after 1.9 s; at 1 s a new packet would acquire again (at most once per second).
    g.clock.advance(std::chrono::milliseconds(1000));
    g.net.tick_all();
    g.ping(20);  // the queue is full: dropped, but the name is asked for again
    CHECK(log.seen.size() == 2);
    g.clock.advance(std::chrono::milliseconds(900));
    g.net.tick_all();
    CHECK(g.pic_a->acquire_queued() == 16);
    g.clock.advance(std::chrono::milliseconds(200));  // 2.1 s: the held packets are gone
    g.net.tick_all();
    CHECK(g.pic_a->acquire_queued() == 0);
    CHECK(g.pic_a->counters().acquire_drops == 21);
    CHECK(g.pic_a->counters().outbound_drops == 21);

    // An SA added now finds nothing to send.
    g.install();
    CHECK(g.net.run() == 0);
    CHECK(g.replies.empty());
    CHECK(g.pic_a->counters().acquire_sent == 0);
}

TEST_CASE("ES PIC acquire: a declining listener or none drops at once; offline drops the queue") {
    Gateways g("1234123412341234", "sa-dyn", false);
    g.ping(0);  // no listener: as before acquires existed
    CHECK(g.pic_a->counters().outbound_drops == 1);
    CHECK(g.pic_a->acquire_queued() == 0);
    AcquireLog log;
    log.accept = false;  // nobody negotiates (kmd not subscribed)
    g.pic_a->set_acquire_listener(log.listener());
    g.ping(1);
    g.ping(2);
    CHECK(log.seen.size() == 2);  // asked each time: a kmd may have subscribed since
    CHECK(g.pic_a->counters().outbound_drops == 3);
    CHECK(g.pic_a->counters().acquires == 0);
    CHECK(g.pic_a->acquire_queued() == 0);
    log.accept = true;
    g.ping(3);
    CHECK(g.pic_a->acquire_queued() == 1);
    g.pic_a->drop_acquire_queues();  // the PIC went offline
    CHECK(g.pic_a->acquire_queued() == 0);
    CHECK(g.pic_a->counters().outbound_drops == 4);
    CHECK(g.pic_a->counters().acquire_drops == 1);
}

TEST_CASE("then ipsec-sa never takes the router's own IKE (UDP 500/4500 from a local address)") {
    Gateways g("1234123412341234", "sa-dyn", false);
    AcquireLog log;
    g.pic_a->set_acquire_listener(log.listener());
    auto& gw = g.node("gateway-a");
    // An output filter on the gateway link that steers everything into the dynamic SA.
    FirewallFilter all{"everything-encrypted", {}};
    FilterTerm t;
    t.name = "all";
    t.action = FilterAction::kIpsecSa;
    t.ipsec_sa = "sa-dyn";
    all.terms = {t};
    REQUIRE(gw.set_filter(all).ok());
    UnitConfig so = unit0("10.5.5.5/32", "10.6.6.6");
    so.output_filter = "everything-encrypted";
    REQUIRE(gw.configure_unit("so-0/2/0", so).ok());
    std::vector<Bytes> ike_at_b;
    size_t keepalives_at_b = 0;
    REQUIRE(g.node("gateway-b").bind_udp(500, [&](const UdpDatagram& d) {
        ike_at_b.emplace_back(d.payload.begin(), d.payload.end());
    }));
    REQUIRE(g.node("gateway-b").bind_udp(4500, [&](const UdpDatagram&) { ++keepalives_at_b; }));
    const Bytes isakmp(28, 0x11);
    CHECK(gw.send_udp(ip("10.6.6.6"), 500, 500, isakmp, ip("10.5.5.5")) == SendResult::kSent);
    CHECK(gw.send_udp(ip("10.6.6.6"), 4500, 4500, Bytes{0xff}, ip("10.5.5.5")) == SendResult::kSent);
    g.net.run();
    REQUIRE(ike_at_b.size() == 1);  // in clear, not held for the SA
    CHECK(ike_at_b[0] == isakmp);
    CHECK(keepalives_at_b == 1);  // the NAT-T keepalive from 4500 too
    CHECK(g.other_frames == 2);
    CHECK(log.seen.empty());
    auto term_packets = [&] {
        for (const auto& f : gw.firewall()) {
            if (f.name == "everything-encrypted") {
                return f.terms.at(0).packets;
            }
        }
        return uint64_t{999};
    };
    CHECK(term_packets() == 2);  // the term counted them, then they were accepted
    // A host's IKE is transit traffic: the LAN filter steers it into the SA like anything else.
    CHECK(g.node("host-a").send_udp(ip("10.2.2.10"), 500, 500, isakmp) != SendResult::kNoRoute);
    g.net.run();
    REQUIRE(log.seen.size() == 1);
    CHECK(std::get<2>(log.seen[0]) == ip("10.1.1.10"));
    CHECK(std::get<4>(log.seen[0]) == ip_protocol::kUdp);
    CHECK(g.pic_a->acquire_queued() == 1);
    // Other traffic of the router itself is steered: a ping from the gateway waits for the SA too.
    EchoRequest req = echo_to(ip("10.6.6.6"));
    req.source = ip("10.5.5.5");
    gw.send_echo_request(req);
    CHECK(log.seen.size() == 1);  // within the second: no second acquire
    CHECK(g.pic_a->acquire_queued() == 2);
}

TEST_CASE("ES PIC: a transport-mode SA no es- unit names protects the router's own traffic") {
    Gateways g;
    // host-sa: transport mode, on each gateway's ES PIC without endpoints (ipsecd's placement); an output
    // filter on the gateway link steers each gateway's own ICMP to the other into it.
    auto host_sa = [](ipsec::Direction dir) {
        ipsec::SaConfig c = manual_sa(dir, "0.0.0.0", "0.0.0.0", "abcdefghijklmnopqrstuvwx");
        c.name = "host-sa";
        c.spi = 3000;
        c.mode = ipsec::Mode::transport;
        return c;
    };
    for (auto* pic : {g.pic_a.get(), g.pic_b.get()}) {
        REQUIRE(pic->sa_backend().add_sa(host_sa(ipsec::Direction::outbound)).ok());
        REQUIRE(pic->sa_backend().add_sa(host_sa(ipsec::Direction::inbound)).ok());
    }
    auto steer = [](ForwardingEngine& gw, const char* local, const char* peer) {
        FirewallFilter f{"protect-own-icmp", {}};
        FilterTerm t;
        t.name = "own-icmp";
        t.destination_addresses = {{pfx((std::string(peer) + "/32").c_str()), false}};
        t.protocols = {ip_protocol::kIcmp};
        t.action = FilterAction::kIpsecSa;
        t.ipsec_sa = "host-sa";
        FilterTerm rest;
        rest.name = "rest";
        f.terms = {t, rest};
        REQUIRE(gw.set_filter(f).ok());
        UnitConfig u = unit0((std::string(local) + "/32").c_str(), peer);
        u.output_filter = "protect-own-icmp";
        REQUIRE(gw.configure_unit("so-0/2/0", u).ok());
    };
    steer(g.node("gateway-a"), "10.5.5.5", "10.6.6.6");
    steer(g.node("gateway-b"), "10.6.6.6", "10.5.5.5");
    std::vector<IcmpEvent> replies;
    g.node("gateway-a").set_icmp_handler([&](const IcmpEvent& ev) { replies.push_back(ev); });
    for (uint16_t seq = 0; seq < 2; ++seq) {
        EchoRequest req = echo_to(ip("10.6.6.6"));
        req.sequence = seq;
        REQUIRE(g.node("gateway-a").send_echo_request(req) == SendResult::kSent);
        g.net.run();
    }
    REQUIRE(replies.size() == 2);
    CHECK(replies[0].header.type == icmp_type::kEchoReply);
    CHECK(replies[0].source == ip("10.6.6.6"));
    CHECK(g.esp_frames == 4);  // two requests, two replies, each ESP in transport mode
    CHECK(g.other_frames == 0);
    ipsec::SaKey in_b{ipsec::Direction::inbound, ipsec::Protocol::esp, 3000, 0};
    auto state = g.pic_b->sa_backend().query_sa(in_b);
    REQUIRE(state);
    CHECK(state->counters.packets_decrypted == 2);
    CHECK(g.pic_a->counters().inbound_packets == 2);
    // Nothing re-entered on an es- unit: the decrypted datagrams went to the router itself.
    CHECK(g.node("gateway-b").interface("es-0/1/0")->units[0].counters.input_packets == 0);
}
