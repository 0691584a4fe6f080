// Fuzz target: arbitrary frames into the receive path of a router with Ethernet, Cisco HDLC and ES PIC
// interfaces, filters (including ipsec-sa), static routes and a bound UDP port configured.
//
// Input: a sequence of records [selector:1][length:2 big-endian][frame:length]. The selector's low two bits
// pick the interface (fe-0/0/0, fe-0/0/1, so-0/2/0, or the es- unit as a "decrypted" packet); bit 2 advances
// the clock by a second and runs timers after the frame. A short last record takes what is left.
#include <cstddef>
#include <cstdint>
#include <string>

#include "msim/dataplane/decode.hpp"
#include "msim/dataplane/engine.hpp"

using namespace msim::dataplane;

namespace {

// A trivial PIC: outbound wraps in IPv4/ESP-numbered header to the tunnel peer; inbound strips 24 bytes
// (header + SPI) and re-injects on the es- unit when the SPI is 2312.
struct LoopPic : ServicePic {
    void outbound(Packet&& p, const std::string&, PicContext& ctx) override {
        Packet out = std::move(p);
        store_be32(out.push_front(4), 2312);
        Ipv4Header h;
        h.total_length = static_cast<uint16_t>(out.size() + 20 > 65535 ? 65535 : out.size() + 20);
        h.protocol = ip_protocol::kEsp;
        h.source = Ipv4Address(10, 5, 5, 5);
        h.destination = Ipv4Address(10, 6, 6, 6);
        h.write(out.push_front(20));
        ctx.send_to_network(std::move(out));
    }
    bool inbound(Packet& p, PicContext& ctx) override {
        if (p.size() < 24 || load_be32(p.data() + 20) != 2312) {
            return false;
        }
        Packet inner(p.bytes().subspan(24));
        p = Packet();
        ctx.receive_from_pic(std::move(inner), "es-0/1/0.0");
        return true;
    }
    bool has_sa(const std::string& name) const override { return name == "sa1"; }
};

UnitConfig unit(const char* address, const char* destination = nullptr) {
    UnitConfig u;
    u.addresses.push_back({*Ipv4Prefix::parse(address),
                           destination ? Ipv4Address::parse(destination) : std::optional<Ipv4Address>()});
    return u;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    TimePoint now{};
    EngineOptions options;
    options.clock = [&now] { return now; };
    options.reassembly_max_pending = 8;
    ForwardingEngine e(options);
    LoopPic pic;
    size_t emitted = 0;
    e.set_frame_sink([&emitted](const std::string&, std::span<const uint8_t> f) { emitted += f.size(); });

    (void)e.add_interface("fe-0/0/0");
    (void)e.add_interface("fe-0/0/1");
    (void)e.add_interface("so-0/2/0");
    (void)e.add_interface("es-0/1/0");
    (void)e.add_interface("lo0");
    for (const char* i : {"fe-0/0/0", "fe-0/0/1", "so-0/2/0"}) {
        (void)e.set_link_up(i, true);
    }
    (void)e.set_mtu("so-0/2/0", 600);

    FirewallFilter encrypt{"encrypt", {}};
    FilterTerm t1;
    t1.name = "t1";
    t1.source_addresses = {{*Ipv4Prefix::parse("10.1.1.0/24"), false}};
    t1.destination_addresses = {{*Ipv4Prefix::parse("10.2.2.0/24"), false}};
    t1.action = FilterAction::kIpsecSa;
    t1.ipsec_sa = "sa1";
    FilterTerm t2;
    t2.name = "t2";
    t2.protocols = {6, 17};
    t2.destination_ports = {{23, 23}};
    t2.action = FilterAction::kReject;
    FilterTerm t3;
    t3.name = "t3";
    t3.count = "rest";
    encrypt.terms = {t1, t2, t3};
    (void)e.set_filter(encrypt);
    FirewallFilter decrypt{"decrypt", {}};
    FilterTerm d1;
    d1.name = "d1";
    d1.source_addresses = {{*Ipv4Prefix::parse("10.2.2.0/24"), false}};
    decrypt.terms = {d1};
    (void)e.set_filter(decrypt);

    UnitConfig lan = unit("10.1.1.254/24");
    lan.input_filter = "encrypt";
    (void)e.configure_unit("fe-0/0/1", lan);
    (void)e.configure_unit("fe-0/0/0", unit("10.5.5.5/24"));
    (void)e.configure_unit("so-0/2/0", unit("10.7.7.1/32", "10.7.7.2"));
    UnitConfig es = unit("10.1.1.8/32", "10.1.1.9");
    es.ipsec_sa = "sa1";
    es.input_filter = "decrypt";
    (void)e.configure_unit("es-0/1/0", es);
    (void)e.configure_unit("lo0", unit("192.168.255.1/32"));
    (void)e.attach_service_pic("es-0/1/0", &pic);
    (void)e.add_static_route({*Ipv4Prefix::parse("10.6.6.6/32"),
                              StaticRoute::Kind::kNextHop,
                              {{Ipv4Address::parse("10.5.5.1"), ""}},
                              5});
    (void)e.add_static_route({*Ipv4Prefix::parse("0.0.0.0/0"),
                              StaticRoute::Kind::kNextHop,
                              {{Ipv4Address::parse("10.7.7.2"), ""}},
                              5});
    (void)e.add_static_route(
        {*Ipv4Prefix::parse("10.3.0.0/16"), StaticRoute::Kind::kNextHop, {{std::nullopt, "es-0/1/0.0"}}, 5});
    (void)e.add_static_route({*Ipv4Prefix::parse("10.4.0.0/16"), StaticRoute::Kind::kReject, {}, 5});
    e.bind_udp(500, [](const UdpDatagram&) {});

    static const char* const kInterfaces[] = {"fe-0/0/0", "fe-0/0/1", "so-0/2/0"};
    size_t pos = 0;
    while (pos < size) {
        const uint8_t selector = data[pos++];
        size_t length = size - pos;
        if (size - pos >= 2) {
            const size_t declared = (size_t{data[pos]} << 8) | data[pos + 1];
            pos += 2;
            length = std::min(declared, size - pos);
        } else {
            pos = size;
            length = 0;
        }
        const std::span<const uint8_t> frame(data + pos, length);
        pos += length;
        const unsigned which = selector & 3u;
        // The monitor-traffic decoder must survive the same bytes.
        emitted += summarize_frame(which == 0 || which == 1 ? InterfaceKind::kFastEthernet
                                   : which == 2             ? InterfaceKind::kSonet
                                                            : InterfaceKind::kEncryptionServices,
                                   frame)
                       .size();
        if (which < 3) {
            e.receive(kInterfaces[which], frame);
        } else {
            e.receive_from_pic(Packet(frame), "es-0/1/0.0");
        }
        if ((selector & 4u) != 0) {
            now += std::chrono::seconds(1);
            e.tick();
        }
    }
    now += std::chrono::minutes(30);
    e.tick();
    // Exercise the show paths over whatever state the input built.
    (void)e.route_table();
    (void)e.forwarding_table();
    (void)e.arp_table();
    (void)e.interfaces();
    (void)e.firewall();
    e.detach_service_pic("es-0/1/0");
    return emitted == SIZE_MAX ? 1 : 0;
}
