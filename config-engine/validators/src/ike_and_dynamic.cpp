// IKE policy authentication prerequisites and dynamic SA rules.
#include <string>
#include <unordered_map>

#include "data_tree.hpp"
#include "msim/config/validators.hpp"

namespace msim::config::validators {

using namespace detail;

namespace {

// `ike` is [edit security ike] or [edit services ipsec-vpn ike]: both hold proposal and policy lists
// with the same authentication statements.
void check_ike(const lyd_node* ike, bool es_pic, Errors& out) {
    if (!ike)
        return;
    std::unordered_map<std::string_view, std::string_view> method;
    each(ike, "proposal",
         [&](const lyd_node* p) { method.emplace(leaf(p, "name"), leaf(p, "authentication-method")); });
    each(ike, "policy", [&](const lyd_node* policy) {
        std::string_view needs_key, needs_cert, cert_method;
        each(policy, "proposals", [&](const lyd_node* ref) {
            const std::string_view name = value_of(ref);
            const auto it = method.find(name);
            if (it == method.end())
                return;
            if (it->second == "pre-shared-keys" && needs_key.empty())
                needs_key = name;
            if ((it->second == "rsa-signatures" || it->second == "dsa-signatures") && needs_cert.empty()) {
                needs_cert = name;
                cert_method = it->second;
            }
        });
        // A hexadecimal pre-shared key is a byte string: an odd digit count has no meaning.
        if (const lyd_node* psk = child(policy, "pre-shared-key"); has(psk, "hexadecimal")) {
            std::string_view hex = leaf(psk, "hexadecimal");
            if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
                hex.remove_prefix(2);
            if (hex.size() % 2 != 0)
                out.push_back(
                    error_at(psk, "hexadecimal", "Hexadecimal key must have an even number of digits"));
        }
        // Seed 002's minimum IKE configuration names proposals; the AS PIC has default proposals.
        if (es_pic && !has(policy, "proposals"))
            out.push_back(error_at(policy, "proposals", "At least one IKE proposal must be configured"));
        // Seed 001: with pre-shared keys only IP address, FQDN and U-FQDN identities are used.
        if (!needs_key.empty() && has(child(policy, "local-id"), "distinguished-name"))
            out.push_back(error_at(policy, "local-id distinguished-name",
                                   "A distinguished-name identity needs certificates: proposal " +
                                       std::string(needs_key) +
                                       " uses authentication-method pre-shared-keys"));
        if (!needs_key.empty() && !has(policy, "pre-shared-key"))
            out.push_back(error_at(policy, "pre-shared-key",
                                   "pre-shared-key must be configured: proposal " + std::string(needs_key) +
                                       " uses authentication-method pre-shared-keys"));
        if (!needs_cert.empty() && !has(policy, "local-certificate"))
            out.push_back(error_at(policy, "local-certificate",
                                   "local-certificate must be configured: proposal " +
                                       std::string(needs_cert) + " uses authentication-method " +
                                       std::string(cert_method)));
    });
}

}  // namespace

Errors check_ike_policies(const lyd_node* root) {
    Errors out;
    check_ike(descend(top(root, "security"), {"ike"}), true, out);
    check_ike(descend(top(root, "services"), {"ipsec-vpn", "ike"}), false, out);
    return out;
}

Errors check_dynamic_sas(const lyd_node* root) {
    Errors out;
    const lyd_node* ipsec = descend(top(root, "security"), {"ipsec"});
    std::unordered_map<std::string_view, const lyd_node*> policies;
    each(ipsec, "policy", [&](const lyd_node* p) { policies.emplace(leaf(p, "name"), p); });
    each(ipsec, "security-association", [&](const lyd_node* sa) {
        const lyd_node* dynamic = child(sa, "dynamic");
        if (!dynamic)
            return;
        const std::string_view policy = leaf(dynamic, "ipsec-policy");
        if (const auto it = policies.find(policy); it != policies.end() && !has(it->second, "proposals"))
            out.push_back(
                error_at(dynamic, statement("ipsec-policy", policy),
                         "IPsec policy " + std::string(policy) + " must name at least one proposal"));
        if (policy.empty())
            out.push_back(error_at(sa, "dynamic",
                                   "ipsec-policy must be configured for a dynamic security association"));
        if (leaf(sa, "mode") == "transport")
            out.push_back(error_at(sa, "mode transport",
                                   "Transport mode is supported only for manual security associations"));
    });
    return out;
}

}  // namespace msim::config::validators
