// Fuzz target for both ends of SCEP: msim-ca's request side (the HTTP request target's parser, PKIOperation
// by POST body and by GET base64 `message=`, i.e. the pkiMessage parser: PKCS#7 signedData, signer
// certificate, attributes, envelopedData, PKCS#10 / IssuerAndSubject / IssuerAndSerialNumber) and pkid's
// CertRep reader (scep_read_cert_rep: signature, attributes, envelope, degenerate PKCS#7). The CA and the
// client key are fixed (fixture/), so recorded CertReps (seeds/, made by make_seeds.sh) open and their
// insides get fuzzed too; the transaction and nonce the reader checks are taken from the input itself.
// The CA directory is a temporary copy of the fixture (manual approval: requests that pass are recorded,
// never issued). Anything but a clean answer or an expected exception is a bug.
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "msim/ca/ca_store.hpp"
#include "msim/ca/http_server.hpp"
#include "msim/ca/scep_service.hpp"
#include "msim/pki/scep.hpp"
#include "msim/pki/scep_message.hpp"

namespace fs = std::filesystem;
using namespace msim;

namespace {

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Fixture {
    fs::path dir;
    std::unique_ptr<ca::CaStore> store;
    std::optional<pki::KeyPair> client;
    Fixture() {
        char tmpl[] = "/tmp/msim-fuzz-scep.XXXXXX";
        dir = ::mkdtemp(tmpl);
        const fs::path fixture = MSIM_SCEP_FIXTURE;
        for (const char* f : {"ca.key", "ca.crt", "ca.conf"})
            fs::copy_file(fixture / f, dir / f);
        fs::create_directories(dir / "requests");
        fs::create_directories(dir / "issued");
        store = std::make_unique<ca::CaStore>(dir);
        client = pki::KeyPair::from_private_pem(read(fixture / "client.key"));
    }
    ~Fixture() {
        store.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

// The transaction id and sender nonce a CertRep names, so the reader's checks pass for recorded answers.
void attributes_of(const std::string& der, std::string& tx, std::string& nonce) {
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    PKCS7* p7 = d2i_PKCS7(nullptr, &p, static_cast<long>(der.size()));
    if (p7 != nullptr && PKCS7_type_is_signed(p7) && p7->d.sign != nullptr) {
        if (STACK_OF(PKCS7_SIGNER_INFO)* infos = PKCS7_get_signer_info(p7);
            infos != nullptr && sk_PKCS7_SIGNER_INFO_num(infos) > 0) {
            const auto& nids = pki::scep::attribute_nids();
            PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(infos, 0);
            tx = pki::scep::string_attribute(si, nids.transaction_id);
            nonce = pki::scep::string_attribute(si, nids.recipient_nonce);
        }
    }
    PKCS7_free(p7);
    ERR_clear_error();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Fixture& f = fixture();
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    const auto now = std::chrono::system_clock::now();
    std::string line;

    (void)ca::parse_target(bytes);
    (void)ca::route(*f.store, {"GET", bytes, ""}, now, line);
    (void)ca::route(*f.store, {"POST", "/scep?operation=PKIOperation", bytes}, now, line);
    (void)ca::route(*f.store, {"GET", "/scep?operation=PKIOperation&message=" + bytes, ""}, now, line);

    std::string tx, nonce;
    attributes_of(bytes, tx, nonce);
    try {
        (void)pki::scep_read_cert_rep(pki::ByteView(data, size), {f.store->certificate()}, *f.client, nullptr,
                                      tx, nonce);
    } catch (const pki::PkiError&) {
    }
    return 0;
}
