// Value types shared by the ES PIC crypto library: SA configuration, SA identity, counters, outcomes.
//
// Errors are values throughout this library: control-plane calls return Status / Result<T>, the packet
// path returns an outcome with a DropReason. Nothing here throws on bad input.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace msim::ipsec {

// IPv4 addresses are host-byte-order integers (10.0.0.1 == 0x0a000001).
using Ipv4Address = std::uint32_t;
std::optional<Ipv4Address> parse_ipv4(std::string_view dotted);
std::string format_ipv4(Ipv4Address address);

// What a Junos SA's `protocol` statement selects. A bundle is AH (SPI) over ESP (auxiliary SPI): ESP
// encrypts without its own ICV and AH authenticates, as the ES PIC does it.
enum class Protocol : std::uint8_t { esp, ah, bundle };
enum class Direction : std::uint8_t { inbound, outbound };
enum class Mode : std::uint8_t { tunnel, transport };
enum class Cipher : std::uint8_t { null, des_cbc, des3_cbc, aes128_cbc, aes256_cbc };
enum class Integrity : std::uint8_t { none, hmac_md5_96, hmac_sha1_96, hmac_sha256_128 };

// Outer header's DF bit in tunnel mode. Junos copies it from the inner header unless the es- interface
// says otherwise, so copy is the default.
enum class DfPolicy : std::uint8_t { copy, set, clear };

std::string_view to_string(Protocol);
std::string_view to_string(Direction);
std::string_view to_string(Mode);
std::string_view to_string(Cipher);     // Junos spelling: "3des-cbc"
std::string_view to_string(Integrity);  // Junos spelling: "hmac-sha1-96"
std::optional<Cipher> parse_cipher(std::string_view junos_name);
std::optional<Integrity> parse_integrity(std::string_view junos_name);

// Key length in bytes each algorithm requires (RFC 2405, 2451, 3602, 2403, 2404, 4868).
std::size_t key_length(Cipher);
std::size_t key_length(Integrity);

// Zero means "no limit" for every field.
struct Lifetime {
    std::uint64_t soft_seconds = 0;
    std::uint64_t hard_seconds = 0;
    std::uint64_t soft_kilobytes = 0;
    std::uint64_t hard_kilobytes = 0;
};

// RFC 3948 UDP encapsulation of ESP (NAT traversal).
struct UdpEncapsulation {
    std::uint16_t source_port = 4500;
    std::uint16_t destination_port = 4500;
};

struct SaConfig {
    std::string name;         // outbound lookup key (the Junos SA name); may be empty for inbound SAs
    std::uint32_t reqid = 0;  // optional second outbound lookup key (kmd's policy id); 0 = none
    Direction direction = Direction::outbound;
    Protocol protocol = Protocol::esp;
    std::uint32_t spi = 0;            // ESP SPI for esp, AH SPI for ah and bundle
    std::uint32_t auxiliary_spi = 0;  // ESP SPI of a bundle, unused otherwise
    Mode mode = Mode::tunnel;
    // SA endpoints. In tunnel mode they are the outer header's addresses. In both modes `destination`
    // is part of the inbound lookup key (RFC 4301 §4.1) and is checked against the packet.
    Ipv4Address source = 0;
    Ipv4Address destination = 0;
    Cipher cipher = Cipher::null;
    std::vector<std::uint8_t> cipher_key;
    Integrity integrity = Integrity::none;
    std::vector<std::uint8_t> integrity_key;
    // Anti-replay window in packets: 0 disables it (manual SAs); otherwise 32..1024.
    std::uint32_t replay_window = 0;
    // Outbound: the sequence number already used; the next packet carries initial_sequence + 1. Lets an
    // SA manager reinstall an SA (after a PIC restart) without restarting the peer-visible counter.
    std::uint32_t initial_sequence = 0;
    Lifetime lifetime;
    std::optional<UdpEncapsulation> udp_encapsulation;  // ESP only
    DfPolicy df = DfPolicy::copy;
    std::uint8_t outer_ttl = 64;
};

// Identity of an installed SA. Inbound SAs are found by (protocol, SPI, destination) as RFC 4301 says;
// the direction is part of the key because a Junos bidirectional manual SA installs the same SPI twice.
struct SaKey {
    Direction direction = Direction::inbound;
    Protocol protocol = Protocol::esp;
    std::uint32_t spi = 0;
    Ipv4Address destination = 0;
    friend bool operator==(const SaKey&, const SaKey&) = default;
};
SaKey key_of(const SaConfig&);

struct SaCounters {
    std::uint64_t packets_encrypted = 0;  // outbound packets protected (ESP, AH or bundle)
    std::uint64_t bytes_encrypted = 0;    // inner bytes protected
    std::uint64_t packets_decrypted = 0;  // inbound packets verified and decapsulated
    std::uint64_t bytes_decrypted = 0;    // inner bytes delivered
    std::uint64_t auth_failures = 0;
    std::uint64_t replay_drops = 0;
    std::uint64_t bad_padding = 0;
    std::uint64_t malformed = 0;           // truncated, misaligned, wrong next header, bad inner header
    std::uint64_t expired_drops = 0;       // hard lifetime reached
    std::uint64_t sequence_overflows = 0;  // outbound counter would cycle with anti-replay on
    friend bool operator==(const SaCounters&, const SaCounters&) = default;
};

// Counters for packets that no SA could be charged with.
struct GlobalCounters {
    std::uint64_t unknown_spi = 0;
    std::uint64_t malformed = 0;       // outer header unusable before any SA was found
    std::uint64_t no_outbound_sa = 0;  // protect() asked for an SA that is not installed
};

enum class ExpiryKind : std::uint8_t { soft, hard };

struct SaState {
    SaConfig config;  // keys included: the caller owns the secret and must not log it
    SaCounters counters;
    std::uint32_t last_sequence = 0;  // outbound: last sent; inbound: highest authenticated
    std::uint64_t lifetime_bytes = 0;
    std::chrono::steady_clock::duration age{};
    bool soft_expired = false;
    bool hard_expired = false;
};

enum class ErrorCode : std::uint8_t {
    invalid_argument,  // the SA configuration is inconsistent (key length, algorithm for protocol, ...)
    already_exists,
    not_found,
    unsupported,     // the crypto provider lacks an algorithm (e.g. no legacy provider for DES)
    crypto_failure,  // OpenSSL refused an operation it should not have
};

struct Error {
    ErrorCode code;
    std::string message;
};

// Outcome of a control-plane call: empty on success.
class Status {
  public:
    Status() = default;
    Status(Error error) : error_(std::move(error)) {}
    bool ok() const { return !error_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *error_; }

  private:
    std::optional<Error> error_;
};

template <typename T>
class Result {
  public:
    Result(T value) : value_(std::move(value)) {}
    Result(Error error) : value_(std::move(error)) {}
    bool ok() const { return std::holds_alternative<T>(value_); }
    explicit operator bool() const { return ok(); }
    const T& value() const { return std::get<T>(value_); }
    T& value() { return std::get<T>(value_); }
    const T& operator*() const { return value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<Error>(value_); }

  private:
    std::variant<T, Error> value_;
};

// Why the packet path refused a packet. Each is counted: per SA once an SA is known, globally before.
enum class DropReason : std::uint8_t {
    none,
    malformed,               // truncated or inconsistent lengths, bad outer header, misaligned ciphertext
    fragment,                // a fragment where a whole datagram is needed: reassemble first
    unknown_spi,             // no SA for (protocol, SPI, destination)
    encapsulation_mismatch,  // ESP in UDP for a plain SA, or plain ESP for a UDP-encapsulated SA
    auth_failure,            // ICV mismatch
    replay,                  // duplicate or older than the window
    bad_padding,             // pad length beyond the payload or padding bytes not 1, 2, 3, ...
    bad_next_header,         // next header not what the SA's mode carries
    dummy_packet,            // ESP next header 59 (RFC 4303 traffic flow confidentiality)
    sa_expired,              // hard lifetime reached
    sequence_overflow,       // RFC 4303 §3.3.3: the counter would cycle on an SA with anti-replay
    no_sa,                   // protect(): no outbound SA of that name
    too_big,                 // result would exceed 65535 bytes
    crypto_failure,
};
std::string_view to_string(DropReason);

}  // namespace msim::ipsec
