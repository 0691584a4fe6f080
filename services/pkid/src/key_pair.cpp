#include "msim/pki/key_pair.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "msim/pki/certificate.hpp"
#include "ossl.hpp"

namespace msim::pki {
namespace {

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* key) {
    return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

EVP_PKEY* generate_dsa(unsigned bits) {
    detail::PkeyCtxPtr param_ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr));
    EVP_PKEY* params = nullptr;
    if (!param_ctx || EVP_PKEY_paramgen_init(param_ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_dsa_paramgen_bits(param_ctx.get(), static_cast<int>(bits)) != 1 ||
        // The FIPS 186 pairs (1024, 160) and (2048, 224): 160-bit q is what DSS peers expect of 1024-bit
        // keys.
        EVP_PKEY_CTX_set_dsa_paramgen_q_bits(param_ctx.get(), bits == 1024 ? 160 : 224) != 1 ||
        EVP_PKEY_paramgen(param_ctx.get(), &params) != 1) {
        detail::throw_crypto("DSA parameter generation failed");
    }
    detail::PkeyPtr owned_params(params);
    detail::PkeyCtxPtr key_ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, params, nullptr));
    EVP_PKEY* key = nullptr;
    if (!key_ctx || EVP_PKEY_keygen_init(key_ctx.get()) != 1 || EVP_PKEY_keygen(key_ctx.get(), &key) != 1) {
        detail::throw_crypto("DSA key generation failed");
    }
    return key;
}

// Size in bytes of r and s in the concatenated form: the group order's size.
std::size_t half_signature_size(EVP_PKEY* key) {
    if (EVP_PKEY_is_a(key, "DSA")) {
        BIGNUM* q = nullptr;
        if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_FFC_Q, &q) != 1) {
            detail::throw_crypto("DSA key without q");
        }
        std::size_t n = static_cast<std::size_t>(BN_num_bytes(q));
        BN_free(q);
        return n;
    }
    return (static_cast<std::size_t>(EVP_PKEY_get_bits(key)) + 7) / 8;
}

bool is_rsa(EVP_PKEY* key) {
    return EVP_PKEY_is_a(key, "RSA") != 0;
}

// DSA-Sig-Value and ECDSA-Sig-Value share one ASN.1 shape, SEQUENCE {r INTEGER, s INTEGER}, so the
// ECDSA_SIG codec serves both.
std::vector<std::uint8_t> der_to_concatenated(ByteView der, std::size_t half) {
    const unsigned char* p = der.data();
    std::unique_ptr<ECDSA_SIG, detail::Deleter<ECDSA_SIG_free>> sig(
        d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!sig) {
        detail::throw_crypto("cannot decode signature");
    }
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    std::vector<std::uint8_t> out(2 * half);
    if (BN_bn2binpad(r, out.data(), static_cast<int>(half)) < 0 ||
        BN_bn2binpad(s, out.data() + half, static_cast<int>(half)) < 0) {
        detail::throw_crypto("cannot encode signature");
    }
    return out;
}

// Returns an empty vector when the concatenated form has the wrong length.
std::vector<std::uint8_t> concatenated_to_der(ByteView raw, std::size_t half) {
    if (raw.size() != 2 * half) {
        return {};
    }
    std::unique_ptr<ECDSA_SIG, detail::Deleter<ECDSA_SIG_free>> sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(half), nullptr);
    BIGNUM* s = BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr);
    if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        detail::throw_crypto("cannot build signature");
    }
    int len = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (len <= 0) {
        detail::throw_crypto("cannot encode signature");
    }
    std::vector<std::uint8_t> out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    i2d_ECDSA_SIG(sig.get(), &p);
    return out;
}

}  // namespace

std::string_view to_string(KeyAlgorithm algorithm) {
    switch (algorithm) {
        case KeyAlgorithm::rsa:
            return "RSA";
        case KeyAlgorithm::dsa:
            return "DSA";
        case KeyAlgorithm::ecdsa:
            return "ECDSA";
    }
    return "unknown";
}

void check_key_pair_spec(const KeyPairSpec& spec) {
    switch (spec.algorithm) {
        case KeyAlgorithm::rsa:
            if (spec.bits == 512 || spec.bits == 1024 || spec.bits == 1596 || spec.bits == 2048 ||
                spec.bits == 4096) {
                return;
            }
            throw PkiError(ErrorCode::invalid_argument,
                           "Invalid key size " + std::to_string(spec.bits) +
                               " for RSA: expected 512, 1024, 1596, 2048 or 4096");
        case KeyAlgorithm::dsa:
            if (spec.bits == 1024 || spec.bits == 2048) {
                return;
            }
            throw PkiError(ErrorCode::invalid_argument, "Invalid key size " + std::to_string(spec.bits) +
                                                            " for DSA: expected 1024 or 2048");
        case KeyAlgorithm::ecdsa:
            if (spec.bits == 256 || spec.bits == 384) {
                return;
            }
            throw PkiError(ErrorCode::invalid_argument, "Invalid key size " + std::to_string(spec.bits) +
                                                            " for ECDSA: expected 256 or 384");
    }
    throw PkiError(ErrorCode::invalid_argument, "Invalid key type");
}

KeyPair KeyPair::generate(const KeyPairSpec& spec) {
    check_key_pair_spec(spec);
    EVP_PKEY* key = nullptr;
    switch (spec.algorithm) {
        case KeyAlgorithm::rsa:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(spec.bits));
            break;
        case KeyAlgorithm::ecdsa:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", spec.bits == 256 ? "P-256" : "P-384");
            break;
        case KeyAlgorithm::dsa:
            key = generate_dsa(spec.bits);
            break;
    }
    if (key == nullptr) {
        detail::throw_crypto("key pair generation failed");
    }
    return KeyPair(share(key));
}

KeyPair KeyPair::from_private_pem(std::string_view pem) {
    auto bio = detail::memory_bio(ByteView(reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()),
                                  "key pair file");
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (key == nullptr) {
        detail::take_openssl_errors();
        throw PkiError(ErrorCode::malformed_input, "key pair file is not a PEM private key");
    }
    KeyPair pair(share(key));
    if (!EVP_PKEY_is_a(key, "RSA") && !EVP_PKEY_is_a(key, "DSA") && !EVP_PKEY_is_a(key, "EC")) {
        throw PkiError(ErrorCode::malformed_input, "key pair file holds an unsupported key type");
    }
    return pair;
}

KeyAlgorithm KeyPair::algorithm() const {
    if (EVP_PKEY_is_a(key_.get(), "DSA")) {
        return KeyAlgorithm::dsa;
    }
    if (EVP_PKEY_is_a(key_.get(), "EC")) {
        return KeyAlgorithm::ecdsa;
    }
    return KeyAlgorithm::rsa;
}

unsigned KeyPair::bits() const {
    return static_cast<unsigned>(EVP_PKEY_get_bits(key_.get()));
}

std::string KeyPair::private_pem() const {
    auto bio = detail::output_bio();
    if (PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        detail::throw_crypto("cannot encode private key");
    }
    return detail::bio_contents(bio.get());
}

std::string KeyPair::public_pem() const {
    auto bio = detail::output_bio();
    if (PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
        detail::throw_crypto("cannot encode public key");
    }
    return detail::bio_contents(bio.get());
}

bool KeyPair::matches(const Certificate& certificate) const {
    EVP_PKEY* public_key = X509_get0_pubkey(certificate.native());
    if (public_key == nullptr) {
        detail::take_openssl_errors();
        return false;
    }
    return EVP_PKEY_eq(key_.get(), public_key) == 1;
}

std::vector<std::uint8_t> KeyPair::sign_hash(ByteView hash, SignatureFormat format) const {
    EVP_PKEY* key = key_.get();
    if (hash.empty()) {
        throw PkiError(ErrorCode::invalid_argument, "nothing to sign");
    }
    if (is_rsa(key) && hash.size() + 11 > static_cast<std::size_t>(EVP_PKEY_get_size(key))) {
        throw PkiError(ErrorCode::invalid_argument, "hash of " + std::to_string(hash.size()) +
                                                        " bytes is too long for a " + std::to_string(bits()) +
                                                        "-bit RSA key");
    }
    detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        (is_rsa(key) && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1)) {
        detail::throw_crypto("cannot initialise signing");
    }
    std::size_t len = 0;
    if (EVP_PKEY_sign(ctx.get(), nullptr, &len, hash.data(), hash.size()) != 1) {
        detail::throw_crypto("cannot size signature");
    }
    std::vector<std::uint8_t> signature(len);
    if (EVP_PKEY_sign(ctx.get(), signature.data(), &len, hash.data(), hash.size()) != 1) {
        detail::throw_crypto("signing failed");
    }
    signature.resize(len);
    if (!is_rsa(key) && format == SignatureFormat::concatenated) {
        return der_to_concatenated(signature, half_signature_size(key));
    }
    return signature;
}

bool verify_hash_signature(EVP_PKEY* public_key, ByteView hash, ByteView signature, SignatureFormat format) {
    if (public_key == nullptr || hash.empty() || signature.empty()) {
        return false;
    }
    std::vector<std::uint8_t> der;
    if (!is_rsa(public_key) && format == SignatureFormat::concatenated) {
        der = concatenated_to_der(signature, half_signature_size(public_key));
        if (der.empty()) {
            return false;
        }
        signature = der;
    }
    detail::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, public_key, nullptr));
    if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
        (is_rsa(public_key) && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1)) {
        detail::take_openssl_errors();
        return false;
    }
    int r = EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), hash.data(), hash.size());
    detail::take_openssl_errors();
    return r == 1;
}

bool verify_hash_signature(const Certificate& signer, ByteView hash, ByteView signature,
                           SignatureFormat format) {
    EVP_PKEY* key = X509_get0_pubkey(signer.native());
    detail::take_openssl_errors();
    return verify_hash_signature(key, hash, signature, format);
}

}  // namespace msim::pki
