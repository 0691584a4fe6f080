#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>

#include "msim/pki/certificate.hpp"
#include "msim/pki/certificate_info.hpp"
#include "test_ca.hpp"

using namespace msim::pki;
using namespace msim::pki::test;

namespace {

ErrorCode code_of(auto&& f) {
    try {
        f();
    } catch (const PkiError& e) {
        return e.code();
    }
    FAIL("no PkiError thrown");
    return ErrorCode::crypto_error;
}

std::string message_of(auto&& f) {
    try {
        f();
    } catch (const PkiError& e) {
        return e.what();
    }
    return "no error";
}

std::vector<std::uint8_t> pkcs7_der(PKCS7* p7) {
    int len = i2d_PKCS7(p7, nullptr);
    std::vector<std::uint8_t> out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    i2d_PKCS7(p7, &p);
    return out;
}

struct Fixture {
    Identity root = make_root("CN=Root CA,O=Test,C=US");
    Identity leaf = issue(root, "CN=peer.example.net,O=Test",
                          options()
                              .cdp({"http://crl.example.net/root.crl", "ldap://ldap.example.net/cn=root"})
                              .alt_names({{"peer.example.net"}, {"198.51.100.7"}, {"ike@example.net"}}));
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "certificate loads from PEM, PEM with text before it, and DER") {
    std::string pem = leaf.certificate.to_pem();
    CHECK(Certificate::from_bytes(bytes(pem)).same_as(leaf.certificate));
    CHECK(Certificate::from_bytes(bytes("Certificate:\n  Data: ...\n" + pem)).same_as(leaf.certificate));
    CHECK(Certificate::from_bytes(leaf.certificate.to_der()).same_as(leaf.certificate));
}

TEST_CASE_FIXTURE(Fixture, "certificate loader errors") {
    CHECK(message_of([] { Certificate::from_bytes({}); }).find("empty") != std::string::npos);
    CHECK(message_of([] { Certificate::from_bytes(bytes("hello world")); }).find("neither PEM nor DER") !=
          std::string::npos);
    auto der = leaf.certificate.to_der();
    auto truncated = der;
    truncated.resize(der.size() / 2);
    CHECK(message_of([&] { Certificate::from_bytes(truncated); }).find("not a valid DER") !=
          std::string::npos);
    auto trailing = der;
    trailing.push_back(0x00);
    CHECK(message_of([&] { Certificate::from_bytes(trailing); }).find("trailing data") != std::string::npos);
    CHECK(message_of([] {
              Certificate::from_bytes(
                  bytes("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
          }).find("not a valid PEM") != std::string::npos);
    CHECK(code_of([&] { Certificate::from_bytes(bytes(make_crl(root, {}).to_pem())); }) ==
          ErrorCode::malformed_input);
    CHECK_THROWS_AS(Certificate::adopt(nullptr), PkiError);
}

TEST_CASE_FIXTURE(Fixture, "certificate fields") {
    const Certificate& c = leaf.certificate;
    CHECK(c.subject_string() == "CN=peer.example.net, O=Test");
    CHECK(c.issuer_string() == "CN=Root CA, O=Test, C=US");
    CHECK(c.dns_names() == std::vector<std::string>{"peer.example.net"});
    CHECK(c.ip_addresses() == std::vector<std::string>{"198.51.100.7"});
    CHECK(c.email_addresses() == std::vector<std::string>{"ike@example.net"});
    CHECK(c.crl_distribution_points() ==
          std::vector<std::string>{"http://crl.example.net/root.crl", "ldap://ldap.example.net/cn=root"});
    CHECK_FALSE(c.is_ca());
    CHECK_FALSE(c.is_self_signed());
    CHECK(root.certificate.is_ca());
    CHECK(root.certificate.is_self_signed());
    CHECK(root.certificate.crl_distribution_points().empty());
    CHECK(root.certificate.dns_names().empty());
    auto der = c.to_der();
    CHECK(c.sha1_fingerprint() == colon_hex(std::vector<std::uint8_t>([&] {
              std::vector<std::uint8_t> d(20);
              unsigned n = 0;
              EVP_Digest(der.data(), der.size(), d.data(), &n, EVP_sha1(), nullptr);
              return d;
          }())));
    CHECK(c.md5_fingerprint().size() == 47);
    CHECK(c.sha256_fingerprint().size() == 95);
    CHECK_FALSE(c.serial_hex().empty());
}

TEST_CASE_FIXTURE(Fixture, "certificate validity against the simulated clock") {
    CHECK_NOTHROW(leaf.certificate.check_validity(reference_time()));
    CHECK(code_of([&] { leaf.certificate.check_validity(reference_time() + 400 * day); }) ==
          ErrorCode::expired);
    CHECK(code_of([&] { leaf.certificate.check_validity(reference_time() - 40 * day); }) ==
          ErrorCode::not_yet_valid);
    CHECK(message_of([&] {
              leaf.certificate.check_validity(reference_time() + 400 * day);
          }).find("Certificate has expired (not after ") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "several certificates: PEM chain file, DER, and PKCS#7 certs-only") {
    std::string chain = leaf.certificate.to_pem() + root.certificate.to_pem();
    auto certs = certificates_from_bytes(bytes(chain));
    REQUIRE(certs.size() == 2);
    CHECK(certs[1].same_as(root.certificate));
    CHECK(certificates_from_bytes(root.certificate.to_der()).size() == 1);

    PKCS7* p7 = PKCS7_new();
    PKCS7_set_type(p7, NID_pkcs7_signed);
    PKCS7_content_new(p7, NID_pkcs7_data);
    PKCS7_add_certificate(p7, root.certificate.native());
    PKCS7_add_certificate(p7, leaf.certificate.native());
    Crl crl = make_crl(root, {leaf.certificate});
    PKCS7_add_crl(p7, crl.native());
    auto der = pkcs7_der(p7);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PKCS7(bio, p7);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    PKCS7_free(p7);

    CHECK(certificates_from_bytes(der).size() == 2);
    CHECK(certificates_from_bytes(bytes(pem)).size() == 2);
    Pkcs7Bundle bundle = pkcs7_from_bytes(der);
    CHECK(bundle.certificates.size() == 2);
    REQUIRE(bundle.crls.size() == 1);
    CHECK(bundle.crls[0].is_revoked(leaf.certificate));
    CHECK(bundle.signer_count == 0);
    CHECK(pkcs7_from_bytes(bytes(pem)).certificates.size() == 2);

    CHECK_THROWS_AS(certificates_from_bytes({}), PkiError);
    CHECK_THROWS_AS(certificates_from_bytes(bytes("junk")), PkiError);
    CHECK_THROWS_AS(certificates_from_bytes(bytes("-----BEGIN FOO-----\n-----END FOO-----\n")), PkiError);
    CHECK_THROWS_AS(certificates_from_bytes(crl.to_der()), PkiError);
}

TEST_CASE_FIXTURE(Fixture, "PKCS#7 signed data: signers and content; other types and garbage refused") {
    const char message[] = "scep payload";
    BIO* in = BIO_new_mem_buf(message, sizeof message - 1);
    PKCS7* p7 = PKCS7_sign(leaf.certificate.native(), leaf.key.native(), nullptr, in, PKCS7_BINARY);
    BIO_free(in);
    REQUIRE(p7 != nullptr);
    auto der = pkcs7_der(p7);
    PKCS7_free(p7);
    Pkcs7Bundle bundle = pkcs7_from_bytes(der);
    CHECK(bundle.signer_count == 1);
    CHECK(bundle.certificates.size() == 1);
    REQUIRE(bundle.content.has_value());
    CHECK(std::string(bundle.content->begin(), bundle.content->end()) == "scep payload");

    PKCS7* data_only = PKCS7_new();
    PKCS7_set_type(data_only, NID_pkcs7_data);
    auto data_der = pkcs7_der(data_only);
    PKCS7_free(data_only);
    CHECK(message_of([&] { pkcs7_from_bytes(data_der); }).find("not SignedData") != std::string::npos);
    CHECK(message_of([] { pkcs7_from_bytes({}); }).find("empty") != std::string::npos);
    CHECK(message_of([] { pkcs7_from_bytes(bytes("xyz")); }).find("neither PEM nor DER") !=
          std::string::npos);
    auto trailing = der;
    trailing.push_back(1);
    CHECK(message_of([&] { pkcs7_from_bytes(trailing); }).find("trailing") != std::string::npos);
    der.resize(10);
    CHECK(message_of([&] { pkcs7_from_bytes(der); }).find("invalid DER") != std::string::npos);
    CHECK(message_of([] {
              pkcs7_from_bytes(bytes("-----BEGIN PKCS7-----\nAA==\n-----END PKCS7-----\n"));
          }).find("invalid PEM") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "CRL loads from PEM and DER; fields, revocation, issuer and validity") {
    Crl crl = make_crl(root, {leaf.certificate});
    Crl from_pem = Crl::from_bytes(bytes(crl.to_pem()));
    Crl from_der = Crl::from_bytes(crl.to_der());
    CHECK(from_der.issuer_string() == "CN=Root CA, O=Test, C=US");
    CHECK(from_pem.this_update() == reference_time() - day);
    CHECK(from_pem.next_update() == std::optional<TimePoint>(reference_time() + 7 * day));
    REQUIRE(from_pem.revoked().size() == 1);
    CHECK(from_pem.revoked()[0].serial_hex == leaf.certificate.serial_hex());
    CHECK(from_pem.revoked()[0].revocation_date == reference_time() - day);
    CHECK(from_pem.is_revoked(leaf.certificate));
    CHECK_FALSE(from_pem.is_revoked(root.certificate));
    CHECK(from_pem.issued_by(root.certificate));
    CHECK_FALSE(from_pem.issued_by(leaf.certificate));
    Identity impostor = make_root("CN=Root CA,O=Test,C=US");  // same name, other key
    CHECK_FALSE(from_pem.issued_by(impostor.certificate));
    CHECK_NOTHROW(crl.check_validity(reference_time()));
    CHECK(code_of([&] { crl.check_validity(reference_time() + 30 * day); }) == ErrorCode::expired);
    CHECK(code_of([&] { crl.check_validity(reference_time() - 2 * day); }) == ErrorCode::not_yet_valid);
}

TEST_CASE_FIXTURE(Fixture, "CRL loader errors") {
    CHECK(message_of([] { Crl::from_bytes({}); }).find("empty") != std::string::npos);
    CHECK(message_of([] { Crl::from_bytes(bytes("plain text")); }).find("neither PEM nor DER") !=
          std::string::npos);
    auto der = make_crl(root, {}).to_der();
    auto trailing = der;
    trailing.push_back(0);
    CHECK(message_of([&] { Crl::from_bytes(trailing); }).find("trailing data") != std::string::npos);
    CHECK(message_of([&] { Crl::from_bytes(leaf.certificate.to_der()); }).find("not a valid DER CRL") !=
          std::string::npos);
    CHECK(message_of([&] {
              Crl::from_bytes(bytes(leaf.certificate.to_pem()));
          }).find("not a valid PEM CRL") != std::string::npos);
    CHECK_THROWS_AS(Crl::adopt(nullptr), PkiError);
}

TEST_CASE("oversized input is refused before parsing") {
    std::vector<std::uint8_t> huge(17 * 1024 * 1024, 0x30);
    CHECK(code_of([&] { Certificate::from_bytes(huge); }) == ErrorCode::malformed_input);
    CHECK(code_of([&] { Crl::from_bytes(huge); }) == ErrorCode::malformed_input);
    CHECK(code_of([&] { pkcs7_from_bytes(huge); }) == ErrorCode::malformed_input);
}

TEST_CASE("Junos formatting helpers") {
    std::vector<std::uint8_t> b{0x0f, 0xe9, 0x2a};
    CHECK(colon_hex(b) == "0f:e9:2a");
    CHECK(colon_hex({}) == "");
    CHECK(junos_time(Clock::from_time_t(1556552460)) == "04-29-2019 15:41 UTC");
}

TEST_CASE("a certificate that never expires (99991231235959Z) is read and shown exactly") {
    KeyPair key = test_key();
    X509* x = X509_new();
    REQUIRE(X509_set_version(x, 2) == 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("forever"),
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    REQUIRE(ASN1_TIME_set_string(X509_getm_notBefore(x), "20200101000000Z") == 1);
    REQUIRE(ASN1_TIME_set_string(X509_getm_notAfter(x), "99991231235959Z") == 1);
    X509_set_pubkey(x, key.native());
    REQUIRE(X509_sign(x, key.native(), EVP_sha256()) > 0);
    Certificate forever = Certificate::adopt(x);
    CHECK(forever.not_after() == TimePoint::max());
    CHECK_NOTHROW(forever.check_validity(reference_time()));
    CertificateInfo info = describe_certificate(forever, "forever");
    CHECK(info.not_after_text == "12-31-9999 23:59 UTC");
    CHECK(render_certificate(info, CertificateRole::ca, Detail::brief)
              .find("Not after: 12-31-9999 23:59 UTC") != std::string::npos);
}
