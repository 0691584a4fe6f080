// PKCS#10 certificate requests and self-signed local certificates, built from a key pair and the Junos
// subject string (`request security pki generate-certificate-request`, `… local-certificate
// generate-self-signed`).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "msim/pki/basics.hpp"
#include "msim/pki/certificate.hpp"
#include "msim/pki/key_pair.hpp"

typedef struct X509_req_st X509_REQ;
typedef struct evp_md_st EVP_MD;

namespace msim::pki {

// The subjectAltName values Junos offers: domain-name (dNSName), ip-address (iPAddress, IPv4 or IPv6) and
// email (rfc822Name). Each is checked for form; a bad one throws PkiError(invalid_argument).
struct AlternativeNames {
    std::vector<std::string> domain_names;
    std::vector<std::string> ip_addresses;
    std::vector<std::string> emails;
    bool empty() const { return domain_names.empty() && ip_addresses.empty() && emails.empty(); }
};

struct RequestParams {
    std::string subject;  // Junos string form, see parse_distinguished_name
    AlternativeNames alternative_names;
    std::optional<std::string> challenge_password;  // PKCS#9 challengePassword attribute (SCEP)
};

class CertificateRequest {
  public:
    static CertificateRequest from_bytes(ByteView bytes);  // PEM or DER PKCS#10

    std::string to_pem() const;
    std::vector<std::uint8_t> to_der() const;
    DistinguishedName subject() const;
    std::string subject_string() const;
    AlternativeNames alternative_names() const;
    std::optional<std::string> challenge_password() const;
    // Fingerprints of the DER request, as Junos prints them after the PEM.
    std::string sha1_fingerprint() const;
    std::string md5_fingerprint() const;
    bool signature_valid() const;  // self-signature of the request

    X509_REQ* native() const noexcept { return req_.get(); }

  private:
    explicit CertificateRequest(std::shared_ptr<X509_REQ> req) : req_(std::move(req)) {}
    friend CertificateRequest create_certificate_request(const KeyPair&, const RequestParams&);
    std::shared_ptr<X509_REQ> req_;
};

// Seed 001: at least one of domain-name, ip-address or email is required; throws invalid_argument otherwise.
CertificateRequest create_certificate_request(const KeyPair& key, const RequestParams& params);

struct SelfSignedParams {
    std::string subject;
    AlternativeNames alternative_names;
    TimePoint not_before;            // the simulated clock's now
    unsigned validity_days = 1825;   // Junos default: five years
    bool add_ca_constraint = false;  // basicConstraints cA=TRUE (`add-ca-constraint`)
};

Certificate create_self_signed_certificate(const KeyPair& key, const SelfSignedParams& params);

// The digest Junos-style signing uses for this key: SHA-384 for P-384, SHA-256 otherwise.
const EVP_MD* signing_digest(const KeyPair& key);

// Throws PkiError(invalid_argument) naming the first malformed domain name, IP address or e-mail address.
void check_alternative_names(const AlternativeNames& names);

}  // namespace msim::pki
