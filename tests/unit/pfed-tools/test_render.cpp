// The shell's renderers against XML that dataplane/src/rpc_xml.cpp builds from a real forwarding engine.
#include <doctest/doctest.h>

#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "helpers.hpp"
#include "msim/dataplane/rpc_xml.hpp"
#include "render_dataplane.hpp"

using namespace msim;
using namespace msim::dataplane;
using namespace msim::dataplane::test;

namespace {

// gateway-a of the two-gateways lab: fe-0/0/1 to the LAN with an input filter, so-0/2/0 to gateway-b, lo0,
// a static route over the SONET link; host-a has answered ARP and sent a packet through the filter.
struct Router {
    ManualClock clock;
    ForwardingEngine e;
    Capture cap;

    static EngineOptions options(ManualClock& c) {
        EngineOptions o;
        o.clock = c.fn();
        return o;
    }

    Router() : e(options(clock)) {
        REQUIRE(e.add_interface("fe-0/0/1").ok());
        REQUIRE(e.add_interface("fe-0/0/2").ok());
        REQUIRE(e.add_interface("so-0/2/0").ok());
        REQUIRE(e.add_interface("lo0").ok());
        UnitConfig lan = unit0("10.1.1.254/24");
        lan.input_filter = "protect";
        lan.description = "LAN";
        REQUIRE(e.configure_unit("fe-0/0/1", lan).ok());
        REQUIRE(e.configure_unit("so-0/2/0", unit0("10.5.5.5/32", "10.6.6.6")).ok());
        REQUIRE(e.configure_unit("lo0", unit0("192.168.255.1/32")).ok());
        FirewallFilter f;
        f.name = "protect";
        FilterTerm t;
        t.name = "lan";
        t.action = FilterAction::kAccept;
        t.count = "lan-in";
        f.terms.push_back(t);
        REQUIRE(e.set_filter(f).ok());
        REQUIRE(e.add_static_route({pfx("10.2.2.0/24"), StaticRoute::Kind::kNextHop, {{ip("10.6.6.6"), ""}}})
                    .ok());
        REQUIRE(e.set_link_up("fe-0/0/1", true).ok());
        REQUIRE(e.set_link_up("so-0/2/0", true).ok());
        e.set_frame_sink(cap.sink());
        const MacAddress host = mac("02:00:00:00:01:0a");
        const MacAddress me = *e.interface("fe-0/0/1")->mac;
        e.receive("fe-0/0/1", ethernet(MacAddress::broadcast(), host, 0x0806,
                                       arp(1, host, ip("10.1.1.10"), MacAddress{}, ip("10.1.1.254"))));
        e.receive("fe-0/0/1",
                  ethernet(me, host, 0x0800,
                           ipv4(ip("10.1.1.10"), ip("10.2.2.10"), 1, icmp(8, 0, 1, 0, Bytes(56, 0)))));
        clock.advance(std::chrono::seconds(83));
    }
};

// Builds a reply the way pfed does and renders it the way the CLI does. "Last flapped" lines carry the
// wall clock and are left out.
template <class Append, class Render>
std::string rendered(Append append, Render render) {
    pugi::xml_document doc;
    auto reply = doc.append_child("rpc-reply");
    append(reply);
    std::istringstream in(render(reply));
    std::string out, line;
    while (std::getline(in, line)) {
        if (line.find("Last flapped") == std::string::npos) {
            out += line + "\n";
        }
    }
    return out;
}

}  // namespace

TEST_CASE("show interfaces terse") {
    Router r;
    CHECK(rendered(
              [&](pugi::xml_node n) {
                  rpc::append_interface_information(n, r.e.interfaces(), rpc::InterfaceDetail::kTerse);
              },
              [](auto n) { return shell::render_interface_information(n, shell::InterfaceView::kTerse); }) ==
          "Interface               Admin Link Proto    Local                 Remote\n"
          "fe-0/0/1                up    up\n"
          "fe-0/0/1.0              up    up   inet     10.1.1.254/24\n"
          "fe-0/0/2                up    down\n"
          "lo0                     up    up\n"
          "lo0.0                   up    up   inet     192.168.255.1/32\n"
          "so-0/2/0                up    up\n"
          "so-0/2/0.0              up    up   inet     10.5.5.5            --> 10.6.6.6\n");
}

TEST_CASE("show interfaces NAME (standard view)") {
    Router r;
    CHECK(
        rendered(
            [&](pugi::xml_node n) {
                rpc::append_interface_information(n, {*r.e.interface("so-0/2/0")},
                                                  rpc::InterfaceDetail::kDetail);
            },
            [](auto n) { return shell::render_interface_information(n, shell::InterfaceView::kStandard); }) ==
        "Physical interface: so-0/2/0, Enabled, Physical link is Up\n"
        "  Interface index: 130, SNMP ifIndex: 503\n"
        "  Link-level type: Cisco-HDLC, MTU: 4474, Clocking: Internal, SONET mode, Speed: OC3, Loopback: "
        "None, "
        "FCS: 16,\n"
        "  Payload scrambler: Enabled\n"
        "  Device flags   : Present Running\n"
        "  Interface flags: SNMP-Traps Internal: 0x4000\n"
        "  Link flags     : None\n"
        "  Input rate     : 0 bps (0 pps)\n"
        "  Output rate    : 0 bps (0 pps)\n"
        "  Active alarms  : None\n"
        "  Active defects : None\n"
        "\n"
        "  Logical interface so-0/2/0.0 (Index 65) (SNMP ifIndex 506)\n"
        "    Flags: Point-To-Point SNMP-Traps Encapsulation: Cisco-HDLC\n"
        "    Input packets : 0\n"
        "    Output packets: 1\n"
        "    Protocol inet, MTU: 4470\n"
        "      Flags: None\n"
        "      Addresses, Flags: Is-Preferred Is-Primary\n"
        "        Destination: 10.6.6.6, Local: 10.5.5.5\n");
}

TEST_CASE("show interfaces NAME extensive: traffic statistics and errors") {
    Router r;
    CHECK(rendered(
              [&](pugi::xml_node n) {
                  rpc::append_interface_information(n, {*r.e.interface("fe-0/0/1")},
                                                    rpc::InterfaceDetail::kExtensive);
              },
              [](auto n) {
                  return shell::render_interface_information(n, shell::InterfaceView::kExtensive);
              }) ==
          "Physical interface: fe-0/0/1, Enabled, Physical link is Up\n"
          "  Interface index: 128, SNMP ifIndex: 501\n"
          "  Link-level type: Ethernet, MTU: 1514, Speed: 100mbps, Loopback: Disabled, Source filtering: "
          "Disabled,\n"
          "  Flow control: Enabled\n"
          "  Device flags   : Present Running\n"
          "  Interface flags: SNMP-Traps Internal: 0x4000\n"
          "  Link flags     : None\n"
          "  Current address: 00:05:85:00:00:80, Hardware address: 00:05:85:00:00:80\n"
          "  Traffic statistics:\n"
          "   Input  bytes  :                  140\n"
          "   Output bytes  :                   60\n"
          "   Input  packets:                    2\n"
          "   Output packets:                    1\n"
          "  Input rate     : 0 bps (0 pps)\n"
          "  Output rate    : 0 bps (0 pps)\n"
          "  Input errors:\n"
          "    Errors: 0, Drops: 0, Framing errors: 0, Runts: 0, Giants: 0, Policed discards: 0,\n"
          "    L3 incompletes: 0, L2 channel errors: 0, L2 mismatch timeouts: 0, Resource errors: 0\n"
          "  Output errors:\n"
          "    Carrier transitions: 0, Errors: 0, Drops: 0, MTU errors: 0, Resource errors: 0\n"
          "  Active alarms  : None\n"
          "  Active defects : None\n"
          "\n"
          "  Logical interface fe-0/0/1.0 (Index 64) (SNMP ifIndex 505)\n"
          "    Description: LAN\n"
          "    Flags: SNMP-Traps Encapsulation: ENET2\n"
          "    Traffic statistics:\n"
          "     Input  bytes  :                  140\n"
          "     Output bytes  :                   60\n"
          "     Input  packets:                    2\n"
          "     Output packets:                    1\n"
          "    Protocol inet, MTU: 1500\n"
          "      Flags: None\n"
          "      Input Filters: protect\n"
          "      Addresses, Flags: Is-Preferred Is-Primary\n"
          "        Destination: 10.1.1/24, Local: 10.1.1.254, Broadcast: 10.1.1.255\n");
}

TEST_CASE("show route") {
    Router r;
    CHECK(rendered([&](pugi::xml_node n) { rpc::append_route_information(n, r.e.route_table()); },
                   [](auto n) { return shell::render_route_information(n); }) ==
          "\n"
          "inet.0: 6 destinations, 6 routes (6 active, 0 holddown, 0 hidden)\n"
          "+ = Active Route, - = Last Active, * = Both\n"
          "\n"
          "10.1.1.0/24        *[Direct/0] 00:01:23\n"
          "                    > via fe-0/0/1.0\n"
          "10.1.1.254/32      *[Local/0] 00:01:23\n"
          "                      Local via fe-0/0/1.0\n"
          "10.2.2.0/24        *[Static/5] 00:01:23\n"
          "                    > to 10.6.6.6 via so-0/2/0.0\n"
          "10.5.5.5/32        *[Local/0] 00:01:23\n"
          "                      Local via so-0/2/0.0\n"
          "10.6.6.6/32        *[Direct/0] 00:01:23\n"
          "                    > via so-0/2/0.0\n"
          "192.168.255.1/32   *[Direct/0] 00:01:23\n"
          "                      Local via lo0.0\n");
}

TEST_CASE("show route hides static routes whose next hop does not resolve") {
    Router r;
    REQUIRE(r.e.add_static_route({pfx("172.16.0.0/16"), StaticRoute::Kind::kNextHop, {{ip("10.9.9.9"), ""}}})
                .ok());
    auto table = r.e.route_table();
    REQUIRE(table.hidden_routes == 1);
    const std::string text = rendered([&](pugi::xml_node n) { rpc::append_route_information(n, table); },
                                      [](auto n) { return shell::render_route_information(n); });
    CHECK(text.find("172.16.0.0/16") == std::string::npos);
    CHECK(text.find("(6 active, 0 holddown, 1 hidden)") != std::string::npos);
}

TEST_CASE("show route forwarding-table") {
    Router r;
    CHECK(rendered(
              [&](pugi::xml_node n) { rpc::append_forwarding_table_information(n, r.e.forwarding_table()); },
              [](auto n) { return shell::render_forwarding_table(n); }) ==
          "Routing table: default.inet\n"
          "Internet:\n"
          "Destination        Type RtRef Next hop           Type Index NhRef Netif\n"
          "default            perm     0                    rjct    36     1\n"
          "0.0.0.0/32         perm     0                    dscd    34     1\n"
          "10.1.1.0/24        intf     0                    rslv   501     1 fe-0/0/1.0\n"
          "10.1.1.10/32       dest     0 2:0:0:0:1:a        ucst  1000     1 fe-0/0/1.0\n"
          "10.1.1.254/32      intf     0 10.1.1.254         locl   500     1\n"
          "10.1.1.255/32      dest     0 10.1.1.255         bcst  1001     1 fe-0/0/1.0\n"
          "10.2.2.0/24        user     0 10.6.6.6           ucst   505     1 so-0/2/0.0\n"
          "10.5.5.5/32        intf     0 10.5.5.5           locl   503     1\n"
          "10.6.6.6/32        intf     0 10.6.6.6           ucst   504     1 so-0/2/0.0\n"
          "192.168.255.1/32   intf     0 192.168.255.1      locl   502     1\n");
}

TEST_CASE("show arp and show arp no-resolve") {
    Router r;
    auto append = [&](pugi::xml_node n) { rpc::append_arp_table_information(n, r.e.arp_table()); };
    CHECK(rendered(append, [](auto n) { return shell::render_arp_table(n, false); }) ==
          "MAC Address       Address         Name                      Interface           Flags\n"
          "02:00:00:00:01:0a 10.1.1.10       10.1.1.10                 fe-0/0/1.0          none\n"
          "Total entries: 1\n");
    CHECK(rendered(append, [](auto n) { return shell::render_arp_table(n, true); }) ==
          "MAC Address       Address         Interface           Flags\n"
          "02:00:00:00:01:0a 10.1.1.10       fe-0/0/1.0          none\n"
          "Total entries: 1\n");
}

TEST_CASE("show firewall") {
    Router r;
    FirewallFilter quiet;
    quiet.name = "quiet";
    quiet.terms.push_back(FilterTerm{});
    quiet.terms.back().name = "t";
    REQUIRE(r.e.set_filter(quiet).ok());
    CHECK(rendered([&](pugi::xml_node n) { rpc::append_firewall_information(n, r.e.firewall()); },
                   [](auto n) { return shell::render_firewall_information(n); }) ==
          "\n"
          "Filter: protect\n"
          "Counters:\n"
          "Name                                                Bytes              Packets\n"
          "lan-in                                                 84                    1\n"
          "\n"
          "Filter: quiet\n");
}

TEST_CASE("the streaming renderers: rapid marks, losses, ICMP errors, traceroute hops, monitored packets") {
    auto parse = [](const char* xml) {
        auto doc = std::make_shared<pugi::xml_document>();
        REQUIRE(doc->load_string(xml));
        return doc;
    };
    shell::PingRenderer ping;
    std::string out;
    for (const char* xml : {
             "<ping-start><target-host>10.2.2.10</target-host><target-ip>10.2.2.10</target-ip>"
             "<packet-size>56</packet-size><rapid/></ping-start>",
             "<probe-result><probe-index>1</probe-index><probe-success/><ip-address>10.2.2.10</ip-address>"
             "<icmp-sequence>0</icmp-sequence><time-to-live>63</time-to-live><response-size>64</"
             "response-size>"
             "<rtt>512</rtt></probe-result>",
             "<probe-result><icmp-sequence>1</icmp-sequence><timeout/></probe-result>",
             "<msim-keepalive/>",
             "<probe-result><ip-address>10.5.5.6</ip-address><icmp-sequence>2</icmp-sequence>"
             "<response-size>92</response-size><icmp-error>Destination Host "
             "Unreachable</icmp-error></probe-result>",
         }) {
        out += ping.progress(parse(xml)->document_element());
    }
    auto result = parse(
        "<rpc-reply><ping-results><target-host>10.2.2.10</target-host><target-ip>10.2.2.10</target-ip>"
        "<packet-size>56</packet-size><probe-results-summary><probes-sent>3</probes-sent>"
        "<responses-received>1</responses-received><packet-loss>66</packet-loss><rtt-minimum>512</"
        "rtt-minimum>"
        "<rtt-maximum>512</rtt-maximum><rtt-average>512</rtt-average><rtt-stddev>0</rtt-stddev>"
        "</probe-results-summary></ping-results></rpc-reply>");
    out += ping.result(result->document_element());
    CHECK(out ==
          "PING 10.2.2.10 (10.2.2.10): 56 data bytes\n"
          "!..\n"
          "--- 10.2.2.10 ping statistics ---\n"
          "3 packets transmitted, 1 packets received, 66% packet loss\n"
          "round-trip min/avg/max/stddev = 0.512/0.512/0.512/0.000 ms\n");

    shell::TracerouteRenderer trace;
    CHECK(trace.progress(parse("<hop><ttl-value>3</ttl-value><probe-result><ip-address>10.6.6.6</ip-address>"
                               "<rtt>1500</rtt></probe-result><probe-result><timeout/></probe-result>"
                               "<probe-result><ip-address>10.7.7.7</ip-address><rtt>2001</rtt>"
                               "<unreachable-flag>!H</unreachable-flag></probe-result></hop>")
                             ->document_element()) ==
          " 3  10.6.6.6 (10.6.6.6)  1.500 ms * 10.7.7.7 (10.7.7.7)  2.001 ms !H\n");

    shell::MonitorRenderer monitor;
    CHECK(monitor.progress(parse("<monitor-start><interface>so-0/2/0</interface><detail/></monitor-start>")
                               ->document_element()) ==
          "Address resolution is ON. Use <no-resolve> to avoid any reverse lookup delay.\n"
          "Address resolution timeout is 4s.\n"
          "Listening on so-0/2/0, capture size 1514 bytes\n\n");
    CHECK(monitor.progress(
              parse("<packet><time>05:01:02.000123</time><direction>In</direction>"
                    "<summary>IP 10.1.1.10 &gt; 10.2.2.10: ICMP echo request, id 7, seq 1, length 64"
                    "</summary></packet>")
                  ->document_element()) ==
          "05:01:02.000123  In IP 10.1.1.10 > 10.2.2.10: ICMP echo request, id 7, seq 1, length 64\n");
}

TEST_CASE("a terse reply is shown terse whatever view was asked") {
    Router r;
    const std::string text = rendered(
        [&](pugi::xml_node n) {
            rpc::append_interface_information(n, {*r.e.interface("lo0")}, rpc::InterfaceDetail::kTerse);
        },
        [](auto n) { return shell::render_interface_information(n, shell::InterfaceView::kStandard); });
    CHECK(text ==
          "Interface               Admin Link Proto    Local                 Remote\n"
          "lo0                     up    up\n"
          "lo0.0                   up    up   inet     192.168.255.1/32\n");
}
