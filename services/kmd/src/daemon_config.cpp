#include "msim/kmd/daemon_config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "msim/config/secret.hpp"

namespace msim::kmd {

namespace {

using config::Node;

const Node* child(const Node& n, std::string_view keyword) {
    for (const auto& c : n.children()) {
        if (c->keyword() == keyword && !c->inactive) {
            return c.get();
        }
    }
    return nullptr;
}

std::string value(const Node* n) {
    return n && !n->values().empty() ? n->values().front() : std::string();
}

std::optional<std::array<std::uint8_t, 4>> parse_address(const std::string& text) {
    in_addr a{};
    if (::inet_pton(AF_INET, text.c_str(), &a) != 1) {
        return std::nullopt;
    }
    std::array<std::uint8_t, 4> out{};
    std::memcpy(out.data(), &a.s_addr, 4);
    return out;
}

// "10.1.1.0/24" or "10.1.1.1" -> a proxy identity.
std::optional<TrafficSelector> parse_prefix(const std::string& text) {
    TrafficSelector ts;
    const auto slash = text.find('/');
    auto address = parse_address(text.substr(0, slash));
    if (!address) {
        return std::nullopt;
    }
    int length = 32;
    if (slash != std::string::npos) {
        try {
            length = std::stoi(text.substr(slash + 1));
        } catch (const std::exception&) {
            return std::nullopt;
        }
        if (length < 0 || length > 32) {
            return std::nullopt;
        }
    }
    ts.prefix_length = static_cast<std::uint8_t>(length);
    // The network address: host bits cleared.
    std::uint32_t a = std::uint32_t((*address)[0]) << 24 | std::uint32_t((*address)[1]) << 16 |
                      std::uint32_t((*address)[2]) << 8 | (*address)[3];
    const std::uint32_t mask = length == 0 ? 0 : ~std::uint32_t(0) << (32 - length);
    a &= mask;
    ts.address = {std::uint8_t(a >> 24), std::uint8_t(a >> 16), std::uint8_t(a >> 8), std::uint8_t(a)};
    return ts;
}

// `pre-shared-key ascii-text X` / `hexadecimal X`, stored as $9$ secrets.
Bytes pre_shared_key(const Node& policy, const std::string& path) {
    const Node* holder = child(policy, "pre-shared-key");
    const Node* where = holder ? holder : &policy;
    const Node* ascii = child(*where, "ascii-text");
    const Node* hex = child(*where, "hexadecimal");
    if (!ascii && !hex) {
        return {};
    }
    std::string text = value(ascii ? ascii : hex);
    if (config::is_secret_encoded(text)) {
        auto plain = config::decode_secret(text);
        if (!plain) {
            throw KmdConfigError(path, "pre-shared-key does not decode");
        }
        text = *plain;
    }
    if (ascii) {
        return Bytes(text.begin(), text.end());
    }
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text = text.substr(2);
    }
    if (text.empty() || text.size() % 2) {
        throw KmdConfigError(path, "pre-shared-key hexadecimal needs an even number of hexadecimal digits");
    }
    Bytes out;
    for (size_t i = 0; i < text.size(); i += 2) {
        auto digit = [&](char c) -> int {
            if (std::isdigit(static_cast<unsigned char>(c)))
                return c - '0';
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
            return -1;
        };
        const int hi = digit(text[i]), lo = digit(text[i + 1]);
        if (hi < 0 || lo < 0) {
            throw KmdConfigError(path, "pre-shared-key hexadecimal is not hexadecimal");
        }
        out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    return out;
}

std::optional<DhGroup> dh_group(const std::string& text) {
    if (text == "group1")
        return DhGroup::Modp768;
    if (text == "group2")
        return DhGroup::Modp1024;
    if (text == "group5")
        return DhGroup::Modp1536;
    if (text == "group14")
        return DhGroup::Modp2048;
    return std::nullopt;
}

IkeProposal ike_proposal(const Node& p) {
    IkeProposal out;
    const std::string method = value(child(p, "authentication-method"));
    out.authentication = method == "rsa-signatures"   ? AuthMethod::RsaSignature
                         : method == "dsa-signatures" ? AuthMethod::DssSignature
                                                      : AuthMethod::PreSharedKey;
    if (auto g = dh_group(value(child(p, "dh-group")))) {
        out.group = *g;
    }
    const std::string hash = value(child(p, "authentication-algorithm"));
    out.hash = hash == "md5"       ? HashAlgorithm::Md5
               : hash == "sha-256" ? HashAlgorithm::Sha256
                                   : HashAlgorithm::Sha1;
    const std::string enc = value(child(p, "encryption-algorithm"));
    if (enc == "des-cbc") {
        out.encryption = EncryptionAlgorithm::DesCbc;
    } else if (enc == "aes-128-cbc" || enc == "aes-256-cbc") {
        out.encryption = EncryptionAlgorithm::AesCbc;
        out.key_bits = enc == "aes-128-cbc" ? 128 : 256;
    } else {
        out.encryption = EncryptionAlgorithm::TripleDesCbc;
    }
    const std::string life = value(child(p, "lifetime-seconds"));
    if (!life.empty()) {
        out.lifetime_seconds = static_cast<std::uint32_t>(std::stoul(life));
    }
    return out;
}

IpsecProposal ipsec_proposal(const Node& p) {
    IpsecProposal out;
    const std::string protocol = value(child(p, "protocol"));
    out.protocol = protocol == "ah"       ? IpsecProposal::Protocol::Ah
                   : protocol == "bundle" ? IpsecProposal::Protocol::Bundle
                                          : IpsecProposal::Protocol::Esp;
    // Unset algorithms take the ES PIC's defaults (hmac-sha1-96, 3des-cbc).
    const std::string auth = value(child(p, "authentication-algorithm"));
    out.authentication = auth == "hmac-md5-96"        ? AuthAlgorithm::HmacMd5
                         : auth == "hmac-sha-256-128" ? AuthAlgorithm::HmacSha256
                                                      : AuthAlgorithm::HmacSha1;
    const std::string enc = value(child(p, "encryption-algorithm"));
    if (enc == "des-cbc") {
        out.encryption = EspCipher::Des;
    } else if (enc == "aes-128-cbc" || enc == "aes-256-cbc") {
        out.encryption = EspCipher::Aes;
        out.key_bits = enc == "aes-128-cbc" ? 128 : 256;
    } else {
        out.encryption = EspCipher::TripleDes;
    }
    const std::string life = value(child(p, "lifetime-seconds"));
    if (!life.empty()) {
        out.lifetime_seconds = static_cast<std::uint32_t>(std::stoul(life));
    }
    return out;
}

std::optional<Identity> parse_identity(const std::string& text) {
    if (text.empty()) {
        return std::nullopt;
    }
    if (auto a = parse_address(text)) {
        return Identity::ipv4(*a);
    }
    if (text.find('@') != std::string::npos) {
        return Identity::user_fqdn(text);
    }
    return Identity::fqdn(text);
}

// The first `from { source-address/destination-address }` of a term whose action is `then ipsec-sa NAME`.
void proxy_identities(const Node& root, std::map<std::string, DynamicSaConfig>& sas) {
    const Node* firewall = child(root, "firewall");
    if (!firewall) {
        return;
    }
    // `firewall family inet filter` and `firewall filter` both hold filters.
    std::vector<const Node*> holders{firewall};
    for (const auto& c : firewall->children()) {
        if (c->keyword() == "family") {
            holders.push_back(c.get());
        }
    }
    std::set<std::string> done;
    for (const Node* holder : holders) {
        for (const auto& filter : holder->children()) {
            if (filter->keyword() != "filter" || filter->inactive) {
                continue;
            }
            for (const auto& term : filter->children()) {
                if (term->keyword() != "term" || term->inactive) {
                    continue;
                }
                const Node* then = child(*term, "then");
                const std::string name = then ? value(child(*then, "ipsec-sa")) : std::string();
                auto sa = sas.find(name);
                if (name.empty() || sa == sas.end() || done.count(name)) {
                    continue;
                }
                done.insert(name);
                auto first_prefix = [&](const char* keyword) -> TrafficSelector {
                    TrafficSelector any;  // 0.0.0.0/0
                    any.prefix_length = 0;
                    const Node* from = child(*term, "from");
                    const Node* list = from ? child(*from, keyword) : nullptr;
                    if (!list) {
                        return any;
                    }
                    for (const auto& a : list->children()) {
                        if (a->values().empty() || child(*a, "except")) {
                            continue;
                        }
                        if (auto ts = parse_prefix(a->values().front())) {
                            return *ts;
                        }
                    }
                    return any;
                };
                sa->second.quick_mode.local_selector = first_prefix("source-address");
                sa->second.quick_mode.remote_selector = first_prefix("destination-address");
            }
        }
    }
}

}  // namespace

std::optional<std::uint64_t> parse_trace_size(const std::string& text) {
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) {
        return std::nullopt;
    }
    size_t used = 0;
    std::uint64_t n = 0;
    try {
        n = std::stoull(text, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    const std::string suffix = text.substr(used);
    if (suffix.empty())
        return n;
    if (suffix.size() != 1)
        return std::nullopt;
    switch (std::tolower(static_cast<unsigned char>(suffix[0]))) {
        case 'k':
            return n * 1024;
        case 'm':
            return n * 1024 * 1024;
        case 'g':
            return n * 1024 * 1024 * 1024;
        default:
            return std::nullopt;
    }
}

KmdConfig parse_kmd_config(const config::Node& root) {
    KmdConfig out;
    const Node* security = child(root, "security");
    if (!security) {
        return out;
    }
    if (const Node* ike = child(*security, "ike")) {
        std::map<std::string, const Node*> proposals;
        for (const auto& c : ike->children()) {
            if (c->keyword() == "proposal" && !c->values().empty() && !c->inactive) {
                proposals[c->values().front()] = c.get();
            }
        }
        for (const auto& c : ike->children()) {
            if (c->keyword() != "policy" || c->values().empty() || c->inactive) {
                continue;
            }
            IkePolicyConfig policy;
            policy.peer = c->values().front();
            const std::string path = "[edit security ike policy " + policy.peer + "]";
            if (!parse_address(policy.peer)) {
                throw KmdConfigError(path, "policy name must be the IPv4 address of the IKE peer");
            }
            policy.mode =
                value(child(*c, "mode")) == "aggressive" ? Phase1Mode::Aggressive : Phase1Mode::Main;
            const Node* names = child(*c, "proposals");
            if (!names || names->values().empty()) {
                throw KmdConfigError(path, "IKE policy has no proposals");
            }
            for (const auto& name : names->values()) {
                auto p = proposals.find(name);
                if (p == proposals.end()) {
                    throw KmdConfigError(path, "Referenced IKE proposal " + name + " is not defined");
                }
                policy.proposal_names.push_back(name);
                policy.proposals.push_back(ike_proposal(*p->second));
            }
            policy.pre_shared_key = pre_shared_key(*c, path);
            const bool needs_key = std::any_of(policy.proposals.begin(), policy.proposals.end(), [](auto& p) {
                return p.authentication == AuthMethod::PreSharedKey;
            });
            if (needs_key && policy.pre_shared_key.empty()) {
                throw KmdConfigError(path, "pre-shared-key is required by the proposals of this policy");
            }
            policy.remote_id = parse_identity(value(child(*c, "identity")));
            policy.local_certificate = value(child(*c, "local-certificate"));
            for (size_t i = 0; i < policy.proposals.size(); ++i) {
                const AuthMethod m = policy.proposals[i].authentication;
                if (m == AuthMethod::PreSharedKey) {
                    continue;
                }
                if (policy.signature_method && *policy.signature_method != m) {
                    throw KmdConfigError(path, "IKE proposals " + policy.proposal_names.front() + " and " +
                                                   policy.proposal_names[i] +
                                                   " use different signature methods; one local "
                                                   "certificate signs with one key type");
                }
                policy.signature_method = m;
            }
            if (policy.signature_method && policy.local_certificate.empty()) {
                throw KmdConfigError(
                    path, std::string("local-certificate is required by the ") +
                              (*policy.signature_method == AuthMethod::RsaSignature ? "rsa-signatures"
                                                                                    : "dsa-signatures") +
                              " proposals of this policy");
            }
            out.ike_policies.emplace(policy.peer, std::move(policy));
        }
    }
    if (const Node* ipsec = child(*security, "ipsec")) {
        std::map<std::string, const Node*> proposals, policies;
        for (const auto& c : ipsec->children()) {
            if (c->values().empty() || c->inactive)
                continue;
            if (c->keyword() == "proposal")
                proposals[c->values().front()] = c.get();
            else if (c->keyword() == "policy")
                policies[c->values().front()] = c.get();
        }
        for (const auto& c : ipsec->children()) {
            if (c->keyword() != "security-association" || c->values().empty() || c->inactive) {
                continue;
            }
            const Node* dynamic = child(*c, "dynamic");
            if (!dynamic) {
                continue;
            }
            DynamicSaConfig sa;
            sa.name = c->values().front();
            sa.transport = value(child(*c, "mode")) == "transport";
            sa.quick_mode.mode = sa.transport ? EncapsulationMode::Transport : EncapsulationMode::Tunnel;
            const std::string window = value(child(*dynamic, "replay-window-size"));
            if (!window.empty()) {
                sa.replay_window = static_cast<std::uint32_t>(std::stoul(window));
            }
            sa.ipsec_policy = value(child(*dynamic, "ipsec-policy"));
            auto pol = policies.find(sa.ipsec_policy);
            if (sa.ipsec_policy.empty()) {
                sa.unusable = "no ipsec-policy";
            } else if (pol == policies.end()) {
                sa.unusable = "IPsec policy " + sa.ipsec_policy + " is not defined";
            } else {
                if (const Node* pfs = child(*pol->second, "perfect-forward-secrecy")) {
                    sa.quick_mode.pfs_group = dh_group(value(child(*pfs, "keys")));
                }
                if (const Node* names = child(*pol->second, "proposals")) {
                    for (const auto& name : names->values()) {
                        auto p = proposals.find(name);
                        if (p == proposals.end()) {
                            sa.unusable = "IPsec proposal " + name + " is not defined";
                            break;
                        }
                        sa.quick_mode.proposals.push_back(ipsec_proposal(*p->second));
                    }
                }
                if (sa.unusable.empty() && sa.quick_mode.proposals.empty()) {
                    sa.unusable = "IPsec policy " + sa.ipsec_policy + " has no proposals";
                }
            }
            sa.usable = sa.unusable.empty();
            out.dynamic_sas.emplace(sa.name, std::move(sa));
        }
    }
    proxy_identities(root, out.dynamic_sas);
    if (const Node* trace = child(*security, "traceoptions")) {
        if (const Node* file = child(*trace, "file")) {
            if (!value(file).empty()) {
                out.trace.file = value(file);
            }
            if (const Node* files = child(*file, "files")) {
                out.trace.files = static_cast<std::uint32_t>(std::stoul(value(files)));
            }
            if (const Node* size = child(*file, "size")) {
                auto bytes = parse_trace_size(value(size));
                if (!bytes || *bytes < 10240) {
                    throw KmdConfigError("[edit security traceoptions file]", "size must be at least 10k");
                }
                out.trace.size = *bytes;
            }
        }
        for (const auto& c : trace->children()) {
            if (c->keyword() == "flag" && !c->values().empty()) {
                out.trace.flags.insert(c->values().front());
            }
        }
        if (out.trace.file.find('/') != std::string::npos || out.trace.file == ".." ||
            out.trace.file == ".") {
            throw KmdConfigError("[edit security traceoptions file]", "file name must not contain '/'");
        }
    }
    return out;
}

}  // namespace msim::kmd
