#include "msim/dataplane/protocols.hpp"

#include <cstring>

namespace msim::dataplane {

uint32_t checksum_add(uint32_t sum, std::span<const uint8_t> bytes) {
    uint64_t acc = sum;
    size_t i = 0;
    const size_t n = bytes.size();
    const uint8_t* p = bytes.data();
    for (; i + 1 < n; i += 2) {
        acc += (uint32_t{p[i]} << 8) | p[i + 1];
    }
    if (i < n) {
        acc += uint32_t{p[i]} << 8;  // odd length: pad with a zero byte
    }
    while (acc >> 32) {
        acc = (acc & 0xffffffffu) + (acc >> 32);
    }
    return static_cast<uint32_t>(acc);
}

uint16_t checksum_fold(uint32_t sum) {
    while (sum >> 16) {
        sum = (sum & 0xffffu) + (sum >> 16);
    }
    return static_cast<uint16_t>(~sum & 0xffffu);
}

// ---- Ethernet ----

std::optional<EthernetHeader> EthernetHeader::parse(std::span<const uint8_t> frame) {
    if (frame.size() < kEthernetHeaderSize) {
        return std::nullopt;
    }
    EthernetHeader h;
    std::memcpy(h.destination.bytes.data(), frame.data(), 6);
    std::memcpy(h.source.bytes.data(), frame.data() + 6, 6);
    h.ethertype = load_be16(frame.data() + 12);
    return h;
}

void EthernetHeader::write(uint8_t* out) const {
    std::memcpy(out, destination.bytes.data(), 6);
    std::memcpy(out + 6, source.bytes.data(), 6);
    store_be16(out + 12, ethertype);
}

// ---- Cisco HDLC ----

std::optional<CiscoHdlcHeader> CiscoHdlcHeader::parse(std::span<const uint8_t> frame) {
    if (frame.size() < kCiscoHdlcHeaderSize) {
        return std::nullopt;
    }
    if ((frame[0] != cisco_hdlc::kUnicast && frame[0] != cisco_hdlc::kBroadcast) || frame[1] != 0) {
        return std::nullopt;
    }
    return CiscoHdlcHeader{frame[0], load_be16(frame.data() + 2)};
}

void CiscoHdlcHeader::write(uint8_t* out) const {
    out[0] = address;
    out[1] = 0;
    store_be16(out + 2, protocol);
}

// ---- ARP ----

std::optional<ArpMessage> ArpMessage::parse(std::span<const uint8_t> payload) {
    if (payload.size() < kArpSize) {
        return std::nullopt;
    }
    const uint8_t* p = payload.data();
    if (load_be16(p) != 1 || load_be16(p + 2) != ethertype::kIpv4 || p[4] != 6 || p[5] != 4) {
        return std::nullopt;
    }
    ArpMessage m;
    m.operation = load_be16(p + 6);
    if (m.operation != arp_op::kRequest && m.operation != arp_op::kReply) {
        return std::nullopt;
    }
    std::memcpy(m.sender_mac.bytes.data(), p + 8, 6);
    m.sender_ip = Ipv4Address(load_be32(p + 14));
    std::memcpy(m.target_mac.bytes.data(), p + 18, 6);
    m.target_ip = Ipv4Address(load_be32(p + 24));
    return m;
}

void ArpMessage::write(uint8_t* out) const {
    store_be16(out, 1);
    store_be16(out + 2, ethertype::kIpv4);
    out[4] = 6;
    out[5] = 4;
    store_be16(out + 6, operation);
    std::memcpy(out + 8, sender_mac.bytes.data(), 6);
    store_be32(out + 14, sender_ip.value);
    std::memcpy(out + 18, target_mac.bytes.data(), 6);
    store_be32(out + 24, target_ip.value);
}

// ---- IPv4 ----

std::string_view to_string(Ipv4Error error) {
    switch (error) {
        case Ipv4Error::kTruncated:
            return "truncated";
        case Ipv4Error::kBadVersion:
            return "bad-version";
        case Ipv4Error::kBadHeaderLength:
            return "bad-header-length";
        case Ipv4Error::kBadTotalLength:
            return "bad-total-length";
        case Ipv4Error::kBadChecksum:
            return "bad-checksum";
    }
    return "unknown";
}

Ipv4Header::Parsed Ipv4Header::parse(std::span<const uint8_t> datagram) {
    Parsed result;
    if (datagram.size() < kIpv4MinHeader) {
        result.error = Ipv4Error::kTruncated;
        return result;
    }
    const uint8_t* p = datagram.data();
    if ((p[0] >> 4) != 4) {
        result.error = Ipv4Error::kBadVersion;
        return result;
    }
    const size_t ihl = size_t{p[0] & 0x0fu} * 4;
    if (ihl < kIpv4MinHeader) {
        result.error = Ipv4Error::kBadHeaderLength;
        return result;
    }
    if (ihl > datagram.size()) {
        result.error = Ipv4Error::kTruncated;
        return result;
    }
    const uint16_t total = load_be16(p + 2);
    if (total < ihl) {
        result.error = Ipv4Error::kBadTotalLength;
        return result;
    }
    if (total > datagram.size()) {
        result.error = Ipv4Error::kTruncated;
        return result;
    }
    if (internet_checksum(datagram.first(ihl)) != 0) {
        result.error = Ipv4Error::kBadChecksum;
        return result;
    }
    Ipv4Header h;
    h.header_length = static_cast<uint8_t>(ihl);
    h.tos = p[1];
    h.total_length = total;
    h.identification = load_be16(p + 4);
    const uint16_t frag = load_be16(p + 6);
    h.dont_fragment = (frag & 0x4000) != 0;
    h.more_fragments = (frag & 0x2000) != 0;
    h.fragment_offset = frag & 0x1fff;
    h.ttl = p[8];
    h.protocol = p[9];
    h.checksum = load_be16(p + 10);
    h.source = Ipv4Address(load_be32(p + 12));
    h.destination = Ipv4Address(load_be32(p + 16));
    result.header = h;
    return result;
}

void Ipv4Header::write(uint8_t* out) const {
    out[0] = 0x45;
    out[1] = tos;
    store_be16(out + 2, total_length);
    store_be16(out + 4, identification);
    store_be16(out + 6, static_cast<uint16_t>((dont_fragment ? 0x4000 : 0) | (more_fragments ? 0x2000 : 0) |
                                              (fragment_offset & 0x1fff)));
    out[8] = ttl;
    out[9] = protocol;
    store_be16(out + 10, 0);
    store_be32(out + 12, source.value);
    store_be32(out + 16, destination.value);
    store_be16(out + 10, internet_checksum({out, kIpv4MinHeader}));
}

void ipv4_decrement_ttl(uint8_t* ip) {
    // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), m the 16-bit word holding TTL and protocol.
    const uint16_t old_word = load_be16(ip + 8);
    ip[8] = static_cast<uint8_t>(ip[8] - 1);
    const uint16_t new_word = load_be16(ip + 8);
    uint32_t sum = static_cast<uint16_t>(~load_be16(ip + 10));
    sum += static_cast<uint16_t>(~old_word);
    sum += new_word;
    store_be16(ip + 10, checksum_fold(sum));
}

void ipv4_update_checksum(uint8_t* ip, size_t header_length) {
    store_be16(ip + 10, 0);
    store_be16(ip + 10, internet_checksum({ip, header_length}));
}

// ---- ICMP ----

std::optional<IcmpHeader> IcmpHeader::parse(std::span<const uint8_t> message) {
    if (message.size() < kIcmpHeaderSize || internet_checksum(message) != 0) {
        return std::nullopt;
    }
    IcmpHeader h;
    h.type = message[0];
    h.code = message[1];
    h.checksum = load_be16(message.data() + 2);
    h.rest = load_be32(message.data() + 4);
    return h;
}

void icmp_write(std::span<uint8_t> message, uint8_t type, uint8_t code, uint32_t rest) {
    message[0] = type;
    message[1] = code;
    store_be16(message.data() + 2, 0);
    store_be32(message.data() + 4, rest);
    store_be16(message.data() + 2, internet_checksum(message));
}

// ---- UDP ----

uint32_t pseudo_header_sum(Ipv4Address source, Ipv4Address destination, uint8_t protocol, uint16_t length) {
    uint32_t sum = (source.value >> 16) + (source.value & 0xffff);
    sum += (destination.value >> 16) + (destination.value & 0xffff);
    sum += protocol;
    sum += length;
    return sum;
}

std::optional<UdpHeader> UdpHeader::parse(std::span<const uint8_t> segment, Ipv4Address source,
                                          Ipv4Address destination) {
    if (segment.size() < kUdpHeaderSize) {
        return std::nullopt;
    }
    UdpHeader h;
    h.source_port = load_be16(segment.data());
    h.destination_port = load_be16(segment.data() + 2);
    h.length = load_be16(segment.data() + 4);
    h.checksum = load_be16(segment.data() + 6);
    if (h.length < kUdpHeaderSize || h.length > segment.size()) {
        return std::nullopt;
    }
    if (h.checksum != 0) {
        const uint32_t sum = pseudo_header_sum(source, destination, ip_protocol::kUdp, h.length);
        if (checksum_fold(checksum_add(sum, segment.first(h.length))) != 0) {
            return std::nullopt;
        }
    }
    return h;
}

void udp_write(std::span<uint8_t> segment, Ipv4Address source, Ipv4Address destination, uint16_t source_port,
               uint16_t destination_port) {
    const auto length = static_cast<uint16_t>(segment.size());
    store_be16(segment.data(), source_port);
    store_be16(segment.data() + 2, destination_port);
    store_be16(segment.data() + 4, length);
    store_be16(segment.data() + 6, 0);
    uint16_t sum = checksum_fold(
        checksum_add(pseudo_header_sum(source, destination, ip_protocol::kUdp, length), segment));
    store_be16(segment.data() + 6, sum == 0 ? 0xffff : sum);
}

}  // namespace msim::dataplane
