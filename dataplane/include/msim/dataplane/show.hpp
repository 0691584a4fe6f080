// Plain data for the operational commands (`show interfaces`, `show arp`, `show route`, `show route
// forwarding-table`, `show firewall`); the CLI renders them, pfed turns them into RPC replies.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "msim/dataplane/interfaces.hpp"
#include "msim/dataplane/types.hpp"

namespace msim::dataplane {

struct AddressInfo {
    Ipv4Prefix local;                        // as configured: 10.1.1.254/24
    std::optional<Ipv4Address> destination;  // point-to-point peer
    Ipv4Prefix subnet;                       // Destination: 10.1.1/24 in `show interfaces` detail
    std::optional<Ipv4Address> broadcast;    // absent on /31, /32 and point-to-point
    bool primary = false;
};

struct LogicalInterfaceInfo {
    std::string name;  // fe-0/0/1.0
    uint32_t index = 0;
    uint32_t snmp_index = 0;
    std::string description;
    bool admin_up = true;  // not `disable`d
    bool link_up = false;  // effective: physical admin+link up and unit enabled
    bool point_to_point = false;
    uint32_t inet_mtu = 0;
    std::vector<AddressInfo> addresses;
    std::string input_filter;
    std::string output_filter;
    std::string ipsec_sa;
    std::optional<Ipv4Address> tunnel_source;
    std::optional<Ipv4Address> tunnel_destination;
    TrafficCounters counters;
};

struct PhysicalInterfaceInfo {
    std::string name;  // fe-0/0/1
    InterfaceKind kind = InterfaceKind::kLoopback;
    std::string type;             // "Ethernet", "SONET", "IPSec", "Adaptive-Services", "Loopback"
    std::string link_level_type;  // "Ethernet", "Cisco-HDLC", "IPSec", "Adaptive-Services", "Unspecified"
    std::string speed;            // "100mbps", "1000mbps", "OC3", "800mbps", "Unspecified"
    uint32_t index = 0;
    uint32_t snmp_index = 0;
    bool admin_up = true;
    bool link_up = false;
    uint32_t mtu = 0;
    std::optional<MacAddress> mac;  // Ethernet only
    std::chrono::seconds since_last_flap{0};
    bool service_pic_attached = false;
    TrafficCounters counters;
    std::vector<LogicalInterfaceInfo> units;
};

struct ArpEntryInfo {
    MacAddress mac;
    Ipv4Address address;
    std::string interface;  // logical: fe-0/0/1.0
    std::chrono::seconds expires_in{0};
};

enum class RouteProtocol : uint8_t { kDirect, kLocal, kStatic };
std::string_view to_string(RouteProtocol protocol);  // "Direct", "Local", "Static"

struct RouteNextHopInfo {
    enum class Kind : uint8_t { kForward, kLocal, kDiscard, kReject };
    Kind kind = Kind::kForward;
    std::optional<Ipv4Address> to;  // gateway; absent for direct routes
    std::string via;                // logical interface
    bool selected = false;          // the `>` mark
};

struct RouteInfo {
    Ipv4Prefix destination;
    RouteProtocol protocol = RouteProtocol::kDirect;
    uint8_t preference = 0;
    bool active = false;  // the `*` mark
    std::chrono::seconds age{0};
    std::vector<RouteNextHopInfo> next_hops;
};

struct RouteTableInfo {
    std::string name = "inet.0";
    size_t destinations = 0;
    size_t total_routes = 0;
    size_t active_routes = 0;
    size_t holddown_routes = 0;
    size_t hidden_routes = 0;       // static routes whose next hop does not resolve
    std::vector<RouteInfo> routes;  // by destination, then preference; hidden ones included (active=false)
};

// One row of `show route forwarding-table`.
struct ForwardingEntryInfo {
    Ipv4Prefix destination;
    std::string type;           // perm, intf, dest, user
    std::string next_hop;       // address or MAC, may be empty
    std::string next_hop_type;  // ucst, locl, rslv, recv, bcst, dscd, rjct, hold
    uint32_t next_hop_index = 0;
    std::string netif;  // logical interface, may be empty
};

struct CounterInfo {
    std::string name;
    uint64_t packets = 0;
    uint64_t bytes = 0;
};

struct FirewallFilterInfo {
    std::string name;
    std::vector<CounterInfo> counters;  // `count NAME` counters, by name (what `show firewall` prints)
    std::vector<CounterInfo> terms;     // every term's match count, in term order
    uint64_t implicit_discard_packets = 0;
    uint64_t implicit_discard_bytes = 0;
};

}  // namespace msim::dataplane
