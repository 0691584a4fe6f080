#include <doctest/doctest.h>

#include "router_fixture.hpp"

using namespace msim::dataplane;
using namespace msim::dataplane::test;

TEST_CASE("term matching: address lists with except, protocols, port ranges and names") {
    FilterTerm t;
    t.source_addresses = {
        {pfx("10.1.1.0/24"), false}, {pfx("10.1.1.128/25"), true}, {pfx("10.1.1.200/32"), false}};
    t.protocols = {*parse_ip_protocol("udp"), *parse_ip_protocol("tcp")};
    t.destination_ports = {*parse_port_range("http"), *parse_port_range("1024-2048")};
    FlowKey f{ip("10.1.1.5"), ip("10.2.2.2"), 6, true, 40000, 80};
    CHECK(term_matches(t, f));
    f.source = ip("10.1.1.130");  // the /25 except is the longest match
    CHECK_FALSE(term_matches(t, f));
    f.source = ip("10.1.1.200");  // but a still longer /32 entry includes it again
    CHECK(term_matches(t, f));
    f.destination_port = 1500;
    CHECK(term_matches(t, f));
    f.destination_port = 2049;
    CHECK_FALSE(term_matches(t, f));
    f.destination_port = 80;
    f.protocol = 1;
    CHECK_FALSE(term_matches(t, f));
    f.protocol = 17;
    f.has_ports = false;  // a later fragment carries no ports: port conditions cannot match
    CHECK_FALSE(term_matches(t, f));

    CHECK(*parse_port_range("ftp-data") == PortRange{20, 20});
    CHECK(parse_port_range("ssh")->low == 22);
    CHECK(parse_port_range("bootps")->low == 67);
    CHECK_FALSE(parse_port_range("2048-1024"));
    CHECK_FALSE(parse_port_range("nosuchport"));
    CHECK_FALSE(parse_port_range("70000"));
    CHECK(*parse_ip_protocol("esp") == 50);
    CHECK(*parse_ip_protocol("ah") == 51);
    CHECK(*parse_ip_protocol("89") == 89);
    CHECK_FALSE(parse_ip_protocol("bogus"));
    CHECK(*parse_reject_message("") == 13);
    CHECK(*parse_reject_message("port-unreachable") == 3);
    CHECK_FALSE(parse_reject_message("tcp-reset"));
}

TEST_CASE("filter validation finds duplicate terms and incomplete actions") {
    FirewallFilter f{"f", {}};
    FilterTerm a;
    a.name = "t";
    FilterTerm b = a;
    b.action = FilterAction::kIpsecSa;
    f.terms = {a, b};
    auto errors = validate_filter(f);
    CHECK(errors.size() == 2);
    ForwardingEngine e;
    CHECK_FALSE(e.set_filter(f).ok());
}

namespace {

FirewallFilter lan_filter() {
    FirewallFilter f;
    f.name = "lan-in";
    FilterTerm dns;
    dns.name = "dns";
    dns.protocols = {17};
    dns.destination_ports = {*parse_port_range("domain")};
    dns.count = "dns-count";
    FilterTerm block;
    block.name = "block-host";
    block.destination_addresses = {{pfx("10.0.0.66/32"), false}};
    block.action = FilterAction::kReject;
    FilterTerm telnet;
    telnet.name = "no-telnet";
    telnet.protocols = {6};
    telnet.destination_ports = {*parse_port_range("telnet")};
    telnet.action = FilterAction::kDiscard;
    telnet.count = "telnet-drops";
    FilterTerm rest;
    rest.name = "rest";
    rest.source_addresses = {{pfx("10.1.1.0/24"), false}};
    f.terms = {dns, block, telnet, rest};
    return f;
}

Bytes tcp_stub(uint16_t sport, uint16_t dport) {
    Bytes b(20);
    put16(b, 0, sport);
    put16(b, 2, dport);
    b[12] = 0x50;
    return b;
}

}  // namespace

TEST_CASE("input filter: first matching term wins, counters per term and per name, implicit discard") {
    RouterFixture r;
    REQUIRE(r.e.set_filter(lan_filter()).ok());
    UnitConfig lan = unit0("10.1.1.254/24");
    lan.input_filter = "lan-in";
    REQUIRE(r.e.configure_unit("fe-0/0/1", lan).ok());
    r.introduce("fe-0/0/0", kHostUp, "10.0.0.2", "10.0.0.1");
    r.introduce("fe-0/0/1", kHostLan, "10.1.1.10", "10.1.1.254");
    r.cap.clear();

    // DNS to the blocked host: the dns term comes first and accepts.
    r.from_host("fe-0/0/1", kHostLan,
                ipv4(ip("10.1.1.10"), ip("10.0.0.66"), 17,
                     udp(ip("10.1.1.10"), ip("10.0.0.66"), 5353, 53, Bytes(4, 0))));
    // Anything else to the blocked host: rejected with ICMP administratively prohibited.
    Bytes ping = ipv4(ip("10.1.1.10"), ip("10.0.0.66"), 1, icmp(8, 0, 1, 1, {}));
    r.from_host("fe-0/0/1", kHostLan, ping);
    // Telnet: silently discarded.
    r.from_host("fe-0/0/1", kHostLan, ipv4(ip("10.1.1.10"), ip("10.0.0.2"), 6, tcp_stub(40000, 23)));
    // From the LAN otherwise: accepted and forwarded.
    r.from_host("fe-0/0/1", kHostLan, ipv4(ip("10.1.1.10"), ip("10.0.0.2"), 6, tcp_stub(40000, 22)));
    // A spoofed source matches no term: implicit discard.
    r.from_host("fe-0/0/1", kHostLan, ipv4(ip("172.16.0.1"), ip("10.0.0.2"), 6, tcp_stub(40000, 22)));

    auto lan_out = r.frames_on("fe-0/0/1");
    REQUIRE(lan_out.size() == 1);
    Bytes rej = ip_of(lan_out[0]);
    CHECK(rej[20] == 3);
    CHECK(rej[21] == 13);
    CHECK(Bytes(rej.begin() + 28, rej.end()) == ping);

    auto up_out = r.frames_on("fe-0/0/0");
    // dns to 10.0.0.66 needs ARP (a request goes out), ssh to 10.0.0.2 is forwarded.
    size_t forwarded = 0;
    for (const auto& f : up_out) {
        if (get16(f, 12) == 0x0800) {
            ++forwarded;
            CHECK(get16(ip_of(f), 22) == 22);
        }
    }
    CHECK(forwarded == 1);

    auto fw = r.e.firewall();
    REQUIRE(fw.size() == 1);
    CHECK(fw[0].name == "lan-in");
    REQUIRE(fw[0].terms.size() == 4);
    CHECK(fw[0].terms[0].packets == 1);
    CHECK(fw[0].terms[1].packets == 1);
    CHECK(fw[0].terms[2].packets == 1);
    CHECK(fw[0].terms[3].packets == 1);
    CHECK(fw[0].terms[0].bytes == 20 + 8 + 4);
    REQUIRE(fw[0].counters.size() == 2);
    CHECK(fw[0].counters[0].name == "dns-count");
    CHECK(fw[0].counters[0].packets == 1);
    CHECK(fw[0].counters[1].name == "telnet-drops");
    CHECK(fw[0].counters[1].packets == 1);
    CHECK(fw[0].implicit_discard_packets == 1);
    CHECK(r.drops(DropReason::kFilterReject) == 1);
    CHECK(r.drops(DropReason::kFilterDiscard) == 2);

    // Replacing the filter keeps counters of unchanged terms; clearing resets them.
    REQUIRE(r.e.set_filter(lan_filter()).ok());
    CHECK(r.e.firewall()[0].terms[0].packets == 1);
    r.e.clear_firewall_counters("lan-in");
    CHECK(r.e.firewall()[0].terms[0].packets == 0);
    CHECK(r.e.firewall()[0].counters[0].packets == 0);
}

TEST_CASE("output filter applies after routing; a missing filter fails closed") {
    RouterFixture r;
    FirewallFilter f;
    f.name = "up-out";
    FilterTerm t;
    t.name = "no-icmp";
    t.protocols = {1};
    t.action = FilterAction::kDiscard;
    FilterTerm rest;
    rest.name = "rest";
    f.terms = {t, rest};
    REQUIRE(r.e.set_filter(f).ok());
    UnitConfig up = unit0("10.0.0.1/24");
    up.output_filter = "up-out";
    REQUIRE(r.e.configure_unit("fe-0/0/0", up).ok());
    r.introduce("fe-0/0/0", kHostUp, "10.0.0.2", "10.0.0.1");
    r.cap.clear();
    r.from_host("fe-0/0/1", kHostLan, ipv4(ip("10.1.1.10"), ip("10.0.0.2"), 1, icmp(8, 0, 1, 1, {})));
    r.from_host("fe-0/0/1", kHostLan,
                ipv4(ip("10.1.1.10"), ip("10.0.0.2"), 17, udp(ip("10.1.1.10"), ip("10.0.0.2"), 1, 2, {})));
    auto out = r.frames_on("fe-0/0/0");
    REQUIRE(out.size() == 1);
    CHECK(ip_of(out[0])[9] == 17);
    CHECK(r.e.interface("fe-0/0/0")->units[0].counters.drops(DropReason::kFilterDiscard) == 1);
    // The router's own ping is filtered too.
    CHECK(r.e.send_echo_request(echo_to(ip("10.0.0.2"))) == SendResult::kFiltered);

    REQUIRE(r.e.delete_filter("up-out").ok());
    r.cap.clear();
    r.from_host("fe-0/0/1", kHostLan,
                ipv4(ip("10.1.1.10"), ip("10.0.0.2"), 17, udp(ip("10.1.1.10"), ip("10.0.0.2"), 1, 2, {})));
    CHECK(r.cap.frames.empty());
    CHECK(r.drops(DropReason::kFilterMissing) == 1);
}
