// Forwarding rate of the pfed daemon itself, across two interfaces on real wires: a router is started with
// UDP wires on fe-0/0/0 and fe-0/0/1 (wires.conf), this program is the neighbour on both wires, sends
// UDP/IPv4 packets of 64 and 1400 bytes (IP total length) into fe-0/0/0 and counts what pfed forwards out
// of fe-0/0/1. pfed is one thread (one core); this process uses the other. Prints packets/s and the ratio
// to the reference named in the output: the same engine in-process (no wires, no sockets), which is
// the ceiling the daemon's I/O path is measured against.
//
//   bench_pfed_wire MSIM_BINARY [SECONDS]
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "msim/dataplane/engine.hpp"

using namespace msim::dataplane;
using boost::asio::ip::udp;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const MacAddress kNeighbourA{{0x02, 0, 0, 0, 0xa, 1}};
const MacAddress kNeighbourB{{0x02, 0, 0, 0, 0xb, 1}};
const Ipv4Address kHostA(10, 0, 1, 2), kRouterA(10, 0, 1, 1), kHostB(10, 0, 2, 2);

std::vector<uint8_t> udp_frame(MacAddress dst, MacAddress src, size_t ip_size) {
    std::vector<uint8_t> f(kEthernetHeaderSize + ip_size);
    EthernetHeader{dst, src, ethertype::kIpv4}.write(f.data());
    Ipv4Header h;
    h.total_length = static_cast<uint16_t>(ip_size);
    h.ttl = 64;
    h.protocol = ip_protocol::kUdp;
    h.source = kHostA;
    h.destination = kHostB;
    h.write(f.data() + kEthernetHeaderSize);
    udp_write(std::span(f).subspan(kEthernetHeaderSize + kIpv4MinHeader), h.source, h.destination, 40000, 9);
    return f;
}

std::vector<uint8_t> arp_frame(uint16_t op, MacAddress dst_mac, MacAddress src, Ipv4Address sender,
                               MacAddress target_mac, Ipv4Address target) {
    std::vector<uint8_t> f(kEthernetHeaderSize + kArpSize);
    EthernetHeader{dst_mac, src, ethertype::kArp}.write(f.data());
    ArpMessage{op, src, sender, target_mac, target}.write(f.data() + kEthernetHeaderSize);
    return f;
}

uint16_t free_udp_port(boost::asio::io_context& io) {
    udp::socket s(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    return s.local_endpoint().port();
}

int run(const std::string& command) {
    const int rc = std::system(command.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

// Receives one datagram within `timeout`, or nothing.
std::optional<std::vector<uint8_t>> receive(udp::socket& s, std::chrono::milliseconds timeout) {
    std::vector<uint8_t> buf(2048);
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        boost::system::error_code ec;
        const size_t n = s.receive(boost::asio::buffer(buf), 0, ec);
        if (!ec) {
            buf.resize(n);
            return buf;
        }
        if (ec != boost::asio::error::would_block) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

// The in-process reference: the same packets through a ForwardingEngine with no I/O.
double in_process_pps(size_t ip_size, double seconds) {
    ForwardingEngine e;
    for (const char* ifname : {"fe-0/0/0", "fe-0/0/1"}) {
        (void)e.add_interface(ifname);
        (void)e.set_link_up(ifname, true);
    }
    UnitConfig a, b;
    a.addresses.push_back({*Ipv4Prefix::parse("10.0.1.1/24"), std::nullopt});
    b.addresses.push_back({*Ipv4Prefix::parse("10.0.2.1/24"), std::nullopt});
    (void)e.configure_unit("fe-0/0/0", a);
    (void)e.configure_unit("fe-0/0/1", b);
    size_t out = 0;
    e.set_frame_sink([&](const std::string&, std::span<const uint8_t>) { ++out; });
    e.receive("fe-0/0/1", arp_frame(arp_op::kRequest, MacAddress::broadcast(), kNeighbourB, kHostB, {},
                                    Ipv4Address(10, 0, 2, 1)));
    const auto f = udp_frame(*e.interface("fe-0/0/0")->mac, kNeighbourA, ip_size);
    const uint32_t ifindex = *e.interface_index("fe-0/0/0");
    size_t n = 0;
    const auto start = Clock::now();
    std::chrono::duration<double> elapsed{0};
    while (elapsed.count() < seconds) {
        for (int i = 0; i < 10000; ++i) {
            e.receive(ifindex, f);
        }
        n += 10000;
        elapsed = Clock::now() - start;
    }
    return static_cast<double>(out) / elapsed.count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_pfed_wire MSIM_BINARY [SECONDS]\n");
        return 2;
    }
    const std::string msim = fs::absolute(argv[1]).string();
    const double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
    char tmpl[] = "/tmp/msim-bench-pfed.XXXXXX";
    const fs::path home = ::mkdtemp(tmpl);
    ::setenv("MSIM_HOME", home.c_str(), 1);
    const fs::path router = home / "bench";
    fs::create_directories(router);

    boost::asio::io_context io;
    const auto lo = boost::asio::ip::make_address("127.0.0.1");
    const uint16_t router_a = free_udp_port(io), router_b = free_udp_port(io);
    udp::socket wire_a(io, udp::endpoint(lo, 0)), wire_b(io, udp::endpoint(lo, 0));
    wire_a.connect(udp::endpoint(lo, router_a));
    wire_b.connect(udp::endpoint(lo, router_b));
    wire_a.non_blocking(true);
    wire_b.non_blocking(true);
    for (auto* s : {&wire_a, &wire_b}) {
        s->set_option(boost::asio::socket_base::receive_buffer_size(4 << 20));
    }
    std::ofstream(router / "wires.conf")
        << "fe-0/0/0 udp 127.0.0.1:" << router_a << " 127.0.0.1:" << wire_a.local_endpoint().port() << "\n"
        << "fe-0/0/1 udp 127.0.0.1:" << router_b << " 127.0.0.1:" << wire_b.local_endpoint().port() << "\n";
    int status = 1;
    if (run("'" + msim + "' start --router bench >/dev/null") != 0 ||
        run("'" + msim +
            "' cli --router bench -c 'configure; set interfaces fe-0/0/0 unit 0 family inet address "
            "10.0.1.1/24; "
            "set interfaces fe-0/0/1 unit 0 family inet address 10.0.2.1/24; commit and-quit' >/dev/null") !=
            0) {
        std::fprintf(stderr, "could not start and configure the router (see %s/bench/var/log)\n",
                     home.c_str());
    } else {
        // The router's MAC on wire A (it answers ARP once the PIC is online and the commit applied).
        std::optional<MacAddress> router_mac;
        for (int i = 0; i < 200 && !router_mac; ++i) {
            wire_a.send(boost::asio::buffer(
                arp_frame(arp_op::kRequest, MacAddress::broadcast(), kNeighbourA, kHostA, {}, kRouterA)));
            while (auto f = receive(wire_a, std::chrono::milliseconds(100))) {
                auto eth = EthernetHeader::parse(*f);
                if (eth && eth->ethertype == ethertype::kArp) {
                    auto arp = ArpMessage::parse(std::span(*f).subspan(kEthernetHeaderSize));
                    if (arp && arp->operation == arp_op::kReply && arp->sender_ip == kRouterA) {
                        router_mac = arp->sender_mac;
                        break;
                    }
                }
            }
        }
        if (!router_mac) {
            std::fprintf(stderr, "the router never answered ARP on fe-0/0/0\n");
        } else {
            std::printf("msim pfed forwarding benchmark: fe-0/0/0 -> fe-0/0/1 over UDP wires on loopback\n");
            std::printf("reference: the same forwarding engine in-process, without wires (its ceiling)\n");
            status = 0;
            for (size_t size : {size_t{64}, size_t{1400}}) {
                const auto frame = udp_frame(*router_mac, kNeighbourA, size);
                // Prime: the router asks for 10.0.2.2 on wire B; answer, then it forwards.
                bool resolved = false;
                for (int i = 0; i < 50 && !resolved; ++i) {
                    wire_a.send(boost::asio::buffer(frame));
                    while (auto f = receive(wire_b, std::chrono::milliseconds(100))) {
                        auto eth = EthernetHeader::parse(*f);
                        if (eth && eth->ethertype == ethertype::kArp) {
                            auto arp = ArpMessage::parse(std::span(*f).subspan(kEthernetHeaderSize));
                            if (arp && arp->operation == arp_op::kRequest && arp->target_ip == kHostB) {
                                wire_b.send(boost::asio::buffer(arp_frame(arp_op::kReply, arp->sender_mac,
                                                                          kNeighbourB, kHostB,
                                                                          arp->sender_mac, arp->sender_ip)));
                            }
                        } else if (eth && eth->ethertype == ethertype::kIpv4) {
                            resolved = true;
                        }
                    }
                }
                // A window of packets in flight keeps the socket buffers from overflowing: the rate is
                // what pfed sustains, not what the kernel drops.
                // In flight at most ~64 KB: pfed's socket keeps the kernel's default receive buffer, and
                // a datagram it drops costs this loop a 50 ms wait.
                const size_t window = std::clamp<size_t>(65536 / (size + 200), 8, 128);
                size_t sent = 0, received = 0, in_flight = 0;
                std::vector<uint8_t> buf(2048);
                const auto start = Clock::now();
                std::chrono::duration<double> elapsed{0};
                while (elapsed.count() < seconds) {
                    while (in_flight < window) {
                        wire_a.send(boost::asio::buffer(frame));
                        ++sent;
                        ++in_flight;
                    }
                    boost::system::error_code ec;
                    size_t got = 0;
                    while (wire_b.receive(boost::asio::buffer(buf), 0, ec), !ec) {
                        ++got;
                    }
                    if (got == 0) {
                        if (auto f = receive(wire_b, std::chrono::milliseconds(50))) {
                            got = 1;
                        } else {
                            in_flight = 0;  // lost in the window: start a new one
                        }
                    }
                    received += got;
                    in_flight -= std::min(in_flight, got);
                    elapsed = Clock::now() - start;
                }
                const double pps = static_cast<double>(received) / elapsed.count();
                const double reference = in_process_pps(size, 1.0);
                std::printf(
                    "%5zu bytes  pfed %9.0f pps  %7.1f Mbit/s  (%zu sent, %.2f%% lost)  in-process %9.0f pps"
                    "  ratio %.3f\n",
                    size, pps, pps * static_cast<double>(size) * 8 / 1e6, sent,
                    sent ? 100.0 * static_cast<double>(sent - received) / static_cast<double>(sent) : 0.0,
                    reference, pps / reference);
            }
        }
    }
    run("'" + msim + "' stop --router bench >/dev/null 2>&1");
    fs::remove_all(home);
    return status;
}
