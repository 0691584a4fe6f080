// A router with fe-0/0/0 (10.0.0.1/24, "upstream") and fe-0/0/1 (10.1.1.254/24, "LAN"), links up, frames
// captured; hosts on both sides are played by hand-built frames.
#pragma once

#include "helpers.hpp"

namespace msim::dataplane::test {

inline const MacAddress kHostLan = *MacAddress::parse("02:00:00:00:01:0a");
inline const MacAddress kHostUp = *MacAddress::parse("02:00:00:00:00:02");

struct RouterFixture {
    ManualClock clock;
    ForwardingEngine e;
    Capture cap;

    static EngineOptions options(ManualClock& c) {
        EngineOptions o;
        o.clock = c.fn();
        return o;
    }

    RouterFixture() : e(options(clock)) {
        REQUIRE(e.add_interface("fe-0/0/0").ok());
        REQUIRE(e.add_interface("fe-0/0/1").ok());
        REQUIRE(e.configure_unit("fe-0/0/0", unit0("10.0.0.1/24")).ok());
        REQUIRE(e.configure_unit("fe-0/0/1", unit0("10.1.1.254/24")).ok());
        REQUIRE(e.set_link_up("fe-0/0/0", true).ok());
        REQUIRE(e.set_link_up("fe-0/0/1", true).ok());
        e.set_frame_sink(cap.sink());
    }

    MacAddress mac_of(const char* ifname) { return *e.interface(ifname)->mac; }

    // The host announces itself (an ARP request for the router), so the router knows its MAC.
    void introduce(const char* ifname, MacAddress host, const char* host_ip, const char* router_ip) {
        e.receive(ifname, ethernet(MacAddress::broadcast(), host, 0x0806,
                                   arp(1, host, ip(host_ip), MacAddress{}, ip(router_ip))));
    }

    // An IPv4 datagram from a host on `ifname` to the router's MAC.
    void from_host(const char* ifname, MacAddress host, const Bytes& datagram) {
        e.receive(ifname, ethernet(mac_of(ifname), host, 0x0800, datagram));
    }

    std::vector<Bytes> frames_on(const std::string& ifname) const {
        std::vector<Bytes> out;
        for (const auto& [i, f] : cap.frames) {
            if (i == ifname) {
                out.push_back(f);
            }
        }
        return out;
    }

    uint64_t drops(DropReason r) const { return e.global_counters().drops(r); }
};

}  // namespace msim::dataplane::test
