// IKEv1 phase 2 (RFC 2409 5.5): quick mode over an established IKE SA, initiator and responder, as a pure
// object; and the protected informational exchange (RFC 2409 5.7) for notifications and deletes.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "msim/kmd/crypto.hpp"
#include "msim/kmd/events.hpp"
#include "msim/kmd/phase1.hpp"
#include "msim/kmd/types.hpp"

namespace msim::kmd {

struct QuickModeConfig {
    std::vector<IpsecProposal> proposals;  // the IPsec policy's proposals, in configured order
    std::optional<DhGroup> pfs_group;      // perfect-forward-secrecy keys
    // Proxy identities (IDci/IDcr); without them no ID payloads are sent (the IKE endpoints are implied).
    std::optional<TrafficSelector> local_selector, remote_selector;
    // Tunnel or Transport; becomes the UDP-encapsulated mode when phase 1 found a NAT.
    EncapsulationMode mode = EncapsulationMode::Tunnel;
    RetransmitPolicy retransmit;
};

enum class QuickModeState { Idle, InitiatorSentFirst, ResponderSentSecond, Established, Failed };
const char* to_string(QuickModeState state);

class QuickModeSession {
  public:
    // An initiator over `ike_sa` (copied: the session does not depend on the caller keeping it alive).
    QuickModeSession(const IkeSa& ike_sa, QuickModeConfig config, const CryptoProvider& crypto,
                     EventSink& events, SpiAllocator& spis);
    ~QuickModeSession();
    QuickModeSession(const QuickModeSession&) = delete;
    QuickModeSession& operator=(const QuickModeSession&) = delete;

    // A responder for quick mode message 1; the configuration is chosen among `candidates` by the proxy
    // identities. On failure the returned session is failed and the step may carry a protected notification.
    static std::pair<std::unique_ptr<QuickModeSession>, Step> respond(
        const IkeSa& ike_sa, const std::vector<QuickModeConfig>& candidates, const CryptoProvider& crypto,
        EventSink& events, SpiAllocator& spis, ByteView first_message);

    Step start();
    Step handle(ByteView datagram);
    // The daemon forwards an error notification received in a protected informational for this exchange.
    Step on_peer_notify(std::uint16_t notify_type);
    std::optional<std::chrono::milliseconds> retransmit_delay() const;
    Step on_retransmit_timer();

    QuickModeState state() const;
    bool established() const { return state() == QuickModeState::Established; }
    bool failed() const { return state() == QuickModeState::Failed; }
    std::uint32_t message_id() const;
    // Set once established: the inbound and outbound SAs for ipsecd.
    const ChildSa* child_sa() const;

  private:
    struct Impl;
    explicit QuickModeSession(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// A protected informational message: HDR*, HASH(1), N/D... with HASH(1) = prf(SKEYID_a, M-ID | N/D).
Result<Bytes> make_informational(const CryptoProvider& crypto, const IkeSa& ike_sa,
                                 const std::vector<isakmp::Payload>& payloads, std::uint32_t message_id);
// DELETE payloads announcing the end of an IKE SA (its cookies) or of a child SA (our inbound SPIs, one
// payload per protocol: the SPIs the peer sends with, which is what it must remove).
isakmp::DeletePayload delete_for(const IkeSa& ike_sa);
std::vector<isakmp::DeletePayload> delete_for(const ChildSa& child);

// Decrypts and authenticates a protected informational message; returns its payloads after the HASH.
Result<std::vector<isakmp::Payload>> open_informational(const CryptoProvider& crypto, const IkeSa& ike_sa,
                                                        ByteView datagram);

}  // namespace msim::kmd
