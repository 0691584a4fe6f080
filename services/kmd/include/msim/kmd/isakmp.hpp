// ISAKMP message codec: RFC 2408 (framework), RFC 2407 (IPsec DOI), RFC 2409 (IKE), RFC 3947 (NAT-T).
// decode_* validate every length before reading and return an Error value on malformed input;
// encode_* produce the exact RFC byte layouts.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "msim/kmd/result.hpp"

namespace msim::kmd::isakmp {

using Cookie = std::array<std::uint8_t, 8>;

inline constexpr std::size_t kHeaderSize = 28;
inline constexpr std::size_t kMaxMessageSize = 65535 - 28;  // UDP payload bound
inline constexpr std::size_t kMaxPayloads = 64;             // payloads per message, incl. nested
inline constexpr std::uint8_t kVersion = 0x10;              // major 1, minor 0

enum class PayloadType : std::uint8_t {
    None = 0,
    SecurityAssociation = 1,
    Proposal = 2,
    Transform = 3,
    KeyExchange = 4,
    Identification = 5,
    Certificate = 6,
    CertificateRequest = 7,
    Hash = 8,
    Signature = 9,
    Nonce = 10,
    Notification = 11,
    Delete = 12,
    VendorId = 13,
    NatD = 20,        // RFC 3947
    NatOa = 21,       // RFC 3947
    NatDDraft = 130,  // draft-ietf-ipsec-nat-t-ike-02/03
    NatOaDraft = 131,
};

enum class ExchangeType : std::uint8_t {
    Base = 1,
    IdentityProtection = 2,  // main mode
    AuthenticationOnly = 3,
    Aggressive = 4,
    Informational = 5,
    Quick = 32,
};

namespace flags {
inline constexpr std::uint8_t Encryption = 0x01;
inline constexpr std::uint8_t Commit = 0x02;
inline constexpr std::uint8_t AuthenticationOnly = 0x04;
}  // namespace flags

enum class ProtocolId : std::uint8_t { Isakmp = 1, Ah = 2, Esp = 3, IpComp = 4 };

// RFC 2407 4.6.2.1 identification types.
enum class IdType : std::uint8_t {
    Ipv4Addr = 1,
    Fqdn = 2,
    UserFqdn = 3,
    Ipv4AddrSubnet = 4,
    Ipv6Addr = 5,
    Ipv6AddrSubnet = 6,
    Ipv4AddrRange = 7,
    Ipv6AddrRange = 8,
    DerAsn1Dn = 9,
    DerAsn1Gn = 10,
    KeyId = 11,
};

// RFC 2408 3.14.1 and RFC 2407 4.6.3 notify message types used by kmd.
namespace notify {
inline constexpr std::uint16_t InvalidPayloadType = 1;
inline constexpr std::uint16_t InvalidCookie = 4;
inline constexpr std::uint16_t InvalidExchangeType = 7;
inline constexpr std::uint16_t InvalidMessageId = 9;
inline constexpr std::uint16_t InvalidSpi = 11;
inline constexpr std::uint16_t NoProposalChosen = 14;
inline constexpr std::uint16_t PayloadMalformed = 16;
inline constexpr std::uint16_t InvalidKeyInformation = 17;
inline constexpr std::uint16_t InvalidIdInformation = 18;
inline constexpr std::uint16_t InvalidHashInformation = 23;
inline constexpr std::uint16_t AuthenticationFailed = 24;
inline constexpr std::uint16_t InvalidSignature = 25;
inline constexpr std::uint16_t ResponderLifetime = 24576;
inline constexpr std::uint16_t ReplayStatus = 24577;
inline constexpr std::uint16_t InitialContact = 24578;
inline constexpr std::uint16_t DpdRUThere = 36136;
inline constexpr std::uint16_t DpdRUThereAck = 36137;
}  // namespace notify

// Data attribute (RFC 2408 3.3): basic (AF=1, 16-bit value) or variable length (TLV).
struct Attribute {
    std::uint16_t type = 0;
    bool basic = true;
    std::uint16_t value = 0;  // when basic
    Bytes data;               // when variable length

    static Attribute make_basic(std::uint16_t type, std::uint16_t value);
    // Basic when the value fits 16 bits, else a 4-byte variable attribute (life duration).
    static Attribute make_number(std::uint16_t type, std::uint64_t value);
    // The value as a number; nullopt when a variable attribute is longer than 8 bytes.
    std::optional<std::uint64_t> number() const;
    bool operator==(const Attribute&) const = default;
};

struct Transform {
    std::uint8_t number = 1;
    std::uint8_t id = 1;  // KEY_IKE (1) for phase 1; ESP/AH transform id for phase 2
    std::vector<Attribute> attributes;

    const Attribute* find(std::uint16_t type) const;
    bool operator==(const Transform&) const = default;
};

struct Proposal {
    std::uint8_t number = 1;
    ProtocolId protocol = ProtocolId::Isakmp;
    Bytes spi;
    std::vector<Transform> transforms;
    bool operator==(const Proposal&) const = default;
};

struct SaPayload {
    std::uint32_t doi = 1;        // IPsec DOI
    std::uint32_t situation = 1;  // SIT_IDENTITY_ONLY
    std::vector<Proposal> proposals;
    bool operator==(const SaPayload&) const = default;
};

struct KePayload {
    Bytes data;
    bool operator==(const KePayload&) const = default;
};

struct IdPayload {
    IdType type = IdType::Ipv4Addr;
    std::uint8_t protocol = 0;
    std::uint16_t port = 0;
    Bytes data;
    bool operator==(const IdPayload&) const = default;
};

struct CertPayload {
    std::uint8_t encoding = 4;  // X.509 certificate - signature
    Bytes data;
    bool operator==(const CertPayload&) const = default;
};

struct CertRequestPayload {
    std::uint8_t encoding = 4;
    Bytes authority;  // DER DN of the CA, may be empty
    bool operator==(const CertRequestPayload&) const = default;
};

struct HashPayload {
    Bytes data;
    bool operator==(const HashPayload&) const = default;
};

struct SignaturePayload {
    Bytes data;
    bool operator==(const SignaturePayload&) const = default;
};

struct NoncePayload {
    Bytes data;
    bool operator==(const NoncePayload&) const = default;
};

struct NotifyPayload {
    std::uint32_t doi = 1;
    ProtocolId protocol = ProtocolId::Isakmp;
    std::uint16_t type = 0;
    Bytes spi;
    Bytes data;
    bool operator==(const NotifyPayload&) const = default;
};

struct DeletePayload {
    std::uint32_t doi = 1;
    ProtocolId protocol = ProtocolId::Isakmp;
    std::uint8_t spi_size = 16;
    std::vector<Bytes> spis;  // each spi_size bytes
    bool operator==(const DeletePayload&) const = default;
};

struct VendorIdPayload {
    Bytes data;
    bool operator==(const VendorIdPayload&) const = default;
};

struct NatDPayload {
    Bytes hash;
    bool draft = false;  // payload type 130 instead of 20
    bool operator==(const NatDPayload&) const = default;
};

struct NatOaPayload {
    IdType type = IdType::Ipv4Addr;
    Bytes address;
    bool draft = false;  // payload type 131 instead of 21
    bool operator==(const NatOaPayload&) const = default;
};

// A payload kmd does not know; kept so callers can log it. Never fatal.
struct UnknownPayload {
    std::uint8_t type = 0;
    Bytes body;
    bool operator==(const UnknownPayload&) const = default;
};

using Payload = std::variant<SaPayload, KePayload, IdPayload, CertPayload, CertRequestPayload, HashPayload,
                             SignaturePayload, NoncePayload, NotifyPayload, DeletePayload, VendorIdPayload,
                             NatDPayload, NatOaPayload, UnknownPayload>;

PayloadType payload_type(const Payload& payload);

struct Header {
    Cookie initiator_cookie{};
    Cookie responder_cookie{};
    PayloadType next_payload = PayloadType::None;
    std::uint8_t version = kVersion;
    ExchangeType exchange = ExchangeType::IdentityProtection;
    std::uint8_t flags = 0;
    std::uint32_t message_id = 0;
    std::uint32_t length = 0;  // filled by the encoder
};

struct Message {
    Header header;
    std::vector<Payload> payloads;
};

// A framed packet: its header and the body after it (ciphertext when flags::Encryption is set).
struct Packet {
    Header header;
    std::span<const std::uint8_t> body;
};

// Reads the header and checks the declared length against the datagram (trailing bytes are refused).
Result<Packet> parse_packet(std::span<const std::uint8_t> datagram);

// Decodes a payload chain that starts with payload type `first`. With allow_trailing (a decrypted
// body), bytes after the last payload are padding and ignored; otherwise they are an error.
// When `raw` is given it receives, per payload, its bytes including the 4-byte generic header (views into
// `body`): HASH(1..3) and HASH_I/R are computed over the bytes the peer sent, never over a re-encoding.
Result<std::vector<Payload>> decode_payloads(PayloadType first, std::span<const std::uint8_t> body,
                                             bool allow_trailing,
                                             std::vector<std::span<const std::uint8_t>>* raw = nullptr);

// parse_packet + decode_payloads for a plaintext message; an encrypted message is an error here.
Result<Message> decode(std::span<const std::uint8_t> datagram);

// A payload chain with next-payload fields set; returns the bytes and the type of the first payload.
Bytes encode_payloads(const std::vector<Payload>& payloads);
// The body of one payload without its 4-byte generic header (what HASH_I/R and HASH(n) cover).
Bytes encode_payload_body(const Payload& payload);
void encode_header(const Header& header, Bytes& out);
// Data attributes alone (the body of a RESPONDER-LIFETIME notification, RFC 2407 4.6.3.1).
Bytes encode_attributes(const std::vector<Attribute>& attributes);
Result<std::vector<Attribute>> decode_attributes(std::span<const std::uint8_t> data);
// Header (next_payload taken from the first payload, length computed) followed by the payloads.
Bytes encode(const Header& header, const std::vector<Payload>& payloads);

// Vendor IDs strongSwan (and others) send, recognised by their hashes.
enum class KnownVendor {
    Unknown,
    NatTraversalRfc3947,
    NatTraversalDraft02,
    NatTraversalDraft02N,
    NatTraversalDraft03,
    DeadPeerDetection,
    XAuth,
    Fragmentation,
    StrongSwan,
    CiscoUnity,
};
KnownVendor classify_vendor_id(std::span<const std::uint8_t> vid);
Bytes vendor_id(KnownVendor vendor);
const char* to_string(KnownVendor vendor);
const char* to_string(PayloadType type);

// Attribute type numbers (RFC 2409 appendix A, RFC 2407 4.5).
namespace ike_attr {
inline constexpr std::uint16_t Encryption = 1;
inline constexpr std::uint16_t Hash = 2;
inline constexpr std::uint16_t AuthMethod = 3;
inline constexpr std::uint16_t GroupDescription = 4;
inline constexpr std::uint16_t LifeType = 11;
inline constexpr std::uint16_t LifeDuration = 12;
inline constexpr std::uint16_t KeyLength = 14;
}  // namespace ike_attr

namespace ipsec_attr {
inline constexpr std::uint16_t LifeType = 1;
inline constexpr std::uint16_t LifeDuration = 2;
inline constexpr std::uint16_t GroupDescription = 3;
inline constexpr std::uint16_t EncapsulationMode = 4;
inline constexpr std::uint16_t AuthAlgorithm = 5;
inline constexpr std::uint16_t KeyLength = 6;
}  // namespace ipsec_attr

inline constexpr std::uint16_t kLifeTypeSeconds = 1;
inline constexpr std::uint16_t kLifeTypeKilobytes = 2;

}  // namespace msim::kmd::isakmp
