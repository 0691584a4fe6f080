// Minimal IPv4 header access for the ESP/AH code (RFC 791). Callers validate lengths first.
#pragma once

#include <cstddef>
#include <cstdint>

namespace msim::ipsec::detail {

inline std::uint16_t load16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
inline std::uint32_t load32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
inline void store16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void store32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

constexpr std::uint8_t proto_ipip = 4;
constexpr std::uint8_t proto_udp = 17;
constexpr std::uint8_t proto_esp = 50;
constexpr std::uint8_t proto_ah = 51;
constexpr std::uint8_t proto_none = 59;

constexpr std::size_t ipv4_min_header = 20;
constexpr std::uint16_t flag_df = 0x4000;
constexpr std::uint16_t flag_mf = 0x2000;
constexpr std::uint16_t offset_mask = 0x1fff;
constexpr std::uint8_t ecn_mask = 0x03;  // low two bits of the TOS byte (RFC 3168)
constexpr std::uint8_t ecn_ce = 0x03;    // congestion experienced

inline std::size_t header_length(const std::uint8_t* ip) {
    return std::size_t{ip[0] & 0x0fu} * 4;
}
inline std::uint16_t total_length(const std::uint8_t* ip) {
    return load16(ip + 2);
}
inline std::uint8_t protocol(const std::uint8_t* ip) {
    return ip[9];
}
inline std::uint32_t source(const std::uint8_t* ip) {
    return load32(ip + 12);
}
inline std::uint32_t destination(const std::uint8_t* ip) {
    return load32(ip + 16);
}

// RFC 1071 one's complement sum over the header.
inline std::uint16_t header_checksum(const std::uint8_t* ip, std::size_t length) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < length; i += 2) {
        sum += load16(ip + i);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

inline void set_checksum(std::uint8_t* ip) {
    store16(ip + 10, 0);
    store16(ip + 10, header_checksum(ip, header_length(ip)));
}

// Validates an IPv4 header within `available` bytes: version 4, IHL >= 5, header and total length
// inside the buffer. Returns the total length, or 0 when the header is unusable.
inline std::size_t checked_total_length(const std::uint8_t* ip, std::size_t available) {
    if (available < ipv4_min_header || (ip[0] >> 4) != 4) {
        return 0;
    }
    std::size_t hlen = header_length(ip);
    std::size_t tlen = total_length(ip);
    if (hlen < ipv4_min_header || hlen > available || tlen < hlen || tlen > available) {
        return 0;
    }
    return tlen;
}

}  // namespace msim::ipsec::detail
