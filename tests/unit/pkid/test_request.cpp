#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "msim/pki/request.hpp"
#include "test_ca.hpp"

using namespace msim::pki;

namespace {
// "0f:e9:...:6b": `bytes` lowercase hex pairs joined by colons.
bool is_fingerprint(const std::string& text, std::size_t bytes) {
    if (text.size() != bytes * 3 - 1) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        bool ok = (i % 3 == 2) ? c == ':' : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        if (!ok) {
            return false;
        }
    }
    return true;
}

RequestParams typical() {
    RequestParams params;
    params.subject = "DC=example,CN=abc,OU=sales,O=Juniper,L=Sunnyvale,ST=CA,C=US";
    params.alternative_names.domain_names = {"r1.example.net"};
    params.alternative_names.ip_addresses = {"192.0.2.1", "2001:db8::1"};
    params.alternative_names.emails = {"admin@example.net"};
    return params;
}

std::string error_of(const KeyPair& key, const RequestParams& params) {
    try {
        create_certificate_request(key, params);
    } catch (const PkiError& e) {
        CHECK(e.code() == ErrorCode::invalid_argument);
        return e.what();
    }
    return "no error";
}
}  // namespace

TEST_CASE("certificate request carries subject, alternative names and challenge password") {
    KeyPair key = KeyPair::generate({KeyAlgorithm::rsa, 1024});
    RequestParams params = typical();
    params.challenge_password = "s3cret";
    CertificateRequest req = create_certificate_request(key, params);
    CHECK(req.signature_valid());
    CHECK(req.subject_string() == "DC=example, CN=abc, OU=sales, O=Juniper, L=Sunnyvale, ST=CA, C=US");
    AlternativeNames alt = req.alternative_names();
    CHECK(alt.domain_names == std::vector<std::string>{"r1.example.net"});
    CHECK(alt.ip_addresses == std::vector<std::string>{"192.0.2.1", "2001:db8::1"});
    CHECK(alt.emails == std::vector<std::string>{"admin@example.net"});
    CHECK(req.challenge_password() == std::optional<std::string>("s3cret"));
    CHECK(is_fingerprint(req.sha1_fingerprint(), 20));
    CHECK(is_fingerprint(req.md5_fingerprint(), 16));
    CHECK_FALSE(is_fingerprint("0F:e9", 2));
    CHECK_FALSE(is_fingerprint("0fe9", 2));
    CHECK(req.to_pem().find("-----BEGIN CERTIFICATE REQUEST-----") == 0);
    CHECK(EVP_PKEY_eq(X509_REQ_get0_pubkey(req.native()), key.native()) == 1);
    CHECK(X509_REQ_get_signature_nid(req.native()) == NID_sha256WithRSAEncryption);
}

TEST_CASE("request without a challenge password has none; PEM and DER parse back to the same request") {
    KeyPair key = test::test_key();
    CertificateRequest req = create_certificate_request(key, typical());
    CHECK_FALSE(req.challenge_password().has_value());
    CertificateRequest from_pem = CertificateRequest::from_bytes(test::bytes(req.to_pem()));
    auto der = req.to_der();
    CertificateRequest from_der = CertificateRequest::from_bytes(der);
    CHECK(from_pem.sha1_fingerprint() == req.sha1_fingerprint());
    CHECK(from_der.md5_fingerprint() == req.md5_fingerprint());
    der.push_back(0);
    CHECK_THROWS_AS(CertificateRequest::from_bytes(der), PkiError);
    CHECK_THROWS_AS(CertificateRequest::from_bytes(test::bytes("hello")), PkiError);
    CHECK_THROWS_AS(CertificateRequest::from_bytes({}), PkiError);
}

TEST_CASE("DSA and ECDSA P-384 requests are signed with a matching digest") {
    KeyPair dsa = KeyPair::generate({KeyAlgorithm::dsa, 1024});
    CertificateRequest r1 = create_certificate_request(dsa, typical());
    CHECK(r1.signature_valid());
    CHECK(X509_REQ_get_signature_nid(r1.native()) == NID_dsa_with_SHA256);
    KeyPair p384 = KeyPair::generate({KeyAlgorithm::ecdsa, 384});
    CertificateRequest r2 = create_certificate_request(p384, typical());
    CHECK(r2.signature_valid());
    CHECK(X509_REQ_get_signature_nid(r2.native()) == NID_ecdsa_with_SHA384);
}

TEST_CASE("a tampered request fails its signature check") {
    KeyPair key = KeyPair::generate({KeyAlgorithm::rsa, 1024});
    auto der = create_certificate_request(key, typical()).to_der();
    der[der.size() - 5] ^= 0x01;  // inside the signature
    CHECK_FALSE(CertificateRequest::from_bytes(der).signature_valid());
}

TEST_CASE("request errors: subject, missing or malformed alternative names, empty password") {
    KeyPair key = test::test_key();
    RequestParams p = typical();
    p.subject = "CN=abc,XX=1";
    CHECK(error_of(key, p).find("unknown attribute") != std::string::npos);
    p = typical();
    p.alternative_names = {};
    CHECK(error_of(key, p).find("At least one of domain-name, ip-address or email") != std::string::npos);
    p = typical();
    p.alternative_names.domain_names = {"bad_name.example"};
    CHECK(error_of(key, p).find("Invalid domain name") != std::string::npos);
    p.alternative_names.domain_names = {"-x.example"};
    CHECK(error_of(key, p).find("Invalid domain name") != std::string::npos);
    p.alternative_names.domain_names = {"a..b"};
    CHECK(error_of(key, p).find("Invalid domain name") != std::string::npos);
    p = typical();
    p.alternative_names.ip_addresses = {"300.1.1.1"};
    CHECK(error_of(key, p).find("Invalid IP address '300.1.1.1'") != std::string::npos);
    p = typical();
    p.alternative_names.emails = {"no-at-sign"};
    CHECK(error_of(key, p).find("Invalid e-mail address") != std::string::npos);
    p.alternative_names.emails = {"a@b@c"};
    CHECK(error_of(key, p).find("Invalid e-mail address") != std::string::npos);
    p.alternative_names.emails = {"@example.net"};
    CHECK(error_of(key, p).find("Invalid e-mail address") != std::string::npos);
    p = typical();
    p.challenge_password = "";
    CHECK(error_of(key, p).find("Challenge password") != std::string::npos);
    p.challenge_password = std::string(300, 'x');
    CHECK(error_of(key, p).find("Challenge password") != std::string::npos);
}

TEST_CASE("self-signed local certificate: dates from the simulated clock, SANs, CA constraint") {
    KeyPair key = KeyPair::generate({KeyAlgorithm::rsa, 1024});
    SelfSignedParams params;
    params.subject = "CN=www.myearth.net,OU=IT,O=Juniper networks,L=Delhi,ST=DL,C=IN";
    params.alternative_names.emails = {"r1@example.net"};
    params.not_before = test::reference_time();
    params.validity_days = 30;
    Certificate cert = create_self_signed_certificate(key, params);
    CHECK(cert.is_self_signed());
    CHECK_FALSE(cert.is_ca());
    CHECK(cert.not_before() == test::reference_time());
    CHECK(cert.not_after() == test::reference_time() + 30 * test::day);
    CHECK(cert.email_addresses() == std::vector<std::string>{"r1@example.net"});
    CHECK(cert.subject_string() == "CN=www.myearth.net, OU=IT, O=Juniper networks, L=Delhi, ST=DL, C=IN");
    CHECK(cert.subject() == cert.issuer());
    CHECK(key.matches(cert));
    CHECK(cert.serial_hex().size() == 32);

    params.add_ca_constraint = true;
    CHECK(create_self_signed_certificate(key, params).is_ca());
    params.validity_days = 0;
    CHECK_THROWS_AS(create_self_signed_certificate(key, params), PkiError);
    params.validity_days = 10;
    params.subject = "";
    CHECK_THROWS_AS(create_self_signed_certificate(key, params), PkiError);
    params.subject = "CN=x";
    params.alternative_names.ip_addresses = {"nope"};
    CHECK_THROWS_AS(create_self_signed_certificate(key, params), PkiError);
}
