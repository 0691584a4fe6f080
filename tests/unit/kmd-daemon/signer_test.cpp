// kmd's pkid-backed signatures: the configuration check, the signature check with a certificate's key, and
// an unreachable pkid failing cleanly.
#include <doctest/doctest.h>
#include <openssl/bn.h>
#include <openssl/dsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "msim/config/owned_configuration.hpp"
#include "msim/config/schema.hpp"
#include "msim/kmd/daemon_config.hpp"
#include "msim/kmd/pkid_signer.hpp"

using namespace msim;

TEST_CASE("a signature policy needs local-certificate") {
    auto schema = config::Schema::load(MSIM_YANG_DIR);
    config::OwnedConfiguration owned(schema);
    const std::string base = R"(security {
    ike {
        proposal p { authentication-method rsa-signatures; }
        policy 10.6.6.6 {
            proposals p;
)";
    owned.load(base + "        }\n    }\n}\n");
    try {
        kmd::parse_kmd_config(owned.tree());
        FAIL("accepted rsa-signatures without local-certificate");
    } catch (const kmd::KmdConfigError& e) {
        CHECK(e.path == "[edit security ike policy 10.6.6.6]");
        CHECK(std::string(e.what()).find("local-certificate is required") != std::string::npos);
    }
    owned.load(base + "            local-certificate gw-a;\n        }\n    }\n}\n");
    auto cfg = kmd::parse_kmd_config(owned.tree());
    const auto& p = cfg.ike_policies.at("10.6.6.6");
    CHECK(p.local_certificate == "gw-a");
    REQUIRE(p.signature_method);
    CHECK(*p.signature_method == kmd::AuthMethod::RsaSignature);
}

TEST_CASE("RSA signatures over the raw hash verify with the certificate's key") {
    EVP_PKEY* key = EVP_RSA_gen(1024);
    REQUIRE(key);
    X509* x = X509_new();
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("gw"), -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
    unsigned char* der = nullptr;
    const int len = i2d_X509(x, &der);
    kmd::Bytes cert(der, der + len);
    OPENSSL_free(der);
    kmd::Bytes hash(20, 0x5a);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
    REQUIRE(EVP_PKEY_sign_init(ctx) == 1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1);
    size_t siglen = 0;
    REQUIRE(EVP_PKEY_sign(ctx, nullptr, &siglen, hash.data(), hash.size()) == 1);
    kmd::Bytes sig(siglen);
    REQUIRE(EVP_PKEY_sign(ctx, sig.data(), &siglen, hash.data(), hash.size()) == 1);
    sig.resize(siglen);
    EVP_PKEY_CTX_free(ctx);
    CHECK(kmd::verify_with_certificate(cert, hash, sig, kmd::AuthMethod::RsaSignature).ok());
    kmd::Bytes other = hash;
    other[0] ^= 1;
    CHECK_FALSE(kmd::verify_with_certificate(cert, other, sig, kmd::AuthMethod::RsaSignature).ok());
    CHECK_FALSE(kmd::verify_with_certificate(cert, hash, sig, kmd::AuthMethod::DssSignature).ok());
    X509_free(x);
    EVP_PKEY_free(key);
}

TEST_CASE("an unreachable pkid is AUTHENTICATION-FAILED with the reason, not a crash") {
    std::vector<std::string> logged;
    kmd::PkidSigner signer("/nonexistent/pkid.sock", kmd::AuthMethod::RsaSignature, "gw-a",
                           [&](const std::string& l) { logged.push_back(l); });
    CHECK(signer.certificate().empty());
    REQUIRE_FALSE(logged.empty());
    CHECK(logged.front().find("gw-a") != std::string::npos);
    kmd::Bytes hash(20, 1);
    auto s = signer.sign(hash);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == kmd::ErrorCode::AuthenticationFailed);
    CHECK(s.error().message.find("pkid is not reachable") != std::string::npos);
    auto v = signer.verify(hash, hash, kmd::Identity::fqdn("peer"), {kmd::Bytes{1, 2, 3}});
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code == kmd::ErrorCode::AuthenticationFailed);
}

TEST_CASE("DSS signatures as r||s verify with the certificate's DSA key") {
    EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr);
    REQUIRE(pctx);
    REQUIRE(EVP_PKEY_paramgen_init(pctx) == 1);
    REQUIRE(EVP_PKEY_CTX_set_dsa_paramgen_bits(pctx, 1024) == 1);
    REQUIRE(EVP_PKEY_CTX_set_dsa_paramgen_q_bits(pctx, 160) == 1);  // IKEv1 DSS: 20-byte r and s
    EVP_PKEY* params = nullptr;
    REQUIRE(EVP_PKEY_paramgen(pctx, &params) == 1);
    EVP_PKEY_CTX* kctx = EVP_PKEY_CTX_new_from_pkey(nullptr, params, nullptr);
    EVP_PKEY* key = nullptr;
    REQUIRE(EVP_PKEY_keygen_init(kctx) == 1);
    REQUIRE(EVP_PKEY_keygen(kctx, &key) == 1);
    X509* x = X509_new();
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
    unsigned char* der = nullptr;
    const int len = i2d_X509(x, &der);
    kmd::Bytes cert(der, der + len);
    OPENSSL_free(der);
    kmd::Bytes hash(20, 0x33);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
    REQUIRE(EVP_PKEY_sign_init(ctx) == 1);
    size_t siglen = 0;
    REQUIRE(EVP_PKEY_sign(ctx, nullptr, &siglen, hash.data(), hash.size()) == 1);
    kmd::Bytes sig(siglen);
    REQUIRE(EVP_PKEY_sign(ctx, sig.data(), &siglen, hash.data(), hash.size()) == 1);
    sig.resize(siglen);
    // DER -> r||s, 20 bytes each (what IKEv1 peers send).
    const unsigned char* p = sig.data();
    DSA_SIG* ds = d2i_DSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    REQUIRE(ds);
    const BIGNUM *r = nullptr, *s = nullptr;
    DSA_SIG_get0(ds, &r, &s);
    kmd::Bytes rs(40);
    BN_bn2binpad(r, rs.data(), 20);
    BN_bn2binpad(s, rs.data() + 20, 20);
    DSA_SIG_free(ds);
    CHECK(kmd::verify_with_certificate(cert, hash, rs, kmd::AuthMethod::DssSignature).ok());
    CHECK(kmd::verify_with_certificate(cert, hash, sig, kmd::AuthMethod::DssSignature).ok());
    rs[5] ^= 1;
    CHECK_FALSE(kmd::verify_with_certificate(cert, hash, rs, kmd::AuthMethod::DssSignature).ok());
    CHECK_FALSE(kmd::verify_with_certificate(cert, hash, sig, kmd::AuthMethod::RsaSignature).ok());
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_CTX_free(kctx);
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(params);
    EVP_PKEY_free(key);
    X509_free(x);
}
