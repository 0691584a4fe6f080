// IKEv1 phase 1 (RFC 2409 5): main mode and aggressive mode, initiator and responder, as a pure object.
// The daemon feeds received datagrams in and sends what comes out; timers and sockets stay outside.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "msim/kmd/crypto.hpp"
#include "msim/kmd/events.hpp"
#include "msim/kmd/isakmp.hpp"
#include "msim/kmd/types.hpp"

namespace msim::kmd {

enum class Phase1Mode { Main, Aggressive };
enum class Role { Initiator, Responder };

struct Phase1Config {
    Phase1Mode mode = Phase1Mode::Main;
    std::vector<IkeProposal> proposals;  // the IKE policy's proposals, in configured order
    Bytes pre_shared_key;
    std::optional<Identity> local_id;   // default: the local address
    std::optional<Identity> remote_id;  // the identity the peer must present; nullopt accepts any
    Endpoint local, remote;
    bool nat_traversal = true;    // announce RFC 3947 / draft NAT-T and exchange NAT-D
    bool initial_contact = true;  // send INITIAL-CONTACT with the initiator's authentication
    RetransmitPolicy retransmit;
    const SignatureProvider* signatures = nullptr;  // required for rsa-/dsa-signatures
};

// An established ISAKMP SA: what quick mode and informational exchanges need.
struct IkeSa {
    isakmp::Cookie initiator_cookie{};
    isakmp::Cookie responder_cookie{};
    Role role = Role::Initiator;
    Phase1Mode mode = Phase1Mode::Main;
    IkeProposal proposal;  // negotiated; lifetime is the shorter of both sides
    Bytes skeyid_d, skeyid_a, skeyid_e, encryption_key;
    Bytes last_phase1_block;  // base of every phase 2 IV
    Endpoint local, remote;
    Identity local_id, remote_id;
    bool nat_t = false;        // both sides announced NAT-T
    bool nat_t_draft = false;  // ...by a draft vendor ID only (payload types 130/131, modes 61443/61444)
    bool local_behind_nat = false;
    bool remote_behind_nat = false;
    bool initial_contact_received = false;
    std::vector<isakmp::KnownVendor> peer_vendors;

    bool nat_detected() const { return local_behind_nat || remote_behind_nat; }
};

enum class Phase1State {
    Idle,
    InitiatorSentSa,    // main mode message 1
    InitiatorSentKe,    // main mode message 3
    InitiatorSentAuth,  // main mode message 5
    InitiatorSentAggr,  // aggressive message 1
    ResponderSentSa,    // main mode message 2
    ResponderSentKe,    // main mode message 4
    ResponderSentAggr,  // aggressive message 2
    Established,
    Failed,
};
const char* to_string(Phase1State state);

class Phase1Session {
  public:
    // An initiator; start() yields its first message.
    Phase1Session(Phase1Config config, const CryptoProvider& crypto, EventSink& events);
    ~Phase1Session();
    Phase1Session(const Phase1Session&) = delete;
    Phase1Session& operator=(const Phase1Session&) = delete;

    // A responder for a first message (main mode 1 or aggressive 1). When the message is unusable the
    // session is returned failed, with the step holding the error (and a notification to send if any).
    static std::pair<std::unique_ptr<Phase1Session>, Step> respond(Phase1Config config,
                                                                   const CryptoProvider& crypto,
                                                                   EventSink& events, ByteView first_message);

    Step start();
    Step handle(ByteView datagram);
    // Delay until on_retransmit_timer() is due, while a message awaits an answer.
    std::optional<std::chrono::milliseconds> retransmit_delay() const;
    Step on_retransmit_timer();

    Phase1State state() const;
    Role role() const;
    bool established() const { return state() == Phase1State::Established; }
    bool failed() const { return state() == Phase1State::Failed; }
    const isakmp::Cookie& initiator_cookie() const;
    const isakmp::Cookie& responder_cookie() const;
    // Set once established.
    const IkeSa* ike_sa() const;
    // True once NAT-D showed a NAT: the daemon moves this IKE SA to UDP 4500 (non-ESP marker).
    bool float_to_nat_t_port() const;

  private:
    struct Impl;
    explicit Phase1Session(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// An unencrypted Informational message carrying one notification (used before keys exist).
Bytes make_unprotected_notify(const isakmp::Cookie& icookie, const isakmp::Cookie& rcookie,
                              std::uint16_t notify_type, std::uint32_t message_id);

// NAT-D hash (RFC 3947 3.2): HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash.
Result<Bytes> nat_d_hash(const CryptoProvider& crypto, HashAlgorithm hash, const isakmp::Cookie& icookie,
                         const isakmp::Cookie& rcookie, const Endpoint& endpoint);

}  // namespace msim::kmd
