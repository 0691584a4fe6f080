#include "msim/pki/scep.hpp"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "msim/pki/scep_message.hpp"
#include "ossl.hpp"

namespace msim::pki {

using detail::BioPtr;
using detail::Pkcs7Ptr;
using detail::X509Ptr;
using detail::X509StackPtr;

namespace {

// micromdm scepserver encrypts its CertRep with single DES, which only the legacy provider has. Loaded once
// into the default library context (PKCS7_decrypt uses it) and unloaded at exit, before OpenSSL's own
// cleanup runs, so the sanitizer's leak check sees nothing left behind.
class DefaultAndLegacyProviders {
  public:
    DefaultAndLegacyProviders()
        : default_(OSSL_PROVIDER_load(nullptr, "default")), legacy_(OSSL_PROVIDER_load(nullptr, "legacy")) {
        ERR_clear_error();
    }
    ~DefaultAndLegacyProviders() {
        if (legacy_ != nullptr)
            OSSL_PROVIDER_unload(legacy_);
        if (default_ != nullptr)
            OSSL_PROVIDER_unload(default_);
    }
    DefaultAndLegacyProviders(const DefaultAndLegacyProviders&) = delete;
    DefaultAndLegacyProviders& operator=(const DefaultAndLegacyProviders&) = delete;

  private:
    OSSL_PROVIDER* default_;
    OSSL_PROVIDER* legacy_;
};

void load_legacy_provider() {
    static const DefaultAndLegacyProviders providers;
}

ByteView view(const std::string& s) {
    return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::string operation_url(const std::string& url, const std::string& operation,
                          const std::string& message = {}) {
    std::string u = url + (url.find('?') == std::string::npos ? "?" : "&") + "operation=" + operation;
    if (!message.empty())
        u += "&message=" + scep::percent_encode(message);
    return u;
}

std::string der_of(PKCS7* p7) {
    unsigned char* out = nullptr;
    const int n = i2d_PKCS7(p7, &out);
    if (n <= 0)
        detail::throw_crypto("cannot encode the SCEP message");
    std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
    OPENSSL_free(out);
    return der;
}

// The transient self-signed certificate that signs our messages (RFC 8894 §2.3), for the request's subject.
X509Ptr transient_certificate(const KeyPair& key, const CertificateRequest& request) {
    X509Ptr x(X509_new());
    if (!x)
        detail::throw_crypto("cannot allocate a certificate");
    unsigned char serial[8];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    detail::BignumPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
    if (X509_set_version(x.get(), 2) != 1 || !bn ||
        BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get())) == nullptr ||
        X509_set_subject_name(x.get(), X509_REQ_get_subject_name(request.native())) != 1 ||
        X509_set_issuer_name(x.get(), X509_REQ_get_subject_name(request.native())) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(x.get()), 7 * 24 * 3600) == nullptr ||
        X509_set_pubkey(x.get(), key.native()) != 1 || X509_sign(x.get(), key.native(), EVP_sha256()) <= 0)
        detail::throw_crypto("cannot make the SCEP signer certificate");
    return x;
}

ScepResult exchange(const ScepEnrollment& e, const KeyPair& key, const CertificateRequest& request,
                    const std::string& message_type, const std::string& inner,
                    const std::string& transaction_id) {
    if (key.algorithm() != KeyAlgorithm::rsa)
        throw PkiError(ErrorCode::invalid_argument, "SCEP enrollment needs an RSA key pair");
    if (e.ca_certificates.empty())
        throw PkiError(ErrorCode::invalid_argument, "no CA certificate to enroll with");
    const scep::AttributeNids& o = scep::attribute_nids();
    const Certificate& recipient = scep_recipient(e.ca_certificates);
    const bool aes = e.capabilities.count("AES") != 0;
    const bool sha256 = e.capabilities.count("SHA-256") != 0 || e.capabilities.count("SHA-1") == 0;
    if (!aes)
        load_legacy_provider();  // DES3 is in the default provider, but the CA may answer with DES

    // envelopedData around the inner content, to the CA/RA
    X509StackPtr recipients(sk_X509_new_null());
    if (!recipients || X509_up_ref(recipient.native()) != 1 ||
        sk_X509_push(recipients.get(), recipient.native()) <= 0)
        detail::throw_crypto("cannot build the recipient list");
    BioPtr in = detail::memory_bio(view(inner), "SCEP content");
    Pkcs7Ptr env(PKCS7_encrypt(recipients.get(), in.get(), aes ? EVP_aes_128_cbc() : EVP_des_ede3_cbc(),
                               PKCS7_BINARY));
    if (!env)
        detail::throw_crypto("cannot encrypt the SCEP request");
    const std::string env_der = der_of(env.get());

    // signedData with the SCEP attributes, signed by the transient certificate
    const Certificate signer = Certificate::adopt(transient_certificate(key, request).release());
    Pkcs7Ptr p7(PKCS7_sign(nullptr, nullptr, nullptr, nullptr, PKCS7_BINARY | PKCS7_PARTIAL));
    if (!p7)
        detail::throw_crypto("cannot start the SCEP message");
    PKCS7_SIGNER_INFO* si = PKCS7_sign_add_signer(p7.get(), signer.native(), key.native(),
                                                  sha256 ? EVP_sha256() : EVP_sha1(), PKCS7_NOSMIMECAP);
    if (si == nullptr)
        detail::throw_crypto("cannot sign the SCEP message");
    std::string nonce(16, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), 16);
    scep::add_string_attribute(si, o.transaction_id, V_ASN1_PRINTABLESTRING, transaction_id);
    scep::add_string_attribute(si, o.message_type, V_ASN1_PRINTABLESTRING, message_type);
    scep::add_string_attribute(si, o.sender_nonce, V_ASN1_OCTET_STRING, nonce);
    BioPtr content = detail::memory_bio(view(env_der), "SCEP content");
    if (PKCS7_final(p7.get(), content.get(), PKCS7_BINARY) != 1)
        detail::throw_crypto("cannot sign the SCEP message");
    const std::string message = der_of(p7.get());

    HttpAnswer answer;
    if (e.capabilities.count("POSTPKIOperation") != 0) {
        answer = http_exchange(operation_url(e.url, "PKIOperation"), &message, "application/x-pki-message",
                               e.limits);
    } else {
        answer = http_exchange(operation_url(e.url, "PKIOperation", scep::base64_encode(message)), nullptr,
                               {}, e.limits);
    }
    ScepResult result =
        scep_read_cert_rep(view(answer.body), e.ca_certificates, key, &signer, transaction_id, nonce);
    // PKCSReq and CertPoll are answered with our certificate, nothing else
    if (result.status == ScepStatus::success && !result.certificate)
        throw PkiError(ErrorCode::key_mismatch, "the SCEP CertRep holds no certificate for our key");
    return result;
}

}  // namespace

std::string to_string(ScepStatus status) {
    switch (status) {
        case ScepStatus::success:
            return "success";
        case ScepStatus::failure:
            return "failure";
        case ScepStatus::pending:
            return "pending";
    }
    return "failure";
}

std::set<std::string> scep_get_ca_caps(const std::string& url, const DownloadLimits& limits) {
    const HttpAnswer answer = http_exchange(operation_url(url, "GetCACaps"), nullptr, {}, limits);
    std::set<std::string> caps;
    std::size_t start = 0;
    while (start < answer.body.size()) {
        std::size_t end = answer.body.find('\n', start);
        if (end == std::string::npos)
            end = answer.body.size();
        std::string line = answer.body.substr(start, end - start);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
            line.pop_back();
        if (!line.empty())
            caps.insert(line);
        start = end + 1;
    }
    return caps;
}

std::vector<Certificate> scep_get_ca_cert(const std::string& url, const std::string& ca_identity,
                                          const DownloadLimits& limits) {
    const HttpAnswer answer =
        http_exchange(operation_url(url, "GetCACert", ca_identity), nullptr, {}, limits);
    std::vector<Certificate> certs;
    if (answer.content_type.find("x-x509-ca-ra-cert") != std::string::npos) {
        certs = pkcs7_from_bytes(view(answer.body)).certificates;
    } else {
        try {
            certs.push_back(Certificate::from_bytes(view(answer.body)));
        } catch (const PkiError&) {
            certs = pkcs7_from_bytes(view(answer.body)).certificates;
        }
    }
    if (certs.empty())
        throw PkiError(ErrorCode::malformed_input, "the SCEP server sent no CA certificate");
    // the CA first: a self-signed one, else the one that issued another
    auto is_ca = [&](const Certificate& c) {
        if (X509_check_issued(c.native(), c.native()) == X509_V_OK)
            return true;
        return std::any_of(certs.begin(), certs.end(), [&](const Certificate& o) {
            return o.native() != c.native() && X509_check_issued(c.native(), o.native()) == X509_V_OK;
        });
    };
    std::stable_partition(certs.begin(), certs.end(), is_ca);
    return certs;
}

const Certificate& scep_recipient(const std::vector<Certificate>& ca_certificates) {
    if (ca_certificates.empty())
        throw PkiError(ErrorCode::invalid_argument, "no CA certificate to enroll with");
    for (const auto& c : ca_certificates) {
        const bool self_signed = X509_check_issued(c.native(), c.native()) == X509_V_OK;
        if (!self_signed && X509_check_ca(c.native()) == 0 &&
            (X509_get_key_usage(c.native()) & KU_KEY_ENCIPHERMENT))
            return c;
    }
    return ca_certificates.front();
}

ScepResult scep_read_cert_rep(ByteView answer, const std::vector<Certificate>& ca_certificates,
                              const KeyPair& key, const Certificate* signer,
                              const std::string& transaction_id, const std::string& sender_nonce) {
    const scep::AttributeNids& o = scep::attribute_nids();
    // CertRep: signed by the CA/RA we know, with our transaction and nonce
    if (answer.size() > detail::max_input_size)
        throw PkiError(ErrorCode::malformed_input, "the SCEP server's answer is too large");
    const auto* p = answer.data();
    Pkcs7Ptr rep(d2i_PKCS7(nullptr, &p, static_cast<long>(answer.size())));
    if (!rep || PKCS7_type_is_signed(rep.get()) == 0 || rep->d.sign == nullptr) {
        ERR_clear_error();
        throw PkiError(ErrorCode::malformed_input, "the SCEP server's answer is not a PKCS#7 signed message");
    }
    X509StackPtr ca_stack(sk_X509_new_null());
    for (const auto& c : ca_certificates) {
        if (!ca_stack || X509_up_ref(c.native()) != 1 || sk_X509_push(ca_stack.get(), c.native()) <= 0)
            detail::throw_crypto("cannot build the CA list");
    }
    BioPtr out = detail::output_bio();
    if (PKCS7_verify(rep.get(), ca_stack.get(), nullptr, nullptr, out.get(),
                     PKCS7_NOVERIFY | PKCS7_NOINTERN | PKCS7_BINARY) != 1)
        throw PkiError(
            ErrorCode::verification_failed,
            "the SCEP answer is not signed by the CA or RA certificate: " + detail::take_openssl_errors());
    STACK_OF(PKCS7_SIGNER_INFO)* infos = PKCS7_get_signer_info(rep.get());
    if (infos == nullptr || sk_PKCS7_SIGNER_INFO_num(infos) < 1)
        throw PkiError(ErrorCode::malformed_input, "the SCEP answer has no signer");
    PKCS7_SIGNER_INFO* rsi = sk_PKCS7_SIGNER_INFO_value(infos, 0);
    if (scep::string_attribute(rsi, o.message_type) != scep::cert_rep)
        throw PkiError(ErrorCode::malformed_input, "the SCEP answer is not a CertRep");
    if (scep::string_attribute(rsi, o.transaction_id) != transaction_id)
        throw PkiError(ErrorCode::verification_failed, "the SCEP answer is for another transaction");
    if (scep::string_attribute(rsi, o.recipient_nonce) != sender_nonce)
        throw PkiError(ErrorCode::verification_failed, "the SCEP answer does not carry our nonce");

    ScepResult result;
    result.transaction_id = transaction_id;
    const std::string status = scep::string_attribute(rsi, o.pki_status);
    if (status == scep::status_pending) {
        result.status = ScepStatus::pending;
        return result;
    }
    if (status == scep::status_failure) {
        result.status = ScepStatus::failure;
        result.fail_info = scep::fail_info_name(scep::string_attribute(rsi, o.fail_info));
        return result;
    }
    if (status != scep::status_success)
        throw PkiError(ErrorCode::malformed_input,
                       "the SCEP answer has an unknown pkiStatus '" + status + "'");

    const std::string inner_rep = detail::bio_contents(out.get());
    const auto* q = reinterpret_cast<const unsigned char*>(inner_rep.data());
    Pkcs7Ptr enveloped(d2i_PKCS7(nullptr, &q, static_cast<long>(inner_rep.size())));
    if (!enveloped || PKCS7_type_is_enveloped(enveloped.get()) == 0) {
        ERR_clear_error();
        throw PkiError(ErrorCode::malformed_input, "the SCEP CertRep does not hold enveloped data");
    }
    load_legacy_provider();
    BioPtr plain = detail::output_bio();
    if (PKCS7_decrypt(enveloped.get(), key.native(), signer != nullptr ? signer->native() : nullptr,
                      plain.get(), PKCS7_BINARY) != 1)
        throw PkiError(ErrorCode::crypto_error,
                       "cannot decrypt the SCEP CertRep: " + detail::take_openssl_errors());
    const std::string degenerate = detail::bio_contents(plain.get());
    Pkcs7Bundle bundle = pkcs7_from_bytes(view(degenerate));
    for (auto& c : bundle.certificates) {
        if (key.matches(c)) {
            result.status = ScepStatus::success;
            result.certificate = c;
            return result;
        }
    }
    if (!bundle.crls.empty()) {
        result.status = ScepStatus::success;
        result.crls = bundle.crls;
        return result;
    }
    throw PkiError(ErrorCode::key_mismatch, "the SCEP CertRep holds no certificate for our key");
}

ScepResult scep_pkcs_req(const ScepEnrollment& e, const KeyPair& key, const CertificateRequest& request) {
    const auto der = request.to_der();
    return exchange(e, key, request, scep::pkcs_req, std::string(der.begin(), der.end()),
                    scep::transaction_id_of(key.native()));
}

ScepResult scep_get_cert_initial(const ScepEnrollment& e, const KeyPair& key,
                                 const CertificateRequest& request, const std::string& transaction_id) {
    if (e.ca_certificates.empty())
        throw PkiError(ErrorCode::invalid_argument, "no CA certificate to enroll with");
    // IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name }
    const std::string inner =
        scep::der_sequence(scep::der_of_name(X509_get_subject_name(e.ca_certificates.front().native())) +
                           scep::der_of_name(X509_REQ_get_subject_name(request.native())));
    return exchange(e, key, request, scep::cert_poll, inner, transaction_id);
}

}  // namespace msim::pki
