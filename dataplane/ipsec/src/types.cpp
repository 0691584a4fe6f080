#include <charconv>
#include <cstdio>

#include "msim/ipsec/types.hpp"

namespace msim::ipsec {

std::optional<Ipv4Address> parse_ipv4(std::string_view dotted) {
    Ipv4Address address = 0;
    for (int octet = 0; octet < 4; ++octet) {
        if (octet > 0) {
            if (dotted.empty() || dotted.front() != '.') {
                return std::nullopt;
            }
            dotted.remove_prefix(1);
        }
        unsigned value = 0;
        auto [end, ec] = std::from_chars(dotted.data(), dotted.data() + dotted.size(), value);
        std::size_t used = static_cast<std::size_t>(end - dotted.data());
        if (ec != std::errc{} || value > 255 || used == 0 || used > 3) {
            return std::nullopt;
        }
        dotted.remove_prefix(used);
        address = (address << 8) | value;
    }
    if (!dotted.empty()) {
        return std::nullopt;
    }
    return address;
}

std::string format_ipv4(Ipv4Address a) {
    char text[16];
    std::snprintf(text, sizeof text, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
    return text;
}

std::string_view to_string(Protocol p) {
    switch (p) {
        case Protocol::esp:
            return "esp";
        case Protocol::ah:
            return "ah";
        case Protocol::bundle:
            return "bundle";
    }
    return "?";
}

std::string_view to_string(Direction d) {
    return d == Direction::inbound ? "inbound" : "outbound";
}

std::string_view to_string(Mode m) {
    return m == Mode::tunnel ? "tunnel" : "transport";
}

std::string_view to_string(Cipher c) {
    switch (c) {
        case Cipher::null:
            return "null";
        case Cipher::des_cbc:
            return "des-cbc";
        case Cipher::des3_cbc:
            return "3des-cbc";
        case Cipher::aes128_cbc:
            return "aes-128-cbc";
        case Cipher::aes256_cbc:
            return "aes-256-cbc";
    }
    return "?";
}

std::string_view to_string(Integrity i) {
    switch (i) {
        case Integrity::none:
            return "none";
        case Integrity::hmac_md5_96:
            return "hmac-md5-96";
        case Integrity::hmac_sha1_96:
            return "hmac-sha1-96";
        case Integrity::hmac_sha256_128:
            return "hmac-sha-256-128";
    }
    return "?";
}

std::optional<Cipher> parse_cipher(std::string_view name) {
    for (Cipher c :
         {Cipher::null, Cipher::des_cbc, Cipher::des3_cbc, Cipher::aes128_cbc, Cipher::aes256_cbc}) {
        if (to_string(c) == name) {
            return c;
        }
    }
    return std::nullopt;
}

std::optional<Integrity> parse_integrity(std::string_view name) {
    for (Integrity i :
         {Integrity::none, Integrity::hmac_md5_96, Integrity::hmac_sha1_96, Integrity::hmac_sha256_128}) {
        if (to_string(i) == name) {
            return i;
        }
    }
    return std::nullopt;
}

std::size_t key_length(Cipher c) {
    switch (c) {
        case Cipher::null:
            return 0;
        case Cipher::des_cbc:
            return 8;
        case Cipher::des3_cbc:
            return 24;
        case Cipher::aes128_cbc:
            return 16;
        case Cipher::aes256_cbc:
            return 32;
    }
    return 0;
}

std::size_t key_length(Integrity i) {
    switch (i) {
        case Integrity::none:
            return 0;
        case Integrity::hmac_md5_96:
            return 16;
        case Integrity::hmac_sha1_96:
            return 20;
        case Integrity::hmac_sha256_128:
            return 32;
    }
    return 0;
}

SaKey key_of(const SaConfig& c) {
    return SaKey{c.direction, c.protocol, c.spi, c.destination};
}

std::string_view to_string(DropReason r) {
    switch (r) {
        case DropReason::none:
            return "none";
        case DropReason::malformed:
            return "malformed packet";
        case DropReason::fragment:
            return "fragment";
        case DropReason::unknown_spi:
            return "unknown SPI";
        case DropReason::encapsulation_mismatch:
            return "UDP encapsulation mismatch";
        case DropReason::auth_failure:
            return "authentication failure";
        case DropReason::replay:
            return "replay";
        case DropReason::bad_padding:
            return "bad padding";
        case DropReason::bad_next_header:
            return "bad next header";
        case DropReason::dummy_packet:
            return "dummy packet";
        case DropReason::sa_expired:
            return "SA expired";
        case DropReason::sequence_overflow:
            return "sequence number overflow";
        case DropReason::no_sa:
            return "no such SA";
        case DropReason::too_big:
            return "packet too big";
        case DropReason::crypto_failure:
            return "crypto failure";
    }
    return "?";
}

}  // namespace msim::ipsec
