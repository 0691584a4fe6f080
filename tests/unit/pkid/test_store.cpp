#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "msim/pki/certificate_store.hpp"
#include "test_ca.hpp"

using namespace msim::pki;
using namespace msim::pki::test;
namespace fs = std::filesystem;

namespace {

struct TempStore {
    fs::path dir;
    TempStore() {
        std::string tmpl = (fs::temp_directory_path() / "pkid-store-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        dir = tmpl;
    }
    ~TempStore() { fs::remove_all(dir); }
    fs::path certs() const { return dir / "var/db/certs"; }
};

ErrorCode code_of(auto&& f) {
    try {
        f();
    } catch (const PkiError& e) {
        return e.code();
    }
    FAIL("no PkiError thrown");
    return ErrorCode::crypto_error;
}

RequestParams request_params() {
    RequestParams p;
    p.subject = "CN=r1,O=Lab,C=US";
    p.alternative_names.domain_names = {"r1.lab.example"};
    return p;
}

}  // namespace

TEST_CASE_FIXTURE(TempStore, "key pairs: generated into a 0600 file, listed, reloaded, cleared") {
    CertificateStore store(certs());
    KeyPair key = store.generate_key_pair("r1", {KeyAlgorithm::rsa, 1024});
    fs::path file = certs() / "keys/r1.key";
    REQUIRE(fs::exists(file));
    struct stat st {};
    REQUIRE(stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(store.has_key_pair("r1"));
    CHECK(store.key_pair("r1").public_pem() == key.public_pem());
    CHECK(code_of([&] {
              store.generate_key_pair("r1", {KeyAlgorithm::rsa, 1024});
          }) == ErrorCode::already_exists);
    CHECK(code_of([&] {
              store.generate_key_pair("r2", {KeyAlgorithm::rsa, 999});
          }) == ErrorCode::invalid_argument);
    CHECK_FALSE(fs::exists(certs() / "keys/r2.key"));
    store.generate_key_pair("a-ec", {KeyAlgorithm::ecdsa, 384});
    CHECK(store.key_pair_ids() == std::vector<std::string>{"a-ec", "r1"});
    store.clear_key_pair("r1");
    CHECK_FALSE(store.has_key_pair("r1"));
    CHECK(code_of([&] { store.clear_key_pair("r1"); }) == ErrorCode::not_found);
    CHECK(code_of([&] { store.key_pair("r1"); }) == ErrorCode::not_found);
    // No temporary files are left behind.
    for (const auto& entry : fs::directory_iterator(certs() / "keys")) {
        CHECK(entry.path().string().find(".tmp.") == std::string::npos);
    }
}

TEST_CASE_FIXTURE(TempStore, "names that would escape the store or are not Junos names are refused") {
    CertificateStore store(certs());
    for (const std::string& bad :
         std::vector<std::string>{"", "../etc", "a/b", ".hidden", std::string(64, 'x'), "sp ace"}) {
        CHECK(code_of([&] {
                  store.generate_key_pair(bad, {KeyAlgorithm::ecdsa, 256});
              }) == ErrorCode::invalid_argument);
        CHECK(code_of([&] { store.ca_certificate(bad); }) == ErrorCode::invalid_argument);
    }
    CHECK_NOTHROW(check_object_name("ca_profile-1.x", "ca-profile"));
}

TEST_CASE_FIXTURE(TempStore, "certificate requests are stored per certificate-id") {
    CertificateStore store(certs());
    CHECK(code_of([&] { store.generate_certificate_request("r1", request_params()); }) ==
          ErrorCode::not_found);
    store.generate_key_pair("r1", {KeyAlgorithm::ecdsa, 256});
    CertificateRequest req = store.generate_certificate_request("r1", request_params());
    CHECK(store.certificate_request("r1").sha1_fingerprint() == req.sha1_fingerprint());
    CHECK(store.certificate_request_ids() == std::vector<std::string>{"r1"});
    store.clear_certificate_request("r1");
    CHECK(code_of([&] { store.certificate_request("r1"); }) == ErrorCode::not_found);
    CHECK(code_of([&] { store.clear_certificate_request("r1"); }) == ErrorCode::not_found);
}

TEST_CASE_FIXTURE(TempStore, "local certificates: key match, validity, PEM and DER") {
    CertificateStore store(certs());
    Identity ca = make_root("CN=CA");
    KeyPair key = store.generate_key_pair("r1", {KeyAlgorithm::ecdsa, 256});
    Certificate good = issue_for_key(ca, key, "CN=r1");
    CHECK_FALSE(store.has_local_certificate("r1"));
    CHECK(store.load_local_certificate("r1", good.to_der(), reference_time()).same_as(good));
    CHECK(store.has_local_certificate("r1"));
    CHECK(store.local_certificate("r1").same_as(good));
    CHECK(store.load_local_certificate("r1", bytes(good.to_pem()), reference_time()).same_as(good));

    Certificate other = issue(ca, "CN=someone-else").certificate;
    CHECK(code_of([&] { store.load_local_certificate("r1", other.to_der(), reference_time()); }) ==
          ErrorCode::key_mismatch);
    CHECK(code_of([&] { store.load_local_certificate("r1", good.to_der(), reference_time() + 400 * day); }) ==
          ErrorCode::expired);
    CHECK(code_of([&] { store.load_local_certificate("r1", good.to_der(), reference_time() - 60 * day); }) ==
          ErrorCode::not_yet_valid);
    CHECK(code_of([&] { store.load_local_certificate("nokey", good.to_der(), reference_time()); }) ==
          ErrorCode::not_found);
    CHECK(code_of([&] { store.load_local_certificate("r1", bytes("garbage"), reference_time()); }) ==
          ErrorCode::malformed_input);
    CHECK(store.local_certificate_ids() == std::vector<std::string>{"r1"});
    store.clear_local_certificate("r1");
    CHECK(code_of([&] { store.local_certificate("r1"); }) == ErrorCode::not_found);
    CHECK(code_of([&] { store.clear_local_certificate("r1"); }) == ErrorCode::not_found);
}

TEST_CASE_FIXTURE(TempStore, "self-signed local certificate is stored under its id") {
    CertificateStore store(certs());
    CHECK(code_of([&] {
              store.generate_self_signed_certificate("r1", {"CN=r1", {}, reference_time()});
          }) == ErrorCode::not_found);
    store.generate_key_pair("r1", {KeyAlgorithm::rsa, 1024});
    Certificate cert = store.generate_self_signed_certificate("r1", {"CN=r1", {}, reference_time()});
    CHECK(store.local_certificate("r1").same_as(cert));
    CHECK(store.key_pair("r1").matches(cert));
}

TEST_CASE_FIXTURE(TempStore, "CA certificates and CRLs per profile; everything survives a restart") {
    Identity root = make_root("CN=Root");
    Identity sub = issue(root, "CN=Sub", options().as_ca());
    {
        CertificateStore store(certs());
        Certificate parsed = CertificateStore::parse_ca_certificate(root.certificate.to_der());
        CHECK(parsed.sha1_fingerprint() == root.certificate.sha1_fingerprint());
        CHECK(code_of([&] {
                  CertificateStore::parse_ca_certificate(issue(root, "CN=ee").certificate.to_der());
              }) == ErrorCode::invalid_argument);
        CHECK(code_of([&] {
                  store.store_ca_certificate("x", issue(root, "CN=ee").certificate, reference_time());
              }) == ErrorCode::invalid_argument);
        CHECK(code_of([&] {
                  store.store_ca_certificate("root", root.certificate, reference_time() + 999 * day);
              }) == ErrorCode::expired);
        CHECK_FALSE(store.has_ca_certificate("root"));
        store.store_ca_certificate("root", parsed, reference_time());
        CHECK(store.has_ca_certificate("root"));
        store.store_ca_certificate("sub", sub.certificate, reference_time());
        CHECK(store.ca_profiles() == std::vector<std::string>{"root", "sub"});

        CHECK(code_of([&] { store.load_crl("nosuch", make_crl(root, {}).to_der(), reference_time()); }) ==
              ErrorCode::not_found);
        CHECK(code_of([&] { store.load_crl("sub", make_crl(root, {}).to_der(), reference_time()); }) ==
              ErrorCode::verification_failed);
        CHECK(code_of([&] {
                  store.load_crl(
                      "root", make_crl(root, {}, reference_time() - 9 * day, reference_time() - day).to_der(),
                      reference_time());
              }) == ErrorCode::expired);
        CHECK(code_of([&] { store.load_crl("root", bytes("nope"), reference_time()); }) ==
              ErrorCode::malformed_input);
        store.load_crl("root", bytes(make_crl(root, {sub.certificate}).to_pem()), reference_time());
        CHECK_FALSE(store.crl("sub").has_value());
    }
    CertificateStore reopened(certs());
    CHECK(reopened.ca_certificate("root").same_as(root.certificate));
    REQUIRE(reopened.crl("root").has_value());
    CHECK(reopened.crl("root")->is_revoked(sub.certificate));
    CHECK(reopened.crl_profiles() == std::vector<std::string>{"root"});
    CHECK(reopened.all_crls().size() == 1);
    auto trusted = reopened.trusted_cas({{"sub", no_revocation()}});
    REQUIRE(trusted.size() == 2);
    CHECK(trusted[0].revocation.enabled);
    CHECK_FALSE(trusted[1].revocation.enabled);

    reopened.clear_crl("root");
    CHECK(code_of([&] { reopened.clear_crl("root"); }) == ErrorCode::not_found);
    reopened.clear_ca_certificate("sub");
    CHECK(code_of([&] { reopened.ca_certificate("sub"); }) == ErrorCode::not_found);
    CHECK(code_of([&] { reopened.clear_ca_certificate("sub"); }) == ErrorCode::not_found);
}

TEST_CASE_FIXTURE(TempStore, "verify commands validate against the stored CAs and CRLs") {
    CertificateStore store(certs());
    Identity root = make_root("CN=Root");
    Identity sub = issue(root, "CN=Sub", options().as_ca());
    KeyPair key = store.generate_key_pair("r1", {KeyAlgorithm::ecdsa, 256});
    Certificate local = issue_for_key(sub, key, "CN=r1");
    store.load_local_certificate("r1", local.to_der(), reference_time());
    store.store_ca_certificate("sub", sub.certificate, reference_time());

    // Only the intermediate is stored: its own verification needs an issuer, the local one a CRL.
    CHECK(store.verify_ca_certificate("sub", reference_time()).status == ValidationStatus::issuer_not_found);
    CHECK(store.verify_local_certificate("r1", reference_time()).status == ValidationStatus::crl_unavailable);
    store.load_crl("sub", make_crl(sub, {}).to_der(), reference_time());
    ValidationResult local_ok = store.verify_local_certificate("r1", reference_time());
    CHECK_MESSAGE(local_ok.ok(), local_ok.reason);

    store.store_ca_certificate("root", root.certificate, reference_time());
    store.load_crl("root", make_crl(root, {}).to_der(), reference_time());
    CHECK(store.verify_ca_certificate("root", reference_time()).ok());
    ValidationResult sub_ok = store.verify_ca_certificate("sub", reference_time());
    CHECK_MESSAGE(sub_ok.ok(), sub_ok.reason);

    store.load_crl("sub", make_crl(sub, {local}).to_der(), reference_time());
    CHECK(store.verify_local_certificate("r1", reference_time()).status == ValidationStatus::revoked);
    CHECK(store.verify_local_certificate("r1", reference_time(), 15, {{"sub", no_revocation()}}).ok());
}

TEST_CASE_FIXTURE(TempStore, "a store root that cannot be created is an io_error") {
    std::ofstream(dir / "file") << "x";
    CHECK(code_of([&] { CertificateStore store(dir / "file" / "certs"); }) == ErrorCode::io_error);
}

TEST_CASE_FIXTURE(TempStore, "file system failures are io_errors and leave no temporary file") {
    CertificateStore store(certs());
    Identity ca = make_root("CN=CA");
    KeyPair key = store.generate_key_pair("r1", {KeyAlgorithm::ecdsa, 256});
    Certificate cert = issue_for_key(ca, key, "CN=r1");
    // A directory where the certificate file should go: the final rename fails.
    fs::create_directories(certs() / "local/r1.crt/inner");
    CHECK(code_of([&] { store.load_local_certificate("r1", cert.to_der(), reference_time()); }) ==
          ErrorCode::io_error);
    for (const auto& entry : fs::directory_iterator(certs() / "local")) {
        CHECK(entry.path().string().find(".tmp.") == std::string::npos);
    }
    // Removing it fails too: it is a non-empty directory.
    CHECK(code_of([&] { store.clear_local_certificate("r1"); }) == ErrorCode::io_error);
    // A store folder replaced by a file: creating temporary files there fails.
    fs::remove_all(certs() / "requests");
    std::ofstream(certs() / "requests") << "x";
    RequestParams params = request_params();
    CHECK(code_of([&] { store.generate_certificate_request("r1", params); }) == ErrorCode::io_error);
}

TEST_CASE_FIXTURE(TempStore,
                  "re-enrollment: a new certificate and key pair replace the old pair in one step") {
    CertificateStore store(certs());
    const Identity ca = make_root("CN=Store CA");
    const KeyPair old_key = store.generate_key_pair("r1", {KeyAlgorithm::rsa, 1024});
    store.load_local_certificate("r1", issue_for_key(ca, old_key, "CN=r1").to_der(), reference_time());
    const KeyPair new_key = KeyPair::generate({KeyAlgorithm::rsa, 1024});
    const Certificate renewed = issue_for_key(ca, new_key, "CN=r1");

    // the key must match the certificate; nothing changes otherwise
    CHECK(code_of([&] {
              store.replace_local_certificate("r1", old_key, renewed.to_der(), reference_time());
          }) == ErrorCode::key_mismatch);
    CHECK(store.key_pair("r1").public_pem() == old_key.public_pem());
    // an expired certificate is refused like a loaded one
    CHECK(code_of([&] {
              store.replace_local_certificate("r1", new_key, renewed.to_der(), reference_time() + 400 * day);
          }) == ErrorCode::expired);

    store.replace_local_certificate("r1", new_key, renewed.to_der(), reference_time());
    CHECK(store.key_pair("r1").public_pem() == new_key.public_pem());
    CHECK(store.local_certificate("r1").same_as(renewed));
    CHECK(store.key_pair("r1").matches(store.local_certificate("r1")));
    struct stat st {};
    REQUIRE(stat((certs() / "keys/r1.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK_FALSE(fs::exists(certs() / "local/r1.crt.next"));
    CHECK_FALSE(fs::exists(certs() / "keys/r1.key.next"));
}

TEST_CASE_FIXTURE(TempStore,
                  "re-enrollment cut short by a crash: the store never keeps a key and a certificate apart") {
    const Identity ca = make_root("CN=Store CA");
    auto write = [](const fs::path& p, const std::string& text) {
        std::ofstream(p, std::ios::binary) << text;
    };
    KeyPair old_key = KeyPair::generate({KeyAlgorithm::rsa, 1024});
    Certificate old_cert = issue_for_key(ca, old_key, "CN=r1");
    KeyPair new_key = KeyPair::generate({KeyAlgorithm::rsa, 1024});
    Certificate new_cert = issue_for_key(ca, new_key, "CN=r1");
    auto start = [&] {
        fs::remove_all(certs());
        CertificateStore store(certs());
        write(certs() / "keys/r1.key", old_key.private_pem());
        write(certs() / "local/r1.crt", old_cert.to_pem());
    };

    SUBCASE("crash after both new files were written: the new pair goes in") {
        start();
        write(certs() / "local/r1.crt.next", new_cert.to_pem());
        write(certs() / "keys/r1.key.next", new_key.private_pem());
        CertificateStore reopened(certs());
        CHECK(reopened.local_certificate("r1").same_as(new_cert));
        CHECK(reopened.key_pair("r1").public_pem() == new_key.public_pem());
    }
    SUBCASE("crash after the key was renamed: the certificate follows") {
        start();
        write(certs() / "keys/r1.key", new_key.private_pem());
        write(certs() / "local/r1.crt.next", new_cert.to_pem());
        CertificateStore reopened(certs());
        CHECK(reopened.local_certificate("r1").same_as(new_cert));
        CHECK(reopened.key_pair("r1").matches(reopened.local_certificate("r1")));
    }
    SUBCASE("crash before the new key was complete: the old pair stays") {
        start();
        write(certs() / "local/r1.crt.next", new_cert.to_pem());
        CertificateStore reopened(certs());
        CHECK(reopened.local_certificate("r1").same_as(old_cert));
        CHECK(reopened.key_pair("r1").public_pem() == old_key.public_pem());
        CHECK_FALSE(fs::exists(certs() / "local/r1.crt.next"));
    }
}
