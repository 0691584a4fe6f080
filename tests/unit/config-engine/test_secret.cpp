#include <doctest/doctest.h>

#include <vector>

#include "msim/config/secret.hpp"

using namespace msim::config;

TEST_CASE("$9$: round trip with random salts") {
    for (std::string plain : std::vector<std::string>{"", "a", "1234123412341234", "123456789009876543211234",
                                                      "p@ss word \"x\"", std::string("\xff\x01\x80", 3)}) {
        auto enc = encode_secret(plain);
        CHECK(enc.rfind("$9$", 0) == 0);
        auto dec = decode_secret(enc);
        REQUIRE(dec);
        CHECK(*dec == plain);
        if (plain.size() > 8)
            CHECK(enc.find(plain) == std::string::npos);
    }
}

TEST_CASE("$9$: deterministic encoding and known structure") {
    // Salt 'Q' (first family) asks for 3 padding characters, salt 'i' (last family) for none.
    auto a = encode_secret("abc", 'Q', "zF3");
    CHECK(a.substr(0, 7) == "$9$QzF3");
    CHECK(decode_secret(a) == std::optional<std::string>("abc"));
    auto b = encode_secret("abc", 'i', "");
    CHECK(b.substr(0, 4) == "$9$i");
    CHECK(decode_secret(b) == std::optional<std::string>("abc"));
    CHECK(a != b);
    CHECK_THROWS(encode_secret("abc", '!', "zzz"));
    CHECK_THROWS(encode_secret("abc", 'Q', "z"));
}

TEST_CASE("$9$: malformed input is refused") {
    CHECK_FALSE(decode_secret("abc"));
    CHECK_FALSE(decode_secret("$9$"));
    CHECK_FALSE(decode_secret("$9$Q"));    // salt without its padding
    CHECK_FALSE(decode_secret("$9$i!!"));  // outside the alphabet
    CHECK_FALSE(decode_secret("$9$iH"));   // truncated character group
    CHECK(is_secret_encoded(encode_secret("x")));
}

TEST_CASE("$9$: decodes values produced by other implementations") {
    // Public examples (juniper9-crypt documentation): two encodings of "hello" with different salts.
    CHECK(decode_secret("$9$FNkC3/t1IcevLuOWx") == std::optional<std::string>("hello"));
    CHECK(decode_secret("$9$o1aGiPfz/Cuk.tO") == std::optional<std::string>("hello"));
}
