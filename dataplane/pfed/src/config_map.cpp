// The committed configuration pfed owns, mapped onto libmsim_dataplane (the table in dataplane/README.md).
#include "msim/pfed/config_map.hpp"

#include <charconv>
#include <set>

namespace msim::pfed {

namespace dp = msim::dataplane;
using config::Node;

namespace {

const std::string& name_of(const Node& n) {
    static const std::string empty;
    return n.schema() ? n.schema()->name : empty;
}

const Node* child(const Node& n, std::string_view name) {
    for (const auto& c : n.children()) {
        if (!c->inactive && name_of(*c) == name) {
            return c.get();
        }
    }
    return nullptr;
}

std::vector<const Node*> children(const Node& n, std::string_view name) {
    std::vector<const Node*> out;
    for (const auto& c : n.children()) {
        if (!c->inactive && name_of(*c) == name) {
            out.push_back(c.get());
        }
    }
    return out;
}

std::string value(const Node* n) {
    return n && !n->values().empty() ? n->values().front() : std::string();
}

std::optional<uint64_t> number(std::string_view text) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) {
        return std::nullopt;
    }
    return v;
}

// Port names of the schema that the engine spells differently or does not list.
std::optional<dp::PortRange> port_range(const std::string& text) {
    if (auto r = dp::parse_port_range(text)) {
        return r;
    }
    if (text == "dns") {
        return dp::PortRange{53, 53};
    }
    if (text == "ike") {
        return dp::PortRange{500, 500};
    }
    return std::nullopt;
}

std::vector<dp::AddressMatch> address_list(const Node* list) {
    std::vector<dp::AddressMatch> out;
    if (!list) {
        return out;
    }
    for (const Node* a : children(*list, "address")) {
        if (auto p = dp::Ipv4Prefix::parse(value(a))) {
            out.push_back({*p, child(*a, "except") != nullptr});
        }
    }
    return out;
}

void map_interfaces(const Node& interfaces, PfedConfig& out) {
    for (const Node* ifn : children(interfaces, "interface")) {
        const std::string name = value(ifn);
        if (name.rfind("fxp", 0) == 0) {
            continue;  // management Ethernet of the Routing Engine: not part of the forwarding plane
        }
        InterfaceSettings& s = out.interfaces[name];
        s.disabled = child(*ifn, "disable") != nullptr;
        if (const Node* mtu = child(*ifn, "mtu")) {
            if (auto v = number(value(mtu))) {
                s.mtu = static_cast<uint32_t>(*v);
            }
        }
        for (const Node* un : children(*ifn, "unit")) {
            auto unit_number = number(value(un));
            if (!unit_number) {
                continue;
            }
            dp::UnitConfig u;
            u.unit = static_cast<uint32_t>(*unit_number);
            u.disabled = child(*un, "disable") != nullptr;
            u.description = value(child(*un, "description"));
            if (const Node* tunnel = child(*un, "tunnel")) {
                u.tunnel_source = dp::Ipv4Address::parse(value(child(*tunnel, "source")));
                u.tunnel_destination = dp::Ipv4Address::parse(value(child(*tunnel, "destination")));
            }
            const Node* family = child(*un, "family");
            const Node* inet = family ? child(*family, "inet") : nullptr;
            if (inet) {
                if (const Node* filter = child(*inet, "filter")) {
                    u.input_filter = value(child(*filter, "input"));
                    u.output_filter = value(child(*filter, "output"));
                }
                u.ipsec_sa = value(child(*inet, "ipsec-sa"));
                for (const Node* a : children(*inet, "address")) {
                    auto local = dp::Ipv4Prefix::parse(value(a));
                    if (!local) {
                        out.problems.push_back({{"interfaces", name, "unit", value(un), "family", "inet"},
                                                "address " + value(a),
                                                "invalid address"});
                        continue;
                    }
                    dp::UnitAddress addr{*local, std::nullopt};
                    if (const Node* d = child(*a, "destination")) {
                        addr.destination = dp::Ipv4Address::parse(value(d));
                    }
                    u.addresses.push_back(addr);
                }
            }
            s.units[u.unit] = std::move(u);
        }
    }
}

void map_firewall(const Node& firewall, PfedConfig& out) {
    for (const Node* fn : children(firewall, "filter")) {
        dp::FirewallFilter f;
        f.name = value(fn);
        for (const Node* tn : children(*fn, "term")) {
            dp::FilterTerm t;
            t.name = value(tn);
            const std::vector<std::string> where = {"firewall", "filter", f.name, "term", t.name, "from"};
            if (const Node* from = child(*tn, "from")) {
                t.source_addresses = address_list(child(*from, "source-address"));
                t.destination_addresses = address_list(child(*from, "destination-address"));
                if (const Node* protocols = child(*from, "protocol")) {
                    for (const auto& p : protocols->values()) {
                        if (auto v = dp::parse_ip_protocol(p)) {
                            t.protocols.push_back(*v);
                        } else {
                            out.problems.push_back({where, "protocol " + p, "unknown protocol"});
                        }
                    }
                }
                for (const auto& [keyword, list] : {std::pair{"source-port", &t.source_ports},
                                                    std::pair{"destination-port", &t.destination_ports}}) {
                    if (const Node* ports = child(*from, keyword)) {
                        for (const auto& p : ports->values()) {
                            if (auto r = port_range(p)) {
                                list->push_back(*r);
                            } else {
                                out.problems.push_back(
                                    {where, std::string(keyword) + " " + p, "unknown port"});
                            }
                        }
                    }
                }
            }
            // `then` is flattened in the text but is a container in the tree.
            const Node* then = child(*tn, "then");
            if (then) {
                t.count = value(child(*then, "count"));
                if (child(*then, "discard")) {
                    t.action = dp::FilterAction::kDiscard;
                } else if (child(*then, "reject")) {
                    t.action = dp::FilterAction::kReject;
                } else if (const Node* sa = child(*then, "ipsec-sa")) {
                    t.action = dp::FilterAction::kIpsecSa;
                    t.ipsec_sa = value(sa);
                } else {
                    t.action = dp::FilterAction::kAccept;  // `accept`, or no terminating action
                }
            }
            f.terms.push_back(std::move(t));
        }
        out.filters[f.name] = std::move(f);
    }
}

void map_routing_options(const Node& routing, PfedConfig& out) {
    const Node* st = child(routing, "static");
    if (!st) {
        return;
    }
    for (const Node* rn : children(*st, "route")) {
        const std::vector<std::string> where = {"routing-options", "static"};
        const std::string statement = "route " + value(rn);
        auto prefix = dp::Ipv4Prefix::parse(value(rn));
        if (!prefix) {
            out.problems.push_back({where, statement, "invalid prefix"});
            continue;
        }
        dp::StaticRoute r;
        r.destination = prefix->network();
        if (child(*rn, "discard")) {
            r.kind = dp::StaticRoute::Kind::kDiscard;
        } else if (child(*rn, "reject")) {
            r.kind = dp::StaticRoute::Kind::kReject;
        }
        if (const Node* nh = child(*rn, "next-hop")) {
            for (const auto& hop : nh->values()) {
                if (auto a = dp::Ipv4Address::parse(hop)) {
                    r.next_hops.push_back({*a, ""});
                } else if (auto u = dp::UnitName::parse(hop)) {
                    r.next_hops.push_back({std::nullopt, u->to_string()});  // "es-0/1/0" means unit 0
                } else {
                    out.problems.push_back({where, statement, "invalid next-hop '" + hop + "'"});
                }
            }
        }
        if (const Node* pref = child(*rn, "preference")) {
            auto v = number(value(pref));
            if (!v || *v > 255) {
                out.problems.push_back(
                    {where, statement, "preference " + value(pref) + " is not supported (0..255)"});
            } else {
                r.preference = static_cast<uint8_t>(*v);
            }
        }
        out.routes[r.destination] = std::move(r);
    }
}

// "address 10.1.1.1/24 overlaps …" -> "address 10.1.1.1/24"; the statement a message is about.
std::string leading_statement(const std::string& text, std::string_view keyword) {
    if (text.rfind(std::string(keyword) + " ", 0) != 0) {
        return {};
    }
    const size_t start = keyword.size() + 1;
    size_t end = text.find_first_of(": ", start);
    return text.substr(0, end == std::string::npos ? text.size() : end);
}

}  // namespace

PfedConfig map_configuration(const Node& root) {
    PfedConfig out;
    if (const Node* n = child(root, "interfaces")) {
        map_interfaces(*n, out);
    }
    if (const Node* n = child(root, "firewall")) {
        map_firewall(*n, out);
    }
    if (const Node* n = child(root, "routing-options")) {
        map_routing_options(*n, out);
    }
    return out;
}

dp::ForwardingEngine::ProposedConfig proposed(const PfedConfig& config) {
    dp::ForwardingEngine::ProposedConfig p;
    for (const auto& [name, settings] : config.interfaces) {
        for (const auto& [n, unit] : settings.units) {
            p.units.push_back({name, unit});
        }
    }
    for (const auto& [name, filter] : config.filters) {
        p.filters.push_back(filter);
    }
    for (const auto& [prefix, route] : config.routes) {
        p.routes.push_back(route);
    }
    return p;
}

uint32_t default_mtu(dp::InterfaceKind kind) {
    switch (kind) {
        case dp::InterfaceKind::kFastEthernet:
        case dp::InterfaceKind::kGigabitEthernet:
            return 1514;
        case dp::InterfaceKind::kSonet:
            return 4474;
        case dp::InterfaceKind::kEncryptionServices:
        case dp::InterfaceKind::kAdaptiveServices:
            return 9192;
        case dp::InterfaceKind::kLoopback:
            return 65535;
    }
    return 1514;
}

ConfigDiagnostic diagnostic_from_engine(const std::string& message) {
    ConfigDiagnostic d;
    const size_t colon = message.find(": ");
    const std::string subject = colon == std::string::npos ? std::string() : message.substr(0, colon);
    const std::string rest = colon == std::string::npos ? message : message.substr(colon + 2);
    // "fe-0/0/1.0: …": a unit.
    if (auto unit = dp::UnitName::parse(subject); unit && subject.find('.') != std::string::npos) {
        d.path = {"interfaces", unit->interface, "unit", std::to_string(unit->unit)};
        d.message = rest;
        if (auto s = leading_statement(rest, "address"); !s.empty()) {
            d.path.insert(d.path.end(), {"family", "inet"});
            d.statement = s;
        } else if (rest.rfind("firewall filter ", 0) == 0) {
            d.path.insert(d.path.end(), {"family", "inet", "filter"});
        } else if (rest.rfind("ipsec-sa", 0) == 0) {
            d.path.insert(d.path.end(), {"family", "inet"});
            d.statement = "ipsec-sa";
        } else if (rest.rfind("tunnel source ", 0) == 0) {
            d.path.push_back("tunnel");
            d.statement = leading_statement(rest.substr(7), "source");
        } else if (rest.rfind("tunnel", 0) == 0) {
            d.statement = "tunnel";
        }
        return d;
    }
    // "routing-options static route 10.2.2.0/24: …" or "… is defined twice".
    if (message.rfind("routing-options static route ", 0) == 0) {
        d.path = {"routing-options", "static"};
        const std::string after = message.substr(std::string("routing-options static ").size());
        d.statement = leading_statement(after, "route");
        d.message = colon == std::string::npos ? after : rest;
        return d;
    }
    // "filter F term T: …", "filter F: …" (validate_filter).
    if (message.rfind("filter ", 0) == 0 && colon != std::string::npos) {
        const std::string words = subject.substr(7);
        const size_t term = words.find(" term ");
        d.path = {"firewall", "filter", words.substr(0, term)};
        if (term != std::string::npos) {
            d.statement = "term " + words.substr(term + 6);
        }
        d.message = rest;
        return d;
    }
    if (message.rfind("firewall filter ", 0) == 0) {
        d.path = {"firewall"};
        d.message = message;
        return d;
    }
    d.message = message;
    return d;
}

std::vector<ConfigDiagnostic> validate_configuration(const PfedConfig& config) {
    std::vector<ConfigDiagnostic> out = config.problems;
    for (const auto& message : dp::ForwardingEngine::validate(proposed(config))) {
        out.push_back(diagnostic_from_engine(message));
    }
    for (const auto& [name, settings] : config.interfaces) {
        auto parsed = dp::InterfaceName::parse(name);
        if (!parsed || !settings.mtu) {
            continue;
        }
        // The media MTU carries the link-layer header: an IPv4 MTU of at least 256 must fit below it.
        const uint32_t header =
            dp::is_ethernet(parsed->kind) ? 14 : (parsed->kind == dp::InterfaceKind::kSonet ? 4 : 0);
        const uint32_t low = 256 + header;
        if (*settings.mtu < low || *settings.mtu > 9192) {
            out.push_back({{"interfaces", name},
                           "mtu " + std::to_string(*settings.mtu),
                           "Value " + std::to_string(*settings.mtu) + " is not within range (" +
                               std::to_string(low) + "..9192)"});
        }
    }
    return out;
}

void apply_interface_settings(const PfedConfig& config, const std::string& interface,
                              dp::ForwardingEngine& engine) {
    auto parsed = dp::InterfaceName::parse(interface);
    if (!parsed || !engine.interface_index(interface)) {
        return;
    }
    auto it = config.interfaces.find(interface);
    const bool disabled = it != config.interfaces.end() && it->second.disabled;
    const uint32_t mtu =
        it != config.interfaces.end() && it->second.mtu ? *it->second.mtu : default_mtu(parsed->kind);
    (void)engine.set_admin_up(interface, !disabled);
    if (parsed->kind != dp::InterfaceKind::kLoopback) {  // lo0 keeps its 65535 (beyond `mtu`'s range)
        (void)engine.set_mtu(interface, mtu);
    }
}

std::vector<std::string> apply_difference(const PfedConfig& before, const PfedConfig& after,
                                          dp::ForwardingEngine& engine, std::vector<std::string>* failures) {
    std::vector<std::string> done;
    auto note = [&](const std::string& what, const dp::Status& status) {
        done.push_back(what);
        if (!status.ok() && failures) {
            failures->push_back(what + ": " + status.error);
        }
    };
    // Filters first, so a unit never names a filter that is not there yet (the engine fails closed).
    for (const auto& [name, filter] : after.filters) {
        auto old = before.filters.find(name);
        if (old == before.filters.end() || !(old->second == filter)) {
            note("set_filter " + name, engine.set_filter(filter));
        }
    }
    // Units, and the interface-level statements of interfaces that exist.
    static const InterfaceSettings none;
    std::set<std::string> names;
    for (const auto& [name, s] : before.interfaces) {
        names.insert(name);
    }
    for (const auto& [name, s] : after.interfaces) {
        names.insert(name);
    }
    for (const auto& name : names) {
        auto b = before.interfaces.find(name);
        auto a = after.interfaces.find(name);
        const InterfaceSettings& old_s = b == before.interfaces.end() ? none : b->second;
        const InterfaceSettings& new_s = a == after.interfaces.end() ? none : a->second;
        for (const auto& [n, unit] : old_s.units) {
            if (new_s.units.count(n) == 0) {
                note("delete_unit " + name + "." + std::to_string(n), engine.delete_unit(name, n));
            }
        }
        for (const auto& [n, unit] : new_s.units) {
            auto old = old_s.units.find(n);
            if (old == old_s.units.end() || !(old->second == unit)) {
                note("configure_unit " + name + "." + std::to_string(n), engine.configure_unit(name, unit));
            }
        }
        auto parsed = dp::InterfaceName::parse(name);
        if (!parsed || !engine.interface_index(name)) {
            continue;
        }
        if (old_s.disabled != new_s.disabled) {
            note("set_admin_up " + name, engine.set_admin_up(name, !new_s.disabled));
        }
        if (old_s.mtu != new_s.mtu && parsed->kind != dp::InterfaceKind::kLoopback) {
            note("set_mtu " + name, engine.set_mtu(name, new_s.mtu ? *new_s.mtu : default_mtu(parsed->kind)));
        }
    }
    for (const auto& [prefix, route] : before.routes) {
        if (after.routes.count(prefix) == 0) {
            note("delete_static_route " + prefix.to_string(), engine.delete_static_route(prefix));
        }
    }
    for (const auto& [prefix, route] : after.routes) {
        auto old = before.routes.find(prefix);
        if (old == before.routes.end() || !(old->second == route)) {
            note("add_static_route " + prefix.to_string(), engine.add_static_route(route));
        }
    }
    for (const auto& [name, filter] : before.filters) {
        if (after.filters.count(name) == 0) {
            note("delete_filter " + name, engine.delete_filter(name));
        }
    }
    return done;
}

}  // namespace msim::pfed
