// Stateless firewall filters (family inet) in Junos semantics: terms evaluated in order, the first term whose
// `from` conditions all match decides; a packet that matches no term is discarded (the implicit final
// discard of every Junos filter).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "msim/dataplane/types.hpp"

namespace msim::dataplane {

// One entry of a source-address/destination-address list. Junos picks the longest entry that contains the
// address; when that entry is marked `except`, the condition does not match.
struct AddressMatch {
    Ipv4Prefix prefix;
    bool except = false;
    bool operator==(const AddressMatch&) const = default;
};

struct PortRange {
    uint16_t low = 0;
    uint16_t high = 0;
    bool contains(uint16_t port) const { return port >= low && port <= high; }
    bool operator==(const PortRange&) const = default;
};

// "80", "1024-65535", or a Junos port name ("http", "ssh", "ntp", ...). See README for the accepted names.
std::optional<PortRange> parse_port_range(std::string_view text);
std::optional<uint16_t> port_by_name(std::string_view name);
// "17" or a Junos protocol name ("icmp", "tcp", "udp", "esp", "ah", "gre", "ospf", ...).
std::optional<uint8_t> parse_ip_protocol(std::string_view text);

enum class FilterAction : uint8_t { kAccept, kDiscard, kReject, kIpsecSa };
std::string_view to_string(FilterAction action);

// The ICMP unreachable code sent by `reject`; `reject` alone sends administratively-prohibited (code 13).
// Accepted names: administratively-prohibited, network-unreachable, host-unreachable, protocol-unreachable,
// port-unreachable, or a number 0..15.
std::optional<uint8_t> parse_reject_message(std::string_view text);

struct FilterTerm {
    std::string name;
    // `from`: every non-empty list must match (an empty list matches anything).
    std::vector<AddressMatch> source_addresses;
    std::vector<AddressMatch> destination_addresses;
    std::vector<uint8_t> protocols;
    // Port conditions only match TCP/UDP packets that carry ports (not later fragments).
    std::vector<PortRange> source_ports;
    std::vector<PortRange> destination_ports;
    // `then`: a term without a terminating action accepts.
    FilterAction action = FilterAction::kAccept;
    uint8_t reject_code = 13;
    std::string ipsec_sa;  // for kIpsecSa
    std::string count;     // named counter, empty for none
    bool operator==(const FilterTerm&) const = default;
};

struct FirewallFilter {
    std::string name;
    std::vector<FilterTerm> terms;
    bool operator==(const FirewallFilter&) const = default;
};

// What a filter looks at: the IPv4 5-tuple (ports only when `has_ports`).
struct FlowKey {
    Ipv4Address source;
    Ipv4Address destination;
    uint8_t protocol = 0;
    bool has_ports = false;
    uint16_t source_port = 0;
    uint16_t destination_port = 0;
};

bool term_matches(const FilterTerm& term, const FlowKey& flow);

// Returns a human message for each problem (empty term name, duplicate term names, ipsec-sa without an SA
// name, reversed port range, ...); empty when the filter is valid.
std::vector<std::string> validate_filter(const FirewallFilter& filter);

}  // namespace msim::dataplane
