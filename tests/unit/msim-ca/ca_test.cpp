// msim-ca in-process: the CA directory (init, requests, approval, revocation, CRLs) and the SCEP server over
// real HTTP on an ephemeral loopback port, spoken to by libmsim_pki's SCEP client (pkid's) and, for GetCert
// and GetCRL, by messages built here with OpenSSL the way RFC 8894 describes them.
#include <doctest/doctest.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "msim/ca/ca_store.hpp"
#include "msim/ca/http_server.hpp"
#include "msim/ca/scep_service.hpp"
#include "msim/pki/scep.hpp"
#include "msim/pki/scep_message.hpp"

using namespace msim;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/msim-ca-test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
};

ca::CaStore make_ca(const fs::path& dir, bool manual, const std::string& password = "s3cret") {
    ca::InitOptions o;
    o.subject = "CN=Test Lab CA,O=msim";
    o.settings.challenge_password = password;
    o.settings.manual_approval = manual;
    o.settings.validity_days = 30;
    o.settings.crl_url = "http://127.0.0.1:8480/ca.crl";
    return ca::CaStore::init(dir, o, std::chrono::system_clock::now());
}

// msim-ca's HTTP server on 127.0.0.1:<ephemeral> in a thread of its own.
struct Served {
    ca::CaStore store;
    boost::asio::io_context io;
    std::unique_ptr<ca::HttpServer> server;
    std::thread thread;
    std::vector<std::string> log;
    explicit Served(const fs::path& dir) : store(dir) {
        server = std::make_unique<ca::HttpServer>(
            io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0),
            [this](const ca::HttpRequest& r) {
                std::string line;
                auto response = ca::route(store, r, std::chrono::system_clock::now(), line);
                log.push_back(line);
                return response;
            });
        thread = std::thread([this] { io.run(); });
    }
    ~Served() {
        io.stop();
        thread.join();
        server.reset();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()) + "/scep"; }
    std::string base() const { return "http://127.0.0.1:" + std::to_string(server->port()); }
};

pki::CertificateRequest request_for(const pki::KeyPair& key, const std::string& cn,
                                    const std::string& password) {
    pki::RequestParams p;
    p.subject = "CN=" + cn + ",O=msim";
    p.alternative_names.domain_names = {cn};
    p.alternative_names.ip_addresses = {"10.5.5.5"};
    p.challenge_password = password;
    return pki::create_certificate_request(key, p);
}

pki::ScepEnrollment enrollment(const Served& s, bool post = true) {
    pki::ScepEnrollment e;
    e.url = s.url();
    e.capabilities = pki::scep_get_ca_caps(e.url);
    if (!post)
        e.capabilities.erase("POSTPKIOperation");  // the client falls back to GET …&message=BASE64
    e.ca_certificates = pki::scep_get_ca_cert(e.url, "msim");
    return e;
}

// A pkiMessage of our own (GetCert, GetCRL): `inner` enveloped to the CA, signed by `signer`/`key`.
std::string pki_message(const char* type, const std::string& inner, const pki::KeyPair& key,
                        const pki::Certificate& signer, const pki::Certificate& ca, const std::string& tx,
                        const std::string& nonce) {
    STACK_OF(X509)* recipients = sk_X509_new_null();
    X509_up_ref(ca.native());
    sk_X509_push(recipients, ca.native());
    BIO* in = BIO_new_mem_buf(inner.data(), static_cast<int>(inner.size()));
    PKCS7* env = PKCS7_encrypt(recipients, in, EVP_aes_128_cbc(), PKCS7_BINARY);
    BIO_free(in);
    sk_X509_pop_free(recipients, X509_free);
    REQUIRE(env != nullptr);
    unsigned char* der = nullptr;
    const int n = i2d_PKCS7(env, &der);
    const std::string env_der(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    PKCS7_free(env);
    PKCS7* p7 = PKCS7_sign(nullptr, nullptr, nullptr, nullptr, PKCS7_BINARY | PKCS7_PARTIAL);
    PKCS7_SIGNER_INFO* si = PKCS7_sign_add_signer(p7, signer.native(), key.native(), EVP_sha256(), 0);
    REQUIRE(si != nullptr);
    const auto& nids = pki::scep::attribute_nids();
    pki::scep::add_string_attribute(si, nids.transaction_id, V_ASN1_PRINTABLESTRING, tx);
    pki::scep::add_string_attribute(si, nids.message_type, V_ASN1_PRINTABLESTRING, type);
    pki::scep::add_string_attribute(si, nids.sender_nonce, V_ASN1_OCTET_STRING, nonce);
    BIO* content = BIO_new_mem_buf(env_der.data(), static_cast<int>(env_der.size()));
    REQUIRE(PKCS7_final(p7, content, PKCS7_BINARY) == 1);
    BIO_free(content);
    der = nullptr;
    const int m = i2d_PKCS7(p7, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(m));
    OPENSSL_free(der);
    PKCS7_free(p7);
    return out;
}

std::string issuer_and_serial(const pki::Certificate& ca, const pki::Certificate& cert) {
    PKCS7_ISSUER_AND_SERIAL* ias = PKCS7_ISSUER_AND_SERIAL_new();
    X509_NAME_set(&ias->issuer, X509_get_subject_name(ca.native()));
    ASN1_INTEGER_free(ias->serial);
    ias->serial = ASN1_INTEGER_dup(X509_get0_serialNumber(cert.native()));
    unsigned char* der = nullptr;
    const int n = i2d_PKCS7_ISSUER_AND_SERIAL(ias, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    PKCS7_ISSUER_AND_SERIAL_free(ias);
    return out;
}

pki::ByteView view(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("msim-ca init: a CA certificate fit to sign, its key 0600, an empty CRL; never twice by mistake") {
    TempDir d;
    const ca::CaStore store = make_ca(d.path / "ca", false);
    const pki::Certificate& c = store.certificate();
    CHECK(c.is_ca());
    CHECK(c.is_self_signed());
    CHECK(c.subject_string() == "CN=Test Lab CA, O=msim");
    struct stat st {};
    REQUIRE(::stat((d.path / "ca/ca.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat((d.path / "ca/ca.conf").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);  // it holds the challenge password
    std::ifstream crl_file(d.path / "ca/crl.der", std::ios::binary);
    std::stringstream crl_bytes;
    crl_bytes << crl_file.rdbuf();
    const pki::Crl crl = pki::Crl::from_bytes(view(crl_bytes.str()));
    CHECK(crl.issued_by(c));
    CHECK(crl.revoked().empty());
    CHECK_THROWS_AS(make_ca(d.path / "ca", false), ca::CaError);
    CHECK_THROWS_AS(ca::CaStore(d.path / "nothing"), ca::CaError);
    ca::InitOptions bad;
    bad.subject = "no equals sign";
    CHECK_THROWS_AS(ca::CaStore::init(d.path / "bad", bad, std::chrono::system_clock::now()), ca::CaError);
}

TEST_CASE(
    "msim-ca SCEP: capabilities, CA certificate, automatic issue, wrong or missing challenge password") {
    TempDir d;
    make_ca(d.path / "ca", false);
    Served s(d.path / "ca");
    const auto e = enrollment(s);
    for (const char* cap : {"AES", "POSTPKIOperation", "SHA-256", "SHA-384", "SCEPStandard"})
        CHECK(e.capabilities.count(cap) == 1);
    REQUIRE(e.ca_certificates.size() == 1);
    CHECK(e.ca_certificates.front().same_as(s.store.certificate()));

    const auto key = pki::KeyPair::generate({pki::KeyAlgorithm::rsa, 2048});
    const auto r = pki::scep_pkcs_req(e, key, request_for(key, "r1.example.net", "s3cret"));
    REQUIRE(r.status == pki::ScepStatus::success);
    REQUIRE(r.certificate);
    CHECK(key.matches(*r.certificate));
    CHECK(r.certificate->subject_string() == "CN=r1.example.net, O=msim");
    CHECK(r.certificate->issuer_string() == "CN=Test Lab CA, O=msim");
    CHECK(r.certificate->dns_names() == std::vector<std::string>{"r1.example.net"});
    CHECK(r.certificate->ip_addresses() == std::vector<std::string>{"10.5.5.5"});
    CHECK(r.certificate->crl_distribution_points() ==
          std::vector<std::string>{"http://127.0.0.1:8480/ca.crl"});
    CHECK_FALSE(r.certificate->is_ca());
    const auto validity = r.certificate->not_after() - r.certificate->not_before();
    CHECK(validity > std::chrono::hours(24 * 30));
    CHECK(validity < std::chrono::hours(24 * 31));

    // the same over GET …&message=BASE64
    const auto key2 = pki::KeyPair::generate({pki::KeyAlgorithm::rsa, 2048});
    const auto r2 =
        pki::scep_pkcs_req(enrollment(s, false), key2, request_for(key2, "r2.example.net", "s3cret"));
    REQUIRE(r2.status == pki::ScepStatus::success);
    CHECK(key2.matches(*r2.certificate));

    const auto key3 = pki::KeyPair::generate({pki::KeyAlgorithm::rsa, 2048});
    auto r3 = pki::scep_pkcs_req(e, key3, request_for(key3, "r3.example.net", "wrong"));
    CHECK(r3.status == pki::ScepStatus::failure);
    CHECK(r3.fail_info == "badRequest");
    CHECK_FALSE(r3.certificate);
    // a request without a challenge password at all
    pki::RequestParams none;
    none.subject = "CN=r4,O=msim";
    none.alternative_names.domain_names = {"r4.example.net"};
    r3 = pki::scep_pkcs_req(e, key3, pki::create_certificate_request(key3, none));
    CHECK(r3.status == pki::ScepStatus::failure);
    CHECK(r3.fail_info == "badRequest");

    const auto issued = s.store.issued_list();
    CHECK(issued.size() == 2);
    const auto requests = s.store.requests();
    REQUIRE(requests.size() == 2);  // refused requests are not recorded
    CHECK(requests[0].state == ca::RequestState::issued);
    CHECK(requests[0].serial == r.certificate->serial_hex());
}

TEST_CASE("msim-ca SCEP: manual approval keeps a request PENDING; approve issues it, reject refuses it") {
    TempDir d;
    make_ca(d.path / "ca", true);
    Served s(d.path / "ca");
    const auto e = enrollment(s);
    const auto key = pki::KeyPair::generate({pki::KeyAlgorithm::rsa, 2048});
    const auto request = request_for(key, "r1.example.net", "s3cret");
    auto r = pki::scep_pkcs_req(e, key, request);
    REQUIRE(r.status == pki::ScepStatus::pending);
    CHECK_FALSE(r.certificate);
    // a poll while pending, and a resent PKCSReq, are the same request
    CHECK(pki::scep_get_cert_initial(e, key, request, r.transaction_id).status == pki::ScepStatus::pending);
    CHECK(pki::scep_pkcs_req(e, key, request).status == pki::ScepStatus::pending);
    auto requests = s.store.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].state == ca::RequestState::pending);
    CHECK(requests[0].transaction_id == r.transaction_id);

    // the instructor's command (another process in real life: it works on the same directory)
    ca::CaStore instructor(d.path / "ca");
    const auto approved = instructor.approve(requests[0].id, std::chrono::system_clock::now());
    CHECK(approved.state == ca::RequestState::issued);
    CHECK_THROWS_AS(instructor.approve(requests[0].id, std::chrono::system_clock::now()), ca::CaError);
    r = pki::scep_get_cert_initial(e, key, request, r.transaction_id);
    REQUIRE(r.status == pki::ScepStatus::success);
    REQUIRE(r.certificate);
    CHECK(key.matches(*r.certificate));
    CHECK(r.certificate->serial_hex() == approved.serial);

    const auto key2 = pki::KeyPair::generate({pki::KeyAlgorithm::rsa, 2048});
    const auto request2 = request_for(key2, "r2.example.net", "s3cret");
    r = pki::scep_pkcs_req(e, key2, request2);
    REQUIRE(r.status == pki::ScepStatus::pending);
    instructor.reject(s.store.requests().back().id, "");
    r = pki::scep_get_cert_initial(e, key2, request2, r.transaction_id);
    CHECK(r.status == pki::ScepStatus::failure);
    CHECK(r.fail_info == "badRequest");
    // the same key asks again (a new request, not the rejected one)
    r = pki::scep_pkcs_req(e, key2, request2);
    CHECK(r.status == pki::ScepStatus::pending);
    CHECK(s.store.requests().size() == 3);
    // a transaction the CA never saw
    const auto key3 = pki::KeyPair::generate({pki::KeyAlgorithm::rsa, 2048});
    r = pki::scep_get_cert_initial(e, key3, request_for(key3, "r3", "s3cret"), "0123456789ABCDEF");
    CHECK(r.status == pki::ScepStatus::failure);
    CHECK(r.fail_info == "badCertId");
    CHECK_THROWS_AS(instructor.approve(99, std::chrono::system_clock::now()), ca::CaError);
}

TEST_CASE("msim-ca: revocation re-signs the CRL served over HTTP; GetCert and GetCRL answer by serial") {
    TempDir d;
    make_ca(d.path / "ca", false);
    Served s(d.path / "ca");
    const auto e = enrollment(s);
    const auto key = pki::KeyPair::generate({pki::KeyAlgorithm::rsa, 2048});
    const auto r = pki::scep_pkcs_req(e, key, request_for(key, "r1.example.net", "s3cret"));
    REQUIRE(r.certificate);
    const auto crl_url = s.base() + "/ca.crl";
    pki::Crl crl = pki::Crl::from_bytes(view(pki::download(crl_url)));
    CHECK(crl.issued_by(s.store.certificate()));
    CHECK_FALSE(crl.is_revoked(*r.certificate));

    ca::CaStore instructor(d.path / "ca");
    CHECK_THROWS_AS(instructor.revoke("7f", "", std::chrono::system_clock::now()), ca::CaError);
    CHECK_THROWS_AS(
        instructor.revoke(r.certificate->serial_hex(), "nonsense", std::chrono::system_clock::now()),
        ca::CaError);
    instructor.revoke(r.certificate->serial_hex(), "keyCompromise", std::chrono::system_clock::now());
    CHECK_THROWS_AS(instructor.revoke(r.certificate->serial_hex(), "", std::chrono::system_clock::now()),
                    ca::CaError);
    crl = pki::Crl::from_bytes(view(pki::download(crl_url)));
    CHECK(crl.is_revoked(*r.certificate));
    CHECK(crl.issued_by(s.store.certificate()));
    REQUIRE(crl.next_update());
    CHECK(*crl.next_update() - crl.this_update() == std::chrono::hours(24));
    const auto list = instructor.issued_list();
    REQUIRE(list.size() == 1);
    CHECK(list[0].revoked);
    CHECK(list[0].reason == "keyCompromise");

    // GetCert and GetCRL, signed with the certificate the CA issued
    const auto& nids = pki::scep::attribute_nids();
    (void)nids;
    const std::string nonce = "0123456789abcdef";
    auto ask = [&](const char* type) {
        const std::string msg = pki_message(type, issuer_and_serial(s.store.certificate(), *r.certificate),
                                            key, *r.certificate, s.store.certificate(), "TX1", nonce);
        const auto answer = ca::scep_pki_operation(s.store, msg, std::chrono::system_clock::now());
        return pki::scep_read_cert_rep(view(answer.der), {s.store.certificate()}, key,
                                       r.certificate ? &*r.certificate : nullptr, "TX1", nonce);
    };
    const auto got = ask(pki::scep::get_cert);
    REQUIRE(got.status == pki::ScepStatus::success);
    REQUIRE(got.certificate);
    CHECK(got.certificate->same_as(*r.certificate));
    const auto got_crl = ask(pki::scep::get_crl);
    REQUIRE(got_crl.status == pki::ScepStatus::success);
    REQUIRE(got_crl.crls.size() == 1);
    CHECK(got_crl.crls[0].is_revoked(*r.certificate));
    // an unsupported messageType
    const auto renewal = ask(pki::scep::renewal_req);
    CHECK(renewal.status == pki::ScepStatus::failure);
    CHECK(renewal.fail_info == "badRequest");
}

TEST_CASE("msim-ca HTTP routes: paths, methods and messages that are not SCEP") {
    TempDir d;
    make_ca(d.path / "ca", false);
    ca::CaStore store(d.path / "ca");
    const auto now = std::chrono::system_clock::now();
    std::string line;
    auto get = [&](const std::string& target, const std::string& method = "GET",
                   const std::string& body = {}) {
        return ca::route(store, {method, target, body}, now, line);
    };
    CHECK(get("/scep?operation=GetCACaps").body.find("SHA-384") != std::string::npos);
    const auto cacert = get("/cgi-bin/pkiclient.exe?operation=GetCACert&message=msim");
    CHECK(cacert.status == 200);
    CHECK(cacert.content_type == "application/x-x509-ca-cert");
    CHECK(pki::Certificate::from_bytes(view(cacert.body)).same_as(store.certificate()));
    CHECK(get("/ca.crt").status == 200);
    CHECK(get("/ca.crl").content_type == "application/pkix-crl");
    CHECK(get("/nothing").status == 404);
    CHECK(get("/ca.crl", "POST").status == 405);
    CHECK(get("/scep?operation=GetCACert", "POST").status == 405);
    CHECK(get("/scep?operation=Nonsense").status == 400);
    CHECK(get("/scep?operation=PKIOperation").status == 400);
    CHECK(get("/scep?operation=PKIOperation&message=!!!").status == 400);
    CHECK(get("/scep?operation=PKIOperation&message=AAAA").status == 400);
    CHECK(get("/scep?operation=PKIOperation", "POST", "junk").status == 400);
    CHECK(get("/scep?operation=PKIOperation", "POST", "").status == 400);
    CHECK(line.find("400") != std::string::npos);

    const auto t = ca::parse_target("/a%20b?operation=PKIOperation&message=ab%2Bc+d%3D&empty&=x");
    CHECK(t.path == "/a b");
    CHECK(t.query.at("operation") == "PKIOperation");
    CHECK(t.query.at("message") == "ab+c+d=");
    CHECK(t.query.at("empty").empty());
    CHECK(t.query.size() == 3);
}
