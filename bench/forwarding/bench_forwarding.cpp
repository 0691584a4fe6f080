// Forwarding rate of the dataplane in one core, in-process: UDP/IPv4 packets of 64 and 1400 bytes (IP total
// length) received on fe-0/0/1 and forwarded out of fe-0/0/0 to a resolved neighbour, with and without
// 10,000 extra static routes in the table, and with an input filter of 10 terms. Prints packets/s and Mbit/s.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "msim/dataplane/engine.hpp"

using namespace msim::dataplane;

namespace {

std::vector<uint8_t> frame(MacAddress dst, MacAddress src, size_t ip_size) {
    std::vector<uint8_t> f(kEthernetHeaderSize + ip_size);
    EthernetHeader{dst, src, ethertype::kIpv4}.write(f.data());
    Ipv4Header h;
    h.total_length = static_cast<uint16_t>(ip_size);
    h.ttl = 64;
    h.protocol = ip_protocol::kUdp;
    h.source = Ipv4Address(10, 1, 1, 10);
    h.destination = Ipv4Address(10, 0, 0, 2);
    h.write(f.data() + kEthernetHeaderSize);
    auto seg = std::span(f).subspan(kEthernetHeaderSize + kIpv4MinHeader);
    udp_write(seg, h.source, h.destination, 40000, 9);
    return f;
}

struct Setup {
    ForwardingEngine e;
    size_t out_frames = 0;
    size_t out_bytes = 0;
    MacAddress lan_mac;

    explicit Setup(size_t extra_routes, bool with_filter) {
        (void)e.add_interface("fe-0/0/0");
        (void)e.add_interface("fe-0/0/1");
        (void)e.set_link_up("fe-0/0/0", true);
        (void)e.set_link_up("fe-0/0/1", true);
        UnitConfig up;
        up.addresses.push_back({*Ipv4Prefix::parse("10.0.0.1/24"), std::nullopt});
        UnitConfig lan;
        lan.addresses.push_back({*Ipv4Prefix::parse("10.1.1.254/24"), std::nullopt});
        if (with_filter) {
            FirewallFilter f{"bench", {}};
            for (int i = 0; i < 9; ++i) {
                FilterTerm t;
                t.name = "t" + std::to_string(i);
                t.source_addresses = {
                    {Ipv4Prefix{Ipv4Address(172, 16, static_cast<uint8_t>(i), 0), 24}, false}};
                t.protocols = {6};
                t.destination_ports = {{80, 80}};
                t.action = FilterAction::kDiscard;
                f.terms.push_back(t);
            }
            FilterTerm last;
            last.name = "accept";
            last.count = "accepted";
            f.terms.push_back(last);
            (void)e.set_filter(f);
            lan.input_filter = "bench";
        }
        (void)e.configure_unit("fe-0/0/0", up);
        (void)e.configure_unit("fe-0/0/1", lan);
        for (size_t i = 0; i < extra_routes; ++i) {
            const uint32_t net = 0x14000000u + static_cast<uint32_t>(i << 8);  // 20.0.0.0/24 upwards
            (void)e.add_static_route({Ipv4Prefix{Ipv4Address(net), 24},
                                      StaticRoute::Kind::kNextHop,
                                      {{Ipv4Address(10, 0, 0, 3), ""}},
                                      5});
        }
        e.set_frame_sink([this](const std::string&, std::span<const uint8_t> f) {
            ++out_frames;
            out_bytes += f.size();
        });
        // Resolve the neighbour 10.0.0.2 with an ARP request from it.
        const MacAddress nbr{{0x02, 0, 0, 0, 0, 2}};
        std::vector<uint8_t> arp(kEthernetHeaderSize + kArpSize);
        EthernetHeader{MacAddress::broadcast(), nbr, ethertype::kArp}.write(arp.data());
        ArpMessage{arp_op::kRequest, nbr, Ipv4Address(10, 0, 0, 2), {}, Ipv4Address(10, 0, 0, 1)}.write(
            arp.data() + kEthernetHeaderSize);
        e.receive("fe-0/0/0", arp);
        lan_mac = *e.interface("fe-0/0/1")->mac;
    }
};

void run(const char* label, size_t ip_size, size_t extra_routes, bool with_filter) {
    Setup s(extra_routes, with_filter);
    const auto f = frame(s.lan_mac, MacAddress{{0x02, 0, 0, 0, 1, 10}}, ip_size);
    const uint32_t ifindex = *s.e.interface_index("fe-0/0/1");
    for (int i = 0; i < 10000; ++i) {  // warm up
        s.e.receive(ifindex, f);
    }
    s.out_frames = 0;
    size_t n = 0;
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = std::chrono::duration<double>(0);
    while (elapsed.count() < 1.0) {
        for (int i = 0; i < 20000; ++i) {
            s.e.receive(ifindex, f);
        }
        n += 20000;
        elapsed = std::chrono::steady_clock::now() - start;
    }
    if (s.out_frames != n) {
        std::printf("ERROR: %zu packets in, %zu out\n", n, s.out_frames);
    }
    const double pps = static_cast<double>(n) / elapsed.count();
    std::printf("%-44s %5zu bytes  %10.0f pps  %8.1f Mbit/s\n", label, ip_size, pps, pps * ip_size * 8 / 1e6);
}

}  // namespace

int main() {
    std::printf("msim dataplane forwarding benchmark (one core, in-process, IP packet sizes)\n");
    {
        // Configuration cost: 10,000 static routes added, then the RIB/FIB rebuilt once (lazily).
        const auto t0 = std::chrono::steady_clock::now();
        Setup s(10000, false);
        const auto t1 = std::chrono::steady_clock::now();
        (void)s.e.add_static_route({Ipv4Prefix{Ipv4Address(30, 0, 0, 0), 8},
                                    StaticRoute::Kind::kNextHop,
                                    {{Ipv4Address(10, 0, 0, 3), ""}},
                                    5});
        const auto t2 = std::chrono::steady_clock::now();
        (void)s.e.route_lookup(Ipv4Address(30, 1, 1, 1));  // triggers the rebuild
        const auto t3 = std::chrono::steady_clock::now();
        std::printf("setup with 10,000 static routes: %.1f ms; one more route + rebuild of 10,005: %.1f ms\n",
                    std::chrono::duration<double, std::milli>(t1 - t0).count(),
                    std::chrono::duration<double, std::milli>(t3 - t2).count());
    }
    for (size_t size : {size_t{64}, size_t{1400}}) {
        run("fe->fe, 4 routes", size, 0, false);
        run("fe->fe, 10,004 routes", size, 10000, false);
        run("fe->fe, 10,004 routes, 10-term input filter", size, 10000, true);
    }
    return 0;
}
