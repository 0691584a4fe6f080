#include "test_ca.hpp"

#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <stdexcept>

#include "msim/pki/distinguished_name.hpp"

namespace msim::pki::test {
namespace {

long next_serial() {
    static std::atomic<long> serial{1000};
    return ++serial;
}

void check(int ok, const char* what) {
    if (ok != 1) {
        throw std::runtime_error(std::string("test CA: ") + what);
    }
}

void add_ext(X509* x, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) {
        throw std::runtime_error("test CA: bad extension " + value);
    }
    check(X509_add_ext(x, ext, -1), "add extension");
    X509_EXTENSION_free(ext);
}

Certificate build(X509* issuer_cert, const KeyPair& issuer_key, const KeyPair& subject_key,
                  const std::string& subject, const IssueOptions& o) {
    X509* x = X509_new();
    check(X509_set_version(x, 2), "version");
    ASN1_INTEGER_set(X509_get_serialNumber(x), next_serial());
    X509_NAME* name = to_x509_name(parse_distinguished_name(subject));
    check(X509_set_subject_name(x, name), "subject");
    X509_NAME_free(name);
    check(X509_set_issuer_name(
              x, issuer_cert != nullptr ? X509_get_subject_name(issuer_cert) : X509_get_subject_name(x)),
          "issuer");
    ASN1_TIME_set(X509_getm_notBefore(x), Clock::to_time_t(o.not_before));
    ASN1_TIME_set(X509_getm_notAfter(x), Clock::to_time_t(o.not_after));
    check(X509_set_pubkey(x, subject_key.native()), "pubkey");
    X509* ext_issuer = issuer_cert != nullptr ? issuer_cert : x;
    if (o.key_usage) {
        add_ext(x, ext_issuer, NID_basic_constraints, o.ca ? "critical,CA:TRUE" : "CA:FALSE");
        add_ext(x, ext_issuer, NID_key_usage, *o.key_usage);
    } else if (o.ca) {
        std::string bc = "critical,CA:TRUE";
        if (o.path_len) {
            bc += ",pathlen:" + std::to_string(*o.path_len);
        }
        add_ext(x, ext_issuer, NID_basic_constraints, bc);
        if (o.ca_key_usage) {
            add_ext(x, ext_issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
        }
    } else {
        add_ext(x, ext_issuer, NID_basic_constraints, "CA:FALSE");
        add_ext(x, ext_issuer, NID_key_usage, "digitalSignature");
    }
    add_ext(x, ext_issuer, NID_subject_key_identifier, "hash");
    if (issuer_cert != nullptr) {
        add_ext(x, ext_issuer, NID_authority_key_identifier, "keyid:always");
    }
    std::string san;
    for (const auto& d : o.alt.domain_names) {
        san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
    }
    for (const auto& ip : o.alt.ip_addresses) {
        san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
    }
    for (const auto& e : o.alt.emails) {
        san += (san.empty() ? "" : ",") + std::string("email:") + e;
    }
    if (!san.empty()) {
        add_ext(x, ext_issuer, NID_subject_alt_name, san);
    }
    std::string cdp;
    for (const auto& url : o.crl_urls) {
        cdp += (cdp.empty() ? "" : ",") + std::string("URI:") + url;
    }
    if (!cdp.empty()) {
        add_ext(x, ext_issuer, NID_crl_distribution_points, cdp);
    }
    if (X509_sign(x, issuer_key.native(), EVP_sha256()) <= 0) {
        throw std::runtime_error("test CA: sign");
    }
    return Certificate::adopt(x);
}

}  // namespace

KeyPair test_key() {
    return KeyPair::generate({KeyAlgorithm::ecdsa, 256});
}

Identity make_root(const std::string& subject, IssueOptions options) {
    options.ca = true;
    KeyPair key = test_key();
    Certificate cert = build(nullptr, key, key, subject, options);
    return {key, cert};
}

Identity issue(const Identity& issuer, const std::string& subject, IssueOptions options) {
    KeyPair key = test_key();
    Certificate cert = build(issuer.certificate.native(), issuer.key, key, subject, options);
    return {key, cert};
}

Certificate issue_for_key(const Identity& issuer, const KeyPair& subject_key, const std::string& subject,
                          IssueOptions options) {
    return build(issuer.certificate.native(), issuer.key, subject_key, subject, options);
}

Crl make_crl(const Identity& issuer, const std::vector<Certificate>& revoked, TimePoint this_update,
             TimePoint next_update) {
    X509_CRL* crl = X509_CRL_new();
    check(X509_CRL_set_version(crl, 1), "crl version");
    check(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer.certificate.native())), "crl issuer");
    ASN1_TIME* t = ASN1_TIME_set(nullptr, Clock::to_time_t(this_update));
    check(X509_CRL_set1_lastUpdate(crl, t), "lastUpdate");
    ASN1_TIME_set(t, Clock::to_time_t(next_update));
    check(X509_CRL_set1_nextUpdate(crl, t), "nextUpdate");
    for (const auto& cert : revoked) {
        X509_REVOKED* entry = X509_REVOKED_new();
        check(X509_REVOKED_set_serialNumber(entry,
                                            const_cast<ASN1_INTEGER*>(X509_get0_serialNumber(cert.native()))),
              "serial");
        ASN1_TIME_set(t, Clock::to_time_t(this_update));
        check(X509_REVOKED_set_revocationDate(entry, t), "revocation date");
        check(X509_CRL_add0_revoked(crl, entry), "add revoked");
    }
    ASN1_TIME_free(t);
    X509_CRL_sort(crl);
    if (X509_CRL_sign(crl, issuer.key.native(), EVP_sha256()) <= 0) {
        throw std::runtime_error("test CA: sign CRL");
    }
    return Crl::adopt(crl);
}

std::vector<std::uint8_t> bytes(const std::string& text) {
    return {text.begin(), text.end()};
}

}  // namespace msim::pki::test
