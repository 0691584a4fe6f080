#include "msim/dataplane/firewall.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

namespace msim::dataplane {

namespace {

template <class T>
std::optional<T> parse_number(std::string_view text, T max) {
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value > max) {
        return std::nullopt;
    }
    return static_cast<T>(value);
}

// The port keywords of Junos `firewall family inet filter ... from source-port/destination-port`.
constexpr std::pair<std::string_view, uint16_t> kPortNames[] = {
    {"afs", 1483},           {"bgp", 179},         {"biff", 512},        {"bootpc", 68},
    {"bootps", 67},          {"cmd", 514},         {"cvspserver", 2401}, {"dhcp", 67},
    {"domain", 53},          {"eklogin", 2105},    {"ekshell", 2106},    {"exec", 512},
    {"finger", 79},          {"ftp", 21},          {"ftp-data", 20},     {"http", 80},
    {"https", 443},          {"ident", 113},       {"imap", 143},        {"kerberos-sec", 88},
    {"klogin", 543},         {"kpasswd", 761},     {"krb-prop", 754},    {"krbupdate", 760},
    {"kshell", 544},         {"ldap", 389},        {"ldp", 646},         {"login", 513},
    {"mobileip-agent", 434}, {"mobilip-mn", 435},  {"msdp", 639},        {"netbios-dgm", 138},
    {"netbios-ns", 137},     {"netbios-ssn", 139}, {"nfsd", 2049},       {"nntp", 119},
    {"ntalk", 518},          {"ntp", 123},         {"pop3", 110},        {"pptp", 1723},
    {"printer", 515},        {"radacct", 1813},    {"radius", 1812},     {"rip", 520},
    {"rkinit", 2108},        {"smtp", 25},         {"snmp", 161},        {"snmptrap", 162},
    {"snpp", 444},           {"socks", 1080},      {"ssh", 22},          {"sunrpc", 111},
    {"syslog", 514},         {"tacacs", 49},       {"tacacs-ds", 65},    {"talk", 517},
    {"telnet", 23},          {"tftp", 69},         {"timed", 525},       {"who", 513},
    {"xdmcp", 177},          {"zephyr-clt", 2103}, {"zephyr-hm", 2104},  {"zephyr-srv", 2102},
};

constexpr std::pair<std::string_view, uint8_t> kProtocolNames[] = {
    {"ah", 51},   {"egp", 8},    {"esp", 50},  {"gre", 47},  {"icmp", 1},
    {"igmp", 2},  {"ipip", 4},   {"ipv6", 41}, {"ospf", 89}, {"pim", 103},
    {"rsvp", 46}, {"sctp", 132}, {"tcp", 6},   {"udp", 17},  {"vrrp", 112},
};

constexpr std::pair<std::string_view, uint8_t> kRejectMessages[] = {
    {"network-unreachable", 0},   {"host-unreachable", 1},
    {"protocol-unreachable", 2},  {"port-unreachable", 3},
    {"fragmentation-needed", 4},  {"source-route-failed", 5},
    {"network-unknown", 6},       {"host-unknown", 7},
    {"source-host-isolated", 8},  {"network-prohibited", 9},
    {"host-prohibited", 10},      {"bad-network-tos", 11},
    {"bad-host-tos", 12},         {"administratively-prohibited", 13},
    {"precedence-violation", 14}, {"precedence-cutoff", 15},
};

// Junos semantics for address lists: the longest entry containing the address decides; `except` on that
// entry turns it into a non-match.
bool address_list_matches(const std::vector<AddressMatch>& list, Ipv4Address address) {
    if (list.empty()) {
        return true;
    }
    const AddressMatch* best = nullptr;
    for (const auto& entry : list) {
        if (entry.prefix.contains(address) &&
            (best == nullptr || entry.prefix.length > best->prefix.length)) {
            best = &entry;
        }
    }
    return best != nullptr && !best->except;
}

bool port_list_matches(const std::vector<PortRange>& list, const FlowKey& flow, bool source) {
    if (list.empty()) {
        return true;
    }
    if (!flow.has_ports) {
        return false;
    }
    const uint16_t port = source ? flow.source_port : flow.destination_port;
    return std::any_of(list.begin(), list.end(), [port](const PortRange& r) { return r.contains(port); });
}

}  // namespace

std::optional<uint16_t> port_by_name(std::string_view name) {
    for (const auto& [n, port] : kPortNames) {
        if (n == name) {
            return port;
        }
    }
    return std::nullopt;
}

std::optional<PortRange> parse_port_range(std::string_view text) {
    auto one = [](std::string_view t) -> std::optional<uint16_t> {
        if (auto n = parse_number<uint16_t>(t, 65535)) {
            return n;
        }
        return port_by_name(t);
    };
    const size_t dash = text.find('-');
    // Names contain dashes too ("ftp-data"), so try the whole text as one port first.
    if (auto single = one(text)) {
        return PortRange{*single, *single};
    }
    if (dash == std::string_view::npos) {
        return std::nullopt;
    }
    auto low = one(text.substr(0, dash));
    auto high = one(text.substr(dash + 1));
    if (!low || !high || *low > *high) {
        return std::nullopt;
    }
    return PortRange{*low, *high};
}

std::optional<uint8_t> parse_ip_protocol(std::string_view text) {
    if (auto n = parse_number<uint8_t>(text, 255)) {
        return n;
    }
    for (const auto& [n, proto] : kProtocolNames) {
        if (n == text) {
            return proto;
        }
    }
    return std::nullopt;
}

std::optional<uint8_t> parse_reject_message(std::string_view text) {
    if (text.empty()) {
        return uint8_t{13};
    }
    if (auto n = parse_number<uint8_t>(text, 15)) {
        return n;
    }
    for (const auto& [n, code] : kRejectMessages) {
        if (n == text) {
            return code;
        }
    }
    return std::nullopt;
}

std::string_view to_string(FilterAction action) {
    switch (action) {
        case FilterAction::kAccept:
            return "accept";
        case FilterAction::kDiscard:
            return "discard";
        case FilterAction::kReject:
            return "reject";
        case FilterAction::kIpsecSa:
            return "ipsec-sa";
    }
    return "unknown";
}

bool term_matches(const FilterTerm& term, const FlowKey& flow) {
    if (!term.protocols.empty() &&
        std::find(term.protocols.begin(), term.protocols.end(), flow.protocol) == term.protocols.end()) {
        return false;
    }
    return address_list_matches(term.source_addresses, flow.source) &&
           address_list_matches(term.destination_addresses, flow.destination) &&
           port_list_matches(term.source_ports, flow, true) &&
           port_list_matches(term.destination_ports, flow, false);
}

std::vector<std::string> validate_filter(const FirewallFilter& filter) {
    std::vector<std::string> errors;
    if (filter.name.empty()) {
        errors.push_back("firewall filter has no name");
    }
    std::set<std::string> seen;
    for (const auto& term : filter.terms) {
        const std::string where = "filter " + filter.name + " term " + term.name + ": ";
        if (term.name.empty()) {
            errors.push_back("filter " + filter.name + ": term has no name");
        } else if (!seen.insert(term.name).second) {
            errors.push_back(where + "duplicate term name");
        }
        if (term.action == FilterAction::kIpsecSa && term.ipsec_sa.empty()) {
            errors.push_back(where + "ipsec-sa action needs a security association name");
        }
        if (term.action == FilterAction::kReject && term.reject_code > 15) {
            errors.push_back(where + "invalid reject message type");
        }
        for (const auto* ports : {&term.source_ports, &term.destination_ports}) {
            for (const auto& r : *ports) {
                if (r.low > r.high) {
                    errors.push_back(where + "port range " + std::to_string(r.low) + "-" +
                                     std::to_string(r.high) + " is reversed");
                }
            }
        }
    }
    return errors;
}

}  // namespace msim::dataplane
