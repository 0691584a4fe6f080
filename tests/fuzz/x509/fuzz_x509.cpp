// Fuzz target for every loader libmsim_pki exposes to outside bytes: certificates (PEM/DER, single and
// bundles), CRLs, PKCS#7 (certs-only and signed data), PKCS#10 requests and the Junos DN string. Whatever
// parses is then walked through the accessors and the Junos renderers, which read the parsed structures'
// optional parts. A PkiError is the expected answer to bad input; anything else (a crash, another exception)
// is a bug.
#include <cstddef>
#include <cstdint>

#include <openssl/x509.h>

#include <string_view>

#include "msim/pki/certificate.hpp"
#include "msim/pki/certificate_info.hpp"
#include "msim/pki/request.hpp"
#include "msim/pki/validation.hpp"

using namespace msim::pki;

namespace {

void walk(const Certificate& certificate) {
    try {
        CertificateInfo info = describe_certificate(certificate, "fuzz");
        (void)render_certificate(info, CertificateRole::local, Detail::detail);
        (void)render_certificate(info, CertificateRole::ca, Detail::brief);
    } catch (const PkiError&) {
    }
    (void)certificate.crl_distribution_points();
    (void)certificate.is_self_signed();
    (void)certificate.sha256_fingerprint();
    try {
        certificate.check_validity(Clock::from_time_t(1767225600));
    } catch (const PkiError&) {
    }
    (void)identity_mismatch(certificate, {PeerIdentity::Kind::user_fqdn, "a@b.example", DnMatch::container});
    (void)identity_mismatch(certificate, {PeerIdentity::Kind::ip_address, "192.0.2.1", DnMatch::container});
    (void)identity_mismatch(certificate, {PeerIdentity::Kind::distinguished_name, "CN=x", DnMatch::wildcard});
}

void walk(const Crl& crl) {
    try {
        (void)render_crl(describe_crl(crl, "fuzz"), Detail::detail);
        crl.check_validity(Clock::from_time_t(1767225600));
    } catch (const PkiError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::uint8_t empty = 0;
    ByteView bytes(data != nullptr ? data : &empty, size);
    try {
        walk(Certificate::from_bytes(bytes));
    } catch (const PkiError&) {
    }
    try {
        for (const auto& certificate : certificates_from_bytes(bytes)) {
            walk(certificate);
        }
    } catch (const PkiError&) {
    }
    try {
        Crl crl = Crl::from_bytes(bytes);
        walk(crl);
    } catch (const PkiError&) {
    }
    try {
        Pkcs7Bundle bundle = pkcs7_from_bytes(bytes);
        for (const auto& certificate : bundle.certificates) {
            walk(certificate);
            for (const auto& crl : bundle.crls) {
                (void)crl.issued_by(certificate);
                (void)crl.is_revoked(certificate);
            }
        }
        for (const auto& crl : bundle.crls) {
            walk(crl);
        }
    } catch (const PkiError&) {
    }
    // The operator's subject string and DN identities go through the same parser; feed it the bytes as text.
    try {
        std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        DistinguishedName dn = parse_distinguished_name(text);
        X509_NAME* name = to_x509_name(dn);
        DistinguishedName back = from_x509_name(name);
        X509_NAME_free(name);
        (void)dn_matches(dn, back, DnMatch::container);
        (void)dn_matches(dn, back, DnMatch::wildcard);
        (void)format_distinguished_name(back);
    } catch (const PkiError&) {
    }
    try {
        CertificateRequest request = CertificateRequest::from_bytes(bytes);
        (void)render_request(describe_request(request, "fuzz"), Detail::detail);
        (void)request.challenge_password();
    } catch (const PkiError&) {
    }
    return 0;
}
