#include "msim/pki/certificate.hpp"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/pem.h>

#include "ossl.hpp"

namespace msim::pki {
namespace {

[[noreturn]] void malformed(const std::string& message) {
    detail::take_openssl_errors();
    throw PkiError(ErrorCode::malformed_input, message);
}

std::shared_ptr<X509> share(X509* x) {
    return std::shared_ptr<X509>(x, X509_free);
}
std::shared_ptr<X509_CRL> share(X509_CRL* c) {
    return std::shared_ptr<X509_CRL>(c, X509_CRL_free);
}

void require_nonempty(ByteView bytes, const char* what) {
    if (bytes.empty()) {
        malformed(std::string(what) + " is empty");
    }
}

// DER objects start with a SEQUENCE tag; anything else that is not PEM is neither encoding.
bool looks_like_der(ByteView bytes) {
    return !bytes.empty() && bytes[0] == 0x30;
}

std::string pem_of(auto write, auto* object, const char* what) {
    auto bio = detail::output_bio();
    if (write(bio.get(), object) != 1) {
        detail::throw_crypto(std::string("cannot encode ") + what);
    }
    return detail::bio_contents(bio.get());
}

template <class T>
std::vector<std::uint8_t> der_of(int (*i2d)(const T*, unsigned char**), const T* object) {
    int len = i2d(object, nullptr);
    if (len <= 0) {
        detail::throw_crypto("cannot encode DER");
    }
    std::vector<std::uint8_t> out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    i2d(object, &p);
    return out;
}

std::string bn_hex(const ASN1_INTEGER* integer) {
    detail::BignumPtr bn(ASN1_INTEGER_to_BN(integer, nullptr));
    if (!bn) {
        detail::take_openssl_errors();
        return {};
    }
    char* hex = BN_bn2hex(bn.get());
    if (hex == nullptr) {
        return {};
    }
    std::string out(hex);
    OPENSSL_free(hex);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string fingerprint(X509* x, const EVP_MD* md) {
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_digest(x, md, buf, &len) != 1) {
        detail::throw_crypto("cannot compute fingerprint");
    }
    return colon_hex(ByteView(buf, len));
}

std::string ip_to_string(const ASN1_OCTET_STRING* ip) {
    const unsigned char* data = ASN1_STRING_get0_data(ip);
    int len = ASN1_STRING_length(ip);
    char buf[INET6_ADDRSTRLEN] = {};
    if (len == 4) {
        inet_ntop(AF_INET, data, buf, sizeof buf);
    } else if (len == 16) {
        inet_ntop(AF_INET6, data, buf, sizeof buf);
    } else {
        return {};
    }
    return buf;
}

std::string ia5(const ASN1_IA5STRING* s) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
}

template <class F>
void for_each_alt_name(X509* x, F&& f) {
    detail::GeneralNamesPtr names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr)));
    detail::take_openssl_errors();
    if (!names) {
        return;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        f(sk_GENERAL_NAME_value(names.get(), i));
    }
}

}  // namespace

Certificate Certificate::from_bytes(ByteView bytes) {
    require_nonempty(bytes, "certificate file");
    if (looks_like_der(bytes)) {
        if (bytes.size() > detail::max_input_size) {
            malformed("certificate file is too large");
        }
        const unsigned char* p = bytes.data();
        detail::X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(bytes.size())));
        if (!x) {
            malformed("certificate file is not a valid DER certificate");
        }
        if (p != bytes.data() + bytes.size()) {
            malformed("certificate file has trailing data after the DER certificate");
        }
        return Certificate(share(x.release()));
    }
    if (detail::looks_like_pem(bytes)) {
        auto bio = detail::memory_bio(bytes, "certificate file");
        X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
        if (x == nullptr) {
            malformed("certificate file is not a valid PEM certificate");
        }
        return Certificate(share(x));
    }
    malformed("certificate file is neither PEM nor DER");
}

Certificate Certificate::adopt(X509* native) {
    if (native == nullptr) {
        throw PkiError(ErrorCode::invalid_argument, "null certificate");
    }
    return Certificate(share(native));
}

std::string Certificate::to_pem() const {
    return pem_of(PEM_write_bio_X509, cert_.get(), "certificate");
}
std::vector<std::uint8_t> Certificate::to_der() const {
    return der_of<X509>(i2d_X509, cert_.get());
}

DistinguishedName Certificate::subject() const {
    return from_x509_name(X509_get_subject_name(cert_.get()));
}
DistinguishedName Certificate::issuer() const {
    return from_x509_name(X509_get_issuer_name(cert_.get()));
}
std::string Certificate::subject_string() const {
    return format_distinguished_name(subject());
}
std::string Certificate::issuer_string() const {
    return format_distinguished_name(issuer());
}
std::string Certificate::serial_hex() const {
    return bn_hex(X509_get0_serialNumber(cert_.get()));
}
TimePoint Certificate::not_before() const {
    return detail::to_time_point(X509_get0_notBefore(cert_.get()));
}
TimePoint Certificate::not_after() const {
    return detail::to_time_point(X509_get0_notAfter(cert_.get()));
}

bool Certificate::is_ca() const {
    return (X509_get_extension_flags(cert_.get()) & EXFLAG_CA) != 0;
}

bool Certificate::is_self_signed() const {
    int r = X509_self_signed(cert_.get(), 1);
    detail::take_openssl_errors();
    return r == 1;
}

std::vector<std::string> Certificate::dns_names() const {
    std::vector<std::string> out;
    for_each_alt_name(cert_.get(), [&](const GENERAL_NAME* name) {
        if (name->type == GEN_DNS) {
            out.push_back(ia5(name->d.dNSName));
        }
    });
    return out;
}

std::vector<std::string> Certificate::ip_addresses() const {
    std::vector<std::string> out;
    for_each_alt_name(cert_.get(), [&](const GENERAL_NAME* name) {
        if (name->type == GEN_IPADD) {
            std::string ip = ip_to_string(name->d.iPAddress);
            if (!ip.empty()) {
                out.push_back(ip);
            }
        }
    });
    return out;
}

std::vector<std::string> Certificate::email_addresses() const {
    std::vector<std::string> out;
    for_each_alt_name(cert_.get(), [&](const GENERAL_NAME* name) {
        if (name->type == GEN_EMAIL) {
            out.push_back(ia5(name->d.rfc822Name));
        }
    });
    return out;
}

std::vector<std::string> Certificate::crl_distribution_points() const {
    std::vector<std::string> out;
    detail::DistPointsPtr points(static_cast<CRL_DIST_POINTS*>(
        X509_get_ext_d2i(cert_.get(), NID_crl_distribution_points, nullptr, nullptr)));
    detail::take_openssl_errors();
    if (!points) {
        return out;
    }
    for (int i = 0; i < sk_DIST_POINT_num(points.get()); ++i) {
        const DIST_POINT* point = sk_DIST_POINT_value(points.get(), i);
        if (point->distpoint == nullptr || point->distpoint->type != 0) {
            continue;  // only fullName URIs can be fetched
        }
        const GENERAL_NAMES* names = point->distpoint->name.fullname;
        for (int k = 0; k < sk_GENERAL_NAME_num(names); ++k) {
            const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, k);
            if (name->type == GEN_URI) {
                out.push_back(ia5(name->d.uniformResourceIdentifier));
            }
        }
    }
    return out;
}

std::string Certificate::sha1_fingerprint() const {
    return fingerprint(cert_.get(), EVP_sha1());
}
std::string Certificate::md5_fingerprint() const {
    return fingerprint(cert_.get(), EVP_md5());
}
std::string Certificate::sha256_fingerprint() const {
    return fingerprint(cert_.get(), EVP_sha256());
}

void Certificate::check_validity(TimePoint now) const {
    std::time_t t = detail::to_time_t(now);
    int before = X509_cmp_time(X509_get0_notBefore(cert_.get()), &t);
    int after = X509_cmp_time(X509_get0_notAfter(cert_.get()), &t);
    if (before == 0 || after == 0) {
        malformed("certificate has an invalid validity field");
    }
    if (before > 0) {
        throw PkiError(ErrorCode::not_yet_valid, "Certificate is not yet valid (not before " +
                                                     detail::junos_time_of(X509_get0_notBefore(cert_.get())) +
                                                     ")");
    }
    if (after < 0) {
        throw PkiError(ErrorCode::expired, "Certificate has expired (not after " +
                                               detail::junos_time_of(X509_get0_notAfter(cert_.get())) + ")");
    }
}

bool Certificate::same_as(const Certificate& other) const {
    return X509_cmp(cert_.get(), other.cert_.get()) == 0;
}

namespace {

std::vector<Certificate> certificates_of(const STACK_OF(X509) * certs) {
    std::vector<Certificate> out;
    for (int i = 0; i < sk_X509_num(certs); ++i) {
        X509* x = sk_X509_value(certs, i);
        if (X509_up_ref(x) == 1) {
            out.push_back(Certificate::adopt(x));
        }
    }
    return out;
}

std::vector<Crl> crls_of(const STACK_OF(X509_CRL) * crls) {
    std::vector<Crl> out;
    for (int i = 0; i < sk_X509_CRL_num(crls); ++i) {
        X509_CRL* c = sk_X509_CRL_value(crls, i);
        if (X509_CRL_up_ref(c) == 1) {
            out.push_back(Crl::adopt(c));
        }
    }
    return out;
}

detail::Pkcs7Ptr parse_pkcs7(ByteView bytes) {
    if (looks_like_der(bytes)) {
        if (bytes.size() > detail::max_input_size) {
            malformed("PKCS#7 data is too large");
        }
        const unsigned char* p = bytes.data();
        detail::Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(bytes.size())));
        if (!p7) {
            malformed("invalid DER PKCS#7 data");
        }
        if (p != bytes.data() + bytes.size()) {
            malformed("trailing data after the DER PKCS#7 data");
        }
        return p7;
    }
    if (detail::looks_like_pem(bytes)) {
        auto bio = detail::memory_bio(bytes, "PKCS#7 data");
        detail::Pkcs7Ptr p7(PEM_read_bio_PKCS7(bio.get(), nullptr, nullptr, nullptr));
        if (!p7) {
            malformed("invalid PEM PKCS#7 data");
        }
        return p7;
    }
    malformed("PKCS#7 data is neither PEM nor DER");
}

}  // namespace

std::vector<Certificate> certificates_from_bytes(ByteView bytes) {
    require_nonempty(bytes, "certificate file");
    std::vector<Certificate> out;
    if (detail::looks_like_pem(bytes)) {
        auto bio = detail::memory_bio(bytes, "certificate file");
        while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
            out.push_back(Certificate::adopt(x));
        }
        detail::take_openssl_errors();
        if (!out.empty()) {
            return out;
        }
        return pkcs7_from_bytes(bytes).certificates;
    }
    if (!looks_like_der(bytes)) {
        malformed("certificate file is neither PEM nor DER");
    }
    try {
        out.push_back(Certificate::from_bytes(bytes));
        return out;
    } catch (const PkiError&) {
        // Not one DER certificate: a DER PKCS#7 bundle is the other form a CA hands out.
    }
    auto bundle = pkcs7_from_bytes(bytes);
    if (bundle.certificates.empty()) {
        malformed("PKCS#7 data holds no certificate");
    }
    return bundle.certificates;
}

Crl Crl::from_bytes(ByteView bytes) {
    require_nonempty(bytes, "CRL file");
    if (looks_like_der(bytes)) {
        if (bytes.size() > detail::max_input_size) {
            malformed("CRL file is too large");
        }
        const unsigned char* p = bytes.data();
        detail::CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size())));
        if (!crl) {
            malformed("CRL file is not a valid DER CRL");
        }
        if (p != bytes.data() + bytes.size()) {
            malformed("CRL file has trailing data after the DER CRL");
        }
        return Crl(share(crl.release()));
    }
    if (detail::looks_like_pem(bytes)) {
        auto bio = detail::memory_bio(bytes, "CRL file");
        X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
        if (crl == nullptr) {
            malformed("CRL file is not a valid PEM CRL");
        }
        return Crl(share(crl));
    }
    malformed("CRL file is neither PEM nor DER");
}

Crl Crl::adopt(X509_CRL* native) {
    if (native == nullptr) {
        throw PkiError(ErrorCode::invalid_argument, "null CRL");
    }
    return Crl(share(native));
}

std::string Crl::to_pem() const {
    return pem_of(PEM_write_bio_X509_CRL, crl_.get(), "CRL");
}
std::vector<std::uint8_t> Crl::to_der() const {
    return der_of<X509_CRL>(i2d_X509_CRL, crl_.get());
}
DistinguishedName Crl::issuer() const {
    return from_x509_name(X509_CRL_get_issuer(crl_.get()));
}
std::string Crl::issuer_string() const {
    return format_distinguished_name(issuer());
}
TimePoint Crl::this_update() const {
    return detail::to_time_point(X509_CRL_get0_lastUpdate(crl_.get()));
}

std::optional<TimePoint> Crl::next_update() const {
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl_.get());
    if (next == nullptr) {
        return std::nullopt;
    }
    return detail::to_time_point(next);
}

std::vector<RevokedEntry> Crl::revoked() const {
    std::vector<RevokedEntry> out;
    STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl_.get());
    for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
        const X509_REVOKED* entry = sk_X509_REVOKED_value(entries, i);
        RevokedEntry e;
        e.serial_hex = bn_hex(X509_REVOKED_get0_serialNumber(entry));
        const ASN1_TIME* date = X509_REVOKED_get0_revocationDate(entry);
        if (date != nullptr) {
            try {
                e.revocation_date = detail::to_time_point(date);
            } catch (const PkiError&) {
                // an unreadable date stays at the epoch; the entry itself is still listed
            }
        }
        out.push_back(std::move(e));
    }
    detail::take_openssl_errors();
    return out;
}

bool Crl::is_revoked(const Certificate& certificate) const {
    X509_REVOKED* entry = nullptr;
    int r = X509_CRL_get0_by_cert(crl_.get(), &entry, certificate.native());
    detail::take_openssl_errors();
    return r == 1;
}

bool Crl::issued_by(const Certificate& issuer) const {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl_.get()), X509_get_subject_name(issuer.native())) != 0) {
        return false;
    }
    EVP_PKEY* key = X509_get0_pubkey(issuer.native());
    int r = key == nullptr ? 0 : X509_CRL_verify(crl_.get(), key);
    detail::take_openssl_errors();
    return r == 1;
}

void Crl::check_validity(TimePoint now) const {
    std::time_t t = detail::to_time_t(now);
    int last = X509_cmp_time(X509_CRL_get0_lastUpdate(crl_.get()), &t);
    if (last == 0) {
        malformed("CRL has an invalid thisUpdate field");
    }
    if (last > 0) {
        throw PkiError(ErrorCode::not_yet_valid,
                       "CRL is not yet valid (this update " +
                           detail::junos_time_of(X509_CRL_get0_lastUpdate(crl_.get())) + ")");
    }
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl_.get());
    if (next != nullptr) {
        int r = X509_cmp_time(next, &t);
        if (r == 0) {
            malformed("CRL has an invalid nextUpdate field");
        }
        if (r < 0) {
            throw PkiError(ErrorCode::expired,
                           "CRL has expired (next update " + detail::junos_time_of(next) + ")");
        }
    }
}

Pkcs7Bundle pkcs7_from_bytes(ByteView bytes) {
    require_nonempty(bytes, "PKCS#7 data");
    detail::Pkcs7Ptr p7 = parse_pkcs7(bytes);
    if (!PKCS7_type_is_signed(p7.get()) || p7->d.sign == nullptr) {
        malformed("PKCS#7 data is not SignedData");
    }
    Pkcs7Bundle bundle;
    const PKCS7_SIGNED* sign = p7->d.sign;
    if (sign->cert != nullptr) {
        bundle.certificates = certificates_of(sign->cert);
    }
    if (sign->crl != nullptr) {
        bundle.crls = crls_of(sign->crl);
    }
    if (sign->signer_info != nullptr) {
        bundle.signer_count = static_cast<std::size_t>(sk_PKCS7_SIGNER_INFO_num(sign->signer_info));
    }
    const PKCS7* inner = sign->contents;
    if (inner != nullptr && inner->type != nullptr && PKCS7_type_is_data(inner) && inner->d.data != nullptr) {
        const ASN1_OCTET_STRING* data = inner->d.data;
        const unsigned char* begin = ASN1_STRING_get0_data(data);
        bundle.content.emplace(begin, begin + ASN1_STRING_length(data));
    }
    return bundle;
}

}  // namespace msim::pki
