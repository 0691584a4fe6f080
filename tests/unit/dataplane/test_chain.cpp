#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "helpers.hpp"
#include "msim/dataplane/pcap_writer.hpp"

using namespace msim::dataplane;
using namespace msim::dataplane::test;

namespace {

// host-a (10.1.1.10) -- fe -- gateway-a -- so (Cisco HDLC) -- gateway-b -- fe -- host-b (10.2.2.10).
// Hosts are engines too: one interface and a default route.
struct Chain {
    ManualClock clock;
    std::map<std::string, std::unique_ptr<ForwardingEngine>> nodes;
    Network net;
    std::vector<IcmpEvent> host_a_icmp;
    std::vector<Bytes> host_a_icmp_messages;
    std::vector<std::tuple<std::string, std::string, Bytes>> wire_log;  // node, interface, frame

    ForwardingEngine& node(const std::string& n) { return *nodes.at(n); }

    Chain() {
        for (const char* n : {"host-a", "gateway-a", "gateway-b", "host-b"}) {
            EngineOptions o;
            o.clock = clock.fn();
            o.base_mac.bytes[3] = static_cast<uint8_t>(nodes.size() + 1);  // distinct MACs per node
            nodes[n] = std::make_unique<ForwardingEngine>(o);
        }
        auto& ha = node("host-a");
        auto& ga = node("gateway-a");
        auto& gb = node("gateway-b");
        auto& hb = node("host-b");
        REQUIRE(ha.add_interface("fe-0/0/0").ok());
        REQUIRE(ha.configure_unit("fe-0/0/0", unit0("10.1.1.10/24")).ok());
        REQUIRE(ha.add_static_route({pfx("0.0.0.0/0"), StaticRoute::Kind::kNextHop, {{ip("10.1.1.254"), ""}}})
                    .ok());
        REQUIRE(hb.add_interface("fe-0/0/0").ok());
        REQUIRE(hb.configure_unit("fe-0/0/0", unit0("10.2.2.10/24")).ok());
        REQUIRE(hb.add_static_route({pfx("0.0.0.0/0"), StaticRoute::Kind::kNextHop, {{ip("10.2.2.254"), ""}}})
                    .ok());
        for (auto* g : {&ga, &gb}) {
            REQUIRE(g->add_interface("fe-0/0/1").ok());
            REQUIRE(g->add_interface("so-0/2/0").ok());
            REQUIRE(g->add_interface("lo0").ok());
        }
        REQUIRE(ga.configure_unit("fe-0/0/1", unit0("10.1.1.254/24")).ok());
        REQUIRE(ga.configure_unit("so-0/2/0", unit0("10.5.5.5/32", "10.6.6.6")).ok());
        REQUIRE(ga.add_static_route({pfx("10.2.2.0/24"), StaticRoute::Kind::kNextHop, {{ip("10.6.6.6"), ""}}})
                    .ok());
        REQUIRE(gb.configure_unit("fe-0/0/1", unit0("10.2.2.254/24")).ok());
        REQUIRE(gb.configure_unit("so-0/2/0", unit0("10.6.6.6/32", "10.5.5.5")).ok());
        REQUIRE(gb.add_static_route({pfx("10.1.1.0/24"), StaticRoute::Kind::kNextHop, {{ip("10.5.5.5"), ""}}})
                    .ok());
        REQUIRE(ga.configure_unit("lo0", unit0("192.168.255.1/32")).ok());

        for (auto& [n, e] : nodes) {
            net.add(n, *e);
        }
        net.link("host-a", "fe-0/0/0", "gateway-a", "fe-0/0/1");
        net.link("gateway-a", "so-0/2/0", "gateway-b", "so-0/2/0");
        net.link("gateway-b", "fe-0/0/1", "host-b", "fe-0/0/0");
        ha.set_icmp_handler([this](const IcmpEvent& ev) {
            host_a_icmp.push_back(ev);
            host_a_icmp_messages.emplace_back(ev.message.begin(), ev.message.end());
        });
    }
};

}  // namespace

TEST_CASE("two routers in memory: host-a pings host-b across Ethernet and Cisco HDLC") {
    Chain c;
    EchoRequest req;
    req.destination = ip("10.2.2.10");
    req.identifier = 0x1234;
    req.sequence = 0;
    CHECK(c.node("host-a").send_echo_request(req) == SendResult::kPendingArp);
    c.net.run();
    REQUIRE(c.host_a_icmp.size() == 1);
    const IcmpEvent& ev = c.host_a_icmp[0];
    CHECK(ev.header.type == icmp_type::kEchoReply);
    CHECK(ev.source == ip("10.2.2.10"));
    CHECK(ev.ttl == 62);  // 64 from host-b, minus two routers
    CHECK(ev.header.identifier() == 0x1234);
    CHECK(ev.ip_total_length == 84);

    // Second ping: everything resolved, immediate.
    req.sequence = 1;
    CHECK(c.node("host-a").send_echo_request(req) == SendResult::kSent);
    c.net.run();
    REQUIRE(c.host_a_icmp.size() == 2);
    CHECK(c.host_a_icmp[1].header.sequence() == 1);

    auto arp_a = c.node("gateway-a").arp_table();
    REQUIRE(arp_a.size() == 1);
    CHECK(arp_a[0].address == ip("10.1.1.10"));
    auto so = c.node("gateway-a").interface("so-0/2/0");
    REQUIRE(so);
    CHECK(so->link_level_type == "Cisco-HDLC");
    CHECK(so->counters.output_packets == 2);
    CHECK(so->counters.input_packets == 2);
    CHECK(c.node("gateway-b").global_counters().input_errors == 0);
}

TEST_CASE("traceroute-style probes get time exceeded from each hop, then port unreachable") {
    Chain c;
    std::vector<std::pair<uint8_t, Ipv4Address>> answers;
    c.node("host-a").set_icmp_handler(
        [&](const IcmpEvent& ev) { answers.emplace_back(ev.header.type, ev.source); });
    for (uint8_t ttl = 1; ttl <= 3; ++ttl) {
        Bytes probe = ipv4(
            ip("10.1.1.10"), ip("10.2.2.10"), 17,
            udp(ip("10.1.1.10"), ip("10.2.2.10"), 40000, static_cast<uint16_t>(33434 + ttl), Bytes(12, 0)),
            {ttl, static_cast<uint16_t>(100 + ttl)});
        c.node("host-a").send_datagram(Packet(probe));
        c.net.run();
    }
    REQUIRE(answers.size() == 3);
    CHECK(answers[0] == std::make_pair(icmp_type::kTimeExceeded, ip("10.1.1.254")));
    CHECK(answers[1] == std::make_pair(icmp_type::kTimeExceeded, ip("10.6.6.6")));
    CHECK(answers[2] == std::make_pair(icmp_type::kDestinationUnreachable, ip("10.2.2.10")));
}

TEST_CASE("large pings are fragmented at a small MTU and reassembled by the receiver") {
    Chain c;
    REQUIRE(c.node("gateway-a").set_mtu("so-0/2/0", 580).ok());
    REQUIRE(c.node("gateway-b").set_mtu("so-0/2/0", 580).ok());
    EchoRequest req;
    req.destination = ip("10.2.2.10");
    req.payload_size = 1400;
    c.node("host-a").send_echo_request(req);
    c.net.run();
    REQUIRE(c.host_a_icmp.size() == 1);
    CHECK(c.host_a_icmp[0].ip_total_length == 1428);
    const Bytes& msg = c.host_a_icmp_messages[0];
    REQUIRE(msg.size() == 1408);
    for (size_t i = 8; i < msg.size(); ++i) {
        if (msg[i] != static_cast<uint8_t>(i - 8)) {
            FAIL("payload byte " << i << " corrupted by fragmentation/reassembly");
        }
    }
    CHECK(c.node("gateway-a").interface("so-0/2/0")->counters.output_packets == 3);

    // With DF set: fragmentation needed, carrying the next-hop MTU.
    req.dont_fragment = true;
    req.sequence = 1;
    c.node("host-a").send_echo_request(req);
    c.net.run();
    REQUIRE(c.host_a_icmp.size() == 2);
    CHECK(c.host_a_icmp[1].header.type == icmp_type::kDestinationUnreachable);
    CHECK(c.host_a_icmp[1].header.code == icmp_unreach::kFragmentationNeeded);
    CHECK((c.host_a_icmp[1].header.rest & 0xffff) == 576);
}

TEST_CASE("reassembly rejects overlaps and times out incomplete datagrams") {
    ManualClock clock;
    EngineOptions o;
    o.clock = clock.fn();
    ForwardingEngine e(o);
    Capture cap;
    e.set_frame_sink(cap.sink());
    REQUIRE(e.add_interface("fe-0/0/0").ok());
    REQUIRE(e.configure_unit("fe-0/0/0", unit0("10.0.0.1/24")).ok());
    REQUIRE(e.set_link_up("fe-0/0/0", true).ok());
    const MacAddress me = *e.interface("fe-0/0/0")->mac;
    const MacAddress peer = mac("02:00:00:00:00:02");
    auto frag = [&](uint16_t id, uint16_t offset8, bool mf, size_t len) {
        IpOptions io;
        io.id = id;
        io.mf = mf;
        io.frag_offset = offset8;
        return ethernet(me, peer, 0x0800, ipv4(ip("10.0.0.2"), ip("10.0.0.1"), 17, Bytes(len, 0x11), io));
    };
    e.receive("fe-0/0/0", frag(1, 0, true, 64));
    e.receive("fe-0/0/0", frag(1, 4, false, 64));  // overlaps bytes 32..63
    CHECK(e.global_counters().drops(DropReason::kFragmentError) == 1);
    e.receive("fe-0/0/0", frag(2, 0, true, 64));
    clock.advance(std::chrono::seconds(31));
    e.tick();
    CHECK(e.global_counters().drops(DropReason::kFragmentError) == 2);
    e.receive("fe-0/0/0", frag(3, 0, true, 63));  // a non-last fragment must be a multiple of 8
    CHECK(e.global_counters().drops(DropReason::kFragmentError) == 3);
    // Each fragment fits in 65535 bytes, but options on the first would make the whole datagram larger.
    IpOptions first;
    first.id = 4;
    first.mf = true;
    first.option_bytes = 40;
    e.receive("fe-0/0/0",
              ethernet(me, peer, 0x0800, ipv4(ip("10.0.0.2"), ip("10.0.0.1"), 17, Bytes(32768, 1), first)));
    e.receive("fe-0/0/0", frag(4, 4096, false, 32744));
    CHECK(e.global_counters().drops(DropReason::kFragmentError) == 4);
    CHECK(cap.frames.empty());
}

TEST_CASE("a PIC going offline removes its interfaces and routes; coming back restores them") {
    Chain c;
    EchoRequest req;
    req.destination = ip("10.2.2.10");
    c.node("host-a").send_echo_request(req);
    c.net.run();
    REQUIRE(c.host_a_icmp.size() == 1);

    auto& ga = c.node("gateway-a");
    REQUIRE(ga.remove_interface("so-0/2/0").ok());
    CHECK_FALSE(ga.interface("so-0/2/0"));
    CHECK_FALSE(ga.route_lookup(ip("10.2.2.10")));
    req.sequence = 1;
    c.node("host-a").send_echo_request(req);
    c.net.run();
    REQUIRE(c.host_a_icmp.size() == 2);
    CHECK(c.host_a_icmp[1].header.type == icmp_type::kDestinationUnreachable);
    CHECK(c.host_a_icmp[1].header.code == icmp_unreach::kNetwork);

    REQUIRE(ga.add_interface("so-0/2/0").ok());
    REQUIRE(ga.set_link_up("so-0/2/0", true).ok());
    auto so = ga.interface("so-0/2/0");
    REQUIRE(so);
    REQUIRE(so->units.size() == 1);  // configuration survived the PIC's absence
    req.sequence = 2;
    c.node("host-a").send_echo_request(req);
    c.net.run();
    REQUIRE(c.host_a_icmp.size() == 3);
    CHECK(c.host_a_icmp[2].header.type == icmp_type::kEchoReply);
}

TEST_CASE("show data: interfaces, routes and the forwarding table") {
    Chain c;
    EchoRequest req;
    req.destination = ip("10.2.2.10");
    c.node("host-a").send_echo_request(req);
    c.net.run();
    auto& ga = c.node("gateway-a");

    auto fe = ga.interface("fe-0/0/1");
    REQUIRE(fe);
    CHECK(fe->type == "Ethernet");
    CHECK(fe->speed == "100mbps");
    CHECK(fe->mtu == 1514);
    CHECK(fe->admin_up);
    CHECK(fe->link_up);
    REQUIRE(fe->units.size() == 1);
    CHECK(fe->units[0].name == "fe-0/0/1.0");
    CHECK(fe->units[0].inet_mtu == 1500);
    REQUIRE(fe->units[0].addresses.size() == 1);
    CHECK(fe->units[0].addresses[0].subnet == pfx("10.1.1.0/24"));
    CHECK(fe->units[0].addresses[0].broadcast == ip("10.1.1.255"));
    CHECK(fe->units[0].counters.input_packets >= 2);
    auto so = ga.interface("so-0/2/0");
    CHECK(so->units[0].point_to_point);
    CHECK_FALSE(so->mac);
    CHECK(ga.interfaces().size() == 3);
    CHECK_FALSE(ga.interface("ge-9/9/9"));

    c.clock.advance(std::chrono::seconds(75));
    auto rt = ga.route_table();
    CHECK(rt.name == "inet.0");
    std::vector<std::string> rows;
    for (const auto& r : rt.routes) {
        rows.push_back(r.destination.to_string() + " " + std::string(to_string(r.protocol)) + "/" +
                       std::to_string(r.preference) + (r.active ? " *" : "") +
                       (r.next_hops.empty() ? "" : " " + r.next_hops[0].via));
    }
    CHECK(rows == std::vector<std::string>{
                      "10.1.1.0/24 Direct/0 * fe-0/0/1.0",
                      "10.1.1.254/32 Local/0 * fe-0/0/1.0",
                      "10.2.2.0/24 Static/5 * so-0/2/0.0",
                      "10.5.5.5/32 Local/0 * so-0/2/0.0",
                      "10.6.6.6/32 Direct/0 * so-0/2/0.0",
                      "192.168.255.1/32 Direct/0 * lo0.0",
                  });
    CHECK(rt.destinations == 6);
    CHECK(rt.active_routes == 6);
    CHECK(rt.routes[2].age == std::chrono::seconds(75));
    REQUIRE(rt.routes[2].next_hops.size() == 1);
    CHECK(rt.routes[2].next_hops[0].to == ip("10.6.6.6"));
    CHECK(rt.routes[2].next_hops[0].selected);

    auto hit = ga.route_lookup(ip("10.2.2.77"));
    REQUIRE(hit);
    CHECK(hit->destination == pfx("10.2.2.0/24"));

    // A static route whose next hop does not resolve is hidden, not active.
    REQUIRE(ga.add_static_route({pfx("172.16.0.0/12"), StaticRoute::Kind::kNextHop, {{ip("192.0.2.1"), ""}}})
                .ok());
    rt = ga.route_table();
    CHECK(rt.hidden_routes == 1);
    CHECK_FALSE(ga.route_lookup(ip("172.16.1.1")));

    bool saw_arp = false, saw_bcast = false, saw_default = false;
    for (const auto& f : ga.forwarding_table()) {
        if (f.destination == pfx("10.1.1.10/32")) {
            saw_arp = f.type == "dest" && f.next_hop_type == "ucst" && f.netif == "fe-0/0/1.0";
        }
        if (f.destination == pfx("10.1.1.255/32")) {
            saw_bcast = f.next_hop_type == "bcst";
        }
        if (f.destination == pfx("0.0.0.0/0")) {
            saw_default = f.type == "perm" && f.next_hop_type == "rjct";
        }
    }
    CHECK(saw_arp);
    CHECK(saw_bcast);
    CHECK(saw_default);
}

TEST_CASE("pcap capture of Ethernet and Cisco HDLC wires opens in tshark") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("msim-dataplane-pcap-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::string error;
    auto eth =
        PcapWriter::open((dir / "fe.pcap").string(), link_type_for(InterfaceKind::kFastEthernet), error);
    REQUIRE_MESSAGE(eth, error);
    auto hdlc = PcapWriter::open((dir / "so.pcap").string(), link_type_for(InterfaceKind::kSonet), error);
    REQUIRE_MESSAGE(hdlc, error);

    Chain c;
    // Capture what gateway-a sends on both of its wires.
    c.net.tap = [&](const std::string& node, const std::string& ifname, std::span<const uint8_t> f) {
        if (node == "gateway-a") {
            (ifname == "so-0/2/0" ? hdlc : eth)->write(f);
        }
    };
    c.node("host-a").send_echo_request(echo_to(ip("10.2.2.10")));
    c.net.run();
    eth->flush();
    hdlc->flush();
    CHECK(eth->frames_written() == 2);   // ARP reply to host-a, echo reply to host-a
    CHECK(hdlc->frames_written() == 1);  // echo request to gateway-b

    auto run = [](const std::string& cmd) {
        std::string out;
        FILE* p = ::popen(cmd.c_str(), "r");
        REQUIRE_MESSAGE(p != nullptr, "cannot run " << cmd);
        char buf[512];
        while (std::fgets(buf, sizeof buf, p) != nullptr) {
            out += buf;
        }
        const int rc = ::pclose(p);
        REQUIRE_MESSAGE(rc == 0, cmd << " failed (is tshark installed?): " << out);
        return out;
    };
    const std::string so_out =
        run("tshark -r " + (dir / "so.pcap").string() +
            " -T fields -e chdlc.protocol -e ip.src -e ip.dst -e icmp.type 2>/dev/null");
    CHECK(so_out == "0x0800\t10.1.1.10\t10.2.2.10\t8\n");
    const std::string fe_out = run("tshark -r " + (dir / "fe.pcap").string() +
                                   " -T fields -e eth.type -e arp.opcode -e icmp.type 2>/dev/null");
    CHECK(fe_out == "0x0806\t2\t\n0x0800\t\t0\n");  // ARP reply, then the echo reply
    fs::remove_all(dir);
}
