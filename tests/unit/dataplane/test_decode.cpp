#include <doctest/doctest.h>

#include "msim/dataplane/decode.hpp"
#include "router_fixture.hpp"

using namespace msim::dataplane;
using namespace msim::dataplane::test;

TEST_CASE("tcpdump-style one-line summaries") {
    const MacAddress a = mac("02:00:00:00:00:01");
    const MacAddress b = mac("02:00:00:00:00:02");
    Bytes ping = ipv4(ip("10.1.1.10"), ip("10.1.1.254"), 1, icmp(8, 0, 7, 1, Bytes(56, 0)));
    CHECK(summarize_frame(InterfaceKind::kFastEthernet, ethernet(a, b, 0x0800, ping)) ==
          "IP 10.1.1.10 > 10.1.1.254: ICMP echo request, id 7, seq 1, length 64");
    CHECK(summarize_frame(InterfaceKind::kFastEthernet,
                          ethernet(MacAddress::broadcast(), a, 0x0806,
                                   arp(1, a, ip("10.1.1.10"), {}, ip("10.1.1.254")))) ==
          "arp who-has 10.1.1.254 tell 10.1.1.10");
    CHECK(summarize_frame(InterfaceKind::kFastEthernet,
                          ethernet(a, b, 0x0806, arp(2, b, ip("10.1.1.254"), a, ip("10.1.1.10")))) ==
          "arp reply 10.1.1.254 is-at 02:00:00:00:00:02");
    CHECK(summarize_ipv4(ipv4(ip("10.0.0.2"), ip("10.0.0.1"), 17,
                              udp(ip("10.0.0.2"), ip("10.0.0.1"), 500, 500, Bytes(28, 0)))) ==
          "IP 10.0.0.2.500 > 10.0.0.1.500: UDP, length 28");
    Bytes esp{0, 0, 0x09, 0x08, 0, 0, 0, 1};
    esp.resize(40);
    CHECK(summarize_ipv4(ipv4(ip("10.5.5.5"), ip("10.6.6.6"), 50, esp)) ==
          "IP 10.5.5.5 > 10.6.6.6: ESP(spi=0x00000908,seq=0x1), length 40");
    Bytes hdlc{0x0f, 0x00, 0x08, 0x00};
    hdlc.insert(hdlc.end(), ping.begin(), ping.end());
    CHECK(summarize_frame(InterfaceKind::kSonet, hdlc) ==
          "IP 10.1.1.10 > 10.1.1.254: ICMP echo request, id 7, seq 1, length 64");
    Bytes ttl_err =
        ipv4(ip("10.1.1.254"), ip("10.1.1.10"), 1, icmp(11, 0, 0, 0, Bytes(ping.begin(), ping.begin() + 28)));
    CHECK(summarize_ipv4(ttl_err) == "IP 10.1.1.254 > 10.1.1.10: ICMP time exceeded in-transit, length 36");
    Bytes port_err = ipv4(
        ip("10.0.0.1"), ip("10.0.0.2"), 1,
        icmp(3, 3, 0, 0,
             ipv4(ip("10.0.0.2"), ip("10.0.0.1"), 17, udp(ip("10.0.0.2"), ip("10.0.0.1"), 1, 33434, {}))));
    CHECK(summarize_ipv4(port_err) ==
          "IP 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.1 udp port 33434 unreachable, length 36");
    IpOptions frag;
    frag.mf = true;
    CHECK(summarize_ipv4(ipv4(ip("10.0.0.2"), ip("10.0.0.1"), 1, icmp(8, 0, 1, 1, Bytes(16, 0)), frag)) ==
          "IP 10.0.0.2 > 10.0.0.1: ICMP echo request, id 1, seq 1, length 24 (frag 4660:24@0+)");
    // Truncated input never reads past the end.
    CHECK(summarize_frame(InterfaceKind::kFastEthernet, Bytes(5, 0)) == "[|ether]");
    CHECK(summarize_ipv4(Bytes(ping.begin(), ping.begin() + 10)) == "IP [|ip] length 10");
    CHECK(summarize_ipv4(Bytes(ping.begin(), ping.begin() + 24)) ==
          "IP 10.1.1.10 > 10.1.1.254: ICMP [|icmp], length 4");
}

TEST_CASE("the packet tap sees frames in both directions") {
    RouterFixture r;
    std::vector<std::string> lines;
    r.e.set_packet_tap([&](const std::string& ifname, TapDirection dir, std::span<const uint8_t> f) {
        lines.push_back(ifname + (dir == TapDirection::kIn ? " In " : " Out ") +
                        summarize_frame(InterfaceKind::kFastEthernet, f));
    });
    r.introduce("fe-0/0/1", kHostLan, "10.1.1.10", "10.1.1.254");
    r.from_host("fe-0/0/1", kHostLan,
                ipv4(ip("10.1.1.10"), ip("10.1.1.254"), 1, icmp(8, 0, 7, 1, Bytes(56, 0))));
    CHECK(lines == std::vector<std::string>{
                       "fe-0/0/1 In arp who-has 10.1.1.254 tell 10.1.1.10",
                       "fe-0/0/1 Out arp reply 10.1.1.254 is-at " + r.mac_of("fe-0/0/1").to_string(),
                       "fe-0/0/1 In IP 10.1.1.10 > 10.1.1.254: ICMP echo request, id 7, seq 1, length 64",
                       "fe-0/0/1 Out IP 10.1.1.254 > 10.1.1.10: ICMP echo reply, id 7, seq 1, length 64",
                   });
}
