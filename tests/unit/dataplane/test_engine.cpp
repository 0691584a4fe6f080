#include <doctest/doctest.h>

#include "router_fixture.hpp"

using namespace msim::dataplane;
using namespace msim::dataplane::test;

TEST_CASE("ARP: a request for our address is answered and teaches the cache") {
    RouterFixture r;
    r.introduce("fe-0/0/0", kHostUp, "10.0.0.2", "10.0.0.1");
    auto frames = r.frames_on("fe-0/0/0");
    REQUIRE(frames.size() == 1);
    const Bytes& f = frames[0];
    CHECK(f.size() == 60);  // padded to the Ethernet minimum
    CHECK(Bytes(f.begin(), f.begin() + 6) == Bytes(kHostUp.bytes.begin(), kHostUp.bytes.end()));
    CHECK(get16(f, 12) == 0x0806);
    auto reply = ArpMessage::parse(std::span(f).subspan(14));
    REQUIRE(reply);
    CHECK(reply->operation == arp_op::kReply);
    CHECK(reply->sender_ip == ip("10.0.0.1"));
    CHECK(reply->sender_mac == r.mac_of("fe-0/0/0"));
    CHECK(reply->target_mac == kHostUp);

    auto table = r.e.arp_table();
    REQUIRE(table.size() == 1);
    CHECK(table[0].address == ip("10.0.0.2"));
    CHECK(table[0].mac == kHostUp);
    CHECK(table[0].interface == "fe-0/0/0.0");
    CHECK(table[0].expires_in == std::chrono::seconds(1200));

    // A request for someone else's address is not answered and (RFC 826) does not add an entry.
    r.cap.clear();
    r.e.receive("fe-0/0/0", ethernet(MacAddress::broadcast(), mac("02:00:00:00:00:03"), 0x0806,
                                     arp(1, mac("02:00:00:00:00:03"), ip("10.0.0.3"), {}, ip("10.0.0.2"))));
    CHECK(r.cap.frames.empty());
    CHECK(r.e.arp_table().size() == 1);
}

TEST_CASE("ARP: a probe for our address (RFC 5227, sender 0.0.0.0) is answered and teaches nothing") {
    RouterFixture r;
    r.e.receive("fe-0/0/0", ethernet(MacAddress::broadcast(), kHostUp, 0x0806,
                                     arp(1, kHostUp, ip("0.0.0.0"), {}, ip("10.0.0.1"))));
    auto frames = r.frames_on("fe-0/0/0");
    REQUIRE(frames.size() == 1);
    auto reply = ArpMessage::parse(std::span(frames[0]).subspan(14));
    REQUIRE(reply);
    CHECK(reply->operation == arp_op::kReply);
    CHECK(reply->sender_ip == ip("10.0.0.1"));
    CHECK(reply->target_mac == kHostUp);
    CHECK(r.e.arp_table().empty());
    // A probe for another address gets nothing.
    r.cap.clear();
    r.e.receive("fe-0/0/0", ethernet(MacAddress::broadcast(), kHostUp, 0x0806,
                                     arp(1, kHostUp, ip("0.0.0.0"), {}, ip("10.0.0.9"))));
    CHECK(r.cap.frames.empty());
}

TEST_CASE("ARP: entries age out on the injected clock") {
    RouterFixture r;
    r.e.set_arp_timeout(std::chrono::seconds(60));
    r.introduce("fe-0/0/0", kHostUp, "10.0.0.2", "10.0.0.1");
    r.clock.advance(std::chrono::seconds(30));
    r.e.tick();
    REQUIRE(r.e.arp_table().size() == 1);
    CHECK(r.e.arp_table()[0].expires_in == std::chrono::seconds(30));
    r.clock.advance(std::chrono::seconds(31));
    r.e.tick();
    CHECK(r.e.arp_table().empty());
}

TEST_CASE("ARP: forwarding waits for resolution, then sends the queued packet") {
    RouterFixture r;
    r.introduce("fe-0/0/1", kHostLan, "10.1.1.10", "10.1.1.254");
    r.cap.clear();
    Bytes dgram = ipv4(ip("10.1.1.10"), ip("10.0.0.2"), 17,
                       udp(ip("10.1.1.10"), ip("10.0.0.2"), 1000, 2000, Bytes(10, 7)));
    r.from_host("fe-0/0/1", kHostLan, dgram);
    auto req = r.frames_on("fe-0/0/0");
    REQUIRE(req.size() == 1);
    auto msg = ArpMessage::parse(std::span(req[0]).subspan(14));
    REQUIRE(msg);
    CHECK(msg->operation == arp_op::kRequest);
    CHECK(msg->target_ip == ip("10.0.0.2"));
    CHECK(msg->sender_ip == ip("10.0.0.1"));
    CHECK(std::equal(req[0].begin(), req[0].begin() + 6, MacAddress::broadcast().bytes.begin()));

    r.cap.clear();
    r.e.receive("fe-0/0/0", ethernet(r.mac_of("fe-0/0/0"), kHostUp, 0x0806,
                                     arp(2, kHostUp, ip("10.0.0.2"), r.mac_of("fe-0/0/0"), ip("10.0.0.1"))));
    auto out = r.frames_on("fe-0/0/0");
    REQUIRE(out.size() == 1);
    CHECK(std::equal(out[0].begin(), out[0].begin() + 6, kHostUp.bytes.begin()));
    Bytes fwd = ip_of(out[0]);
    CHECK(fwd.size() == dgram.size());
    CHECK(fwd[8] == 63);  // TTL decremented
    CHECK(ref_checksum(fwd.data(), 20) == 0);
    CHECK(Bytes(fwd.begin() + 20, fwd.end()) == Bytes(dgram.begin() + 20, dgram.end()));
}

TEST_CASE("ARP: unresolved next hop retries, then host-unreachable goes back to the sender") {
    RouterFixture r;
    r.introduce("fe-0/0/1", kHostLan, "10.1.1.10", "10.1.1.254");
    r.cap.clear();
    Bytes dgram = ipv4(ip("10.1.1.10"), ip("10.0.0.9"), 1, icmp(8, 0, 1, 1, Bytes(8, 0)));
    for (int i = 0; i < 5; ++i) {
        r.from_host("fe-0/0/1", kHostLan, dgram);  // 3 queued, 2 over the limit
    }
    CHECK(r.frames_on("fe-0/0/0").size() == 1);
    CHECK(r.drops(DropReason::kArpQueueFull) == 2);
    for (int i = 0; i < 3; ++i) {
        r.clock.advance(std::chrono::milliseconds(1000));
        r.e.tick();
    }
    CHECK(r.frames_on("fe-0/0/0").size() == 3);  // request + 2 retries
    CHECK(r.drops(DropReason::kArpTimeout) == 3);
    auto back = r.frames_on("fe-0/0/1");
    REQUIRE(back.size() == 3);
    Bytes err = ip_of(back[0]);
    CHECK(err[9] == 1);
    CHECK(err[20] == icmp_type::kDestinationUnreachable);
    CHECK(err[21] == icmp_unreach::kHost);
    CHECK(get32(err, 12) == ip("10.1.1.254").value);
}

TEST_CASE("ICMP echo to a local address is answered through the same path") {
    RouterFixture r;
    r.introduce("fe-0/0/1", kHostLan, "10.1.1.10", "10.1.1.254");
    r.cap.clear();
    Bytes data(56);
    for (size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<uint8_t>(i * 3);
    }
    // Also addressed to the other interface's address: any local address answers.
    r.from_host("fe-0/0/1", kHostLan, ipv4(ip("10.1.1.10"), ip("10.0.0.1"), 1, icmp(8, 0, 0x77, 3, data)));
    auto out = r.frames_on("fe-0/0/1");
    REQUIRE(out.size() == 1);
    Bytes reply = ip_of(out[0]);
    CHECK(get32(reply, 12) == ip("10.0.0.1").value);
    CHECK(get32(reply, 16) == ip("10.1.1.10").value);
    CHECK(ref_checksum(reply.data(), 20) == 0);
    Bytes msg(reply.begin() + 20, reply.end());
    CHECK(ref_checksum(msg.data(), msg.size()) == 0);
    CHECK(msg[0] == 0);
    CHECK(get16(msg, 4) == 0x77);
    CHECK(get16(msg, 6) == 3);
    CHECK(Bytes(msg.begin() + 8, msg.end()) == data);
}

TEST_CASE("TTL expiry: time exceeded quoting the offending header and 8+ bytes") {
    RouterFixture r;
    r.introduce("fe-0/0/1", kHostLan, "10.1.1.10", "10.1.1.254");
    r.cap.clear();
    IpOptions o;
    o.ttl = 1;
    Bytes dgram = ipv4(ip("10.1.1.10"), ip("10.0.0.2"), 17,
                       udp(ip("10.1.1.10"), ip("10.0.0.2"), 33434, 33435, Bytes(12, 1)), o);
    r.from_host("fe-0/0/1", kHostLan, dgram);
    CHECK(r.frames_on("fe-0/0/0").empty());
    auto out = r.frames_on("fe-0/0/1");
    REQUIRE(out.size() == 1);
    Bytes err = ip_of(out[0]);
    CHECK(get32(err, 12) == ip("10.1.1.254").value);  // from the interface it arrived on
    CHECK(err[20] == icmp_type::kTimeExceeded);
    CHECK(err[21] == 0);
    Bytes quoted(err.begin() + 28, err.end());
    REQUIRE(quoted.size() >= 28);
    CHECK(Bytes(quoted.begin(), quoted.begin() + 28) == Bytes(dgram.begin(), dgram.begin() + 28));
    CHECK(ref_checksum(err.data() + 20, err.size() - 20) == 0);
    CHECK(r.drops(DropReason::kTtlExpired) == 1);
}

TEST_CASE("no route: network unreachable; ICMP errors never answer ICMP errors") {
    RouterFixture r;
    r.introduce("fe-0/0/1", kHostLan, "10.1.1.10", "10.1.1.254");
    r.cap.clear();
    r.from_host("fe-0/0/1", kHostLan, ipv4(ip("10.1.1.10"), ip("192.0.2.1"), 1, icmp(8, 0, 1, 1, {})));
    auto out = r.frames_on("fe-0/0/1");
    REQUIRE(out.size() == 1);
    Bytes err = ip_of(out[0]);
    CHECK(err[20] == 3);
    CHECK(err[21] == 0);
    CHECK(r.drops(DropReason::kNoRoute) == 1);

    r.cap.clear();
    // An unroutable ICMP error: dropped and counted, but no error about an error.
    r.from_host("fe-0/0/1", kHostLan,
                ipv4(ip("10.1.1.10"), ip("192.0.2.1"), 1, icmp(3, 1, 0, 0, Bytes(28, 0))));
    CHECK(r.cap.frames.empty());
    CHECK(r.drops(DropReason::kNoRoute) == 2);
}

TEST_CASE("UDP: bound ports get the datagram, others get port unreachable") {
    RouterFixture r;
    r.introduce("fe-0/0/0", kHostUp, "10.0.0.2", "10.0.0.1");
    std::vector<UdpDatagram> got;
    Bytes last_payload;
    REQUIRE(r.e.bind_udp(500, [&](const UdpDatagram& d) {
        got.push_back(d);
        last_payload.assign(d.payload.begin(), d.payload.end());
    }));
    CHECK_FALSE(r.e.bind_udp(500, [](const UdpDatagram&) {}));
    r.cap.clear();
    Bytes ike{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0};
    r.from_host("fe-0/0/0", kHostUp,
                ipv4(ip("10.0.0.2"), ip("10.0.0.1"), 17, udp(ip("10.0.0.2"), ip("10.0.0.1"), 500, 500, ike)));
    REQUIRE(got.size() == 1);
    CHECK(got[0].source == ip("10.0.0.2"));
    CHECK(got[0].source_port == 500);
    CHECK(got[0].unit == "fe-0/0/0.0");
    CHECK(last_payload == ike);
    CHECK(r.cap.frames.empty());

    Bytes bad = udp(ip("10.0.0.2"), ip("10.0.0.1"), 500, 500, ike);
    bad[9] ^= 0xff;  // payload corrupted: checksum fails
    r.from_host("fe-0/0/0", kHostUp, ipv4(ip("10.0.0.2"), ip("10.0.0.1"), 17, bad));
    CHECK(got.size() == 1);
    CHECK(r.drops(DropReason::kBadUdp) == 1);

    Bytes probe = ipv4(ip("10.0.0.2"), ip("10.0.0.1"), 17,
                       udp(ip("10.0.0.2"), ip("10.0.0.1"), 40000, 9999, Bytes(4, 0)));
    r.from_host("fe-0/0/0", kHostUp, probe);
    auto out = r.frames_on("fe-0/0/0");
    REQUIRE(out.size() == 1);
    Bytes err = ip_of(out[0]);
    CHECK(err[20] == 3);
    CHECK(err[21] == 3);
    CHECK(Bytes(err.begin() + 28, err.end()) == probe);  // short datagram: quoted whole

    // The router's own UDP goes out with a correct checksum.
    r.cap.clear();
    CHECK(r.e.send_udp(ip("10.0.0.2"), 500, 500, ike) == SendResult::kSent);
    out = r.frames_on("fe-0/0/0");
    REQUIRE(out.size() == 1);
    Bytes mine = ip_of(out[0]);
    CHECK(UdpHeader::parse(std::span(mine).subspan(20), ip("10.0.0.1"), ip("10.0.0.2")));
}

TEST_CASE("malformed frames are dropped and counted by reason") {
    RouterFixture r;
    const MacAddress me = r.mac_of("fe-0/0/1");
    Bytes good = ipv4(ip("10.1.1.10"), ip("10.1.1.254"), 1, icmp(8, 0, 1, 1, {}));

    r.e.receive("fe-0/0/1", Bytes(10, 0));
    CHECK(r.drops(DropReason::kTruncatedFrame) == 1);
    r.e.receive("fe-0/0/1", ethernet(me, kHostLan, 0x86dd, good));
    CHECK(r.drops(DropReason::kUnknownEthertype) == 1);
    r.e.receive("fe-0/0/1", ethernet(mac("02:99:99:99:99:99"), kHostLan, 0x0800, good));
    CHECK(r.drops(DropReason::kNotForUs) == 1);
    Bytes bad_sum = good;
    bad_sum[11] ^= 1;
    r.e.receive("fe-0/0/1", ethernet(me, kHostLan, 0x0800, bad_sum));
    CHECK(r.drops(DropReason::kIpBadChecksum) == 1);
    r.e.receive("fe-0/0/1", ethernet(me, kHostLan, 0x0800, Bytes(good.begin(), good.begin() + 24)));
    CHECK(r.drops(DropReason::kIpTruncated) == 1);
    Bytes bad_icmp = good;
    bad_icmp[25] ^= 1;
    r.e.receive("fe-0/0/1", ethernet(me, kHostLan, 0x0800, bad_icmp));
    CHECK(r.drops(DropReason::kBadIcmp) == 1);
    r.e.receive("fe-0/0/1", ethernet(me, kHostLan, 0x0806, Bytes(20, 0)));
    CHECK(r.drops(DropReason::kBadArp) == 1);
    r.e.receive("fe-0/0/1", ethernet(me, kHostLan, 0x0800,
                                     ipv4(ip("127.0.0.1"), ip("10.1.1.254"), 1, icmp(8, 0, 1, 1, {}))));
    CHECK(r.drops(DropReason::kMartianSource) == 1);

    auto fe = r.e.interface("fe-0/0/1");
    REQUIRE(fe);
    CHECK(fe->counters.input_packets == 8);
    CHECK(fe->counters.input_errors == 6);
    CHECK(fe->counters.drops(DropReason::kIpBadChecksum) == 1);
    CHECK(r.cap.frames.empty());

    // Link down: counted, nothing processed.
    REQUIRE(r.e.set_link_up("fe-0/0/1", false).ok());
    r.e.receive("fe-0/0/1", ethernet(me, kHostLan, 0x0800, good));
    CHECK(r.drops(DropReason::kInterfaceDown) == 1);
}

TEST_CASE("IP options are skipped safely and the packet is still forwarded intact") {
    RouterFixture r;
    r.introduce("fe-0/0/0", kHostUp, "10.0.0.2", "10.0.0.1");
    r.cap.clear();
    IpOptions o;
    o.option_bytes = 12;
    Bytes dgram =
        ipv4(ip("10.1.1.10"), ip("10.0.0.2"), 17, udp(ip("10.1.1.10"), ip("10.0.0.2"), 1, 2, Bytes(3, 9)), o);
    r.from_host("fe-0/0/1", kHostLan, dgram);
    auto out = r.frames_on("fe-0/0/0");
    REQUIRE(out.size() == 1);
    Bytes fwd = ip_of(out[0]);
    CHECK(fwd.size() == dgram.size());
    CHECK(ref_checksum(fwd.data(), 32) == 0);
}

TEST_CASE("admin down and disabled units stop traffic and withdraw their routes") {
    RouterFixture r;
    r.introduce("fe-0/0/0", kHostUp, "10.0.0.2", "10.0.0.1");
    REQUIRE(r.e.route_lookup(ip("10.0.0.2")));
    REQUIRE(r.e.set_admin_up("fe-0/0/0", false).ok());
    CHECK_FALSE(r.e.route_lookup(ip("10.0.0.2")));
    CHECK_FALSE(r.e.interface("fe-0/0/0")->admin_up);
    CHECK(r.e.send_echo_request(echo_to(ip("10.0.0.2"))) == SendResult::kNoRoute);
    REQUIRE(r.e.set_admin_up("fe-0/0/0", true).ok());
    UnitConfig off = unit0("10.0.0.1/24");
    off.disabled = true;
    REQUIRE(r.e.configure_unit("fe-0/0/0", off).ok());
    CHECK_FALSE(r.e.route_lookup(ip("10.0.0.2")));
    CHECK_FALSE(r.e.interface("fe-0/0/0")->units[0].admin_up);
    REQUIRE(r.e.configure_unit("fe-0/0/0", unit0("10.0.0.1/24")).ok());
    REQUIRE(r.e.route_lookup(ip("10.0.0.2")));
    REQUIRE(r.e.delete_unit("fe-0/0/0", 0).ok());
    CHECK(r.e.interface("fe-0/0/0")->units.empty());
    CHECK_FALSE(r.e.delete_unit("fe-0/0/0", 0).ok());
}

TEST_CASE("gratuitous ARP refreshes a known neighbour's MAC; static discard and reject routes") {
    RouterFixture r;
    r.introduce("fe-0/0/0", kHostUp, "10.0.0.2", "10.0.0.1");
    const MacAddress moved = mac("02:00:00:00:00:99");
    r.e.receive("fe-0/0/0", ethernet(MacAddress::broadcast(), moved, 0x0806,
                                     arp(1, moved, ip("10.0.0.2"), {}, ip("10.0.0.2"))));
    REQUIRE(r.e.arp_table().size() == 1);
    CHECK(r.e.arp_table()[0].mac == moved);

    REQUIRE(r.e.add_static_route({pfx("192.0.2.0/24"), StaticRoute::Kind::kDiscard, {}}).ok());
    REQUIRE(r.e.add_static_route({pfx("198.51.100.0/24"), StaticRoute::Kind::kReject, {}}).ok());
    r.introduce("fe-0/0/1", kHostLan, "10.1.1.10", "10.1.1.254");
    r.cap.clear();
    r.from_host("fe-0/0/1", kHostLan, ipv4(ip("10.1.1.10"), ip("192.0.2.1"), 1, icmp(8, 0, 1, 1, {})));
    CHECK(r.cap.frames.empty());
    r.from_host("fe-0/0/1", kHostLan, ipv4(ip("10.1.1.10"), ip("198.51.100.1"), 1, icmp(8, 0, 1, 1, {})));
    REQUIRE(r.cap.frames.size() == 1);
    CHECK(ip_of(r.cap.frames[0].second)[20] == icmp_type::kDestinationUnreachable);
    CHECK(r.drops(DropReason::kRouteDiscard) == 2);
    auto rt = r.e.route_lookup(ip("192.0.2.9"));
    REQUIRE(rt);
    CHECK(rt->protocol == RouteProtocol::kStatic);
    CHECK(rt->next_hops[0].kind == RouteNextHopInfo::Kind::kDiscard);
}

TEST_CASE("ICMP errors are rate limited by a token bucket on the injected clock") {
    ManualClock clock;
    EngineOptions o;
    o.clock = clock.fn();
    o.icmp_error_rate = 2;
    ForwardingEngine e(o);
    Capture cap;
    e.set_frame_sink(cap.sink());
    REQUIRE(e.add_interface("fe-0/0/1").ok());
    REQUIRE(e.configure_unit("fe-0/0/1", unit0("10.1.1.254/24")).ok());
    REQUIRE(e.set_link_up("fe-0/0/1", true).ok());
    const MacAddress me = *e.interface("fe-0/0/1")->mac;
    e.receive("fe-0/0/1", ethernet(MacAddress::broadcast(), kHostLan, 0x0806,
                                   arp(1, kHostLan, ip("10.1.1.10"), {}, ip("10.1.1.254"))));
    cap.clear();
    Bytes unroutable = ipv4(ip("10.1.1.10"), ip("192.0.2.1"), 1, icmp(8, 0, 1, 1, {}));
    for (int i = 0; i < 5; ++i) {
        e.receive("fe-0/0/1", ethernet(me, kHostLan, 0x0800, unroutable));
    }
    CHECK(cap.frames.size() == 2);
    CHECK(e.global_counters().icmp_errors_rate_limited == 3);
    CHECK(e.global_counters().drops(DropReason::kNoRoute) == 5);
    clock.advance(std::chrono::milliseconds(500));  // one token back
    e.receive("fe-0/0/1", ethernet(me, kHostLan, 0x0800, unroutable));
    e.receive("fe-0/0/1", ethernet(me, kHostLan, 0x0800, unroutable));
    CHECK(cap.frames.size() == 3);
    // Echo replies are not errors and are never limited.
    for (int i = 0; i < 4; ++i) {
        e.receive("fe-0/0/1", ethernet(me, kHostLan, 0x0800,
                                       ipv4(ip("10.1.1.10"), ip("10.1.1.254"), 1, icmp(8, 0, 1, 1, {}))));
    }
    CHECK(cap.frames.size() == 7);
}
