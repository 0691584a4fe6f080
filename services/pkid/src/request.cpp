#include "msim/pki/request.hpp"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cctype>

#include "msim/pki/distinguished_name.hpp"
#include "ossl.hpp"

namespace msim::pki {
namespace {

[[noreturn]] void invalid(const std::string& message) {
    throw PkiError(ErrorCode::invalid_argument, message);
}

void free_extension_stack(STACK_OF(X509_EXTENSION) * s) {
    sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
}
void free_extension_stack_only(STACK_OF(X509_EXTENSION) * s) {
    sk_X509_EXTENSION_free(s);
}

bool valid_domain_name(std::string_view name) {
    if (name.empty() || name.size() > 253) {
        return false;
    }
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t end = name.find('.', start);
        if (end == std::string_view::npos) {
            end = name.size();
        }
        std::string_view label = name.substr(start, end - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
            return false;
        }
        for (char c : label) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
                return false;
            }
        }
        start = end + 1;
        if (end == name.size()) {
            break;
        }
    }
    return true;
}

bool valid_ip(const std::string& text) {
    unsigned char buf[16];
    return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool valid_email(std::string_view email) {
    std::size_t at = email.find('@');
    if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) {
        return false;
    }
    for (char c : email.substr(0, at)) {
        if (std::isspace(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80) {
            return false;
        }
    }
    return valid_domain_name(email.substr(at + 1));
}

ASN1_IA5STRING* ia5_of(const std::string& text) {
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    if (s == nullptr || ASN1_STRING_set(s, text.data(), static_cast<int>(text.size())) != 1) {
        ASN1_IA5STRING_free(s);
        detail::throw_crypto("cannot encode name");
    }
    return s;
}

void push_name(GENERAL_NAMES* names, int type, void* value) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (name == nullptr) {
        detail::throw_crypto("cannot allocate name");
    }
    GENERAL_NAME_set0_value(name, type, value);
    if (sk_GENERAL_NAME_push(names, name) <= 0) {
        GENERAL_NAME_free(name);
        detail::throw_crypto("cannot allocate name");
    }
}

// The subjectAltName extension for the names, or null when there are none.
detail::ExtPtr alt_name_extension(const AlternativeNames& alt) {
    if (alt.empty()) {
        return nullptr;
    }
    detail::GeneralNamesPtr names(GENERAL_NAMES_new());
    if (!names) {
        detail::throw_crypto("cannot allocate names");
    }
    for (const auto& dns : alt.domain_names) {
        push_name(names.get(), GEN_DNS, ia5_of(dns));
    }
    for (const auto& ip : alt.ip_addresses) {
        ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
        if (octets == nullptr) {
            detail::take_openssl_errors();
            invalid("Invalid IP address '" + ip + "'");
        }
        push_name(names.get(), GEN_IPADD, octets);
    }
    for (const auto& email : alt.emails) {
        push_name(names.get(), GEN_EMAIL, ia5_of(email));
    }
    detail::ExtPtr ext(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
    if (!ext) {
        detail::throw_crypto("cannot encode subjectAltName");
    }
    return ext;
}

AlternativeNames alt_names_of(const GENERAL_NAMES* names) {
    AlternativeNames out;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
        if (name->type == GEN_DNS || name->type == GEN_EMAIL) {
            const ASN1_IA5STRING* s = name->type == GEN_DNS ? name->d.dNSName : name->d.rfc822Name;
            std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                             static_cast<std::size_t>(ASN1_STRING_length(s)));
            (name->type == GEN_DNS ? out.domain_names : out.emails).push_back(std::move(text));
        } else if (name->type == GEN_IPADD) {
            const ASN1_OCTET_STRING* ip = name->d.iPAddress;
            char buf[INET6_ADDRSTRLEN] = {};
            int len = ASN1_STRING_length(ip);
            if ((len == 4 || len == 16) && inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip),
                                                     buf, sizeof buf) != nullptr) {
                out.ip_addresses.emplace_back(buf);
            }
        }
    }
    return out;
}

void add_extension(X509* x, int nid, const char* value, X509* issuer) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
    detail::ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(x, ext.get(), -1) != 1) {
        detail::throw_crypto(std::string("cannot add extension ") + OBJ_nid2sn(nid));
    }
}

}  // namespace

void check_alternative_names(const AlternativeNames& names) {
    for (const auto& dns : names.domain_names) {
        if (!valid_domain_name(dns)) {
            invalid("Invalid domain name '" + dns + "'");
        }
    }
    for (const auto& ip : names.ip_addresses) {
        if (!valid_ip(ip)) {
            invalid("Invalid IP address '" + ip + "'");
        }
    }
    for (const auto& email : names.emails) {
        if (!valid_email(email)) {
            invalid("Invalid e-mail address '" + email + "'");
        }
    }
}

const EVP_MD* signing_digest(const KeyPair& key) {
    if (key.algorithm() == KeyAlgorithm::ecdsa && key.bits() > 256) {
        return EVP_sha384();
    }
    return EVP_sha256();
}

CertificateRequest create_certificate_request(const KeyPair& key, const RequestParams& params) {
    DistinguishedName subject = parse_distinguished_name(params.subject);
    if (params.alternative_names.empty()) {
        invalid("At least one of domain-name, ip-address or email must be specified");
    }
    check_alternative_names(params.alternative_names);
    if (params.challenge_password &&
        (params.challenge_password->empty() || params.challenge_password->size() > 255)) {
        invalid("Challenge password must be 1 to 255 characters");  // PKCS#9 ub-challenge-password
    }

    std::shared_ptr<X509_REQ> req(X509_REQ_new(), X509_REQ_free);
    if (!req || X509_REQ_set_version(req.get(), 0) != 1) {
        detail::throw_crypto("cannot allocate certificate request");
    }
    detail::NamePtr name(to_x509_name(subject));
    if (X509_REQ_set_subject_name(req.get(), name.get()) != 1 ||
        X509_REQ_set_pubkey(req.get(), key.native()) != 1) {
        detail::throw_crypto("cannot build certificate request");
    }
    detail::ExtPtr san = alt_name_extension(params.alternative_names);
    std::unique_ptr<STACK_OF(X509_EXTENSION), detail::Deleter<free_extension_stack_only>> extensions(
        sk_X509_EXTENSION_new_null());
    if (!extensions || sk_X509_EXTENSION_push(extensions.get(), san.get()) <= 0 ||
        X509_REQ_add_extensions(req.get(), extensions.get()) != 1) {
        detail::throw_crypto("cannot add subjectAltName to certificate request");
    }
    if (params.challenge_password) {
        const std::string& password = *params.challenge_password;
        if (X509_REQ_add1_attr_by_NID(req.get(), NID_pkcs9_challengePassword, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(password.data()),
                                      static_cast<int>(password.size())) != 1) {
            detail::take_openssl_errors();
            invalid("Challenge password is not acceptable (at most 255 characters)");
        }
    }
    if (X509_REQ_sign(req.get(), key.native(), signing_digest(key)) <= 0) {
        detail::throw_crypto("cannot sign certificate request");
    }
    return CertificateRequest(std::move(req));
}

CertificateRequest CertificateRequest::from_bytes(ByteView bytes) {
    if (bytes.empty()) {
        throw PkiError(ErrorCode::malformed_input, "certificate request is empty");
    }
    X509_REQ* req = nullptr;
    if (bytes[0] == 0x30) {
        if (bytes.size() > detail::max_input_size) {
            throw PkiError(ErrorCode::malformed_input, "certificate request is too large");
        }
        const unsigned char* p = bytes.data();
        req = d2i_X509_REQ(nullptr, &p, static_cast<long>(bytes.size()));
        if (req != nullptr && p != bytes.data() + bytes.size()) {
            X509_REQ_free(req);
            req = nullptr;
        }
    } else if (detail::looks_like_pem(bytes)) {
        auto bio = detail::memory_bio(bytes, "certificate request");
        req = PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr);
    }
    if (req == nullptr) {
        detail::take_openssl_errors();
        throw PkiError(ErrorCode::malformed_input, "data is not a PEM or DER certificate request");
    }
    return CertificateRequest(std::shared_ptr<X509_REQ>(req, X509_REQ_free));
}

std::string CertificateRequest::to_pem() const {
    auto bio = detail::output_bio();
    if (PEM_write_bio_X509_REQ(bio.get(), req_.get()) != 1) {
        detail::throw_crypto("cannot encode certificate request");
    }
    return detail::bio_contents(bio.get());
}

std::vector<std::uint8_t> CertificateRequest::to_der() const {
    int len = i2d_X509_REQ(req_.get(), nullptr);
    if (len <= 0) {
        detail::throw_crypto("cannot encode certificate request");
    }
    std::vector<std::uint8_t> out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    i2d_X509_REQ(req_.get(), &p);
    return out;
}

DistinguishedName CertificateRequest::subject() const {
    return from_x509_name(X509_REQ_get_subject_name(req_.get()));
}
std::string CertificateRequest::subject_string() const {
    return format_distinguished_name(subject());
}

AlternativeNames CertificateRequest::alternative_names() const {
    std::unique_ptr<STACK_OF(X509_EXTENSION), detail::Deleter<free_extension_stack>> extensions(
        X509_REQ_get_extensions(req_.get()));
    detail::take_openssl_errors();
    if (!extensions) {
        return {};
    }
    detail::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509V3_get_d2i(extensions.get(), NID_subject_alt_name, nullptr, nullptr)));
    detail::take_openssl_errors();
    return names ? alt_names_of(names.get()) : AlternativeNames{};
}

std::optional<std::string> CertificateRequest::challenge_password() const {
    int index = X509_REQ_get_attr_by_NID(req_.get(), NID_pkcs9_challengePassword, -1);
    if (index < 0) {
        return std::nullopt;
    }
    X509_ATTRIBUTE* attribute = X509_REQ_get_attr(req_.get(), index);
    ASN1_TYPE* value = attribute == nullptr ? nullptr : X509_ATTRIBUTE_get0_type(attribute, 0);
    if (value == nullptr || (value->type != V_ASN1_UTF8STRING && value->type != V_ASN1_PRINTABLESTRING &&
                             value->type != V_ASN1_IA5STRING && value->type != V_ASN1_T61STRING &&
                             value->type != V_ASN1_BMPSTRING && value->type != V_ASN1_UNIVERSALSTRING)) {
        return std::nullopt;
    }
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, value->value.asn1_string);
    if (len < 0) {
        detail::take_openssl_errors();
        return std::nullopt;
    }
    std::string out(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    return out;
}

std::string CertificateRequest::sha1_fingerprint() const {
    return colon_hex(detail::digest(EVP_sha1(), to_der()));
}
std::string CertificateRequest::md5_fingerprint() const {
    return colon_hex(detail::digest(EVP_md5(), to_der()));
}

bool CertificateRequest::signature_valid() const {
    EVP_PKEY* key = X509_REQ_get0_pubkey(req_.get());
    int r = key == nullptr ? 0 : X509_REQ_verify(req_.get(), key);
    detail::take_openssl_errors();
    return r == 1;
}

Certificate create_self_signed_certificate(const KeyPair& key, const SelfSignedParams& params) {
    DistinguishedName subject = parse_distinguished_name(params.subject);
    check_alternative_names(params.alternative_names);
    if (params.validity_days == 0 || params.validity_days > 36500) {
        invalid("Validity period must be between 1 and 36500 days");
    }
    detail::X509Ptr x(X509_new());
    if (!x || X509_set_version(x.get(), 2) != 1) {
        detail::throw_crypto("cannot allocate certificate");
    }
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) {
        detail::throw_crypto("cannot draw a serial number");
    }
    serial[0] &= 0x7f;  // positive INTEGER
    serial[0] |= 0x01;  // and never zero-led, so the serial keeps its 16 bytes
    detail::BignumPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
    detail::NamePtr name(to_x509_name(subject));
    std::time_t start = detail::to_time_t(params.not_before);
    if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get())) == nullptr ||
        X509_set_subject_name(x.get(), name.get()) != 1 || X509_set_issuer_name(x.get(), name.get()) != 1 ||
        ASN1_TIME_set(X509_getm_notBefore(x.get()), start) == nullptr ||
        ASN1_TIME_adj(X509_getm_notAfter(x.get()), start, static_cast<int>(params.validity_days), 0) ==
            nullptr ||
        X509_set_pubkey(x.get(), key.native()) != 1) {
        detail::throw_crypto("cannot build self-signed certificate");
    }
    add_extension(x.get(), NID_basic_constraints, params.add_ca_constraint ? "critical,CA:TRUE" : "CA:FALSE",
                  x.get());
    std::string usage =
        key.algorithm() == KeyAlgorithm::rsa ? "digitalSignature,keyEncipherment" : "digitalSignature";
    if (params.add_ca_constraint) {
        usage += ",keyCertSign,cRLSign";
    }
    add_extension(x.get(), NID_key_usage, usage.c_str(), x.get());
    add_extension(x.get(), NID_subject_key_identifier, "hash", x.get());
    if (detail::ExtPtr san = alt_name_extension(params.alternative_names)) {
        if (X509_add_ext(x.get(), san.get(), -1) != 1) {
            detail::throw_crypto("cannot add subjectAltName");
        }
    }
    if (X509_sign(x.get(), key.native(), signing_digest(key)) <= 0) {
        detail::throw_crypto("cannot sign self-signed certificate");
    }
    return Certificate::adopt(x.release());
}

}  // namespace msim::pki
