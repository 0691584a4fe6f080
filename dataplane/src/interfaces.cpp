#include "msim/dataplane/interfaces.hpp"

#include <charconv>

namespace msim::dataplane {

namespace {

std::optional<unsigned> parse_small(std::string_view text, unsigned max) {
    if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) {
        return std::nullopt;
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value > max) {
        return std::nullopt;
    }
    return value;
}

constexpr std::pair<std::string_view, InterfaceKind> kPrefixes[] = {
    {"fe", InterfaceKind::kFastEthernet},
    {"ge", InterfaceKind::kGigabitEthernet},
    {"so", InterfaceKind::kSonet},
    {"es", InterfaceKind::kEncryptionServices},
    {"sp", InterfaceKind::kAdaptiveServices},
};

}  // namespace

bool is_ethernet(InterfaceKind kind) {
    return kind == InterfaceKind::kFastEthernet || kind == InterfaceKind::kGigabitEthernet;
}

bool is_service(InterfaceKind kind) {
    return kind == InterfaceKind::kEncryptionServices || kind == InterfaceKind::kAdaptiveServices;
}

std::optional<InterfaceName> InterfaceName::parse(std::string_view text) {
    if (text == "lo0") {
        return InterfaceName{};
    }
    if (text.size() < 8 || text[2] != '-') {
        return std::nullopt;
    }
    InterfaceName name;
    bool known = false;
    for (const auto& [prefix, kind] : kPrefixes) {
        if (text.substr(0, 2) == prefix) {
            name.kind = kind;
            known = true;
        }
    }
    if (!known) {
        return std::nullopt;
    }
    text.remove_prefix(3);
    const size_t s1 = text.find('/');
    const size_t s2 = s1 == std::string_view::npos ? s1 : text.find('/', s1 + 1);
    if (s2 == std::string_view::npos) {
        return std::nullopt;
    }
    // M-series: FPC 0-7, PIC 0-3, port 0-3 (a 4-port FE PIC is the widest PIC we model).
    auto fpc = parse_small(text.substr(0, s1), 7);
    auto pic = parse_small(text.substr(s1 + 1, s2 - s1 - 1), 3);
    auto port = parse_small(text.substr(s2 + 1), 3);
    if (!fpc || !pic || !port) {
        return std::nullopt;
    }
    name.fpc = static_cast<uint8_t>(*fpc);
    name.pic = static_cast<uint8_t>(*pic);
    name.port = static_cast<uint8_t>(*port);
    return name;
}

std::string InterfaceName::to_string() const {
    if (kind == InterfaceKind::kLoopback) {
        return "lo0";
    }
    std::string_view prefix = "fe";
    for (const auto& [p, k] : kPrefixes) {
        if (k == kind) {
            prefix = p;
        }
    }
    return std::string(prefix) + "-" + std::to_string(fpc) + "/" + std::to_string(pic) + "/" +
           std::to_string(port);
}

std::optional<UnitName> UnitName::parse(std::string_view text) {
    const size_t dot = text.find('.');
    UnitName name;
    if (!InterfaceName::parse(text.substr(0, dot))) {
        return std::nullopt;
    }
    name.interface = std::string(text.substr(0, dot));
    if (dot != std::string_view::npos) {
        auto unit = parse_small(text.substr(dot + 1), 16385);
        if (!unit) {
            return std::nullopt;
        }
        name.unit = *unit;
    }
    return name;
}

std::string UnitName::to_string() const {
    return interface + "." + std::to_string(unit);
}

std::string_view to_string(DropReason reason) {
    switch (reason) {
        case DropReason::kInterfaceDown:
            return "interface-down";
        case DropReason::kNoUnit:
            return "no-unit";
        case DropReason::kTruncatedFrame:
            return "truncated-frame";
        case DropReason::kNotForUs:
            return "not-for-us";
        case DropReason::kUnknownEthertype:
            return "unknown-ethertype";
        case DropReason::kBadArp:
            return "bad-arp";
        case DropReason::kIpTruncated:
            return "ip-truncated";
        case DropReason::kIpBadVersion:
            return "ip-bad-version";
        case DropReason::kIpBadHeaderLength:
            return "ip-bad-header-length";
        case DropReason::kIpBadTotalLength:
            return "ip-bad-total-length";
        case DropReason::kIpBadChecksum:
            return "ip-bad-checksum";
        case DropReason::kMartianSource:
            return "martian-source";
        case DropReason::kTtlExpired:
            return "ttl-expired";
        case DropReason::kNoRoute:
            return "no-route";
        case DropReason::kRouteDiscard:
            return "route-discard";
        case DropReason::kFilterDiscard:
            return "filter-discard";
        case DropReason::kFilterReject:
            return "filter-reject";
        case DropReason::kFilterMissing:
            return "filter-missing";
        case DropReason::kArpTimeout:
            return "arp-timeout";
        case DropReason::kArpQueueFull:
            return "arp-queue-full";
        case DropReason::kMtuExceeded:
            return "mtu-exceeded";
        case DropReason::kBadIcmp:
            return "bad-icmp";
        case DropReason::kBadUdp:
            return "bad-udp";
        case DropReason::kUdpNoListener:
            return "udp-no-listener";
        case DropReason::kUnsupportedProtocol:
            return "unsupported-protocol";
        case DropReason::kFragmentError:
            return "fragment-error";
        case DropReason::kNoServicePic:
            return "no-service-pic";
        case DropReason::kIpsecNoSa:
            return "ipsec-no-sa";
        case DropReason::kCount:
            break;
    }
    return "unknown";
}

}  // namespace msim::dataplane
