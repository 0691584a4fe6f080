// wires.conf parsing (bad lines skipped with their number) and a UDP wire on loopback between two engines.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "msim/dataplane/engine.hpp"
#include "msim/pfed/wires.hpp"

using namespace msim::pfed;
namespace dp = msim::dataplane;

namespace {

dp::UnitConfig unit0(const char* address) {
    dp::UnitConfig u;
    u.addresses.push_back({*dp::Ipv4Prefix::parse(address), std::nullopt});
    return u;
}
}  // namespace

TEST_CASE("wires.conf: the three kinds, comments and blank lines") {
    const auto f = parse_wires(R"(# interface  kind  arguments
fe-0/0/0 udp 127.0.0.1:40000 127.0.0.1:40001     # local, remote

fe-0/0/1 tap eth0 netns host-a
ge-1/1/0   tap   msimtap3
)");
    CHECK(f.errors.empty());
    REQUIRE(f.wires.size() == 3);
    CHECK(f.wires[0].interface == "fe-0/0/0");
    CHECK(f.wires[0].kind == WireSpec::Kind::kUdp);
    CHECK(f.wires[0].local.port() == 40000);
    CHECK(f.wires[0].remote.port() == 40001);
    CHECK(f.wires[0].remote.address().to_string() == "127.0.0.1");
    CHECK(f.wires[0].line == 2);
    CHECK(f.wires[1].kind == WireSpec::Kind::kTap);
    CHECK(f.wires[1].device == "eth0");
    CHECK(f.wires[1].netns == "host-a");
    CHECK(f.wires[2].device == "msimtap3");
    CHECK(f.wires[2].netns.empty());
    CHECK(f.wires[2].line == 5);
}

TEST_CASE("wires.conf: bad lines are reported with their number and skipped") {
    const auto f = parse_wires(R"(fe-0/0/0 udp 127.0.0.1:40000
fe-0/0/1 udp 127.0.0.1:70000 127.0.0.1:1
fe-0/0/2 udp 127.0.0.1:1 localhost:2
xe-0/0/0 tap eth0
es-0/1/0 tap eth0
fe-0/0/3 serial x
fe-0/0/3 tap eth0 namespace x
fe-0/0/3 tap averyveryverylongdevicename
fe-0/0/3 tap eth0 netns ../etc
so-0/2/0 udp 127.0.0.1:5 127.0.0.1:6
so-0/2/0 tap eth9
fe-0/0/3
ge-1/1/0 tap tap0
)",
                               "r1/wires.conf");
    REQUIRE(f.wires.size() == 2);
    CHECK(f.wires[0].interface == "so-0/2/0");
    CHECK(f.wires[1].interface == "ge-1/1/0");
    REQUIRE(f.errors.size() == 11);
    CHECK(f.errors[0].rfind("r1/wires.conf:1: ", 0) == 0);
    CHECK(f.errors[1].find(":2: invalid address:port '127.0.0.1:70000'") != std::string::npos);
    CHECK(f.errors[3].find(":4: 'xe-0/0/0' is not a media interface") != std::string::npos);
    CHECK(f.errors[9].find(":11: so-0/2/0 already has a wire") != std::string::npos);
    CHECK(f.errors[10].find(":12: missing wire kind") != std::string::npos);
    // Garbage never throws.
    const std::string junk("\0\xff\n udp udp udp\n\t#\n::::", 22);
    CHECK_NOTHROW(parse_wires(junk));
}

TEST_CASE("UDP wire: two engines on loopback ping each other through real sockets") {
    boost::asio::io_context io;
    dp::EngineOptions oa, ob;
    ob.base_mac.bytes[3] = 1;
    dp::ForwardingEngine a(oa), b(ob);
    for (auto* e : {&a, &b}) {
        REQUIRE(e->add_interface("fe-0/0/0").ok());
    }
    REQUIRE(a.configure_unit("fe-0/0/0", unit0("10.0.0.1/30")).ok());
    REQUIRE(b.configure_unit("fe-0/0/0", unit0("10.0.0.2/30")).ok());

    // Port 0 binds are not possible for the remote side's address, so pick free ports first.
    auto free_port = [&] {
        boost::asio::ip::udp::socket s(
            io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
        return s.local_endpoint().port();
    };
    const auto pa = free_port();
    auto pb = free_port();
    while (pb == pa) {
        pb = free_port();
    }
    const std::string text =
        "fe-0/0/0 udp 127.0.0.1:" + std::to_string(pa) + " 127.0.0.1:" + std::to_string(pb) + "\n";
    const std::string text_b =
        "fe-0/0/0 udp 127.0.0.1:" + std::to_string(pb) + " 127.0.0.1:" + std::to_string(pa) + "\n";
    const auto spec_a = parse_wires(text).wires.at(0);
    const auto spec_b = parse_wires(text_b).wires.at(0);
    std::string error;
    auto wire_a = open_wire(
        io, spec_a, [&](std::span<const uint8_t> f) { a.receive("fe-0/0/0", f); }, error);
    REQUIRE_MESSAGE(wire_a, error);
    auto wire_b = open_wire(
        io, spec_b, [&](std::span<const uint8_t> f) { b.receive("fe-0/0/0", f); }, error);
    REQUIRE_MESSAGE(wire_b, error);
    a.set_frame_sink([&](const std::string&, std::span<const uint8_t> f) { wire_a->send(f); });
    b.set_frame_sink([&](const std::string&, std::span<const uint8_t> f) { wire_b->send(f); });
    REQUIRE(a.set_link_up("fe-0/0/0", true).ok());
    REQUIRE(b.set_link_up("fe-0/0/0", true).ok());

    int replies = 0;
    a.set_icmp_handler([&](const dp::IcmpEvent& ev) {
        if (ev.header.type == 0 && ev.source == *dp::Ipv4Address::parse("10.0.0.2")) {
            ++replies;
        }
    });
    for (uint16_t seq = 1; seq <= 3; ++seq) {
        dp::EchoRequest req;
        req.destination = *dp::Ipv4Address::parse("10.0.0.2");
        req.identifier = 77;
        req.sequence = seq;
        a.send_echo_request(req);
    }
    boost::asio::steady_timer deadline(io, std::chrono::seconds(3));
    deadline.async_wait([&](auto) { io.stop(); });
    // Poll until the replies are in (ARP first: the first requests wait in the ARP queue).
    std::function<void()> poll;
    boost::asio::steady_timer step(io);
    poll = [&] {
        if (replies >= 3) {
            io.stop();
            return;
        }
        a.tick();
        b.tick();
        step.expires_after(std::chrono::milliseconds(10));
        step.async_wait([&](auto ec) {
            if (!ec) {
                poll();
            }
        });
    };
    poll();
    io.run();
    CHECK(replies == 3);
    CHECK(wire_a->frames_sent() >= 4);  // ARP request and three echo requests
    CHECK(wire_b->frames_received() >= 4);
    CHECK(a.arp_table().size() == 1);
    CHECK(b.interface("fe-0/0/0")->counters.input_packets >= 4);

    // clear arp / clear interfaces statistics (per interface) added for pfed's RPCs.
    a.clear_arp_table();
    CHECK(a.arp_table().empty());
    b.clear_interface_counters("fe-0/0/1");  // another interface: fe-0/0/0 keeps its counters
    CHECK(b.interface("fe-0/0/0")->counters.input_packets >= 4);
    b.clear_interface_counters("fe-0/0/0");
    CHECK(b.interface("fe-0/0/0")->counters.input_packets == 0);
}
