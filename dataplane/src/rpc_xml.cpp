#include "msim/dataplane/rpc_xml.hpp"

#include <cstdio>

namespace msim::dataplane::rpc {

namespace {

void text(pugi::xml_node parent, const char* name, const std::string& value) {
    parent.append_child(name).text().set(value.c_str());
}
void number(pugi::xml_node parent, const char* name, uint64_t value) {
    parent.append_child(name).text().set(static_cast<unsigned long long>(value));
}
const char* up_down(bool up) {
    return up ? "up" : "down";
}

void traffic_statistics(pugi::xml_node parent, const TrafficCounters& c) {
    auto ts = parent.append_child("traffic-statistics");
    ts.append_attribute("junos:style") = "brief";
    number(ts, "input-bytes", c.input_bytes);
    number(ts, "output-bytes", c.output_bytes);
    number(ts, "input-packets", c.input_packets);
    number(ts, "output-packets", c.output_packets);
}

void error_lists(pugi::xml_node parent, const TrafficCounters& c, bool extensive) {
    auto in = parent.append_child("input-error-list");
    number(in, "input-errors", c.input_errors);
    number(in, "input-drops", c.input_drops);
    if (extensive) {
        number(in, "framing-errors",
               c.drops(DropReason::kTruncatedFrame) + c.drops(DropReason::kUnknownEthertype));
        number(in, "input-l3-incompletes",
               c.drops(DropReason::kIpTruncated) + c.drops(DropReason::kIpBadVersion) +
                   c.drops(DropReason::kIpBadHeaderLength) + c.drops(DropReason::kIpBadTotalLength) +
                   c.drops(DropReason::kIpBadChecksum));
        // Our own breakdown, one element per non-zero reason.
        auto reasons = parent.append_child("msim-drop-reasons");
        for (size_t i = 0; i < kDropReasonCount; ++i) {
            if (c.drops_by_reason[i] != 0) {
                auto r = reasons.append_child("drop-reason");
                text(r, "name", std::string(to_string(static_cast<DropReason>(i))));
                number(r, "count", c.drops_by_reason[i]);
            }
        }
    }
    auto out = parent.append_child("output-error-list");
    number(out, "output-errors", 0);
    number(out, "output-drops", c.output_drops);
}

void logical(pugi::xml_node phys, const LogicalInterfaceInfo& u, InterfaceDetail detail) {
    auto li = phys.append_child("logical-interface");
    text(li, "name", u.name);
    if (detail != InterfaceDetail::kTerse) {
        number(li, "local-index", u.index);
        number(li, "snmp-index", u.snmp_index);
        if (!u.description.empty()) {
            text(li, "description", u.description);
        }
        auto flags = li.append_child("if-config-flags");
        if (u.link_up) {
            flags.append_child("iff-up");
        }
        if (u.point_to_point) {
            flags.append_child("iff-point-to-point");
        }
        traffic_statistics(li, u.counters);
    } else {
        text(li, "admin-status", up_down(u.admin_up));
        text(li, "oper-status", up_down(u.link_up));
    }
    auto filters = li.append_child("filter-information");
    if (!u.input_filter.empty()) {
        text(filters, "filter-input", u.input_filter);
    }
    if (!u.output_filter.empty()) {
        text(filters, "filter-output", u.output_filter);
    }
    auto af = li.append_child("address-family");
    text(af, "address-family-name", "inet");
    if (detail != InterfaceDetail::kTerse) {
        number(af, "mtu", u.inet_mtu);
    }
    for (const auto& a : u.addresses) {
        auto ifa = af.append_child("interface-address");
        if (detail != InterfaceDetail::kTerse) {
            auto flags = ifa.append_child("ifa-flags");
            if (a.primary) {
                flags.append_child("ifaf-current-preferred");
                flags.append_child("ifaf-current-primary");
            }
            text(ifa, "ifa-destination", a.destination ? a.destination->to_string() : junos_subnet(a.subnet));
            text(ifa, "ifa-local", a.local.address.to_string());
            if (a.broadcast) {
                text(ifa, "ifa-broadcast", a.broadcast->to_string());
            }
        } else {
            // Terse shows A/P, or A with "--> D" for point-to-point.
            text(ifa, "ifa-local", a.destination ? a.local.address.to_string() : a.local.to_string());
            if (a.destination) {
                text(ifa, "ifa-destination", a.destination->to_string());
            }
        }
    }
    if (!u.ipsec_sa.empty()) {
        text(li, "msim-ipsec-sa", u.ipsec_sa);
    }
}

}  // namespace

std::string junos_subnet(const Ipv4Prefix& prefix) {
    const Ipv4Prefix net = prefix.network();
    const uint32_t v = net.address.value;
    int octets = 4;
    // Junos drops trailing zero octets that lie wholly inside the host part: 10.1.1.0/24 -> 10.1.1/24.
    while (octets > 1 && (v & (0xffu << (8 * (4 - octets)))) == 0 && (octets - 1) * 8 >= net.length) {
        --octets;
    }
    std::string out;
    for (int i = 0; i < octets; ++i) {
        if (i != 0) {
            out += '.';
        }
        out += std::to_string((v >> (24 - 8 * i)) & 0xff);
    }
    return out + "/" + std::to_string(net.length);
}

std::string format_age(std::chrono::seconds age) {
    long long s = age.count() < 0 ? 0 : age.count();
    const long long weeks = s / (7 * 86400);
    s %= 7 * 86400;
    const long long days = s / 86400;
    s %= 86400;
    const long long h = s / 3600;
    const long long m = (s % 3600) / 60;
    const long long sec = s % 60;
    char buf[64];
    if (weeks > 0) {
        std::snprintf(buf, sizeof buf, "%lldw%lldd %02lld:%02lld:%02lld", weeks, days, h, m, sec);
    } else if (days > 0) {
        std::snprintf(buf, sizeof buf, "%lldd %02lld:%02lld:%02lld", days, h, m, sec);
    } else if (h > 0) {
        std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", h, m, sec);
    } else {
        std::snprintf(buf, sizeof buf, "%02lld:%02lld", m, sec);
    }
    return buf;
}

pugi::xml_node append_interface_information(pugi::xml_node parent,
                                            const std::vector<PhysicalInterfaceInfo>& ifs,
                                            InterfaceDetail detail) {
    auto root = parent.append_child("interface-information");
    root.append_attribute("junos:style") = detail == InterfaceDetail::kTerse    ? "terse"
                                           : detail == InterfaceDetail::kDetail ? "detail"
                                                                                : "extensive";
    for (const auto& p : ifs) {
        auto pi = root.append_child("physical-interface");
        text(pi, "name", p.name);
        text(pi, "admin-status", up_down(p.admin_up));
        text(pi, "oper-status", up_down(p.admin_up && p.link_up));
        if (detail != InterfaceDetail::kTerse) {
            number(pi, "local-index", p.index);
            number(pi, "snmp-index", p.snmp_index);
            text(pi, "if-type", p.type);
            text(pi, "link-level-type", p.link_level_type);
            number(pi, "mtu", p.mtu);
            text(pi, "speed", p.speed);
            if (p.mac) {
                text(pi, "current-physical-address", p.mac->to_string());
                text(pi, "hardware-physical-address", p.mac->to_string());
            }
            auto flapped = pi.append_child("interface-flapped");
            flapped.append_attribute("junos:seconds") = static_cast<long long>(p.since_last_flap.count());
            flapped.text().set(format_age(p.since_last_flap).c_str());
            traffic_statistics(pi, p.counters);
            error_lists(pi, p.counters, detail == InterfaceDetail::kExtensive);
        }
        for (const auto& u : p.units) {
            logical(pi, u, detail);
        }
    }
    return root;
}

pugi::xml_node append_arp_table_information(pugi::xml_node parent, const std::vector<ArpEntryInfo>& entries) {
    auto root = parent.append_child("arp-table-information");
    for (const auto& e : entries) {
        auto entry = root.append_child("arp-table-entry");
        text(entry, "mac-address", e.mac.to_string());
        text(entry, "ip-address", e.address.to_string());
        text(entry, "hostname", e.address.to_string());
        text(entry, "interface-name", e.interface);
        entry.append_child("arp-table-entry-flags").append_child("none");
        number(entry, "time-to-expire", static_cast<uint64_t>(e.expires_in.count()));
    }
    number(root, "arp-entry-count", entries.size());
    return root;
}

pugi::xml_node append_route_information(pugi::xml_node parent, const RouteTableInfo& table) {
    auto root = parent.append_child("route-information");
    auto rt_table = root.append_child("route-table");
    text(rt_table, "table-name", table.name);
    number(rt_table, "destination-count", table.destinations);
    number(rt_table, "total-route-count", table.total_routes);
    number(rt_table, "active-route-count", table.active_routes);
    number(rt_table, "holddown-route-count", table.holddown_routes);
    number(rt_table, "hidden-route-count", table.hidden_routes);
    pugi::xml_node rt;
    const Ipv4Prefix* last = nullptr;
    for (const auto& r : table.routes) {
        if (last == nullptr || *last != r.destination) {
            rt = rt_table.append_child("rt");
            rt.append_attribute("junos:style") = "brief";
            text(rt, "rt-destination", r.destination.to_string());
            last = &r.destination;
        }
        auto entry = rt.append_child("rt-entry");
        if (r.active) {
            text(entry, "active-tag", "*");
            entry.append_child("current-active");
            entry.append_child("last-active");
        }
        text(entry, "protocol-name", std::string(to_string(r.protocol)));
        number(entry, "preference", r.preference);
        auto age = entry.append_child("age");
        age.append_attribute("junos:seconds") = static_cast<long long>(r.age.count());
        age.text().set(format_age(r.age).c_str());
        for (const auto& nh : r.next_hops) {
            auto n = entry.append_child("nh");
            switch (nh.kind) {
                case RouteNextHopInfo::Kind::kForward:
                    if (nh.selected) {
                        n.append_child("selected-next-hop");
                    }
                    if (nh.to) {
                        text(n, "to", nh.to->to_string());
                    }
                    text(n, "via", nh.via);
                    break;
                case RouteNextHopInfo::Kind::kLocal:
                    text(n, "nh-local-interface", nh.via);
                    break;
                case RouteNextHopInfo::Kind::kDiscard:
                    text(n, "nh-type", "Discard");
                    break;
                case RouteNextHopInfo::Kind::kReject:
                    text(n, "nh-type", "Reject");
                    break;
            }
        }
    }
    return root;
}

pugi::xml_node append_forwarding_table_information(pugi::xml_node parent,
                                                   const std::vector<ForwardingEntryInfo>& entries) {
    auto root = parent.append_child("forwarding-table-information");
    auto table = root.append_child("route-table");
    text(table, "table-name", "default");
    text(table, "address-family", "Internet");
    for (const auto& e : entries) {
        auto entry = table.append_child("rt-entry");
        text(entry, "rt-destination", e.destination.length == 0 ? "default" : e.destination.to_string());
        text(entry, "destination-type", e.type);
        number(entry, "route-reference-count", 0);
        auto nh = entry.append_child("nh");
        if (!e.next_hop.empty()) {
            text(nh, "to", e.next_hop);
        }
        text(nh, "nh-type", e.next_hop_type);
        number(nh, "nh-index", e.next_hop_index);
        number(nh, "nh-reference-count", 1);
        if (!e.netif.empty()) {
            text(nh, "via", e.netif);
        }
    }
    return root;
}

pugi::xml_node append_firewall_information(pugi::xml_node parent,
                                           const std::vector<FirewallFilterInfo>& filters) {
    auto root = parent.append_child("firewall-information");
    for (const auto& f : filters) {
        auto fi = root.append_child("filter-information");
        text(fi, "filter-name", f.name);
        for (const auto& c : f.counters) {
            auto counter = fi.append_child("counter");
            text(counter, "counter-name", c.name);
            number(counter, "packet-count", c.packets);
            number(counter, "byte-count", c.bytes);
        }
        // Per-term hit counts are msim's addition (Junos shows only `count` counters).
        for (const auto& t : f.terms) {
            auto term = fi.append_child("msim-term-counter");
            text(term, "term-name", t.name);
            number(term, "packet-count", t.packets);
            number(term, "byte-count", t.bytes);
        }
    }
    return root;
}

}  // namespace msim::dataplane::rpc
