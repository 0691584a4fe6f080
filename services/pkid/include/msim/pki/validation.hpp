// Peer certificate validation for kmd (IKE phase 1): chain building, signatures, validity at the simulated
// time, Junos path-length, partial path validation, CRL revocation with an optional fetcher, and the IKE
// identity match. The verdict is a value (ValidationResult), not an exception: a bad peer certificate is an
// expected outcome; only bad arguments (a path-length out of range) throw PkiError.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "msim/pki/basics.hpp"
#include "msim/pki/certificate.hpp"
#include "msim/pki/distinguished_name.hpp"

namespace msim::pki {

// `revocation-check` of a CA profile.
struct RevocationSettings {
    bool enabled = true;                     // `revocation-check disable` sets false
    bool allow_on_download_failure = false;  // `crl disable on-download-failure`: fail open
    // `crl url` (up to three, in configured order; the M-series `ldap-url`): tried, in order, before the
    // certificate's own CRL distribution points (seed 003). The first CRL that names the issuer is used.
    std::vector<std::string> urls;
};

// A CA certificate from local storage with the profile it was loaded for. Every one is a trust anchor:
// Junos validates partial paths ending at any locally stored CA, self-signed or not (seed 001).
struct TrustedCa {
    std::string profile;
    Certificate certificate;
    RevocationSettings revocation;
};

// Where CRLs come from when none that is current is loaded: the daemon plugs HTTP/LDAP fetching (with its
// refresh-interval and negative cache) in behind this interface. Return nullopt (or throw) on failure.
class CrlFetcher {
  public:
    virtual ~CrlFetcher() = default;
    virtual std::optional<Crl> fetch(const std::string& url) = 0;
};

struct PeerIdentity {
    enum class Kind { ip_address, fqdn, user_fqdn, distinguished_name };
    Kind kind = Kind::ip_address;
    std::string value;  // address, host name, user@host, or the Junos DN string
    DnMatch dn_match = DnMatch::container;
};

struct ValidationRequest {
    Certificate peer;                      // the certificate the peer presented
    std::vector<Certificate> peer_chain;   // any further certificates the peer sent (untrusted)
    std::vector<TrustedCa> trusted;        // the local CA store
    std::vector<Crl> crls;                 // CRLs loaded by hand or cached from earlier fetches
    unsigned path_length = 15;             // `security certificates path-length`, 2..15, anchor included
    std::optional<PeerIdentity> identity;  // checked after the chain when present
};

enum class ValidationStatus {
    valid,
    not_yet_valid,
    expired,
    bad_signature,
    issuer_not_found,
    path_too_long,
    not_a_ca,
    key_usage,
    revoked,
    crl_unavailable,
    crl_invalid,
    identity_mismatch,
    other,
};

std::string_view to_string(ValidationStatus status);

struct ValidationResult {
    ValidationStatus status = ValidationStatus::other;
    std::string reason;               // Junos-style text for the kmd log, empty when valid
    int openssl_error = 0;            // X509_V_ERR_* behind the verdict, 0 when valid or not from OpenSSL
    int error_depth = -1;             // position in the chain (0 = peer) of the failing certificate
    std::vector<Certificate> chain;   // peer first, trust anchor last (as far as it was built)
    std::string anchor_profile;       // CA profile of the trust anchor reached
    std::vector<Crl> fetched_crls;    // CRLs the fetcher delivered, for the daemon's cache
    bool revocation_skipped = false;  // fail-open was used: some CRL could not be obtained
    bool ok() const { return status == ValidationStatus::valid; }
};

// Throws PkiError(invalid_argument) only for a path_length outside 2..15.
ValidationResult validate_certificate(const ValidationRequest& request, TimePoint now,
                                      CrlFetcher* fetcher = nullptr);

// The identity checks alone: IP / FQDN / U-FQDN against subjectAltName, DN against the subject. Returns an
// empty string on a match, otherwise the reason.
std::string identity_mismatch(const Certificate& certificate, const PeerIdentity& identity);

}  // namespace msim::pki
