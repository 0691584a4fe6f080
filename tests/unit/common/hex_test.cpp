// msim/common/hex.hpp: the one hex codec of the IPC messages and configuration values.
#include <doctest/doctest.h>

#include "msim/common/hex.hpp"

using msim::from_hex;
using msim::from_hex_lenient;
using msim::to_hex;
using Bytes = std::vector<std::uint8_t>;

TEST_CASE("hex: round trip, lowercase, empty") {
    const Bytes b{0x00, 0x0f, 0xa5, 0xff};
    CHECK(to_hex(b) == "000fa5ff");
    CHECK(from_hex("000FA5ff") == b);
    CHECK(to_hex(Bytes{}).empty());
    CHECK(from_hex("") == Bytes{});
}

TEST_CASE("hex: strict refuses separators, odd counts and other characters") {
    CHECK_FALSE(from_hex("0").has_value());
    CHECK_FALSE(from_hex("0g").has_value());
    CHECK_FALSE(from_hex("00 11").has_value());
    CHECK_FALSE(from_hex("00:11").has_value());
}

TEST_CASE("hex: lenient skips whitespace and colons, nothing else") {
    CHECK(from_hex_lenient("00:11\n22 33\t44") == Bytes{0x00, 0x11, 0x22, 0x33, 0x44});
    CHECK(from_hex_lenient("0 0") == Bytes{0x00});
    CHECK_FALSE(from_hex_lenient("001").has_value());
    CHECK_FALSE(from_hex_lenient("00-11").has_value());
}
