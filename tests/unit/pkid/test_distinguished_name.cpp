#include <doctest/doctest.h>
#include <openssl/x509.h>

#include "msim/pki/basics.hpp"
#include "msim/pki/distinguished_name.hpp"

using namespace msim::pki;

namespace {
std::string parse_error(const std::string& text) {
    try {
        parse_distinguished_name(text);
    } catch (const PkiError& e) {
        CHECK(e.code() == ErrorCode::invalid_argument);
        return e.what();
    }
    return "no error";
}
}  // namespace

TEST_CASE("Junos subject string parses in order with canonical attribute names") {
    auto dn =
        parse_distinguished_name("DC=example,CN=abc,OU=sales,O=Juniper Networks,L=Sunnyvale,ST=CA,C=US");
    REQUIRE(dn.size() == 7);
    CHECK(dn[0] == DnAttribute{"DC", "example"});
    CHECK(dn[1] == DnAttribute{"CN", "abc"});
    CHECK(dn[3] == DnAttribute{"O", "Juniper Networks"});
    CHECK(dn[6] == DnAttribute{"C", "US"});
}

TEST_CASE("blanks, lower-case names, escapes and quotes") {
    auto dn = parse_distinguished_name("  cn = John Doe ,ou=a\\,b, O=\"Acme, Inc.\" , sn=1234  ");
    REQUIRE(dn.size() == 4);
    CHECK(dn[0] == DnAttribute{"CN", "John Doe"});
    CHECK(dn[1] == DnAttribute{"OU", "a,b"});
    CHECK(dn[2] == DnAttribute{"O", "Acme, Inc."});
    CHECK(dn[3] == DnAttribute{"SN", "1234"});
    CHECK(format_distinguished_name(dn) == "CN=John Doe, OU=a\\,b, O=Acme\\, Inc., SN=1234");
    // An escaped trailing blank is kept.
    CHECK(parse_distinguished_name("CN=a\\ ")[0].value == "a ");
}

TEST_CASE("every malformed subject gives a clear error") {
    CHECK(parse_error("").find("empty") != std::string::npos);
    CHECK(parse_error("   ").find("empty") != std::string::npos);
    CHECK(parse_error("CN").find("NAME=VALUE") != std::string::npos);
    CHECK(parse_error("CN=a,OU").find("NAME=VALUE") != std::string::npos);
    CHECK(parse_error("=a").find("attribute name missing") != std::string::npos);
    CHECK(parse_error("XX=a").find("unknown attribute 'XX'") != std::string::npos);
    CHECK(parse_error("CN=").find("empty value for CN") != std::string::npos);
    CHECK(parse_error("CN=\"\"").find("empty value") != std::string::npos);
    CHECK(parse_error("CN=a,").find("trailing ','") != std::string::npos);
    CHECK(parse_error("CN=a=b").find("unescaped '='") != std::string::npos);
    CHECK(parse_error("CN=a\\").find("dangling") != std::string::npos);
    CHECK(parse_error("CN=\"abc").find("unterminated quote") != std::string::npos);
    CHECK(parse_error("CN=\"abc\" x").find("unexpected text") != std::string::npos);
    CHECK(parse_error("C=USA").find("two-letter") != std::string::npos);
    CHECK(parse_error("C=1X").find("two-letter") != std::string::npos);
}

TEST_CASE("X509_NAME round trip keeps order; SN is serialNumber, not surname") {
    auto dn = parse_distinguished_name("DC=example,CN=r1,SN=ABC123,C=US");
    X509_NAME* name = to_x509_name(dn);
    REQUIRE(name != nullptr);
    CHECK(X509_NAME_entry_count(name) == 4);
    CHECK(OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(name, 2))) == NID_serialNumber);
    CHECK(from_x509_name(name) == dn);
    X509_NAME_free(name);
    CHECK(from_x509_name(nullptr).empty());
}

TEST_CASE("values OpenSSL refuses are reported, not crashed on") {
    std::string long_cn = "CN=" + std::string(65, 'a');
    CHECK_THROWS_AS(to_x509_name(parse_distinguished_name(long_cn)), PkiError);
    CHECK_THROWS_AS(to_x509_name({{"BOGUS", "x"}}), PkiError);
}

TEST_CASE("container match: exact values, same order, contiguous") {
    auto subject = parse_distinguished_name("CN=John Doe,OU=sales,OU=engr,O=Juniper Networks,C=US");
    CHECK(dn_matches(subject, subject, DnMatch::container));
    CHECK(dn_matches(parse_distinguished_name("O=Juniper Networks,C=US"), subject, DnMatch::container));
    CHECK(dn_matches(parse_distinguished_name("OU=sales,OU=engr"), subject, DnMatch::container));
    CHECK(dn_matches(parse_distinguished_name("cn=John Doe,ou=sales"), subject, DnMatch::container));
    CHECK_FALSE(dn_matches(parse_distinguished_name("OU=engr,OU=sales"), subject, DnMatch::container));
    CHECK_FALSE(
        dn_matches(parse_distinguished_name("CN=John Doe,O=Juniper Networks"), subject, DnMatch::container));
    CHECK_FALSE(dn_matches(parse_distinguished_name("CN=john doe"), subject, DnMatch::container));
    CHECK_FALSE(
        dn_matches(parse_distinguished_name("CN=John Doe,OU=sales,OU=engr,O=Juniper Networks,C=US,L=x"),
                   subject, DnMatch::container));
    CHECK_FALSE(dn_matches({}, subject, DnMatch::container));
}

TEST_CASE("wildcard match: specified fields only, any order, single-valued types") {
    auto subject = parse_distinguished_name("CN=John Doe,OU=sales,O=Juniper Networks,C=US");
    CHECK(dn_matches(parse_distinguished_name("C=US,O=Juniper Networks"), subject, DnMatch::wildcard));
    CHECK(dn_matches(parse_distinguished_name("OU=sales"), subject, DnMatch::wildcard));
    CHECK_FALSE(dn_matches(parse_distinguished_name("OU=engr"), subject, DnMatch::wildcard));
    CHECK_FALSE(dn_matches(parse_distinguished_name("L=Sunnyvale"), subject, DnMatch::wildcard));
    CHECK(dn_matches({{"CN", ""}}, subject, DnMatch::wildcard));  // empty value: presence only
    auto repeated = parse_distinguished_name("CN=x,OU=sales,OU=engr,C=US");
    CHECK_FALSE(dn_matches(parse_distinguished_name("OU=sales"), repeated, DnMatch::wildcard));
    CHECK(dn_matches(parse_distinguished_name("OU=sales,OU=engr"), repeated, DnMatch::container));
    CHECK_FALSE(dn_matches({}, subject, DnMatch::wildcard));
}

TEST_CASE("certificate names with attributes outside the Junos set keep readable names") {
    X509_NAME* name = X509_NAME_new();
    auto add = [&](const char* field, const char* value) {
        REQUIRE(X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                                           reinterpret_cast<const unsigned char*>(value), -1, -1, 0) == 1);
    };
    add("CN", "x");
    add("emailAddress", "a@b.example");
    add("surname", "Doe");
    add("1.2.3.4.5", "custom");
    DistinguishedName dn = from_x509_name(name);
    X509_NAME_free(name);
    REQUIRE(dn.size() == 4);
    CHECK(dn[1] == DnAttribute{"emailAddress", "a@b.example"});
    CHECK(dn[2] == DnAttribute{"surname", "Doe"});
    CHECK(dn[3] == DnAttribute{"1.2.3.4.5", "custom"});
}

TEST_CASE("quoted values may escape quotes; very long values are refused") {
    CHECK(parse_distinguished_name("O=\"say \\\"hi\\\"\"")[0].value == "say \"hi\"");
    CHECK_THROWS_AS(to_x509_name({{"O", std::string(2000, 'o')}}), PkiError);
}
