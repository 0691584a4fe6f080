#include "msim/dataplane/types.hpp"

#include <charconv>
#include <cstdio>

namespace msim::dataplane {

namespace {

// Parses a decimal number in [0, max] consuming the whole of `text`.
std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) {
    if (text.empty() || text.size() > 3 || (text.size() > 1 && text[0] == '0')) {
        return std::nullopt;
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value > max) {
        return std::nullopt;
    }
    return value;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
        const size_t dot = text.find('.');
        const std::string_view part = i < 3 ? text.substr(0, dot) : text;
        if (i < 3 && dot == std::string_view::npos) {
            return std::nullopt;
        }
        auto octet = parse_decimal(part, 255);
        if (!octet) {
            return std::nullopt;
        }
        value = (value << 8) | *octet;
        if (i < 3) {
            text.remove_prefix(dot + 1);
        }
    }
    return Ipv4Address(value);
}

std::string Ipv4Address::to_string() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                  value & 0xff);
    return buf;
}

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
    const size_t slash = text.find('/');
    auto address = Ipv4Address::parse(text.substr(0, slash));
    if (!address) {
        return std::nullopt;
    }
    if (slash == std::string_view::npos) {
        return Ipv4Prefix{*address, 32};
    }
    auto length = parse_decimal(text.substr(slash + 1), 32);
    if (!length) {
        return std::nullopt;
    }
    return Ipv4Prefix{*address, static_cast<uint8_t>(*length)};
}

std::string Ipv4Prefix::to_string() const {
    return address.to_string() + "/" + std::to_string(length);
}

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
    if (text.size() != 17) {
        return std::nullopt;
    }
    MacAddress mac;
    for (size_t i = 0; i < 6; ++i) {
        const int hi = hex_digit(text[i * 3]);
        const int lo = hex_digit(text[i * 3 + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-')) {
            return std::nullopt;
        }
        mac.bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    return mac;
}

std::string MacAddress::to_string() const {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2], bytes[3],
                  bytes[4], bytes[5]);
    return buf;
}

}  // namespace msim::dataplane
