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

#include "ossl.hpp"

namespace msim::pki {

using detail::BioPtr;
using detail::Pkcs7Ptr;
using detail::X509Ptr;
using detail::X509StackPtr;

namespace {

struct ScepOids {
    int message_type, pki_status, fail_info, sender_nonce, recipient_nonce, transaction_id;
};

const ScepOids& oids() {
    static const ScepOids o = [] {
        auto make = [](const char* oid, const char* name) {
            int nid = OBJ_txt2nid(oid);
            if (nid == NID_undef)
                nid = OBJ_create(oid, name, name);
            if (nid == NID_undef)
                detail::throw_crypto("cannot register SCEP attribute " + std::string(name));
            return nid;
        };
        return ScepOids{make("2.16.840.1.113733.1.9.2", "scepMessageType"),
                        make("2.16.840.1.113733.1.9.3", "scepPkiStatus"),
                        make("2.16.840.1.113733.1.9.4", "scepFailInfo"),
                        make("2.16.840.1.113733.1.9.5", "scepSenderNonce"),
                        make("2.16.840.1.113733.1.9.6", "scepRecipientNonce"),
                        make("2.16.840.1.113733.1.9.7", "scepTransactionID")};
    }();
    return o;
}

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

std::string percent_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

std::string operation_url(const std::string& url, const std::string& operation,
                          const std::string& message = {}) {
    std::string u = url + (url.find('?') == std::string::npos ? "?" : "&") + "operation=" + operation;
    if (!message.empty())
        u += "&message=" + percent_encode(message);
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

std::string der_of_name(const X509_NAME* name) {
    unsigned char* out = nullptr;
    const int n = i2d_X509_NAME(name, &out);
    if (n <= 0)
        detail::throw_crypto("cannot encode a name");
    std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
    OPENSSL_free(out);
    return der;
}

std::string der_sequence(const std::string& content) {
    std::string out(1, '\x30');
    const std::size_t n = content.size();
    if (n < 0x80) {
        out.push_back(static_cast<char>(n));
    } else {
        std::string len;
        for (std::size_t v = n; v != 0; v >>= 8)
            len.insert(len.begin(), static_cast<char>(v & 0xff));
        out.push_back(static_cast<char>(0x80 | len.size()));
        out += len;
    }
    return out + content;
}

std::string transaction_id_of(const KeyPair& key) {
    unsigned char* spki = nullptr;
    const int n = i2d_PUBKEY(key.native(), &spki);
    if (n <= 0)
        detail::throw_crypto("cannot encode the public key");
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const int ok = EVP_Digest(spki, static_cast<std::size_t>(n), digest, &len, EVP_sha256(), nullptr);
    OPENSSL_free(spki);
    if (ok != 1)
        detail::throw_crypto("cannot hash the public key");
    static const char* hex = "0123456789ABCDEF";
    std::string id;
    for (unsigned i = 0; i < len; ++i) {
        id.push_back(hex[digest[i] >> 4]);
        id.push_back(hex[digest[i] & 15]);
    }
    return id;
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

void add_string_attribute(PKCS7_SIGNER_INFO* si, int nid, int type, const std::string& value) {
    ASN1_STRING* s = ASN1_STRING_type_new(type);
    if (s == nullptr || ASN1_STRING_set(s, value.data(), static_cast<int>(value.size())) != 1 ||
        PKCS7_add_signed_attribute(si, nid, type, s) != 1) {
        ASN1_STRING_free(s);
        detail::throw_crypto("cannot add a SCEP attribute");
    }
}

std::string string_attribute(PKCS7_SIGNER_INFO* si, int nid) {
    ASN1_TYPE* t = PKCS7_get_signed_attribute(si, nid);
    if (t == nullptr || (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_OCTET_STRING &&
                         t->type != V_ASN1_UTF8STRING && t->type != V_ASN1_IA5STRING))
        return {};
    const ASN1_STRING* s = t->value.asn1_string;
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
}

std::string fail_info_name(const std::string& code) {
    if (code == "0")
        return "badAlg";
    if (code == "1")
        return "badMessageCheck";
    if (code == "2")
        return "badRequest";
    if (code == "3")
        return "badTime";
    if (code == "4")
        return "badCertId";
    return code.empty() ? "unspecified" : code;
}

ScepResult exchange(const ScepEnrollment& e, const KeyPair& key, const CertificateRequest& request,
                    const std::string& message_type, const std::string& inner,
                    const std::string& transaction_id) {
    if (key.algorithm() != KeyAlgorithm::rsa)
        throw PkiError(ErrorCode::invalid_argument, "SCEP enrollment needs an RSA key pair");
    if (e.ca_certificates.empty())
        throw PkiError(ErrorCode::invalid_argument, "no CA certificate to enroll with");
    const ScepOids& o = oids();
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
    X509Ptr signer = transient_certificate(key, request);
    Pkcs7Ptr p7(PKCS7_sign(nullptr, nullptr, nullptr, nullptr, PKCS7_BINARY | PKCS7_PARTIAL));
    if (!p7)
        detail::throw_crypto("cannot start the SCEP message");
    PKCS7_SIGNER_INFO* si = PKCS7_sign_add_signer(p7.get(), signer.get(), key.native(),
                                                  sha256 ? EVP_sha256() : EVP_sha1(), PKCS7_NOSMIMECAP);
    if (si == nullptr)
        detail::throw_crypto("cannot sign the SCEP message");
    std::string nonce(16, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), 16);
    add_string_attribute(si, o.transaction_id, V_ASN1_PRINTABLESTRING, transaction_id);
    add_string_attribute(si, o.message_type, V_ASN1_PRINTABLESTRING, message_type);
    add_string_attribute(si, o.sender_nonce, V_ASN1_OCTET_STRING, nonce);
    BioPtr content = detail::memory_bio(view(env_der), "SCEP content");
    if (PKCS7_final(p7.get(), content.get(), PKCS7_BINARY) != 1)
        detail::throw_crypto("cannot sign the SCEP message");
    const std::string message = der_of(p7.get());

    HttpAnswer answer;
    if (e.capabilities.count("POSTPKIOperation") != 0) {
        answer = http_exchange(operation_url(e.url, "PKIOperation"), &message, "application/x-pki-message",
                               e.limits);
    } else {
        std::string b64(4 * ((message.size() + 2) / 3) + 1, '\0');
        const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                      reinterpret_cast<const unsigned char*>(message.data()),
                                      static_cast<int>(message.size()));
        b64.resize(static_cast<std::size_t>(n));
        answer = http_exchange(operation_url(e.url, "PKIOperation", b64), nullptr, {}, e.limits);
    }

    // CertRep: signed by the CA/RA we know, with our transaction and nonce
    const auto* p = reinterpret_cast<const unsigned char*>(answer.body.data());
    Pkcs7Ptr rep(d2i_PKCS7(nullptr, &p, static_cast<long>(answer.body.size())));
    if (!rep || PKCS7_type_is_signed(rep.get()) == 0)
        throw PkiError(ErrorCode::malformed_input, "the SCEP server's answer is not a PKCS#7 signed message");
    X509StackPtr ca_stack(sk_X509_new_null());
    for (const auto& c : e.ca_certificates) {
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
    if (string_attribute(rsi, o.message_type) != "3")
        throw PkiError(ErrorCode::malformed_input, "the SCEP answer is not a CertRep");
    if (string_attribute(rsi, o.transaction_id) != transaction_id)
        throw PkiError(ErrorCode::verification_failed, "the SCEP answer is for another transaction");
    if (string_attribute(rsi, o.recipient_nonce) != nonce)
        throw PkiError(ErrorCode::verification_failed, "the SCEP answer does not carry our nonce");

    ScepResult result;
    result.transaction_id = transaction_id;
    const std::string status = string_attribute(rsi, o.pki_status);
    if (status == "3") {
        result.status = ScepStatus::pending;
        return result;
    }
    if (status == "2") {
        result.status = ScepStatus::failure;
        result.fail_info = fail_info_name(string_attribute(rsi, o.fail_info));
        return result;
    }
    if (status != "0")
        throw PkiError(ErrorCode::malformed_input,
                       "the SCEP answer has an unknown pkiStatus '" + status + "'");

    const std::string inner_rep = detail::bio_contents(out.get());
    const auto* q = reinterpret_cast<const unsigned char*>(inner_rep.data());
    Pkcs7Ptr enveloped(d2i_PKCS7(nullptr, &q, static_cast<long>(inner_rep.size())));
    if (!enveloped || PKCS7_type_is_enveloped(enveloped.get()) == 0)
        throw PkiError(ErrorCode::malformed_input, "the SCEP CertRep does not hold enveloped data");
    load_legacy_provider();
    BioPtr plain = detail::output_bio();
    if (PKCS7_decrypt(enveloped.get(), key.native(), signer.get(), plain.get(), PKCS7_BINARY) != 1)
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
    throw PkiError(ErrorCode::key_mismatch, "the SCEP CertRep holds no certificate for our key");
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

ScepResult scep_pkcs_req(const ScepEnrollment& e, const KeyPair& key, const CertificateRequest& request) {
    const auto der = request.to_der();
    return exchange(e, key, request, "19", std::string(der.begin(), der.end()), transaction_id_of(key));
}

ScepResult scep_get_cert_initial(const ScepEnrollment& e, const KeyPair& key,
                                 const CertificateRequest& request, const std::string& transaction_id) {
    if (e.ca_certificates.empty())
        throw PkiError(ErrorCode::invalid_argument, "no CA certificate to enroll with");
    // IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name }
    const std::string inner =
        der_sequence(der_of_name(X509_get_subject_name(e.ca_certificates.front().native())) +
                     der_of_name(X509_REQ_get_subject_name(request.native())));
    return exchange(e, key, request, "20", inner, transaction_id);
}

}  // namespace msim::pki
