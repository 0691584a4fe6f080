// Commit-time checks that the YANG schema cannot express (issue 3, "Commit-time checks").
//
// Input is the data tree libyang has already validated against msim-config (types, ranges, leafrefs,
// must, mandatory nodes): any top-level sibling of it, or nullptr for an empty configuration. The
// checks read it and never modify it. Errors are returned as values, never thrown: every problem
// found is reported, in configuration order, each placed and worded the Junos way.
//
// Secrets (keys) are expected in clear text: mgd decodes "$9$" values before validation.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "msim/config/commit_error.hpp"

struct lyd_node;

namespace msim::config::validators {

using Errors = std::vector<CommitError>;

// One registered check: the configuration subtrees it reads (Junos paths of top-level statements
// and their children, e.g. "security ipsec"), so mgd can skip checks whose inputs did not change.
struct Check {
    std::string_view name;
    std::span<const std::string_view> subtrees;
    Errors (*run)(const lyd_node* root);
};

// Every check, in the order validate() runs them.
std::span<const Check> checks();

// Whether a change at `path` (words from the root, as `set` takes them) can change what `check` finds:
// the change is inside one of the subtrees the check reads, or holds one of them.
bool reads(const Check& check, const std::vector<std::string>& path);

// Runs every check and concatenates their findings.
Errors validate(const lyd_node* root);

// Manual SAs under [edit security ipsec] and [edit services ipsec-vpn rule … then manual]: SPI and
// protocol unique across the manual SAs of [edit security ipsec]; bundle needs auxiliary-spi, which
// is meaningless otherwise; no encryption with ah; key lengths; DES weak/semi-weak keys; 3DES parts.
Errors check_manual_sas(const lyd_node* root);

// IKE policies ([edit security ike] and [edit services ipsec-vpn ike]): a proposal using
// pre-shared-keys needs a pre-shared-key (and no distinguished-name local-id); rsa- or dsa-signatures
// need local-certificate; ES PIC policies name at least one proposal; a hexadecimal pre-shared key
// has an even number of digits.
Errors check_ike_policies(const lyd_node* root);

// Dynamic SAs: an ipsec-policy naming at least one proposal is required; transport mode is for
// manual SAs only.
Errors check_dynamic_sas(const lyd_node* root);

// ES PIC units: an ipsec-sa must be a tunnel-mode SA, needs the tunnel source and destination, and a
// dynamic SA needs an IKE policy for the tunnel destination; a tunnel source must be a local address;
// more than 512 dynamic SAs on one ES PIC is a warning.
Errors check_es_interfaces(const lyd_node* root);

// AS PIC service sets: their service interfaces must be configured sp- units with the right
// service-domain; rules using certificate IKE policies need ipsec-vpn-options trusted-ca.
Errors check_service_sets(const lyd_node* root);

// Firewall `then ipsec-sa NAME`: some es- unit must carry that SA.
Errors check_firewall_ipsec_sas(const lyd_node* root);

}  // namespace msim::config::validators
