#include "msim/pki/key_pair.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>

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

}  // namespace msim::pki
