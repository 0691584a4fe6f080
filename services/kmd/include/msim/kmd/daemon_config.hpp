// kmd's view of the committed configuration: `security ike` (proposals, policies per peer), the dynamic SAs
// of `security ipsec` with their IPsec policy and proposals, the proxy identities of the filter terms that
// steer traffic into them (`then ipsec-sa NAME`), and `security traceoptions`. Pure functions over the
// configuration tree, so the daemon and the tests share them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "msim/config/tree.hpp"
#include "msim/kmd/phase1.hpp"
#include "msim/kmd/quick_mode.hpp"

namespace msim::kmd {

// A statement kmd refuses, with the Junos path of the statement ("[edit security ike policy 10.6.6.6]").
struct KmdConfigError : std::runtime_error {
    KmdConfigError(std::string path_, const std::string& message)
        : std::runtime_error(message), path(std::move(path_)) {}
    std::string path;
};

// `security ike policy PEER`: how to negotiate phase 1 with that peer.
struct IkePolicyConfig {
    std::string peer;  // dotted IPv4 address (the policy's name)
    Phase1Mode mode = Phase1Mode::Main;
    std::vector<std::string> proposal_names;
    std::vector<IkeProposal> proposals;  // in configured order
    Bytes pre_shared_key;
    std::optional<Identity> remote_id;  // `identity`: what the peer must present
    // `local-certificate`: pkid's certificate id (its key pair has the same id) for rsa-/dsa-signatures.
    std::string local_certificate;
    // The signature method of the proposals (rsa-/dsa-signatures), when any proposal uses one.
    std::optional<AuthMethod> signature_method;
};

// `security ipsec security-association NAME dynamic { ipsec-policy P; replay-window-size N; }` with the
// policy's proposals and PFS group, and the proxy identities of the filter term that names the SA.
struct DynamicSaConfig {
    std::string name;
    std::string ipsec_policy;
    std::uint32_t replay_window = 64;
    bool transport = false;  // `mode transport`
    QuickModeConfig quick_mode;
    bool usable = false;   // the policy exists and has proposals
    std::string unusable;  // why not
};

struct TraceConfig {
    std::string file = "kmd";  // under var/log
    std::uint32_t files = 3;
    std::uint64_t size = 128 * 1024;
    std::set<std::string> flags;
    bool on(const std::string& flag) const { return flags.count("all") || flags.count(flag); }
};

struct KmdConfig {
    std::map<std::string, IkePolicyConfig> ike_policies;  // by peer address
    std::map<std::string, DynamicSaConfig> dynamic_sas;   // by SA name
    TraceConfig trace;
};

// Reads kmd's configuration. `security ike` must be consistent (a policy naming a proposal that does not
// exist, a pre-shared key that does not decode, no proposals): throws KmdConfigError. Dynamic SAs that kmd
// cannot use (a missing IPsec policy: ipsecd's to refuse) are kept with usable = false.
KmdConfig parse_kmd_config(const config::Node& root);

// "1024k" / "2m" / "1g" / "65536" (traceoptions file size) -> bytes; nullopt when malformed.
std::optional<std::uint64_t> parse_trace_size(const std::string& text);

}  // namespace msim::kmd
