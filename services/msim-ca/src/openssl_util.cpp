#include "openssl_util.hpp"

#include <openssl/bn.h>

#include <cctype>
#include <climits>

namespace msim::ca::detail {

std::string openssl_errors() {
    std::string out;
    unsigned long code = 0;
    while ((code = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        out += (out.empty() ? "" : "; ") + std::string(buf);
    }
    return out;
}

void fail(const std::string& what) {
    const std::string why = openssl_errors();
    throw std::runtime_error(why.empty() ? what : what + " (" + why + ")");
}

namespace {
template <class T, int (*Encode)(const T*, unsigned char**)>
std::string der(const T* object, const char* what) {
    unsigned char* out = nullptr;
    const int n = Encode(object, &out);
    if (n <= 0)
        fail(std::string("cannot encode ") + what);
    std::string bytes(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
    OPENSSL_free(out);
    return bytes;
}
}  // namespace

std::string der_of(X509* x) {
    return der<X509, i2d_X509>(x, "a certificate");
}
std::string der_of(X509_CRL* c) {
    return der<X509_CRL, i2d_X509_CRL>(c, "a CRL");
}
std::string der_of(PKCS7* p) {
    return der<PKCS7, i2d_PKCS7>(p, "a PKCS#7 message");
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

BioPtr memory_bio(const std::string& bytes) {
    if (bytes.size() > static_cast<std::size_t>(INT_MAX))
        throw std::runtime_error("message too large");
    BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    if (!bio)
        fail("cannot allocate a buffer");
    return bio;
}

std::time_t to_time_t(std::chrono::system_clock::time_point t) {
    return std::chrono::system_clock::to_time_t(t);
}

void set_time(ASN1_TIME* field, std::chrono::system_clock::time_point t) {
    if (ASN1_TIME_set(field, to_time_t(t)) == nullptr)
        fail("cannot set a time");
}

std::string serial_hex(const ASN1_INTEGER* serial) {
    BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
    if (bn == nullptr)
        fail("cannot read a serial number");
    char* hex = BN_bn2hex(bn);
    BN_free(bn);
    if (hex == nullptr)
        fail("cannot print a serial number");
    std::string s(hex);
    OPENSSL_free(hex);
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;  // whole bytes, as `show security pki` and pki::Certificate::serial_hex print it
}

IntegerPtr serial_from_hex(const std::string& hex) {
    if (hex.empty() || hex.size() > 40 ||
        hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        return nullptr;
    BIGNUM* bn = nullptr;
    if (BN_hex2bn(&bn, hex.c_str()) == 0)
        return nullptr;
    IntegerPtr out(BN_to_ASN1_INTEGER(bn, nullptr));
    BN_free(bn);
    return out;
}

}  // namespace msim::ca::detail
