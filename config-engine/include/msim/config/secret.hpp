// The reversible Junos "$9$" encoding of secrets (pre-shared keys, SA keys, passwords). It is an
// obfuscation, not encryption: it keeps secrets out of casual sight in files and output.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace msim::config {

// Encodes `plain` with a random salt (OpenSSL RAND_bytes) and random padding.
std::string encode_secret(std::string_view plain);
// Deterministic variant for tests: `salt` must be one of the 65 alphabet characters and `padding`
// at least as long as the salt asks for.
std::string encode_secret(std::string_view plain, char salt, std::string_view padding);
// Decodes "$9$..."; nullopt when the text is not a well-formed $9$ string.
std::optional<std::string> decode_secret(std::string_view encoded);
bool is_secret_encoded(std::string_view text);

}  // namespace msim::config
