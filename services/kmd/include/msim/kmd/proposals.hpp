// Mapping configured proposals to ISAKMP SA payloads and choosing among a peer's offers.
// Choice rule (Junos): our proposals are tried in the configured order; a peer offer matches when every
// negotiated attribute except the lifetime is equal; the shorter of the two lifetimes wins.
#pragma once

#include <optional>
#include <vector>

#include "msim/kmd/isakmp.hpp"
#include "msim/kmd/types.hpp"

namespace msim::kmd {

// Phase 1: one proposal (protocol ISAKMP) with one transform per configured IKE proposal.
isakmp::SaPayload make_ike_sa(const std::vector<IkeProposal>& proposals);
Result<IkeProposal> parse_ike_transform(const isakmp::Transform& transform);

struct IkeChoice {
    IkeProposal proposal;     // negotiated values, lifetime already the shorter one
    isakmp::SaPayload reply;  // the SA payload the responder sends back (one transform)
};
Result<IkeChoice> select_ike_proposal(const std::vector<IkeProposal>& local, const isakmp::SaPayload& offer);
// The initiator checks the responder's answer against what it offered.
Result<IkeProposal> accept_ike_reply(const std::vector<IkeProposal>& offered, const isakmp::SaPayload& reply);

// Phase 2 parameters common to every proposal of one quick mode.
struct QuickModeOffer {
    std::vector<IpsecProposal> proposals;
    std::optional<DhGroup> pfs_group;
    EncapsulationMode mode = EncapsulationMode::Tunnel;
    std::uint32_t esp_spi = 0;  // our inbound SPIs
    std::uint32_t ah_spi = 0;
};
isakmp::SaPayload make_ipsec_sa(const QuickModeOffer& offer);

// One negotiated protocol of a quick mode: the peer's SPI for it and the chosen transform values.
struct NegotiatedProtocol {
    IpsecProtocol protocol;
    std::uint32_t peer_spi;
    EspCipher cipher = EspCipher::Null;
    std::uint16_t key_bits = 0;
    AuthAlgorithm authentication = AuthAlgorithm::None;
};
struct IpsecChoice {
    IpsecProposal proposal;
    std::vector<NegotiatedProtocol> protocols;  // AH before ESP in a bundle
    EncapsulationMode mode = EncapsulationMode::Tunnel;
    std::uint32_t lifetime_seconds = 0;
    isakmp::SaPayload reply;  // what the responder sends (with its own SPIs, set by finish_ipsec_reply)
};
// `accepted_modes` lists encapsulation modes the responder takes (tunnel, or UDP tunnel behind NAT).
Result<IpsecChoice> select_ipsec_proposal(const std::vector<IpsecProposal>& local, std::optional<DhGroup> pfs,
                                          const std::vector<EncapsulationMode>& accepted_modes,
                                          const isakmp::SaPayload& offer);
// Writes the responder's inbound SPIs into the reply.
void set_reply_spis(IpsecChoice& choice, std::uint32_t esp_spi, std::uint32_t ah_spi);
Result<IpsecChoice> accept_ipsec_reply(const QuickModeOffer& offered, const isakmp::SaPayload& reply);

}  // namespace msim::kmd
