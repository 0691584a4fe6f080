// Safe loaders for X.509 objects that come from outside (files, peers, CAs): certificates, CRLs and PKCS#7
// bundles, from PEM or DER bytes. Every loader validates lengths and throws PkiError(malformed_input) with a
// clear message for bytes that are neither; none of them crashes on hostile input (fuzzed in
// tests/fuzz/x509).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "msim/pki/basics.hpp"
#include "msim/pki/distinguished_name.hpp"

typedef struct x509_st X509;
typedef struct X509_crl_st X509_CRL;

namespace msim::pki {

enum class Encoding { pem, der };

class Certificate {
  public:
    // One certificate: DER (a SEQUENCE tag first; bytes after the object are an error) or PEM (the first
    // CERTIFICATE block; text around it, as `openssl x509 -text` writes, is allowed).
    static Certificate from_bytes(ByteView bytes);
    // Takes ownership of an X509 the caller obtained from OpenSSL.
    static Certificate adopt(X509* native);

    std::string to_pem() const;
    std::vector<std::uint8_t> to_der() const;

    DistinguishedName subject() const;
    DistinguishedName issuer() const;
    std::string subject_string() const;  // "CN=a, OU=b, ..." in certificate order
    std::string issuer_string() const;
    std::string serial_hex() const;  // lowercase hex, no separators
    TimePoint not_before() const;
    TimePoint not_after() const;
    bool is_ca() const;           // basicConstraints cA=TRUE
    bool is_self_signed() const;  // issuer == subject and the signature verifies with its own key

    std::vector<std::string> dns_names() const;                // subjectAltName dNSName
    std::vector<std::string> ip_addresses() const;             // subjectAltName iPAddress, printed form
    std::vector<std::string> email_addresses() const;          // subjectAltName rfc822Name
    std::vector<std::string> crl_distribution_points() const;  // URIs of the CDP extension

    std::string sha1_fingerprint() const;  // Junos format: "0f:e9:...:6b"
    std::string md5_fingerprint() const;
    std::string sha256_fingerprint() const;

    // Throws PkiError(expired / not_yet_valid) when `now` is outside notBefore..notAfter.
    void check_validity(TimePoint now) const;

    bool same_as(const Certificate& other) const;  // byte-identical DER

    X509* native() const noexcept { return cert_.get(); }

  private:
    explicit Certificate(std::shared_ptr<X509> cert) : cert_(std::move(cert)) {}
    std::shared_ptr<X509> cert_;
};

// Every certificate in the bytes: one DER certificate, a PEM file holding one or more CERTIFICATE blocks,
// or a PKCS#7 certs-only bundle (PEM or DER). Throws when none is found.
std::vector<Certificate> certificates_from_bytes(ByteView bytes);

struct RevokedEntry {
    std::string serial_hex;
    TimePoint revocation_date;
};

class Crl {
  public:
    static Crl from_bytes(ByteView bytes);  // PEM ("X509 CRL") or DER
    static Crl adopt(X509_CRL* native);

    std::string to_pem() const;
    std::vector<std::uint8_t> to_der() const;

    DistinguishedName issuer() const;
    std::string issuer_string() const;
    TimePoint this_update() const;
    std::optional<TimePoint> next_update() const;
    std::vector<RevokedEntry> revoked() const;
    bool is_revoked(const Certificate& certificate) const;

    // True when `issuer` signed this CRL (names equal and the signature verifies with its key).
    bool issued_by(const Certificate& issuer) const;
    // Throws PkiError(not_yet_valid / expired) when `now` is outside thisUpdate..nextUpdate.
    void check_validity(TimePoint now) const;

    X509_CRL* native() const noexcept { return crl_.get(); }

  private:
    explicit Crl(std::shared_ptr<X509_CRL> crl) : crl_(std::move(crl)) {}
    std::shared_ptr<X509_CRL> crl_;
};

// The contents of a PKCS#7 message: a degenerate "certs-only" SignedData (RFC 8894 GetCACert, CertRep) or
// a SignedData with signers and encapsulated content. Parsing does not verify signatures (SCEP will).
struct Pkcs7Bundle {
    std::vector<Certificate> certificates;
    std::vector<Crl> crls;
    std::size_t signer_count = 0;
    std::optional<std::vector<std::uint8_t>> content;  // encapsulated id-data content, when present
};

Pkcs7Bundle pkcs7_from_bytes(ByteView bytes);  // PEM ("PKCS7") or DER; only SignedData is accepted

}  // namespace msim::pki
