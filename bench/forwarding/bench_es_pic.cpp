// ESP tunnel throughput of the whole forwarding path in one core: LAN frame in on fe-0/0/1, the encrypt
// filter's `then ipsec-sa`, the ES PIC model (EsPic over dataplane/ipsec), route lookup, Cisco HDLC frame out
// of so-0/2/0. Also the reverse (decrypt) direction: ESP frame in on so-0/2/0, ES PIC, the es- unit's policy
// filter, Ethernet out. Prints packets/s and Mbit/s of inner IPv4 traffic.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "msim/dataplane/engine.hpp"
#include "msim/dataplane/es_pic.hpp"

using namespace msim::dataplane;
namespace ipsec = msim::ipsec;

namespace {

std::vector<uint8_t> bytes(size_t n, uint8_t seed) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) {
        v[i] = static_cast<uint8_t>(seed + i * 7);
    }
    return v;
}

ipsec::SaConfig sa(ipsec::Direction dir, ipsec::Cipher cipher, uint32_t src, uint32_t dst) {
    ipsec::SaConfig c;
    c.name = "sa1";
    c.direction = dir;
    c.protocol = ipsec::Protocol::esp;
    c.spi = 0x1000;
    c.source = src;
    c.destination = dst;
    c.cipher = cipher;
    c.cipher_key = bytes(ipsec::key_length(cipher), 1);
    c.integrity = ipsec::Integrity::hmac_sha1_96;
    c.integrity_key = bytes(ipsec::key_length(ipsec::Integrity::hmac_sha1_96), 2);
    return c;
}

struct Gateway {
    ForwardingEngine e;
    EsPic pic{"es-0/1/0"};
    std::vector<uint8_t> last_so_frame;
    size_t frames = 0;

    explicit Gateway(ipsec::Cipher cipher) {
        (void)e.add_interface("fe-0/0/1");
        (void)e.add_interface("so-0/2/0");
        (void)e.add_interface("es-0/1/0");
        (void)e.set_link_up("fe-0/0/1", true);
        (void)e.set_link_up("so-0/2/0", true);
        FirewallFilter enc{"enc", {}};
        FilterTerm t;
        t.name = "t1";
        t.source_addresses = {{*Ipv4Prefix::parse("10.1.1.0/24"), false}};
        t.destination_addresses = {{*Ipv4Prefix::parse("10.2.2.0/24"), false}};
        t.action = FilterAction::kIpsecSa;
        t.ipsec_sa = "sa1";
        enc.terms = {t};
        (void)e.set_filter(enc);
        FirewallFilter dec{"dec", {}};
        FilterTerm d;
        d.name = "t1";
        d.source_addresses = {{*Ipv4Prefix::parse("10.2.2.0/24"), false}};
        dec.terms = {d};
        (void)e.set_filter(dec);
        UnitConfig lan;
        lan.addresses = {{*Ipv4Prefix::parse("10.1.1.254/24"), std::nullopt}};
        lan.input_filter = "enc";
        (void)e.configure_unit("fe-0/0/1", lan);
        UnitConfig so;
        so.addresses = {{*Ipv4Prefix::parse("10.5.5.5/32"), Ipv4Address(10, 6, 6, 6)}};
        (void)e.configure_unit("so-0/2/0", so);
        UnitConfig es;
        es.addresses = {{*Ipv4Prefix::parse("10.1.1.8/32"), Ipv4Address(10, 1, 1, 9)}};
        es.ipsec_sa = "sa1";
        es.input_filter = "dec";
        (void)e.configure_unit("es-0/1/0", es);
        (void)e.attach_service_pic("es-0/1/0", &pic);
        (void)pic.sa_backend().add_sa(sa(ipsec::Direction::outbound, cipher, 0x0a050505, 0x0a060606));
        (void)pic.sa_backend().add_sa(sa(ipsec::Direction::inbound, cipher, 0x0a060606, 0x0a050505));
        e.set_frame_sink([this](const std::string& ifname, std::span<const uint8_t> f) {
            ++frames;
            if (ifname == "so-0/2/0") {
                last_so_frame.assign(f.begin(), f.end());
            }
        });
        // Resolve host 10.1.1.10 on the LAN.
        const MacAddress host{{0x02, 0, 0, 0, 1, 10}};
        std::vector<uint8_t> arp(kEthernetHeaderSize + kArpSize);
        EthernetHeader{MacAddress::broadcast(), host, ethertype::kArp}.write(arp.data());
        ArpMessage{arp_op::kRequest, host, Ipv4Address(10, 1, 1, 10), {}, Ipv4Address(10, 1, 1, 254)}.write(
            arp.data() + kEthernetHeaderSize);
        e.receive("fe-0/0/1", arp);
    }
    ~Gateway() { e.detach_service_pic("es-0/1/0"); }
};

std::vector<uint8_t> lan_frame(MacAddress dst, size_t ip_size, Ipv4Address src, Ipv4Address to) {
    std::vector<uint8_t> f(kEthernetHeaderSize + ip_size);
    EthernetHeader{dst, MacAddress{{0x02, 0, 0, 0, 1, 10}}, ethertype::kIpv4}.write(f.data());
    Ipv4Header h;
    h.total_length = static_cast<uint16_t>(ip_size);
    h.protocol = ip_protocol::kUdp;
    h.source = src;
    h.destination = to;
    h.write(f.data() + kEthernetHeaderSize);
    udp_write(std::span(f).subspan(kEthernetHeaderSize + kIpv4MinHeader), src, to, 40000, 9);
    return f;
}

template <class F>
double rate(F&& once) {
    for (int i = 0; i < 2000; ++i) {
        once();
    }
    size_t n = 0;
    const auto start = std::chrono::steady_clock::now();
    std::chrono::duration<double> elapsed{0};
    while (elapsed.count() < 0.7) {
        for (int i = 0; i < 2000; ++i) {
            once();
        }
        n += 2000;
        elapsed = std::chrono::steady_clock::now() - start;
    }
    return static_cast<double>(n) / elapsed.count();
}

void run(const char* name, ipsec::Cipher cipher, size_t ip_size) {
    // Encrypt direction.
    Gateway g(cipher);
    const uint32_t fe = *g.e.interface_index("fe-0/0/1");
    const auto f = lan_frame(*g.e.interface("fe-0/0/1")->mac, ip_size, Ipv4Address(10, 1, 1, 10),
                             Ipv4Address(10, 2, 2, 10));
    g.frames = 0;
    const double enc = rate([&] { g.e.receive(fe, f); });
    const bool enc_ok =
        g.frames > 0 && !g.last_so_frame.empty() && g.last_so_frame[4 + 9] == ip_protocol::kEsp;

    // Decrypt direction: the peer's ESP packet, made once with the crypto library; manual SAs have no replay
    // window, so the same frame can be received again and again.
    ipsec::IpsecEngine peer;
    (void)peer.add_sa(sa(ipsec::Direction::outbound, cipher, 0x0a060606, 0x0a050505));
    const auto inner = lan_frame(MacAddress{}, ip_size, Ipv4Address(10, 2, 2, 10), Ipv4Address(10, 1, 1, 10));
    ipsec::Packet protected_packet{std::span<const uint8_t>(inner).subspan(kEthernetHeaderSize)};
    std::vector<uint8_t> esp;
    if (peer.protect("sa1", protected_packet).ok()) {
        esp.resize(kCiscoHdlcHeaderSize + protected_packet.size());
        CiscoHdlcHeader{cisco_hdlc::kUnicast, ethertype::kIpv4}.write(esp.data());
        std::memcpy(esp.data() + kCiscoHdlcHeaderSize, protected_packet.data(), protected_packet.size());
    }
    Gateway me(cipher);
    const uint32_t so = *me.e.interface_index("so-0/2/0");
    me.frames = 0;
    size_t received = 0;
    const double dec = esp.empty() ? 0 : rate([&] {
        me.e.receive(so, esp);
        ++received;
    });
    const bool dec_ok =
        received > 0 && me.frames == received && me.pic.counters().inbound_packets == received;

    std::printf("%-28s %5zu bytes  encrypt %8.0f pps %8.1f Mbit/s%s   decrypt %8.0f pps %8.1f Mbit/s%s\n",
                name, ip_size, enc, enc * ip_size * 8 / 1e6, enc_ok ? "" : " (FAILED)", dec,
                dec * ip_size * 8 / 1e6, dec_ok ? "" : " (FAILED)");
}

}  // namespace

int main() {
    std::printf("msim pfed ESP tunnel path (filter -> ES PIC -> route -> HDLC), one core, inner IP sizes\n");
    for (size_t size : {size_t{64}, size_t{512}, size_t{1400}}) {
        run("3des-cbc + hmac-sha1-96", ipsec::Cipher::des3_cbc, size);
        run("aes-128-cbc + hmac-sha1-96", ipsec::Cipher::aes128_cbc, size);
    }
    return 0;
}
