#include "msim/kmd/phase1.hpp"

#include <algorithm>

#include "msim/kmd/proposals.hpp"
#include "msim/kmd/quick_mode.hpp"
#include "protect.hpp"

namespace msim::kmd {

using namespace isakmp;
using detail::concat;
using detail::find_payload;
using detail::find_payloads;

const char* to_string(Phase1State state) {
    switch (state) {
        case Phase1State::Idle:
            return "idle";
        case Phase1State::InitiatorSentSa:
            return "main-mode-1-sent";
        case Phase1State::InitiatorSentKe:
            return "main-mode-3-sent";
        case Phase1State::InitiatorSentAuth:
            return "main-mode-5-sent";
        case Phase1State::InitiatorSentAggr:
            return "aggressive-1-sent";
        case Phase1State::ResponderSentSa:
            return "main-mode-2-sent";
        case Phase1State::ResponderSentKe:
            return "main-mode-4-sent";
        case Phase1State::ResponderSentAggr:
            return "aggressive-2-sent";
        case Phase1State::Established:
            return "established";
        case Phase1State::Failed:
            return "failed";
    }
    return "unknown";
}

Bytes make_unprotected_notify(const Cookie& icookie, const Cookie& rcookie, std::uint16_t notify_type,
                              std::uint32_t message_id) {
    Header h;
    h.initiator_cookie = icookie;
    h.responder_cookie = rcookie;
    h.exchange = ExchangeType::Informational;
    h.message_id = message_id;
    NotifyPayload n;
    n.protocol = ProtocolId::Isakmp;
    n.type = notify_type;
    n.spi = concat({icookie, rcookie});
    return encode(h, {Payload{n}});
}

Result<Bytes> nat_d_hash(const CryptoProvider& crypto, HashAlgorithm hash, const Cookie& icookie,
                         const Cookie& rcookie, const Endpoint& endpoint) {
    std::uint8_t port[2] = {static_cast<std::uint8_t>(endpoint.port >> 8),
                            static_cast<std::uint8_t>(endpoint.port)};
    return crypto.hash(hash, concat({icookie, rcookie, endpoint.address, ByteView(port, 2)}));
}

namespace {
std::uint16_t notify_for(ErrorCode code) {
    switch (code) {
        case ErrorCode::NoProposalChosen:
            return notify::NoProposalChosen;
        case ErrorCode::InvalidIdInformation:
            return notify::InvalidIdInformation;
        case ErrorCode::AuthenticationFailed:
            return notify::AuthenticationFailed;
        case ErrorCode::PayloadMissing:
        case ErrorCode::Malformed:
        case ErrorCode::Truncated:
            return notify::PayloadMalformed;
        default:
            return 0;
    }
}
bool is_error_notify(std::uint16_t type) {
    return type > 0 && type < 8192;
}
}  // namespace

struct Phase1Session::Impl {
    Phase1Config config;
    const CryptoProvider& crypto;
    EventSink& events;
    Role role;
    Phase1State state = Phase1State::Idle;
    IkeSa sa;
    Identity local_id;

    Bytes sa_i_body;  // SAi_b: the initiator's SA payload body as sent
    std::vector<IkeProposal> offered;
    std::optional<DhKeyPair> dh;
    Bytes ni, nr, gxi, gxr, gxy;
    Bytes skeyid;
    Bytes iv;
    bool peer_nat_t_rfc = false, peer_nat_t_draft = false;
    bool float_port = false;

    Bytes last_sent;
    Bytes last_received;
    std::size_t retransmits = 0;
    bool awaiting_reply = false;

    Impl(Phase1Config c, const CryptoProvider& cr, EventSink& ev, Role r)
        : config(std::move(c)), crypto(cr), events(ev), role(r) {
        local_id = config.local_id.value_or(Identity::ipv4(config.local.address));
        sa.role = r;
        sa.mode = config.mode;
        sa.local = config.local;
        sa.remote = config.remote;
        sa.local_id = local_id;
    }

    void emit(EventType type, std::string detail = {}, std::optional<Error> error = std::nullopt,
              std::uint16_t notify_type = 0, std::uint32_t message_id = 0) {
        Event e{type,        config.remote.to_string(), sa.initiator_cookie, sa.responder_cookie, message_id,
                notify_type, std::move(error),          std::move(detail)};
        events.on_event(e);
    }

    Step send(Bytes datagram, bool expect_reply, std::string what) {
        emit(EventType::MessageSent, std::move(what));
        last_sent = datagram;
        awaiting_reply = expect_reply;
        retransmits = 0;
        Step s;
        s.send.push_back(std::move(datagram));
        return s;
    }

    // A failure that ends the negotiation: notify the peer where the RFC wants it.
    Step fail(Error error, bool notify_peer) {
        Phase1State was = state;
        state = Phase1State::Failed;
        awaiting_reply = false;
        Step s;
        std::uint16_t n = notify_for(error.code);
        if (notify_peer && n) {
            // With keys, the notification is protected (what strongSwan accepts); when the keys may be
            // the problem (AUTHENTICATION-FAILED) or do not exist yet, an unprotected copy goes out too.
            bool keys = !sa.encryption_key.empty() && !iv.empty();
            if (keys) {
                NotifyPayload payload;
                payload.type = n;
                payload.spi = concat({sa.initiator_cookie, sa.responder_cookie});
                if (auto m = make_informational(crypto, keyed_sa(), {payload}, be32_random()))
                    s.send.push_back(std::move(*m));
            }
            if (!keys || error.code == ErrorCode::AuthenticationFailed)
                s.send.push_back(
                    make_unprotected_notify(sa.initiator_cookie, sa.responder_cookie, n, be32_random()));
            emit(EventType::NotifySent, "", std::nullopt, n);
        }
        emit(EventType::IkeSaFailed, std::string("in state ") + to_string(was), error);
        s.error = std::move(error);
        return s;
    }

    // Phase 1 informationals before the SA is up derive their IV from the current phase 1 IV.
    IkeSa keyed_sa() const {
        IkeSa k = sa;
        k.last_phase1_block = iv;
        return k;
    }

    // A message we cannot use: dropped without changing state (it may be forged or stale).
    Step drop(Error error) {
        emit(EventType::MessageDropped, "", error);
        Step s;
        s.error = std::move(error);
        return s;
    }

    std::uint32_t be32_random() const {
        Bytes r = crypto.random(4);
        std::uint32_t v =
            (std::uint32_t{r[0]} << 24) | (std::uint32_t{r[1]} << 16) | (std::uint32_t{r[2]} << 8) | r[3];
        return v ? v : 1;
    }

    Header header(std::uint32_t message_id = 0) const {
        Header h;
        h.initiator_cookie = sa.initiator_cookie;
        h.responder_cookie = sa.responder_cookie;
        h.exchange =
            config.mode == Phase1Mode::Main ? ExchangeType::IdentityProtection : ExchangeType::Aggressive;
        h.message_id = message_id;
        return h;
    }

    void add_vendor_ids(std::vector<Payload>& payloads, bool responding) const {
        if (!config.nat_traversal)
            return;
        if (!responding) {
            payloads.push_back(VendorIdPayload{vendor_id(KnownVendor::NatTraversalRfc3947)});
            payloads.push_back(VendorIdPayload{vendor_id(KnownVendor::NatTraversalDraft02N)});
            payloads.push_back(VendorIdPayload{vendor_id(KnownVendor::NatTraversalDraft02)});
        } else if (peer_nat_t_rfc) {
            payloads.push_back(VendorIdPayload{vendor_id(KnownVendor::NatTraversalRfc3947)});
        } else if (peer_nat_t_draft) {
            payloads.push_back(VendorIdPayload{vendor_id(KnownVendor::NatTraversalDraft02N)});
        }
    }

    void read_vendor_ids(const std::vector<Payload>& payloads) {
        for (const auto* v : find_payloads<VendorIdPayload>(payloads)) {
            KnownVendor k = classify_vendor_id(v->data);
            if (k == KnownVendor::Unknown)
                continue;  // skipped, never fatal
            sa.peer_vendors.push_back(k);
            emit(EventType::VendorIdReceived, to_string(k));
            if (k == KnownVendor::NatTraversalRfc3947)
                peer_nat_t_rfc = true;
            if (k == KnownVendor::NatTraversalDraft02 || k == KnownVendor::NatTraversalDraft02N ||
                k == KnownVendor::NatTraversalDraft03)
                peer_nat_t_draft = true;
        }
        if (config.nat_traversal && (peer_nat_t_rfc || peer_nat_t_draft)) {
            sa.nat_t = true;
            sa.nat_t_draft = !peer_nat_t_rfc;
        }
    }

    // CERTREQ (RFC 2408 3.10) when `proposal` authenticates with signatures: it asks the peer for its
    // certificate (strongSwan, by default, sends its certificate only when asked) issued by the CA of ours
    // (an empty authority, "any CA", when we do not know it).
    void add_certificate_request(std::vector<Payload>& payloads, const IkeProposal& proposal) const {
        if (proposal.authentication == AuthMethod::PreSharedKey || !config.signatures)
            return;
        payloads.push_back(CertRequestPayload{4, config.signatures->certificate_authority()});
    }

    Result<std::vector<Payload>> nat_d_payloads() const {
        std::vector<Payload> out;
        if (!sa.nat_t)
            return out;
        // First the peer's address as we send to it, then our own (RFC 3947 3.2).
        for (const Endpoint* e : {&config.remote, &config.local}) {
            auto h = nat_d_hash(crypto, sa.proposal.hash, sa.initiator_cookie, sa.responder_cookie, *e);
            if (!h)
                return h.error();
            out.push_back(NatDPayload{std::move(*h), sa.nat_t_draft});
        }
        return out;
    }

    Result<Ok> check_nat_d(const std::vector<Payload>& payloads) {
        if (!sa.nat_t)
            return Ok{};
        auto natd = find_payloads<NatDPayload>(payloads);
        if (natd.size() < 2)
            return make_error(ErrorCode::PayloadMissing,
                              "NAT-T negotiated but fewer than two NAT-D payloads");
        auto mine =
            nat_d_hash(crypto, sa.proposal.hash, sa.initiator_cookie, sa.responder_cookie, config.local);
        auto theirs =
            nat_d_hash(crypto, sa.proposal.hash, sa.initiator_cookie, sa.responder_cookie, config.remote);
        if (!mine)
            return mine.error();
        if (!theirs)
            return theirs.error();
        sa.local_behind_nat = natd[0]->hash != *mine;
        sa.remote_behind_nat = std::none_of(natd.begin() + 1, natd.end(),
                                            [&](const NatDPayload* p) { return p->hash == *theirs; });
        if (sa.nat_detected()) {
            std::string where = sa.local_behind_nat ? "local" : "";
            if (sa.remote_behind_nat)
                where += where.empty() ? "remote" : " and remote";
            emit(EventType::NatDetected, where + " endpoint behind NAT");
            float_port = true;
        }
        return Ok{};
    }

    Result<Ok> derive_keys() {
        auto secret = dh->shared_secret(role == Role::Initiator ? gxr : gxi);
        if (!secret)
            return secret.error();
        gxy = std::move(*secret);
        auto sk = derive_skeyid(crypto, sa.proposal.hash, sa.proposal.authentication, config.pre_shared_key,
                                ni, nr, gxy);
        if (!sk)
            return sk.error();
        skeyid = *sk;
        auto ids = derive_skeyids(crypto, sa.proposal.hash, std::move(*sk), gxy, sa.initiator_cookie,
                                  sa.responder_cookie);
        if (!ids)
            return ids.error();
        sa.skeyid_d = ids->d;
        sa.skeyid_a = ids->a;
        sa.skeyid_e = ids->e;
        auto key = derive_encryption_key(crypto, sa.proposal.hash, sa.skeyid_e,
                                         key_size(sa.proposal.encryption, sa.proposal.key_bits));
        if (!key)
            return key.error();
        sa.encryption_key = std::move(*key);
        auto iv0 = phase1_iv(crypto, sa.proposal.hash, gxi, gxr, block_size(sa.proposal.encryption));
        if (!iv0)
            return iv0.error();
        iv = std::move(*iv0);
        return Ok{};
    }

    // HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b); HASH_R swaps the DH values and
    // the cookies and uses IDir_b.
    Result<Bytes> auth_hash(bool initiator_hash, ByteView id_body) const {
        if (initiator_hash)
            return crypto.prf(
                sa.proposal.hash, skeyid,
                concat({gxi, gxr, sa.initiator_cookie, sa.responder_cookie, sa_i_body, id_body}));
        return crypto.prf(sa.proposal.hash, skeyid,
                          concat({gxr, gxi, sa.responder_cookie, sa.initiator_cookie, sa_i_body, id_body}));
    }

    IdPayload local_id_payload() const {
        IdPayload id;
        id.type = local_id.type;
        id.data = local_id.data;
        return id;
    }

    // Our authentication payloads: [CERT,] SIG, or HASH for pre-shared keys.
    Result<std::vector<Payload>> auth_payloads(bool initiator_hash) const {
        Bytes id_body = encode_payload_body(local_id_payload());
        auto h = auth_hash(initiator_hash, id_body);
        if (!h)
            return h.error();
        std::vector<Payload> out;
        if (sa.proposal.authentication == AuthMethod::PreSharedKey) {
            out.push_back(HashPayload{std::move(*h)});
            return out;
        }
        if (!config.signatures)
            return make_error(ErrorCode::AuthenticationFailed, "signature authentication without a signer");
        Bytes cert = config.signatures->certificate();
        if (!cert.empty())
            out.push_back(CertPayload{4, std::move(cert)});
        auto sig = config.signatures->sign(*h);
        if (!sig)
            return sig.error();
        out.push_back(SignaturePayload{std::move(*sig)});
        return out;
    }

    // Checks the peer's ID and HASH/SIG. `id_raw` is the peer's ID payload as received.
    Result<Ok> verify_peer(const std::vector<Payload>& payloads, ByteView id_raw, bool initiator_hash) {
        const auto* id = find_payload<IdPayload>(payloads);
        if (!id)
            return make_error(ErrorCode::PayloadMissing, "peer sent no ID payload");
        Identity peer{id->type, id->data};
        auto h = auth_hash(initiator_hash, id_raw.subspan(4));
        if (!h)
            return h.error();
        if (sa.proposal.authentication == AuthMethod::PreSharedKey) {
            const auto* hash = find_payload<HashPayload>(payloads);
            if (!hash)
                return make_error(ErrorCode::PayloadMissing, "peer sent no HASH payload");
            if (!detail::constant_time_equal(hash->data, *h))
                return make_error(ErrorCode::AuthenticationFailed,
                                  "peer's HASH does not match (pre-shared key mismatch?)");
        } else {
            const auto* sig = find_payload<SignaturePayload>(payloads);
            if (!sig)
                return make_error(ErrorCode::PayloadMissing, "peer sent no SIG payload");
            if (!config.signatures)
                return make_error(ErrorCode::AuthenticationFailed,
                                  "signature authentication without a verifier");
            std::vector<Bytes> certs;
            for (const auto* c : find_payloads<CertPayload>(payloads))
                certs.push_back(c->data);
            auto ok = config.signatures->verify(*h, sig->data, peer, certs);
            if (!ok)
                return make_error(ErrorCode::AuthenticationFailed, ok.error().message);
        }
        // The identity is checked after the proof: an unauthenticated ID says nothing.
        if (config.remote_id && !(*config.remote_id == peer))
            return make_error(ErrorCode::InvalidIdInformation, "peer identity " + peer.to_string() +
                                                                   " is not the configured " +
                                                                   config.remote_id->to_string());
        sa.remote_id = peer;
        for (const auto* n : find_payloads<NotifyPayload>(payloads))
            if (n->type == notify::InitialContact) {
                sa.initial_contact_received = true;
                emit(EventType::NotifyReceived, "INITIAL-CONTACT", std::nullopt, n->type);
            }
        return Ok{};
    }

    void establish(Bytes last_block) {
        sa.last_phase1_block = std::move(last_block);
        state = Phase1State::Established;
        awaiting_reply = false;
        std::string detail = std::string(config.mode == Phase1Mode::Main ? "main" : "aggressive") +
                             " mode, " + to_string(sa.proposal.authentication) + " " +
                             to_string(sa.proposal.encryption) + " " + to_string(sa.proposal.hash) + " " +
                             to_string(sa.proposal.group) + ", lifetime " +
                             std::to_string(sa.proposal.lifetime_seconds) + " s, local " +
                             local_id.to_string() + ", remote " + sa.remote_id.to_string();
        if (sa.nat_detected())
            detail += ", NAT-T";
        emit(EventType::IkeSaEstablished, detail);
        // Key material not needed after phase 1 is cleared.
        std::fill(skeyid.begin(), skeyid.end(), 0);
        std::fill(gxy.begin(), gxy.end(), 0);
        dh.reset();
    }

    Result<Ok> make_dh_and_nonce() {
        auto kp = crypto.generate_dh(sa.proposal.group);
        if (!kp)
            return kp.error();
        dh.emplace(std::move(*kp));
        Bytes n = crypto.random(32);
        (role == Role::Initiator ? ni : nr) = n;
        (role == Role::Initiator ? gxi : gxr) = dh->public_value();
        return Ok{};
    }

    Result<Ok> take_ke_nonce(const std::vector<Payload>& payloads) {
        const auto* ke = find_payload<KePayload>(payloads);
        const auto* nonce = find_payload<NoncePayload>(payloads);
        if (!ke || !nonce)
            return make_error(ErrorCode::PayloadMissing, "KE or NONCE payload missing");
        if (ke->data.size() != dh_public_size(sa.proposal.group))
            return make_error(ErrorCode::Malformed, "KE payload of " + std::to_string(ke->data.size()) +
                                                        " bytes does not fit " +
                                                        to_string(sa.proposal.group));
        (role == Role::Initiator ? gxr : gxi) = ke->data;
        (role == Role::Initiator ? nr : ni) = nonce->data;
        return Ok{};
    }

    // ---- initiator ----

    Step start() {
        if (state != Phase1State::Idle || role != Role::Initiator)
            return drop(make_error(ErrorCode::UnexpectedMessage, "start() on a running session"));
        if (config.proposals.empty())
            return fail(make_error(ErrorCode::NoProposalChosen, "no IKE proposals configured"), false);
        Bytes c = crypto.random(8);
        std::copy(c.begin(), c.end(), sa.initiator_cookie.begin());
        offered = config.proposals;
        if (config.mode == Phase1Mode::Aggressive) {
            // One KE goes out with the offer, so only proposals of the first proposal's group are offered.
            DhGroup g = offered.front().group;
            std::erase_if(offered, [g](const IkeProposal& p) { return p.group != g; });
            sa.proposal = offered.front();
        }
        SaPayload sa_payload = make_ike_sa(offered);
        sa_i_body = encode_payload_body(sa_payload);
        std::vector<Payload> payloads{sa_payload};
        if (config.mode == Phase1Mode::Aggressive) {
            if (auto r = make_dh_and_nonce(); !r)
                return fail(r.error(), false);
            payloads.push_back(KePayload{gxi});
            payloads.push_back(NoncePayload{ni});
            payloads.push_back(local_id_payload());
            add_certificate_request(payloads, sa.proposal);
        }
        add_vendor_ids(payloads, false);
        state =
            config.mode == Phase1Mode::Main ? Phase1State::InitiatorSentSa : Phase1State::InitiatorSentAggr;
        return send(encode(header(), payloads), true, detail::payload_list(payloads));
    }

    Step on_main_2(const Packet& p) {
        auto payloads = decode_payloads(p.header.next_payload, p.body, false);
        if (!payloads)
            return drop(payloads.error());
        const auto* sa_payload = find_payload<SaPayload>(*payloads);
        if (!sa_payload)
            return drop(make_error(ErrorCode::PayloadMissing, "main mode message 2 without SA"));
        sa.responder_cookie = p.header.responder_cookie;
        auto chosen = accept_ike_reply(offered, *sa_payload);
        if (!chosen)
            return fail(chosen.error(), true);
        sa.proposal = *chosen;
        read_vendor_ids(*payloads);
        if (auto r = make_dh_and_nonce(); !r)
            return fail(r.error(), false);
        std::vector<Payload> out{KePayload{gxi}, NoncePayload{ni}};
        add_certificate_request(out, sa.proposal);
        auto natd = nat_d_payloads();
        if (!natd)
            return fail(natd.error(), false);
        out.insert(out.end(), natd->begin(), natd->end());
        state = Phase1State::InitiatorSentKe;
        return send(encode(header(), out), true, detail::payload_list(out));
    }

    Step on_main_4(const Packet& p) {
        auto payloads = decode_payloads(p.header.next_payload, p.body, false);
        if (!payloads)
            return drop(payloads.error());
        if (auto r = take_ke_nonce(*payloads); !r)
            return drop(r.error());
        if (auto r = check_nat_d(*payloads); !r)
            return drop(r.error());
        if (auto r = derive_keys(); !r)
            return fail(r.error(), false);
        auto auth = auth_payloads(true);
        if (!auth)
            return fail(auth.error(), false);
        std::vector<Payload> out{local_id_payload()};
        out.insert(out.end(), auth->begin(), auth->end());
        if (config.initial_contact) {
            NotifyPayload n;
            n.type = notify::InitialContact;
            n.spi = concat({sa.initiator_cookie, sa.responder_cookie});
            out.push_back(n);
        }
        auto sealed = detail::seal(crypto, sa.proposal.encryption, sa.encryption_key, iv, header(), out);
        if (!sealed)
            return fail(sealed.error(), false);
        iv = sealed->last_block;
        state = Phase1State::InitiatorSentAuth;
        return send(std::move(sealed->datagram), true, detail::payload_list(out) + " (encrypted)");
    }

    Step on_main_6(const Packet& p) {
        if (!(p.header.flags & flags::Encryption))
            return drop(make_error(ErrorCode::UnexpectedMessage, "main mode message 6 not encrypted"));
        auto opened = detail::open(crypto, sa.proposal.encryption, sa.encryption_key, iv, p);
        if (!opened)
            return fail(make_error(ErrorCode::AuthenticationFailed,
                                   "main mode message 6 does not decrypt (" + opened.error().message + ")"),
                        true);
        std::size_t id_index = detail::index_of<IdPayload>(opened->payloads);
        if (id_index == opened->payloads.size())
            return fail(make_error(ErrorCode::PayloadMissing, "main mode message 6 without ID"), true);
        if (auto r = verify_peer(opened->payloads, opened->raw[id_index], false); !r)
            return fail(r.error(), true);
        establish(opened->last_block);
        return Step{};
    }

    Step on_aggressive_2(const Packet& p) {
        std::vector<std::span<const std::uint8_t>> raw;
        auto payloads = decode_payloads(p.header.next_payload, p.body, false, &raw);
        if (!payloads)
            return drop(payloads.error());
        const auto* sa_payload = find_payload<SaPayload>(*payloads);
        if (!sa_payload)
            return drop(make_error(ErrorCode::PayloadMissing, "aggressive mode message 2 without SA"));
        sa.responder_cookie = p.header.responder_cookie;
        auto chosen = accept_ike_reply(offered, *sa_payload);
        if (!chosen)
            return fail(chosen.error(), true);
        sa.proposal = *chosen;
        read_vendor_ids(*payloads);
        if (auto r = take_ke_nonce(*payloads); !r)
            return fail(r.error(), true);
        if (auto r = derive_keys(); !r)
            return fail(r.error(), true);
        std::size_t id_index = detail::index_of<IdPayload>(*payloads);
        if (id_index == payloads->size())
            return fail(make_error(ErrorCode::PayloadMissing, "aggressive mode message 2 without ID"), true);
        if (auto r = verify_peer(*payloads, raw[id_index], false); !r)
            return fail(r.error(), true);
        if (auto r = check_nat_d(*payloads); !r)
            return fail(r.error(), true);
        auto auth = auth_payloads(true);
        if (!auth)
            return fail(auth.error(), false);
        std::vector<Payload> out = *auth;
        auto natd = nat_d_payloads();
        if (!natd)
            return fail(natd.error(), false);
        out.insert(out.end(), natd->begin(), natd->end());
        if (config.initial_contact) {
            NotifyPayload n;
            n.type = notify::InitialContact;
            n.spi = concat({sa.initiator_cookie, sa.responder_cookie});
            out.push_back(n);
        }
        auto sealed = detail::seal(crypto, sa.proposal.encryption, sa.encryption_key, iv, header(), out);
        if (!sealed)
            return fail(sealed.error(), false);
        Step s = send(std::move(sealed->datagram), false, detail::payload_list(out) + " (encrypted)");
        establish(sealed->last_block);
        return s;
    }

    // ---- responder ----

    Step on_first(const Packet& p) {
        sa.initiator_cookie = p.header.initiator_cookie;
        Bytes c = crypto.random(8);
        std::copy(c.begin(), c.end(), sa.responder_cookie.begin());
        std::vector<std::span<const std::uint8_t>> raw;
        auto payloads = decode_payloads(p.header.next_payload, p.body, false, &raw);
        if (!payloads)
            return fail(payloads.error(), false);
        std::size_t sa_index = detail::index_of<SaPayload>(*payloads);
        if (sa_index == payloads->size())
            return fail(make_error(ErrorCode::PayloadMissing, "first message without SA payload"), false);
        sa_i_body.assign(raw[sa_index].begin() + 4, raw[sa_index].end());
        read_vendor_ids(*payloads);
        auto choice = select_ike_proposal(config.proposals, std::get<SaPayload>((*payloads)[sa_index]));
        if (!choice)
            return fail(choice.error(), true);
        sa.proposal = choice->proposal;
        emit(EventType::MessageReceived, detail::payload_list(*payloads));
        if (config.mode == Phase1Mode::Main) {
            std::vector<Payload> out{choice->reply};
            add_vendor_ids(out, true);
            state = Phase1State::ResponderSentSa;
            return send(encode(header(), out), true, detail::payload_list(out));
        }
        // Aggressive: SA, KE, Nr, IDir, HASH_R (or CERT, SIG_R), VIDs, NAT-D.
        if (auto r = take_ke_nonce(*payloads); !r)
            return fail(r.error(), true);
        const auto* id = find_payload<IdPayload>(*payloads);
        if (!id)
            return fail(make_error(ErrorCode::PayloadMissing, "aggressive mode message 1 without ID"), true);
        if (config.remote_id && !(*config.remote_id == Identity{id->type, id->data}))
            return fail(make_error(ErrorCode::InvalidIdInformation,
                                   "peer identity " + Identity{id->type, id->data}.to_string() +
                                       " is not the configured " + config.remote_id->to_string()),
                        true);
        std::size_t id_index = detail::index_of<IdPayload>(*payloads);
        peer_id_raw.assign(raw[id_index].begin(), raw[id_index].end());
        if (auto r = make_dh_and_nonce(); !r)
            return fail(r.error(), false);
        if (auto r = derive_keys(); !r)
            return fail(r.error(), true);
        auto auth = auth_payloads(false);
        if (!auth)
            return fail(auth.error(), false);
        std::vector<Payload> out{choice->reply, KePayload{gxr}, NoncePayload{nr}, local_id_payload()};
        add_certificate_request(out, sa.proposal);
        out.insert(out.end(), auth->begin(), auth->end());
        add_vendor_ids(out, true);
        auto natd = nat_d_payloads();
        if (!natd)
            return fail(natd.error(), false);
        out.insert(out.end(), natd->begin(), natd->end());
        state = Phase1State::ResponderSentAggr;
        return send(encode(header(), out), true, detail::payload_list(out));
    }
    Bytes peer_id_raw;

    Step on_main_3(const Packet& p) {
        auto payloads = decode_payloads(p.header.next_payload, p.body, false);
        if (!payloads)
            return drop(payloads.error());
        if (auto r = take_ke_nonce(*payloads); !r)
            return drop(r.error());
        if (auto r = check_nat_d(*payloads); !r)
            return drop(r.error());
        if (auto r = make_dh_and_nonce(); !r)
            return fail(r.error(), false);
        if (auto r = derive_keys(); !r)
            return fail(r.error(), true);
        std::vector<Payload> out{KePayload{gxr}, NoncePayload{nr}};
        add_certificate_request(out, sa.proposal);
        auto natd = nat_d_payloads();
        if (!natd)
            return fail(natd.error(), false);
        out.insert(out.end(), natd->begin(), natd->end());
        state = Phase1State::ResponderSentKe;
        return send(encode(header(), out), true, detail::payload_list(out));
    }

    Step on_main_5(const Packet& p) {
        if (!(p.header.flags & flags::Encryption))
            return drop(make_error(ErrorCode::UnexpectedMessage, "main mode message 5 not encrypted"));
        auto opened = detail::open(crypto, sa.proposal.encryption, sa.encryption_key, iv, p);
        // A message 5 that does not decrypt into payloads almost always means different pre-shared keys.
        if (!opened)
            return fail(make_error(ErrorCode::AuthenticationFailed,
                                   "main mode message 5 does not decrypt (pre-shared key mismatch?): " +
                                       opened.error().message),
                        true);
        iv = opened->last_block;
        std::size_t id_index = detail::index_of<IdPayload>(opened->payloads);
        if (id_index == opened->payloads.size())
            return fail(make_error(ErrorCode::PayloadMissing, "main mode message 5 without ID"), true);
        if (auto r = verify_peer(opened->payloads, opened->raw[id_index], true); !r)
            return fail(r.error(), true);
        emit(EventType::MessageReceived, detail::payload_list(opened->payloads) + " (encrypted)");
        auto auth = auth_payloads(false);
        if (!auth)
            return fail(auth.error(), false);
        std::vector<Payload> out{local_id_payload()};
        out.insert(out.end(), auth->begin(), auth->end());
        auto sealed = detail::seal(crypto, sa.proposal.encryption, sa.encryption_key, iv, header(), out);
        if (!sealed)
            return fail(sealed.error(), false);
        Step s = send(std::move(sealed->datagram), false, detail::payload_list(out) + " (encrypted)");
        establish(sealed->last_block);
        return s;
    }

    Step on_aggressive_3(const Packet& p) {
        std::vector<Payload> payloads;
        Bytes last_block = iv;
        std::optional<detail::Opened> opened;
        if (p.header.flags & flags::Encryption) {
            auto o = detail::open(crypto, sa.proposal.encryption, sa.encryption_key, iv, p);
            if (!o)
                return fail(make_error(ErrorCode::AuthenticationFailed,
                                       "aggressive mode message 3 does not decrypt: " + o.error().message),
                            true);
            opened.emplace(std::move(*o));
            payloads = std::move(opened->payloads);
            last_block = opened->last_block;
        } else {
            auto d = decode_payloads(p.header.next_payload, p.body, false);
            if (!d)
                return fail(d.error(), true);
            payloads = std::move(*d);
        }
        if (auto r = verify_peer(concat_id(payloads), peer_id_raw, true); !r)
            return fail(r.error(), true);
        if (auto r = check_nat_d(payloads); !r)
            return fail(r.error(), true);
        emit(EventType::MessageReceived, detail::payload_list(payloads));
        establish(last_block);
        return Step{};
    }

    // verify_peer wants the ID next to the proof; in aggressive mode it came in message 1.
    std::vector<Payload> concat_id(std::vector<Payload> payloads) const {
        Bytes alone = peer_id_raw;
        if (!alone.empty())
            alone[0] = 0;  // end the chain after the ID payload
        auto id = decode_payloads(PayloadType::Identification, alone, false);
        if (id && !id->empty())
            payloads.push_back(id->front());
        return payloads;
    }

    Step on_notify(const Packet& p, ByteView datagram) {
        Result<std::vector<Payload>> payloads = std::vector<Payload>{};
        if (p.header.flags & flags::Encryption) {
            if (sa.encryption_key.empty() || iv.empty())
                return drop(
                    make_error(ErrorCode::UnexpectedMessage, "protected informational before keys exist"));
            payloads = open_informational(crypto, keyed_sa(), datagram);
        } else {
            payloads = decode_payloads(p.header.next_payload, p.body, false);
        }
        if (!payloads)
            return drop(payloads.error());
        for (const auto* n : find_payloads<NotifyPayload>(*payloads)) {
            emit(EventType::NotifyReceived, "", std::nullopt, n->type, p.header.message_id);
            if (is_error_notify(n->type))
                return fail(
                    make_error(ErrorCode::PeerNotified, "peer sent notification " + std::to_string(n->type)),
                    false);
        }
        return Step{};
    }

    Step handle(ByteView datagram) {
        auto p = parse_packet(datagram);
        if (!p)
            return drop(p.error());
        if (p->header.initiator_cookie != sa.initiator_cookie)
            return drop(
                make_error(ErrorCode::UnexpectedMessage, "initiator cookie does not belong to this SA"));
        if (state == Phase1State::Failed)
            return drop(make_error(ErrorCode::UnexpectedMessage, "message for a failed negotiation"));
        // A retransmitted request (byte for byte; a retransmitted message 1 still has a zero responder
        // cookie): answer with our last message again.
        Bytes received(datagram.begin(), datagram.end());
        if (!last_received.empty() && received == last_received) {
            emit(EventType::Retransmit, "answering a retransmitted message");
            Step s;
            if (!last_sent.empty())
                s.send.push_back(last_sent);
            return s;
        }
        bool have_rcookie = state != Phase1State::InitiatorSentSa && state != Phase1State::InitiatorSentAggr;
        if (!have_rcookie && p->header.exchange != ExchangeType::Informational &&
            std::all_of(p->header.responder_cookie.begin(), p->header.responder_cookie.end(),
                        [](std::uint8_t b) { return b == 0; }))
            return drop(make_error(ErrorCode::UnexpectedMessage, "answer without a responder cookie"));
        if (have_rcookie && p->header.responder_cookie != sa.responder_cookie)
            return drop(
                make_error(ErrorCode::UnexpectedMessage, "responder cookie does not belong to this SA"));
        if (p->header.exchange == ExchangeType::Informational) {
            // Unprotected notifications cannot touch an established SA (anyone could forge them).
            if (state == Phase1State::Established || state == Phase1State::Failed)
                return drop(make_error(ErrorCode::UnexpectedMessage, "informational for a finished phase 1"));
            return on_notify(*p, datagram);
        }
        ExchangeType want =
            config.mode == Phase1Mode::Main ? ExchangeType::IdentityProtection : ExchangeType::Aggressive;
        if (p->header.exchange != want)
            return drop(make_error(
                ErrorCode::UnexpectedMessage,
                "exchange type " + std::to_string(static_cast<int>(p->header.exchange)) + " in phase 1"));
        Step s;
        switch (state) {
            case Phase1State::InitiatorSentSa:
                s = on_main_2(*p);
                break;
            case Phase1State::InitiatorSentKe:
                s = on_main_4(*p);
                break;
            case Phase1State::InitiatorSentAuth:
                s = on_main_6(*p);
                break;
            case Phase1State::InitiatorSentAggr:
                s = on_aggressive_2(*p);
                break;
            case Phase1State::ResponderSentSa:
                s = on_main_3(*p);
                break;
            case Phase1State::ResponderSentKe:
                s = on_main_5(*p);
                break;
            case Phase1State::ResponderSentAggr:
                s = on_aggressive_3(*p);
                break;
            default:
                return drop(make_error(ErrorCode::UnexpectedMessage,
                                       std::string("message in state ") + to_string(state)));
        }
        if (s.ok() || state == Phase1State::Failed)
            last_received = std::move(received);
        return s;
    }
};

Phase1Session::Phase1Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Phase1Session::Phase1Session(Phase1Config config, const CryptoProvider& crypto, EventSink& events)
    : impl_(std::make_unique<Impl>(std::move(config), crypto, events, Role::Initiator)) {}
Phase1Session::~Phase1Session() = default;

std::pair<std::unique_ptr<Phase1Session>, Step> Phase1Session::respond(Phase1Config config,
                                                                       const CryptoProvider& crypto,
                                                                       EventSink& events,
                                                                       ByteView first_message) {
    auto impl = std::make_unique<Impl>(std::move(config), crypto, events, Role::Responder);
    Impl& i = *impl;
    std::unique_ptr<Phase1Session> session(new Phase1Session(std::move(impl)));
    auto p = parse_packet(first_message);
    if (!p) {
        i.state = Phase1State::Failed;
        return {std::move(session), i.drop(p.error())};
    }
    ExchangeType want =
        i.config.mode == Phase1Mode::Main ? ExchangeType::IdentityProtection : ExchangeType::Aggressive;
    std::optional<Error> bad;
    if (p->header.exchange != want)
        bad = make_error(
            ErrorCode::UnsupportedExchange,
            "first message has exchange type " + std::to_string(static_cast<int>(p->header.exchange)));
    else if (std::any_of(p->header.responder_cookie.begin(), p->header.responder_cookie.end(),
                         [](std::uint8_t b) { return b != 0; }))
        bad = make_error(ErrorCode::UnexpectedMessage, "first message carries a responder cookie");
    else if (p->header.flags & flags::Encryption)
        bad = make_error(ErrorCode::UnexpectedMessage, "first message is encrypted");
    else if (p->header.message_id != 0)
        bad = make_error(ErrorCode::UnexpectedMessage, "first message has a non-zero message id");
    if (bad) {
        i.state = Phase1State::Failed;
        return {std::move(session), i.drop(*bad)};
    }
    Step s = i.on_first(*p);
    if (s.ok() || i.state == Phase1State::Failed)
        i.last_received.assign(first_message.begin(), first_message.end());
    return {std::move(session), std::move(s)};
}

Step Phase1Session::start() {
    return impl_->start();
}
Step Phase1Session::handle(ByteView datagram) {
    return impl_->handle(datagram);
}

std::optional<std::chrono::milliseconds> Phase1Session::retransmit_delay() const {
    const auto& i = *impl_;
    if (!i.awaiting_reply || i.state == Phase1State::Failed || i.state == Phase1State::Established)
        return std::nullopt;
    const auto& iv = i.config.retransmit.intervals;
    if (iv.empty())
        return std::nullopt;
    return iv[std::min(i.retransmits, iv.size() - 1)];
}

Step Phase1Session::on_retransmit_timer() {
    auto& i = *impl_;
    if (!retransmit_delay())
        return Step{};
    if (i.retransmits >= i.config.retransmit.intervals.size())
        return i.fail(make_error(ErrorCode::RetransmitsExhausted,
                                 "no answer after " + std::to_string(i.retransmits) + " retransmissions"),
                      false);
    ++i.retransmits;
    i.emit(EventType::Retransmit, "retransmission " + std::to_string(i.retransmits));
    Step s;
    s.send.push_back(i.last_sent);
    return s;
}

Phase1State Phase1Session::state() const {
    return impl_->state;
}
Role Phase1Session::role() const {
    return impl_->role;
}
const Cookie& Phase1Session::initiator_cookie() const {
    return impl_->sa.initiator_cookie;
}
const Cookie& Phase1Session::responder_cookie() const {
    return impl_->sa.responder_cookie;
}
const IkeSa* Phase1Session::ike_sa() const {
    return established() ? &impl_->sa : nullptr;
}
bool Phase1Session::float_to_nat_t_port() const {
    return impl_->float_port;
}

}  // namespace msim::kmd
