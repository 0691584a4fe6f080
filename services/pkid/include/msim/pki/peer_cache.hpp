// The peer certificate cache of `security certificates` (seed 002): the verdicts of peer certificate
// validation, kept so that kmd's repeated phase 1 exchanges with one peer do not build the chain and fetch
// CRLs every time.
// - Positive entries (a chain that validated) count against `maximum-certificates` (certificates held:
//   the peer's and those it sent) and `cache-size` (their DER bytes); the least recently used go first.
//   One lasts until the first notAfter in its chain, and at most the anchor profile's CRL refresh-interval
//   (a revocation published later is seen then).
// - Negative entries (any failure) last `cache-timeout-negative` seconds: "a failed CA or router
//   certificate is present in the negative cache … the search fails immediately" (seed 002). They do not
//   count against the limits above.
// The identity check is not cached: it depends on the IKE exchange, and costs nothing. Times are the
// router's clock. The daemon clears the cache whenever what a verdict depends on changes: a CA certificate
// or CRL loaded or cleared, a commit of its configuration, a `set date`.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "msim/pki/validation.hpp"

namespace msim::pki {

class PeerCertificateCache {
  public:
    struct Limits {
        std::uint64_t max_bytes = 2097152;          // cache-size (default 2 MB)
        std::uint64_t max_certificates = 1024;      // maximum-certificates
        std::chrono::seconds negative_timeout{20};  // cache-timeout-negative
    };

    void set_limits(const Limits& limits);
    const Limits& limits() const { return limits_; }

    // What identifies one validation: the peer certificate, the chain it sent and the CA profile asked for.
    static std::string key_of(const Certificate& peer, const std::vector<Certificate>& chain,
                              const std::string& profile_hint);

    // The cached verdict (without the identity check), if any is current at `now`.
    std::optional<ValidationResult> find(const std::string& key, TimePoint now);
    // Keeps a verdict: a valid one until `valid_until` (the caller computes it: chain notAfter, refresh
    // interval), a failure for the negative timeout. `bytes` and `certificates` are what it holds.
    void store(const std::string& key, const ValidationResult& verdict, TimePoint now, TimePoint valid_until,
               std::uint64_t bytes, std::uint64_t certificates);
    void clear();

    std::size_t positive_entries() const { return lru_.size(); }
    std::size_t negative_entries() const { return negative_.size(); }
    std::uint64_t bytes() const { return bytes_; }
    std::uint64_t certificates() const { return certificates_; }

  private:
    struct Positive {
        ValidationResult verdict;
        TimePoint expires;
        std::uint64_t bytes = 0;
        std::uint64_t certificates = 0;
        std::list<std::string>::iterator lru;
    };
    struct Negative {
        ValidationResult verdict;
        TimePoint expires;
    };
    void erase_positive(std::map<std::string, Positive>::iterator it);
    void evict();

    Limits limits_;
    std::map<std::string, Positive> positive_;
    std::list<std::string> lru_;  // most recently used first
    std::map<std::string, Negative> negative_;
    std::uint64_t bytes_ = 0;
    std::uint64_t certificates_ = 0;
};

}  // namespace msim::pki
