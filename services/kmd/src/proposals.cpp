#include "msim/kmd/proposals.hpp"

#include <algorithm>

namespace msim::kmd {

using isakmp::Attribute;
using isakmp::ProtocolId;
using isakmp::Transform;

namespace {

constexpr std::uint8_t kKeyIke = 1;

Error no_proposal(std::string why) {
    return make_error(ErrorCode::NoProposalChosen, std::move(why));
}

std::uint32_t spi_value(const Bytes& spi) {
    std::uint32_t v = 0;
    for (auto b : spi)
        v = (v << 8) | b;
    return v;
}
Bytes spi_bytes(std::uint32_t spi) {
    return {static_cast<std::uint8_t>(spi >> 24), static_cast<std::uint8_t>(spi >> 16),
            static_cast<std::uint8_t>(spi >> 8), static_cast<std::uint8_t>(spi)};
}

// Life type/duration pairs (RFC 2407 4.5): the duration that follows a seconds type.
std::optional<std::uint32_t> lifetime_seconds(const Transform& t, std::uint16_t type_attr,
                                              std::uint16_t dur_attr) {
    std::optional<std::uint32_t> seconds;
    std::uint16_t current = 0;
    for (const auto& a : t.attributes) {
        if (a.type == type_attr && a.basic)
            current = a.value;
        else if (a.type == dur_attr && current == isakmp::kLifeTypeSeconds) {
            auto n = a.number();
            if (n)
                seconds = static_cast<std::uint32_t>(std::min<std::uint64_t>(*n, 0xffffffffu));
        }
    }
    return seconds;
}

std::uint8_t ah_transform_id(AuthAlgorithm alg) {
    switch (alg) {
        case AuthAlgorithm::HmacMd5:
            return 2;  // AH_MD5
        case AuthAlgorithm::HmacSha1:
            return 3;  // AH_SHA
        case AuthAlgorithm::HmacSha256:
            return 5;  // AH_SHA2-256
        case AuthAlgorithm::None:
            break;
    }
    return 0;
}

}  // namespace

isakmp::SaPayload make_ike_sa(const std::vector<IkeProposal>& proposals) {
    isakmp::Proposal prop;
    prop.number = 1;
    prop.protocol = ProtocolId::Isakmp;
    std::uint8_t n = 1;
    for (const auto& p : proposals) {
        Transform t;
        t.number = n++;
        t.id = kKeyIke;
        t.attributes.push_back(
            Attribute::make_basic(isakmp::ike_attr::Encryption, static_cast<std::uint16_t>(p.encryption)));
        if (p.encryption == EncryptionAlgorithm::AesCbc)
            t.attributes.push_back(Attribute::make_basic(isakmp::ike_attr::KeyLength, p.key_bits));
        t.attributes.push_back(
            Attribute::make_basic(isakmp::ike_attr::Hash, static_cast<std::uint16_t>(p.hash)));
        t.attributes.push_back(Attribute::make_basic(isakmp::ike_attr::AuthMethod,
                                                     static_cast<std::uint16_t>(p.authentication)));
        t.attributes.push_back(
            Attribute::make_basic(isakmp::ike_attr::GroupDescription, static_cast<std::uint16_t>(p.group)));
        t.attributes.push_back(Attribute::make_basic(isakmp::ike_attr::LifeType, isakmp::kLifeTypeSeconds));
        t.attributes.push_back(Attribute::make_number(isakmp::ike_attr::LifeDuration, p.lifetime_seconds));
        prop.transforms.push_back(std::move(t));
    }
    isakmp::SaPayload sa;
    sa.proposals.push_back(std::move(prop));
    return sa;
}

Result<IkeProposal> parse_ike_transform(const Transform& t) {
    if (t.id != kKeyIke)
        return no_proposal("transform id " + std::to_string(t.id) + " is not KEY_IKE");
    IkeProposal p;
    bool enc = false, hash = false, auth = false, group = false;
    for (const auto& a : t.attributes) {
        auto v = a.number();
        if (!v)
            return no_proposal("attribute " + std::to_string(a.type) + " too long");
        switch (a.type) {
            case isakmp::ike_attr::Encryption:
                if (*v != 1 && *v != 5 && *v != 7)
                    return no_proposal("encryption algorithm " + std::to_string(*v) + " not supported");
                p.encryption = static_cast<EncryptionAlgorithm>(*v);
                enc = true;
                break;
            case isakmp::ike_attr::Hash:
                if (*v != 1 && *v != 2 && *v != 4)
                    return no_proposal("hash algorithm " + std::to_string(*v) + " not supported");
                p.hash = static_cast<HashAlgorithm>(*v);
                hash = true;
                break;
            case isakmp::ike_attr::AuthMethod:
                if (*v != 1 && *v != 2 && *v != 3)
                    return no_proposal("authentication method " + std::to_string(*v) + " not supported");
                p.authentication = static_cast<AuthMethod>(*v);
                auth = true;
                break;
            case isakmp::ike_attr::GroupDescription:
                if (*v != 1 && *v != 2 && *v != 5 && *v != 14)
                    return no_proposal("DH group " + std::to_string(*v) + " not supported");
                p.group = static_cast<DhGroup>(*v);
                group = true;
                break;
            case isakmp::ike_attr::KeyLength:
                p.key_bits = static_cast<std::uint16_t>(*v);
                break;
            case isakmp::ike_attr::LifeType:
            case isakmp::ike_attr::LifeDuration:
                break;
            default:
                return no_proposal("IKE attribute type " + std::to_string(a.type) + " not supported");
        }
    }
    if (!enc || !hash || !auth || !group)
        return no_proposal("transform lacks encryption, hash, authentication method or group");
    if (p.encryption == EncryptionAlgorithm::AesCbc && p.key_bits != 128 && p.key_bits != 192 &&
        p.key_bits != 256)
        return no_proposal("AES key length " + std::to_string(p.key_bits));
    if (p.encryption != EncryptionAlgorithm::AesCbc && p.key_bits != 0)
        return no_proposal("key length attribute with a fixed-length cipher");
    // RFC 2407 4.5: without a lifetime the default is 8 hours.
    p.lifetime_seconds =
        lifetime_seconds(t, isakmp::ike_attr::LifeType, isakmp::ike_attr::LifeDuration).value_or(28800);
    return p;
}

namespace {
bool same_but_lifetime(IkeProposal a, IkeProposal b) {
    a.lifetime_seconds = b.lifetime_seconds;
    return a == b;
}
}  // namespace

Result<IkeChoice> select_ike_proposal(const std::vector<IkeProposal>& local, const isakmp::SaPayload& offer) {
    for (const auto& mine : local) {
        for (const auto& prop : offer.proposals) {
            if (prop.protocol != ProtocolId::Isakmp)
                continue;
            for (const auto& t : prop.transforms) {
                auto theirs = parse_ike_transform(t);
                if (!theirs || !same_but_lifetime(mine, *theirs))
                    continue;
                IkeChoice choice;
                choice.proposal = mine;
                choice.proposal.lifetime_seconds = std::min(mine.lifetime_seconds, theirs->lifetime_seconds);
                isakmp::Proposal reply = prop;
                reply.transforms = {t};  // RFC 2409 5: the chosen transform goes back unmodified
                choice.reply.proposals = {reply};
                return choice;
            }
        }
    }
    return no_proposal("none of the peer's " +
                       std::to_string(offer.proposals.empty() ? 0 : offer.proposals[0].transforms.size()) +
                       " IKE transforms matches a configured proposal");
}

Result<IkeProposal> accept_ike_reply(const std::vector<IkeProposal>& offered,
                                     const isakmp::SaPayload& reply) {
    if (reply.proposals.size() != 1 || reply.proposals[0].transforms.size() != 1 ||
        reply.proposals[0].protocol != ProtocolId::Isakmp)
        return no_proposal("the responder's SA must hold exactly one ISAKMP proposal with one transform");
    auto theirs = parse_ike_transform(reply.proposals[0].transforms[0]);
    if (!theirs)
        return theirs.error();
    for (const auto& mine : offered)
        if (same_but_lifetime(mine, *theirs)) {
            IkeProposal p = mine;
            p.lifetime_seconds = std::min(mine.lifetime_seconds, theirs->lifetime_seconds);
            return p;
        }
    return no_proposal("the responder chose a transform that was not offered");
}

namespace {

Transform make_ipsec_transform(IpsecProtocol proto, const IpsecProposal& p, const QuickModeOffer& offer) {
    Transform t;
    t.number = 1;
    t.id = proto == IpsecProtocol::Esp ? static_cast<std::uint8_t>(p.encryption)
                                       : ah_transform_id(p.authentication);
    t.attributes.push_back(Attribute::make_basic(isakmp::ipsec_attr::LifeType, isakmp::kLifeTypeSeconds));
    t.attributes.push_back(Attribute::make_number(isakmp::ipsec_attr::LifeDuration, p.lifetime_seconds));
    if (offer.pfs_group)
        t.attributes.push_back(Attribute::make_basic(isakmp::ipsec_attr::GroupDescription,
                                                     static_cast<std::uint16_t>(*offer.pfs_group)));
    t.attributes.push_back(
        Attribute::make_basic(isakmp::ipsec_attr::EncapsulationMode, static_cast<std::uint16_t>(offer.mode)));
    if (p.authentication != AuthAlgorithm::None)
        t.attributes.push_back(Attribute::make_basic(isakmp::ipsec_attr::AuthAlgorithm,
                                                     static_cast<std::uint16_t>(p.authentication)));
    if (proto == IpsecProtocol::Esp && p.encryption == EspCipher::Aes)
        t.attributes.push_back(Attribute::make_basic(isakmp::ipsec_attr::KeyLength, p.key_bits));
    return t;
}

std::vector<IpsecProtocol> protocols_of(const IpsecProposal& p) {
    switch (p.protocol) {
        case IpsecProposal::Protocol::Esp:
            return {IpsecProtocol::Esp};
        case IpsecProposal::Protocol::Ah:
            return {IpsecProtocol::Ah};
        case IpsecProposal::Protocol::Bundle:
            return {IpsecProtocol::Ah, IpsecProtocol::Esp};
    }
    return {};
}

struct TransformValues {
    std::uint8_t id = 0;
    std::optional<std::uint16_t> group;
    std::optional<std::uint16_t> mode;
    AuthAlgorithm auth = AuthAlgorithm::None;
    std::uint16_t key_bits = 0;
    std::uint32_t lifetime = 28800;
    bool known = true;
};

TransformValues read_ipsec_transform(const Transform& t) {
    TransformValues v;
    v.id = t.id;
    for (const auto& a : t.attributes) {
        auto n = a.number();
        if (!n) {
            v.known = false;
            continue;
        }
        switch (a.type) {
            case isakmp::ipsec_attr::GroupDescription:
                v.group = static_cast<std::uint16_t>(*n);
                break;
            case isakmp::ipsec_attr::EncapsulationMode:
                v.mode = static_cast<std::uint16_t>(*n);
                break;
            case isakmp::ipsec_attr::AuthAlgorithm:
                v.auth = static_cast<AuthAlgorithm>(*n);
                break;
            case isakmp::ipsec_attr::KeyLength:
                v.key_bits = static_cast<std::uint16_t>(*n);
                break;
            case isakmp::ipsec_attr::LifeType:
            case isakmp::ipsec_attr::LifeDuration:
                break;
            default:
                v.known = false;
        }
    }
    v.lifetime =
        lifetime_seconds(t, isakmp::ipsec_attr::LifeType, isakmp::ipsec_attr::LifeDuration).value_or(28800);
    return v;
}

bool transform_matches(IpsecProtocol proto, const IpsecProposal& mine, std::optional<DhGroup> pfs,
                       const std::vector<EncapsulationMode>& modes, const TransformValues& v) {
    if (!v.known)
        return false;
    if (proto == IpsecProtocol::Esp) {
        if (v.id != static_cast<std::uint8_t>(mine.encryption))
            return false;
        if (mine.encryption == EspCipher::Aes && v.key_bits != mine.key_bits)
            return false;
    } else if (v.id != ah_transform_id(mine.authentication)) {
        return false;
    }
    if (v.auth != mine.authentication)
        return false;
    std::optional<std::uint16_t> want_group;
    if (pfs)
        want_group = static_cast<std::uint16_t>(*pfs);
    if (v.group != want_group)
        return false;
    auto mode = static_cast<EncapsulationMode>(
        v.mode.value_or(static_cast<std::uint16_t>(EncapsulationMode::Tunnel)));
    return std::find(modes.begin(), modes.end(), mode) != modes.end();
}

// Consecutive proposal payloads with the same number form one offer (RFC 2408 4.2: AND of protocols).
std::vector<std::vector<const isakmp::Proposal*>> group_proposals(const isakmp::SaPayload& sa) {
    std::vector<std::vector<const isakmp::Proposal*>> groups;
    for (const auto& p : sa.proposals) {
        if (groups.empty() || groups.back().front()->number != p.number)
            groups.emplace_back();
        groups.back().push_back(&p);
    }
    return groups;
}

}  // namespace

isakmp::SaPayload make_ipsec_sa(const QuickModeOffer& offer) {
    isakmp::SaPayload sa;
    std::uint8_t number = 1;
    for (const auto& p : offer.proposals) {
        for (auto proto : protocols_of(p)) {
            isakmp::Proposal prop;
            prop.number = number;
            prop.protocol = static_cast<ProtocolId>(proto);
            prop.spi = spi_bytes(proto == IpsecProtocol::Esp ? offer.esp_spi : offer.ah_spi);
            prop.transforms.push_back(make_ipsec_transform(proto, p, offer));
            sa.proposals.push_back(std::move(prop));
        }
        ++number;
    }
    return sa;
}

Result<IpsecChoice> select_ipsec_proposal(const std::vector<IpsecProposal>& local, std::optional<DhGroup> pfs,
                                          const std::vector<EncapsulationMode>& accepted_modes,
                                          const isakmp::SaPayload& offer) {
    auto groups = group_proposals(offer);
    for (const auto& mine : local) {
        auto wanted = protocols_of(mine);
        for (const auto& group : groups) {
            if (group.size() != wanted.size())
                continue;
            IpsecChoice choice;
            choice.proposal = mine;
            choice.lifetime_seconds = mine.lifetime_seconds;
            bool ok = true;
            for (const auto* prop : group) {
                auto proto = static_cast<IpsecProtocol>(prop->protocol);
                if ((prop->protocol != ProtocolId::Esp && prop->protocol != ProtocolId::Ah) ||
                    std::find(wanted.begin(), wanted.end(), proto) == wanted.end() || prop->spi.size() != 4) {
                    ok = false;
                    break;
                }
                const Transform* chosen = nullptr;
                TransformValues values;
                for (const auto& t : prop->transforms) {
                    values = read_ipsec_transform(t);
                    if (transform_matches(proto, mine, pfs, accepted_modes, values)) {
                        chosen = &t;
                        break;
                    }
                }
                if (!chosen) {
                    ok = false;
                    break;
                }
                NegotiatedProtocol np{proto, spi_value(prop->spi)};
                np.authentication = values.auth;
                if (proto == IpsecProtocol::Esp) {
                    np.cipher = static_cast<EspCipher>(values.id);
                    np.key_bits = values.key_bits;
                }
                choice.protocols.push_back(np);
                choice.mode = static_cast<EncapsulationMode>(
                    values.mode.value_or(static_cast<std::uint16_t>(EncapsulationMode::Tunnel)));
                choice.lifetime_seconds = std::min(choice.lifetime_seconds, values.lifetime);
                isakmp::Proposal reply = *prop;
                reply.transforms = {*chosen};
                choice.reply.proposals.push_back(std::move(reply));
            }
            if (ok)
                return choice;
        }
    }
    return no_proposal("none of the peer's " + std::to_string(groups.size()) +
                       " IPsec proposals matches the configured policy");
}

void set_reply_spis(IpsecChoice& choice, std::uint32_t esp_spi, std::uint32_t ah_spi) {
    for (auto& p : choice.reply.proposals)
        p.spi = spi_bytes(p.protocol == ProtocolId::Esp ? esp_spi : ah_spi);
}

Result<IpsecChoice> accept_ipsec_reply(const QuickModeOffer& offered, const isakmp::SaPayload& reply) {
    auto groups = group_proposals(reply);
    if (groups.size() != 1)
        return no_proposal("the responder's SA must hold exactly one proposal");
    const auto& group = groups[0];
    std::size_t index = static_cast<std::size_t>(group.front()->number) - 1;
    if (group.front()->number == 0 || index >= offered.proposals.size())
        return no_proposal("the responder chose proposal number " + std::to_string(group.front()->number) +
                           " that was not offered");
    const auto& mine = offered.proposals[index];
    std::vector<EncapsulationMode> modes{offered.mode};
    auto chosen = select_ipsec_proposal({mine}, offered.pfs_group, modes, reply);
    if (!chosen)
        return no_proposal("the responder's transform differs from the offered one");
    for (const auto* prop : group)
        if (prop->transforms.size() != 1)
            return no_proposal("the responder's proposal must hold one transform");
    return chosen;
}

}  // namespace msim::kmd
