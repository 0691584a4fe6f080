#include "msim/kmd/kmd_daemon.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <random>

#include "msim/common/xml.hpp"
#include "msim/config/error.hpp"
#include "msim/ipsec/sa_xml.hpp"
#include "msim/kmd/pkid_signer.hpp"

namespace msim::kmd {

using namespace std::chrono_literals;
using Clock = Kmd::Clock;

namespace {

constexpr auto poll_interval = 1000ms;
constexpr auto dead_linger = 30s;        // a failed/deleted IKE SA absorbs the peer's retransmissions
constexpr auto half_open_limit = 90s;    // a phase 1 not established by then is abandoned
constexpr auto quick_limit = 60s;        // the same for quick mode
constexpr auto retire_after = 10s;       // an SA replaced by a rekey is deleted this long after
constexpr auto acquire_holdoff = 5s;     // after a failure, acquires for that SA wait this long
constexpr auto install_settle = 5s;      // acquires right after an install are the SA arriving at the PIC
constexpr auto superseded_linger = 30s;  // an IKE SA replaced by a newer one is deleted by then at the latest

std::string hex(const isakmp::Cookie& c) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (auto b : c) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

std::uint64_t cookie_key(const isakmp::Cookie& c) {
    std::uint64_t k = 0;
    for (auto b : c) {
        k = k << 8 | b;
    }
    return k;
}

std::uint64_t spi_key(bool inbound, std::uint32_t spi) {
    return std::uint64_t{inbound} << 32 | spi;
}

std::string dotted(std::uint32_t host_order) {
    return std::to_string(host_order >> 24) + "." + std::to_string(host_order >> 16 & 255) + "." +
           std::to_string(host_order >> 8 & 255) + "." + std::to_string(host_order & 255);
}

bool zero(const isakmp::Cookie& c) {
    return std::all_of(c.begin(), c.end(), [](std::uint8_t b) { return b == 0; });
}

// The Junos name of an IKE failure, as it appears in var/log/messages.
std::string failure_name(const Error& e) {
    switch (e.code) {
        case ErrorCode::NoProposalChosen:
            return "NO-PROPOSAL-CHOSEN";
        case ErrorCode::InvalidIdInformation:
            return "INVALID-ID-INFORMATION";
        case ErrorCode::AuthenticationFailed:
            return "AUTHENTICATION-FAILED";
        case ErrorCode::RetransmitsExhausted:
            return "no response from peer";
        default:
            return to_string(e.code);
    }
}

std::string notify_name(std::uint16_t type) {
    switch (type) {
        case isakmp::notify::NoProposalChosen:
            return "NO-PROPOSAL-CHOSEN";
        case isakmp::notify::InvalidIdInformation:
            return "INVALID-ID-INFORMATION";
        case isakmp::notify::AuthenticationFailed:
            return "AUTHENTICATION-FAILED";
        case isakmp::notify::PayloadMalformed:
            return "PAYLOAD-MALFORMED";
        case isakmp::notify::InvalidHashInformation:
            return "INVALID-HASH-INFORMATION";
        default:
            return "notification " + std::to_string(type);
    }
}

const char* auth_method_name(AuthMethod m) {
    switch (m) {
        case AuthMethod::RsaSignature:
            return "RSA-signatures";
        case AuthMethod::DssSignature:
            return "DSA-signatures";
        default:
            return "Pre-shared-keys";
    }
}

const char* hash_name(HashAlgorithm h) {
    return h == HashAlgorithm::Md5 ? "md5" : h == HashAlgorithm::Sha256 ? "sha-256" : "sha1";
}

std::string encryption_name(const IkeProposal& p) {
    switch (p.encryption) {
        case EncryptionAlgorithm::DesCbc:
            return "des-cbc";
        case EncryptionAlgorithm::AesCbc:
            return "aes-" + std::to_string(p.key_bits) + "-cbc";
        default:
            return "3des-cbc";
    }
}

std::string group_name(DhGroup g) {
    return "DH-group-" + std::to_string(static_cast<int>(g));
}

// SPIs fetched from ipsecd before a quick mode starts (the session asks for them synchronously).
struct PrefetchedSpis final : SpiAllocator {
    std::optional<std::uint32_t> esp, ah;
    std::uint32_t allocate(IpsecProtocol protocol) override {
        auto& slot = protocol == IpsecProtocol::Esp ? esp : ah;
        if (slot) {
            const auto v = *slot;
            slot.reset();
            return v;
        }
        // Not prefetched (a proposal the policy did not announce): a random SPI above the reserved range.
        static std::mt19937 rng{std::random_device{}()};
        return 0x10000u + rng() % 0x7fff0000u;
    }
};

void wants(const std::vector<IpsecProposal>& proposals, bool& esp, bool& ah) {
    for (const auto& p : proposals) {
        esp = esp || p.protocol != IpsecProposal::Protocol::Ah;
        ah = ah || p.protocol != IpsecProposal::Protocol::Esp;
    }
}

ipsec::Cipher cipher_of(const IpsecSaKeys& k) {
    switch (k.cipher) {
        case EspCipher::Des:
            return ipsec::Cipher::des_cbc;
        case EspCipher::TripleDes:
            return ipsec::Cipher::des3_cbc;
        case EspCipher::Aes:
            return k.key_bits == 256 ? ipsec::Cipher::aes256_cbc : ipsec::Cipher::aes128_cbc;
        default:
            return ipsec::Cipher::null;
    }
}

ipsec::Integrity integrity_of(AuthAlgorithm a) {
    switch (a) {
        case AuthAlgorithm::HmacMd5:
            return ipsec::Integrity::hmac_md5_96;
        case AuthAlgorithm::HmacSha1:
            return ipsec::Integrity::hmac_sha1_96;
        case AuthAlgorithm::HmacSha256:
            return ipsec::Integrity::hmac_sha256_128;
        default:
            return ipsec::Integrity::none;
    }
}

// A proxy identity as Junos shows it: ipv4_subnet(any:0,[0..7]=10.1.1.0/24), or ipv4(udp:500,[0..3]=A)
// for one address (the ID payload's type, protocol:port, the byte range of its data, the value).
std::string junos_identity(const std::optional<TrafficSelector>& ts) {
    if (!ts) {
        return {};
    }
    const TrafficSelector& t = *ts;
    std::string protocol = t.protocol == 0    ? "any"
                           : t.protocol == 1  ? "icmp"
                           : t.protocol == 6  ? "tcp"
                           : t.protocol == 17 ? "udp"
                                              : std::to_string(t.protocol);
    const std::string address = std::to_string(t.address[0]) + "." + std::to_string(t.address[1]) + "." +
                                std::to_string(t.address[2]) + "." + std::to_string(t.address[3]);
    const std::string head = protocol + ":" + std::to_string(t.port);
    if (t.prefix_length == 32) {
        return "ipv4(" + head + ",[0..3]=" + address + ")";
    }
    return "ipv4_subnet(" + head + ",[0..7]=" + address + "/" + std::to_string(t.prefix_length) + ")";
}

bool udp_mode(EncapsulationMode m) {
    return m == EncapsulationMode::UdpTunnel || m == EncapsulationMode::UdpTransport ||
           m == EncapsulationMode::UdpTunnelDraft || m == EncapsulationMode::UdpTransportDraft;
}

bool transport_mode(EncapsulationMode m) {
    return m == EncapsulationMode::Transport || m == EncapsulationMode::UdpTransport ||
           m == EncapsulationMode::UdpTransportDraft;
}

}  // namespace

struct Kmd::QuickEntry {
    std::unique_ptr<QuickModeSession> session;
    std::unique_ptr<PrefetchedSpis> spis;
    bool initiator = false;
    std::string sa_name;                       // initiator: the SA negotiated
    std::vector<std::string> candidate_names;  // responder: the SAs it could be, with their configs
    std::vector<QuickModeConfig> candidates;
    std::unique_ptr<boost::asio::steady_timer> timer;
    Clock::time_point started;
    bool done = false;
};

struct Kmd::IkeEntry {
    std::uint64_t id = 0;
    // rsa-/dsa-signatures: the policy's signer, kept alive for p1 (declared first, destroyed last).
    std::shared_ptr<const SignatureProvider> signer;
    std::unique_ptr<Phase1Session> p1;
    Role role = Role::Initiator;
    Phase1Mode mode = Phase1Mode::Main;
    std::string local, remote;  // addresses
    std::uint16_t local_port = 500, remote_port = 500;
    boost::asio::steady_timer timer;
    Clock::time_point created;
    std::optional<Clock::time_point> established_at;
    std::optional<Clock::time_point> dead_at;
    bool counted_half_open = false;  // in half_open_total_
    bool rekey = false;              // negotiated to replace an older IKE SA with the same peer
    bool rekey_started = false;      // a replacement for this one is under way (or done)
    std::optional<Clock::time_point> superseded_at;  // a newer IKE SA with the peer is established
    std::uint64_t in_bytes = 0, out_bytes = 0, in_packets = 0, out_packets = 0;
    unsigned children_created = 0, children_deleted = 0;
    std::map<std::uint32_t, QuickEntry> quick;  // by message id
    std::set<std::uint32_t> pending_quick;      // responder message ids waiting for SPIs
    std::vector<std::string> waiting;           // SA names to negotiate once established
    isakmp::Cookie icookie{};

    IkeEntry(boost::asio::io_context& io, Clock::time_point now) : timer(io), created(now) {}
    bool dead() const { return dead_at.has_value(); }
    bool quick_in_progress() const {
        return !pending_quick.empty() ||
               std::any_of(quick.begin(), quick.end(), [](const auto& kv) { return !kv.second.done; });
    }
};

Kmd::Kmd(Daemon& daemon, std::shared_ptr<const config::Schema> schema, Now now)
    : daemon_(daemon),
      now_(std::move(now)),
      owned_(std::move(schema)),
      poll_timer_(daemon.io()),
      config_timer_(daemon.io()) {}

Kmd::~Kmd() = default;

void Kmd::start() {
    auto crypto = CryptoProvider::create();
    if (crypto.ok()) {
        crypto_ = std::move(*crypto);
    } else {
        daemon_.log().error("kmd: no cryptography (" + crypto.error().message + "); IKE disabled");
    }
    // A commit's changes are relative to the committed configuration: one that arrives before kmd has
    // loaded it (a commit right after kmd started) waits for it.
    daemon_.on_validate_configuration([this](const pugi::xml_node& changes, ipc::Responder r) {
        auto doc = std::make_shared<pugi::xml_document>();
        doc->append_copy(changes);
        when_configured([this, doc, r](bool fetched_now) {
            (void)fetched_now;  // validate comes before mgd writes the new configuration: the base is right
            try {
                auto staged = owned_.stage(doc->first_child());  // undone when it goes: validate only looks
                parse_kmd_config(owned_.tree());
                r.reply_ok();
            } catch (const KmdConfigError& e) {
                r.error(e.what(), e.path);
            } catch (const std::exception& e) {
                r.error(e.what());
            }
        });
    });
    daemon_.on_apply_configuration([this](const pugi::xml_node& changes, ipc::Responder r) {
        auto doc = std::make_shared<pugi::xml_document>();
        doc->append_copy(changes);
        when_configured([this, doc, r](bool fetched_now) {
            try {
                if (fetched_now) {
                    // mgd wrote the new configuration before this apply: what was fetched includes it.
                    r.reply_ok();
                    return;
                }
                auto staged = owned_.stage(doc->first_child());
                use_configuration(owned_.tree());
                staged.keep();
                r.reply_ok();
            } catch (const std::exception& e) {
                r.error(std::string("kmd could not apply the configuration: ") + e.what());
            }
        });
    });
    daemon_.register_rpc("get-ike-security-associations-information",
                         [this](const pugi::xml_node& request, ipc::Responder r) { show(request, r); });
    daemon_.register_rpc("clear-ike-security-associations",
                         [this](const pugi::xml_node& request, ipc::Responder r) { clear(request, r); });
    daemon_.register_rpc("sa-expiry-notice",
                         [this](const pugi::xml_node& request, ipc::Responder r) { sa_expiry(request, r); });
    // ipsecd: a PIC carrying dynamic SAs went offline, or `clear ipsec security-associations` removed them.
    daemon_.register_rpc("sa-pic-offline", [this](const pugi::xml_node& request, ipc::Responder r) {
        sa_pic_offline(request, r);
    });
    daemon_.register_rpc("sa-cleared", [this](const pugi::xml_node& request, ipc::Responder r) {
        sa_pic_offline(request, r);
    });
    daemon_.on_packet(
        [this](ipc::Connection&, const ipc::PacketMeta& meta, std::span<const std::uint8_t> data) {
            if (meta.channel == static_cast<std::uint16_t>(ipc::PacketChannel::ike)) {
                on_packet(meta, data);
            }
        });
    daemon_.on_notification([this](ipc::Connection&, const pugi::xml_node& n) {
        if (auto a = n.child("sa-acquire")) {
            on_acquire(a);
        } else if (auto f = n.child("ike-send-failed")) {
            if (tracing("general")) {
                trace("general", std::string("cannot send to ") + f.child_value("remote") + ": " +
                                     f.child_value("message"));
            }
        }
    });
    fetch_configuration();
    schedule_poll(0ms);
}

// ---- configuration ----

void Kmd::when_configured(std::function<void(bool fetched_now)> then) {
    if (have_configuration_) {
        then(false);
        return;
    }
    waiting_for_configuration_.push_back(std::move(then));
    if (waiting_for_configuration_.size() == 1) {
        config_timer_.cancel();  // ask now rather than at the next retry
        fetch_configuration();
    }
}

void Kmd::fetch_configuration() {
    if (fetching_configuration_) {
        return;
    }
    fetching_configuration_ = true;
    pugi::xml_document req;
    xml::append_text(req.append_child("get-owned-configuration"), "daemon", "kmd");
    daemon_.call_peer("mgd", req.document_element(), 10000ms, [this](ipc::Reply reply) {
        fetching_configuration_ = false;
        if (have_configuration_) {
            return;
        }
        if (!reply.ok()) {
            config_timer_.expires_after(1000ms);
            config_timer_.async_wait([this](const boost::system::error_code& ec) {
                if (!ec)
                    fetch_configuration();
            });
            return;
        }
        try {
            owned_.load(reply.root().child("configuration-text").child_value("configuration-output"));
            use_configuration(owned_.tree());
            daemon_.log().log("kmd: " + std::to_string(config_.ike_policies.size()) + " IKE policies, " +
                              std::to_string(config_.dynamic_sas.size()) +
                              " dynamic SAs in the configuration");
        } catch (const std::exception& e) {
            daemon_.log().error(std::string("kmd: cannot use the committed configuration: ") + e.what());
        }
        // Even a configuration kmd cannot use is the base the next commit's changes apply to.
        have_configuration_ = true;
        auto waiting = std::move(waiting_for_configuration_);
        waiting_for_configuration_.clear();
        for (auto& then : waiting) {
            then(true);
        }
    });
}

// Updates to proposals and policies apply to new SAs only (the seed): running SAs stay as they are.
void Kmd::use_configuration(const config::Node& tree) {
    config_ = parse_kmd_config(tree);
    const auto& t = config_.trace;
    const std::string key = t.flags.empty()
                                ? std::string()
                                : t.file + "/" + std::to_string(t.files) + "/" + std::to_string(t.size);
    if (key != trace_key_) {
        trace_.close();
        if (!key.empty()) {
            trace_.open(daemon_.paths().log_dir() / t.file, t.files, t.size);
        }
        trace_key_ = key;
    }
    // One pkid-backed signer per signature policy; one whose certificate id and method did not change keeps
    // its cached certificate. A new one fetches the certificate now (a failure is logged and retried on use).
    std::map<std::string, std::shared_ptr<PkidSigner>> signers;
    for (const auto& [peer, policy] : config_.ike_policies) {
        if (!policy.signature_method) {
            continue;
        }
        auto old = signers_.find(peer);
        if (old != signers_.end() && old->second->certificate_id() == policy.local_certificate &&
            old->second->method() == *policy.signature_method) {
            signers.emplace(peer, old->second);
            continue;
        }
        auto signer = std::make_shared<PkidSigner>(
            daemon_.paths().socket("pkid"), *policy.signature_method, policy.local_certificate,
            [this](const std::string& line) { daemon_.log().log(line); });
        signer->prefetch();
        signers.emplace(peer, std::move(signer));
    }
    signers_ = std::move(signers);
    if (tracing("parse")) {
        for (const auto& [name, sa] : config_.dynamic_sas) {
            if (!sa.usable) {
                trace("parse", "dynamic SA " + name + " cannot be negotiated: " + sa.unusable);
            }
        }
        trace("parse", "configuration: " + std::to_string(config_.ike_policies.size()) + " IKE policies, " +
                           std::to_string(config_.dynamic_sas.size()) + " dynamic SAs");
    }
}

std::shared_ptr<const SignatureProvider> Kmd::signer_for(const std::string& peer) const {
    auto it = signers_.find(peer);
    if (it == signers_.end()) {
        return nullptr;
    }
    return it->second;
}

void Kmd::trace(const char* flag, const std::string& line) {
    if (tracing(flag)) {
        trace_.write("kmd[" + std::to_string(::getpid()) + "] " + flag + ": " + line);
    }
}

void Kmd::on_event(const Event& e) {
    if (tracing("ike")) {
        trace("ike", format_event(e));
    }
    if (e.type == EventType::NotifyReceived && (e.notify_type == isakmp::notify::AuthenticationFailed ||
                                                e.notify_type == isakmp::notify::NoProposalChosen ||
                                                e.notify_type == isakmp::notify::InvalidIdInformation)) {
        daemon_.log().log("kmd: KMD_PM_PEER_NOTIFY: IKE peer " + e.peer + " sent " +
                          notify_name(e.notify_type));
    }
}

// ---- pfed ----

void Kmd::schedule_poll(std::chrono::milliseconds delay) {
    poll_timer_.expires_after(delay);
    poll_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec)
            poll_pfed();
    });
}

// pfed's es- unit bindings and epoch (it changes when pfed restarts: subscribe again).
void Kmd::poll_pfed() {
    daemon_.call_peer("pfed", "get-es-bindings", 5000ms, [this](ipc::Reply reply) {
        housekeeping();
        if (!reply.ok()) {
            schedule_poll(poll_interval);
            return;
        }
        auto root = reply.root().child("es-bindings");
        std::map<std::string, Binding> bindings;
        for (auto b : root.children("binding")) {
            Binding out;
            out.pic = b.child_value("pic");
            out.sa_name = b.child_value("ipsec-sa");
            out.source = b.child_value("source");
            out.destination = b.child_value("destination");
            out.online = bool(b.child("online"));
            if (!out.sa_name.empty() && !out.destination.empty() && !out.source.empty()) {
                bindings.emplace(out.sa_name, std::move(out));
            }
        }
        if (bindings != bindings_) {
            bindings_ = std::move(bindings);
            sa_names_by_peer_.clear();
            for (const auto& [name, b] : bindings_) {
                if (b.online) {
                    sa_names_by_peer_[b.destination].push_back(name);
                }
            }
        }
        const std::string epoch = root.child_value("epoch");
        if (epoch != pfed_epoch_) {
            if (!pfed_epoch_.empty()) {
                trace("general", "pfed restarted; subscribing again");
            }
            pfed_epoch_ = epoch;
            subscribed_ = false;
        }
        if (!subscribed_) {
            daemon_.call_peer("pfed", "subscribe-ike", 5000ms, [this](ipc::Reply reply) {
                if (reply.ok() && !subscribed_) {
                    trace("general", "subscribed to pfed's IKE datagrams");
                }
                subscribed_ = reply.ok();
            });
        }
        schedule_poll(poll_interval);
    });
}

const Kmd::Binding* Kmd::binding_for(const std::string& sa_name) const {
    auto it = bindings_.find(sa_name);
    return it == bindings_.end() ? nullptr : &it->second;
}

Kmd::IkeEntry* Kmd::find_ike(std::uint64_t id) {
    auto it = ikes_.find(id);
    return it == ikes_.end() || it->second->dead() ? nullptr : it->second.get();
}

Kmd::IkeEntry* Kmd::find_by_cookie(const isakmp::Cookie& icookie) {
    auto it = ike_by_cookie_.find(cookie_key(icookie));
    if (it == ike_by_cookie_.end()) {
        return nullptr;
    }
    auto e = ikes_.find(it->second);
    return e == ikes_.end() ? nullptr : e->second.get();
}

Kmd::IkeEntry* Kmd::established_with(const std::string& peer) {
    auto ids = ikes_by_peer_.find(peer);
    if (ids == ikes_by_peer_.end()) {
        return nullptr;
    }
    IkeEntry* best = nullptr;
    for (auto id : ids->second) {
        IkeEntry* e = find_ike(id);
        if (e && e->established_at && (!best || *e->established_at >= *best->established_at)) {
            best = e;
        }
    }
    return best;
}

size_t Kmd::half_open(const std::string& peer) const {
    if (peer.empty()) {
        return half_open_total_;
    }
    auto ids = ikes_by_peer_.find(peer);
    if (ids == ikes_by_peer_.end()) {
        return 0;
    }
    size_t n = 0;
    for (auto id : ids->second) {
        auto it = ikes_.find(id);
        if (it != ikes_.end() && it->second->counted_half_open) {
            ++n;
        }
    }
    return n;
}

bool Kmd::has_children_with(const std::string& peer) const {
    auto it = children_per_peer_.find(peer);
    return it != children_per_peer_.end() && it->second != 0;
}

void Kmd::add_ike(std::unique_ptr<IkeEntry> entry) {
    const auto id = entry->id;
    ike_by_cookie_[cookie_key(entry->icookie)] = id;
    ikes_by_peer_[entry->remote].push_back(id);
    entry->counted_half_open = true;
    ++half_open_total_;
    half_open_initiators_ += entry->role == Role::Initiator;
    ikes_.emplace(id, std::move(entry));
}

void Kmd::uncount_half_open(IkeEntry& e) {
    if (!e.counted_half_open) {
        return;
    }
    e.counted_half_open = false;
    --half_open_total_;
    half_open_initiators_ -= e.role == Role::Initiator;
    start_queued();
}

// Dead: it answers nothing more and lingers (dead_linger) to absorb the peer's retransmissions.
void Kmd::mark_dead(IkeEntry& e) {
    e.timer.cancel();
    e.dead_at = now();
    uncount_half_open(e);
}

// ---- datagrams ----

void Kmd::send(IkeEntry& entry, const std::vector<Bytes>& datagrams) {
    if (datagrams.empty()) {
        return;
    }
    ipc::PacketMeta meta;
    meta.channel = static_cast<std::uint16_t>(ipc::PacketChannel::ike);
    meta.source_address = ipsec::parse_ipv4(entry.local).value_or(0);
    meta.destination_address = ipsec::parse_ipv4(entry.remote).value_or(0);
    meta.source_port = entry.local_port;
    meta.destination_port = entry.remote_port;
    for (const auto& d : datagrams) {
        ++entry.out_packets;
        entry.out_bytes += d.size();
        std::string error;
        if (!daemon_.send_packet_to_peer("pfed", meta, d, error) && tracing("general")) {
            trace("general", "cannot send to " + entry.remote + ": " + error);
        }
    }
}

void Kmd::on_packet(const ipc::PacketMeta& meta, std::span<const std::uint8_t> bytes) {
    const std::string remote = dotted(meta.source_address);
    if (bytes.empty() || !crypto_) {
        trace("ike", "dropped a datagram from " + remote + ": no ISAKMP data");
        return;
    }
    const Bytes data(bytes.begin(), bytes.end());
    auto packet = isakmp::parse_packet(data);
    if (!packet.ok()) {
        if (tracing("ike")) {
            trace("ike", "dropped a datagram from " + remote + ": " + packet.error().message);
        }
        return;
    }
    const isakmp::Header header = packet->header;
    IkeEntry* entry = find_by_cookie(header.initiator_cookie);
    if (!entry) {
        if (zero(header.responder_cookie) && header.message_id == 0 &&
            (header.exchange == isakmp::ExchangeType::IdentityProtection ||
             header.exchange == isakmp::ExchangeType::Aggressive)) {
            start_responder(dotted(meta.destination_address), remote, meta.destination_port, meta.source_port,
                            data);
        } else if (tracing("ike")) {
            trace("ike", "dropped a message from " + remote + " for unknown cookies " +
                             hex(header.initiator_cookie) + ":" + hex(header.responder_cookie));
        }
        return;
    }
    if (entry->dead() || entry->remote != remote) {
        trace("ike", "dropped a message from " + remote + " for a deleted or foreign IKE SA");
        return;
    }
    ++entry->in_packets;
    entry->in_bytes += data.size();
    // The peer's current ports (it moves to 4500 with NAT-T, or a NAT maps it) are taken from a message the
    // session accepted, not from anything that merely carries the cookies.
    const Ports ports{meta.destination_port, meta.source_port};
    if (!entry->established_at) {
        const Phase1State before = entry->p1->state();
        Step step = entry->p1->handle(data);
        if (!step.error || entry->p1->state() != before) {
            entry->local_port = ports.local;
            entry->remote_port = ports.remote;
        }
        after_phase1_step(entry->id, std::move(step));
        return;
    }
    handle_established(*entry, data, header, ports);
}

void Kmd::start_responder(const std::string& local, const std::string& remote, std::uint16_t local_port,
                          std::uint16_t remote_port, const Bytes& data) {
    auto policy = config_.ike_policies.find(remote);
    if (policy == config_.ike_policies.end()) {
        trace("ike", "IKE negotiation from " + remote + " refused: no IKE policy for this peer");
        auto& last = last_failure_["peer " + remote];
        if (now() - last > 10s) {
            last = now();
            daemon_.log().log("kmd: KMD_PM_NO_POLICY: IKE negotiation from " + remote +
                              " refused: no IKE policy for this peer");
        }
        return;
    }
    if (half_open(remote) >= max_half_open_per_peer) {
        trace("ike", "IKE negotiation from " + remote + " dropped: too many half-open negotiations with it");
        return;
    }
    if (half_open_total_ >= max_half_open_total) {
        // The oldest responder negotiation that never got past our first answer makes room: a flood of
        // first messages (spoofed sources never answer) cannot keep real peers out.
        IkeEntry* victim = nullptr;
        while (!responder_fifo_.empty() && !victim) {
            IkeEntry* e = find_ike(responder_fifo_.front());
            responder_fifo_.pop_front();
            if (e && !e->established_at && e->p1->state() == Phase1State::ResponderSentSa) {
                victim = e;
            }
        }
        if (!victim) {
            trace("ike", "IKE negotiation from " + remote + " dropped: too many half-open negotiations");
            return;
        }
        trace("ike", "half-open negotiation from " + victim->remote + " dropped to make room");
        erase_ike(victim->id);
    }
    auto l = Endpoint::parse(local, local_port);
    auto r = Endpoint::parse(remote, remote_port);
    if (!l || !r) {
        return;
    }
    Phase1Config cfg;
    cfg.mode = policy->second.mode;
    cfg.proposals = policy->second.proposals;
    cfg.pre_shared_key = policy->second.pre_shared_key;
    cfg.remote_id = policy->second.remote_id;
    auto signer = signer_for(remote);
    cfg.signatures = signer.get();
    cfg.local = *l;
    cfg.remote = *r;
    auto [session, step] = Phase1Session::respond(std::move(cfg), *crypto_, *this, data);
    auto entry = std::make_unique<IkeEntry>(daemon_.io(), now());
    entry->id = next_id_++;
    entry->role = Role::Responder;
    entry->signer = std::move(signer);
    auto packet = isakmp::parse_packet(data);
    entry->mode = packet.ok() && packet->header.exchange == isakmp::ExchangeType::Aggressive
                      ? Phase1Mode::Aggressive
                      : Phase1Mode::Main;
    entry->local = local;
    entry->remote = remote;
    entry->local_port = local_port;
    entry->remote_port = remote_port;
    entry->icookie = session->initiator_cookie();
    entry->in_packets = 1;
    entry->in_bytes = data.size();
    entry->p1 = std::move(session);
    const auto id = entry->id;
    add_ike(std::move(entry));
    responder_fifo_.push_back(id);
    after_phase1_step(id, std::move(step));
}

Kmd::IkeEntry* Kmd::start_initiator(const std::string& local, const std::string& remote,
                                    const IkePolicyConfig& policy, bool rekey) {
    auto l = Endpoint::parse(local, 500);
    auto r = Endpoint::parse(remote, 500);
    if (!l || !r || !crypto_) {
        return nullptr;
    }
    Phase1Config p1;
    p1.mode = policy.mode;
    p1.proposals = policy.proposals;
    p1.pre_shared_key = policy.pre_shared_key;
    p1.remote_id = policy.remote_id;
    // INITIAL-CONTACT (RFC 2407 4.6.3.3) tells the peer to drop what it has with us: only when we have
    // nothing with it ourselves, never when replacing an IKE SA whose IPsec SAs stay.
    auto ids = ikes_by_peer_.find(remote);
    const bool known = ids != ikes_by_peer_.end() &&
                       std::any_of(ids->second.begin(), ids->second.end(), [&](std::uint64_t id) {
                           const IkeEntry* e = find_ike(id);
                           return e && e->established_at;
                       });
    p1.initial_contact = !rekey && !known && !has_children_with(remote);
    auto signer = signer_for(remote);
    p1.signatures = signer.get();
    p1.local = *l;
    p1.remote = *r;
    auto entry = std::make_unique<IkeEntry>(daemon_.io(), now());
    entry->id = next_id_++;
    entry->role = Role::Initiator;
    entry->signer = std::move(signer);
    entry->mode = p1.mode;
    entry->rekey = rekey;
    entry->local = local;
    entry->remote = remote;
    entry->p1 = std::make_unique<Phase1Session>(std::move(p1), *crypto_, *this);
    Step first = entry->p1->start();
    entry->icookie = entry->p1->initiator_cookie();  // chosen by start()
    const auto id = entry->id;
    IkeEntry* raw = entry.get();
    add_ike(std::move(entry));
    after_phase1_step(id, std::move(first));
    return find_ike(id) ? raw : nullptr;
}

void Kmd::after_phase1_step(std::uint64_t id, Step step) {
    IkeEntry* e = find_ike(id);
    if (!e) {
        return;
    }
    // The initiator moves to 4500 as soon as NAT-D showed a NAT (main mode 5 goes there); the responder
    // follows the port the peer's messages arrive on.
    if (e->role == Role::Initiator && e->p1->float_to_nat_t_port() && e->local_port == 500) {
        e->local_port = 4500;
        e->remote_port = 4500;
        trace("ike", "NAT detected: IKE with " + e->remote + " moves to UDP 4500");
    }
    send(*e, step.send);
    if (step.error && tracing("ike")) {
        trace("ike", "phase 1 with " + e->remote + ": " + step.error->message);
    }
    if (e->p1->established()) {
        if (!e->established_at) {
            phase1_established(*e);
        }
        return;
    }
    if (e->p1->failed()) {
        phase1_failed(*e, step.error ? failure_name(*step.error) + ": " + step.error->message
                                     : std::string("negotiation failed"));
        return;
    }
    arm_phase1_timer(*e);
}

void Kmd::arm_phase1_timer(IkeEntry& e) {
    auto delay = e.p1->retransmit_delay();
    if (!delay) {
        e.timer.cancel();
        return;
    }
    e.timer.expires_after(*delay);
    e.timer.async_wait([this, id = e.id](const boost::system::error_code& ec) {
        if (ec)
            return;
        IkeEntry* e = find_ike(id);
        if (!e || e->established_at)
            return;
        trace("timer", "phase 1 retransmission to " + e->remote);
        after_phase1_step(id, e->p1->on_retransmit_timer());
    });
}

void Kmd::phase1_established(IkeEntry& e) {
    e.established_at = now();
    e.timer.cancel();
    uncount_half_open(e);
    daemon_.log().log("kmd: KMD_PM_SA_ESTABLISHED: IKE SA with " + e.remote + " established (" +
                      (e.mode == Phase1Mode::Main ? "Main" : "Aggressive") + " mode, " +
                      (e.role == Role::Initiator ? "initiator" : "responder") + ", cookies " +
                      hex(e.icookie) + ":" + hex(e.p1->responder_cookie()) + ")");
    const IkeSa* sa = e.p1->ike_sa();
    std::vector<std::uint64_t> older;
    if (auto ids = ikes_by_peer_.find(e.remote); ids != ikes_by_peer_.end()) {
        for (auto id : ids->second) {
            const IkeEntry* other = find_ike(id);
            if (id != e.id && other && other->established_at) {
                older.push_back(id);
            }
        }
    }
    if (sa && sa->initial_contact_received) {
        // The peer started afresh: what we had with it is gone on its side.
        std::vector<std::uint64_t> old_children;
        if (has_children_with(e.remote)) {  // (a first contact usually has none: no walk through them all)
            for (const auto& [cid, c] : children_) {
                if (c.peer == e.remote) {
                    old_children.push_back(cid);
                }
            }
        }
        for (auto id : older) {
            remove_ike(id, false, "peer sent INITIAL-CONTACT");
        }
        delete_children(old_children, false);
    } else {
        // A newer IKE SA replaces the older ones (our rekey or the peer's): new quick modes use it, and the
        // older ones are deleted once their exchanges are over. Their IPsec SAs stay.
        for (auto id : older) {
            IkeEntry* other = find_ike(id);
            if (other && !other->superseded_at) {
                other->superseded_at = now();
                other->rekey_started = true;
            }
        }
        if (!older.empty()) {
            daemon_.log().log("kmd: IKE SA with " + e.remote + " rekeyed (cookies " + hex(e.icookie) + ":" +
                              hex(e.p1->responder_cookie()) + ")");
        }
    }
    auto waiting = std::move(e.waiting);
    e.waiting.clear();
    for (const auto& name : waiting) {
        start_quick_mode(e.id, name);
    }
}

void Kmd::phase1_failed(IkeEntry& e, const std::string& why) {
    mark_dead(e);
    daemon_.log().log("kmd: KMD_PM_P1_NEGOTIATION_FAILED: IKE phase 1 with " + e.remote + " failed (" +
                      (e.role == Role::Initiator ? "initiator" : "responder") + "): " + why);
    for (const auto& name : e.waiting) {
        negotiating_.erase(name);
        last_failure_[name] = now();
    }
    e.waiting.clear();
    if (e.rekey) {
        // The IKE SA it was to replace may be renegotiated again at the next housekeeping.
        if (auto ids = ikes_by_peer_.find(e.remote); ids != ikes_by_peer_.end()) {
            for (auto id : ids->second) {
                if (IkeEntry* other = find_ike(id); other && other->established_at && !other->superseded_at) {
                    other->rekey_started = false;
                }
            }
        }
    }
}

// Forgets an IKE SA at once (no lingering): a flood's half-open entry, or a dead one whose linger is over.
void Kmd::erase_ike(std::uint64_t id) {
    auto it = ikes_.find(id);
    if (it == ikes_.end()) {
        return;
    }
    IkeEntry& e = *it->second;
    uncount_half_open(e);
    if (auto c = ike_by_cookie_.find(cookie_key(e.icookie)); c != ike_by_cookie_.end() && c->second == id) {
        ike_by_cookie_.erase(c);
    }
    if (auto p = ikes_by_peer_.find(e.remote); p != ikes_by_peer_.end()) {
        std::erase(p->second, id);
        if (p->second.empty()) {
            ikes_by_peer_.erase(p);
        }
    }
    for (const auto& name : e.waiting) {
        negotiating_.erase(name);
    }
    ikes_.erase(it);
}

void Kmd::handle_established(IkeEntry& e, const Bytes& data, const isakmp::Header& header, Ports ports) {
    switch (header.exchange) {
        case isakmp::ExchangeType::Quick: {
            auto q = e.quick.find(header.message_id);
            if (q != e.quick.end()) {
                if (q->second.done) {
                    return;  // finished (a late duplicate)
                }
                Step step = q->second.session->handle(data);
                if (!step.error) {
                    e.local_port = ports.local;
                    e.remote_port = ports.remote;
                }
                after_quick_step(e.id, header.message_id, std::move(step));
                return;
            }
            if (e.pending_quick.count(header.message_id)) {
                return;  // its SPIs are on the way
            }
            respond_quick_mode(e.id, header.message_id, data);
            return;
        }
        case isakmp::ExchangeType::Informational:
            handle_informational(e, data, ports);
            return;
        case isakmp::ExchangeType::IdentityProtection:
        case isakmp::ExchangeType::Aggressive: {
            // A retransmission of the peer's last phase 1 message: the session answers it again.
            Step s = e.p1->handle(data);
            send(e, s.send);
            return;
        }
        default:
            trace("ike", "dropped exchange " + std::to_string(int(header.exchange)) + " from " + e.remote);
    }
}

void Kmd::handle_informational(IkeEntry& e, const Bytes& data, Ports ports) {
    auto payloads = open_informational(*crypto_, *e.p1->ike_sa(), data);
    if (!payloads.ok()) {
        trace("ike", "dropped an informational from " + e.remote + ": " + payloads.error().message);
        return;
    }
    e.local_port = ports.local;  // authenticated (HASH(1)): the peer's ports as they are now
    e.remote_port = ports.remote;
    const std::uint64_t id = e.id;
    const std::string peer = e.remote;
    for (const auto& p : *payloads) {
        if (const auto* n = std::get_if<isakmp::NotifyPayload>(&p)) {
            trace("ike", "notification " + notify_name(n->type) + " from " + peer);
            if (n->type < 16384) {
                // An error about a quick mode we started: the exchanges under way learn of it.
                IkeEntry* live = find_ike(id);
                if (!live)
                    return;
                std::vector<std::uint32_t> ids;
                for (auto& [mid, q] : live->quick) {
                    if (q.initiator && !q.done) {
                        ids.push_back(mid);
                    }
                }
                for (auto mid : ids) {
                    live = find_ike(id);
                    if (!live)
                        return;
                    auto q = live->quick.find(mid);
                    if (q != live->quick.end() && !q->second.done) {
                        after_quick_step(id, mid, q->second.session->on_peer_notify(n->type));
                    }
                }
            }
        } else if (const auto* d = std::get_if<isakmp::DeletePayload>(&p)) {
            if (d->protocol == isakmp::ProtocolId::Isakmp) {
                remove_ike(id, false, "deleted by the peer");
                return;
            }
            // The peer deletes the SAs it receives on, named by its SPIs: our outbound SAs.
            std::vector<std::uint64_t> doomed;
            for (const auto& spi_bytes : d->spis) {
                if (spi_bytes.size() != 4)
                    continue;
                const std::uint32_t spi = std::uint32_t(spi_bytes[0]) << 24 |
                                          std::uint32_t(spi_bytes[1]) << 16 |
                                          std::uint32_t(spi_bytes[2]) << 8 | spi_bytes[3];
                auto [first, last] = children_by_spi_.equal_range(spi_key(false, spi));
                for (auto it = first; it != last; ++it) {
                    auto c = children_.find(it->second);
                    if (c == children_.end() || c->second.peer != peer)
                        continue;
                    for (const auto& k : c->second.sa.sas) {
                        if (!k.inbound && k.spi == spi &&
                            static_cast<std::uint8_t>(k.protocol) == static_cast<std::uint8_t>(d->protocol)) {
                            doomed.push_back(c->first);
                        }
                    }
                }
            }
            std::sort(doomed.begin(), doomed.end());
            doomed.erase(std::unique(doomed.begin(), doomed.end()), doomed.end());
            if (!doomed.empty()) {
                trace("database",
                      "peer " + peer + " deleted " + std::to_string(doomed.size()) + " IPsec SA(s)");
            }
            delete_children(doomed, false);
        }
    }
}

// ---- quick mode ----

void Kmd::allocate_spis(
    const std::string& sa_name, bool want_ah,
    std::function<void(std::optional<std::uint32_t>, std::optional<std::uint32_t>, std::string)> done) {
    auto ask = [this, sa_name](const char* protocol,
                               std::function<void(std::optional<std::uint32_t>, std::string)> cb) {
        pugi::xml_document req;
        auto a = req.append_child("allocate-spi");
        xml::append_text(a, "sa-name", sa_name);
        xml::append_text(a, "protocol", protocol);
        daemon_.call_peer("ipsecd", req.document_element(), 5000ms, [cb](ipc::Reply reply) {
            if (!reply.ok()) {
                cb(std::nullopt, reply.error_message.empty() ? "ipsecd not responding" : reply.error_message);
                return;
            }
            const auto spi = reply.root().child("spi").text().as_ullong();
            if (spi == 0 || spi > 0xffffffffu) {
                cb(std::nullopt, "ipsecd returned no SPI");
                return;
            }
            cb(static_cast<std::uint32_t>(spi), {});
        });
    };
    ask("esp", [ask, want_ah, done](std::optional<std::uint32_t> esp, std::string error) {
        if (!esp) {
            done(std::nullopt, std::nullopt, error);
            return;
        }
        if (!want_ah) {
            done(esp, std::nullopt, {});
            return;
        }
        ask("ah", [esp, done](std::optional<std::uint32_t> ah, std::string error) {
            done(esp, ah, ah ? std::string() : error);
        });
    });
}

void Kmd::start_quick_mode(std::uint64_t ike_id, const std::string& sa_name) {
    auto cfg = config_.dynamic_sas.find(sa_name);
    if (cfg == config_.dynamic_sas.end() || !cfg->second.usable) {
        negotiating_.erase(sa_name);
        return;
    }
    bool esp = false, ah = false;
    wants(cfg->second.quick_mode.proposals, esp, ah);
    QuickModeConfig qcfg = cfg->second.quick_mode;
    allocate_spis(
        sa_name, ah,
        [this, ike_id, sa_name, qcfg](std::optional<std::uint32_t> esp_spi,
                                      std::optional<std::uint32_t> ah_spi, std::string error) {
            IkeEntry* e = find_ike(ike_id);
            if (e && e->superseded_at) {
                // Replaced meanwhile: the newest IKE SA with the peer carries it.
                e = established_with(e->remote);
            }
            if (!e || !error.empty()) {
                // ipsecd may not know the es- unit yet (it polls pfed too): the next acquire
                // tries again.
                if (!error.empty()) {
                    trace("policy-manager", "cannot negotiate IPsec SA " + sa_name + " yet: " + error);
                }
                negotiating_.erase(sa_name);
                return;
            }
            QuickEntry q;
            q.initiator = true;
            q.sa_name = sa_name;
            q.started = now();
            q.spis = std::make_unique<PrefetchedSpis>();
            q.spis->esp = esp_spi;
            q.spis->ah = ah_spi;
            q.session = std::make_unique<QuickModeSession>(*e->p1->ike_sa(), qcfg, *crypto_, *this, *q.spis);
            q.timer = std::make_unique<boost::asio::steady_timer>(daemon_.io());
            Step step = q.session->start();
            const auto mid = q.session->message_id();
            e->quick.insert_or_assign(mid, std::move(q));
            if (tracing("ike")) {
                trace("ike", "quick mode for " + sa_name + " with " + e->remote + " started");
            }
            after_quick_step(e->id, mid, std::move(step));
        });
}

void Kmd::respond_quick_mode(std::uint64_t ike_id, std::uint32_t message_id, Bytes data) {
    IkeEntry* e = find_ike(ike_id);
    if (!e) {
        return;
    }
    std::vector<std::string> names;
    std::vector<QuickModeConfig> candidates;
    bool esp = false, ah = false;
    if (auto by_peer = sa_names_by_peer_.find(e->remote); by_peer != sa_names_by_peer_.end()) {
        for (const auto& name : by_peer->second) {
            auto cfg = config_.dynamic_sas.find(name);
            if (cfg == config_.dynamic_sas.end() || !cfg->second.usable) {
                continue;
            }
            names.push_back(name);
            candidates.push_back(cfg->second.quick_mode);
            wants(cfg->second.quick_mode.proposals, esp, ah);
        }
    }
    if (names.empty()) {
        // Nothing configured for this peer: the session refuses (and tells the peer).
        trace("ike", "quick mode from " + e->remote + ": no dynamic SA names this peer");
        PrefetchedSpis none;
        auto [session, step] = QuickModeSession::respond(*e->p1->ike_sa(), {}, *crypto_, *this, none, data);
        send(*e, step.send);
        return;
    }
    e->pending_quick.insert(message_id);
    const std::string first = names.front();  // the lambda below takes `names`
    allocate_spis(first, ah,
                  [this, ike_id, message_id, names = std::move(names), candidates = std::move(candidates),
                   data = std::move(data)](std::optional<std::uint32_t> esp_spi,
                                           std::optional<std::uint32_t> ah_spi, std::string error) mutable {
                      IkeEntry* e = find_ike(ike_id);
                      if (!e) {
                          return;
                      }
                      e->pending_quick.erase(message_id);
                      if (!error.empty()) {
                          trace("ike", "quick mode from " + e->remote + " not answered: " + error);
                          return;  // the peer retransmits
                      }
                      QuickEntry q;
                      q.initiator = false;
                      q.started = now();
                      q.candidate_names = std::move(names);
                      q.candidates = std::move(candidates);
                      q.spis = std::make_unique<PrefetchedSpis>();
                      q.spis->esp = esp_spi;
                      q.spis->ah = ah_spi;
                      auto [session, step] = QuickModeSession::respond(*e->p1->ike_sa(), q.candidates,
                                                                       *crypto_, *this, *q.spis, data);
                      q.session = std::move(session);
                      q.timer = std::make_unique<boost::asio::steady_timer>(daemon_.io());
                      e->quick.insert_or_assign(message_id, std::move(q));
                      after_quick_step(ike_id, message_id, std::move(step));
                  });
}

void Kmd::after_quick_step(std::uint64_t ike_id, std::uint32_t message_id, Step step) {
    IkeEntry* e = find_ike(ike_id);
    if (!e) {
        return;
    }
    auto it = e->quick.find(message_id);
    if (it == e->quick.end()) {
        return;
    }
    QuickEntry& q = it->second;
    send(*e, step.send);
    if (step.error && tracing("ike")) {
        trace("ike", "quick mode with " + e->remote + ": " + step.error->message);
    }
    if (q.done) {
        return;
    }
    if (q.session->established()) {
        q.timer->cancel();
        quick_established(*e, q);
        return;
    }
    if (q.session->failed()) {
        q.done = true;
        q.timer->cancel();
        const std::string name = q.initiator ? q.sa_name : std::string("(responder)");
        daemon_.log().log(
            "kmd: KMD_PM_P2_NEGOTIATION_FAILED: IPsec negotiation " + name + " with " + e->remote +
            " failed: " +
            (step.error ? failure_name(*step.error) + ": " + step.error->message : "no answer"));
        if (q.initiator) {
            negotiating_.erase(q.sa_name);
            last_failure_[q.sa_name] = now();
        }
        return;
    }
    arm_quick_timer(*e, q);
}

void Kmd::arm_quick_timer(IkeEntry& e, QuickEntry& q) {
    auto delay = q.session->retransmit_delay();
    if (!delay) {
        q.timer->cancel();
        return;
    }
    q.timer->expires_after(*delay);
    q.timer->async_wait(
        [this, id = e.id, mid = q.session->message_id()](const boost::system::error_code& ec) {
            if (ec)
                return;
            IkeEntry* e = find_ike(id);
            if (!e)
                return;
            auto it = e->quick.find(mid);
            if (it == e->quick.end() || it->second.done)
                return;
            trace("timer", "quick mode retransmission to " + e->remote);
            after_quick_step(id, mid, it->second.session->on_retransmit_timer());
        });
}

void Kmd::quick_established(IkeEntry& e, QuickEntry& q) {
    q.done = true;
    const ChildSa child = *q.session->child_sa();
    std::string name = q.sa_name;
    if (!q.initiator) {
        // The candidate whose proxy identities were chosen (ours are the responder's local side).
        name = q.candidate_names.front();
        for (size_t i = 0; i < q.candidates.size(); ++i) {
            if (q.candidates[i].local_selector == child.local_selector &&
                q.candidates[i].remote_selector == child.remote_selector) {
                name = q.candidate_names[i];
                break;
            }
        }
    }
    auto cfg = config_.dynamic_sas.find(name);
    const std::uint32_t window = cfg != config_.dynamic_sas.end() ? cfg->second.replay_window : 64;
    // One SaConfig per direction; AH + ESP of a bundle become one bundle SA (AH SPI, ESP as auxiliary).
    std::vector<ipsec::SaConfig> configs;
    for (bool inbound : {true, false}) {
        const IpsecSaKeys* esp = nullptr;
        const IpsecSaKeys* ah = nullptr;
        for (const auto& k : child.sas) {
            if (k.inbound == inbound) {
                (k.protocol == IpsecProtocol::Esp ? esp : ah) = &k;
            }
        }
        if (!esp && !ah) {
            continue;
        }
        const IpsecSaKeys& main = ah ? *ah : *esp;
        ipsec::SaConfig c;
        c.name = name;
        c.direction = inbound ? ipsec::Direction::inbound : ipsec::Direction::outbound;
        c.protocol = esp && ah ? ipsec::Protocol::bundle : ah ? ipsec::Protocol::ah : ipsec::Protocol::esp;
        c.spi = main.spi;
        c.auxiliary_spi = esp && ah ? esp->spi : 0;
        c.mode = transport_mode(main.mode) ? ipsec::Mode::transport : ipsec::Mode::tunnel;
        if (esp) {
            c.cipher = cipher_of(*esp);
            c.cipher_key = esp->encryption_key;
        }
        const IpsecSaKeys& auth = ah ? *ah : *esp;
        c.integrity = integrity_of(auth.authentication);
        c.integrity_key = auth.authentication_key;
        c.replay_window = window;
        const std::uint64_t hard = main.lifetime_seconds ? main.lifetime_seconds : child.lifetime_seconds;
        // The initiator's soft lifetime comes first, so one side rekeys; the responder's is the fallback.
        c.lifetime.hard_seconds = hard;
        c.lifetime.soft_seconds = hard * (q.initiator ? 85 : 92) / 100;
        if (esp && !ah && udp_mode(esp->mode)) {
            // NAT-T: explicit endpoints and the IKE ports (RFC 3948).
            const auto local = ipsec::parse_ipv4(e.local).value_or(0);
            const auto remote = ipsec::parse_ipv4(e.remote).value_or(0);
            c.source = inbound ? remote : local;
            c.destination = inbound ? local : remote;
            c.udp_encapsulation = ipsec::UdpEncapsulation{inbound ? e.remote_port : e.local_port,
                                                          inbound ? e.local_port : e.remote_port};
        }
        configs.push_back(std::move(c));
    }
    pugi::xml_document req;
    auto install = req.append_child("install-dynamic-sas");
    xml::append_text(install, "owner", "kmd");
    // The proxy identities negotiated, for `show ipsec security-associations` (Local/Remote identity).
    xml::append_text(install, "local-identity", junos_identity(child.local_selector));
    xml::append_text(install, "remote-identity", junos_identity(child.remote_selector));
    for (const auto& c : configs) {
        ipsec::append_sa_config(install, c);
    }
    const std::uint64_t ike_id = e.id;
    const std::string peer = e.remote;
    const bool initiator = q.initiator;
    daemon_.call_peer("ipsecd", req.document_element(), 10000ms,
                      [this, ike_id, peer, name, child, initiator](ipc::Reply reply) {
                          if (initiator) {
                              negotiating_.erase(name);
                          }
                          if (!reply.ok()) {
                              daemon_.log().log("kmd: IPsec SA " + name + " with " + peer +
                                                " negotiated but not installed: " + reply.error_message);
                              last_failure_[name] = now();
                              return;
                          }
                          child_installed(ike_id, peer, name, child);
                      });
}

void Kmd::child_installed(std::uint64_t ike_id, const std::string& peer, const std::string& name,
                          const ChildSa& child) {
    bool was_up = false;
    auto& same_name = children_by_name_[name];
    for (auto cid : same_name) {
        auto c = children_.find(cid);
        if (c != children_.end() && !c->second.rekeyed) {
            c->second.rekeyed = true;  // replaced: deleted once the new SA carries traffic
            c->second.installed_at = now();
            was_up = true;
        }
    }
    Child c;
    c.id = next_id_++;
    c.sa_name = name;
    c.peer = peer;
    c.ike_id = ike_id;
    c.sa = child;
    c.installed_at = now();
    same_name.push_back(c.id);
    ++children_per_peer_[peer];
    for (const auto& k : child.sas) {
        children_by_spi_.emplace(spi_key(k.inbound, k.spi), c.id);
    }
    children_.emplace(c.id, std::move(c));
    if (IkeEntry* e = find_ike(ike_id)) {
        ++e->children_created;
    }
    std::string spis;
    for (const auto& k : child.sas) {
        spis += std::string(spis.empty() ? "" : ", ") + (k.inbound ? "in " : "out ") +
                (k.protocol == IpsecProtocol::Esp ? "ESP " : "AH ") + std::to_string(k.spi);
    }
    trace("database", "IPsec SA " + name + " installed (" + spis + ")");
    if (was_up) {
        daemon_.log().log("kmd: IPsec SA " + name + " with " + peer + " rekeyed (" + spis + ")");
    } else {
        daemon_.log().log("kmd: KMD_VPN_UP_ALARM_USER: VPN " + name + " from " + peer + " is up (" + spis +
                          ")");
    }
}

void Kmd::erase_child(std::map<std::uint64_t, Child>::iterator it) {
    const Child& c = it->second;
    if (auto p = children_per_peer_.find(c.peer); p != children_per_peer_.end() && --p->second == 0) {
        children_per_peer_.erase(p);
    }
    if (auto n = children_by_name_.find(c.sa_name); n != children_by_name_.end()) {
        std::erase(n->second, c.id);
        if (n->second.empty()) {
            children_by_name_.erase(n);
        }
    }
    for (const auto& k : c.sa.sas) {
        auto [first, last] = children_by_spi_.equal_range(spi_key(k.inbound, k.spi));
        for (auto s = first; s != last; ++s) {
            if (s->second == c.id) {
                children_by_spi_.erase(s);
                break;
            }
        }
    }
    children_.erase(it);
}

// ---- acquire, expiry, deletes ----

void Kmd::on_acquire(const pugi::xml_node& n) {
    const std::string name = n.child_value("sa-name");
    if (tracing("policy-manager")) {
        trace("policy-manager", "acquire for SA " + name + " (" + n.child_value("source") + " -> " +
                                    n.child_value("destination") + ")");
    }
    const auto t = now();
    if (auto same = children_by_name_.find(name); same != children_by_name_.end()) {
        for (auto cid : same->second) {
            auto c = children_.find(cid);
            if (c != children_.end() && !c->second.rekeyed && t - c->second.installed_at < install_settle) {
                return;  // just installed: the acquire raced with the install
            }
        }
    }
    auto failed = last_failure_.find(name);
    if (failed != last_failure_.end() && t - failed->second < acquire_holdoff) {
        return;
    }
    negotiate(name);
}

void Kmd::negotiate(const std::string& sa_name) {
    if (!crypto_ || negotiating_.count(sa_name)) {
        return;
    }
    auto cfg = config_.dynamic_sas.find(sa_name);
    if (cfg == config_.dynamic_sas.end()) {
        trace("policy-manager", "SA " + sa_name + " is not a dynamic SA");
        return;
    }
    if (!cfg->second.usable) {
        trace("policy-manager", "SA " + sa_name + " cannot be negotiated: " + cfg->second.unusable);
        return;
    }
    const Binding* b = binding_for(sa_name);
    if (!b || !b->online) {
        trace("policy-manager", "SA " + sa_name + ": no online es- interface names it");
        return;
    }
    auto policy = config_.ike_policies.find(b->destination);
    if (policy == config_.ike_policies.end()) {
        auto& last = last_failure_["peer " + b->destination];
        if (now() - last > 10s) {
            last = now();
            daemon_.log().log("kmd: KMD_PM_NO_POLICY: no IKE policy for peer " + b->destination + " (SA " +
                              sa_name + ")");
        }
        return;
    }
    // An established IKE SA with the peer carries the quick mode; one under negotiation takes it on.
    if (IkeEntry* established = established_with(b->destination)) {
        negotiating_.insert(sa_name);
        start_quick_mode(established->id, sa_name);
        return;
    }
    if (auto ids = ikes_by_peer_.find(b->destination); ids != ikes_by_peer_.end()) {
        for (auto id : ids->second) {
            IkeEntry* e = find_ike(id);
            if (e && !e->established_at && e->role == Role::Initiator) {
                negotiating_.insert(sa_name);
                e->waiting.push_back(sa_name);
                return;
            }
        }
    }
    if (half_open(b->destination) >= max_half_open_per_peer || half_open_initiators_ >= max_initiating ||
        half_open_total_ >= max_half_open_total) {
        // No room for another phase 1 now: the SA waits its turn and starts as soon as a negotiation under
        // way ends, rather than at pfed's next acquire a second later (or never, if traffic stopped).
        if (queued_.size() < max_queued_initiations && queued_names_.insert(sa_name).second) {
            queued_.push_back(sa_name);
        }
        return;
    }
    negotiating_.insert(sa_name);
    IkeEntry* e = start_initiator(b->source, b->destination, policy->second, false);
    if (!e) {
        negotiating_.erase(sa_name);
        return;
    }
    e->waiting.push_back(sa_name);
    if (tracing("ike")) {
        trace("ike", "phase 1 with " + b->destination + " started for SA " + sa_name);
    }
}

// <sa-expiry-notice><sa-name/><sa-key/><kind>soft|hard</kind></sa-expiry-notice> from ipsecd.
// A half-open slot came free: the queued SAs take their turn (from the event loop, not from inside the
// state change that freed the slot).
void Kmd::start_queued() {
    if (queued_.empty() || start_queued_posted_) {
        return;
    }
    start_queued_posted_ = true;
    boost::asio::post(daemon_.io(), [this, alive = std::weak_ptr<int>(alive_)] {
        if (alive.expired()) {
            return;
        }
        start_queued_posted_ = false;
        // Each queued name once: one that has to wait again goes back to the end.
        for (size_t n = queued_.size(); n > 0 && !queued_.empty() && half_open_initiators_ < max_initiating;
             --n) {
            const std::string name = std::move(queued_.front());
            queued_.pop_front();
            queued_names_.erase(name);
            negotiate(name);
        }
    });
}

void Kmd::sa_expiry(const pugi::xml_node& request, ipc::Responder r) {
    std::string error;
    auto key = ipsec::parse_sa_key(request.child("sa-key"), error);
    if (!key) {
        r.error("bad sa-key: " + error);
        return;
    }
    const std::string kind = request.child_value("kind");
    const bool inbound = key->direction == ipsec::Direction::inbound;
    bool known = false;
    auto [first, last] = children_by_spi_.equal_range(spi_key(inbound, key->spi));
    std::optional<std::uint64_t> match;
    for (auto it = first; it != last; ++it) {
        match = it->second;
        break;
    }
    if (auto it = match ? children_.find(*match) : children_.end(); it != children_.end()) {
        const Child& c = it->second;
        trace("database", "IPsec SA " + c.sa_name + " SPI " + std::to_string(key->spi) + " reached its " +
                              kind + " lifetime");
        if (kind == "soft") {
            if (!c.rekeyed) {
                negotiate(c.sa_name);
            }
        } else if (kind == "hard") {
            const bool current = !c.rekeyed;
            const std::string name = c.sa_name, peer = c.peer;
            if (IkeEntry* e = find_ike(c.ike_id)) {
                ++e->children_deleted;
            }
            erase_child(it);
            if (current) {
                daemon_.log().log("kmd: KMD_VPN_DOWN_ALARM_USER: VPN " + name + " from " + peer +
                                  " is down (lifetime expired)");
            }
        }
        known = true;
    }
    if (!known && kind == "soft") {
        // An SA negotiated before kmd restarted (ipsecd kept it): renegotiate its name all the same.
        const std::string name = request.child_value("sa-name");
        trace("database", "soft lifetime of an SA of " + name + " negotiated before kmd started: rekeying");
        negotiate(name);
    }
    r.reply_ok();
}

// <sa-pic-offline><sa-name/>…</sa-pic-offline> and <sa-cleared><sa-name/>…</sa-cleared> from ipsecd: forget
// those SAs (and tell the peer); traffic coming back renegotiates.
void Kmd::sa_pic_offline(const pugi::xml_node& request, ipc::Responder r) {
    std::vector<std::uint64_t> doomed;
    for (auto n : request.children("sa-name")) {
        const std::string name = n.text().as_string();
        if (auto same = children_by_name_.find(name); same != children_by_name_.end()) {
            doomed.insert(doomed.end(), same->second.begin(), same->second.end());
        }
        negotiating_.erase(name);
    }
    std::sort(doomed.begin(), doomed.end());
    doomed.erase(std::unique(doomed.begin(), doomed.end()), doomed.end());
    trace("database",
          std::string(request.name()) + ": " + std::to_string(doomed.size()) + " IPsec SA(s) dropped");
    delete_children(doomed, true);
    r.reply_ok();
}

void Kmd::delete_children(const std::vector<std::uint64_t>& child_ids, bool tell_peer) {
    if (child_ids.empty()) {
        return;
    }
    pugi::xml_document req;
    auto del = req.append_child("delete-dynamic-sas");
    for (auto cid : child_ids) {
        auto it = children_.find(cid);
        if (it == children_.end()) {
            continue;
        }
        const Child& c = it->second;
        for (bool inbound : {true, false}) {
            const IpsecSaKeys* esp = nullptr;
            const IpsecSaKeys* ah = nullptr;
            for (const auto& k : c.sa.sas) {
                if (k.inbound == inbound)
                    (k.protocol == IpsecProtocol::Esp ? esp : ah) = &k;
            }
            if (!esp && !ah)
                continue;
            ipsec::SaKey key;
            key.direction = inbound ? ipsec::Direction::inbound : ipsec::Direction::outbound;
            key.protocol = esp && ah ? ipsec::Protocol::bundle
                           : ah      ? ipsec::Protocol::ah
                                     : ipsec::Protocol::esp;
            key.spi = ah ? ah->spi : esp->spi;
            key.destination = 0;
            ipsec::append_sa_key(del, key);
        }
        IkeEntry* e = find_ike(c.ike_id);
        if (e) {
            ++e->children_deleted;
        }
        // The delete goes through the IKE SA that made the child, or the one that replaced it.
        IkeEntry* via = e && e->established_at ? e : established_with(c.peer);
        if (tell_peer && via) {
            std::vector<isakmp::Payload> payloads;
            for (auto& d : delete_for(c.sa)) {
                payloads.emplace_back(std::move(d));
            }
            static std::mt19937 rng{std::random_device{}()};
            auto msg = make_informational(*crypto_, *via->p1->ike_sa(), payloads, rng() | 1u);
            if (msg.ok()) {
                send(*via, {*msg});
            }
        }
        const bool current = !c.rekeyed;
        const std::string name = c.sa_name, peer = c.peer;
        erase_child(it);
        const bool still_up = children_by_name_.count(name) != 0;
        if (current && !still_up) {
            daemon_.log().log("kmd: KMD_VPN_DOWN_ALARM_USER: VPN " + name + " from " + peer + " is down");
        }
    }
    daemon_.call_peer("ipsecd", req.document_element(), 10000ms, [this](ipc::Reply reply) {
        if (!reply.ok()) {
            trace("database", "ipsecd did not delete SAs: " + reply.error_message);
        }
    });
}

void Kmd::remove_ike(std::uint64_t id, bool tell_peer, const std::string& why) {
    IkeEntry* e = find_ike(id);
    if (!e) {
        return;
    }
    if (tell_peer && e->established_at) {
        static std::mt19937 rng{std::random_device{}()};
        auto msg = make_informational(*crypto_, *e->p1->ike_sa(), {delete_for(*e->p1->ike_sa())}, rng() | 1u);
        if (msg.ok()) {
            send(*e, {*msg});
        }
    }
    for (auto& [mid, q] : e->quick) {
        q.timer->cancel();
        if (q.initiator && !q.done) {
            negotiating_.erase(q.sa_name);
        }
    }
    for (const auto& name : e->waiting) {
        negotiating_.erase(name);
    }
    e->waiting.clear();
    mark_dead(*e);
    daemon_.log().log("kmd: IKE SA with " + e->remote + " deleted (" + why + ")");
}

void Kmd::housekeeping() {
    const auto t = now();
    std::vector<std::uint64_t> expired, abandoned, replaced, gone;
    for (auto& [id, ep] : ikes_) {
        IkeEntry& e = *ep;
        if (e.dead()) {
            if (t - *e.dead_at > dead_linger) {
                gone.push_back(id);
            }
        } else if (e.established_at) {
            const IkeSa* sa = e.p1->ike_sa();
            if (sa && t - *e.established_at > std::chrono::seconds(sa->proposal.lifetime_seconds)) {
                expired.push_back(e.id);
            } else if (e.superseded_at &&
                       (!e.quick_in_progress() || t - *e.superseded_at > superseded_linger)) {
                replaced.push_back(e.id);
            }
            for (auto q = e.quick.begin(); q != e.quick.end();) {
                if (t - q->second.started > quick_limit) {
                    if (q->second.initiator && !q->second.done) {
                        negotiating_.erase(q->second.sa_name);
                    }
                    q = e.quick.erase(q);
                } else {
                    ++q;
                }
            }
        } else if (t - e.created > half_open_limit) {
            abandoned.push_back(e.id);
        }
    }
    for (auto id : gone) {
        erase_ike(id);
    }
    for (auto id : expired) {
        remove_ike(id, true, "lifetime expired");
    }
    for (auto id : replaced) {
        remove_ike(id, true, "replaced by a newer IKE SA");
    }
    for (auto id : abandoned) {
        if (IkeEntry* e = find_ike(id)) {
            phase1_failed(*e, "not established in time");
        }
    }
    std::vector<std::uint64_t> retired;
    for (const auto& [cid, c] : children_) {
        if (c.rekeyed && t - c.installed_at > retire_after) {
            retired.push_back(cid);
        }
    }
    delete_children(retired, true);
    rekey_ike_sas();
}

// IKE SAs that still carry IPsec SAs are renegotiated before their lifetime ends (the original initiator
// first), so that a rekey or a delete never waits for a phase 1; the old one is deleted once the new one
// is established (phase1_established, then housekeeping). An IKE SA nothing uses simply expires.
void Kmd::rekey_ike_sas() {
    const auto t = now();
    std::set<std::string> in_use;
    for (const auto& [cid, c] : children_) {
        if (!c.rekeyed) {
            in_use.insert(c.peer);
        }
    }
    std::vector<std::uint64_t> due;
    for (const auto& [id, ep] : ikes_) {
        const IkeEntry& e = *ep;
        if (e.dead() || !e.established_at || e.rekey_started || e.superseded_at || !in_use.count(e.remote)) {
            continue;
        }
        const IkeSa* sa = e.p1->ike_sa();
        if (!sa) {
            continue;
        }
        const auto percent =
            e.role == Role::Initiator ? ike_rekey_percent_initiator : ike_rekey_percent_responder;
        const auto at = std::chrono::seconds(std::uint64_t{sa->proposal.lifetime_seconds} * percent / 100);
        if (t - *e.established_at >= at) {
            due.push_back(id);
        }
    }
    for (auto id : due) {
        IkeEntry* e = find_ike(id);
        if (!e || established_with(e->remote) != e) {
            continue;  // a newer one exists already
        }
        e->rekey_started = true;
        auto policy = config_.ike_policies.find(e->remote);
        if (policy == config_.ike_policies.end()) {
            continue;  // no policy any more: it expires
        }
        bool pending = false;
        if (auto ids = ikes_by_peer_.find(e->remote); ids != ikes_by_peer_.end()) {
            for (auto other : ids->second) {
                const IkeEntry* o = find_ike(other);
                pending = pending || (o && !o->established_at);
            }
        }
        if (pending) {
            continue;  // a phase 1 with the peer is under way: it will replace this one
        }
        const std::string local = e->local, remote = e->remote;
        daemon_.log().log("kmd: IKE SA with " + remote + " reaches its lifetime soon: renegotiating");
        start_initiator(local, remote, policy->second, true);
    }
}

// ---- operational commands ----

// show ike security-associations [brief|detail] [PEER]
void Kmd::show(const pugi::xml_node& request, ipc::Responder r) {
    const std::string peer = request.child_value("peer-address");
    const bool detail = bool(request.child("detail"));
    pugi::xml_document doc;
    auto info = doc.append_child("ike-security-associations-information");
    if (detail) {
        info.append_child("detail");
    }
    const auto t = now();
    for (const auto& [id, ep] : ikes_) {
        const IkeEntry& e = *ep;
        if (e.dead() || (!peer.empty() && e.remote != peer)) {
            continue;
        }
        auto b = info.append_child("ike-security-associations-block");
        xml::append_text(b, "ike-sa-remote-address", e.remote);
        xml::append_text(b, "ike-sa-state", e.established_at ? "Matured" : "Not matured");
        xml::append_text(b, "ike-sa-initiator-cookie", hex(e.p1->initiator_cookie()));
        xml::append_text(b, "ike-sa-responder-cookie", hex(e.p1->responder_cookie()));
        xml::append_text(b, "ike-sa-exchange-type", e.mode == Phase1Mode::Main ? "Main" : "Aggressive");
        if (!detail) {
            continue;
        }
        xml::append_text(b, "ike-sa-role", e.role == Role::Initiator ? "Initiator" : "Responder");
        // The method the exchange used once it is known; before, the one our first proposal names.
        const IkeSa* negotiated = e.established_at ? e.p1->ike_sa() : nullptr;
        const auto policy = config_.ike_policies.find(e.remote);
        const AuthMethod method = negotiated ? negotiated->proposal.authentication
                                  : policy != config_.ike_policies.end() && !policy->second.proposals.empty()
                                      ? policy->second.proposals.front().authentication
                                      : AuthMethod::PreSharedKey;
        xml::append_text(b, "ike-sa-authentication-method", auth_method_name(method));
        xml::append_text(b, "ike-sa-local-address", e.local + ":" + std::to_string(e.local_port));
        xml::append_text(b, "ike-sa-remote-endpoint", e.remote + ":" + std::to_string(e.remote_port));
        if (const IkeSa* sa = e.established_at ? e.p1->ike_sa() : nullptr) {
            const auto age = std::chrono::duration_cast<std::chrono::seconds>(t - *e.established_at).count();
            const long long left = std::max<long long>(0, sa->proposal.lifetime_seconds - age);
            xml::append_text(b, "ike-sa-lifetime", "Expires in " + std::to_string(left) + " seconds");
            xml::append_text(b, "ike-sa-authentication-algorithm", hash_name(sa->proposal.hash));
            xml::append_text(b, "ike-sa-encryption-algorithm", encryption_name(sa->proposal));
            xml::append_text(b, "ike-sa-prf-algorithm", std::string("hmac-") + hash_name(sa->proposal.hash));
            xml::append_text(b, "ike-sa-dhgroup", group_name(sa->proposal.group));
        }
        xml::append_text(b, "ike-sa-input-bytes", std::to_string(e.in_bytes));
        xml::append_text(b, "ike-sa-output-bytes", std::to_string(e.out_bytes));
        xml::append_text(b, "ike-sa-input-packets", std::to_string(e.in_packets));
        xml::append_text(b, "ike-sa-output-packets", std::to_string(e.out_packets));
        xml::append_text(b, "ike-sa-flags",
                         e.established_at ? "IKE SA is created" : "IKE SA negotiation in progress");
        xml::append_text(b, "ike-sa-ipsec-sas-created", std::to_string(e.children_created));
        xml::append_text(b, "ike-sa-ipsec-sas-deleted", std::to_string(e.children_deleted));
        size_t in_progress = e.pending_quick.size();
        for (const auto& [mid, q] : e.quick) {
            in_progress += q.done ? 0 : 1;
        }
        xml::append_text(b, "ike-sa-phase2-in-progress", std::to_string(in_progress));
    }
    r.reply(doc);
}

// clear ike security-associations [PEER]: the IKE SAs go (the peer is told); IPsec SAs stay.
void Kmd::clear(const pugi::xml_node& request, ipc::Responder r) {
    const std::string peer = request.child_value("peer-address");
    std::vector<std::uint64_t> ids;
    for (const auto& [id, e] : ikes_) {
        if (!e->dead() && (peer.empty() || e->remote == peer)) {
            ids.push_back(id);
        }
    }
    for (auto id : ids) {
        IkeEntry* e = find_ike(id);
        if (e && !e->established_at) {
            phase1_failed(*e, "cleared");
        } else {
            remove_ike(id, true, "cleared by the operator");
        }
    }
    r.reply_ok();
}

}  // namespace msim::kmd
