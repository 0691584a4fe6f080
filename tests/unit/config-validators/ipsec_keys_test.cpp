// Key sizes, hexadecimal decoding and the RFC 2409 weak/semi-weak DES key list.
#include <doctest/doctest.h>

#include <array>

#include "msim/config/ipsec_keys.hpp"

using namespace msim::config::validators;

TEST_CASE("key sizes per algorithm") {
    CHECK(key_bytes("des-cbc") == 8u);
    CHECK(key_bytes("3des-cbc") == 24u);
    CHECK(key_bytes("hmac-md5-96") == 16u);
    CHECK(key_bytes("hmac-sha1-96") == 20u);
    CHECK(key_bytes("aes-128-cbc") == 16u);
    CHECK(key_bytes("aes-256-cbc") == 32u);
    CHECK(key_bytes("hmac-sha-256-128") == 32u);
    CHECK_FALSE(key_bytes("rc4").has_value());
}

TEST_CASE("hexadecimal keys decode with or without 0x; bad digits are refused") {
    CHECK(key_material(KeyFormat::hexadecimal, "0x0aFF") == std::vector<std::uint8_t>{0x0a, 0xff});
    CHECK(key_material(KeyFormat::hexadecimal, "0aff") == std::vector<std::uint8_t>{0x0a, 0xff});
    CHECK_FALSE(key_material(KeyFormat::hexadecimal, "0af").has_value());
    CHECK_FALSE(key_material(KeyFormat::hexadecimal, "0g").has_value());
    CHECK(key_material(KeyFormat::ascii_text, "ab") == std::vector<std::uint8_t>{'a', 'b'});
    CHECK(key_material(KeyFormat::hexadecimal, "")->empty());
}

TEST_CASE("all 16 weak and semi-weak DES keys of RFC 2409 are detected, parity ignored") {
    const std::array<std::uint64_t, 16> listed{
        0x0101010101010101, 0x1F1F1F1F0E0E0E0E, 0xE0E0E0E0F1F1F1F1, 0xFEFEFEFEFEFEFEFE,
        0x01FE01FE01FE01FE, 0xFE01FE01FE01FE01, 0x1FE01FE00EF10EF1, 0xE01FE01FF10EF10E,
        0x01E001E001F101F1, 0xE001E001F101F101, 0x1FFE1FFE0EFE0EFE, 0xFE1FFE1FFE0EFE0E,
        0x011F011F010E010E, 0x1F011F010E010E01, 0xE0FEE0FEF1FEF1FE, 0xFEE0FEE0FEF1FEF1};
    for (std::uint64_t k : listed) {
        std::array<std::uint8_t, 8> key{};
        for (int i = 0; i < 8; ++i)
            key[i] = static_cast<std::uint8_t>(k >> (56 - 8 * i));
        CHECK(is_weak_des_key(key));
        for (auto& b : key)
            b ^= 0x01;  // flip every parity bit: still the same DES key
        CHECK(is_weak_des_key(key));
        key[3] ^= 0x10;  // change a key bit: no longer weak
        CHECK_FALSE(is_weak_des_key(key));
    }
    const std::array<std::uint8_t, 8> good{0x13, 0x34, 0x57, 0x79, 0x9B, 0xBC, 0xDF, 0xF1};
    CHECK_FALSE(is_weak_des_key(good));
}
