// Wire formats: Ethernet II, ARP (RFC 826), IPv4 (RFC 791), ICMP (RFC 792), UDP (RFC 768) and Cisco HDLC
// framing for point-to-point (so-) links. Every parse function validates each length before it reads and
// returns std::nullopt (or a ParseError) instead of touching bytes past the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "msim/dataplane/types.hpp"

namespace msim::dataplane {

namespace ethertype {
inline constexpr uint16_t kIpv4 = 0x0800;
inline constexpr uint16_t kArp = 0x0806;
}  // namespace ethertype

namespace ip_protocol {
inline constexpr uint8_t kIcmp = 1;
inline constexpr uint8_t kTcp = 6;
inline constexpr uint8_t kUdp = 17;
inline constexpr uint8_t kEsp = 50;
inline constexpr uint8_t kAh = 51;
}  // namespace ip_protocol

// RFC 1071 one's-complement sum. `checksum_fold(checksum_add(0, bytes))` is the value to store.
uint32_t checksum_add(uint32_t sum, std::span<const uint8_t> bytes);
uint16_t checksum_fold(uint32_t sum);
inline uint16_t internet_checksum(std::span<const uint8_t> bytes) {
    return checksum_fold(checksum_add(0, bytes));
}

// ---- Ethernet II ----
inline constexpr size_t kEthernetHeaderSize = 14;
inline constexpr size_t kEthernetMinFrame = 60;  // without FCS; shorter frames are padded on output

struct EthernetHeader {
    MacAddress destination;
    MacAddress source;
    uint16_t ethertype = 0;

    static std::optional<EthernetHeader> parse(std::span<const uint8_t> frame);
    void write(uint8_t* out) const;  // kEthernetHeaderSize bytes
};

// ---- Cisco HDLC (the so- framing: address, control, ethertype; RFC 1547 §4.3.1 describes it) ----
inline constexpr size_t kCiscoHdlcHeaderSize = 4;
namespace cisco_hdlc {
inline constexpr uint8_t kUnicast = 0x0f;
inline constexpr uint8_t kBroadcast = 0x8f;
inline constexpr uint16_t kSlarp = 0x8035;  // keepalives: accepted and counted, not answered
}  // namespace cisco_hdlc

struct CiscoHdlcHeader {
    uint8_t address = cisco_hdlc::kUnicast;
    uint16_t protocol = 0;

    static std::optional<CiscoHdlcHeader> parse(std::span<const uint8_t> frame);
    void write(uint8_t* out) const;  // kCiscoHdlcHeaderSize bytes
};

// ---- ARP for IPv4 over Ethernet ----
inline constexpr size_t kArpSize = 28;
namespace arp_op {
inline constexpr uint16_t kRequest = 1;
inline constexpr uint16_t kReply = 2;
}  // namespace arp_op

struct ArpMessage {
    uint16_t operation = arp_op::kRequest;
    MacAddress sender_mac;
    Ipv4Address sender_ip;
    MacAddress target_mac;
    Ipv4Address target_ip;

    // Only hardware type 1 (Ethernet), protocol 0x0800, lengths 6 and 4, operation 1 or 2.
    static std::optional<ArpMessage> parse(std::span<const uint8_t> payload);
    void write(uint8_t* out) const;  // kArpSize bytes
};

// ---- IPv4 ----
inline constexpr size_t kIpv4MinHeader = 20;

enum class Ipv4Error : uint8_t { kTruncated, kBadVersion, kBadHeaderLength, kBadTotalLength, kBadChecksum };
std::string_view to_string(Ipv4Error error);

struct Ipv4Header {
    uint8_t header_length = kIpv4MinHeader;  // bytes, options included
    uint8_t tos = 0;
    uint16_t total_length = 0;
    uint16_t identification = 0;
    bool dont_fragment = false;
    bool more_fragments = false;
    uint16_t fragment_offset = 0;  // in 8-byte units
    uint8_t ttl = 64;
    uint8_t protocol = 0;
    uint16_t checksum = 0;
    Ipv4Address source;
    Ipv4Address destination;

    bool is_fragment() const { return more_fragments || fragment_offset != 0; }

    struct Parsed;
    // Validates version, IHL, total length against the buffer and the header checksum. Options are
    // skipped (their bytes stay in the packet, header_length covers them).
    static Parsed parse(std::span<const uint8_t> datagram);
    // Writes a 20-byte header without options, with the checksum computed.
    void write(uint8_t* out) const;
};

struct Ipv4Header::Parsed {
    std::optional<Ipv4Header> header;
    Ipv4Error error = Ipv4Error::kTruncated;
    explicit operator bool() const { return header.has_value(); }
};

// Decrements the TTL of the header at `ip` and patches its checksum incrementally (RFC 1624).
void ipv4_decrement_ttl(uint8_t* ip);
// Recomputes the header checksum of the header at `ip` (header_length bytes).
void ipv4_update_checksum(uint8_t* ip, size_t header_length);

// ---- ICMP ----
inline constexpr size_t kIcmpHeaderSize = 8;
namespace icmp_type {
inline constexpr uint8_t kEchoReply = 0;
inline constexpr uint8_t kDestinationUnreachable = 3;
inline constexpr uint8_t kEchoRequest = 8;
inline constexpr uint8_t kTimeExceeded = 11;
}  // namespace icmp_type
namespace icmp_unreach {
inline constexpr uint8_t kNetwork = 0;
inline constexpr uint8_t kHost = 1;
inline constexpr uint8_t kProtocol = 2;
inline constexpr uint8_t kPort = 3;
inline constexpr uint8_t kFragmentationNeeded = 4;
inline constexpr uint8_t kAdministrativelyProhibited = 13;
}  // namespace icmp_unreach

struct IcmpHeader {
    uint8_t type = 0;
    uint8_t code = 0;
    uint16_t checksum = 0;
    uint32_t rest = 0;  // identifier+sequence for echo, next-hop MTU for frag-needed, unused otherwise

    uint16_t identifier() const { return static_cast<uint16_t>(rest >> 16); }
    uint16_t sequence() const { return static_cast<uint16_t>(rest); }

    // Parses and checks the checksum over the whole message.
    static std::optional<IcmpHeader> parse(std::span<const uint8_t> message);
};

// Writes an ICMP header into message[0..8) and computes the checksum over the whole message (the header's
// checksum field is ignored).
void icmp_write(std::span<uint8_t> message, uint8_t type, uint8_t code, uint32_t rest);

// ---- UDP ----
inline constexpr size_t kUdpHeaderSize = 8;

struct UdpHeader {
    uint16_t source_port = 0;
    uint16_t destination_port = 0;
    uint16_t length = 0;  // header + payload
    uint16_t checksum = 0;

    // Validates the length field against the segment and, when the checksum is not zero, the checksum
    // with the IPv4 pseudo-header.
    static std::optional<UdpHeader> parse(std::span<const uint8_t> segment, Ipv4Address source,
                                          Ipv4Address destination);
};

// Pseudo-header sum for TCP/UDP checksums (RFC 768).
uint32_t pseudo_header_sum(Ipv4Address source, Ipv4Address destination, uint8_t protocol, uint16_t length);
// Writes the header into segment[0..8) and computes the checksum over the segment (0 becomes 0xffff).
void udp_write(std::span<uint8_t> segment, Ipv4Address source, Ipv4Address destination, uint16_t source_port,
               uint16_t destination_port);

}  // namespace msim::dataplane
