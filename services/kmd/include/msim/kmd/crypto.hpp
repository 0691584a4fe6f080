// IKEv1 cryptography on OpenSSL 3 EVP: MODP Diffie-Hellman, the negotiated PRF and hash, CBC ciphers,
// and the RFC 2409 key derivations (SKEYID*, key expansion, IVs, KEYMAT).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "msim/kmd/result.hpp"

typedef struct ossl_lib_ctx_st OSSL_LIB_CTX;
typedef struct evp_pkey_st EVP_PKEY;

namespace msim::kmd {

using ByteView = std::span<const std::uint8_t>;

// Values are the IKE attribute codes (RFC 2409 appendix A).
enum class EncryptionAlgorithm : std::uint16_t { DesCbc = 1, TripleDesCbc = 5, AesCbc = 7 };
enum class HashAlgorithm : std::uint16_t { Md5 = 1, Sha1 = 2, Sha256 = 4 };
enum class AuthMethod : std::uint16_t { PreSharedKey = 1, DssSignature = 2, RsaSignature = 3 };
enum class DhGroup : std::uint16_t { Modp768 = 1, Modp1024 = 2, Modp1536 = 5, Modp2048 = 14 };

const char* to_string(EncryptionAlgorithm alg);
const char* to_string(HashAlgorithm alg);
const char* to_string(AuthMethod method);
const char* to_string(DhGroup group);

std::size_t digest_size(HashAlgorithm alg);
std::size_t block_size(EncryptionAlgorithm alg);
// Key bytes: fixed for DES (8) and 3DES (24); for AES key_bits / 8 (128, 192 or 256).
std::size_t key_size(EncryptionAlgorithm alg, std::uint16_t key_bits);
std::size_t dh_public_size(DhGroup group);

class CryptoProvider;

// One ephemeral Diffie-Hellman key pair (g^x and x) of a MODP group.
class DhKeyPair {
  public:
    DhKeyPair(DhKeyPair&&) noexcept;
    DhKeyPair& operator=(DhKeyPair&&) noexcept;
    ~DhKeyPair();

    DhGroup group() const { return group_; }
    // g^x, left-padded to the prime's length (what the KE payload carries).
    const Bytes& public_value() const { return public_value_; }
    // g^xy, left-padded to the prime's length; the peer value is validated (1 < y < p-1).
    Result<Bytes> shared_secret(ByteView peer_public) const;

  private:
    friend class CryptoProvider;
    DhKeyPair(const CryptoProvider* provider, DhGroup group, EVP_PKEY* key, Bytes public_value);
    const CryptoProvider* provider_;
    DhGroup group_;
    EVP_PKEY* key_;
    Bytes public_value_;
};

// Owns an OpenSSL library context with the default and legacy providers (single DES lives in the
// legacy provider) and the algorithm objects fetched once from it. Immutable after creation, so one
// instance can serve every session of a daemon, from any thread.
class CryptoProvider {
  public:
    static Result<std::unique_ptr<CryptoProvider>> create();
    ~CryptoProvider();
    CryptoProvider(const CryptoProvider&) = delete;
    CryptoProvider& operator=(const CryptoProvider&) = delete;

    Result<Bytes> hash(HashAlgorithm alg, ByteView data) const;
    // HMAC with the negotiated hash: the IKEv1 PRF.
    Result<Bytes> prf(HashAlgorithm alg, ByteView key, ByteView data) const;
    // CBC without padding: `data` must be a whole number of blocks (ISAKMP pads itself).
    Result<Bytes> encrypt(EncryptionAlgorithm alg, ByteView key, ByteView iv, ByteView data) const;
    Result<Bytes> decrypt(EncryptionAlgorithm alg, ByteView key, ByteView iv, ByteView data) const;
    Result<DhKeyPair> generate_dh(DhGroup group) const;
    Bytes random(std::size_t n) const;

    OSSL_LIB_CTX* libctx() const;

  private:
    struct Impl;
    explicit CryptoProvider(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    friend class DhKeyPair;
};

// The three keys of an ISAKMP SA and the SKEYID they come from (RFC 2409 section 5).
struct Skeyids {
    Bytes skeyid, d, a, e;
};

// SKEYID for pre-shared keys: prf(psk, Ni_b | Nr_b); for signatures: prf(Ni_b | Nr_b, g^xy).
Result<Bytes> derive_skeyid(const CryptoProvider& c, HashAlgorithm prf, AuthMethod method, ByteView psk,
                            ByteView ni, ByteView nr, ByteView gxy);
// SKEYID_d, SKEYID_a, SKEYID_e from SKEYID, g^xy and the cookies.
Result<Skeyids> derive_skeyids(const CryptoProvider& c, HashAlgorithm prf, Bytes skeyid, ByteView gxy,
                               ByteView cky_i, ByteView cky_r);
// The cipher key from SKEYID_e, expanded per RFC 2409 appendix B when SKEYID_e is too short.
Result<Bytes> derive_encryption_key(const CryptoProvider& c, HashAlgorithm prf, ByteView skeyid_e,
                                    std::size_t key_bytes);
// Phase 1 IV: hash(g^xi | g^xr) truncated to the block size.
Result<Bytes> phase1_iv(const CryptoProvider& c, HashAlgorithm hash, ByteView gxi, ByteView gxr,
                        std::size_t block);
// IV of a phase 2 / informational exchange: hash(last phase 1 CBC block | M-ID).
Result<Bytes> phase2_iv(const CryptoProvider& c, HashAlgorithm hash, ByteView last_phase1_block,
                        std::uint32_t message_id, std::size_t block);
// KEYMAT (RFC 2409 5.5) of `length` bytes: prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
// expanded K1 | K2 | ... with Kn+1 = prf(SKEYID_d, Kn | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b).
Result<Bytes> derive_keymat(const CryptoProvider& c, HashAlgorithm prf, ByteView skeyid_d,
                            std::optional<ByteView> gxy_qm, std::uint8_t protocol, std::uint32_t spi,
                            ByteView ni, ByteView nr, std::size_t length);

}  // namespace msim::kmd
