// Helpers shared by the ipsec unit tests: packet builders and an SA pair factory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "msim/ipsec/engine.hpp"

namespace msim::ipsec::test {

inline std::uint16_t checksum(const std::uint8_t* p, std::size_t n) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2) {
        sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

// An IPv4/UDP datagram with a valid header checksum and a recognisable payload.
inline std::vector<std::uint8_t> udp_datagram(Ipv4Address src, Ipv4Address dst, std::size_t payload,
                                              bool df = true, std::uint8_t tos = 0x28) {
    std::size_t total = 20 + 8 + payload;
    std::vector<std::uint8_t> d(total);
    d[0] = 0x45;
    d[1] = tos;
    d[2] = static_cast<std::uint8_t>(total >> 8);
    d[3] = static_cast<std::uint8_t>(total);
    d[4] = 0x12;
    d[5] = 0x34;
    d[6] = df ? 0x40 : 0;
    d[8] = 63;
    d[9] = 17;
    for (int i = 0; i < 4; ++i) {
        d[12 + i] = static_cast<std::uint8_t>(src >> (24 - 8 * i));
        d[16 + i] = static_cast<std::uint8_t>(dst >> (24 - 8 * i));
    }
    std::uint16_t c = checksum(d.data(), 20);
    d[10] = static_cast<std::uint8_t>(c >> 8);
    d[11] = static_cast<std::uint8_t>(c);
    d[20] = 0x30;  // source port 12345
    d[21] = 0x39;
    d[22] = 0x00;  // destination port 7
    d[23] = 0x07;
    d[24] = static_cast<std::uint8_t>((8 + payload) >> 8);
    d[25] = static_cast<std::uint8_t>(8 + payload);
    for (std::size_t i = 0; i < payload; ++i) {
        d[28 + i] = static_cast<std::uint8_t>(i * 7 + 3);
    }
    return d;
}

inline std::vector<std::uint8_t> key_bytes(std::size_t n, std::uint8_t seed) {
    std::vector<std::uint8_t> k(n);
    for (std::size_t i = 0; i < n; ++i) {
        k[i] = static_cast<std::uint8_t>(seed + i * 13);
    }
    return k;
}

constexpr Ipv4Address gateway_a = 0x0a050505;  // 10.5.5.5
constexpr Ipv4Address gateway_b = 0x0a060606;  // 10.6.6.6
constexpr Ipv4Address host_a = 0x0a010105;     // 10.1.1.5
constexpr Ipv4Address host_b = 0x0a020205;     // 10.2.2.5

// The outbound SA on gateway A and its inbound twin on gateway B.
inline SaConfig outbound_sa(Protocol protocol, Cipher cipher, Integrity integrity, Mode mode,
                            std::uint32_t window = 0) {
    SaConfig c;
    c.name = "sa-" + std::string(to_string(protocol));
    c.direction = Direction::outbound;
    c.protocol = protocol;
    c.spi = 2312;
    c.auxiliary_spi = protocol == Protocol::bundle ? 2313 : 0;
    c.mode = mode;
    c.source = gateway_a;
    c.destination = gateway_b;
    if (protocol != Protocol::ah) {
        c.cipher = cipher;
        c.cipher_key = key_bytes(key_length(cipher), 0x11);
    }
    c.integrity = integrity;
    c.integrity_key = key_bytes(key_length(integrity), 0x5a);
    c.replay_window = window;
    return c;
}

inline SaConfig inbound_twin(SaConfig c) {
    c.direction = Direction::inbound;
    c.name.clear();
    return c;
}

}  // namespace msim::ipsec::test
