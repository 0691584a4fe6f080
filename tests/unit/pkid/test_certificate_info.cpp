#include <doctest/doctest.h>

#include "msim/pki/certificate_info.hpp"
#include "test_ca.hpp"

using namespace msim::pki;
using namespace msim::pki::test;

TEST_CASE("local certificate detail in the Junos layout") {
    KeyPair key = KeyPair::generate({KeyAlgorithm::rsa, 2048});
    SelfSignedParams params;
    params.subject = "CN=www.myearth.net,OU=IT,O=Juniper networks,L=Delhi,ST=DL,C=IN";
    params.alternative_names.emails = {"r1@example.net"};
    params.not_before = Clock::from_time_t(1556552460);  // 04-29-2019 15:41 UTC
    params.validity_days = 1825;                         // the Junos default
    Certificate cert = create_self_signed_certificate(key, params);
    CertificateInfo info = describe_certificate(cert, "r1");
    CHECK(info.version == 3);
    CHECK(info.public_key_algorithm == "rsaEncryption");
    CHECK(info.public_key_bits == 2048);
    CHECK(info.signature_algorithm == "sha256WithRSAEncryption");
    CHECK(info.key_usages == std::vector<std::string>{"Key encipherment", "Digital signature"});
    CHECK(info.public_key_hex.rfind("30:82:01:0a:02:82:01:01:00", 0) == 0);

    std::string text = render_certificate(info, CertificateRole::local, Detail::detail);
    std::string expected_head =
        "Certificate identifier: r1\n"
        "  Certificate version: 3\n"
        "  Serial number: " +
        cert.serial_hex() +
        "\n"
        "  Issuer:\n"
        "    Organization: Juniper networks, Organizational unit: IT, Country: IN, State: DL,\n"
        "    Locality: Delhi, Common name: www.myearth.net\n"
        "  Subject:\n"
        "    Organization: Juniper networks, Organizational unit: IT, Country: IN, State: DL,\n"
        "    Locality: Delhi, Common name: www.myearth.net\n"
        "  Subject string:\n"
        "    CN=www.myearth.net, OU=IT, O=Juniper networks, L=Delhi, ST=DL, C=IN\n"
        "  Alternate subject: \"r1@example.net\", fqdn empty, ip empty\n"
        "  Validity:\n"
        "    Not before: 04-29-2019 15:41 UTC\n"
        "    Not after: 04-27-2024 15:41 UTC\n"
        "  Public key algorithm: rsaEncryption(2048 bits)\n"
        "    30:82:01:0a:02:82:01:01:00:";
    CHECK(text.substr(0, expected_head.size()) == expected_head);
    CHECK(text.find("  Signature algorithm: sha256WithRSAEncryption\n  Fingerprint:\n    " +
                    cert.sha1_fingerprint() + " (sha1)\n    " + cert.md5_fingerprint() + " (md5)\n") !=
          std::string::npos);
    CHECK(text.find("  Use for key: Key encipherment, Digital signature\n") != std::string::npos);
    CHECK(text.find("  Auto-re-enrollment:\n    Status: Disabled\n") != std::string::npos);
    CHECK(text.find("Distribution CRL") == std::string::npos);
    CHECK(text.find("PRIVATE") == std::string::npos);
}

TEST_CASE("CA certificate: brief layout, CDP and CA key usages") {
    Identity root = make_root("CN=CA-1,OU=IT,O=Example");
    Identity ca = issue(root, "CN=Sub-CA,O=Example", options().as_ca().cdp({"http://ca.example/sub.crl"}));
    CertificateInfo info = describe_certificate(ca.certificate, "ca-profile-1");
    CHECK(info.is_ca);
    CHECK(info.public_key_algorithm == "id-ecPublicKey");
    CHECK(info.signature_algorithm == "ecdsa-with-SHA256");
    CHECK(info.key_usages == std::vector<std::string>{"CRL signing", "Certificate signing"});
    std::string brief = render_certificate(info, CertificateRole::ca, Detail::brief);
    CHECK(brief ==
          "Certificate identifier: ca-profile-1\n"
          "  Issued to: Sub-CA, Issued by: CN = CA-1, OU = IT, O = Example\n"
          "  Validity:\n"
          "    Not before: " +
              junos_time(ca.certificate.not_before()) +
              "\n"
              "    Not after: " +
              junos_time(ca.certificate.not_after()) +
              "\n"
              "  Public key algorithm: id-ecPublicKey(256 bits)\n");
    std::string detail = render_certificate(info, CertificateRole::ca, Detail::detail);
    CHECK(detail.find("  Distribution CRL:\n    http://ca.example/sub.crl\n") != std::string::npos);
    CHECK(detail.find("Auto-re-enrollment") == std::string::npos);
    CHECK(render_certificate(describe_certificate(ca.certificate, "x"), CertificateRole::local, Detail::brief)
              .find("  Keypair Location: Keypair generated locally\n") != std::string::npos);
}

TEST_CASE("CRL and certificate request layouts") {
    Identity root = make_root("CN=CA-1,O=Example");
    Identity leaf = issue(root, "CN=leaf");
    Crl crl = make_crl(root, {leaf.certificate});
    CrlInfo info = describe_crl(crl, "ca-profile-1");
    CHECK(info.version == 2);
    std::string text = render_crl(info, Detail::detail);
    CHECK(text.rfind("CA profile: ca-profile-1\nCRL version: V00000002\nCRL issuer: CN = CA-1, O = Example\n"
                     "Effective date: " +
                         junos_time(reference_time() - day) +
                         "\nNext update: " + junos_time(reference_time() + 7 * day) + "\n",
                     0) == 0);
    CHECK(text.find("  " + leaf.certificate.serial_hex()) != std::string::npos);
    CHECK(render_crl(info, Detail::brief).find("Revocation List") == std::string::npos);

    KeyPair key = KeyPair::generate({KeyAlgorithm::rsa, 1024});
    RequestParams params{"CN=abc,O=Example", {{"example.net"}, {}, {}}, std::nullopt};
    CertificateRequest req = create_certificate_request(key, params);
    RequestInfo rinfo = describe_request(req, "ca-ipsec");
    std::string rtext = render_request(rinfo, Detail::detail);
    CHECK(rtext.rfind("Certificate identifier: ca-ipsec\n  Issued to: abc\n"
                      "  Public key algorithm: rsaEncryption(1024 bits)\n"
                      "  Public key verification status: Passed\n",
                      0) == 0);
    CHECK(rtext.find("  Alternate subject: email empty, \"example.net\", ip empty\n") != std::string::npos);
    CHECK(rtext.find(req.sha1_fingerprint() + " (sha1)") != std::string::npos);
    CHECK(render_request(rinfo, Detail::brief).find("Fingerprint") == std::string::npos);
}
