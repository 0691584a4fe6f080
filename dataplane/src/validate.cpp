// The commit's validate phase for the subtrees pfed owns: pure checks over a proposed configuration.
#include <map>
#include <set>

#include "msim/dataplane/engine.hpp"

namespace msim::dataplane {

std::vector<std::string> ForwardingEngine::validate(const ProposedConfig& config) {
    std::vector<std::string> errors;
    std::set<std::string> filter_names;
    for (const auto& f : config.filters) {
        if (!filter_names.insert(f.name).second) {
            errors.push_back("firewall filter " + f.name + " is defined twice");
        }
        for (auto& e : validate_filter(f)) {
            errors.push_back(std::move(e));
        }
    }

    struct Subnet {
        Ipv4Prefix prefix;
        std::string unit;
    };
    std::vector<Subnet> subnets;                  // broadcast subnets (length < 32, no destination)
    std::map<uint32_t, std::string> local_addrs;  // address -> unit
    std::set<std::string> unit_names;

    for (const auto& entry : config.units) {
        const auto name = InterfaceName::parse(entry.interface);
        const std::string unit = entry.interface + "." + std::to_string(entry.config.unit);
        if (!name) {
            errors.push_back("invalid interface name '" + entry.interface + "'");
            continue;
        }
        if (!unit_names.insert(unit).second) {
            errors.push_back(unit + ": unit is defined twice");
        }
        for (const auto* filter : {&entry.config.input_filter, &entry.config.output_filter}) {
            if (!filter->empty() && filter_names.count(*filter) == 0) {
                errors.push_back(unit + ": firewall filter " + *filter + " is referenced but not defined");
            }
        }
        if (!entry.config.ipsec_sa.empty() && !is_service(name->kind)) {
            errors.push_back(unit + ": ipsec-sa is only valid on es- and sp- interfaces");
        }
        if ((entry.config.tunnel_source || entry.config.tunnel_destination) &&
            name->kind != InterfaceKind::kEncryptionServices) {
            errors.push_back(unit + ": tunnel is only valid on es- interfaces");
        }
        for (const auto& a : entry.config.addresses) {
            const std::string addr = a.local.to_string();
            if (a.local.length > 32) {
                errors.push_back(unit + ": address " + addr + ": invalid prefix length");
                continue;
            }
            if (a.destination && a.local.length != 32) {
                errors.push_back(unit + ": address " + addr + ": destination requires a /32 address");
            }
            if (a.local.address.is_unspecified() || a.local.address.is_multicast() ||
                a.local.address.is_limited_broadcast()) {
                errors.push_back(unit + ": address " + addr + ": not a valid host address");
                continue;
            }
            if (!a.destination && a.local.length < 31 &&
                (a.local.address == a.local.network().address || a.local.address == a.local.broadcast())) {
                errors.push_back(unit + ": address " + addr +
                                 ": host part is the network or broadcast address");
            }
            auto [it, fresh] = local_addrs.emplace(a.local.address.value, unit);
            if (!fresh) {
                errors.push_back(unit + ": address " + a.local.address.to_string() +
                                 " is already configured on " + it->second);
            }
            if (!a.destination && a.local.length < 32) {
                const Ipv4Prefix net = a.local.network();
                for (const auto& s : subnets) {
                    if (s.unit != unit && s.prefix.overlaps(net)) {
                        errors.push_back(unit + ": address " + addr + " overlaps subnet " +
                                         s.prefix.to_string() + " of " + s.unit);
                    }
                }
                subnets.push_back({net, unit});
            }
        }
    }
    for (const auto& entry : config.units) {
        if (entry.config.tunnel_source && local_addrs.count(entry.config.tunnel_source->value) == 0) {
            errors.push_back(entry.interface + "." + std::to_string(entry.config.unit) + ": tunnel source " +
                             entry.config.tunnel_source->to_string() + " is not a local address");
        }
    }

    std::set<Ipv4Prefix> destinations;
    for (const auto& r : config.routes) {
        const std::string dest = r.destination.network().to_string();
        if (!destinations.insert(r.destination.network()).second) {
            errors.push_back("routing-options static route " + dest + " is defined twice");
        }
        if (r.kind == StaticRoute::Kind::kNextHop && r.next_hops.empty()) {
            errors.push_back("routing-options static route " + dest +
                             ": next-hop, discard or reject required");
        }
        for (const auto& nh : r.next_hops) {
            if (nh.address) {
                if (local_addrs.count(nh.address->value) != 0) {
                    errors.push_back("routing-options static route " + dest + ": next-hop " +
                                     nh.address->to_string() + " is a local address");
                }
            } else if (!UnitName::parse(nh.unit)) {
                errors.push_back("routing-options static route " + dest + ": invalid next-hop '" + nh.unit +
                                 "'");
            }
        }
    }
    return errors;
}

}  // namespace msim::dataplane
