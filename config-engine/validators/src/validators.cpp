#include "msim/config/validators.hpp"

#include <array>

namespace msim::config::validators {

namespace {

constexpr std::array<std::string_view, 2> manual_sa_inputs{"security ipsec", "services ipsec-vpn"};
constexpr std::array<std::string_view, 2> ike_inputs{"security ike", "services ipsec-vpn"};
constexpr std::array<std::string_view, 1> dynamic_inputs{"security ipsec"};
constexpr std::array<std::string_view, 3> es_inputs{"interfaces", "security ipsec", "security ike"};
constexpr std::array<std::string_view, 2> service_set_inputs{"services", "interfaces"};
constexpr std::array<std::string_view, 2> firewall_inputs{"firewall", "interfaces"};

constexpr std::array<Check, 6> all_checks{{
    {"manual-sa", manual_sa_inputs, check_manual_sas},
    {"ike-policy", ike_inputs, check_ike_policies},
    {"dynamic-sa", dynamic_inputs, check_dynamic_sas},
    {"es-interface", es_inputs, check_es_interfaces},
    {"service-set", service_set_inputs, check_service_sets},
    {"firewall-ipsec-sa", firewall_inputs, check_firewall_ipsec_sas},
}};

}  // namespace

std::span<const Check> checks() {
    return all_checks;
}

bool reads(const Check& check, const std::vector<std::string>& path) {
    for (std::string_view subtree : check.subtrees) {
        // Compare word by word: a prefix either way (the change inside the subtree, or above it).
        size_t i = 0, pos = 0;
        bool same = true;
        while (i < path.size() && pos <= subtree.size()) {
            const size_t sp = subtree.find(' ', pos);
            const std::string_view word =
                subtree.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
            if (path[i] != word) {
                same = false;
                break;
            }
            ++i;
            if (sp == std::string_view::npos)
                break;
            pos = sp + 1;
        }
        if (same)
            return true;
    }
    return false;
}

Errors validate(const lyd_node* root) {
    Errors out;
    if (!root)
        return out;
    for (const Check& c : all_checks) {
        Errors found = c.run(root);
        out.insert(out.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
    }
    return out;
}

}  // namespace msim::config::validators
