// ES PIC tunnel units and AS PIC service sets.
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "data_tree.hpp"
#include "msim/config/validators.hpp"

namespace msim::config::validators {

using namespace detail;

namespace {

// The seed's recommendation: no more than 512 dynamic SAs per ES PIC.
constexpr std::size_t max_dynamic_sas_per_es_pic = 512;

std::unordered_map<std::string_view, const lyd_node*> by_name(const lyd_node* parent, std::string_view list) {
    std::unordered_map<std::string_view, const lyd_node*> out;
    each(parent, list, [&](const lyd_node* e) { out.emplace(leaf(e, "name"), e); });
    return out;
}

}  // namespace

Errors check_es_interfaces(const lyd_node* root) {
    Errors out;
    const lyd_node* security = top(root, "security");
    const auto sas = by_name(descend(security, {"ipsec"}), "security-association");
    const auto ike_policies = by_name(descend(security, {"ike"}), "policy");

    struct Pic {
        const lyd_node* first_interface = nullptr;
        std::size_t dynamic_sas = 0;
    };
    std::map<std::string, Pic> pics;  // ordered, so warnings come out in a stable order

    // Seed 002: the tunnel source address must be configured locally on the router. A warning, not
    // an error: the seed's own gateway examples leave the uplink interface out.
    std::unordered_set<std::string_view> local_addresses;
    each(top(root, "interfaces"), "interface", [&](const lyd_node* ifd) {
        each(ifd, "unit", [&](const lyd_node* unit) {
            each(descend(unit, {"family", "inet"}), "address", [&](const lyd_node* a) {
                const std::string_view prefix = leaf(a, "name");
                local_addresses.insert(prefix.substr(0, prefix.find('/')));
            });
        });
    });

    each(top(root, "interfaces"), "interface", [&](const lyd_node* ifd) {
        const std::string_view ifname = leaf(ifd, "name");
        if (ifname.substr(0, 3) != "es-")
            return;
        Pic& pic = pics[std::string(ifname.substr(0, ifname.rfind('/')))];
        if (!pic.first_interface)
            pic.first_interface = ifd;
        each(ifd, "unit", [&](const lyd_node* unit) {
            if (const lyd_node* tunnel = child(unit, "tunnel")) {
                const std::string_view source = leaf(tunnel, "source");
                if (!source.empty() && !local_addresses.contains(source))
                    out.push_back(error_at(tunnel, statement("source", source),
                                           "Tunnel source address " + std::string(source) +
                                               " is not configured on any interface",
                                           Severity::warning));
            }
            const lyd_node* inet = descend(unit, {"family", "inet"});
            const std::string_view sa_name = leaf(inet, "ipsec-sa");
            if (sa_name.empty())
                return;
            const auto it = sas.find(sa_name);
            if (it == sas.end())
                return;  // a dangling reference is libyang's leafref error
            const lyd_node* sa = it->second;
            const std::string_view mode = leaf(sa, "mode");
            if (!mode.empty() && mode != "tunnel")
                out.push_back(error_at(inet, statement("ipsec-sa", sa_name),
                                       "Security association " + std::string(sa_name) +
                                           " is not a tunnel-mode SA (mode " + std::string(mode) +
                                           "); an ES PIC unit needs a tunnel-mode SA"));
            const lyd_node* tunnel = child(unit, "tunnel");
            const std::string_view destination = leaf(tunnel, "destination");
            if (!tunnel || !has(tunnel, "source") || destination.empty())
                out.push_back(error_at(
                    unit, "tunnel",
                    "tunnel source and destination must be configured for ipsec-sa " + std::string(sa_name)));
            if (has(sa, "dynamic")) {
                ++pic.dynamic_sas;
                if (!destination.empty() && !ike_policies.contains(destination))
                    out.push_back(error_at(inet, statement("ipsec-sa", sa_name),
                                           "No IKE policy configured for tunnel destination " +
                                               std::string(destination) + " (dynamic security association " +
                                               std::string(sa_name) + ")"));
            }
        });
    });

    for (const auto& [name, pic] : pics)
        if (pic.dynamic_sas > max_dynamic_sas_per_es_pic)
            out.push_back(error_at(pic.first_interface, "",
                                   "ES PIC " + name + " has " + std::to_string(pic.dynamic_sas) +
                                       " dynamic security associations; no more than " +
                                       std::to_string(max_dynamic_sas_per_es_pic) +
                                       " per ES PIC are recommended",
                                   Severity::warning));
    return out;
}

Errors check_service_sets(const lyd_node* root) {
    Errors out;
    const auto interfaces = by_name(top(root, "interfaces"), "interface");

    // Returns the unit node named by "sp-F/P/P.U" (nullptr if absent), reporting what is missing.
    auto resolve = [&](const lyd_node* at, std::string_view keyword, std::string_view ref,
                       bool need_unit) -> const lyd_node* {
        const auto dot = ref.find('.');
        const std::string_view ifname = ref.substr(0, dot);
        const auto it = interfaces.find(ifname);
        if (it == interfaces.end()) {
            out.push_back(error_at(at, statement(keyword, ref),
                                   "Interface " + std::string(ifname) + " is not configured"));
            return nullptr;
        }
        if (dot == std::string_view::npos) {
            if (need_unit)
                out.push_back(error_at(at, statement(keyword, ref),
                                       "A logical unit is required (" + std::string(ifname) + ".unit)"));
            return nullptr;
        }
        const std::string_view unit = ref.substr(dot + 1);
        const lyd_node* found = nullptr;
        each(it->second, "unit", [&](const lyd_node* u) {
            if (leaf(u, "name") == unit)
                found = u;
        });
        if (!found)
            out.push_back(error_at(at, statement(keyword, ref),
                                   "Logical interface " + std::string(ref) + " is not configured"));
        return found;
    };

    // Seed 004: with digital certificates the service set must name the CA (ipsec-vpn-options
    // trusted-ca). A rule needs certificates when its dynamic IKE policy lists an rsa- or
    // dsa-signatures proposal.
    const lyd_node* vpn = descend(top(root, "services"), {"ipsec-vpn"});
    std::unordered_map<std::string_view, std::string_view> proposal_method;
    each(descend(vpn, {"ike"}), "proposal", [&](const lyd_node* p) {
        proposal_method.emplace(leaf(p, "name"), leaf(p, "authentication-method"));
    });
    std::unordered_map<std::string_view, bool> policy_uses_certificates;
    each(descend(vpn, {"ike"}), "policy", [&](const lyd_node* policy) {
        bool certs = false;
        each(policy, "proposals", [&](const lyd_node* ref) {
            const auto it = proposal_method.find(value_of(ref));
            certs = certs || (it != proposal_method.end() &&
                              (it->second == "rsa-signatures" || it->second == "dsa-signatures"));
        });
        policy_uses_certificates.emplace(leaf(policy, "name"), certs);
    });
    // The IKE policy of the first certificate-using term of each rule.
    std::unordered_map<std::string_view, std::string_view> rule_certificate_policy;
    each(vpn, "rule", [&](const lyd_node* rule) {
        each(rule, "term", [&](const lyd_node* term) {
            const std::string_view ike_policy = leaf(descend(term, {"then", "dynamic"}), "ike-policy");
            const auto it = policy_uses_certificates.find(ike_policy);
            if (it != policy_uses_certificates.end() && it->second)
                rule_certificate_policy.emplace(leaf(rule, "name"), ike_policy);
        });
    });

    each(top(root, "services"), "service-set", [&](const lyd_node* set) {
        if (!has(child(set, "ipsec-vpn-options"), "trusted-ca")) {
            each(set, "ipsec-vpn-rules", [&](const lyd_node* ref) {
                const std::string_view rule = value_of(ref);
                const auto it = rule_certificate_policy.find(rule);
                if (it != rule_certificate_policy.end())
                    out.push_back(error_at(set, statement("ipsec-vpn-rules", rule),
                                           "ipsec-vpn-options trusted-ca must be configured: rule " +
                                               std::string(rule) + " uses certificates (ike-policy " +
                                               std::string(it->second) + ")"));
            });
        }
        if (const lyd_node* is = child(set, "interface-service"))
            resolve(is, "service-interface", leaf(is, "service-interface"), false);
        if (const lyd_node* nh = child(set, "next-hop-service")) {
            for (std::string_view side : {"inside", "outside"}) {
                const std::string keyword = std::string(side) + "-service-interface";
                const std::string_view ref = leaf(nh, keyword);
                const lyd_node* unit = resolve(nh, keyword, ref, true);
                if (unit && leaf(unit, "service-domain") != side)
                    out.push_back(error_at(nh, statement(keyword, ref),
                                           "Logical interface " + std::string(ref) +
                                               " must be configured with service-domain " +
                                               std::string(side)));
            }
        }
    });
    return out;
}

Errors check_firewall_ipsec_sas(const lyd_node* root) {
    Errors out;
    // Seed 002: a filter's `then ipsec-sa` hands the packet to the ES PIC unit configured with that
    // SA, so one must exist — except for a transport-mode SA, which protects the router's own traffic and
    // needs no es- unit (ipsecd puts it on an ES PIC of its choice).
    std::unordered_set<std::string_view> on_es_units;
    each(descend(top(root, "security"), {"ipsec"}), "security-association", [&](const lyd_node* sa) {
        if (leaf(sa, "mode") == "transport")
            on_es_units.insert(leaf(sa, "name"));
    });
    each(top(root, "interfaces"), "interface", [&](const lyd_node* ifd) {
        if (leaf(ifd, "name").substr(0, 3) != "es-")
            return;
        each(ifd, "unit", [&](const lyd_node* unit) {
            const std::string_view sa = leaf(descend(unit, {"family", "inet"}), "ipsec-sa");
            if (!sa.empty())
                on_es_units.insert(sa);
        });
    });
    each(top(root, "firewall"), "filter", [&](const lyd_node* filter) {
        each(filter, "term", [&](const lyd_node* term) {
            const lyd_node* then = child(term, "then");
            const std::string_view sa = leaf(then, "ipsec-sa");
            if (!sa.empty() && !on_es_units.contains(sa))
                out.push_back(error_at(then, statement("ipsec-sa", sa),
                                       "Security association " + std::string(sa) +
                                           " is not configured on any es- interface unit"));
        });
    });
    return out;
}

}  // namespace msim::config::validators
