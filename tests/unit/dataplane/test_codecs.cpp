#include <doctest/doctest.h>

#include "helpers.hpp"
#include "msim/dataplane/interfaces.hpp"
#include "msim/dataplane/packet.hpp"
#include "msim/dataplane/protocols.hpp"

using namespace msim::dataplane;
using namespace msim::dataplane::test;

TEST_CASE("addresses, prefixes and MACs parse strictly and print canonically") {
    CHECK(Ipv4Address::parse("10.1.1.254")->to_string() == "10.1.1.254");
    CHECK_FALSE(Ipv4Address::parse("10.1.1"));
    CHECK_FALSE(Ipv4Address::parse("10.1.1.256"));
    CHECK_FALSE(Ipv4Address::parse("10.01.1.1"));
    CHECK_FALSE(Ipv4Address::parse("10.1.1.1 "));
    CHECK(Ipv4Prefix::parse("10.1.1.254/24")->network().to_string() == "10.1.1.0/24");
    CHECK(Ipv4Prefix::parse("10.1.1.254/24")->broadcast().to_string() == "10.1.1.255");
    CHECK(Ipv4Prefix::parse("0.0.0.0/0")->contains(ip("192.0.2.1")));
    CHECK_FALSE(Ipv4Prefix::parse("10.0.0.0/33"));
    CHECK(Ipv4Prefix::parse("10.2.2.2")->length == 32);
    CHECK(MacAddress::parse("00:05:85:AA:bb:0c")->to_string() == "00:05:85:aa:bb:0c");
    CHECK_FALSE(MacAddress::parse("00:05:85:aa:bb"));
}

TEST_CASE("interface and unit names") {
    auto n = InterfaceName::parse("fe-0/0/1");
    REQUIRE(n);
    CHECK(n->kind == InterfaceKind::kFastEthernet);
    CHECK(n->port == 1);
    CHECK(InterfaceName::parse("es-0/1/0")->kind == InterfaceKind::kEncryptionServices);
    CHECK(InterfaceName::parse("so-1/1/0")->to_string() == "so-1/1/0");
    CHECK(InterfaceName::parse("lo0")->kind == InterfaceKind::kLoopback);
    CHECK_FALSE(InterfaceName::parse("xe-0/0/0"));
    CHECK_FALSE(InterfaceName::parse("fe-0/0"));
    CHECK_FALSE(InterfaceName::parse("fe-9/0/0"));
    auto u = UnitName::parse("es-0/1/0.0");
    REQUIRE(u);
    CHECK(u->interface == "es-0/1/0");
    CHECK(UnitName::parse("lo0.16384")->unit == 16384);
    CHECK_FALSE(UnitName::parse("fe-0/0/0.x"));
}

TEST_CASE("internet checksum: RFC 1071 example and odd lengths") {
    // RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2; the checksum is its complement.
    const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK(internet_checksum(data) == static_cast<uint16_t>(~0xddf2));
    const uint8_t odd[] = {0x01, 0x02, 0x03};
    CHECK(internet_checksum(odd) == ref_checksum(odd, 3));
}

TEST_CASE("IPv4 header parse validates every field before trusting it") {
    Bytes good = ipv4(ip("10.1.1.10"), ip("10.2.2.10"), 1, Bytes(12, 0xab));
    auto parsed = Ipv4Header::parse(good);
    REQUIRE(parsed);
    CHECK(parsed.header->total_length == 32);
    CHECK(parsed.header->source == ip("10.1.1.10"));

    Bytes bad_sum = good;
    bad_sum[10] ^= 0xff;
    CHECK(Ipv4Header::parse(bad_sum).error == Ipv4Error::kBadChecksum);

    Bytes v6 = good;
    v6[0] = 0x65;
    CHECK(Ipv4Header::parse(v6).error == Ipv4Error::kBadVersion);

    Bytes short_ihl = good;
    short_ihl[0] = 0x44;
    CHECK(Ipv4Header::parse(short_ihl).error == Ipv4Error::kBadHeaderLength);

    CHECK(Ipv4Header::parse(std::span(good).first(19)).error == Ipv4Error::kTruncated);
    // Total length larger than the bytes we have.
    CHECK(Ipv4Header::parse(std::span(good).first(30)).error == Ipv4Error::kTruncated);
    Bytes small_total = good;
    put16(small_total, 2, 16);
    put16(small_total, 10, 0);
    put16(small_total, 10, ref_checksum(small_total.data(), 20));
    CHECK(Ipv4Header::parse(small_total).error == Ipv4Error::kBadTotalLength);

    // Options are skipped: header_length covers them.
    IpOptions o;
    o.option_bytes = 8;
    Bytes with_options = ipv4(ip("10.1.1.10"), ip("10.2.2.10"), 17, Bytes(8, 0), o);
    auto p2 = Ipv4Header::parse(with_options);
    REQUIRE(p2);
    CHECK(p2.header->header_length == 28);
}

TEST_CASE("TTL decrement patches the checksum incrementally (RFC 1624)") {
    for (uint8_t ttl : {uint8_t{2}, uint8_t{64}, uint8_t{255}, uint8_t{1}}) {
        Bytes b = ipv4(ip("192.0.2.1"), ip("198.51.100.7"), 17, Bytes(4, 0), {ttl, 0xffff, true});
        ipv4_decrement_ttl(b.data());
        CHECK(b[8] == static_cast<uint8_t>(ttl - 1));
        CHECK(ref_checksum(b.data(), 20) == 0);
    }
}

TEST_CASE("ICMP and UDP checksums agree with the reference implementation") {
    Bytes msg = icmp(8, 0, 0x4242, 7, Bytes(56, 0x5a));
    auto h = IcmpHeader::parse(msg);
    REQUIRE(h);
    CHECK(h->identifier() == 0x4242);
    CHECK(h->sequence() == 7);
    msg[20] ^= 1;
    CHECK_FALSE(IcmpHeader::parse(msg));
    CHECK_FALSE(IcmpHeader::parse(std::span(msg).first(7)));

    Bytes seg = udp(ip("10.0.0.1"), ip("10.0.0.2"), 500, 500, Bytes{1, 2, 3, 4, 5});
    CHECK(UdpHeader::parse(seg, ip("10.0.0.1"), ip("10.0.0.2")));
    CHECK_FALSE(UdpHeader::parse(seg, ip("10.0.0.1"), ip("10.0.0.3")));  // pseudo-header covers addresses
    Bytes mine(seg.size());
    std::copy(seg.begin() + 8, seg.end(), mine.begin() + 8);
    udp_write(mine, ip("10.0.0.1"), ip("10.0.0.2"), 500, 500);
    CHECK(mine == seg);
    Bytes bad_len = seg;
    put16(bad_len, 4, 200);
    CHECK_FALSE(UdpHeader::parse(bad_len, ip("10.0.0.1"), ip("10.0.0.2")));
    Bytes no_sum = seg;
    put16(no_sum, 6, 0);
    CHECK(UdpHeader::parse(no_sum, ip("10.0.0.1"), ip("10.0.0.2")));
}

TEST_CASE("ARP, Ethernet and Cisco HDLC codecs round-trip and reject bad input") {
    Bytes a = arp(1, mac("00:11:22:33:44:55"), ip("10.1.1.10"), MacAddress{}, ip("10.1.1.254"));
    auto m = ArpMessage::parse(a);
    REQUIRE(m);
    CHECK(m->operation == arp_op::kRequest);
    CHECK(m->target_ip == ip("10.1.1.254"));
    Bytes out(28);
    m->write(out.data());
    CHECK(out == a);
    CHECK_FALSE(ArpMessage::parse(std::span(a).first(27)));
    Bytes bad_op = a;
    put16(bad_op, 6, 3);
    CHECK_FALSE(ArpMessage::parse(bad_op));
    Bytes bad_hlen = a;
    bad_hlen[4] = 8;
    CHECK_FALSE(ArpMessage::parse(bad_hlen));

    CHECK_FALSE(EthernetHeader::parse(Bytes(13, 0)));
    const uint8_t hdlc[] = {0x0f, 0x00, 0x08, 0x00};
    auto hh = CiscoHdlcHeader::parse(hdlc);
    REQUIRE(hh);
    CHECK(hh->protocol == 0x0800);
    const uint8_t bad_hdlc[] = {0xff, 0x03, 0x00, 0x21};  // PPP-in-HDLC is not our framing
    CHECK_FALSE(CiscoHdlcHeader::parse(bad_hdlc));
}

TEST_CASE("packet buffers prepend into headroom and grow when it runs out") {
    Bytes payload{1, 2, 3};
    Packet p(payload, 4);
    uint8_t* front = p.push_front(4);
    CHECK(p.size() == 7);
    CHECK(front == p.data());
    CHECK(p.headroom() == 0);
    p.push_front(20);  // reallocates
    CHECK(p.size() == 27);
    CHECK(p.data()[24] == 1);
    CHECK(p.data()[26] == 3);
    CHECK(p.pull_front(24));
    CHECK(p.data()[0] == 1);
    CHECK_FALSE(p.pull_front(4));
    CHECK_FALSE(p.trim(4));
    CHECK(p.trim(2));
    Packet q = p.clone();
    CHECK(q.size() == 2);
    CHECK(q.data() != p.data());
}
