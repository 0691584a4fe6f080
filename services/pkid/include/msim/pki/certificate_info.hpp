// What `show security pki local-certificate | ca-certificate | crl | certificate-request` print, as plain
// structs (the daemon turns them into RPC XML) and renderers of the Junos text layouts (junos-cli.md §5.5)
// that the CLI's XML→text renderer can reuse.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "msim/pki/basics.hpp"
#include "msim/pki/certificate.hpp"
#include "msim/pki/distinguished_name.hpp"
#include "msim/pki/request.hpp"

namespace msim::pki {

struct CertificateInfo {
    std::string identifier;  // certificate-id, or CA profile name
    int version = 3;
    std::string serial_hex;
    DistinguishedName issuer;
    DistinguishedName subject;
    std::string subject_string;  // "CN=…, OU=…" in certificate order
    std::vector<std::string> alt_emails, alt_fqdns, alt_ips;
    TimePoint not_before;  // saturated beyond year 2262; the texts below are exact
    TimePoint not_after;
    std::string not_before_text;  // "MM-DD-YYYY HH:MM UTC"
    std::string not_after_text;
    std::string public_key_algorithm;  // "rsaEncryption", "dsaEncryption", "id-ecPublicKey"
    unsigned public_key_bits = 0;
    std::string public_key_hex;       // subjectPublicKey bits, colon hex
    std::string signature_algorithm;  // "sha256WithRSAEncryption", ...
    std::string sha1_fingerprint, md5_fingerprint;
    std::vector<std::string> distribution_crls;
    std::vector<std::string> key_usages;  // Junos words: "CRL signing", "Certificate signing", ...
    bool is_ca = false;
    // Local certificates: `security pki auto-re-enrollment` (the daemon fills these in).
    bool auto_reenrollment = false;
    std::string next_trigger_text = "Disabled";  // "MM-DD-YYYY HH:MM UTC" when enabled
};

CertificateInfo describe_certificate(const Certificate& certificate, std::string identifier);

enum class Detail { brief, detail };

// Local certificates print the key pair location and auto-re-enrollment state; CA certificates do not.
enum class CertificateRole { local, ca };

std::string render_certificate(const CertificateInfo& info, CertificateRole role, Detail detail);

struct CrlInfo {
    std::string ca_profile;
    int version = 1;
    DistinguishedName issuer;
    TimePoint this_update;
    std::optional<TimePoint> next_update;
    std::string this_update_text;  // exact Junos texts, as for certificates
    std::string next_update_text;  // "none" without nextUpdate
    std::vector<RevokedEntry> revoked;
};

CrlInfo describe_crl(const Crl& crl, std::string ca_profile);
std::string render_crl(const CrlInfo& info, Detail detail);

struct RequestInfo {
    std::string identifier;
    DistinguishedName subject;
    std::string subject_string;
    AlternativeNames alternative_names;
    std::string public_key_algorithm;
    unsigned public_key_bits = 0;
    bool signature_valid = false;
    std::string sha1_fingerprint, md5_fingerprint;
};

RequestInfo describe_request(const CertificateRequest& request, std::string identifier);
std::string render_request(const RequestInfo& info, Detail detail);

}  // namespace msim::pki
