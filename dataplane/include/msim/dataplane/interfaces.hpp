// Interface names, kinds and the per-unit configuration the lead maps the committed config onto.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "msim/dataplane/types.hpp"

namespace msim::dataplane {

enum class InterfaceKind : uint8_t {
    kFastEthernet,        // fe-F/P/N
    kGigabitEthernet,     // ge-F/P/N
    kSonet,               // so-F/P/N, Cisco HDLC framing
    kEncryptionServices,  // es-F/P/N (ES PIC)
    kAdaptiveServices,    // sp-F/P/N (AS PIC)
    kLoopback,            // lo0
};

bool is_ethernet(InterfaceKind kind);
bool is_service(InterfaceKind kind);

// A physical interface name: "fe-0/0/1", "so-1/1/0", "lo0".
struct InterfaceName {
    InterfaceKind kind = InterfaceKind::kLoopback;
    uint8_t fpc = 0;
    uint8_t pic = 0;
    uint8_t port = 0;

    static std::optional<InterfaceName> parse(std::string_view text);
    std::string to_string() const;
};

// "fe-0/0/1.0" -> ("fe-0/0/1", 0). A name without ".N" is unit 0.
struct UnitName {
    std::string interface;
    uint32_t unit = 0;
    static std::optional<UnitName> parse(std::string_view text);
    std::string to_string() const;
};

// Why a packet was dropped. Every drop in the engine is counted under exactly one of these, globally and on
// the interface (and unit when known) where it happened.
enum class DropReason : uint8_t {
    kInterfaceDown,
    kNoUnit,            // frame for an interface without a usable unit 0 / family inet
    kTruncatedFrame,    // shorter than the link-layer header
    kNotForUs,          // Ethernet destination neither our MAC nor broadcast
    kUnknownEthertype,  // or unknown HDLC protocol
    kBadArp,
    kIpTruncated,
    kIpBadVersion,
    kIpBadHeaderLength,
    kIpBadTotalLength,
    kIpBadChecksum,
    kMartianSource,  // 0.0.0.0, broadcast, multicast or loopback source
    kTtlExpired,
    kNoRoute,
    kRouteDiscard,  // static route `discard` / `reject`
    kFilterDiscard,
    kFilterReject,
    kFilterMissing,  // a unit names a filter that does not exist: fail closed
    kArpTimeout,
    kArpQueueFull,
    kMtuExceeded,  // DF set and larger than the egress MTU
    kBadIcmp,
    kBadUdp,
    kUdpNoListener,
    kUnsupportedProtocol,  // local delivery of a protocol nobody handles
    kFragmentError,        // reassembly timeout, overlap, oversize, too many pending
    kNoServicePic,
    kIpsecNoSa,
    kCount,
};
inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);
// Stable, lower-case, dash-separated names ("ip-bad-checksum") for show output and logs.
std::string_view to_string(DropReason reason);

struct TrafficCounters {
    uint64_t input_packets = 0;
    uint64_t input_bytes = 0;
    uint64_t output_packets = 0;
    uint64_t output_bytes = 0;
    uint64_t input_errors = 0;  // malformed input (framing, header, checksum)
    uint64_t input_drops = 0;   // well-formed input dropped by policy or lack of a route
    uint64_t output_drops = 0;
    std::array<uint64_t, kDropReasonCount> drops_by_reason{};
    uint64_t icmp_errors_rate_limited = 0;  // global counters only: ICMP errors not sent (rate limit)

    uint64_t drops(DropReason reason) const { return drops_by_reason[static_cast<size_t>(reason)]; }
};

struct UnitAddress {
    Ipv4Prefix local;                        // 10.1.1.254/24, or 10.1.1.8/32 on point-to-point units
    std::optional<Ipv4Address> destination;  // `address A/32 { destination D; }`
    bool operator==(const UnitAddress&) const = default;
};

struct UnitConfig {
    uint32_t unit = 0;
    bool disabled = false;
    std::string description;
    std::vector<UnitAddress> addresses;  // first one is primary (source of ICMP errors and pings)
    std::string input_filter;
    std::string output_filter;
    // es-/sp- units: the SA this unit's traffic uses and the tunnel endpoints (for the ES PIC model).
    std::string ipsec_sa;
    std::optional<Ipv4Address> tunnel_source;
    std::optional<Ipv4Address> tunnel_destination;
    bool operator==(const UnitConfig&) const = default;  // pfed applies only the units that changed
};

struct StaticNextHop {
    std::optional<Ipv4Address> address;  // a gateway on a directly connected subnet
    std::string unit;                    // or a point-to-point / service unit ("es-0/1/0.0")
    bool operator==(const StaticNextHop&) const = default;
};

struct StaticRoute {
    enum class Kind : uint8_t { kNextHop, kDiscard, kReject };
    Ipv4Prefix destination;
    Kind kind = Kind::kNextHop;
    std::vector<StaticNextHop> next_hops;  // the first usable one is selected
    uint8_t preference = 5;
    bool operator==(const StaticRoute&) const = default;
};

}  // namespace msim::dataplane
