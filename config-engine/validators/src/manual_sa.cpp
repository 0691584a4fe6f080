// Manual SA checks: SPI/protocol uniqueness, bundle and auxiliary-spi, ah without encryption, key
// lengths and DES key strength.
#include <charconv>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "data_tree.hpp"
#include "msim/config/ipsec_keys.hpp"
#include "msim/config/validators.hpp"

namespace msim::config::validators {

using namespace detail;

namespace {

// Checks the key of an authentication or encryption block against its algorithm.
void check_key(const lyd_node* block, Errors& out) {
    const std::string_view algorithm = leaf(block, "algorithm");
    const lyd_node* key = child(block, "key");
    const auto bytes = key_bytes(algorithm);
    if (!key || !bytes)
        return;
    KeyFormat format = KeyFormat::ascii_text;
    std::string_view text = leaf(key, "ascii-text");
    if (!has(key, "ascii-text")) {
        format = KeyFormat::hexadecimal;
        text = leaf(key, "hexadecimal");
    }
    std::string_view digits = text;
    if (format == KeyFormat::hexadecimal && digits.size() >= 2 && digits[0] == '0' &&
        (digits[1] == 'x' || digits[1] == 'X'))
        digits.remove_prefix(2);
    const std::size_t want = format == KeyFormat::ascii_text ? *bytes : 2 * *bytes;
    const auto material = key_material(format, text);
    if (digits.size() != want || !material) {
        out.push_back(error_at(
            block, "key",
            "Key length invalid: " + std::string(algorithm) + " requires " + std::to_string(want) +
                (format == KeyFormat::ascii_text ? " ascii-text characters" : " hexadecimal digits")));
        return;
    }
    if (algorithm == "des-cbc") {
        if (is_weak_des_key(std::span<const std::uint8_t, 8>(material->data(), 8)))
            out.push_back(error_at(block, "key", "DES key is a weak or semi-weak key (RFC 2409)"));
    } else if (algorithm == "3des-cbc") {
        for (std::size_t part = 0; part < 3; ++part)
            if (is_weak_des_key(std::span<const std::uint8_t, 8>(material->data() + 8 * part, 8)))
                out.push_back(error_at(block, "key",
                                       "3DES key part " + std::to_string(part + 1) +
                                           " is a weak or semi-weak DES key (RFC 2409)"));
        bool equal = true;
        for (std::size_t i = 0; i < 8 && equal; ++i)
            equal = ((*material)[i] & 0xFE) == ((*material)[8 + i] & 0xFE);
        if (equal)
            out.push_back(
                error_at(block, "key", "3DES key is invalid: its first and second 8-byte parts are equal"));
    }
}

// Rules local to one direction block.
void check_direction(const lyd_node* dir, Errors& out) {
    const std::string_view protocol = leaf(dir, "protocol");
    const bool aux = has(dir, "auxiliary-spi");
    if (protocol == "bundle" && !aux)
        out.push_back(error_at(dir, statement("protocol", protocol),
                               "auxiliary-spi must be configured with protocol bundle"));
    if (protocol != "bundle" && aux)
        out.push_back(error_at(dir, statement("auxiliary-spi", leaf(dir, "auxiliary-spi")),
                               "auxiliary-spi is valid only with protocol bundle"));
    if (protocol == "ah" && has(dir, "encryption"))
        out.push_back(error_at(dir, "encryption", "Encryption cannot be configured with protocol ah"));
    if (const lyd_node* a = child(dir, "authentication"))
        check_key(a, out);
    if (const lyd_node* e = child(dir, "encryption"))
        check_key(e, out);
}

unsigned direction_mask(std::string_view direction) {
    if (direction == "inbound")
        return 1;
    if (direction == "outbound")
        return 2;
    return 3;  // bidirectional, bi-directional
}

struct SpiUse {
    unsigned directions;
    std::string_view sa;
};

}  // namespace

Errors check_manual_sas(const lyd_node* root) {
    Errors out;
    // SPI + protocol must identify one SA per direction: an AH SPI and an ESP SPI may be equal, and
    // inbound and outbound SAs never meet in one lookup; bidirectional overlaps both.
    std::unordered_map<std::uint32_t, std::vector<SpiUse>> used;
    auto claim = [&](const lyd_node* dir, std::string_view sa, std::string_view keyword,
                     std::string_view spi_text, std::string_view protocol) {
        std::uint32_t spi = 0;
        const auto [end, ec] = std::from_chars(spi_text.data(), spi_text.data() + spi_text.size(), spi);
        if (spi_text.empty() || ec != std::errc() || end != spi_text.data() + spi_text.size())
            return;          // libyang's type check reports a malformed SPI
        spi &= 0x7fffffffu;  // the range is 256..16639; keep the shift below in 32 bits
        const std::uint32_t slot = spi << 1 | (protocol == "ah" ? 1u : 0u);
        const unsigned mask = direction_mask(leaf(dir, "name"));
        auto& uses = used[slot];
        for (const auto& u : uses)
            if (u.directions & mask) {
                out.push_back(error_at(dir, statement(keyword, spi_text),
                                       "SPI " + std::string(spi_text) + " with protocol " +
                                           std::string(protocol) +
                                           " is already used by security-association " + std::string(u.sa)));
                return;
            }
        uses.push_back({mask, sa});
    };

    const lyd_node* ipsec = descend(top(root, "security"), {"ipsec"});
    each(ipsec, "security-association", [&](const lyd_node* sa) {
        const std::string_view name = leaf(sa, "name");
        each(child(sa, "manual"), "direction", [&](const lyd_node* dir) {
            check_direction(dir, out);
            const std::string_view protocol = leaf(dir, "protocol");
            if (protocol == "bundle") {
                claim(dir, name, "spi", leaf(dir, "spi"), "ah");
                claim(dir, name, "auxiliary-spi", leaf(dir, "auxiliary-spi"), "esp");
            } else {
                claim(dir, name, "spi", leaf(dir, "spi"), protocol);
            }
        });
    });

    // AS PIC manual SAs live in IPsec VPN rule terms; their SPIs are scoped by service set, so only
    // the per-direction rules apply here.
    each(descend(top(root, "services"), {"ipsec-vpn"}), "rule", [&](const lyd_node* rule) {
        each(rule, "term", [&](const lyd_node* term) {
            each(descend(term, {"then", "manual"}), "direction",
                 [&](const lyd_node* dir) { check_direction(dir, out); });
        });
    });
    return out;
}

}  // namespace msim::config::validators
