#include "msim/ipsecd/sa_plan.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "msim/config/secret.hpp"
#include "msim/ipsec/sa_xml.hpp"

namespace msim::ipsecd {

namespace {

using config::Node;

const Node* child(const Node& n, std::string_view keyword) {
    for (const auto& c : n.children()) {
        if (c->keyword() == keyword) {
            return c.get();
        }
    }
    return nullptr;
}

std::string value(const Node* n) {
    return n && !n->values().empty() ? n->values().front() : std::string();
}

// `key ascii-text X` or `key hexadecimal X`, stored as $9$ secrets.
std::vector<std::uint8_t> key_bytes(const Node& holder, const std::string& path) {
    const Node* key = child(holder, "key");
    const Node* where = key ? key : &holder;
    const Node* ascii = child(*where, "ascii-text");
    const Node* hex = child(*where, "hexadecimal");
    if (!ascii && !hex) {
        throw SaConfigError(path, "missing key");
    }
    std::string text = value(ascii ? ascii : hex);
    if (config::is_secret_encoded(text)) {
        auto plain = config::decode_secret(text);
        if (!plain) {
            throw SaConfigError(path, "key does not decode");
        }
        text = *plain;
    }
    if (ascii) {
        return {text.begin(), text.end()};
    }
    auto bytes = ipsec::from_hex(text);
    if (!bytes) {
        throw SaConfigError(path, "hexadecimal key is not hexadecimal");
    }
    return *bytes;
}

}  // namespace

std::optional<ManualSa> manual_sa(const config::Node& sa_node) {
    if (sa_node.keyword() != "security-association" || sa_node.values().empty())
        return std::nullopt;
    const Node* manual = child(sa_node, "manual");
    if (!manual)
        return std::nullopt;
    ManualSa sa;
    sa.name = sa_node.values().front();
    sa.description = value(child(sa_node, "description"));
    sa.mode = value(child(sa_node, "mode")) == "transport" ? ipsec::Mode::transport : ipsec::Mode::tunnel;
    for (const auto& d : manual->children()) {
        if (d->keyword() != "direction" || d->values().empty()) {
            continue;
        }
        const std::string path = "[edit security ipsec security-association " + sa.name +
                                 " manual direction " + d->values().front() + "]";
        ManualSaDirection dir;
        dir.direction = d->values().front() == "bi-directional" ? "bidirectional" : d->values().front();
        const std::string protocol = value(child(*d, "protocol"));
        dir.protocol = protocol == "ah"       ? ipsec::Protocol::ah
                       : protocol == "bundle" ? ipsec::Protocol::bundle
                                              : ipsec::Protocol::esp;
        dir.spi = static_cast<std::uint32_t>(
            std::stoul(value(child(*d, "spi")).empty() ? "0" : value(child(*d, "spi"))));
        if (const Node* aux = child(*d, "auxiliary-spi")) {
            dir.auxiliary_spi = static_cast<std::uint32_t>(std::stoul(value(aux)));
        }
        if (const Node* auth = child(*d, "authentication")) {
            auto integrity = ipsec::parse_integrity(value(child(*auth, "algorithm")));
            if (!integrity) {
                throw SaConfigError(path, "authentication algorithm " + value(child(*auth, "algorithm")) +
                                              " is not supported by the ES PIC");
            }
            dir.integrity = *integrity;
            dir.integrity_key = key_bytes(*auth, path);
        }
        if (const Node* enc = child(*d, "encryption")) {
            auto cipher = ipsec::parse_cipher(value(child(*enc, "algorithm")));
            if (!cipher) {
                throw SaConfigError(path, "encryption algorithm " + value(child(*enc, "algorithm")) +
                                              " is not supported by the ES PIC");
            }
            dir.cipher = *cipher;
            dir.cipher_key = key_bytes(*enc, path);
        }
        sa.directions.push_back(std::move(dir));
    }
    return sa;
}

namespace {

const Node* ipsec_of(const Node& root) {
    const Node* security = child(root, "security");
    return security ? child(*security, "ipsec") : nullptr;
}

}  // namespace

std::map<std::string, ManualSa> manual_sas(const config::Node& root) {
    std::map<std::string, ManualSa> out;
    const Node* ipsec = ipsec_of(root);
    if (!ipsec) {
        return out;
    }
    for (const auto& sa_node : ipsec->children()) {
        if (auto sa = manual_sa(*sa_node)) {
            std::string name = sa->name;
            out.emplace(std::move(name), std::move(*sa));
        }
    }
    return out;
}

void update_manual_sas(std::map<std::string, ManualSa>& sas, const config::Node& root,
                       const std::set<std::string>& names) {
    const Node* ipsec = ipsec_of(root);
    // The named entries, found in one pass (a large commit names thousands).
    std::map<std::string_view, const Node*> found;
    if (ipsec)
        for (const auto& c : ipsec->children())
            if (c->keyword() == "security-association" && !c->values().empty() &&
                names.count(c->values().front()))
                found.emplace(c->values().front(), c.get());
    for (const auto& name : names) {
        auto it = found.find(name);
        auto sa = it != found.end() ? manual_sa(*it->second) : std::nullopt;
        if (sa)
            sas[name] = std::move(*sa);
        else
            sas.erase(name);
    }
}

std::string host_traffic_pic(const std::vector<std::string>& online_pics) {
    return online_pics.empty() ? std::string() : *std::min_element(online_pics.begin(), online_pics.end());
}

std::vector<PlannedSa> plan_manual_sas(const std::map<std::string, ManualSa>& sas,
                                       const std::vector<EsBinding>& bindings,
                                       const std::vector<std::string>& online_pics) {
    std::vector<PlannedSa> out;
    std::vector<EsBinding> placed = bindings;
    // Transport-mode SAs of the router's own traffic: a pseudo-binding without endpoints.
    if (const std::string pic = host_traffic_pic(online_pics); !pic.empty()) {
        for (const auto& [name, sa] : sas) {
            const bool named = std::any_of(bindings.begin(), bindings.end(),
                                           [&](const EsBinding& b) { return b.sa_name == name; });
            if (sa.mode == ipsec::Mode::transport && !named) {
                placed.push_back({"", pic, name, 0, 0, true});
            }
        }
    }
    for (const auto& b : placed) {
        auto it = sas.find(b.sa_name);
        if (!b.online || it == sas.end()) {
            continue;
        }
        const ManualSa& sa = it->second;
        for (const auto& d : sa.directions) {
            auto make = [&](ipsec::Direction direction) {
                ipsec::SaConfig c;
                c.name = sa.name;
                c.direction = direction;
                c.protocol = d.protocol;
                c.spi = d.spi;
                c.auxiliary_spi = d.auxiliary_spi;
                c.mode = sa.mode;
                // Outbound: from us to the peer; inbound: from the peer to us (our address is the
                // destination that identifies the inbound SA).
                c.source = direction == ipsec::Direction::outbound ? b.source : b.destination;
                c.destination = direction == ipsec::Direction::outbound ? b.destination : b.source;
                c.cipher = d.cipher;
                c.cipher_key = d.cipher_key;
                c.integrity = d.integrity;
                c.integrity_key = d.integrity_key;
                c.replay_window = 0;  // manual SAs have no anti-replay (nothing to synchronize it with)
                out.push_back({b.pic, std::move(c), std::nullopt});
            };
            if (d.direction != "outbound") {
                make(ipsec::Direction::inbound);
            }
            if (d.direction != "inbound") {
                make(ipsec::Direction::outbound);
            }
        }
    }
    return out;
}

std::vector<PlannedSa> plan_dynamic_sas(const std::vector<DynamicSa>& sas,
                                        const std::vector<EsBinding>& bindings) {
    // The first online binding of each SA name (one PIC carries it); thousands of SAs and bindings are
    // matched by name in one pass each, not pairwise.
    std::unordered_map<std::string_view, const EsBinding*> by_name;
    by_name.reserve(bindings.size());
    for (const auto& b : bindings) {
        if (b.online) {
            by_name.emplace(b.sa_name, &b);
        }
    }
    std::vector<PlannedSa> out;
    out.reserve(sas.size());
    for (const auto& sa : sas) {
        auto found = by_name.find(sa.config.name);
        if (found == by_name.end()) {
            continue;
        }
        const EsBinding& b = *found->second;
        ipsec::SaConfig c = sa.config;
        const bool outbound = c.direction == ipsec::Direction::outbound;
        if (c.source == 0) {
            c.source = outbound ? b.source : b.destination;
        }
        if (c.destination == 0) {
            c.destination = outbound ? b.destination : b.source;
        }
        out.push_back({b.pic, std::move(c), sa.installed_at});
    }
    return out;
}

}  // namespace msim::ipsecd
