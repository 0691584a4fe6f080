// Hexadecimal text for bytes in IPC messages and configuration values (keys, certificates, datagrams).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace msim {

// Lowercase, two digits per byte, no separators.
std::string to_hex(std::span<const std::uint8_t> bytes);

// Strict: pairs of hex digits only (either case); nullopt for an odd count or any other character.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

// Lenient, for text people paste (fingerprints, wrapped blocks): ASCII whitespace and ':' between digits
// are skipped; otherwise as from_hex.
std::optional<std::vector<std::uint8_t>> from_hex_lenient(std::string_view text);

}  // namespace msim
