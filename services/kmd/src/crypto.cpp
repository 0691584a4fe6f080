#include "msim/kmd/crypto.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <array>
#include <cstdlib>
#include <string>

namespace msim::kmd {
namespace {

struct BnFree {
    void operator()(BIGNUM* b) const { BN_free(b); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct CipherCtxFree {
    void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
struct MacCtxFree {
    void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
struct ParamBldFree {
    void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
    void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

Error ossl_error(const std::string& what) {
    unsigned long e = ERR_get_error();
    std::string msg = what;
    if (e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        msg += ": ";
        msg += buf;
    }
    ERR_clear_error();
    return make_error(ErrorCode::CryptoFailure, msg);
}

constexpr std::array<DhGroup, 4> kGroups = {DhGroup::Modp768, DhGroup::Modp1024, DhGroup::Modp1536,
                                            DhGroup::Modp2048};
std::size_t group_index(DhGroup g) {
    for (std::size_t i = 0; i < kGroups.size(); ++i)
        if (kGroups[i] == g)
            return i;
    return 0;
}

// The MODP primes of RFC 2409 (groups 1, 2) and RFC 3526 (groups 5, 14), generator 2, as OpenSSL ships them.
BIGNUM* group_prime(DhGroup g) {
    switch (g) {
        case DhGroup::Modp768:
            return BN_get_rfc2409_prime_768(nullptr);
        case DhGroup::Modp1024:
            return BN_get_rfc2409_prime_1024(nullptr);
        case DhGroup::Modp1536:
            return BN_get_rfc3526_prime_1536(nullptr);
        case DhGroup::Modp2048:
            return BN_get_rfc3526_prime_2048(nullptr);
    }
    return nullptr;
}

}  // namespace

const char* to_string(EncryptionAlgorithm alg) {
    switch (alg) {
        case EncryptionAlgorithm::DesCbc:
            return "des-cbc";
        case EncryptionAlgorithm::TripleDesCbc:
            return "3des-cbc";
        case EncryptionAlgorithm::AesCbc:
            return "aes-cbc";
    }
    return "unknown";
}
const char* to_string(HashAlgorithm alg) {
    switch (alg) {
        case HashAlgorithm::Md5:
            return "md5";
        case HashAlgorithm::Sha1:
            return "sha1";
        case HashAlgorithm::Sha256:
            return "sha-256";
    }
    return "unknown";
}
const char* to_string(AuthMethod method) {
    switch (method) {
        case AuthMethod::PreSharedKey:
            return "pre-shared-keys";
        case AuthMethod::DssSignature:
            return "dsa-signatures";
        case AuthMethod::RsaSignature:
            return "rsa-signatures";
    }
    return "unknown";
}
const char* to_string(DhGroup group) {
    switch (group) {
        case DhGroup::Modp768:
            return "group1";
        case DhGroup::Modp1024:
            return "group2";
        case DhGroup::Modp1536:
            return "group5";
        case DhGroup::Modp2048:
            return "group14";
    }
    return "unknown";
}

std::size_t digest_size(HashAlgorithm alg) {
    switch (alg) {
        case HashAlgorithm::Md5:
            return 16;
        case HashAlgorithm::Sha1:
            return 20;
        case HashAlgorithm::Sha256:
            return 32;
    }
    return 0;
}
std::size_t block_size(EncryptionAlgorithm alg) {
    return alg == EncryptionAlgorithm::AesCbc ? 16 : 8;
}
std::size_t key_size(EncryptionAlgorithm alg, std::uint16_t key_bits) {
    switch (alg) {
        case EncryptionAlgorithm::DesCbc:
            return 8;
        case EncryptionAlgorithm::TripleDesCbc:
            return 24;
        case EncryptionAlgorithm::AesCbc:
            return key_bits / 8u;
    }
    return 0;
}
std::size_t dh_public_size(DhGroup group) {
    switch (group) {
        case DhGroup::Modp768:
            return 96;
        case DhGroup::Modp1024:
            return 128;
        case DhGroup::Modp1536:
            return 192;
        case DhGroup::Modp2048:
            return 256;
    }
    return 0;
}

struct CryptoProvider::Impl {
    OSSL_LIB_CTX* libctx = nullptr;
    OSSL_PROVIDER* default_provider = nullptr;
    OSSL_PROVIDER* legacy_provider = nullptr;
    EVP_MAC* hmac = nullptr;
    EVP_MD* md5 = nullptr;
    EVP_MD* sha1 = nullptr;
    EVP_MD* sha256 = nullptr;
    EVP_CIPHER* des = nullptr;
    EVP_CIPHER* des3 = nullptr;
    EVP_CIPHER* aes[3] = {nullptr, nullptr, nullptr};  // 128, 192, 256
    EVP_PKEY* dh_params[4] = {nullptr, nullptr, nullptr, nullptr};
    BIGNUM* primes[4] = {nullptr, nullptr, nullptr, nullptr};

    ~Impl() {
        for (auto* p : dh_params)
            EVP_PKEY_free(p);
        for (auto* b : primes)
            BN_free(b);
        for (auto* a : aes)
            EVP_CIPHER_free(a);
        EVP_CIPHER_free(des3);
        EVP_CIPHER_free(des);
        EVP_MD_free(sha256);
        EVP_MD_free(sha1);
        EVP_MD_free(md5);
        EVP_MAC_free(hmac);
        if (legacy_provider)
            OSSL_PROVIDER_unload(legacy_provider);
        if (default_provider)
            OSSL_PROVIDER_unload(default_provider);
        OSSL_LIB_CTX_free(libctx);
    }

    const EVP_MD* md(HashAlgorithm alg) const {
        switch (alg) {
            case HashAlgorithm::Md5:
                return md5;
            case HashAlgorithm::Sha1:
                return sha1;
            case HashAlgorithm::Sha256:
                return sha256;
        }
        return nullptr;
    }
    const char* md_name(HashAlgorithm alg) const {
        switch (alg) {
            case HashAlgorithm::Md5:
                return "MD5";
            case HashAlgorithm::Sha1:
                return "SHA1";
            case HashAlgorithm::Sha256:
                return "SHA256";
        }
        return "";
    }
    const EVP_CIPHER* cipher(EncryptionAlgorithm alg, std::size_t key_len) const {
        switch (alg) {
            case EncryptionAlgorithm::DesCbc:
                return key_len == 8 ? des : nullptr;
            case EncryptionAlgorithm::TripleDesCbc:
                return key_len == 24 ? des3 : nullptr;
            case EncryptionAlgorithm::AesCbc:
                if (key_len == 16)
                    return aes[0];
                if (key_len == 24)
                    return aes[1];
                if (key_len == 32)
                    return aes[2];
                return nullptr;
        }
        return nullptr;
    }
};

CryptoProvider::CryptoProvider(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CryptoProvider::~CryptoProvider() = default;
OSSL_LIB_CTX* CryptoProvider::libctx() const {
    return impl_->libctx;
}

Result<std::unique_ptr<CryptoProvider>> CryptoProvider::create() {
    auto impl = std::make_unique<Impl>();
    impl->libctx = OSSL_LIB_CTX_new();
    if (!impl->libctx)
        return ossl_error("OSSL_LIB_CTX_new");
    impl->default_provider = OSSL_PROVIDER_load(impl->libctx, "default");
    if (!impl->default_provider)
        return ossl_error("loading the OpenSSL default provider");
    impl->legacy_provider = OSSL_PROVIDER_load(impl->libctx, "legacy");
    if (!impl->legacy_provider)
        return ossl_error("loading the OpenSSL legacy provider (needed for DES-CBC)");
    impl->hmac = EVP_MAC_fetch(impl->libctx, "HMAC", nullptr);
    impl->md5 = EVP_MD_fetch(impl->libctx, "MD5", nullptr);
    impl->sha1 = EVP_MD_fetch(impl->libctx, "SHA1", nullptr);
    impl->sha256 = EVP_MD_fetch(impl->libctx, "SHA256", nullptr);
    impl->des = EVP_CIPHER_fetch(impl->libctx, "DES-CBC", nullptr);
    impl->des3 = EVP_CIPHER_fetch(impl->libctx, "DES-EDE3-CBC", nullptr);
    impl->aes[0] = EVP_CIPHER_fetch(impl->libctx, "AES-128-CBC", nullptr);
    impl->aes[1] = EVP_CIPHER_fetch(impl->libctx, "AES-192-CBC", nullptr);
    impl->aes[2] = EVP_CIPHER_fetch(impl->libctx, "AES-256-CBC", nullptr);
    if (!impl->hmac || !impl->md5 || !impl->sha1 || !impl->sha256 || !impl->des || !impl->des3 ||
        !impl->aes[0] || !impl->aes[1] || !impl->aes[2])
        return ossl_error("fetching IKE algorithms");

    for (std::size_t i = 0; i < kGroups.size(); ++i) {
        impl->primes[i] = group_prime(kGroups[i]);
        BnPtr g(BN_new());
        if (!impl->primes[i] || !g || !BN_set_word(g.get(), 2))
            return ossl_error("MODP prime");
        std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
        if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_P, impl->primes[i]) ||
            !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_G, g.get()))
            return ossl_error("DH parameters");
        std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
        PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(impl->libctx, "DH", nullptr));
        if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
            EVP_PKEY_fromdata(ctx.get(), &impl->dh_params[i], EVP_PKEY_KEY_PARAMETERS, params.get()) <= 0)
            return ossl_error(std::string("DH parameters for ") + to_string(kGroups[i]));
    }
    return std::unique_ptr<CryptoProvider>(new CryptoProvider(std::move(impl)));
}

Result<Bytes> CryptoProvider::hash(HashAlgorithm alg, ByteView data) const {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    if (!EVP_Digest(data.data(), data.size(), out.data(), &len, impl_->md(alg), nullptr))
        return ossl_error("digest");
    out.resize(len);
    return out;
}

Result<Bytes> CryptoProvider::prf(HashAlgorithm alg, ByteView key, ByteView data) const {
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(impl_->hmac));
    OSSL_PARAM params[2];
    params[0] =
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(impl_->md_name(alg)), 0);
    params[1] = OSSL_PARAM_construct_end();
    // HMAC accepts any key length, but OpenSSL refuses a null pointer for an empty key.
    static const std::uint8_t kEmpty = 0;
    const std::uint8_t* k = key.empty() ? &kEmpty : key.data();
    Bytes out(EVP_MAX_MD_SIZE);
    std::size_t len = 0;
    if (!ctx || !EVP_MAC_init(ctx.get(), k, key.size(), params) ||
        !EVP_MAC_update(ctx.get(), data.data(), data.size()) ||
        !EVP_MAC_final(ctx.get(), out.data(), &len, out.size()))
        return ossl_error("HMAC");
    out.resize(len);
    return out;
}

namespace {
Result<Bytes> run_cipher(const EVP_CIPHER* cipher, ByteView key, ByteView iv, ByteView data, int enc) {
    if (!cipher)
        return make_error(ErrorCode::CryptoFailure, "cipher key length not supported");
    int block = EVP_CIPHER_get_block_size(cipher);
    if (iv.size() != static_cast<std::size_t>(EVP_CIPHER_get_iv_length(cipher)))
        return make_error(ErrorCode::CryptoFailure, "IV of " + std::to_string(iv.size()) + " bytes");
    if (data.size() % static_cast<std::size_t>(block) != 0)
        return make_error(ErrorCode::Malformed, "encrypted body of " + std::to_string(data.size()) +
                                                    " bytes is not a multiple of the " +
                                                    std::to_string(block) + "-byte block");
    std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
    Bytes out(data.size() + static_cast<std::size_t>(block));
    int len = 0, fin = 0;
    if (!ctx || !EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), iv.data(), enc, nullptr) ||
        !EVP_CIPHER_CTX_set_padding(ctx.get(), 0) ||
        !EVP_CipherUpdate(ctx.get(), out.data(), &len, data.data(), static_cast<int>(data.size())) ||
        !EVP_CipherFinal_ex(ctx.get(), out.data() + len, &fin))
        return ossl_error("CBC cipher");
    out.resize(static_cast<std::size_t>(len + fin));
    return out;
}
}  // namespace

Result<Bytes> CryptoProvider::encrypt(EncryptionAlgorithm alg, ByteView key, ByteView iv,
                                      ByteView data) const {
    return run_cipher(impl_->cipher(alg, key.size()), key, iv, data, 1);
}
Result<Bytes> CryptoProvider::decrypt(EncryptionAlgorithm alg, ByteView key, ByteView iv,
                                      ByteView data) const {
    return run_cipher(impl_->cipher(alg, key.size()), key, iv, data, 0);
}

Bytes CryptoProvider::random(std::size_t n) const {
    Bytes out(n);
    // RAND_bytes_ex only fails when the DRBG cannot be seeded: then nothing secure is possible.
    if (n && RAND_bytes_ex(impl_->libctx, out.data(), n, 0) != 1)
        std::abort();
    return out;
}

Result<DhKeyPair> CryptoProvider::generate_dh(DhGroup group) const {
    std::size_t i = group_index(group);
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(impl_->libctx, impl_->dh_params[i], nullptr));
    EVP_PKEY* key = nullptr;
    // The exponent length must be set on the generation context: OpenSSL 3.0 does not carry it over
    // from the domain parameters. 256 bits is above the strength of every group here (strongSwan and
    // RFC 3526 section 8 use exponents of this order) and makes g^x four times cheaper than full length.
    int priv_len = 256;
    OSSL_PARAM gen_params[2] = {OSSL_PARAM_construct_int(OSSL_PKEY_PARAM_DH_PRIV_LEN, &priv_len),
                                OSSL_PARAM_construct_end()};
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_params(ctx.get(), gen_params) <= 0 ||
        EVP_PKEY_generate(ctx.get(), &key) <= 0)
        return ossl_error("DH key generation");
    PkeyPtr owned(key);
    BIGNUM* pub = nullptr;
    if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &pub))
        return ossl_error("DH public value");
    BnPtr pub_owned(pub);
    Bytes pv(dh_public_size(group));
    if (BN_bn2binpad(pub, pv.data(), static_cast<int>(pv.size())) < 0)
        return ossl_error("DH public value encoding");
    return DhKeyPair(this, group, owned.release(), std::move(pv));
}

DhKeyPair::DhKeyPair(const CryptoProvider* provider, DhGroup group, EVP_PKEY* key, Bytes public_value)
    : provider_(provider), group_(group), key_(key), public_value_(std::move(public_value)) {}
DhKeyPair::DhKeyPair(DhKeyPair&& o) noexcept
    : provider_(o.provider_), group_(o.group_), key_(o.key_), public_value_(std::move(o.public_value_)) {
    o.key_ = nullptr;
}
DhKeyPair& DhKeyPair::operator=(DhKeyPair&& o) noexcept {
    if (this != &o) {
        EVP_PKEY_free(key_);
        provider_ = o.provider_;
        group_ = o.group_;
        key_ = o.key_;
        public_value_ = std::move(o.public_value_);
        o.key_ = nullptr;
    }
    return *this;
}
DhKeyPair::~DhKeyPair() {
    EVP_PKEY_free(key_);
}

Result<Bytes> DhKeyPair::shared_secret(ByteView peer_public) const {
    std::size_t plen = dh_public_size(group_);
    if (peer_public.size() != plen)
        return make_error(ErrorCode::Malformed, "KE payload of " + std::to_string(peer_public.size()) +
                                                    " bytes, " + to_string(group_) + " needs " +
                                                    std::to_string(plen));
    const auto& impl = *provider_->impl_;
    std::size_t i = group_index(group_);
    BnPtr y(BN_bin2bn(peer_public.data(), static_cast<int>(peer_public.size()), nullptr));
    BnPtr pm1(BN_dup(impl.primes[i]));
    if (!y || !pm1 || !BN_sub_word(pm1.get(), 1))
        return ossl_error("DH peer value");
    // RFC 2631 / SP 800-56A partial validation: 1 < y < p-1.
    if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), pm1.get()) >= 0)
        return make_error(ErrorCode::Malformed, "DH public value out of range");
    BnPtr g(BN_new());
    if (!g || !BN_set_word(g.get(), 2))
        return ossl_error("DH generator");
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
    if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_P, impl.primes[i]) ||
        !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_G, g.get()) ||
        !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, y.get()))
        return ossl_error("DH peer parameters");
    std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
    PkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(impl.libctx, "DH", nullptr));
    EVP_PKEY* peer = nullptr;
    if (!params || !fctx || EVP_PKEY_fromdata_init(fctx.get()) <= 0 ||
        EVP_PKEY_fromdata(fctx.get(), &peer, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
        return ossl_error("DH peer key");
    PkeyPtr peer_owned(peer);
    PkeyCtxPtr dctx(EVP_PKEY_CTX_new_from_pkey(impl.libctx, key_, nullptr));
    Bytes secret(plen);
    std::size_t len = secret.size();
    // Padding keeps g^xy at the prime's length, as the PRF inputs require.
    if (!dctx || EVP_PKEY_derive_init(dctx.get()) <= 0 || EVP_PKEY_CTX_set_dh_pad(dctx.get(), 1) <= 0 ||
        EVP_PKEY_derive_set_peer_ex(dctx.get(), peer, 0) <= 0 ||
        EVP_PKEY_derive(dctx.get(), secret.data(), &len) <= 0)
        return ossl_error("DH derive");
    secret.resize(len);
    return secret;
}

namespace {
Bytes concat(std::initializer_list<ByteView> parts) {
    Bytes out;
    for (auto p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}
}  // namespace

Result<Bytes> derive_skeyid(const CryptoProvider& c, HashAlgorithm prf, AuthMethod method, ByteView psk,
                            ByteView ni, ByteView nr, ByteView gxy) {
    Bytes nonces = concat({ni, nr});
    if (method == AuthMethod::PreSharedKey)
        return c.prf(prf, psk, nonces);
    return c.prf(prf, nonces, gxy);
}

Result<Skeyids> derive_skeyids(const CryptoProvider& c, HashAlgorithm prf, Bytes skeyid, ByteView gxy,
                               ByteView cky_i, ByteView cky_r) {
    Skeyids k;
    k.skeyid = std::move(skeyid);
    const std::uint8_t zero = 0, one = 1, two = 2;
    auto d = c.prf(prf, k.skeyid, concat({gxy, cky_i, cky_r, ByteView(&zero, 1)}));
    if (!d)
        return d.error();
    k.d = std::move(*d);
    auto a = c.prf(prf, k.skeyid, concat({k.d, gxy, cky_i, cky_r, ByteView(&one, 1)}));
    if (!a)
        return a.error();
    k.a = std::move(*a);
    auto e = c.prf(prf, k.skeyid, concat({k.a, gxy, cky_i, cky_r, ByteView(&two, 1)}));
    if (!e)
        return e.error();
    k.e = std::move(*e);
    return k;
}

Result<Bytes> derive_encryption_key(const CryptoProvider& c, HashAlgorithm prf, ByteView skeyid_e,
                                    std::size_t key_bytes) {
    if (skeyid_e.size() >= key_bytes)
        return Bytes(skeyid_e.begin(), skeyid_e.begin() + static_cast<std::ptrdiff_t>(key_bytes));
    // RFC 2409 appendix B: Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn+1 = prf(SKEYID_e, Kn).
    Bytes out;
    Bytes k{0};
    while (out.size() < key_bytes) {
        auto next = c.prf(prf, skeyid_e, k);
        if (!next)
            return next.error();
        k = std::move(*next);
        out.insert(out.end(), k.begin(), k.end());
    }
    out.resize(key_bytes);
    return out;
}

Result<Bytes> phase1_iv(const CryptoProvider& c, HashAlgorithm hash, ByteView gxi, ByteView gxr,
                        std::size_t block) {
    auto h = c.hash(hash, concat({gxi, gxr}));
    if (!h)
        return h.error();
    h->resize(block);
    return h;
}

Result<Bytes> phase2_iv(const CryptoProvider& c, HashAlgorithm hash, ByteView last_phase1_block,
                        std::uint32_t message_id, std::size_t block) {
    std::uint8_t mid[4] = {static_cast<std::uint8_t>(message_id >> 24),
                           static_cast<std::uint8_t>(message_id >> 16),
                           static_cast<std::uint8_t>(message_id >> 8), static_cast<std::uint8_t>(message_id)};
    auto h = c.hash(hash, concat({last_phase1_block, ByteView(mid, 4)}));
    if (!h)
        return h.error();
    h->resize(block);
    return h;
}

Result<Bytes> derive_keymat(const CryptoProvider& c, HashAlgorithm prf, ByteView skeyid_d,
                            std::optional<ByteView> gxy_qm, std::uint8_t protocol, std::uint32_t spi,
                            ByteView ni, ByteView nr, std::size_t length) {
    std::uint8_t spi_bytes[4] = {static_cast<std::uint8_t>(spi >> 24), static_cast<std::uint8_t>(spi >> 16),
                                 static_cast<std::uint8_t>(spi >> 8), static_cast<std::uint8_t>(spi)};
    Bytes seed =
        concat({gxy_qm.value_or(ByteView{}), ByteView(&protocol, 1), ByteView(spi_bytes, 4), ni, nr});
    Bytes out;
    Bytes k;
    while (out.size() < length) {
        auto next = c.prf(prf, skeyid_d, concat({k, seed}));
        if (!next)
            return next.error();
        k = std::move(*next);
        out.insert(out.end(), k.begin(), k.end());
    }
    out.resize(length);
    return out;
}

}  // namespace msim::kmd
