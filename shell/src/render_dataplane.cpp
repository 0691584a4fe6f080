#include "render_dataplane.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>
#include <vector>

namespace msim::shell {

namespace {

// The reply element `name`: `node` itself, a child of it (the <rpc-reply>), or deeper.
pugi::xml_node find(const pugi::xml_node& node, const char* name) {
    if (std::string_view(node.name()) == name) {
        return node;
    }
    if (auto c = node.child(name)) {
        return c;
    }
    return node.find_node([name](const pugi::xml_node& n) { return std::string_view(n.name()) == name; });
}

std::string text(const pugi::xml_node& n, const char* child) {
    return n.child_value(child);
}
unsigned long long number(const pugi::xml_node& n, const char* child) {
    return n.child(child).text().as_ullong();
}

std::string pad(std::string s, size_t width) {
    if (s.size() < width) {
        s.resize(width, ' ');
    }
    return s;
}

std::string format(const char* fmt, auto... args) {
    char buf[512];
    std::snprintf(buf, sizeof buf, fmt, args...);
    return buf;
}

std::string rstrip(std::string s) {
    while (!s.empty() && s.back() == ' ') {
        s.pop_back();
    }
    return s;
}

// ---------------------------------------------------------------- show interfaces

std::string terse(const pugi::xml_node& info) {
    std::string out = "Interface               Admin Link Proto    Local                 Remote\n";
    auto row = [](const std::string& name, const std::string& admin, const std::string& link) {
        std::string line = pad(name, 23) + " " + pad(admin, 5) + " " + pad(link, 4) + " ";
        return line;
    };
    for (auto p : info.children("physical-interface")) {
        out += rstrip(row(text(p, "name"), text(p, "admin-status"), text(p, "oper-status"))) + "\n";
        for (auto l : p.children("logical-interface")) {
            std::string line = row(text(l, "name"), text(l, "admin-status"), text(l, "oper-status"));
            bool first_family = true;
            for (auto af : l.children("address-family")) {
                if (!first_family) {
                    line = std::string(35, ' ');
                }
                first_family = false;
                line += pad(text(af, "address-family-name"), 8) + " ";
                bool first = true;
                for (auto a : af.children("interface-address")) {
                    if (!first) {
                        line = std::string(44, ' ');
                    }
                    first = false;
                    const std::string local = text(a, "ifa-local");
                    if (a.child("ifa-destination")) {
                        line += pad(local, 19) + " --> " + text(a, "ifa-destination");
                    } else {
                        line += local;
                    }
                    out += rstrip(line) + "\n";
                }
                if (first) {
                    out += rstrip(line) + "\n";
                }
            }
            if (first_family) {
                out += rstrip(line) + "\n";
            }
        }
    }
    return out;
}

// "(00:10:12 ago)" / "(2d 03:04 ago)" / "(1w2d 03:04 ago)" as Junos prints flap times.
std::string ago(long long s) {
    const long long w = s / (7 * 86400), d = (s / 86400) % 7, h = (s / 3600) % 24, m = (s / 60) % 60,
                    sec = s % 60;
    if (w > 0) {
        return format("%lldw%lldd %02lld:%02lld", w, d, h, m);
    }
    if (d > 0) {
        return format("%lldd %02lld:%02lld", d, h, m);
    }
    return format("%02lld:%02lld:%02lld", h, m, sec);
}

std::string flapped_line(const pugi::xml_node& p) {
    auto f = p.child("interface-flapped");
    if (!f) {
        return "  Last flapped   : Never\n";
    }
    const long long seconds = f.attribute("junos:seconds").as_llong();
    const std::time_t when = std::time(nullptr) - seconds;
    std::tm tm{};
    ::localtime_r(&when, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &tm);
    return std::string("  Last flapped   : ") + buf + " (" + ago(seconds) + " ago)\n";
}

std::string traffic_block(const pugi::xml_node& n, const char* indent) {
    auto ts = n.child("traffic-statistics");
    std::string out = std::string(indent) + "Traffic statistics:\n";
    const std::string in2 = std::string(indent) + " ";
    out += in2 + format("Input  bytes  : %20llu\n", number(ts, "input-bytes"));
    out += in2 + format("Output bytes  : %20llu\n", number(ts, "output-bytes"));
    out += in2 + format("Input  packets: %20llu\n", number(ts, "input-packets"));
    out += in2 + format("Output packets: %20llu\n", number(ts, "output-packets"));
    return out;
}

std::string encapsulation(const std::string& link_level_type) {
    if (link_level_type == "Ethernet") {
        return "ENET2";
    }
    return link_level_type;
}

std::string logical_block(const pugi::xml_node& l, const std::string& link_level_type, InterfaceView view) {
    std::string out = format("  Logical interface %s (Index %llu) (SNMP ifIndex %llu)\n",
                             text(l, "name").c_str(), number(l, "local-index"), number(l, "snmp-index"));
    if (l.child("description")) {
        out += "    Description: " + text(l, "description") + "\n";
    }
    auto flags = l.child("if-config-flags");
    std::string f = "    Flags: ";
    if (!flags.child("iff-up")) {
        f += "Device-Down ";
    }
    if (flags.child("iff-point-to-point")) {
        f += "Point-To-Point ";
    }
    out += f + "SNMP-Traps Encapsulation: " + encapsulation(link_level_type) + "\n";
    auto ts = l.child("traffic-statistics");
    if (view == InterfaceView::kStandard) {
        out += format("    Input packets : %llu\n", number(ts, "input-packets"));
        out += format("    Output packets: %llu\n", number(ts, "output-packets"));
    } else {
        out += traffic_block(l, "    ");
    }
    if (l.child("msim-ipsec-sa")) {
        out += "    IPSec SA: " + text(l, "msim-ipsec-sa") + "\n";
    }
    auto filters = l.child("filter-information");
    for (auto af : l.children("address-family")) {
        out += format("    Protocol %s, MTU: %llu\n", text(af, "address-family-name").c_str(),
                      number(af, "mtu"));
        out += "      Flags: None\n";
        if (filters.child("filter-input")) {
            out += "      Input Filters: " + text(filters, "filter-input") + "\n";
        }
        if (filters.child("filter-output")) {
            out += "      Output Filters: " + text(filters, "filter-output") + "\n";
        }
        for (auto a : af.children("interface-address")) {
            std::string line = "      Addresses";
            auto af_flags = a.child("ifa-flags");
            if (af_flags.first_child()) {
                line += ", Flags:";
                if (af_flags.child("ifaf-current-preferred")) {
                    line += " Is-Preferred";
                }
                if (af_flags.child("ifaf-current-primary")) {
                    line += " Is-Primary";
                }
            }
            out += line + "\n";
            std::string addr =
                "        Destination: " + text(a, "ifa-destination") + ", Local: " + text(a, "ifa-local");
            if (a.child("ifa-broadcast")) {
                addr += ", Broadcast: " + text(a, "ifa-broadcast");
            }
            out += addr + "\n";
        }
    }
    return out;
}

std::string physical_block(const pugi::xml_node& p, InterfaceView view) {
    const bool admin_up = text(p, "admin-status") == "up";
    const bool oper_up = text(p, "oper-status") == "up";
    std::string out = "Physical interface: " + text(p, "name") + ", " +
                      (admin_up ? "Enabled" : "Administratively down") + ", Physical link is " +
                      (oper_up ? "Up" : "Down") + "\n";
    out += format("  Interface index: %llu, SNMP ifIndex: %llu\n", number(p, "local-index"),
                  number(p, "snmp-index"));
    const std::string llt = text(p, "link-level-type");
    const std::string type = text(p, "if-type");
    const std::string speed = text(p, "speed");
    const auto mtu = number(p, "mtu");
    if (type == "Ethernet") {
        out += format(
            "  Link-level type: Ethernet, MTU: %llu, Speed: %s, Loopback: Disabled, Source filtering: "
            "Disabled,\n  Flow control: Enabled\n",
            mtu, speed.c_str());
    } else if (type == "SONET") {
        out += format(
            "  Link-level type: %s, MTU: %llu, Clocking: Internal, SONET mode, Speed: %s, Loopback: None,"
            " FCS: 16,\n  Payload scrambler: Enabled\n",
            llt.c_str(), mtu, speed.c_str());
    } else {
        out += format("  Type: %s, Link-level type: %s, MTU: %llu, Speed: %s\n", type.c_str(), llt.c_str(),
                      mtu, speed.c_str());
    }
    out += std::string("  Device flags   : Present Running") + (oper_up ? "" : " Down") + "\n";
    out += std::string("  Interface flags: ") + (admin_up ? "" : "Down ") + "SNMP-Traps Internal: 0x4000\n";
    out += "  Link flags     : None\n";
    if (p.child("current-physical-address")) {
        out += "  Current address: " + text(p, "current-physical-address") +
               ", Hardware address: " + text(p, "hardware-physical-address") + "\n";
    }
    out += flapped_line(p);
    if (view != InterfaceView::kStandard) {
        out += traffic_block(p, "  ");
    }
    out += "  Input rate     : 0 bps (0 pps)\n";
    out += "  Output rate    : 0 bps (0 pps)\n";
    auto in = p.child("input-error-list");
    auto o = p.child("output-error-list");
    if (view == InterfaceView::kExtensive) {
        out += "  Input errors:\n";
        out += format(
            "    Errors: %llu, Drops: %llu, Framing errors: %llu, Runts: 0, Giants: 0, Policed discards: "
            "0,\n    L3 incompletes: %llu, L2 channel errors: 0, L2 mismatch timeouts: 0, Resource "
            "errors: 0\n",
            number(in, "input-errors"), number(in, "input-drops"), number(in, "framing-errors"),
            number(in, "input-l3-incompletes"));
        out += "  Output errors:\n";
        out += format(
            "    Carrier transitions: 0, Errors: %llu, Drops: %llu, MTU errors: 0, Resource errors: 0\n",
            number(o, "output-errors"), number(o, "output-drops"));
        if (auto reasons = p.child("msim-drop-reasons"); reasons.first_child()) {
            out += "  Drops by reason:\n";
            for (auto r : reasons.children("drop-reason")) {
                out += format("    %-28s %llu\n", (text(r, "name") + ":").c_str(), number(r, "count"));
            }
        }
    } else if (view == InterfaceView::kDetail) {
        out += format("  Input errors:\n    Errors: %llu, Drops: %llu\n", number(in, "input-errors"),
                      number(in, "input-drops"));
        out += format("  Output errors:\n    Errors: %llu, Drops: %llu\n", number(o, "output-errors"),
                      number(o, "output-drops"));
    }
    out += "  Active alarms  : None\n";
    out += "  Active defects : None\n";
    for (auto l : p.children("logical-interface")) {
        out += "\n" + logical_block(l, llt, view);
    }
    return out;
}

// ---------------------------------------------------------------- show route

std::string next_hop_line(const pugi::xml_node& nh) {
    const std::string indent(20, ' ');
    if (nh.child("nh-local-interface")) {
        return indent + "  Local via " + text(nh, "nh-local-interface") + "\n";
    }
    if (nh.child("nh-type")) {
        return indent + "  " + text(nh, "nh-type") + "\n";
    }
    std::string line = indent + (nh.child("selected-next-hop") ? "> " : "  ");
    if (nh.child("to")) {
        line += "to " + text(nh, "to") + " ";
    }
    return line + "via " + text(nh, "via") + "\n";
}

// Route ages as `show route` prints them: HH:MM:SS, Nd HH:MM:SS, NwNd HH:MM:SS.
std::string route_age(const pugi::xml_node& age) {
    if (!age.attribute("junos:seconds")) {
        return age.child_value();
    }
    const long long s = age.attribute("junos:seconds").as_llong();
    const long long w = s / (7 * 86400), d = (s / 86400) % 7;
    const std::string hms = format("%02lld:%02lld:%02lld", (s / 3600) % 24, (s / 60) % 60, s % 60);
    if (w > 0) {
        return format("%lldw%lldd ", w, d) + hms;
    }
    if (d > 0) {
        return format("%lldd ", d) + hms;
    }
    return hms;
}

// Junos prints link addresses in the forwarding table without leading zeros: 0:5:85:0:1:a.
std::string short_mac(const std::string& s) {
    if (s.size() != 17 || s[2] != ':') {
        return s;
    }
    std::string out;
    for (size_t i = 0; i < 17; i += 3) {
        if (!out.empty()) {
            out += ':';
        }
        out += s[i] == '0' ? s.substr(i + 1, 1) : s.substr(i, 2);
    }
    return out;
}

// A hidden route (a static route whose next hop does not resolve) is listed only by `show route hidden`.
bool hidden(const pugi::xml_node& entry) {
    if (entry.child("current-active")) {
        return false;
    }
    for (auto nh : entry.children("nh")) {
        if (nh.child("via") || nh.child("nh-local-interface") || nh.child("nh-type")) {
            return false;
        }
    }
    return true;
}

// ---------------------------------------------------------------- ping / traceroute helpers

std::string ms(unsigned long long micros) {
    return format("%.3f", static_cast<double>(micros) / 1000.0);
}

// BSD ping's dump of the header an ICMP error returned (pr_iph).
std::string returned_header(const std::string& hex) {
    if (hex.size() < 40) {
        return {};
    }
    std::vector<unsigned> b;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        b.push_back(static_cast<unsigned>(std::strtoul(hex.substr(i, 2).c_str(), nullptr, 16)));
    }
    const unsigned off = (b[6] << 8) | b[7];
    std::string out = "Vr HL TOS  Len   ID Flg  off TTL Pro  cks      Src      Dst\n";
    out +=
        format(" %1x  %1x  %02x %04x %04x   %1x %04x  %02x  %02x %04x %u.%u.%u.%u  %u.%u.%u.%u \n", b[0] >> 4,
               b[0] & 0xf, b[1], (b[2] << 8) | b[3], (b[4] << 8) | b[5], off >> 13, off & 0x1fff, b[8], b[9],
               (b[10] << 8) | b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19]);
    return out;
}

}  // namespace

std::string render_interface_information(const pugi::xml_node& reply, InterfaceView view) {
    auto info = find(reply, "interface-information");
    // A terse reply has nothing for the other views: show it as it is.
    if (view == InterfaceView::kTerse || std::string_view(info.attribute("junos:style").value()) == "terse") {
        return terse(info);
    }
    std::string out;
    bool first = true;
    for (auto p : info.children("physical-interface")) {
        if (!first) {
            out += "\n";
        }
        first = false;
        out += physical_block(p, view);
    }
    return out;
}

std::string render_arp_table(const pugi::xml_node& reply, bool no_resolve) {
    auto info = find(reply, "arp-table-information");
    std::string out =
        no_resolve
            ? "MAC Address       Address         Interface           Flags\n"
            : "MAC Address       Address         Name                      Interface           Flags\n";
    for (auto e : info.children("arp-table-entry")) {
        std::string flags;
        for (auto f : e.child("arp-table-entry-flags").children()) {
            flags += (flags.empty() ? "" : " ") + std::string(f.name());
        }
        std::string line = pad(text(e, "mac-address"), 17) + " " + pad(text(e, "ip-address"), 15) + " ";
        if (!no_resolve) {
            line += pad(text(e, "hostname"), 25) + " ";
        }
        line += pad(text(e, "interface-name"), 19) + " " + (flags.empty() ? "none" : flags);
        out += line + "\n";
    }
    out += format("Total entries: %llu\n", number(info, "arp-entry-count"));
    return out;
}

std::string render_route_information(const pugi::xml_node& reply) {
    auto info = find(reply, "route-information");
    std::string out;
    for (auto table : info.children("route-table")) {
        out += format("\n%s: %llu destinations, %llu routes (%llu active, %llu holddown, %llu hidden)\n",
                      text(table, "table-name").c_str(), number(table, "destination-count"),
                      number(table, "total-route-count"), number(table, "active-route-count"),
                      number(table, "holddown-route-count"), number(table, "hidden-route-count"));
        out += "+ = Active Route, - = Last Active, * = Both\n\n";
        for (auto rt : table.children("rt")) {
            bool first = true;
            for (auto entry : rt.children("rt-entry")) {
                if (hidden(entry)) {
                    continue;
                }
                std::string dest = first ? text(rt, "rt-destination") : "";
                dest = dest.size() >= 19 ? dest + " " : pad(dest, 19);
                first = false;
                const char mark = entry.child("current-active") ? '*' : ' ';
                out += dest + mark + "[" + text(entry, "protocol-name") + "/" + text(entry, "preference") +
                       "] " + route_age(entry.child("age")) + "\n";
                for (auto nh : entry.children("nh")) {
                    out += next_hop_line(nh);
                }
            }
        }
    }
    return out;  // Junos begins the listing with an empty line, as here
}

std::string render_forwarding_table(const pugi::xml_node& reply) {
    auto info = find(reply, "forwarding-table-information");
    std::string out;
    for (auto table : info.children("route-table")) {
        out += "Routing table: " + text(table, "table-name") + ".inet\n";
        out += text(table, "address-family") + ":\n";
        out += "Destination        Type RtRef Next hop           Type Index NhRef Netif\n";
        for (auto e : table.children("rt-entry")) {
            auto nh = e.child("nh");
            std::string dest = text(e, "rt-destination");
            dest = dest.size() >= 18 ? dest : pad(dest, 18);
            std::string line =
                format("%s %-4s %5llu %-18s %-4s %5llu %5llu %s", dest.c_str(),
                       text(e, "destination-type").c_str(), number(e, "route-reference-count"),
                       short_mac(text(nh, "to")).c_str(), text(nh, "nh-type").c_str(), number(nh, "nh-index"),
                       number(nh, "nh-reference-count"), text(nh, "via").c_str());
            out += rstrip(line) + "\n";
        }
    }
    return out;
}

std::string render_firewall_information(const pugi::xml_node& reply) {
    auto info = find(reply, "firewall-information");
    std::string out;
    for (auto f : info.children("filter-information")) {
        out += "\nFilter: " + text(f, "filter-name") + "\n";
        if (!f.child("counter")) {
            continue;
        }
        out += "Counters:\n";
        out += "Name                                                Bytes              Packets\n";
        for (auto c : f.children("counter")) {
            std::string name = text(c, "counter-name");
            name = name.size() >= 40 ? name + " " : pad(name, 41);
            out += name + format("%16llu %20llu\n", number(c, "byte-count"), number(c, "packet-count"));
        }
    }
    return out;
}

std::string render_clear_arp(const pugi::xml_node& reply) {
    std::string out;
    for (auto n : reply.select_nodes(".//ip-address")) {
        out += pad(n.node().child_value(), 15) + " deleted\n";
    }
    return out;
}

// ---------------------------------------------------------------- ping

std::string PingRenderer::progress(const pugi::xml_node& body) {
    const std::string_view name = body.name();
    if (name == "ping-start") {
        rapid_ = static_cast<bool>(body.child("rapid"));
        mid_line_ = false;
        return format("PING %s (%s): %llu data bytes\n", text(body, "target-host").c_str(),
                      text(body, "target-ip").c_str(), number(body, "packet-size"));
    }
    if (name != "probe-result") {
        return {};  // keepalives
    }
    if (body.child("send-error")) {
        std::string out = mid_line_ ? "\n" : "";
        mid_line_ = false;
        return out + text(body, "send-error") + "\n";
    }
    if (rapid_) {
        mid_line_ = true;
        return body.child("rtt") && !body.child("icmp-error") ? "!" : ".";
    }
    if (body.child("timeout")) {
        return {};
    }
    if (body.child("icmp-error")) {
        return format("%llu bytes from %s: %s\n", number(body, "response-size"),
                      text(body, "ip-address").c_str(), text(body, "icmp-error").c_str()) +
               returned_header(text(body, "msim-returned-header"));
    }
    return format("%llu bytes from %s: icmp_seq=%llu ttl=%llu time=%s ms\n", number(body, "response-size"),
                  text(body, "ip-address").c_str(), number(body, "icmp-sequence"),
                  number(body, "time-to-live"), ms(number(body, "rtt")).c_str());
}

std::string PingRenderer::result(const pugi::xml_node& reply) {
    auto res = find(reply, "ping-results");
    auto sum = res.child("probe-results-summary");
    std::string out = "\n--- " + text(res, "target-host") + " ping statistics ---\n";
    out += format("%llu packets transmitted, %llu packets received, %llu%% packet loss\n",
                  number(sum, "probes-sent"), number(sum, "responses-received"), number(sum, "packet-loss"));
    if (number(sum, "responses-received") > 0) {
        out += "round-trip min/avg/max/stddev = " + ms(number(sum, "rtt-minimum")) + "/" +
               ms(number(sum, "rtt-average")) + "/" + ms(number(sum, "rtt-maximum")) + "/" +
               ms(number(sum, "rtt-stddev")) + " ms\n";
    }
    mid_line_ = false;
    return out;
}

// ---------------------------------------------------------------- traceroute

std::string TracerouteRenderer::progress(const pugi::xml_node& body) {
    const std::string_view name = body.name();
    if (name == "traceroute-start") {
        return format("traceroute to %s (%s), %llu hops max, %llu byte packets\n",
                      text(body, "target-host").c_str(), text(body, "target-ip").c_str(),
                      number(body, "max-hops"), number(body, "packet-size"));
    }
    if (name != "hop") {
        return {};
    }
    std::string errors;
    std::string line = format("%2llu ", number(body, "ttl-value"));
    std::string last;
    for (auto p : body.children("probe-result")) {
        if (p.child("send-error")) {
            errors += text(p, "send-error") + "\n";
        }
        if (p.child("timeout")) {
            line += " *";
            continue;
        }
        const std::string ip = text(p, "ip-address");
        if (ip != last) {
            line += " " + ip + " (" + ip + ")";
            last = ip;
        }
        line += "  " + ms(number(p, "rtt")) + " ms";
        if (p.child("unreachable-flag")) {
            line += " " + text(p, "unreachable-flag");
        }
    }
    return errors + line + "\n";
}

std::string TracerouteRenderer::result(const pugi::xml_node&) {
    return {};
}

// ---------------------------------------------------------------- monitor traffic

std::string MonitorRenderer::progress(const pugi::xml_node& body) {
    const std::string_view name = body.name();
    if (name == "monitor-start") {
        const bool detail = static_cast<bool>(body.child("detail"));
        std::string out;
        if (!detail) {
            out += "verbose output suppressed, use <detail> or <extensive> for full protocol decode\n";
        }
        out +=
            "Address resolution is ON. Use <no-resolve> to avoid any reverse lookup delay.\n"
            "Address resolution timeout is 4s.\n";
        out += format("Listening on %s, capture size %d bytes\n\n", text(body, "interface").c_str(),
                      detail ? 1514 : 96);
        return out;
    }
    if (name != "packet") {
        return {};
    }
    return format("%s %3s ", text(body, "time").c_str(), text(body, "direction").c_str()) +
           text(body, "summary") + "\n";
}

std::string MonitorRenderer::result(const pugi::xml_node& reply) {
    auto res = find(reply, "monitor-traffic-results");
    return format("%llu packets received by filter\n0 packets dropped by kernel\n", number(res, "packets"));
}

}  // namespace msim::shell
