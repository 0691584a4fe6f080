#include "msim/pki/peer_cache.hpp"

#include <openssl/evp.h>

namespace msim::pki {

void PeerCertificateCache::set_limits(const Limits& limits) {
    limits_ = limits;
    evict();
}

std::string PeerCertificateCache::key_of(const Certificate& peer, const std::vector<Certificate>& chain,
                                         const std::string& profile_hint) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1;
    auto add = [&](const std::vector<std::uint8_t>& bytes) {
        // length-prefixed, so that no two different inputs hash the same concatenation
        const std::uint64_t n = bytes.size();
        ok = ok && EVP_DigestUpdate(ctx, &n, sizeof n) == 1 && EVP_DigestUpdate(ctx, bytes.data(), n) == 1;
    };
    add(peer.to_der());
    for (const auto& c : chain)
        add(c.to_der());
    add(std::vector<std::uint8_t>(profile_hint.begin(), profile_hint.end()));
    ok = ok && EVP_DigestFinal_ex(ctx, digest, &len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        throw PkiError(ErrorCode::crypto_error, "cannot hash a peer certificate");
    return std::string(reinterpret_cast<const char*>(digest), len);
}

std::optional<ValidationResult> PeerCertificateCache::find(const std::string& key, TimePoint now) {
    if (auto n = negative_.find(key); n != negative_.end()) {
        if (now < n->second.expires)
            return n->second.verdict;
        negative_.erase(n);
    }
    auto p = positive_.find(key);
    if (p == positive_.end())
        return std::nullopt;
    if (now >= p->second.expires) {
        erase_positive(p);
        return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, p->second.lru);
    return p->second.verdict;
}

void PeerCertificateCache::store(const std::string& key, const ValidationResult& verdict, TimePoint now,
                                 TimePoint valid_until, std::uint64_t bytes, std::uint64_t certificates) {
    if (auto p = positive_.find(key); p != positive_.end())
        erase_positive(p);
    negative_.erase(key);
    if (!verdict.ok()) {
        if (limits_.negative_timeout.count() > 0)
            negative_[key] = Negative{verdict, now + limits_.negative_timeout};
        return;
    }
    // An entry larger than the whole cache is not kept at all.
    if (valid_until <= now || bytes > limits_.max_bytes || certificates > limits_.max_certificates)
        return;
    lru_.push_front(key);
    positive_[key] = Positive{verdict, valid_until, bytes, certificates, lru_.begin()};
    bytes_ += bytes;
    certificates_ += certificates;
    evict();
}

void PeerCertificateCache::clear() {
    positive_.clear();
    negative_.clear();
    lru_.clear();
    bytes_ = 0;
    certificates_ = 0;
}

void PeerCertificateCache::erase_positive(std::map<std::string, Positive>::iterator it) {
    bytes_ -= it->second.bytes;
    certificates_ -= it->second.certificates;
    lru_.erase(it->second.lru);
    positive_.erase(it);
}

void PeerCertificateCache::evict() {
    while (!lru_.empty() && (bytes_ > limits_.max_bytes || certificates_ > limits_.max_certificates))
        erase_positive(positive_.find(lru_.back()));
}

}  // namespace msim::pki
