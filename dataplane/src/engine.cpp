#include "msim/dataplane/engine.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "msim/dataplane/arp_cache.hpp"
#include "msim/dataplane/prefix_trie.hpp"

namespace msim::dataplane {

namespace {

// RFC 1812 §4.3.2.3: an ICMP error quotes as much of the offending datagram as fits in 576 bytes.
constexpr size_t kIcmpErrorMaxSize = 576;
// Nested hand-offs (PIC -> engine -> PIC ...) deeper than this are a routing loop through a service PIC.
constexpr int kMaxNesting = 8;

bool icmp_is_error(uint8_t type) {
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

struct FilterState {
    FirewallFilter filter;
    std::vector<CounterInfo> terms;
    std::map<std::string, CounterInfo> named;
    uint64_t implicit_packets = 0;
    uint64_t implicit_bytes = 0;
};

struct FilterVerdict {
    FilterAction action = FilterAction::kAccept;
    uint8_t reject_code = 13;
    const std::string* ipsec_sa = nullptr;
    bool implicit_discard = false;
};

void count_drop(TrafficCounters& c, DropReason reason, bool error, bool input) {
    ++c.drops_by_reason[static_cast<size_t>(reason)];
    if (error) {
        ++c.input_errors;
    } else if (input) {
        ++c.input_drops;
    } else {
        ++c.output_drops;
    }
}

}  // namespace

std::string_view to_string(RouteProtocol protocol) {
    switch (protocol) {
        case RouteProtocol::kDirect:
            return "Direct";
        case RouteProtocol::kLocal:
            return "Local";
        case RouteProtocol::kStatic:
            return "Static";
    }
    return "Unknown";
}

std::string_view to_string(SendResult result) {
    switch (result) {
        case SendResult::kSent:
            return "sent";
        case SendResult::kPendingArp:
            return "pending-arp";
        case SendResult::kNoRoute:
            return "No route to host";
        case SendResult::kInterfaceDown:
            return "Network is down";
        case SendResult::kFiltered:
            return "Operation not permitted";
        case SendResult::kInvalid:
            return "Invalid argument";
    }
    return "unknown";
}

struct ForwardingEngine::Impl {
    struct Phys;

    struct Unit {
        Phys* phys = nullptr;
        UnitConfig cfg;
        std::string name;
        uint32_t index = 0;
        uint32_t snmp_index = 0;
        TrafficCounters counters;

        bool up() const;
        bool point_to_point() const {
            return phys->parsed.kind == InterfaceKind::kSonet || is_service(phys->parsed.kind) ||
                   std::any_of(cfg.addresses.begin(), cfg.addresses.end(),
                               [](const UnitAddress& a) { return a.destination.has_value(); });
        }
        std::optional<Ipv4Address> primary() const {
            if (cfg.addresses.empty()) {
                return std::nullopt;
            }
            return cfg.addresses.front().local.address;
        }
        // The unit's address on the subnet of `peer`, else the primary one.
        std::optional<Ipv4Address> address_toward(Ipv4Address peer) const {
            for (const auto& a : cfg.addresses) {
                if ((a.destination && *a.destination == peer) || (!a.destination && a.local.contains(peer))) {
                    return a.local.address;
                }
            }
            return primary();
        }
        bool on_subnet(Ipv4Address peer) const {
            return std::any_of(cfg.addresses.begin(), cfg.addresses.end(), [peer](const UnitAddress& a) {
                return a.destination ? *a.destination == peer
                                     : (a.local.length < 32 && a.local.contains(peer));
            });
        }
    };

    struct Phys {
        std::string name;
        InterfaceName parsed;
        uint32_t index = 0;
        uint32_t snmp_index = 0;
        MacAddress mac;
        bool admin_up = true;
        bool link_up = false;
        uint32_t mtu = 1514;
        TimePoint last_flap;
        TrafficCounters counters;
        std::map<uint32_t, Unit> units;
        ServicePic* pic = nullptr;

        uint32_t l2_overhead() const {
            if (is_ethernet(parsed.kind)) {
                return kEthernetHeaderSize;
            }
            return parsed.kind == InterfaceKind::kSonet ? kCiscoHdlcHeaderSize : 0;
        }
        uint32_t inet_mtu() const { return mtu - l2_overhead(); }
    };

    struct FibEntry {
        enum class Kind : uint8_t { kAttached, kGateway, kLocal, kDiscard, kReject };
        Kind kind = Kind::kAttached;
        Unit* unit = nullptr;
        Ipv4Address gateway;
        uint32_t nh_index = 0;
    };

    struct RibRoute {
        Ipv4Prefix destination;
        RouteProtocol protocol = RouteProtocol::kDirect;
        uint8_t preference = 0;
        bool usable = true;
        std::vector<RouteNextHopInfo> next_hops;
        FibEntry fib;
    };

    struct Pending {
        Unit* unit = nullptr;
        Ipv4Address target;
        std::deque<Packet> queue;
        unsigned attempts = 0;
        TimePoint next_retry;
    };

    struct ReassemblyKey {
        uint32_t source;
        uint32_t destination;
        uint16_t id;
        uint8_t protocol;
        auto operator<=>(const ReassemblyKey&) const = default;
    };
    struct Reassembly {
        TimePoint deadline;
        std::vector<uint8_t> header;  // of the first fragment (offset 0), options included
        std::vector<uint8_t> data;
        std::vector<std::pair<uint32_t, uint32_t>> ranges;  // [start, end) of payload received
        std::optional<uint32_t> total;                      // payload size, known from the last fragment
        std::string unit;
    };

    explicit Impl(EngineOptions o) : opt(std::move(o)), arp(opt.arp_timeout) {
        if (!opt.clock) {
            opt.clock = [] { return std::chrono::steady_clock::now(); };
        }
    }

    EngineOptions opt;
    ForwardingEngine* self = nullptr;
    FrameSink sink;
    PacketTap tap;
    UdpHandler* udp_lookup(uint16_t port) {
        auto it = udp.find(port);
        return it == udp.end() ? nullptr : &it->second;
    }

    uint32_t next_phys_index = 128;
    uint32_t next_unit_index = 64;
    uint32_t next_snmp_index = 501;
    // Indices an interface had before its PIC went offline: it gets them back, and so its MAC (a port's
    // hardware address does not change when its PIC restarts; hosts keep it in their ARP caches).
    std::map<std::string, std::pair<uint32_t, uint32_t>, std::less<>> past_indices;
    std::map<std::string, std::unique_ptr<Phys>, std::less<>> phys;
    std::unordered_map<uint32_t, Phys*> phys_by_index;
    std::map<std::string, std::map<uint32_t, UnitConfig>, std::less<>> unit_configs;
    std::map<std::string, FilterState, std::less<>> filters;
    std::map<Ipv4Prefix, StaticRoute> static_routes;

    // Derived state, rebuilt from the above whenever `dirty`.
    bool dirty = true;
    PrefixTrie<FibEntry> fib;
    std::vector<RibRoute> rib;
    std::map<std::tuple<Ipv4Prefix, RouteProtocol>, TimePoint> route_birth;
    std::unordered_map<uint32_t, Unit*> local_addresses;
    std::unordered_map<uint32_t, Unit*> broadcast_addresses;
    std::unordered_map<std::string, Unit*> units_by_name;
    // The units that name each SA (`family inet ipsec-sa`), in interface and unit order: a packet steered
    // into an SA finds its carrier without going through every unit (thousands of es- units).
    std::unordered_map<std::string, std::vector<Unit*>> units_by_sa;

    ArpCache arp;
    std::map<uint64_t, Pending> pending;
    std::map<ReassemblyKey, Reassembly> reassembly;
    std::unordered_map<uint16_t, UdpHandler> udp;
    IcmpHandler icmp_handler;
    TrafficCounters global;
    uint16_t next_ip_id = 1;
    int nesting = 0;
    double icmp_tokens = -1;  // < 0: bucket not started yet
    TimePoint icmp_refill{};

    bool take_icmp_token() {
        if (opt.icmp_error_rate == 0) {
            return true;
        }
        const TimePoint t = now();
        const double rate = opt.icmp_error_rate;
        if (icmp_tokens < 0) {
            icmp_tokens = rate;
        } else {
            const double elapsed = std::chrono::duration<double>(t - icmp_refill).count();
            icmp_tokens = std::min(rate, icmp_tokens + std::max(0.0, elapsed) * rate);
        }
        icmp_refill = t;
        if (icmp_tokens < 1) {
            ++global.icmp_errors_rate_limited;
            return false;
        }
        icmp_tokens -= 1;
        return true;
    }

    TimePoint now() const { return opt.clock(); }

    // ---------------------------------------------------------------- bookkeeping

    Phys* find_phys(std::string_view name) {
        auto it = phys.find(name);
        return it == phys.end() ? nullptr : it->second.get();
    }

    void drop(Phys* p, Unit* u, DropReason reason, bool error, bool input) {
        count_drop(global, reason, error, input);
        if (p != nullptr) {
            count_drop(p->counters, reason, error, input);
        }
        if (u != nullptr) {
            count_drop(u->counters, reason, error, input);
        }
    }
    void drop_in(Unit& u, DropReason reason, bool error = false) { drop(u.phys, &u, reason, error, true); }
    void drop_out(Unit& u, DropReason reason) { drop(u.phys, &u, reason, false, false); }
    void drop_global(DropReason reason) { count_drop(global, reason, false, true); }

    void instantiate_units(Phys& p) {
        auto it = unit_configs.find(p.name);
        if (it == unit_configs.end()) {
            return;
        }
        for (const auto& [number, cfg] : it->second) {
            instantiate_unit(p, number, cfg);
        }
    }

    // One unit comes alive (a commit adding it): the others of the interface stay as they are, so adding
    // N units costs N, not N squared.
    void instantiate_unit(Phys& p, uint32_t number, const UnitConfig& cfg) {
        Unit& u = p.units[number];
        u.phys = &p;
        u.cfg = cfg;
        u.name = p.name + "." + std::to_string(number);
        if (u.index == 0) {
            u.index = next_unit_index++;
            u.snmp_index = next_snmp_index++;
        }
    }

    void forget_unit(Unit& u) {
        arp.remove_unit(u.index);
        std::erase_if(pending, [&u](const auto& kv) { return kv.second.unit == &u; });
        dirty = true;
    }

    // ---------------------------------------------------------------- routing

    void ensure_routes() {
        if (dirty) {
            rebuild_routes();
        }
    }

    void rebuild_routes() {
        dirty = false;
        fib.clear();
        rib.clear();
        local_addresses.clear();
        broadcast_addresses.clear();
        units_by_name.clear();
        units_by_sa.clear();
        uint32_t nh_index = 500;

        PrefixTrie<Unit*> connected;
        for (auto& [name, p] : phys) {
            for (auto& [number, u] : p->units) {
                units_by_name[u.name] = &u;
                if (!u.cfg.ipsec_sa.empty()) {
                    units_by_sa[u.cfg.ipsec_sa].push_back(&u);
                }
                if (!u.up()) {
                    continue;
                }
                for (const auto& a : u.cfg.addresses) {
                    local_addresses[a.local.address.value] = &u;
                    RibRoute local{{a.local.address, 32}, RouteProtocol::kLocal, 0, true, {}, {}};
                    local.next_hops.push_back({RouteNextHopInfo::Kind::kLocal, std::nullopt, u.name, false});
                    local.fib = {FibEntry::Kind::kLocal, &u, {}, nh_index++};
                    if (a.destination || a.local.length < 32) {
                        const Ipv4Prefix net =
                            a.destination ? Ipv4Prefix{*a.destination, 32} : a.local.network();
                        RibRoute direct{net, RouteProtocol::kDirect, 0, true, {}, {}};
                        direct.next_hops.push_back(
                            {RouteNextHopInfo::Kind::kForward, std::nullopt, u.name, true});
                        direct.fib = {FibEntry::Kind::kAttached, &u, {}, nh_index++};
                        connected.insert(net, &u);
                        rib.push_back(std::move(direct));
                        if (!a.destination && a.local.length < 31) {
                            broadcast_addresses[a.local.broadcast().value] = &u;
                        }
                        rib.push_back(std::move(local));
                    } else {
                        // A /32 without a destination (lo0): one Direct route that the router receives.
                        local.protocol = RouteProtocol::kDirect;
                        rib.push_back(std::move(local));
                    }
                }
            }
        }

        for (const auto& [prefix, route] : static_routes) {
            RibRoute r{route.destination.network(), RouteProtocol::kStatic, route.preference, false, {}, {}};
            if (route.kind == StaticRoute::Kind::kDiscard || route.kind == StaticRoute::Kind::kReject) {
                const bool discard = route.kind == StaticRoute::Kind::kDiscard;
                r.usable = true;
                r.next_hops.push_back(
                    {discard ? RouteNextHopInfo::Kind::kDiscard : RouteNextHopInfo::Kind::kReject,
                     std::nullopt, "", false});
                r.fib = {
                    discard ? FibEntry::Kind::kDiscard : FibEntry::Kind::kReject, nullptr, {}, nh_index++};
            } else {
                for (const auto& nh : route.next_hops) {
                    Unit* via = nullptr;
                    RouteNextHopInfo info;
                    if (nh.address) {
                        auto hit = connected.lookup(*nh.address);
                        if (hit != nullptr && local_addresses.count(nh.address->value) == 0) {
                            via = *hit;
                        }
                        info.to = nh.address;
                    } else {
                        auto it = units_by_name.find(nh.unit);
                        if (it != units_by_name.end() && it->second->up()) {
                            via = it->second;
                        }
                    }
                    if (via == nullptr) {
                        continue;
                    }
                    info.via = via->name;
                    info.selected = !r.usable;
                    if (!r.usable) {
                        r.fib = {nh.address ? FibEntry::Kind::kGateway : FibEntry::Kind::kAttached, via,
                                 nh.address.value_or(Ipv4Address{}), nh_index++};
                        r.usable = true;
                    }
                    r.next_hops.push_back(std::move(info));
                }
            }
            rib.push_back(std::move(r));
        }

        std::stable_sort(rib.begin(), rib.end(), [](const RibRoute& a, const RibRoute& b) {
            if (a.destination != b.destination) {
                return a.destination.address != b.destination.address
                           ? a.destination.address < b.destination.address
                           : a.destination.length < b.destination.length;
            }
            if (a.usable != b.usable) {
                return a.usable;
            }
            return a.preference < b.preference;
        });
        // The first usable route of each destination is active and goes to the FIB.
        std::map<std::tuple<Ipv4Prefix, RouteProtocol>, TimePoint> births;
        const TimePoint t = now();
        for (size_t i = 0; i < rib.size(); ++i) {
            const auto key = std::make_tuple(rib[i].destination, rib[i].protocol);
            auto old = route_birth.find(key);
            births[key] = old != route_birth.end() ? old->second : t;
            if (rib[i].usable && (i == 0 || rib[i - 1].destination != rib[i].destination)) {
                fib.insert(rib[i].destination, rib[i].fib);
            }
        }
        route_birth = std::move(births);
    }

    bool is_local(Ipv4Address a) const { return local_addresses.count(a.value) != 0; }
    bool is_broadcast(Ipv4Address a) const {
        return a.is_limited_broadcast() || broadcast_addresses.count(a.value) != 0;
    }

    // ---------------------------------------------------------------- filters

    FilterVerdict run_filter(const std::string& name, const Packet& pkt, const Ipv4Header& h, bool& missing) {
        missing = false;
        auto it = filters.find(name);
        if (it == filters.end()) {
            missing = true;
            return {FilterAction::kDiscard, 13, nullptr, false};
        }
        FilterState& fs = it->second;
        FlowKey flow{h.source, h.destination, h.protocol, false, 0, 0};
        const size_t l4 = h.header_length;
        if ((h.protocol == ip_protocol::kTcp || h.protocol == ip_protocol::kUdp) && h.fragment_offset == 0 &&
            pkt.size() >= l4 + 4) {
            flow.has_ports = true;
            flow.source_port = load_be16(pkt.data() + l4);
            flow.destination_port = load_be16(pkt.data() + l4 + 2);
        }
        for (size_t i = 0; i < fs.filter.terms.size(); ++i) {
            const FilterTerm& term = fs.filter.terms[i];
            if (!term_matches(term, flow)) {
                continue;
            }
            ++fs.terms[i].packets;
            fs.terms[i].bytes += pkt.size();
            if (!term.count.empty()) {
                auto& c = fs.named[term.count];
                c.name = term.count;
                ++c.packets;
                c.bytes += pkt.size();
            }
            return {term.action, term.reject_code, &term.ipsec_sa, false};
        }
        ++fs.implicit_packets;
        fs.implicit_bytes += pkt.size();
        return {FilterAction::kDiscard, 13, nullptr, true};
    }

    // Applies a unit's filter. Returns true when the packet may continue; otherwise it has been consumed
    // (dropped, rejected or handed to a PIC; `handed_to_pic` tells the last apart).
    bool apply_filter(const std::string& filter, Unit& unit, Packet& pkt, const Ipv4Header& h, bool input,
                      Unit* ingress, bool local_origin, bool* handed_to_pic = nullptr) {
        if (filter.empty()) {
            return true;
        }
        bool missing = false;
        const FilterVerdict v = run_filter(filter, pkt, h, missing);
        switch (v.action) {
            case FilterAction::kAccept:
                return true;
            case FilterAction::kDiscard:
                drop(unit.phys, &unit, missing ? DropReason::kFilterMissing : DropReason::kFilterDiscard,
                     false, input);
                return false;
            case FilterAction::kReject:
                drop(unit.phys, &unit, DropReason::kFilterReject, false, input);
                if (!local_origin) {
                    send_icmp_error(pkt, h, icmp_type::kDestinationUnreachable, v.reject_code, 0,
                                    ingress != nullptr ? ingress : &unit);
                }
                return false;
            case FilterAction::kIpsecSa:
                if (local_origin && is_local_ike(pkt, h)) {
                    return true;  // IKE and NAT-T ESP of the router itself: never into an SA (engine.hpp)
                }
                if (handed_to_pic != nullptr) {
                    *handed_to_pic = true;
                }
                // Steered traffic is still forwarded by this router: it costs a hop like any other.
                if (input && !is_local(h.destination)) {
                    if (h.ttl <= 1) {
                        drop(unit.phys, &unit, DropReason::kTtlExpired, false, true);
                        send_icmp_error(pkt, h, icmp_type::kTimeExceeded, 0, 0, &unit);
                        return false;
                    }
                    ipv4_decrement_ttl(pkt.data());
                }
                to_service_pic(std::move(pkt), *v.ipsec_sa, &unit, input);
                return false;
        }
        return false;
    }

    // The router's own UDP 500/4500 (IKE, NAT-T ESP and keepalives): a local source address and port 500
    // or 4500 on either side.
    bool is_local_ike(const Packet& pkt, const Ipv4Header& h) const {
        if (h.protocol != ip_protocol::kUdp || h.fragment_offset != 0 || !is_local(h.source) ||
            pkt.size() < size_t{h.header_length} + 4) {
            return false;
        }
        const uint16_t sport = load_be16(pkt.data() + h.header_length);
        const uint16_t dport = load_be16(pkt.data() + h.header_length + 2);
        auto ike = [](uint16_t port) { return port == 500 || port == 4500; };
        return ike(sport) || ike(dport);
    }

    // The first unit of an interface with a service PIC that names `sa`.
    Unit* sa_carrier(const std::string& sa) {
        ensure_routes();
        auto it = units_by_sa.find(sa);
        if (it == units_by_sa.end()) {
            return nullptr;
        }
        for (Unit* u : it->second) {
            if (u->phys->pic != nullptr) {
                return u;
            }
        }
        return nullptr;
    }

    void to_service_pic(Packet&& pkt, const std::string& sa, Unit* from, bool input) {
        Unit* carrier = sa_carrier(sa);
        ServicePic* pic = carrier != nullptr ? carrier->phys->pic : nullptr;
        if (pic == nullptr) {
            for (auto& [name, p] : phys) {
                if (p->pic != nullptr && p->pic->has_sa(sa)) {
                    pic = p->pic;
                    break;
                }
            }
        }
        if (pic == nullptr) {
            if (from != nullptr) {
                drop(from->phys, from, DropReason::kNoServicePic, false, input);
            } else {
                drop_global(DropReason::kNoServicePic);
            }
            return;
        }
        if (carrier != nullptr) {
            count_output(*carrier, pkt.size());
            if (tap) {
                tap(carrier->phys->name, TapDirection::kOut, pkt.bytes());
            }
        }
        call_pic_outbound(*pic, std::move(pkt), sa);
    }

    void call_pic_outbound(ServicePic& pic, Packet&& pkt, const std::string& sa) {
        if (nesting >= kMaxNesting) {
            drop_global(DropReason::kNoRoute);
            return;
        }
        ++nesting;
        pic.outbound(std::move(pkt), sa, *self);
        --nesting;
    }

    // ---------------------------------------------------------------- receive path

    void count_input(Phys& p, size_t bytes) {
        ++p.counters.input_packets;
        p.counters.input_bytes += bytes;
        ++global.input_packets;
        global.input_bytes += bytes;
    }
    void count_output(Unit& u, size_t bytes) {
        ++u.counters.output_packets;
        u.counters.output_bytes += bytes;
        ++u.phys->counters.output_packets;
        u.phys->counters.output_bytes += bytes;
        ++global.output_packets;
        global.output_bytes += bytes;
    }

    Unit* link_unit(Phys& p) {
        auto it = p.units.find(0);
        if (it == p.units.end() || !it->second.up()) {
            return nullptr;
        }
        return &it->second;
    }

    void receive_frame(Phys& p, std::span<const uint8_t> frame) {
        if (tap) {
            tap(p.name, TapDirection::kIn, frame);
        }
        count_input(p, frame.size());
        if (!p.admin_up || !p.link_up) {
            drop(&p, nullptr, DropReason::kInterfaceDown, false, true);
            return;
        }
        ensure_routes();
        if (is_ethernet(p.parsed.kind)) {
            auto eth = EthernetHeader::parse(frame);
            if (!eth) {
                drop(&p, nullptr, DropReason::kTruncatedFrame, true, true);
                return;
            }
            if (eth->destination != p.mac && !eth->destination.is_broadcast()) {
                drop(&p, nullptr, DropReason::kNotForUs, false, true);
                return;
            }
            Unit* u = link_unit(p);
            if (u == nullptr) {
                drop(&p, nullptr, DropReason::kNoUnit, false, true);
                return;
            }
            ++u->counters.input_packets;
            u->counters.input_bytes += frame.size();
            const auto payload = frame.subspan(kEthernetHeaderSize);
            if (eth->ethertype == ethertype::kArp) {
                handle_arp(*u, payload);
            } else if (eth->ethertype == ethertype::kIpv4) {
                handle_ipv4(*u, Packet(payload), false);
            } else {
                drop_in(*u, DropReason::kUnknownEthertype, true);
            }
            return;
        }
        if (p.parsed.kind == InterfaceKind::kSonet) {
            auto hdlc = CiscoHdlcHeader::parse(frame);
            if (!hdlc) {
                drop(&p, nullptr, DropReason::kTruncatedFrame, true, true);
                return;
            }
            Unit* u = link_unit(p);
            if (u == nullptr) {
                drop(&p, nullptr, DropReason::kNoUnit, false, true);
                return;
            }
            ++u->counters.input_packets;
            u->counters.input_bytes += frame.size();
            if (hdlc->protocol == ethertype::kIpv4) {
                handle_ipv4(*u, Packet(frame.subspan(kCiscoHdlcHeaderSize)), false);
            } else if (hdlc->protocol != cisco_hdlc::kSlarp) {
                drop_in(*u, DropReason::kUnknownEthertype, true);
            }
            return;
        }
        // es-/sp-/lo0 have no wire.
        drop(&p, nullptr, DropReason::kUnknownEthertype, true, true);
    }

    void handle_arp(Unit& u, std::span<const uint8_t> payload) {
        auto msg = ArpMessage::parse(payload);
        if (!msg) {
            drop_in(u, DropReason::kBadArp, true);
            return;
        }
        if (msg->sender_mac.is_multicast()) {
            return;  // a bogus sender teaches nothing and gets no answer
        }
        const bool for_us =
            std::any_of(u.cfg.addresses.begin(), u.cfg.addresses.end(),
                        [&](const UnitAddress& a) { return a.local.address == msg->target_ip; });
        if (msg->sender_ip.is_unspecified()) {
            // An ARP probe (RFC 5227 §2.1.1): it teaches nothing, but the owner of the address answers, so
            // that the prober sees it is in use (as Linux does).
            if (for_us && msg->operation == arp_op::kRequest) {
                send_arp(
                    u,
                    ArpMessage{arp_op::kReply, u.phys->mac, msg->target_ip, msg->sender_mac, msg->sender_ip},
                    msg->sender_mac);
            }
            return;
        }
        const TimePoint t = now();
        // RFC 826: update an existing entry whatever the target; add one only when we are the target.
        bool known = arp.refresh_if_present(u.index, msg->sender_ip, msg->sender_mac, t);
        if (for_us && !known && u.on_subnet(msg->sender_ip)) {
            arp.learn(u.index, msg->sender_ip, msg->sender_mac, t);
            known = true;
        }
        if (known) {
            flush_pending(u, msg->sender_ip, msg->sender_mac);
        }
        if (for_us && msg->operation == arp_op::kRequest) {
            ArpMessage reply{arp_op::kReply, u.phys->mac, msg->target_ip, msg->sender_mac, msg->sender_ip};
            send_arp(u, reply, msg->sender_mac);
        }
    }

    void send_arp(Unit& u, const ArpMessage& msg, MacAddress destination) {
        Packet frame = Packet::zeroed(kEthernetMinFrame, 0, 0);
        EthernetHeader{destination, u.phys->mac, ethertype::kArp}.write(frame.data());
        msg.write(frame.data() + kEthernetHeaderSize);
        count_output(u, frame.size());
        emit(*u.phys, frame);
    }

    void flush_pending(Unit& u, Ipv4Address ip, MacAddress mac) {
        auto it = pending.find((uint64_t{u.index} << 32) | ip.value);
        if (it == pending.end()) {
            return;
        }
        std::deque<Packet> queue = std::move(it->second.queue);
        pending.erase(it);
        for (auto& pkt : queue) {
            send_ethernet(u, std::move(pkt), mac);
        }
    }

    void handle_ipv4(Unit& u, Packet&& pkt, bool from_pic) {
        auto parsed = Ipv4Header::parse(pkt.bytes());
        if (!parsed) {
            DropReason reason = DropReason::kIpTruncated;
            switch (parsed.error) {
                case Ipv4Error::kTruncated:
                    reason = DropReason::kIpTruncated;
                    break;
                case Ipv4Error::kBadVersion:
                    reason = DropReason::kIpBadVersion;
                    break;
                case Ipv4Error::kBadHeaderLength:
                    reason = DropReason::kIpBadHeaderLength;
                    break;
                case Ipv4Error::kBadTotalLength:
                    reason = DropReason::kIpBadTotalLength;
                    break;
                case Ipv4Error::kBadChecksum:
                    reason = DropReason::kIpBadChecksum;
                    break;
            }
            drop_in(u, reason, true);
            return;
        }
        const Ipv4Header& h = *parsed.header;
        pkt.trim(h.total_length);  // link-layer padding
        if (h.source.is_multicast() || h.source.is_limited_broadcast() || h.source.is_loopback() ||
            (h.source.is_unspecified() && !from_pic)) {
            drop_in(u, DropReason::kMartianSource);
            return;
        }
        if (!apply_filter(u.cfg.input_filter, u, pkt, h, true, &u, false)) {
            return;
        }
        if (is_local(h.destination) || is_broadcast(h.destination)) {
            deliver_local(&u, std::move(pkt), h);
            return;
        }
        if (h.destination.is_multicast()) {
            drop_in(u, DropReason::kNoRoute);
            return;
        }
        forward(u, std::move(pkt), h);
    }

    void forward(Unit& in, Packet&& pkt, const Ipv4Header& h) {
        if (h.ttl <= 1) {
            drop_in(in, DropReason::kTtlExpired);
            send_icmp_error(pkt, h, icmp_type::kTimeExceeded, 0, 0, &in);
            return;
        }
        const FibEntry* route = fib.lookup(h.destination);
        if (route == nullptr || route->kind == FibEntry::Kind::kReject) {
            drop_in(in, route == nullptr ? DropReason::kNoRoute : DropReason::kRouteDiscard);
            send_icmp_error(pkt, h, icmp_type::kDestinationUnreachable, icmp_unreach::kNetwork, 0, &in);
            return;
        }
        if (route->kind == FibEntry::Kind::kDiscard) {
            drop_in(in, DropReason::kRouteDiscard);
            return;
        }
        if (route->kind == FibEntry::Kind::kLocal) {
            deliver_local(&in, std::move(pkt), h);
            return;
        }
        ipv4_decrement_ttl(pkt.data());
        Ipv4Header out_h = h;
        --out_h.ttl;
        const Ipv4Address next_hop = route->kind == FibEntry::Kind::kGateway ? route->gateway : h.destination;
        output(*route->unit, std::move(pkt), out_h, next_hop, &in);
    }

    // Output processing on `out`: output filter, service PIC hand-off, MTU, link-layer encapsulation.
    SendResult output(Unit& out, Packet&& pkt, const Ipv4Header& h, Ipv4Address next_hop, Unit* ingress) {
        const bool local_origin = ingress == nullptr;
        if (!out.up()) {
            drop_out(out, DropReason::kInterfaceDown);
            return SendResult::kInterfaceDown;
        }
        bool handed_to_pic = false;
        if (!apply_filter(out.cfg.output_filter, out, pkt, h, false, ingress, local_origin, &handed_to_pic)) {
            // The router's own packets steered into an SA (transport mode) are sent, not filtered.
            return handed_to_pic ? SendResult::kSent : SendResult::kFiltered;
        }
        Phys& p = *out.phys;
        if (is_service(p.parsed.kind)) {
            if (p.pic == nullptr) {
                drop_out(out, DropReason::kNoServicePic);
                return SendResult::kInterfaceDown;
            }
            count_output(out, pkt.size());
            if (tap) {
                tap(p.name, TapDirection::kOut, pkt.bytes());
            }
            call_pic_outbound(*p.pic, std::move(pkt), out.cfg.ipsec_sa);
            return SendResult::kSent;
        }
        if (p.parsed.kind == InterfaceKind::kLoopback) {
            drop_out(out, DropReason::kNoRoute);
            return SendResult::kNoRoute;
        }
        if (pkt.size() > p.inet_mtu()) {
            if (h.dont_fragment) {
                drop_out(out, DropReason::kMtuExceeded);
                if (!local_origin) {
                    send_icmp_error(pkt, h, icmp_type::kDestinationUnreachable,
                                    icmp_unreach::kFragmentationNeeded, p.inet_mtu(), ingress);
                }
                return SendResult::kFiltered;
            }
            SendResult last = SendResult::kSent;
            for (auto& fragment : fragment_packet(pkt, h, p.inet_mtu())) {
                last = output_link(out, std::move(fragment), next_hop);
            }
            return last;
        }
        return output_link(out, std::move(pkt), next_hop);
    }

    SendResult output_link(Unit& out, Packet&& pkt, Ipv4Address next_hop) {
        Phys& p = *out.phys;
        if (p.parsed.kind == InterfaceKind::kSonet) {
            CiscoHdlcHeader{cisco_hdlc::kUnicast, ethertype::kIpv4}.write(
                pkt.push_front(kCiscoHdlcHeaderSize));
            count_output(out, pkt.size());
            emit(p, pkt);
            return SendResult::kSent;
        }
        if (is_broadcast(next_hop)) {
            send_ethernet(out, std::move(pkt), MacAddress::broadcast());
            return SendResult::kSent;
        }
        const TimePoint t = now();
        if (auto mac = arp.lookup(out.index, next_hop, t)) {
            send_ethernet(out, std::move(pkt), *mac);
            return SendResult::kSent;
        }
        const uint64_t key = (uint64_t{out.index} << 32) | next_hop.value;
        auto [it, fresh] = pending.try_emplace(key);
        Pending& pend = it->second;
        if (fresh) {
            pend.unit = &out;
            pend.target = next_hop;
        }
        if (pend.queue.size() >= opt.arp_queue_limit) {
            drop_out(out, DropReason::kArpQueueFull);
        } else {
            pend.queue.push_back(std::move(pkt));
        }
        if (fresh) {
            pend.attempts = 1;
            pend.next_retry = t + opt.arp_retry_interval;
            send_arp_request(out, next_hop);
        }
        return SendResult::kPendingArp;
    }

    void send_arp_request(Unit& out, Ipv4Address target) {
        const Ipv4Address sender = out.address_toward(target).value_or(Ipv4Address{});
        send_arp(out, ArpMessage{arp_op::kRequest, out.phys->mac, sender, MacAddress{}, target},
                 MacAddress::broadcast());
    }

    void send_ethernet(Unit& out, Packet&& pkt, MacAddress destination) {
        EthernetHeader{destination, out.phys->mac, ethertype::kIpv4}.write(
            pkt.push_front(kEthernetHeaderSize));
        if (pkt.size() < kEthernetMinFrame) {
            const size_t pad = kEthernetMinFrame - pkt.size();
            std::memset(pkt.push_back(pad), 0, pad);
        }
        count_output(out, pkt.size());
        emit(*out.phys, pkt);
    }

    void emit(Phys& p, const Packet& frame) {
        if (tap) {
            tap(p.name, TapDirection::kOut, frame.bytes());
        }
        if (sink) {
            sink(p.name, frame.bytes());
        }
    }

    std::vector<Packet> fragment_packet(const Packet& pkt, const Ipv4Header& h, uint32_t mtu) {
        std::vector<Packet> out;
        const size_t first_hl = h.header_length;
        const uint8_t* payload = pkt.data() + first_hl;
        const size_t payload_len = pkt.size() - first_hl;
        size_t offset = 0;
        while (offset < payload_len) {
            const size_t hl = offset == 0 ? first_hl : kIpv4MinHeader;
            const size_t room = ((mtu - hl) / 8) * 8;
            const size_t chunk = std::min(room, payload_len - offset);
            const bool last = offset + chunk == payload_len;
            Packet frag = Packet::zeroed(hl + chunk);
            if (offset == 0) {
                std::memcpy(frag.data(), pkt.data(), first_hl);
            } else {
                Ipv4Header nh = h;
                nh.header_length = kIpv4MinHeader;
                nh.write(frag.data());
            }
            uint8_t* ip = frag.data();
            store_be16(ip + 2, static_cast<uint16_t>(hl + chunk));
            const uint16_t frag_units = static_cast<uint16_t>(h.fragment_offset + offset / 8);
            const bool mf = !last || h.more_fragments;
            store_be16(ip + 6, static_cast<uint16_t>((mf ? 0x2000 : 0) | (frag_units & 0x1fff)));
            ipv4_update_checksum(ip, hl);
            std::memcpy(ip + hl, payload + offset, chunk);
            out.push_back(std::move(frag));
            offset += chunk;
        }
        return out;
    }

    // ---------------------------------------------------------------- local delivery

    void deliver_local(Unit* in, Packet&& pkt, const Ipv4Header& h) {
        if (h.is_fragment()) {
            auto whole = reassemble(in, pkt, h);
            if (!whole) {
                return;
            }
            pkt = std::move(*whole);
        }
        auto parsed = Ipv4Header::parse(pkt.bytes());
        if (!parsed) {
            drop_local(in, DropReason::kFragmentError, true);
            return;
        }
        const Ipv4Header& hdr = *parsed.header;
        const auto l4 = pkt.bytes().subspan(hdr.header_length);
        switch (hdr.protocol) {
            case ip_protocol::kIcmp:
                deliver_icmp(in, hdr, l4);
                return;
            case ip_protocol::kUdp:
                deliver_udp(in, pkt, hdr, l4);
                return;
            case ip_protocol::kEsp:
            case ip_protocol::kAh:
                offer_to_pics(in, pkt);
                return;
            default:
                drop_local(in, DropReason::kUnsupportedProtocol, false);
                if (!is_broadcast(hdr.destination)) {
                    send_icmp_error(pkt, hdr, icmp_type::kDestinationUnreachable, icmp_unreach::kProtocol, 0,
                                    in);
                }
                return;
        }
    }

    void drop_local(Unit* in, DropReason reason, bool error) {
        if (in != nullptr) {
            drop(in->phys, in, reason, error, true);
        } else {
            count_drop(global, reason, error, true);
        }
    }

    // Drops reported once per kind (PicContext::report_once), bounded.
    static constexpr size_t kMaxReportedKinds = 4096;
    std::unordered_set<std::string> reported;
    void report_once(const std::string& kind, const std::string& message) {
        if (!opt.log || reported.contains(kind)) {
            return;
        }
        if (reported.size() >= kMaxReportedKinds) {
            if (reported.emplace("<full>").second) {
                opt.log("too many kinds of dropped packets; further kinds are counted but not reported");
            }
            return;
        }
        reported.insert(kind);
        opt.log(message + " (dropped; further packets of this kind are counted, not reported)");
    }

    void offer_to_pics(Unit* in, Packet& pkt) {
        for (auto& [name, p] : phys) {
            if (p->pic == nullptr) {
                continue;
            }
            if (nesting >= kMaxNesting) {
                break;
            }
            ++nesting;
            const bool taken = p->pic->inbound(pkt, *self);
            --nesting;
            if (taken) {
                return;
            }
        }
        drop_local(in, DropReason::kIpsecNoSa, false);
        if (opt.log) {
            // ESP (or ESP in UDP) / AH to us whose SPI no PIC knows: once per SPI and destination.
            auto parsed = Ipv4Header::parse(pkt.bytes());
            if (parsed) {
                const Ipv4Header& h = *parsed.header;
                const auto payload = pkt.bytes().subspan(h.header_length);
                size_t at = h.protocol == ip_protocol::kUdp ? kUdpHeaderSize : 0;
                if (h.protocol == ip_protocol::kAh) {
                    at = 4;
                }
                if (payload.size() >= at + 4) {
                    const uint32_t spi = load_be32(payload.data() + at);
                    const char* proto = h.protocol == ip_protocol::kAh ? "AH" : "ESP";
                    report_once(std::string("no-sa ") + proto + " " + std::to_string(spi) + " " +
                                    h.destination.to_string(),
                                std::string(proto) + " packet from " + h.source.to_string() + " to " +
                                    h.destination.to_string() + " with unknown SPI " + std::to_string(spi));
                }
            }
        }
    }

    void deliver_icmp(Unit* in, const Ipv4Header& h, std::span<const uint8_t> message) {
        auto icmp = IcmpHeader::parse(message);
        if (!icmp) {
            drop_local(in, DropReason::kBadIcmp, true);
            return;
        }
        if (icmp->type == icmp_type::kEchoRequest) {
            if (is_broadcast(h.destination)) {
                return;  // no answers to broadcast pings (smurf amplification)
            }
            Packet reply = Packet::zeroed(kIpv4MinHeader + message.size());
            Ipv4Header rh;
            rh.total_length = static_cast<uint16_t>(reply.size());
            rh.identification = next_ip_id++;
            rh.ttl = opt.default_ttl;
            rh.protocol = ip_protocol::kIcmp;
            rh.source = h.destination;
            rh.destination = h.source;
            rh.write(reply.data());
            auto body = reply.bytes().subspan(kIpv4MinHeader);
            std::memcpy(body.data(), message.data(), message.size());
            icmp_write(body, icmp_type::kEchoReply, 0, icmp->rest);
            send_local(std::move(reply));
            return;
        }
        if (icmp_handler) {
            IcmpEvent ev{h.source,
                         h.destination,
                         h.ttl,
                         h.total_length,
                         *icmp,
                         message,
                         in != nullptr ? in->name : std::string()};
            icmp_handler(ev);
        }
    }

    void deliver_udp(Unit* in, Packet& pkt, const Ipv4Header& h, std::span<const uint8_t> segment) {
        auto udp_h = UdpHeader::parse(segment, h.source, h.destination);
        if (!udp_h) {
            drop_local(in, DropReason::kBadUdp, true);
            return;
        }
        const auto payload = segment.subspan(kUdpHeaderSize, udp_h->length - kUdpHeaderSize);
        // RFC 3948: on 4500 a non-zero first word is ESP for the PIC, a zero marker is IKE for kmd.
        if (udp_h->destination_port == 4500 && payload.size() >= 4 && load_be32(payload.data()) != 0) {
            offer_to_pics(in, pkt);
            return;
        }
        if (auto* handler = udp_lookup(udp_h->destination_port)) {
            UdpDatagram dg{h.source,
                           h.destination,
                           udp_h->source_port,
                           udp_h->destination_port,
                           payload,
                           in != nullptr ? in->name : std::string()};
            (*handler)(dg);
            return;
        }
        drop_local(in, DropReason::kUdpNoListener, false);
        if (!is_broadcast(h.destination)) {
            send_icmp_error(pkt, h, icmp_type::kDestinationUnreachable, icmp_unreach::kPort, 0, in);
        }
    }

    std::optional<Packet> reassemble(Unit* in, const Packet& pkt, const Ipv4Header& h) {
        const ReassemblyKey key{h.source.value, h.destination.value, h.identification, h.protocol};
        auto it = reassembly.find(key);
        if (it == reassembly.end()) {
            if (reassembly.size() >= opt.reassembly_max_pending) {
                drop_local(in, DropReason::kFragmentError, false);
                return std::nullopt;
            }
            it = reassembly.emplace(key, Reassembly{}).first;
            it->second.deadline = now() + opt.reassembly_timeout;
            it->second.unit = in != nullptr ? in->name : std::string();
        }
        Reassembly& r = it->second;
        const uint32_t start = uint32_t{h.fragment_offset} * 8;
        const uint32_t len = h.total_length - h.header_length;
        const uint32_t end = start + len;
        auto fail = [&] {
            reassembly.erase(it);
            drop_local(in, DropReason::kFragmentError, false);
            return std::nullopt;
        };
        // Non-last fragments carry multiples of 8 bytes; nothing may exceed the 65535-byte datagram.
        if ((h.more_fragments && len % 8 != 0) || end + h.header_length > 65535 ||
            (r.total && end > *r.total) || (!h.more_fragments && r.total) ||
            (!h.more_fragments && !r.ranges.empty() &&
             std::any_of(r.ranges.begin(), r.ranges.end(),
                         [end](const auto& rg) { return rg.second > end; }))) {
            return fail();
        }
        for (const auto& [s, e] : r.ranges) {
            if (start < e && s < end) {
                return fail();  // overlapping fragments: drop the whole datagram (no teardrop games)
            }
        }
        if (r.data.size() < end) {
            r.data.resize(end);
        }
        std::memcpy(r.data.data() + start, pkt.data() + h.header_length, len);
        r.ranges.emplace_back(start, end);
        if (start == 0) {
            r.header.assign(pkt.data(), pkt.data() + h.header_length);
        }
        if (!h.more_fragments) {
            r.total = end;
        }
        uint64_t have = 0;
        for (const auto& [s, e] : r.ranges) {
            have += e - s;
        }
        if (!r.total || have != *r.total || r.header.empty()) {
            return std::nullopt;
        }
        if (r.header.size() + *r.total > 65535) {
            return fail();  // the first fragment's options would push the datagram past 65535 bytes
        }
        Packet whole = Packet::zeroed(r.header.size() + *r.total);
        std::memcpy(whole.data(), r.header.data(), r.header.size());
        std::memcpy(whole.data() + r.header.size(), r.data.data(), *r.total);
        store_be16(whole.data() + 2, static_cast<uint16_t>(whole.size()));
        store_be16(whole.data() + 6, 0);
        ipv4_update_checksum(whole.data(), r.header.size());
        reassembly.erase(it);
        return whole;
    }

    // ---------------------------------------------------------------- ICMP errors and local origination

    void send_icmp_error(const Packet& offending, const Ipv4Header& h, uint8_t type, uint8_t code,
                         uint32_t rest, Unit* toward) {
        // RFC 1812 §4.3.2.7: never about ICMP errors, non-first fragments, broadcasts, multicasts or
        // sources that do not name a single host.
        if (h.fragment_offset != 0 || is_broadcast(h.destination) || h.destination.is_multicast() ||
            h.source.is_unspecified() || h.source.is_multicast() || h.source.is_limited_broadcast() ||
            h.source.is_loopback() || broadcast_addresses.count(h.source.value) != 0) {
            return;
        }
        if (h.protocol == ip_protocol::kIcmp) {
            if (offending.size() <= h.header_length || icmp_is_error(offending.data()[h.header_length])) {
                return;
            }
        }
        if (!take_icmp_token()) {
            return;
        }
        const size_t quote = std::min(offending.size(), kIcmpErrorMaxSize - kIpv4MinHeader - kIcmpHeaderSize);
        Packet err = Packet::zeroed(kIpv4MinHeader + kIcmpHeaderSize + quote);
        std::optional<Ipv4Address> source;
        if (toward != nullptr && toward->up()) {
            source = toward->address_toward(h.source);
        }
        if (!source) {
            source = source_for(h.source);
        }
        if (!source) {
            return;
        }
        Ipv4Header eh;
        eh.total_length = static_cast<uint16_t>(err.size());
        eh.identification = next_ip_id++;
        eh.ttl = opt.default_ttl;
        eh.protocol = ip_protocol::kIcmp;
        eh.source = *source;
        eh.destination = h.source;
        eh.write(err.data());
        auto body = err.bytes().subspan(kIpv4MinHeader);
        std::memcpy(body.data() + kIcmpHeaderSize, offending.data(), quote);
        icmp_write(body, type, code, rest);
        send_local(std::move(err));
    }

    std::optional<Ipv4Address> source_for(Ipv4Address destination) {
        ensure_routes();
        const FibEntry* route = fib.lookup(destination);
        if (route != nullptr && route->unit != nullptr) {
            if (auto a = route->unit->address_toward(route->kind == FibEntry::Kind::kGateway ? route->gateway
                                                                                             : destination)) {
                return a;
            }
        }
        if (!local_addresses.empty()) {
            // Deterministic fallback: the lowest local address.
            uint32_t best = UINT32_MAX;
            for (const auto& [a, u] : local_addresses) {
                best = std::min(best, a);
            }
            return Ipv4Address(best);
        }
        return std::nullopt;
    }

    // A datagram the router itself sends (checksum already valid).
    SendResult send_local(Packet&& pkt) {
        ensure_routes();
        auto parsed = Ipv4Header::parse(pkt.bytes());
        if (!parsed) {
            return SendResult::kInvalid;
        }
        const Ipv4Header& h = *parsed.header;
        if (is_local(h.destination)) {
            ++global.output_packets;
            global.output_bytes += pkt.size();
            deliver_local(nullptr, std::move(pkt), h);
            return SendResult::kSent;
        }
        const FibEntry* route = fib.lookup(h.destination);
        if (h.destination.is_limited_broadcast()) {
            return SendResult::kNoRoute;  // no interface to pick; broadcasts need an explicit unit
        }
        if (route == nullptr || route->kind == FibEntry::Kind::kDiscard ||
            route->kind == FibEntry::Kind::kReject) {
            drop_global(DropReason::kNoRoute);
            return SendResult::kNoRoute;
        }
        if (route->kind == FibEntry::Kind::kLocal) {
            deliver_local(nullptr, std::move(pkt), h);
            return SendResult::kSent;
        }
        const Ipv4Address next_hop = route->kind == FibEntry::Kind::kGateway ? route->gateway : h.destination;
        return output(*route->unit, std::move(pkt), h, next_hop, nullptr);
    }

    void tick() {
        const TimePoint t = now();
        for (auto it = pending.begin(); it != pending.end();) {
            Pending& p = it->second;
            if (t < p.next_retry) {
                ++it;
                continue;
            }
            if (p.attempts >= opt.arp_attempts) {
                std::deque<Packet> queue = std::move(p.queue);
                Unit* u = p.unit;
                it = pending.erase(it);
                for (auto& pkt : queue) {
                    drop_out(*u, DropReason::kArpTimeout);
                    if (auto h = Ipv4Header::parse(pkt.bytes())) {
                        send_icmp_error(pkt, *h.header, icmp_type::kDestinationUnreachable,
                                        icmp_unreach::kHost, 0, nullptr);
                    }
                }
                // The ICMP errors above may have added pending entries; restart safely.
                it = pending.begin();
                continue;
            }
            ++p.attempts;
            p.next_retry = t + opt.arp_retry_interval;
            send_arp_request(*p.unit, p.target);
            ++it;
        }
        arp.expire(t);
        for (auto& [name, p] : phys) {
            if (p->pic != nullptr) {
                p->pic->tick(*self);
            }
        }
        for (auto it = reassembly.begin(); it != reassembly.end();) {
            if (it->second.deadline <= t) {
                drop_global(DropReason::kFragmentError);
                it = reassembly.erase(it);
            } else {
                ++it;
            }
        }
    }
};

bool ForwardingEngine::Impl::Unit::up() const {
    if (cfg.disabled || !phys->admin_up) {
        return false;
    }
    return phys->link_up;
}

// ==================================================================== public API

ForwardingEngine::ForwardingEngine(EngineOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
    impl_->self = this;
}

ForwardingEngine::~ForwardingEngine() = default;

Status ForwardingEngine::add_interface(std::string_view name) {
    auto parsed = InterfaceName::parse(name);
    if (!parsed) {
        return Status::failure("invalid interface name '" + std::string(name) + "'");
    }
    if (impl_->find_phys(name) != nullptr) {
        return Status::failure("interface " + std::string(name) + " already exists");
    }
    auto p = std::make_unique<Impl::Phys>();
    p->name = std::string(name);
    p->parsed = *parsed;
    if (auto past = impl_->past_indices.find(name); past != impl_->past_indices.end()) {
        p->index = past->second.first;
        p->snmp_index = past->second.second;
    } else {
        p->index = impl_->next_phys_index++;
        p->snmp_index = impl_->next_snmp_index++;
        impl_->past_indices.emplace(p->name, std::pair(p->index, p->snmp_index));
    }
    p->mac = impl_->opt.base_mac;
    p->mac.bytes[4] = static_cast<uint8_t>(p->index >> 8);
    p->mac.bytes[5] = static_cast<uint8_t>(p->index);
    p->link_up = !is_ethernet(parsed->kind) && parsed->kind != InterfaceKind::kSonet;
    switch (parsed->kind) {
        case InterfaceKind::kFastEthernet:
        case InterfaceKind::kGigabitEthernet:
            p->mtu = 1514;
            break;
        case InterfaceKind::kSonet:
            p->mtu = 4474;
            break;
        case InterfaceKind::kEncryptionServices:
        case InterfaceKind::kAdaptiveServices:
            p->mtu = 9192;
            break;
        case InterfaceKind::kLoopback:
            p->mtu = 65535;
            break;
    }
    p->last_flap = impl_->now();
    impl_->instantiate_units(*p);
    impl_->phys_by_index[p->index] = p.get();
    impl_->phys.emplace(p->name, std::move(p));
    impl_->dirty = true;
    return Status::success();
}

Status ForwardingEngine::remove_interface(std::string_view name) {
    auto it = impl_->phys.find(name);
    if (it == impl_->phys.end()) {
        return Status::failure("device " + std::string(name) + " not found");
    }
    for (auto& [n, u] : it->second->units) {
        impl_->forget_unit(u);
    }
    impl_->phys_by_index.erase(it->second->index);
    impl_->phys.erase(it);
    impl_->dirty = true;
    impl_->ensure_routes();  // drop FIB pointers to the removed units now
    return Status::success();
}

Status ForwardingEngine::set_admin_up(std::string_view interface, bool up) {
    auto* p = impl_->find_phys(interface);
    if (p == nullptr) {
        return Status::failure("device " + std::string(interface) + " not found");
    }
    if (p->admin_up != up) {
        p->admin_up = up;
        p->last_flap = impl_->now();
        impl_->dirty = true;
    }
    return Status::success();
}

Status ForwardingEngine::set_link_up(std::string_view interface, bool up) {
    auto* p = impl_->find_phys(interface);
    if (p == nullptr) {
        return Status::failure("device " + std::string(interface) + " not found");
    }
    if (p->link_up != up) {
        p->link_up = up;
        p->last_flap = impl_->now();
        impl_->dirty = true;
        if (!up) {
            for (auto& entry : p->units) {
                impl_->arp.remove_unit(entry.second.index);
                const Impl::Unit* unit = &entry.second;
                std::erase_if(impl_->pending, [unit](const auto& kv) { return kv.second.unit == unit; });
            }
        }
    }
    return Status::success();
}

Status ForwardingEngine::set_mtu(std::string_view interface, uint32_t mtu) {
    auto* p = impl_->find_phys(interface);
    if (p == nullptr) {
        return Status::failure("device " + std::string(interface) + " not found");
    }
    if (mtu < 256 + p->l2_overhead() || mtu > 9192) {
        return Status::failure("mtu " + std::to_string(mtu) + " out of range (" +
                               std::to_string(256 + p->l2_overhead()) + "..9192)");
    }
    p->mtu = mtu;
    return Status::success();
}

std::optional<uint32_t> ForwardingEngine::interface_index(std::string_view interface) const {
    auto it = impl_->phys.find(interface);
    if (it == impl_->phys.end()) {
        return std::nullopt;
    }
    return it->second->index;
}

bool ForwardingEngine::is_local_address(Ipv4Address address) const {
    impl_->ensure_routes();
    return impl_->is_local(address);
}

Status ForwardingEngine::configure_unit(std::string_view interface, UnitConfig unit) {
    if (!InterfaceName::parse(interface)) {
        return Status::failure("invalid interface name '" + std::string(interface) + "'");
    }
    if (unit.unit > 16385) {
        return Status::failure("unit " + std::to_string(unit.unit) + " out of range (0..16385)");
    }
    for (const auto& a : unit.addresses) {
        if (a.destination && a.local.length != 32) {
            return Status::failure("address " + a.local.to_string() +
                                   ": destination needs a /32 local address");
        }
    }
    auto& slot = impl_->unit_configs[std::string(interface)][unit.unit];
    slot = unit;
    if (auto* p = impl_->find_phys(interface)) {
        auto existing = p->units.find(unit.unit);
        if (existing != p->units.end()) {
            existing->second.cfg = std::move(unit);
            // Addresses may have moved: cached neighbours might be off-subnet now.
            impl_->arp.remove_unit(existing->second.index);
        } else {
            impl_->instantiate_unit(*p, slot.unit, slot);
        }
    }
    impl_->dirty = true;
    return Status::success();
}

Status ForwardingEngine::delete_unit(std::string_view interface, uint32_t unit) {
    auto cfg = impl_->unit_configs.find(interface);
    if (cfg == impl_->unit_configs.end() || cfg->second.erase(unit) == 0) {
        return Status::failure("unit " + std::string(interface) + "." + std::to_string(unit) +
                               " not configured");
    }
    if (auto* p = impl_->find_phys(interface)) {
        auto it = p->units.find(unit);
        if (it != p->units.end()) {
            impl_->forget_unit(it->second);
            p->units.erase(it);
        }
    }
    impl_->dirty = true;
    impl_->ensure_routes();
    return Status::success();
}

Status ForwardingEngine::set_filter(FirewallFilter filter) {
    auto errors = validate_filter(filter);
    if (!errors.empty()) {
        return Status::failure(errors.front());
    }
    auto& fs = impl_->filters[filter.name];
    std::vector<CounterInfo> terms;
    for (const auto& term : filter.terms) {
        CounterInfo c{term.name, 0, 0};
        for (const auto& old : fs.terms) {
            if (old.name == term.name) {
                c = old;
            }
        }
        terms.push_back(c);
    }
    std::map<std::string, CounterInfo> named;
    for (const auto& term : filter.terms) {
        if (!term.count.empty()) {
            auto old = fs.named.find(term.count);
            named[term.count] = old != fs.named.end() ? old->second : CounterInfo{term.count, 0, 0};
        }
    }
    fs.filter = std::move(filter);
    fs.terms = std::move(terms);
    fs.named = std::move(named);
    return Status::success();
}

Status ForwardingEngine::delete_filter(std::string_view name) {
    auto it = impl_->filters.find(name);
    if (it == impl_->filters.end()) {
        return Status::failure("filter " + std::string(name) + " not found");
    }
    impl_->filters.erase(it);
    return Status::success();
}

Status ForwardingEngine::add_static_route(StaticRoute route) {
    if (route.kind == StaticRoute::Kind::kNextHop && route.next_hops.empty()) {
        return Status::failure("static route " + route.destination.network().to_string() +
                               ": next-hop required");
    }
    for (const auto& nh : route.next_hops) {
        if (!nh.address && !UnitName::parse(nh.unit)) {
            return Status::failure("static route " + route.destination.network().to_string() +
                                   ": invalid next-hop '" + nh.unit + "'");
        }
    }
    route.destination = route.destination.network();
    impl_->static_routes[route.destination] = std::move(route);
    impl_->dirty = true;
    return Status::success();
}

Status ForwardingEngine::delete_static_route(Ipv4Prefix destination) {
    if (impl_->static_routes.erase(destination.network()) == 0) {
        return Status::failure("static route " + destination.network().to_string() + " not found");
    }
    impl_->dirty = true;
    return Status::success();
}

void ForwardingEngine::set_arp_timeout(std::chrono::seconds timeout) {
    impl_->arp.set_timeout(timeout);
}

Status ForwardingEngine::attach_service_pic(std::string_view interface, ServicePic* pic) {
    auto* p = impl_->find_phys(interface);
    if (p == nullptr) {
        return Status::failure("device " + std::string(interface) + " not found");
    }
    if (!is_service(p->parsed.kind)) {
        return Status::failure(std::string(interface) + " is not a services interface");
    }
    p->pic = pic;
    return Status::success();
}

void ForwardingEngine::detach_service_pic(std::string_view interface) {
    if (auto* p = impl_->find_phys(interface)) {
        p->pic = nullptr;
    }
}

void ForwardingEngine::set_frame_sink(FrameSink sink) {
    impl_->sink = std::move(sink);
}

void ForwardingEngine::set_packet_tap(PacketTap tap) {
    impl_->tap = std::move(tap);
}

void ForwardingEngine::receive(std::string_view interface, std::span<const uint8_t> frame) {
    if (auto* p = impl_->find_phys(interface)) {
        impl_->receive_frame(*p, frame);
    } else {
        impl_->drop_global(DropReason::kInterfaceDown);
    }
}

void ForwardingEngine::receive(uint32_t interface_index, std::span<const uint8_t> frame) {
    auto it = impl_->phys_by_index.find(interface_index);
    if (it != impl_->phys_by_index.end()) {
        impl_->receive_frame(*it->second, frame);
    } else {
        impl_->drop_global(DropReason::kInterfaceDown);
    }
}

void ForwardingEngine::tick() {
    impl_->tick();
}

bool ForwardingEngine::bind_udp(uint16_t port, UdpHandler handler) {
    return impl_->udp.try_emplace(port, std::move(handler)).second;
}

void ForwardingEngine::unbind_udp(uint16_t port) {
    impl_->udp.erase(port);
}

void ForwardingEngine::set_icmp_handler(IcmpHandler handler) {
    impl_->icmp_handler = std::move(handler);
}

SendResult ForwardingEngine::send_udp(Ipv4Address destination, uint16_t source_port,
                                      uint16_t destination_port, std::span<const uint8_t> payload,
                                      std::optional<Ipv4Address> source) {
    if (payload.size() > 65535 - kIpv4MinHeader - kUdpHeaderSize) {
        return SendResult::kInvalid;
    }
    if (!source) {
        source = impl_->source_for(destination);
        if (!source) {
            return SendResult::kNoRoute;
        }
    }
    Packet pkt = Packet::zeroed(kIpv4MinHeader + kUdpHeaderSize + payload.size());
    Ipv4Header h;
    h.total_length = static_cast<uint16_t>(pkt.size());
    h.identification = impl_->next_ip_id++;
    h.ttl = impl_->opt.default_ttl;
    h.protocol = ip_protocol::kUdp;
    h.source = *source;
    h.destination = destination;
    h.write(pkt.data());
    auto segment = pkt.bytes().subspan(kIpv4MinHeader);
    if (!payload.empty()) {
        std::memcpy(segment.data() + kUdpHeaderSize, payload.data(), payload.size());
    }
    udp_write(segment, *source, destination, source_port, destination_port);
    return impl_->send_local(std::move(pkt));
}

SendResult ForwardingEngine::send_echo_request(const EchoRequest& request) {
    if (request.payload_size > 65535 - kIpv4MinHeader - kIcmpHeaderSize || request.ttl == 0) {
        return SendResult::kInvalid;
    }
    auto source = request.source ? request.source : impl_->source_for(request.destination);
    if (!source) {
        return SendResult::kNoRoute;
    }
    Packet pkt = Packet::zeroed(kIpv4MinHeader + kIcmpHeaderSize + request.payload_size);
    Ipv4Header h;
    h.total_length = static_cast<uint16_t>(pkt.size());
    h.identification = impl_->next_ip_id++;
    h.ttl = request.ttl;
    h.dont_fragment = request.dont_fragment;
    h.protocol = ip_protocol::kIcmp;
    h.source = *source;
    h.destination = request.destination;
    h.write(pkt.data());
    auto body = pkt.bytes().subspan(kIpv4MinHeader);
    // The BSD ping pattern: a timestamp would go first; a byte ramp is enough for us and easy to check.
    for (size_t i = kIcmpHeaderSize; i < body.size(); ++i) {
        body[i] = static_cast<uint8_t>(i - kIcmpHeaderSize);
    }
    icmp_write(body, icmp_type::kEchoRequest, 0,
               (uint32_t{request.identifier} << 16) | uint32_t{request.sequence});
    return impl_->send_local(std::move(pkt));
}

SendResult ForwardingEngine::send_datagram(Packet&& datagram) {
    auto parsed = Ipv4Header::parse(datagram.bytes());
    if (!parsed) {
        return SendResult::kInvalid;
    }
    const Ipv4Header& h = *parsed.header;
    datagram.trim(h.total_length);
    if (h.source.is_unspecified()) {
        auto source = impl_->source_for(h.destination);
        if (!source) {
            return SendResult::kNoRoute;
        }
        store_be32(datagram.data() + 12, source->value);
        ipv4_update_checksum(datagram.data(), h.header_length);
        if (h.protocol == ip_protocol::kUdp && h.fragment_offset == 0 &&
            datagram.size() >= size_t{h.header_length} + kUdpHeaderSize) {
            auto segment = datagram.bytes().subspan(h.header_length);
            const uint16_t sport = load_be16(segment.data());
            const uint16_t dport = load_be16(segment.data() + 2);
            udp_write(segment.first(std::min<size_t>(segment.size(), load_be16(segment.data() + 4))), *source,
                      h.destination, sport, dport);
        }
    }
    return impl_->send_local(std::move(datagram));
}

void ForwardingEngine::send_to_network(Packet&& datagram) {
    if (impl_->nesting >= kMaxNesting) {
        impl_->drop_global(DropReason::kNoRoute);
        return;
    }
    ++impl_->nesting;
    impl_->send_local(std::move(datagram));
    --impl_->nesting;
}

void ForwardingEngine::receive_from_pic(Packet&& datagram, const std::string& unit) {
    impl_->ensure_routes();
    if (unit.empty()) {
        // A transport-mode SA no es- unit names: the router's own traffic, for the host and nobody else.
        auto parsed = Ipv4Header::parse(datagram.bytes());
        if (!parsed || !impl_->is_local(parsed.header->destination) || impl_->nesting >= kMaxNesting) {
            impl_->drop_global(DropReason::kNoUnit);
            return;
        }
        const Ipv4Header h = *parsed.header;
        ++impl_->nesting;
        impl_->deliver_local(nullptr, std::move(datagram), h);
        --impl_->nesting;
        return;
    }
    auto it = impl_->units_by_name.find(unit);
    if (it == impl_->units_by_name.end() || !it->second->up() || impl_->nesting >= kMaxNesting) {
        impl_->drop_global(DropReason::kNoUnit);
        return;
    }
    Impl::Unit& u = *it->second;
    ++u.counters.input_packets;
    u.counters.input_bytes += datagram.size();
    impl_->count_input(*u.phys, datagram.size());
    if (impl_->tap) {
        impl_->tap(u.phys->name, TapDirection::kIn, datagram.bytes());
    }
    ++impl_->nesting;
    impl_->handle_ipv4(u, std::move(datagram), true);
    --impl_->nesting;
}

TimePoint ForwardingEngine::now() const {
    return impl_->now();
}

void ForwardingEngine::report_once(const std::string& kind, const std::string& message) {
    impl_->report_once(kind, message);
}

std::string ForwardingEngine::unit_for_sa(const std::string& sa_name) const {
    impl_->ensure_routes();
    auto it = impl_->units_by_sa.find(sa_name);
    return sa_name.empty() || it == impl_->units_by_sa.end() ? std::string() : it->second.front()->name;
}

// ---- operational data ----

namespace {

std::string kind_type(InterfaceKind kind) {
    switch (kind) {
        case InterfaceKind::kFastEthernet:
        case InterfaceKind::kGigabitEthernet:
            return "Ethernet";
        case InterfaceKind::kSonet:
            return "SONET";
        case InterfaceKind::kEncryptionServices:
            return "IPSec";
        case InterfaceKind::kAdaptiveServices:
            return "Adaptive-Services";
        case InterfaceKind::kLoopback:
            return "Loopback";
    }
    return "Unspecified";
}

std::string kind_link_level(InterfaceKind kind) {
    switch (kind) {
        case InterfaceKind::kFastEthernet:
        case InterfaceKind::kGigabitEthernet:
            return "Ethernet";
        case InterfaceKind::kSonet:
            return "Cisco-HDLC";
        case InterfaceKind::kEncryptionServices:
            return "IPSec";
        case InterfaceKind::kAdaptiveServices:
            return "Adaptive-Services";
        case InterfaceKind::kLoopback:
            return "Unspecified";
    }
    return "Unspecified";
}

std::string kind_speed(InterfaceKind kind) {
    switch (kind) {
        case InterfaceKind::kFastEthernet:
            return "100mbps";
        case InterfaceKind::kGigabitEthernet:
            return "1000mbps";
        case InterfaceKind::kSonet:
            return "OC3";
        case InterfaceKind::kEncryptionServices:
            return "800mbps";
        case InterfaceKind::kAdaptiveServices:
            return "800mbps";
        case InterfaceKind::kLoopback:
            return "Unspecified";
    }
    return "Unspecified";
}

}  // namespace

std::vector<PhysicalInterfaceInfo> ForwardingEngine::interfaces() const {
    std::vector<PhysicalInterfaceInfo> out;
    for (const auto& [name, p] : impl_->phys) {
        out.push_back(*interface(name));
    }
    // Junos lists by FPC/PIC/port with lo0 among the others alphabetically; name order of the kinds is
    // close enough and stable: es, fe, ge, lo0, so, sp.
    return out;
}

bool ForwardingEngine::has_interface(std::string_view name) const {
    return impl_->phys.find(name) != impl_->phys.end();
}

std::optional<PhysicalInterfaceInfo> ForwardingEngine::interface(std::string_view name) const {
    auto it = impl_->phys.find(name);
    if (it == impl_->phys.end()) {
        return std::nullopt;
    }
    const Impl::Phys& p = *it->second;
    PhysicalInterfaceInfo info;
    info.name = p.name;
    info.kind = p.parsed.kind;
    info.type = kind_type(p.parsed.kind);
    info.link_level_type = kind_link_level(p.parsed.kind);
    info.speed = kind_speed(p.parsed.kind);
    info.index = p.index;
    info.snmp_index = p.snmp_index;
    info.admin_up = p.admin_up;
    info.link_up = p.link_up;
    info.mtu = p.mtu;
    if (is_ethernet(p.parsed.kind)) {
        info.mac = p.mac;
    }
    info.since_last_flap = std::chrono::duration_cast<std::chrono::seconds>(impl_->now() - p.last_flap);
    info.service_pic_attached = p.pic != nullptr;
    info.counters = p.counters;
    for (const auto& [n, u] : p.units) {
        LogicalInterfaceInfo li;
        li.name = u.name;
        li.index = u.index;
        li.snmp_index = u.snmp_index;
        li.description = u.cfg.description;
        li.admin_up = !u.cfg.disabled;
        li.link_up = u.up();
        li.point_to_point = u.point_to_point();
        li.inet_mtu = p.inet_mtu();
        for (size_t i = 0; i < u.cfg.addresses.size(); ++i) {
            const auto& a = u.cfg.addresses[i];
            AddressInfo ai;
            ai.local = a.local;
            ai.destination = a.destination;
            ai.subnet = a.destination ? Ipv4Prefix{*a.destination, 32} : a.local.network();
            if (!a.destination && a.local.length < 31) {
                ai.broadcast = a.local.broadcast();
            }
            ai.primary = i == 0;
            li.addresses.push_back(ai);
        }
        li.input_filter = u.cfg.input_filter;
        li.output_filter = u.cfg.output_filter;
        li.ipsec_sa = u.cfg.ipsec_sa;
        li.tunnel_source = u.cfg.tunnel_source;
        li.tunnel_destination = u.cfg.tunnel_destination;
        li.counters = u.counters;
        info.units.push_back(std::move(li));
    }
    return info;
}

std::vector<ArpEntryInfo> ForwardingEngine::arp_table() const {
    std::vector<ArpEntryInfo> out;
    const TimePoint t = impl_->now();
    std::unordered_map<uint32_t, std::string> unit_names;
    for (const auto& [name, p] : impl_->phys) {
        for (const auto& [n, u] : p->units) {
            unit_names[u.index] = u.name;
        }
    }
    for (const auto& e : impl_->arp.entries()) {
        if (e.expires <= t) {
            continue;
        }
        out.push_back({e.mac, e.address, unit_names[e.unit],
                       std::chrono::duration_cast<std::chrono::seconds>(e.expires - t)});
    }
    return out;
}

RouteTableInfo ForwardingEngine::route_table() const {
    impl_->ensure_routes();
    RouteTableInfo info;
    const TimePoint t = impl_->now();
    std::set<Ipv4Prefix> destinations;
    for (size_t i = 0; i < impl_->rib.size(); ++i) {
        const auto& r = impl_->rib[i];
        RouteInfo ri;
        ri.destination = r.destination;
        ri.protocol = r.protocol;
        ri.preference = r.preference;
        ri.active = r.usable && (i == 0 || impl_->rib[i - 1].destination != r.destination);
        auto birth = impl_->route_birth.find(std::make_tuple(r.destination, r.protocol));
        if (birth != impl_->route_birth.end()) {
            ri.age = std::chrono::duration_cast<std::chrono::seconds>(t - birth->second);
        }
        ri.next_hops = r.next_hops;
        ++info.total_routes;
        if (!r.usable) {
            ++info.hidden_routes;
        } else {
            destinations.insert(r.destination);
        }
        if (ri.active) {
            ++info.active_routes;
        }
        info.routes.push_back(std::move(ri));
    }
    info.destinations = destinations.size();
    return info;
}

std::optional<RouteInfo> ForwardingEngine::route_lookup(Ipv4Address address) const {
    impl_->ensure_routes();
    auto hit = impl_->fib.lookup_prefix(address);
    if (!hit) {
        return std::nullopt;
    }
    for (const auto& r : route_table().routes) {
        if (r.destination == hit->first && r.active) {
            return r;
        }
    }
    return std::nullopt;
}

std::vector<ForwardingEntryInfo> ForwardingEngine::forwarding_table() const {
    impl_->ensure_routes();
    std::vector<ForwardingEntryInfo> out;
    using Kind = Impl::FibEntry::Kind;
    if (impl_->fib.find(Ipv4Prefix{{}, 0}) == nullptr) {
        out.push_back({Ipv4Prefix{{}, 0}, "perm", "", "rjct", 36, ""});
    }
    out.push_back({Ipv4Prefix{{}, 32}, "perm", "", "dscd", 34, ""});
    std::map<Ipv4Prefix, bool> from_routes;
    impl_->fib.for_each([&](Ipv4Prefix prefix, const Impl::FibEntry& e) {
        ForwardingEntryInfo row;
        row.destination = prefix;
        row.next_hop_index = e.nh_index;
        row.netif = e.unit != nullptr ? e.unit->name : "";
        const bool is_static = impl_->static_routes.count(prefix) != 0;
        switch (e.kind) {
            case Kind::kAttached:
                row.type = is_static ? "user" : "intf";
                if (prefix.length == 32 || e.unit->point_to_point()) {
                    row.next_hop = prefix.length == 32 ? prefix.address.to_string() : "";
                    row.next_hop_type = "ucst";
                } else {
                    row.next_hop_type = "rslv";
                }
                break;
            case Kind::kGateway:
                row.type = "user";
                row.next_hop = e.gateway.to_string();
                row.next_hop_type = "ucst";
                break;
            case Kind::kLocal:
                row.type = "intf";
                row.next_hop = prefix.address.to_string();
                row.next_hop_type = "locl";
                row.netif.clear();
                break;
            case Kind::kDiscard:
                row.type = "user";
                row.next_hop_type = "dscd";
                break;
            case Kind::kReject:
                row.type = "user";
                row.next_hop_type = "rjct";
                break;
        }
        from_routes[prefix] = true;
        out.push_back(std::move(row));
    });
    // Host entries the PFE learnt: resolved neighbours and subnet broadcasts.
    uint32_t nh = 1000;
    for (const auto& a : arp_table()) {
        const Ipv4Prefix host{a.address, 32};
        if (from_routes.count(host) == 0) {
            out.push_back({host, "dest", a.mac.to_string(), "ucst", nh++, a.interface});
        }
    }
    for (const auto& [addr, unit] : impl_->broadcast_addresses) {
        out.push_back({Ipv4Prefix{Ipv4Address(addr), 32}, "dest", Ipv4Address(addr).to_string(), "bcst", nh++,
                       unit->name});
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.destination.address != b.destination.address ? a.destination.address < b.destination.address
                                                              : a.destination.length < b.destination.length;
    });
    return out;
}

std::vector<FirewallFilterInfo> ForwardingEngine::firewall() const {
    std::vector<FirewallFilterInfo> out;
    for (const auto& [name, fs] : impl_->filters) {
        FirewallFilterInfo info;
        info.name = name;
        for (const auto& [n, c] : fs.named) {
            info.counters.push_back(c);
        }
        info.terms = fs.terms;
        info.implicit_discard_packets = fs.implicit_packets;
        info.implicit_discard_bytes = fs.implicit_bytes;
        out.push_back(std::move(info));
    }
    return out;
}

const TrafficCounters& ForwardingEngine::global_counters() const {
    return impl_->global;
}

void ForwardingEngine::clear_interface_counters(std::string_view interface) {
    for (auto& [name, p] : impl_->phys) {
        if (!interface.empty() && name != interface) {
            continue;
        }
        p->counters = {};
        for (auto& [n, u] : p->units) {
            u.counters = {};
        }
    }
}

void ForwardingEngine::clear_arp_table() {
    impl_->arp.clear();
}

void ForwardingEngine::clear_firewall_counters(std::string_view filter) {
    for (auto& [name, fs] : impl_->filters) {
        if (!filter.empty() && name != filter) {
            continue;
        }
        for (auto& t : fs.terms) {
            t.packets = t.bytes = 0;
        }
        for (auto& [n, c] : fs.named) {
            c.packets = c.bytes = 0;
        }
        fs.implicit_packets = fs.implicit_bytes = 0;
    }
}

}  // namespace msim::dataplane
