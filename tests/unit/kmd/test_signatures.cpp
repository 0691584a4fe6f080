// rsa-signatures through the SignatureProvider interface (pkid will implement it with X.509 certificates;
// here a test provider signs with an RSA key and sends its DER public key in the CERT payload).
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "session_harness.hpp"

using namespace msim::kmd;
using namespace msim::kmd::test;

namespace {

struct PkeyDeleter {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct RsaProvider : SignatureProvider {
    Pkey key;
    Bytes trusted_peer_key;  // DER SubjectPublicKeyInfo the peer must present
    RsaProvider() : key(EVP_RSA_gen(1024)) { REQUIRE(key); }
    Bytes public_der() const {
        int n = i2d_PUBKEY(key.get(), nullptr);
        Bytes out(static_cast<std::size_t>(n));
        unsigned char* p = out.data();
        i2d_PUBKEY(key.get(), &p);
        return out;
    }
    AuthMethod method() const override { return AuthMethod::RsaSignature; }
    Bytes certificate() const override { return public_der(); }
    Bytes ca = {0x30, 0x00};  // an empty DER Name stands for "the CA" here
    Bytes certificate_authority() const override { return ca; }
    Result<Bytes> sign(ByteView hash) const override {
        // RFC 2409 5.1 with RSA: PKCS#1 v1.5 type 1 padding of the raw HASH (no DigestInfo).
        std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> ctx(EVP_PKEY_CTX_new(key.get(), nullptr),
                                                                   EVP_PKEY_CTX_free);
        std::size_t len = 0;
        if (EVP_PKEY_sign_init(ctx.get()) <= 0 ||
            EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0 ||
            EVP_PKEY_sign(ctx.get(), nullptr, &len, hash.data(), hash.size()) <= 0)
            return make_error(ErrorCode::CryptoFailure, "sign");
        Bytes sig(len);
        if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, hash.data(), hash.size()) <= 0)
            return make_error(ErrorCode::CryptoFailure, "sign");
        sig.resize(len);
        return sig;
    }
    Result<Ok> verify(ByteView hash, ByteView signature, const Identity&,
                      const std::vector<Bytes>& certs) const override {
        if (certs.empty() || certs[0] != trusted_peer_key)
            return make_error(ErrorCode::AuthenticationFailed, "peer certificate not trusted");
        const unsigned char* p = certs[0].data();
        Pkey peer(d2i_PUBKEY(nullptr, &p, static_cast<long>(certs[0].size())));
        if (!peer)
            return make_error(ErrorCode::AuthenticationFailed, "bad certificate");
        std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> ctx(EVP_PKEY_CTX_new(peer.get(), nullptr),
                                                                   EVP_PKEY_CTX_free);
        if (EVP_PKEY_verify_init(ctx.get()) <= 0 ||
            EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0 ||
            EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), hash.data(), hash.size()) != 1)
            return make_error(ErrorCode::AuthenticationFailed, "signature does not verify");
        return Ok{};
    }
};

}  // namespace

TEST_CASE("rsa-signatures in main and aggressive mode; an untrusted key fails") {
    auto c = make_crypto();
    RsaProvider a, b, stranger;
    a.trusted_peer_key = b.public_der();
    b.trusted_peer_key = a.public_der();
    IkeProposal p;
    p.authentication = AuthMethod::RsaSignature;
    for (auto mode : {Phase1Mode::Main, Phase1Mode::Aggressive}) {
        CAPTURE(mode == Phase1Mode::Main);
        Phase1Config i, r;
        i.mode = r.mode = mode;
        i.proposals = r.proposals = {p};
        i.local = r.remote = *Endpoint::parse("192.0.2.1");
        i.remote = r.local = *Endpoint::parse("192.0.2.2");
        i.signatures = &a;
        r.signatures = &b;
        Phase1Run ok;
        run_phase1(ok, *c, i, r);
        REQUIRE(ok.initiator->established());
        REQUIRE(ok.responder->established());
        CHECK(ok.initiator->ike_sa()->skeyid_d == ok.responder->ike_sa()->skeyid_d);
        CHECK(ok.initiator->ike_sa()->proposal.authentication == AuthMethod::RsaSignature);
        // Each side asks for the other's certificate (CERTREQ with its CA) before the authentication
        // messages: main mode 3 and 4, aggressive mode 1 and 2 (all unencrypted).
        a.ca = {0x30, 0x02, 0x31, 0x00};
        Phase1Run asked;
        run_phase1(asked, *c, i, r);
        REQUIRE(asked.initiator->established());
        auto certreqs = [](const Bytes& datagram) {
            std::vector<isakmp::CertRequestPayload> out;
            auto packet = isakmp::parse_packet(datagram);
            REQUIRE(packet.ok());
            auto payloads = isakmp::decode_payloads(packet->header.next_payload, packet->body, false);
            REQUIRE(payloads.ok());
            for (const auto& p : *payloads)
                if (const auto* cr = std::get_if<isakmp::CertRequestPayload>(&p))
                    out.push_back(*cr);
            return out;
        };
        const size_t from_initiator = mode == Phase1Mode::Main ? 2 : 0;
        const size_t from_responder = mode == Phase1Mode::Main ? 3 : 1;
        REQUIRE(asked.wire.all.size() > from_responder);
        auto ci = certreqs(asked.wire.all[from_initiator].second);
        auto cr = certreqs(asked.wire.all[from_responder].second);
        REQUIRE(ci.size() == 1);
        REQUIRE(cr.size() == 1);
        CHECK(ci[0].encoding == 4);  // X.509 certificate - signature
        CHECK(ci[0].authority == a.ca);
        CHECK(cr[0].authority == b.ca);
        a.ca = {0x30, 0x00};

        r.signatures = &stranger;  // signs with a key the initiator does not trust (and distrusts a)
        Phase1Run bad;
        run_phase1(bad, *c, i, r);
        CHECK(bad.initiator->failed());
        CHECK(bad.responder->failed());
        CHECK_FALSE(bad.initiator->ike_sa());
    }
}
