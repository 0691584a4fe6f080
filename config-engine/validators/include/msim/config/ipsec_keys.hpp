// Key material rules for manually keyed IPsec SAs (RFC 2409 Appendix A weak keys, key lengths per
// algorithm). Pure functions over clear-text keys; used by the manual SA validator and reusable by
// ipsecd.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace msim::config::validators {

enum class KeyFormat { ascii_text, hexadecimal };

// Required key size in bytes for a manual SA algorithm (des-cbc 8, 3des-cbc 24, aes-128-cbc 16,
// aes-192-cbc 24, aes-256-cbc 32, hmac-md5-96 16, hmac-sha1-96 20, hmac-sha-256-128 32), or nullopt
// for an unknown algorithm name. An ascii-text key has one character per byte, a hexadecimal key two
// digits per byte.
std::optional<std::size_t> key_bytes(std::string_view algorithm);

// The key's bytes: ascii-text as is; hexadecimal decoded (an optional 0x prefix is ignored). Returns
// nullopt when the hexadecimal text has an odd number of digits or a non-hex character.
std::optional<std::vector<std::uint8_t>> key_material(KeyFormat format, std::string_view text);

// True when the 8 bytes are one of the 4 weak or 12 semi-weak DES keys of RFC 2409 Appendix A,
// comparing with the parity bit (the low bit of each byte) ignored.
bool is_weak_des_key(std::span<const std::uint8_t, 8> key);

}  // namespace msim::config::validators
