#include "msim/ipsec/engine.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "crypto.hpp"
#include "ipv4.hpp"
#include "msim/ipsec/replay_window.hpp"

namespace msim::ipsec {

using namespace detail;

namespace {

constexpr std::size_t esp_header = 8;   // SPI + sequence number
constexpr std::size_t esp_trailer = 2;  // pad length + next header
constexpr std::size_t ah_fixed = 12;    // next header, length, reserved, SPI, sequence number
constexpr std::size_t udp_header = 8;
constexpr std::size_t max_datagram = 65535;
constexpr std::uint32_t min_spi = 0x100;  // RFC 4303 §2.1: 1-255 are reserved

std::size_t round_up(std::size_t value, std::size_t multiple) {
    return (value + multiple - 1) / multiple * multiple;
}

// The wire protocol an SA is found under: a bundle is found by its (outer) AH SPI.
std::uint8_t wire_protocol(Protocol p) {
    return p == Protocol::esp ? proto_esp : proto_ah;
}

struct IndexKey {
    std::uint8_t protocol;
    std::uint32_t spi;
    Ipv4Address destination;
    friend bool operator==(const IndexKey&, const IndexKey&) = default;
};

struct IndexKeyHash {
    std::size_t operator()(const IndexKey& k) const {
        std::uint64_t v = (std::uint64_t{k.spi} << 32 | k.destination) * 0x9e3779b97f4a7c15ULL;
        return static_cast<std::size_t>(v ^ (v >> 29) ^ k.protocol);
    }
};

struct SaKeyHash {
    std::size_t operator()(const SaKey& k) const {
        std::uint64_t v = (std::uint64_t{k.spi} << 32 | k.destination) * 0x9e3779b97f4a7c15ULL;
        return static_cast<std::size_t>(v ^ (v >> 29) ^ (static_cast<unsigned>(k.protocol) << 1) ^
                                        static_cast<unsigned>(k.direction));
    }
};

struct SaEntry {
    SaConfig config;
    CbcCipher cipher;  // ESP encryption (esp, bundle); inactive for the null cipher
    Hmac esp_mac;      // ESP integrity (esp only: a bundle's ESP has none)
    Hmac ah_mac;       // AH integrity (ah, bundle)
    std::size_t iv_length = 0;
    std::size_t align = 4;  // ciphertext granularity: the block size, at least 4 (RFC 4303 §2.4)
    std::uint32_t esp_sequence = 0;
    std::uint32_t ah_sequence = 0;
    ReplayWindow esp_window;
    ReplayWindow ah_window;
    SaCounters counters;
    std::uint64_t lifetime_bytes = 0;
    std::chrono::steady_clock::time_point installed{};
    bool soft_fired = false;
    bool hard_fired = false;

    std::uint32_t esp_spi() const {
        return config.protocol == Protocol::bundle ? config.auxiliary_spi : config.spi;
    }
};

// Opens n bytes right after the IPv4 header (moving the header forward into the headroom).
std::uint8_t* insert_after_header(Packet& packet, std::size_t header, std::size_t n) {
    std::uint8_t* front = packet.prepend(n);
    std::memmove(front, front + n, header);
    return front + header;
}

// Removes n bytes right after the IPv4 header.
void remove_after_header(Packet& packet, std::size_t header, std::size_t n) {
    std::uint8_t* front = packet.data();
    std::memmove(front + n, front, header);
    packet.trim_front(n);
}

// RFC 4302 appendix A.1: options whose content may change in transit are zeroed for the ICV.
bool immutable_option(std::uint8_t type) {
    switch (type) {
        case 0:    // end of list
        case 1:    // no operation
        case 130:  // security
        case 133:  // extended security
        case 134:  // commercial security
        case 148:  // router alert
        case 149:  // sender directed multi-destination delivery
            return true;
        default:
            return false;
    }
}

void zero_mutable_fields(std::uint8_t* header, std::size_t length) {
    header[1] = 0;                // TOS
    header[6] = header[7] = 0;    // flags, fragment offset
    header[8] = 0;                // TTL
    header[10] = header[11] = 0;  // checksum
    std::size_t i = ipv4_min_header;
    while (i < length) {
        std::uint8_t type = header[i];
        if (type == 0) {
            break;
        }
        if (type == 1) {
            ++i;
            continue;
        }
        std::size_t option = i + 1 < length ? header[i + 1] : 0;
        if (option < 2 || i + option > length) {
            // A broken option list: both ends zero the rest the same way, so the ICV stays defined.
            std::memset(header + i, 0, length - i);
            break;
        }
        if (!immutable_option(type)) {
            std::memset(header + i, 0, option);
        }
        i += option;
    }
}

// ICV of an IPv4 packet whose AH header starts right after the IP header and whose ICV field is zero.
bool ah_icv(Hmac& mac, const std::uint8_t* packet, std::size_t size, std::uint8_t* icv) {
    std::size_t header = header_length(packet);
    std::uint8_t copy[60];
    std::memcpy(copy, packet, header);
    zero_mutable_fields(copy, header);
    return mac.begin() && mac.update(copy, header) && mac.update(packet + header, size - header) &&
           mac.finish(icv);
}

}  // namespace

struct IpsecEngine::Impl {
    Clock clock;
    CryptoProvider crypto;
    std::unordered_map<SaKey, std::unique_ptr<SaEntry>, SaKeyHash> sas;
    std::unordered_map<IndexKey, SaEntry*, IndexKeyHash> inbound;
    std::map<std::string, SaEntry*, std::less<>> by_name;
    std::unordered_map<std::uint32_t, SaEntry*> by_reqid;
    std::unordered_set<std::uint64_t> reserved_spis;   // wire protocol << 32 | SPI
    std::map<std::uint16_t, int> encapsulation_ports;  // inbound UDP ports of encapsulating SAs
    GlobalCounters global;
    ExpiryListener listener;
    std::optional<std::pair<SaKey, ExpiryKind>> pending_expiry;
    std::uint16_t next_ip_id = 0;

    std::chrono::steady_clock::time_point now() const {
        return clock ? clock() : std::chrono::steady_clock::now();
    }

    Status validate(const SaConfig& c) const;
    Status build(SaEntry& entry);
    void index(SaEntry* entry);
    void unindex(SaEntry* entry);
    SaEntry* find_inbound(std::uint8_t protocol, std::uint32_t spi, Ipv4Address destination);

    void note_expiry(SaEntry& sa, ExpiryKind kind);
    bool expired(SaEntry& sa);
    void charge(SaEntry& sa, std::size_t bytes);
    DropReason count(SaEntry& sa, DropReason reason);
    void fire_pending();

    OutboundResult protect(SaEntry* sa, Packet& packet);
    DropReason esp_out(SaEntry& sa, Packet& packet, bool with_icv);
    DropReason ah_out(SaEntry& sa, Packet& packet);
    InboundResult unprotect(Packet& packet);
    DropReason esp_in(SaEntry& sa, Packet& packet, bool with_icv);
    DropReason ah_in(SaEntry& sa, Packet& packet);
    DropReason deliver(SaEntry& sa, Packet& packet);
};

// ---------------------------------------------------------------------------------------------------
// SA database

Status IpsecEngine::Impl::validate(const SaConfig& c) const {
    auto invalid = [](std::string message) { return Error{ErrorCode::invalid_argument, std::move(message)}; };
    if (c.spi < min_spi) {
        return invalid("SPI must be at least 256");
    }
    if (c.protocol == Protocol::bundle && c.auxiliary_spi < min_spi) {
        return invalid("auxiliary SPI must be at least 256");
    }
    if (c.protocol != Protocol::ah && c.cipher_key.size() != key_length(c.cipher)) {
        return invalid("encryption key for " + std::string(to_string(c.cipher)) + " must be " +
                       std::to_string(key_length(c.cipher)) + " bytes");
    }
    if (c.integrity_key.size() != key_length(c.integrity)) {
        return invalid("authentication key for " + std::string(to_string(c.integrity)) + " must be " +
                       std::to_string(key_length(c.integrity)) + " bytes");
    }
    switch (c.protocol) {
        case Protocol::esp:
            if (c.cipher == Cipher::null && c.integrity == Integrity::none) {
                return invalid("ESP needs an encryption or an authentication algorithm");
            }
            break;
        case Protocol::ah:
            if (c.cipher != Cipher::null) {
                return invalid("AH cannot have an encryption algorithm");
            }
            [[fallthrough]];
        case Protocol::bundle:
            if (c.integrity == Integrity::none) {
                return invalid("AH needs an authentication algorithm");
            }
            if (c.udp_encapsulation) {
                return invalid("UDP encapsulation carries ESP only");
            }
            break;
    }
    if (c.replay_window != 0 && (c.replay_window < 32 || c.replay_window > ReplayWindow::max_size)) {
        return invalid("replay window must be 0 or 32 to 1024 packets");
    }
    if (c.direction == Direction::outbound) {
        if (c.name.empty() && c.reqid == 0) {
            return invalid("an outbound SA needs a name or a reqid");
        }
        if (c.mode == Mode::tunnel && (c.source == 0 || c.destination == 0)) {
            return invalid("a tunnel-mode outbound SA needs source and destination addresses");
        }
        if (c.udp_encapsulation && c.source == 0) {
            return invalid("a UDP-encapsulated outbound SA needs a source address");
        }
    }
    if (c.outer_ttl == 0) {
        return invalid("outer TTL must be at least 1");
    }
    if (c.cipher != Cipher::null && crypto.cipher(c.cipher) == nullptr) {
        return Error{ErrorCode::unsupported, std::string(to_string(c.cipher)) +
                                                 " is not available (OpenSSL legacy provider missing?)"};
    }
    return {};
}

Status IpsecEngine::Impl::build(SaEntry& e) {
    const SaConfig& c = e.config;
    bool encrypt = c.direction == Direction::outbound;
    if (c.protocol != Protocol::ah && c.cipher != Cipher::null) {
        if (Status s = e.cipher.init(crypto.cipher(c.cipher), c.cipher_key, encrypt); !s) {
            return s;
        }
        e.iv_length = e.cipher.iv_length();
        e.align = std::max<std::size_t>(e.cipher.block_size(), 4);
    }
    if (c.protocol == Protocol::esp && c.integrity != Integrity::none) {
        if (Status s = e.esp_mac.init(crypto.hmac(), c.integrity, c.integrity_key); !s) {
            return s;
        }
    }
    if (c.protocol != Protocol::esp) {
        if (Status s = e.ah_mac.init(crypto.hmac(), c.integrity, c.integrity_key); !s) {
            return s;
        }
    }
    if (c.direction == Direction::outbound) {
        e.esp_sequence = e.ah_sequence = c.initial_sequence;
    }
    e.esp_window = ReplayWindow(c.replay_window);
    e.ah_window = ReplayWindow(c.replay_window);
    e.installed = now();
    return {};
}

void IpsecEngine::Impl::index(SaEntry* e) {
    const SaConfig& c = e->config;
    if (c.direction == Direction::inbound) {
        inbound[IndexKey{wire_protocol(c.protocol), c.spi, c.destination}] = e;
        if (c.udp_encapsulation) {
            ++encapsulation_ports[c.udp_encapsulation->destination_port];
        }
    } else {
        if (!c.name.empty()) {
            by_name[c.name] = e;
        }
        if (c.reqid != 0) {
            by_reqid[c.reqid] = e;
        }
    }
}

void IpsecEngine::Impl::unindex(SaEntry* e) {
    const SaConfig& c = e->config;
    if (c.direction == Direction::inbound) {
        inbound.erase(IndexKey{wire_protocol(c.protocol), c.spi, c.destination});
        if (c.udp_encapsulation) {
            auto it = encapsulation_ports.find(c.udp_encapsulation->destination_port);
            if (it != encapsulation_ports.end() && --it->second == 0) {
                encapsulation_ports.erase(it);
            }
        }
    } else {
        if (!c.name.empty()) {
            by_name.erase(c.name);
        }
        if (c.reqid != 0) {
            by_reqid.erase(c.reqid);
        }
    }
}

SaEntry* IpsecEngine::Impl::find_inbound(std::uint8_t protocol, std::uint32_t spi, Ipv4Address destination) {
    auto it = inbound.find(IndexKey{protocol, spi, destination});
    if (it == inbound.end()) {
        // An inbound SA installed with destination 0.0.0.0 accepts any local address.
        it = inbound.find(IndexKey{protocol, spi, 0});
    }
    return it == inbound.end() ? nullptr : it->second;
}

IpsecEngine::IpsecEngine(Clock clock) : impl_(std::make_unique<Impl>()) {
    impl_->clock = std::move(clock);
    std::uint8_t seed[2] = {0, 0};
    impl_->crypto.random(seed);
    impl_->next_ip_id = load16(seed);
}

IpsecEngine::~IpsecEngine() = default;

const GlobalCounters& IpsecEngine::global_counters() const {
    return impl_->global;
}

bool IpsecEngine::supports(Cipher cipher) const {
    return cipher == Cipher::null || impl_->crypto.cipher(cipher) != nullptr;
}

Result<std::uint32_t> IpsecEngine::get_spi(Protocol protocol, Ipv4Address destination) {
    std::uint8_t wire = wire_protocol(protocol);
    for (int attempt = 0; attempt < 64; ++attempt) {
        std::uint8_t bytes[4];
        if (!impl_->crypto.random(bytes)) {
            return Error{ErrorCode::crypto_failure, "random number generator failed"};
        }
        std::uint32_t spi = load32(bytes);
        std::uint64_t reservation = std::uint64_t{wire} << 32 | spi;
        if (spi < min_spi || impl_->reserved_spis.contains(reservation) ||
            impl_->inbound.contains(IndexKey{wire, spi, destination})) {
            continue;
        }
        impl_->reserved_spis.insert(reservation);
        return spi;
    }
    return Error{ErrorCode::crypto_failure, "no free SPI found"};
}

Status IpsecEngine::add_sa(const SaConfig& config) {
    Impl& m = *impl_;
    if (Status s = m.validate(config); !s) {
        return s;
    }
    SaKey key = key_of(config);
    if (m.sas.contains(key)) {
        return Error{ErrorCode::already_exists, "an SA with this SPI, protocol and destination exists"};
    }
    if (config.direction == Direction::inbound) {
        if (m.inbound.contains(IndexKey{wire_protocol(config.protocol), config.spi, config.destination})) {
            return Error{ErrorCode::already_exists, "another inbound SA already uses this SPI"};
        }
    } else {
        if (!config.name.empty() && m.by_name.contains(config.name)) {
            return Error{ErrorCode::already_exists, "an outbound SA named " + config.name + " exists"};
        }
        if (config.reqid != 0 && m.by_reqid.contains(config.reqid)) {
            return Error{ErrorCode::already_exists, "an outbound SA with this reqid exists"};
        }
    }
    auto entry = std::make_unique<SaEntry>();
    entry->config = config;
    if (Status s = m.build(*entry); !s) {
        return s;
    }
    SaEntry* raw = entry.get();
    m.sas.emplace(key, std::move(entry));
    m.index(raw);
    m.reserved_spis.erase(std::uint64_t{wire_protocol(config.protocol)} << 32 | config.spi);
    return {};
}

Status IpsecEngine::update_sa(const SaKey& key, const SaEndpoints& endpoints) {
    Impl& m = *impl_;
    auto it = m.sas.find(key);
    if (it == m.sas.end()) {
        return Error{ErrorCode::not_found, "no such SA"};
    }
    SaConfig changed = it->second->config;
    changed.source = endpoints.source;
    changed.destination = endpoints.destination;
    changed.udp_encapsulation = endpoints.udp_encapsulation;
    if (Status s = m.validate(changed); !s) {
        return s;
    }
    SaKey new_key = key_of(changed);
    if (!(new_key == key) && m.sas.contains(new_key)) {
        return Error{ErrorCode::already_exists, "an SA with the new destination exists"};
    }
    std::unique_ptr<SaEntry> entry = std::move(it->second);
    m.sas.erase(it);
    m.unindex(entry.get());
    entry->config = std::move(changed);
    SaEntry* raw = entry.get();
    m.sas.emplace(new_key, std::move(entry));
    m.index(raw);
    return {};
}

Result<SaState> IpsecEngine::query_sa(const SaKey& key) const {
    auto it = impl_->sas.find(key);
    if (it == impl_->sas.end()) {
        return Error{ErrorCode::not_found, "no such SA"};
    }
    const SaEntry& e = *it->second;
    SaState state;
    state.config = e.config;
    state.counters = e.counters;
    if (e.config.direction == Direction::outbound) {
        state.last_sequence = e.config.protocol == Protocol::esp ? e.esp_sequence : e.ah_sequence;
    } else {
        state.last_sequence =
            e.config.protocol == Protocol::esp ? e.esp_window.highest() : e.ah_window.highest();
    }
    state.lifetime_bytes = e.lifetime_bytes;
    state.age = impl_->now() - e.installed;
    state.soft_expired = e.soft_fired;
    state.hard_expired = e.hard_fired;
    return state;
}

Status IpsecEngine::del_sa(const SaKey& key) {
    auto it = impl_->sas.find(key);
    if (it == impl_->sas.end()) {
        return Error{ErrorCode::not_found, "no such SA"};
    }
    impl_->unindex(it->second.get());
    impl_->sas.erase(it);
    return {};
}

void IpsecEngine::flush_sas() {
    impl_->inbound.clear();
    impl_->by_name.clear();
    impl_->by_reqid.clear();
    impl_->encapsulation_ports.clear();
    impl_->reserved_spis.clear();
    impl_->sas.clear();
}

std::vector<SaKey> IpsecEngine::list_sas() const {
    std::vector<SaKey> keys;
    keys.reserve(impl_->sas.size());
    for (const auto& [key, entry] : impl_->sas) {
        keys.push_back(key);
    }
    return keys;
}

void IpsecEngine::set_expiry_listener(ExpiryListener listener) {
    impl_->listener = std::move(listener);
}

void IpsecEngine::poll_lifetimes() {
    Impl& m = *impl_;
    auto now = m.now();
    // Collected first: a listener may delete SAs while we would still be iterating.
    std::vector<std::pair<SaKey, ExpiryKind>> events;
    for (auto& [key, entry] : m.sas) {
        const Lifetime& l = entry->config.lifetime;
        auto age = std::chrono::duration_cast<std::chrono::seconds>(now - entry->installed).count();
        std::uint64_t seconds = age < 0 ? 0 : static_cast<std::uint64_t>(age);
        if (l.hard_seconds != 0 && seconds >= l.hard_seconds && !entry->hard_fired) {
            entry->hard_fired = entry->soft_fired = true;
            events.emplace_back(key, ExpiryKind::hard);
        } else if (l.soft_seconds != 0 && seconds >= l.soft_seconds && !entry->soft_fired) {
            entry->soft_fired = true;
            events.emplace_back(key, ExpiryKind::soft);
        }
    }
    if (m.listener) {
        for (const auto& [key, kind] : events) {
            m.listener(key, kind);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Lifetimes and counters on the packet path

void IpsecEngine::Impl::note_expiry(SaEntry& sa, ExpiryKind kind) {
    if (kind == ExpiryKind::hard) {
        if (sa.hard_fired) {
            return;
        }
        sa.hard_fired = sa.soft_fired = true;
    } else {
        if (sa.soft_fired) {
            return;
        }
        sa.soft_fired = true;
    }
    pending_expiry.emplace(key_of(sa.config), kind);
}

bool IpsecEngine::Impl::expired(SaEntry& sa) {
    const Lifetime& l = sa.config.lifetime;
    bool over = sa.hard_fired || (l.hard_kilobytes != 0 && sa.lifetime_bytes >= l.hard_kilobytes * 1024) ||
                (l.hard_seconds != 0 && now() - sa.installed >= std::chrono::seconds(l.hard_seconds));
    if (over) {
        note_expiry(sa, ExpiryKind::hard);
    }
    return over;
}

void IpsecEngine::Impl::charge(SaEntry& sa, std::size_t bytes) {
    sa.lifetime_bytes += bytes;
    const Lifetime& l = sa.config.lifetime;
    if (l.hard_kilobytes != 0 && sa.lifetime_bytes >= l.hard_kilobytes * 1024) {
        note_expiry(sa, ExpiryKind::hard);
    } else if (l.soft_kilobytes != 0 && sa.lifetime_bytes >= l.soft_kilobytes * 1024) {
        note_expiry(sa, ExpiryKind::soft);
    }
}

DropReason IpsecEngine::Impl::count(SaEntry& sa, DropReason reason) {
    SaCounters& c = sa.counters;
    switch (reason) {
        case DropReason::auth_failure:
            ++c.auth_failures;
            break;
        case DropReason::replay:
            ++c.replay_drops;
            break;
        case DropReason::bad_padding:
            ++c.bad_padding;
            break;
        case DropReason::sa_expired:
            ++c.expired_drops;
            break;
        case DropReason::sequence_overflow:
            ++c.sequence_overflows;
            break;
        case DropReason::none:
        case DropReason::dummy_packet:  // legitimate traffic-flow-confidentiality filler
            break;
        default:
            ++c.malformed;
            break;
    }
    return reason;
}

void IpsecEngine::Impl::fire_pending() {
    if (pending_expiry) {
        auto event = *pending_expiry;
        pending_expiry.reset();
        if (listener) {
            listener(event.first, event.second);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Outbound

namespace {
std::optional<std::uint32_t> next_sequence(std::uint32_t& counter, bool anti_replay) {
    if (counter == UINT32_MAX) {
        // RFC 4303 §3.3.3: with anti-replay the counter must not cycle; without (manual SAs) it may.
        if (anti_replay) {
            return std::nullopt;
        }
        counter = 0;
    }
    return ++counter;
}
}  // namespace

DropReason IpsecEngine::Impl::esp_out(SaEntry& sa, Packet& packet, bool with_icv) {
    std::size_t header = header_length(packet.data());
    std::size_t payload = packet.size() - header;
    std::size_t pad = round_up(payload + esp_trailer, sa.align) - payload - esp_trailer;
    std::size_t icv = with_icv ? sa.esp_mac.icv_length() : 0;
    std::size_t udp = sa.config.udp_encapsulation ? udp_header : 0;
    if (packet.size() + udp + esp_header + sa.iv_length + pad + esp_trailer + icv > max_datagram) {
        return DropReason::too_big;
    }
    auto sequence = next_sequence(sa.esp_sequence, sa.config.replay_window != 0);
    if (!sequence) {
        return DropReason::sequence_overflow;
    }
    std::uint8_t next_header = protocol(packet.data());

    std::uint8_t* trailer = packet.append(pad + esp_trailer + icv);
    for (std::size_t i = 0; i < pad; ++i) {
        trailer[i] = static_cast<std::uint8_t>(i + 1);  // RFC 4303 §2.4 default padding 1, 2, 3, ...
    }
    trailer[pad] = static_cast<std::uint8_t>(pad);
    trailer[pad + 1] = next_header;

    std::uint8_t* gap = insert_after_header(packet, header, udp + esp_header + sa.iv_length);
    std::uint8_t* esp = gap + udp;
    store32(esp, sa.esp_spi());
    store32(esp + 4, *sequence);
    std::uint8_t* iv = esp + esp_header;
    std::uint8_t* text = iv + sa.iv_length;
    std::size_t text_length = payload + pad + esp_trailer;
    if (sa.cipher.active()) {
        if (!crypto.random({iv, sa.iv_length}) || !sa.cipher.run(iv, text, text_length)) {
            return DropReason::crypto_failure;
        }
    }
    if (icv != 0) {
        if (!sa.esp_mac.begin() || !sa.esp_mac.update(esp, esp_header + sa.iv_length + text_length) ||
            !sa.esp_mac.finish(text + text_length)) {
            return DropReason::crypto_failure;
        }
    }
    std::uint8_t* ip = packet.data();
    if (udp != 0) {
        // RFC 3948 §2.1: checksum zero for IPv4.
        store16(gap, sa.config.udp_encapsulation->source_port);
        store16(gap + 2, sa.config.udp_encapsulation->destination_port);
        store16(gap + 4, static_cast<std::uint16_t>(packet.size() - header));
        store16(gap + 6, 0);
        ip[9] = proto_udp;
    } else {
        ip[9] = proto_esp;
    }
    store16(ip + 2, static_cast<std::uint16_t>(packet.size()));
    return DropReason::none;
}

DropReason IpsecEngine::Impl::ah_out(SaEntry& sa, Packet& packet) {
    std::size_t header = header_length(packet.data());
    std::size_t icv = sa.ah_mac.icv_length();
    std::size_t ah_length = ah_fixed + round_up(icv, 4);
    if (packet.size() + ah_length > max_datagram) {
        return DropReason::too_big;
    }
    auto sequence = next_sequence(sa.ah_sequence, sa.config.replay_window != 0);
    if (!sequence) {
        return DropReason::sequence_overflow;
    }
    std::uint8_t next_header = protocol(packet.data());
    std::uint8_t* ah = insert_after_header(packet, header, ah_length);
    ah[0] = next_header;
    ah[1] = static_cast<std::uint8_t>(ah_length / 4 - 2);  // RFC 4302 §2.2: 32-bit words minus 2
    ah[2] = ah[3] = 0;
    store32(ah + 4, sa.config.spi);
    store32(ah + 8, *sequence);
    std::memset(ah + ah_fixed, 0, ah_length - ah_fixed);
    std::uint8_t* ip = packet.data();
    ip[9] = proto_ah;
    store16(ip + 2, static_cast<std::uint16_t>(packet.size()));
    if (!ah_icv(sa.ah_mac, ip, packet.size(), ah + ah_fixed)) {
        return DropReason::crypto_failure;
    }
    return DropReason::none;
}

OutboundResult IpsecEngine::Impl::protect(SaEntry* sa, Packet& packet) {
    if (sa == nullptr) {
        ++global.no_outbound_sa;
        return {DropReason::no_sa};
    }
    std::size_t total = checked_total_length(packet.data(), packet.size());
    if (total == 0) {
        return {count(*sa, DropReason::malformed)};
    }
    packet.trim_back(packet.size() - total);
    if (expired(*sa)) {
        return {count(*sa, DropReason::sa_expired)};
    }
    const SaConfig& c = sa->config;
    if (c.mode == Mode::transport && (load16(packet.data() + 6) & (flag_mf | offset_mask)) != 0) {
        // RFC 4301 §7: transport mode protects whole datagrams only; fragments are reassembled first.
        return {count(*sa, DropReason::fragment)};
    }
    if (c.mode == Mode::tunnel) {
        if (total + ipv4_min_header > max_datagram) {
            return {count(*sa, DropReason::too_big)};
        }
        const std::uint8_t* inner = packet.data();
        std::uint8_t tos = inner[1];
        bool inner_df = (load16(inner + 6) & flag_df) != 0;
        std::uint8_t* outer = packet.prepend(ipv4_min_header);
        outer[0] = 0x45;
        outer[1] = tos;  // DSCP and ECN copied (RFC 4301 §5.1.2.1, RFC 6040 normal mode)
        store16(outer + 2, static_cast<std::uint16_t>(packet.size()));
        store16(outer + 4, next_ip_id++);
        bool df = c.df == DfPolicy::set || (c.df == DfPolicy::copy && inner_df);
        store16(outer + 6, df ? flag_df : 0);
        outer[8] = c.outer_ttl;
        outer[9] = proto_ipip;
        store32(outer + 12, c.source);
        store32(outer + 16, c.destination);
    }
    DropReason drop = DropReason::none;
    if (c.protocol != Protocol::ah) {
        drop = esp_out(*sa, packet, c.protocol == Protocol::esp);
    }
    if (drop == DropReason::none && c.protocol != Protocol::esp) {
        drop = ah_out(*sa, packet);
    }
    if (drop != DropReason::none) {
        return {count(*sa, drop)};
    }
    set_checksum(packet.data());
    ++sa->counters.packets_encrypted;
    sa->counters.bytes_encrypted += total;
    charge(*sa, total);
    return {};
}

OutboundResult IpsecEngine::protect(std::string_view sa_name, Packet& packet) {
    auto it = impl_->by_name.find(sa_name);
    OutboundResult r = impl_->protect(it == impl_->by_name.end() ? nullptr : it->second, packet);
    impl_->fire_pending();
    return r;
}

OutboundResult IpsecEngine::protect(std::uint32_t reqid, Packet& packet) {
    auto it = impl_->by_reqid.find(reqid);
    OutboundResult r = impl_->protect(it == impl_->by_reqid.end() ? nullptr : it->second, packet);
    impl_->fire_pending();
    return r;
}

// ---------------------------------------------------------------------------------------------------
// Inbound

DropReason IpsecEngine::Impl::esp_in(SaEntry& sa, Packet& packet, bool with_icv) {
    std::size_t header = header_length(packet.data());
    std::size_t length = packet.size() - header;
    std::size_t icv = with_icv ? sa.esp_mac.icv_length() : 0;
    if (length < esp_header + sa.iv_length + icv + sa.align) {
        return DropReason::malformed;
    }
    std::size_t text_length = length - esp_header - sa.iv_length - icv;
    if (text_length % sa.align != 0) {
        return DropReason::malformed;
    }
    std::uint8_t* esp = packet.data() + header;
    std::uint32_t sequence = load32(esp + 4);
    // Cheap replay test first; the window only moves once the ICV is good (RFC 4303 §3.4.3).
    if (sa.esp_window.check(sequence) != ReplayWindow::Verdict::ok) {
        return DropReason::replay;
    }
    if (icv != 0) {
        std::uint8_t computed[EVP_MAX_MD_SIZE];
        if (!sa.esp_mac.begin() || !sa.esp_mac.update(esp, length - icv) || !sa.esp_mac.finish(computed)) {
            return DropReason::crypto_failure;
        }
        if (CRYPTO_memcmp(computed, esp + length - icv, icv) != 0) {
            return DropReason::auth_failure;
        }
    }
    sa.esp_window.accept(sequence);
    std::uint8_t* iv = esp + esp_header;
    std::uint8_t* text = iv + sa.iv_length;
    if (sa.cipher.active() && !sa.cipher.run(iv, text, text_length)) {
        return DropReason::crypto_failure;
    }
    std::size_t pad = text[text_length - 2];
    std::uint8_t next_header = text[text_length - 1];
    if (pad + esp_trailer > text_length) {
        return DropReason::bad_padding;
    }
    const std::uint8_t* padding = text + text_length - esp_trailer - pad;
    for (std::size_t i = 0; i < pad; ++i) {
        if (padding[i] != i + 1) {
            return DropReason::bad_padding;
        }
    }
    if (next_header == proto_none) {
        return DropReason::dummy_packet;
    }
    packet.trim_back(icv + pad + esp_trailer);
    remove_after_header(packet, header, esp_header + sa.iv_length);
    std::uint8_t* ip = packet.data();
    ip[9] = next_header;
    store16(ip + 2, static_cast<std::uint16_t>(packet.size()));
    return DropReason::none;
}

DropReason IpsecEngine::Impl::ah_in(SaEntry& sa, Packet& packet) {
    std::size_t header = header_length(packet.data());
    std::size_t available = packet.size() - header;
    std::uint8_t* ah = packet.data() + header;
    std::size_t icv = sa.ah_mac.icv_length();
    std::size_t ah_length = ah_fixed + round_up(icv, 4);
    if (available < ah_length || (std::size_t{ah[1]} + 2) * 4 != ah_length) {
        return DropReason::malformed;
    }
    std::uint32_t sequence = load32(ah + 8);
    if (sa.ah_window.check(sequence) != ReplayWindow::Verdict::ok) {
        return DropReason::replay;
    }
    std::uint8_t received[16];
    std::memcpy(received, ah + ah_fixed, icv);
    std::memset(ah + ah_fixed, 0, ah_length - ah_fixed);
    std::uint8_t computed[EVP_MAX_MD_SIZE];
    if (!ah_icv(sa.ah_mac, packet.data(), packet.size(), computed)) {
        return DropReason::crypto_failure;
    }
    if (CRYPTO_memcmp(computed, received, icv) != 0) {
        return DropReason::auth_failure;
    }
    sa.ah_window.accept(sequence);
    std::uint8_t next_header = ah[0];
    remove_after_header(packet, header, ah_length);
    std::uint8_t* ip = packet.data();
    ip[9] = next_header;
    store16(ip + 2, static_cast<std::uint16_t>(packet.size()));
    return DropReason::none;
}

DropReason IpsecEngine::Impl::deliver(SaEntry& sa, Packet& packet) {
    if (sa.config.mode == Mode::tunnel) {
        if (protocol(packet.data()) != proto_ipip) {
            return DropReason::bad_next_header;
        }
        std::uint8_t outer_ecn = packet.data()[1] & ecn_mask;
        packet.trim_front(header_length(packet.data()));
        // The inner datagram may be followed by traffic-flow-confidentiality padding (RFC 4303 §2.7).
        std::size_t inner = checked_total_length(packet.data(), packet.size());
        if (inner == 0) {
            return DropReason::malformed;
        }
        packet.trim_back(packet.size() - inner);
        // RFC 6040 §4.2: congestion experienced on the way reaches an ECN-capable inner packet.
        std::uint8_t* ip = packet.data();
        if (outer_ecn == ecn_ce && (ip[1] & ecn_mask) != 0 && (ip[1] & ecn_mask) != ecn_ce) {
            ip[1] |= ecn_ce;
            set_checksum(ip);
        }
    } else {
        set_checksum(packet.data());
    }
    ++sa.counters.packets_decrypted;
    sa.counters.bytes_decrypted += packet.size();
    charge(sa, packet.size());
    return DropReason::none;
}

InboundResult IpsecEngine::Impl::unprotect(Packet& packet) {
    InboundResult result;
    auto global_drop = [&](DropReason reason) {
        if (reason == DropReason::unknown_spi) {
            ++global.unknown_spi;
        } else {
            ++global.malformed;
        }
        result.kind = InboundKind::dropped;
        result.drop = reason;
        return result;
    };
    std::uint8_t* ip = packet.data();
    std::size_t total = checked_total_length(ip, packet.size());
    if (total == 0) {
        return global_drop(DropReason::malformed);
    }
    std::size_t header = header_length(ip);
    std::uint8_t wire = protocol(ip);
    if (wire != proto_esp && wire != proto_ah && wire != proto_udp) {
        result.kind = InboundKind::not_ipsec;
        return result;
    }
    bool fragment = (load16(ip + 6) & (flag_mf | offset_mask)) != 0;
    if (wire == proto_udp) {
        // Only UDP to a port an inbound SA encapsulates with is ours; everything else goes on.
        if (fragment || total < header + udp_header ||
            !encapsulation_ports.contains(load16(ip + header + 2))) {
            result.kind = InboundKind::not_ipsec;
            return result;
        }
    }
    if (header_checksum(ip, header) != 0) {
        return global_drop(DropReason::malformed);
    }
    if (fragment) {
        return global_drop(DropReason::fragment);
    }
    packet.trim_back(packet.size() - total);
    Ipv4Address dst = destination(ip);

    SaEntry* sa = nullptr;
    bool encapsulated = false;
    if (wire == proto_udp) {
        const std::uint8_t* udp = ip + header;
        std::size_t udp_length = load16(udp + 4);
        if (udp_length < udp_header || udp_length > total - header) {
            return global_drop(DropReason::malformed);
        }
        packet.trim_back(total - header - udp_length);
        const std::uint8_t* payload = udp + udp_header;
        std::size_t payload_length = udp_length - udp_header;
        if (payload_length == 1 && payload[0] == 0xff) {
            result.kind = InboundKind::nat_keepalive;
            return result;
        }
        if (payload_length >= 4 && load32(payload) == 0) {
            result.kind = InboundKind::ike;  // RFC 3948 §2.2 non-ESP marker
            result.ike_offset = header + udp_header + 4;
            return result;
        }
        if (payload_length < esp_header) {
            return global_drop(DropReason::malformed);
        }
        sa = find_inbound(proto_esp, load32(payload), dst);
        if (sa == nullptr) {
            return global_drop(DropReason::unknown_spi);
        }
        encapsulated = true;
    } else {
        std::size_t minimum = wire == proto_esp ? esp_header : ah_fixed;
        if (total < header + minimum) {
            return global_drop(DropReason::malformed);
        }
        std::uint32_t spi = load32(ip + header + (wire == proto_esp ? 0 : 4));
        sa = find_inbound(wire, spi, dst);
        if (sa == nullptr) {
            return global_drop(DropReason::unknown_spi);
        }
    }

    result.sa = key_of(sa->config);
    result.mode = sa->config.mode;
    auto sa_drop = [&](DropReason reason) {
        result.kind = InboundKind::dropped;
        result.drop = count(*sa, reason);
        return result;
    };
    if (encapsulated != sa->config.udp_encapsulation.has_value()) {
        return sa_drop(DropReason::encapsulation_mismatch);
    }
    if (expired(*sa)) {
        return sa_drop(DropReason::sa_expired);
    }
    if (encapsulated) {
        remove_after_header(packet, header, udp_header);
        packet.data()[9] = proto_esp;
        store16(packet.data() + 2, static_cast<std::uint16_t>(packet.size()));
    }
    DropReason drop = DropReason::none;
    switch (sa->config.protocol) {
        case Protocol::esp:
            drop = esp_in(*sa, packet, true);
            break;
        case Protocol::ah:
            drop = ah_in(*sa, packet);
            break;
        case Protocol::bundle:
            drop = ah_in(*sa, packet);
            if (drop == DropReason::none) {
                const std::uint8_t* inner = packet.data();
                std::size_t h = header_length(inner);
                if (protocol(inner) != proto_esp || packet.size() < h + esp_header) {
                    drop = DropReason::bad_next_header;
                } else if (load32(inner + h) != sa->config.auxiliary_spi) {
                    drop = DropReason::unknown_spi;
                } else {
                    drop = esp_in(*sa, packet, false);
                }
            }
            break;
    }
    if (drop == DropReason::none) {
        drop = deliver(*sa, packet);
    }
    if (drop != DropReason::none) {
        return sa_drop(drop);
    }
    result.kind = InboundKind::delivered;
    return result;
}

InboundResult IpsecEngine::unprotect(Packet& packet) {
    InboundResult r = impl_->unprotect(packet);
    impl_->fire_pending();
    return r;
}

}  // namespace msim::ipsec
