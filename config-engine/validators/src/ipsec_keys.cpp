#include "msim/config/ipsec_keys.hpp"

#include <array>

namespace msim::config::validators {

std::optional<std::size_t> key_bytes(std::string_view algorithm) {
    struct Size {
        std::string_view name;
        std::size_t bytes;
    };
    static constexpr std::array<Size, 8> sizes{{
        {"des-cbc", 8},
        {"3des-cbc", 24},
        {"aes-128-cbc", 16},
        {"aes-192-cbc", 24},
        {"aes-256-cbc", 32},
        {"hmac-md5-96", 16},
        {"hmac-sha1-96", 20},
        {"hmac-sha-256-128", 32},
    }};
    for (const auto& s : sizes)
        if (s.name == algorithm)
            return s.bytes;
    return std::nullopt;
}

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> key_material(KeyFormat format, std::string_view text) {
    if (format == KeyFormat::ascii_text)
        return std::vector<std::uint8_t>(text.begin(), text.end());
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        text.remove_prefix(2);
    if (text.size() % 2 != 0)
        return std::nullopt;
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        int hi = hex_digit(text[i]);
        int lo = hex_digit(text[i + 1]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    return out;
}

bool is_weak_des_key(std::span<const std::uint8_t, 8> key) {
    // RFC 2409 Appendix A: the 4 weak and 12 semi-weak DES keys.
    static constexpr std::array<std::array<std::uint8_t, 8>, 16> weak{{
        {0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01},
        {0x1F, 0x1F, 0x1F, 0x1F, 0x0E, 0x0E, 0x0E, 0x0E},
        {0xE0, 0xE0, 0xE0, 0xE0, 0xF1, 0xF1, 0xF1, 0xF1},
        {0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE},
        {0x01, 0xFE, 0x01, 0xFE, 0x01, 0xFE, 0x01, 0xFE},
        {0xFE, 0x01, 0xFE, 0x01, 0xFE, 0x01, 0xFE, 0x01},
        {0x1F, 0xE0, 0x1F, 0xE0, 0x0E, 0xF1, 0x0E, 0xF1},
        {0xE0, 0x1F, 0xE0, 0x1F, 0xF1, 0x0E, 0xF1, 0x0E},
        {0x01, 0xE0, 0x01, 0xE0, 0x01, 0xF1, 0x01, 0xF1},
        {0xE0, 0x01, 0xE0, 0x01, 0xF1, 0x01, 0xF1, 0x01},
        {0x1F, 0xFE, 0x1F, 0xFE, 0x0E, 0xFE, 0x0E, 0xFE},
        {0xFE, 0x1F, 0xFE, 0x1F, 0xFE, 0x0E, 0xFE, 0x0E},
        {0x01, 0x1F, 0x01, 0x1F, 0x01, 0x0E, 0x01, 0x0E},
        {0x1F, 0x01, 0x1F, 0x01, 0x0E, 0x01, 0x0E, 0x01},
        {0xE0, 0xFE, 0xE0, 0xFE, 0xF1, 0xFE, 0xF1, 0xFE},
        {0xFE, 0xE0, 0xFE, 0xE0, 0xFE, 0xF1, 0xFE, 0xF1},
    }};
    for (const auto& w : weak) {
        bool same = true;
        for (std::size_t i = 0; i < 8 && same; ++i)
            same = (w[i] & 0xFE) == (key[i] & 0xFE);  // the low bit of each byte is DES parity
        if (same)
            return true;
    }
    return false;
}

}  // namespace msim::config::validators
