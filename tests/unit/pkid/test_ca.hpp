// Test-only certification authority built directly on OpenSSL: issues certificates and CRLs with chosen
// dates, CA flags, path length constraints and CDPs, so unit tests can build every chain shape they need.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "msim/pki/certificate.hpp"
#include "msim/pki/key_pair.hpp"
#include "msim/pki/request.hpp"
#include "msim/pki/validation.hpp"

namespace msim::pki::test {

using namespace std::chrono_literals;

// 2026-01-01T00:00:00Z: the tests' simulated "now".
inline TimePoint reference_time() {
    return Clock::from_time_t(1767225600);
}
inline constexpr auto day = std::chrono::hours(24);

struct Identity {
    KeyPair key;
    Certificate certificate;
};

struct IssueOptions {
    bool ca = false;
    std::optional<int> path_len;  // basicConstraints pathLenConstraint
    TimePoint not_before = reference_time() - 30 * day;
    TimePoint not_after = reference_time() + 365 * day;
    std::vector<std::string> crl_urls;  // CDP
    AlternativeNames alt;
    bool ca_key_usage = true;              // keyCertSign + cRLSign on CA certificates
    std::optional<std::string> key_usage;  // overrides the keyUsage value when set

    IssueOptions& as_ca() {
        ca = true;
        return *this;
    }
    IssueOptions& max_path(int n) {
        path_len = n;
        return *this;
    }
    IssueOptions& valid(TimePoint from, TimePoint to) {
        not_before = from;
        not_after = to;
        return *this;
    }
    IssueOptions& cdp(std::vector<std::string> urls) {
        crl_urls = std::move(urls);
        return *this;
    }
    IssueOptions& alt_names(AlternativeNames names) {
        alt = std::move(names);
        return *this;
    }
    IssueOptions& without_ca_usage() {
        ca_key_usage = false;
        return *this;
    }
    IssueOptions& usage(std::string value) {
        key_usage = std::move(value);
        return *this;
    }
};

inline IssueOptions options() {
    return {};
}

inline RevocationSettings no_revocation() {
    RevocationSettings r;
    r.enabled = false;
    return r;
}

KeyPair test_key();  // a fresh ECDSA P-256 key (fast)

Identity make_root(const std::string& subject, IssueOptions options = {});
Identity issue(const Identity& issuer, const std::string& subject, IssueOptions options = {});
// Issues a certificate for a public key the CA does not hold (as `openssl x509 -force_pubkey`).
Certificate issue_for_key(const Identity& issuer, const KeyPair& subject_key, const std::string& subject,
                          IssueOptions options = {});

Crl make_crl(const Identity& issuer, const std::vector<Certificate>& revoked,
             TimePoint this_update = reference_time() - day,
             TimePoint next_update = reference_time() + 7 * day);

std::vector<std::uint8_t> bytes(const std::string& text);

}  // namespace msim::pki::test
