#include "msim/kmd/quick_mode.hpp"

#include <algorithm>

#include "msim/kmd/proposals.hpp"
#include "protect.hpp"

namespace msim::kmd {

using namespace isakmp;
using detail::be32;
using detail::concat;
using detail::find_payload;
using detail::find_payloads;

const char* to_string(QuickModeState state) {
    switch (state) {
        case QuickModeState::Idle:
            return "idle";
        case QuickModeState::InitiatorSentFirst:
            return "quick-mode-1-sent";
        case QuickModeState::ResponderSentSecond:
            return "quick-mode-2-sent";
        case QuickModeState::Established:
            return "established";
        case QuickModeState::Failed:
            return "failed";
    }
    return "unknown";
}

namespace {

EncapsulationMode nat_mode(EncapsulationMode mode, const IkeSa& sa) {
    if (!sa.nat_detected())
        return mode;
    bool transport = mode == EncapsulationMode::Transport || mode == EncapsulationMode::UdpTransport ||
                     mode == EncapsulationMode::UdpTransportDraft;
    if (sa.nat_t_draft)
        return transport ? EncapsulationMode::UdpTransportDraft : EncapsulationMode::UdpTunnelDraft;
    return transport ? EncapsulationMode::UdpTransport : EncapsulationMode::UdpTunnel;
}

std::vector<EncapsulationMode> accepted_modes(EncapsulationMode mode) {
    bool transport = mode == EncapsulationMode::Transport || mode == EncapsulationMode::UdpTransport ||
                     mode == EncapsulationMode::UdpTransportDraft;
    if (transport)
        return {EncapsulationMode::Transport, EncapsulationMode::UdpTransport,
                EncapsulationMode::UdpTransportDraft};
    return {EncapsulationMode::Tunnel, EncapsulationMode::UdpTunnel, EncapsulationMode::UdpTunnelDraft};
}

std::uint32_t random_message_id(const CryptoProvider& c) {
    Bytes r = c.random(4);
    std::uint32_t v =
        (std::uint32_t{r[0]} << 24) | (std::uint32_t{r[1]} << 16) | (std::uint32_t{r[2]} << 8) | r[3];
    return v ? v : 1;
}

Header qm_header(const IkeSa& sa, std::uint32_t message_id, ExchangeType exchange = ExchangeType::Quick) {
    Header h;
    h.initiator_cookie = sa.initiator_cookie;
    h.responder_cookie = sa.responder_cookie;
    h.exchange = exchange;
    h.message_id = message_id;
    return h;
}

}  // namespace

struct QuickModeSession::Impl {
    IkeSa ike;
    QuickModeConfig config;
    const CryptoProvider& crypto;
    EventSink& events;
    SpiAllocator& spis;
    Role role;
    QuickModeState state = QuickModeState::Idle;
    std::uint32_t message_id = 0;
    Bytes iv;
    QuickModeOffer offer;
    std::optional<DhKeyPair> dh;
    Bytes ni, nr, gxi, gxr;
    std::optional<IdPayload> id_ci, id_cr;
    IpsecChoice choice;
    ChildSa child;
    Bytes last_sent, last_received;
    std::size_t retransmits = 0;
    bool awaiting_reply = false;

    Impl(const IkeSa& sa, QuickModeConfig c, const CryptoProvider& cr, EventSink& ev, SpiAllocator& sp,
         Role r)
        : ike(sa), config(std::move(c)), crypto(cr), events(ev), spis(sp), role(r) {}

    HashAlgorithm prf() const { return ike.proposal.hash; }

    void emit(EventType type, std::string detail = {}, std::optional<Error> error = std::nullopt,
              std::uint16_t notify_type = 0) {
        Event e{type,        ike.remote.to_string(), ike.initiator_cookie, ike.responder_cookie, message_id,
                notify_type, std::move(error),       std::move(detail)};
        events.on_event(e);
    }

    Step drop(Error error) {
        emit(EventType::MessageDropped, "", error);
        Step s;
        s.error = std::move(error);
        return s;
    }

    Step fail(Error error, std::uint16_t notify_type = 0) {
        QuickModeState was = state;
        state = QuickModeState::Failed;
        awaiting_reply = false;
        Step s;
        if (notify_type) {
            NotifyPayload n;
            n.protocol = ProtocolId::Esp;
            n.type = notify_type;
            auto info = make_informational(crypto, ike, {Payload{n}}, random_message_id(crypto));
            if (info) {
                s.send.push_back(std::move(*info));
                emit(EventType::NotifySent, "", std::nullopt, notify_type);
            }
        }
        emit(EventType::ChildSaFailed, std::string("in state ") + to_string(was), error);
        s.error = std::move(error);
        return s;
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

    // Seals HDR*, HASH(n), rest... where HASH covers `prefix | rest` (rest as encoded in the message).
    Result<detail::Sealed> seal_with_hash(Bytes prefix_for_hash, const std::vector<Payload>& rest) {
        Bytes rest_bytes = encode_payloads(rest);
        auto h = crypto.prf(prf(), ike.skeyid_a, concat({prefix_for_hash, rest_bytes}));
        if (!h)
            return h.error();
        std::vector<Payload> all{HashPayload{std::move(*h)}};
        all.insert(all.end(), rest.begin(), rest.end());
        auto sealed = detail::seal(crypto, ike.proposal.encryption, ike.encryption_key, iv,
                                   qm_header(ike, message_id), all);
        if (sealed)
            iv = sealed->last_block;
        return sealed;
    }

    // Decrypts a message of this exchange and checks that its first payload is a HASH equal to
    // prf(SKEYID_a, prefix | bytes after the HASH payload).
    Result<detail::Opened> open_with_hash(const Packet& p, const Bytes& prefix) {
        if (!(p.header.flags & flags::Encryption))
            return make_error(ErrorCode::UnexpectedMessage, "quick mode message not encrypted");
        auto opened = detail::open(crypto, ike.proposal.encryption, ike.encryption_key, iv, p);
        if (!opened)
            return opened.error();
        if (opened->payloads.empty() || !std::holds_alternative<HashPayload>(opened->payloads.front()))
            return make_error(ErrorCode::PayloadMissing, "quick mode message does not start with HASH");
        auto expect = crypto.prf(prf(), ike.skeyid_a, concat({prefix, detail::bytes_after(opened->raw, 1)}));
        if (!expect)
            return expect.error();
        if (!detail::constant_time_equal(std::get<HashPayload>(opened->payloads.front()).data, *expect))
            return make_error(ErrorCode::AuthenticationFailed, "quick mode HASH does not match");
        iv = opened->last_block;
        return opened;
    }

    Result<Ok> derive_child() {
        std::optional<Bytes> gxy;
        if (dh) {
            auto s = dh->shared_secret(role == Role::Initiator ? gxr : gxi);
            if (!s)
                return s.error();
            gxy = std::move(*s);
        }
        std::optional<ByteView> gxy_view;
        if (gxy)
            gxy_view = ByteView(*gxy);
        child.message_id = message_id;
        child.pfs_group = config.pfs_group;
        child.lifetime_seconds = choice.lifetime_seconds;
        child.local_selector = config.local_selector;
        child.remote_selector = config.remote_selector;
        child.sas.clear();
        for (const auto& np : choice.protocols) {
            std::uint32_t our_spi = np.protocol == IpsecProtocol::Esp ? offer.esp_spi : offer.ah_spi;
            std::size_t enc_len =
                np.protocol == IpsecProtocol::Esp ? esp_key_size(np.cipher, np.key_bits) : 0;
            std::size_t auth_len = auth_key_size(np.authentication);
            for (bool inbound : {true, false}) {
                std::uint32_t spi = inbound ? our_spi : np.peer_spi;
                auto km =
                    derive_keymat(crypto, prf(), ike.skeyid_d, gxy_view,
                                  static_cast<std::uint8_t>(np.protocol), spi, ni, nr, enc_len + auth_len);
                if (!km)
                    return km.error();
                IpsecSaKeys k;
                k.protocol = np.protocol;
                k.inbound = inbound;
                k.spi = spi;
                k.cipher = np.cipher;
                k.key_bits = np.key_bits;
                k.authentication = np.authentication;
                k.encryption_key.assign(km->begin(), km->begin() + static_cast<std::ptrdiff_t>(enc_len));
                k.authentication_key.assign(km->begin() + static_cast<std::ptrdiff_t>(enc_len), km->end());
                k.mode = choice.mode;
                k.lifetime_seconds = choice.lifetime_seconds;
                k.source = inbound ? ike.remote : ike.local;
                k.destination = inbound ? ike.local : ike.remote;
                child.sas.push_back(std::move(k));
            }
        }
        if (gxy)
            std::fill(gxy->begin(), gxy->end(), 0);
        dh.reset();
        return Ok{};
    }

    void establish() {
        state = QuickModeState::Established;
        awaiting_reply = false;
        std::string detail;
        for (const auto& k : child.sas) {
            char spi[16];
            std::snprintf(spi, sizeof spi, "0x%08x", k.spi);
            detail += std::string(k.protocol == IpsecProtocol::Esp ? "esp " : "ah ") +
                      (k.inbound ? "in " : "out ") + spi + "; ";
        }
        detail += std::string(to_string(choice.mode)) + ", lifetime " +
                  std::to_string(choice.lifetime_seconds) + " s";
        if (child.pfs_group)
            detail += std::string(", pfs ") + to_string(*child.pfs_group);
        emit(EventType::ChildSaEstablished, detail);
    }

    // ---- initiator ----
    Step start() {
        if (state != QuickModeState::Idle || role != Role::Initiator)
            return drop(make_error(ErrorCode::UnexpectedMessage, "start() on a running quick mode"));
        if (config.proposals.empty())
            return fail(make_error(ErrorCode::NoProposalChosen, "no IPsec proposals configured"));
        message_id = random_message_id(crypto);
        auto iv0 = phase2_iv(crypto, ike.proposal.hash, ike.last_phase1_block, message_id,
                             block_size(ike.proposal.encryption));
        if (!iv0)
            return fail(iv0.error());
        iv = std::move(*iv0);
        offer.proposals = config.proposals;
        offer.pfs_group = config.pfs_group;
        offer.mode = nat_mode(config.mode, ike);
        bool need_esp = false, need_ah = false;
        for (const auto& p : config.proposals) {
            need_esp |= p.protocol != IpsecProposal::Protocol::Ah;
            need_ah |= p.protocol != IpsecProposal::Protocol::Esp;
        }
        if (need_esp)
            offer.esp_spi = spis.allocate(IpsecProtocol::Esp);
        if (need_ah)
            offer.ah_spi = spis.allocate(IpsecProtocol::Ah);
        ni = crypto.random(32);
        std::vector<Payload> rest{make_ipsec_sa(offer), NoncePayload{ni}};
        if (config.pfs_group) {
            auto kp = crypto.generate_dh(*config.pfs_group);
            if (!kp)
                return fail(kp.error());
            dh.emplace(std::move(*kp));
            gxi = dh->public_value();
            rest.push_back(KePayload{gxi});
        }
        if (config.local_selector && config.remote_selector) {
            id_ci = config.local_selector->to_id();
            id_cr = config.remote_selector->to_id();
            rest.push_back(*id_ci);
            rest.push_back(*id_cr);
        }
        auto sealed = seal_with_hash(be32(message_id), rest);
        if (!sealed)
            return fail(sealed.error());
        state = QuickModeState::InitiatorSentFirst;
        return send(std::move(sealed->datagram), true,
                    "HASH, " + detail::payload_list(rest) + " (encrypted)");
    }

    Step on_second(const Packet& p) {
        auto opened = open_with_hash(p, concat({be32(message_id), ni}));
        if (!opened)
            return drop(opened.error());
        const auto& payloads = opened->payloads;
        emit(EventType::MessageReceived, detail::payload_list(payloads) + " (encrypted)");
        const auto* sa = find_payload<SaPayload>(payloads);
        const auto* nonce = find_payload<NoncePayload>(payloads);
        if (!sa || !nonce)
            return fail(make_error(ErrorCode::PayloadMissing, "quick mode message 2 without SA or NONCE"));
        nr = nonce->data;
        auto chosen = accept_ipsec_reply(offer, *sa);
        if (!chosen)
            return fail(chosen.error(), notify::NoProposalChosen);
        choice = std::move(*chosen);
        const auto* ke = find_payload<KePayload>(payloads);
        if (config.pfs_group) {
            if (!ke || ke->data.size() != dh_public_size(*config.pfs_group))
                return fail(
                    make_error(ErrorCode::NoProposalChosen, "PFS requested but no fitting KE in the answer"),
                    notify::NoProposalChosen);
            gxr = ke->data;
        }
        auto ids = find_payloads<IdPayload>(payloads);
        if (id_ci && (ids.size() != 2 || !(*ids[0] == *id_ci) || !(*ids[1] == *id_cr)))
            return fail(
                make_error(ErrorCode::InvalidIdInformation, "the responder changed the proxy identities"),
                notify::InvalidIdInformation);
        for (const auto* n : find_payloads<NotifyPayload>(payloads)) {
            if (n->type != notify::ResponderLifetime)
                continue;
            auto attrs = decode_attributes(n->data);
            if (!attrs)
                continue;
            std::uint16_t type = 0;
            for (const auto& a : *attrs) {
                if (a.type == ipsec_attr::LifeType && a.basic)
                    type = a.value;
                else if (a.type == ipsec_attr::LifeDuration && type == kLifeTypeSeconds)
                    if (auto v = a.number(); v && *v < choice.lifetime_seconds)
                        choice.lifetime_seconds = static_cast<std::uint32_t>(*v);
            }
            emit(EventType::NotifyReceived,
                 "RESPONDER-LIFETIME " + std::to_string(choice.lifetime_seconds) + " s", std::nullopt,
                 n->type);
        }
        if (auto r = derive_child(); !r)
            return fail(r.error());
        // HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
        Bytes zero{0};
        auto h = crypto.prf(prf(), ike.skeyid_a, concat({zero, be32(message_id), ni, nr}));
        if (!h)
            return fail(h.error());
        std::vector<Payload> out{HashPayload{std::move(*h)}};
        auto sealed = detail::seal(crypto, ike.proposal.encryption, ike.encryption_key, iv,
                                   qm_header(ike, message_id), out);
        if (!sealed)
            return fail(sealed.error());
        iv = sealed->last_block;
        Step s = send(std::move(sealed->datagram), false, "HASH (encrypted)");
        establish();
        return s;
    }

    // ---- responder ----
    Step on_first(const Packet& p, const std::vector<QuickModeConfig>& candidates) {
        message_id = p.header.message_id;
        auto iv0 = phase2_iv(crypto, ike.proposal.hash, ike.last_phase1_block, message_id,
                             block_size(ike.proposal.encryption));
        if (!iv0)
            return fail(iv0.error());
        iv = std::move(*iv0);
        auto opened = open_with_hash(p, be32(message_id));
        if (!opened)
            return fail(opened.error());
        const auto& payloads = opened->payloads;
        emit(EventType::MessageReceived, detail::payload_list(payloads) + " (encrypted)");
        const auto* sa = find_payload<SaPayload>(payloads);
        const auto* nonce = find_payload<NoncePayload>(payloads);
        if (!sa || !nonce)
            return fail(make_error(ErrorCode::PayloadMissing, "quick mode message 1 without SA or NONCE"),
                        notify::PayloadMalformed);
        ni = nonce->data;
        auto ids = find_payloads<IdPayload>(payloads);
        if (ids.size() != 0 && ids.size() != 2)
            return fail(
                make_error(ErrorCode::InvalidIdInformation, "quick mode needs zero or two ID payloads"),
                notify::InvalidIdInformation);
        std::optional<TrafficSelector> peer_local, peer_remote;
        if (ids.size() == 2) {
            id_ci = *ids[0];
            id_cr = *ids[1];
            peer_local = TrafficSelector::from_id(*ids[0]);
            peer_remote = TrafficSelector::from_id(*ids[1]);
            if (!peer_local || !peer_remote)
                return fail(make_error(ErrorCode::InvalidIdInformation, "proxy identity type not supported"),
                            notify::InvalidIdInformation);
        }
        // The configuration whose selectors mirror the initiator's proxy identities.
        const QuickModeConfig* match = nullptr;
        for (const auto& c : candidates) {
            bool same = ids.empty() ? (!c.local_selector && !c.remote_selector)
                                    : (c.local_selector == peer_remote && c.remote_selector == peer_local);
            if (same) {
                match = &c;
                break;
            }
        }
        if (!match)
            return fail(make_error(ErrorCode::InvalidIdInformation,
                                   ids.empty() ? std::string("no policy without proxy identities")
                                               : "no policy for proxy identities " + peer_local->to_string() +
                                                     " <-> " + peer_remote->to_string()),
                        notify::InvalidIdInformation);
        config = *match;
        auto chosen =
            select_ipsec_proposal(config.proposals, config.pfs_group, accepted_modes(config.mode), *sa);
        if (!chosen)
            return fail(chosen.error(), notify::NoProposalChosen);
        choice = std::move(*chosen);
        const auto* ke = find_payload<KePayload>(payloads);
        if (config.pfs_group) {
            if (!ke || ke->data.size() != dh_public_size(*config.pfs_group))
                return fail(make_error(ErrorCode::NoProposalChosen, "PFS required but no fitting KE payload"),
                            notify::NoProposalChosen);
            gxi = ke->data;
            auto kp = crypto.generate_dh(*config.pfs_group);
            if (!kp)
                return fail(kp.error());
            dh.emplace(std::move(*kp));
            gxr = dh->public_value();
        }
        for (const auto& np : choice.protocols)
            (np.protocol == IpsecProtocol::Esp ? offer.esp_spi : offer.ah_spi) = spis.allocate(np.protocol);
        set_reply_spis(choice, offer.esp_spi, offer.ah_spi);
        nr = crypto.random(32);
        std::vector<Payload> rest{choice.reply, NoncePayload{nr}};
        if (dh)
            rest.push_back(KePayload{gxr});
        if (id_ci) {
            rest.push_back(*id_ci);
            rest.push_back(*id_cr);
        }
        // RFC 2407 4.6.3.1: tell the initiator when our lifetime is the shorter one.
        {
            const auto& prop = choice.reply.proposals.front();
            const auto* d = prop.transforms.front().find(ipsec_attr::LifeDuration);
            std::uint32_t offered = 28800;
            if (d && d->number())
                offered = static_cast<std::uint32_t>(std::min<std::uint64_t>(*d->number(), 0xffffffffu));
            if (choice.lifetime_seconds < offered) {
                NotifyPayload n;
                n.protocol = prop.protocol;
                n.type = notify::ResponderLifetime;
                n.spi = prop.spi;
                n.data = encode_attributes(
                    {Attribute::make_basic(ipsec_attr::LifeType, kLifeTypeSeconds),
                     Attribute::make_number(ipsec_attr::LifeDuration, choice.lifetime_seconds)});
                rest.push_back(n);
            }
        }
        if (auto r = derive_child(); !r)
            return fail(r.error());
        auto sealed = seal_with_hash(concat({be32(message_id), ni}), rest);
        if (!sealed)
            return fail(sealed.error());
        state = QuickModeState::ResponderSentSecond;
        return send(std::move(sealed->datagram), true,
                    "HASH, " + detail::payload_list(rest) + " (encrypted)");
    }

    Step on_third(const Packet& p) {
        if (!(p.header.flags & flags::Encryption))
            return drop(make_error(ErrorCode::UnexpectedMessage, "quick mode message 3 not encrypted"));
        auto opened = detail::open(crypto, ike.proposal.encryption, ike.encryption_key, iv, p);
        if (!opened)
            return drop(opened.error());
        const auto* h = find_payload<HashPayload>(opened->payloads);
        Bytes zero{0};
        auto expect = crypto.prf(prf(), ike.skeyid_a, concat({zero, be32(message_id), ni, nr}));
        if (!expect)
            return fail(expect.error());
        if (!h || !detail::constant_time_equal(h->data, *expect))
            return drop(make_error(ErrorCode::AuthenticationFailed, "quick mode HASH(3) does not match"));
        iv = opened->last_block;
        establish();
        return Step{};
    }

    Step handle(ByteView datagram) {
        auto p = parse_packet(datagram);
        if (!p)
            return drop(p.error());
        if (p->header.initiator_cookie != ike.initiator_cookie ||
            p->header.responder_cookie != ike.responder_cookie || p->header.message_id != message_id ||
            p->header.exchange != ExchangeType::Quick)
            return drop(make_error(ErrorCode::UnexpectedMessage, "message is not part of this quick mode"));
        Bytes received(datagram.begin(), datagram.end());
        if (!last_received.empty() && received == last_received) {
            emit(EventType::Retransmit, "answering a retransmitted message");
            Step s;
            if (!last_sent.empty())
                s.send.push_back(last_sent);
            return s;
        }
        Step s;
        switch (state) {
            case QuickModeState::InitiatorSentFirst:
                s = on_second(*p);
                break;
            case QuickModeState::ResponderSentSecond:
                s = on_third(*p);
                break;
            default:
                return drop(make_error(ErrorCode::UnexpectedMessage,
                                       std::string("message in state ") + to_string(state)));
        }
        if (s.ok())
            last_received = std::move(received);
        return s;
    }
};

QuickModeSession::QuickModeSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QuickModeSession::QuickModeSession(const IkeSa& ike_sa, QuickModeConfig config, const CryptoProvider& crypto,
                                   EventSink& events, SpiAllocator& spis)
    : impl_(std::make_unique<Impl>(ike_sa, std::move(config), crypto, events, spis, Role::Initiator)) {}
QuickModeSession::~QuickModeSession() = default;

std::pair<std::unique_ptr<QuickModeSession>, Step> QuickModeSession::respond(
    const IkeSa& ike_sa, const std::vector<QuickModeConfig>& candidates, const CryptoProvider& crypto,
    EventSink& events, SpiAllocator& spis, ByteView first_message) {
    auto impl = std::make_unique<Impl>(ike_sa, QuickModeConfig{}, crypto, events, spis, Role::Responder);
    Impl& i = *impl;
    std::unique_ptr<QuickModeSession> session(new QuickModeSession(std::move(impl)));
    auto p = parse_packet(first_message);
    if (!p) {
        i.state = QuickModeState::Failed;
        return {std::move(session), i.drop(p.error())};
    }
    if (p->header.initiator_cookie != ike_sa.initiator_cookie ||
        p->header.responder_cookie != ike_sa.responder_cookie || p->header.exchange != ExchangeType::Quick ||
        p->header.message_id == 0) {
        i.state = QuickModeState::Failed;
        return {std::move(session),
                i.drop(make_error(ErrorCode::UnexpectedMessage, "not a quick mode message for this IKE SA"))};
    }
    Step s = i.on_first(*p, candidates);
    if (s.ok())
        i.last_received.assign(first_message.begin(), first_message.end());
    return {std::move(session), std::move(s)};
}

Step QuickModeSession::start() {
    return impl_->start();
}
Step QuickModeSession::handle(ByteView datagram) {
    return impl_->handle(datagram);
}
Step QuickModeSession::on_peer_notify(std::uint16_t notify_type) {
    auto& i = *impl_;
    if (i.state == QuickModeState::Established || i.state == QuickModeState::Failed)
        return Step{};
    i.emit(EventType::NotifyReceived, "", std::nullopt, notify_type);
    return i.fail(
        make_error(ErrorCode::PeerNotified, "peer sent notification " + std::to_string(notify_type)));
}

std::optional<std::chrono::milliseconds> QuickModeSession::retransmit_delay() const {
    const auto& i = *impl_;
    if (!i.awaiting_reply || i.state == QuickModeState::Failed || i.state == QuickModeState::Established)
        return std::nullopt;
    const auto& iv = i.config.retransmit.intervals;
    if (iv.empty())
        return std::nullopt;
    return iv[std::min(i.retransmits, iv.size() - 1)];
}

Step QuickModeSession::on_retransmit_timer() {
    auto& i = *impl_;
    if (!retransmit_delay())
        return Step{};
    if (i.retransmits >= i.config.retransmit.intervals.size())
        return i.fail(make_error(ErrorCode::RetransmitsExhausted,
                                 "no answer after " + std::to_string(i.retransmits) + " retransmissions"));
    ++i.retransmits;
    i.emit(EventType::Retransmit, "retransmission " + std::to_string(i.retransmits));
    Step s;
    s.send.push_back(i.last_sent);
    return s;
}

QuickModeState QuickModeSession::state() const {
    return impl_->state;
}
std::uint32_t QuickModeSession::message_id() const {
    return impl_->message_id;
}
const ChildSa* QuickModeSession::child_sa() const {
    return established() ? &impl_->child : nullptr;
}

Result<Bytes> make_informational(const CryptoProvider& crypto, const IkeSa& sa,
                                 const std::vector<Payload>& payloads, std::uint32_t message_id) {
    auto iv = phase2_iv(crypto, sa.proposal.hash, sa.last_phase1_block, message_id,
                        block_size(sa.proposal.encryption));
    if (!iv)
        return iv.error();
    auto h = crypto.prf(sa.proposal.hash, sa.skeyid_a, concat({be32(message_id), encode_payloads(payloads)}));
    if (!h)
        return h.error();
    std::vector<Payload> all{HashPayload{std::move(*h)}};
    all.insert(all.end(), payloads.begin(), payloads.end());
    auto sealed = detail::seal(crypto, sa.proposal.encryption, sa.encryption_key, *iv,
                               qm_header(sa, message_id, ExchangeType::Informational), all);
    if (!sealed)
        return sealed.error();
    return std::move(sealed->datagram);
}

DeletePayload delete_for(const IkeSa& sa) {
    DeletePayload d;
    d.protocol = ProtocolId::Isakmp;
    d.spi_size = 16;
    d.spis.push_back(concat({sa.initiator_cookie, sa.responder_cookie}));
    return d;
}

std::vector<DeletePayload> delete_for(const ChildSa& child) {
    std::vector<DeletePayload> out;
    for (IpsecProtocol proto : {IpsecProtocol::Ah, IpsecProtocol::Esp}) {
        DeletePayload d;
        d.protocol = static_cast<ProtocolId>(proto);
        d.spi_size = 4;
        for (const auto& k : child.sas)
            if (k.protocol == proto && k.inbound)
                d.spis.push_back(be32(k.spi));
        if (!d.spis.empty())
            out.push_back(std::move(d));
    }
    return out;
}

Result<std::vector<Payload>> open_informational(const CryptoProvider& crypto, const IkeSa& sa,
                                                ByteView datagram) {
    auto p = parse_packet(datagram);
    if (!p)
        return p.error();
    if (p->header.exchange != ExchangeType::Informational || !(p->header.flags & flags::Encryption) ||
        p->header.initiator_cookie != sa.initiator_cookie ||
        p->header.responder_cookie != sa.responder_cookie)
        return make_error(ErrorCode::UnexpectedMessage,
                          "not a protected informational message of this IKE SA");
    auto iv = phase2_iv(crypto, sa.proposal.hash, sa.last_phase1_block, p->header.message_id,
                        block_size(sa.proposal.encryption));
    if (!iv)
        return iv.error();
    auto opened = detail::open(crypto, sa.proposal.encryption, sa.encryption_key, *iv, *p);
    if (!opened)
        return opened.error();
    if (opened->payloads.empty() || !std::holds_alternative<HashPayload>(opened->payloads.front()))
        return make_error(ErrorCode::PayloadMissing, "informational message does not start with HASH");
    auto expect = crypto.prf(sa.proposal.hash, sa.skeyid_a,
                             concat({be32(p->header.message_id), detail::bytes_after(opened->raw, 1)}));
    if (!expect)
        return expect.error();
    if (!detail::constant_time_equal(std::get<HashPayload>(opened->payloads.front()).data, *expect))
        return make_error(ErrorCode::AuthenticationFailed, "informational HASH(1) does not match");
    return std::vector<Payload>(opened->payloads.begin() + 1, opened->payloads.end());
}

}  // namespace msim::kmd
