#include "crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <cstring>
#include <string>

namespace msim::ipsec::detail {

namespace {
// OpenSSL names, indexed by Cipher.
constexpr const char* cipher_names[] = {nullptr, "DES-CBC", "DES-EDE3-CBC", "AES-128-CBC", "AES-256-CBC"};
}  // namespace

std::size_t icv_length(Integrity integrity) {
    switch (integrity) {
        case Integrity::none:
            return 0;
        case Integrity::hmac_md5_96:
        case Integrity::hmac_sha1_96:
            return 12;
        case Integrity::hmac_sha256_128:
            return 16;
    }
    return 0;
}

const char* digest_name(Integrity integrity) {
    switch (integrity) {
        case Integrity::hmac_md5_96:
            return "MD5";
        case Integrity::hmac_sha1_96:
            return "SHA1";
        case Integrity::hmac_sha256_128:
            return "SHA2-256";
        case Integrity::none:
            break;
    }
    return nullptr;
}

CryptoProvider::CryptoProvider() {
    libctx_ = OSSL_LIB_CTX_new();
    if (libctx_ == nullptr) {
        return;
    }
    default_ = OSSL_PROVIDER_load(libctx_, "default");
    // Missing legacy provider only disables single DES; supports() tells the caller.
    legacy_ = OSSL_PROVIDER_load(libctx_, "legacy");
    for (std::size_t i = 1; i < ciphers_.size(); ++i) {
        ciphers_[i] = EVP_CIPHER_fetch(libctx_, cipher_names[i], nullptr);
    }
    hmac_ = EVP_MAC_fetch(libctx_, "HMAC", nullptr);
}

CryptoProvider::~CryptoProvider() {
    for (EVP_CIPHER* c : ciphers_) {
        EVP_CIPHER_free(c);
    }
    EVP_MAC_free(hmac_);
    if (legacy_ != nullptr) {
        OSSL_PROVIDER_unload(legacy_);
    }
    if (default_ != nullptr) {
        OSSL_PROVIDER_unload(default_);
    }
    OSSL_LIB_CTX_free(libctx_);
}

bool CryptoProvider::random(std::span<std::uint8_t> out) {
    if (out.size() > pool_.size()) {
        return RAND_bytes_ex(libctx_, out.data(), out.size(), 0) == 1;
    }
    if (pool_.size() - pool_used_ < out.size()) {
        if (RAND_bytes_ex(libctx_, pool_.data(), pool_.size(), 0) != 1) {
            return false;
        }
        pool_used_ = 0;
    }
    std::memcpy(out.data(), pool_.data() + pool_used_, out.size());
    // Bytes handed out are never handed out again.
    pool_used_ += out.size();
    return true;
}

CbcCipher::~CbcCipher() {
    EVP_CIPHER_CTX_free(ctx_);
}

Status CbcCipher::init(const EVP_CIPHER* cipher, std::span<const std::uint8_t> key, bool encrypt) {
    EVP_CIPHER_CTX_free(ctx_);
    ctx_ = EVP_CIPHER_CTX_new();
    if (ctx_ == nullptr) {
        return Error{ErrorCode::crypto_failure, "cannot allocate a cipher context"};
    }
    if (static_cast<std::size_t>(EVP_CIPHER_get_key_length(cipher)) != key.size()) {
        return Error{ErrorCode::invalid_argument, "encryption key has the wrong length"};
    }
    if (EVP_CipherInit_ex2(ctx_, cipher, key.data(), nullptr, encrypt ? 1 : 0, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx_, 0) != 1) {
        EVP_CIPHER_CTX_free(ctx_);
        ctx_ = nullptr;
        return Error{ErrorCode::crypto_failure, "cipher initialisation failed"};
    }
    iv_length_ = static_cast<std::size_t>(EVP_CIPHER_get_iv_length(cipher));
    block_size_ = static_cast<std::size_t>(EVP_CIPHER_get_block_size(cipher));
    return {};
}

bool CbcCipher::run(const std::uint8_t* iv, std::uint8_t* data, std::size_t length) {
    if (length % block_size_ != 0 || length > static_cast<std::size_t>(INT32_MAX)) {
        return false;
    }
    // Key NULL: only the IV changes, the key schedule from init() stays.
    if (EVP_CipherInit_ex2(ctx_, nullptr, nullptr, iv, -1, nullptr) != 1) {
        return false;
    }
    int out = 0;
    if (EVP_CipherUpdate(ctx_, data, &out, data, static_cast<int>(length)) != 1) {
        return false;
    }
    return static_cast<std::size_t>(out) == length;
}

Hmac::~Hmac() {
    EVP_MAC_CTX_free(ctx_);
}

Status Hmac::init(EVP_MAC* mac, Integrity integrity, std::span<const std::uint8_t> key) {
    EVP_MAC_CTX_free(ctx_);
    ctx_ = EVP_MAC_CTX_new(mac);
    if (ctx_ == nullptr) {
        return Error{ErrorCode::crypto_failure, "cannot allocate a MAC context"};
    }
    std::string digest = digest_name(integrity);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_init(ctx_, key.data(), key.size(), params) != 1) {
        EVP_MAC_CTX_free(ctx_);
        ctx_ = nullptr;
        return Error{ErrorCode::unsupported, "HMAC-" + digest + " is not available"};
    }
    icv_length_ = detail::icv_length(integrity);
    return {};
}

bool Hmac::begin() {
    return EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1;
}

bool Hmac::update(const std::uint8_t* data, std::size_t length) {
    return EVP_MAC_update(ctx_, data, length) == 1;
}

bool Hmac::finish(std::uint8_t* icv) {
    std::uint8_t full[EVP_MAX_MD_SIZE];
    std::size_t length = 0;
    if (EVP_MAC_final(ctx_, full, &length, sizeof full) != 1 || length < icv_length_) {
        return false;
    }
    std::memcpy(icv, full, icv_length_);
    return true;
}

}  // namespace msim::ipsec::detail
