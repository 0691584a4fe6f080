// OpenSSL 3 EVP plumbing private to the library: a provider context owned by the engine, and per-SA
// cipher and MAC contexts keyed once and re-used for every packet.
#pragma once

#include <openssl/evp.h>
#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "msim/ipsec/types.hpp"

namespace msim::ipsec::detail {

// The engine's own OSSL_LIB_CTX with the default provider and, when available, the legacy one (single
// DES). Algorithms are fetched once here so SA creation does not repeat the lookups.
class CryptoProvider {
  public:
    CryptoProvider();
    ~CryptoProvider();
    CryptoProvider(const CryptoProvider&) = delete;
    CryptoProvider& operator=(const CryptoProvider&) = delete;

    bool usable() const { return hmac_ != nullptr; }
    // nullptr when the provider lacks it (or for Cipher::null).
    const EVP_CIPHER* cipher(Cipher c) const { return ciphers_[static_cast<std::size_t>(c)]; }
    EVP_MAC* hmac() const { return hmac_; }
    OSSL_LIB_CTX* libctx() const { return libctx_; }

    // Fills `out` with random bytes from a pool refilled in bulk, so a per-packet IV costs a copy.
    bool random(std::span<std::uint8_t> out);

  private:
    OSSL_LIB_CTX* libctx_ = nullptr;
    OSSL_PROVIDER* default_ = nullptr;
    OSSL_PROVIDER* legacy_ = nullptr;
    std::array<EVP_CIPHER*, 5> ciphers_{};
    EVP_MAC* hmac_ = nullptr;
    std::array<std::uint8_t, 4096> pool_{};
    std::size_t pool_used_ = pool_.size();
};

// Block cipher in CBC mode without padding, keyed once; run() sets a fresh IV and transforms in place.
class CbcCipher {
  public:
    CbcCipher() = default;
    ~CbcCipher();
    CbcCipher(const CbcCipher&) = delete;
    CbcCipher& operator=(const CbcCipher&) = delete;

    Status init(const EVP_CIPHER* cipher, std::span<const std::uint8_t> key, bool encrypt);
    bool active() const { return ctx_ != nullptr; }
    std::size_t iv_length() const { return iv_length_; }
    std::size_t block_size() const { return block_size_; }
    // `data` length must be a multiple of block_size().
    bool run(const std::uint8_t* iv, std::uint8_t* data, std::size_t length);

  private:
    EVP_CIPHER_CTX* ctx_ = nullptr;
    std::size_t iv_length_ = 0;
    std::size_t block_size_ = 1;
};

// HMAC keyed once; begin() resets it to the keyed state without re-deriving the pads from scratch.
class Hmac {
  public:
    Hmac() = default;
    ~Hmac();
    Hmac(const Hmac&) = delete;
    Hmac& operator=(const Hmac&) = delete;

    Status init(EVP_MAC* mac, Integrity integrity, std::span<const std::uint8_t> key);
    bool active() const { return ctx_ != nullptr; }
    // Truncated ICV length (12 or 16 bytes).
    std::size_t icv_length() const { return icv_length_; }
    bool begin();
    bool update(const std::uint8_t* data, std::size_t length);
    // Writes the truncated ICV (icv_length() bytes) to `icv`.
    bool finish(std::uint8_t* icv);

  private:
    EVP_MAC_CTX* ctx_ = nullptr;
    std::size_t icv_length_ = 0;
};

std::size_t icv_length(Integrity integrity);
const char* digest_name(Integrity integrity);

}  // namespace msim::ipsec::detail
