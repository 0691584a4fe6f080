// Addresses, prefixes and the big-endian byte helpers every codec uses.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace msim::dataplane {

inline uint16_t load_be16(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t load_be32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline void store_be16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

// An IPv4 address held in host byte order so that masks and comparisons are plain integer operations.
struct Ipv4Address {
    uint32_t value = 0;

    constexpr Ipv4Address() = default;
    constexpr explicit Ipv4Address(uint32_t host_order) : value(host_order) {}
    constexpr Ipv4Address(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
        : value((uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | uint32_t{d}) {}

    // Dotted quad only ("10.1.1.1"); no shorthand forms, no leading zeros beyond one digit "0".
    static std::optional<Ipv4Address> parse(std::string_view text);
    std::string to_string() const;

    bool is_unspecified() const { return value == 0; }
    bool is_limited_broadcast() const { return value == 0xffffffffu; }
    bool is_multicast() const { return (value >> 28) == 0xe; }
    bool is_loopback() const { return (value >> 24) == 127; }

    auto operator<=>(const Ipv4Address&) const = default;
};

constexpr uint32_t prefix_mask(unsigned length) {
    return length == 0 ? 0u : (length >= 32 ? 0xffffffffu : ~((1u << (32 - length)) - 1u));
}

// An address with a prefix length. The address keeps its host bits (an interface address "10.1.1.254/24");
// network() clears them.
struct Ipv4Prefix {
    Ipv4Address address;
    uint8_t length = 0;

    // "A.B.C.D/N" or a bare address (taken as /32).
    static std::optional<Ipv4Prefix> parse(std::string_view text);
    std::string to_string() const;

    uint32_t mask() const { return prefix_mask(length); }
    Ipv4Prefix network() const { return {Ipv4Address(address.value & mask()), length}; }
    Ipv4Address broadcast() const { return Ipv4Address(address.value | ~mask()); }
    bool contains(Ipv4Address a) const { return (a.value & mask()) == (address.value & mask()); }
    bool contains(const Ipv4Prefix& p) const { return p.length >= length && contains(p.address); }
    bool overlaps(const Ipv4Prefix& p) const { return contains(p) || p.contains(*this); }

    auto operator<=>(const Ipv4Prefix&) const = default;
};

// Result of a configuration call: ok, or a message that says what is wrong (errors are values throughout
// this library; nothing in it throws on bad input).
struct [[nodiscard]] Status {
    std::string error;

    static Status success() { return {}; }
    static Status failure(std::string message) { return {std::move(message)}; }
    bool ok() const { return error.empty(); }
    explicit operator bool() const { return ok(); }
};

struct MacAddress {
    std::array<uint8_t, 6> bytes{};

    static constexpr MacAddress broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    // "00:05:85:aa:bb:cc" (colon or dash separated, hex, case-insensitive).
    static std::optional<MacAddress> parse(std::string_view text);
    // Lower-case, colon separated, two digits per byte as `show arp` prints them.
    std::string to_string() const;

    bool is_broadcast() const { return *this == broadcast(); }
    bool is_multicast() const { return (bytes[0] & 1) != 0; }
    bool is_zero() const { return *this == MacAddress{}; }

    auto operator<=>(const MacAddress&) const = default;
};

}  // namespace msim::dataplane
