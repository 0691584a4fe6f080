// Plain configuration and result types shared by the phase 1 and quick mode sessions.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "msim/kmd/crypto.hpp"
#include "msim/kmd/isakmp.hpp"

namespace msim::kmd {

struct Endpoint {
    std::array<std::uint8_t, 4> address{};  // IPv4, network order
    std::uint16_t port = 500;
    bool operator==(const Endpoint&) const = default;
    std::string to_string() const;
    static std::optional<Endpoint> parse(const std::string& dotted, std::uint16_t port = 500);
};

// A phase 1 identity (RFC 2407 4.6.2): the ID payload's type and data.
struct Identity {
    isakmp::IdType type = isakmp::IdType::Ipv4Addr;
    Bytes data;
    bool operator==(const Identity&) const = default;
    static Identity ipv4(const std::array<std::uint8_t, 4>& address);
    static Identity fqdn(const std::string& name);
    static Identity user_fqdn(const std::string& name);
    static Identity der_dn(Bytes der);
    std::string to_string() const;
};

// A quick mode proxy identity: an IPv4 subnet with protocol and port (0 = any).
struct TrafficSelector {
    std::array<std::uint8_t, 4> address{};
    std::uint8_t prefix_length = 32;
    std::uint8_t protocol = 0;
    std::uint16_t port = 0;
    bool operator==(const TrafficSelector&) const = default;
    isakmp::IdPayload to_id() const;
    static std::optional<TrafficSelector> from_id(const isakmp::IdPayload& id);
    std::string to_string() const;
};

// One `security ike proposal`.
struct IkeProposal {
    AuthMethod authentication = AuthMethod::PreSharedKey;
    DhGroup group = DhGroup::Modp1024;
    EncryptionAlgorithm encryption = EncryptionAlgorithm::TripleDesCbc;
    std::uint16_t key_bits = 0;  // AES only
    HashAlgorithm hash = HashAlgorithm::Sha1;
    std::uint32_t lifetime_seconds = 3600;
    bool operator==(const IkeProposal&) const = default;
};

enum class IpsecProtocol : std::uint8_t { Ah = 2, Esp = 3 };
// ESP transform ids (RFC 2407 4.4.4).
enum class EspCipher : std::uint8_t { Des = 2, TripleDes = 3, Null = 11, Aes = 12 };
// IPsec DOI authentication algorithm attribute (RFC 2407 4.5); AH transform ids follow from it.
enum class AuthAlgorithm : std::uint16_t { None = 0, HmacMd5 = 1, HmacSha1 = 2, HmacSha256 = 5 };
enum class EncapsulationMode : std::uint16_t {
    Tunnel = 1,
    Transport = 2,
    UdpTunnel = 3,           // RFC 3947
    UdpTransport = 4,        // RFC 3947
    UdpTunnelDraft = 61443,  // draft-ietf-ipsec-nat-t-ike
    UdpTransportDraft = 61444,
};
const char* to_string(EspCipher cipher);
const char* to_string(AuthAlgorithm alg);
const char* to_string(EncapsulationMode mode);
std::size_t esp_key_size(EspCipher cipher, std::uint16_t key_bits);
std::size_t auth_key_size(AuthAlgorithm alg);

// One `security ipsec proposal`: protocol ah, esp or bundle (AH + ESP).
struct IpsecProposal {
    enum class Protocol { Esp, Ah, Bundle } protocol = Protocol::Esp;
    EspCipher encryption = EspCipher::TripleDes;
    std::uint16_t key_bits = 0;  // AES only
    AuthAlgorithm authentication = AuthAlgorithm::HmacSha1;
    std::uint32_t lifetime_seconds = 28800;
    bool operator==(const IpsecProposal&) const = default;
};

// The keys and parameters of one IPsec SA, as ipsecd installs it.
struct IpsecSaKeys {
    IpsecProtocol protocol = IpsecProtocol::Esp;
    bool inbound = false;
    std::uint32_t spi = 0;
    EspCipher cipher = EspCipher::TripleDes;  // ESP only
    std::uint16_t key_bits = 0;
    AuthAlgorithm authentication = AuthAlgorithm::HmacSha1;
    Bytes encryption_key;
    Bytes authentication_key;
    EncapsulationMode mode = EncapsulationMode::Tunnel;
    std::uint32_t lifetime_seconds = 28800;
    Endpoint source, destination;
};

// The result of a quick mode exchange: an inbound and an outbound SA per protocol.
struct ChildSa {
    std::uint32_t message_id = 0;
    std::vector<IpsecSaKeys> sas;
    std::optional<TrafficSelector> local_selector, remote_selector;
    std::optional<DhGroup> pfs_group;
    std::uint32_t lifetime_seconds = 0;
};

// When to retransmit an unanswered message; the daemon runs the timers.
struct RetransmitPolicy {
    std::vector<std::chrono::milliseconds> intervals{std::chrono::seconds(2), std::chrono::seconds(4),
                                                     std::chrono::seconds(8), std::chrono::seconds(16)};
};

// What one call into a session produced: datagrams to send (in order) and, when the call failed, why.
struct Step {
    std::vector<Bytes> send;
    std::optional<Error> error;
    bool ok() const { return !error.has_value(); }
};

// Signature authentication (rsa-/dsa-signatures), implemented by the daemon on top of pkid.
class SignatureProvider {
  public:
    virtual ~SignatureProvider() = default;
    virtual AuthMethod method() const = 0;
    // The local certificate (DER), sent in a CERT payload when non-empty.
    virtual Bytes certificate() const = 0;
    // The DER distinguished name of the CA we ask the peer's certificate from (CERTREQ): by default the
    // issuer of our own certificate; empty (any CA) when there is none.
    virtual Bytes certificate_authority() const;
    // Signs HASH_I / HASH_R with the local private key (RFC 2409 5.1).
    virtual Result<Bytes> sign(ByteView hash) const = 0;
    // Validates the peer's certificates (chain, dates, revocation, identity) and the signature of `hash`.
    virtual Result<Ok> verify(ByteView hash, ByteView signature, const Identity& peer,
                              const std::vector<Bytes>& peer_certificates) const = 0;
};

// Inbound SPIs come from ipsecd's SPI range.
class SpiAllocator {
  public:
    virtual ~SpiAllocator() = default;
    virtual std::uint32_t allocate(IpsecProtocol protocol) = 0;
};

}  // namespace msim::kmd
