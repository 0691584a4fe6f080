// Internal: owners for the OpenSSL objects msim-ca builds, and the small conversions it needs.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace msim::ca::detail {

template <auto Free>
struct Deleter {
    template <class T>
    void operator()(T* p) const noexcept {
        Free(p);
    }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, Deleter<PKCS7_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;
using IntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER_free>>;
using TimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME_free>>;
using RevokedPtr = std::unique_ptr<X509_REVOKED, Deleter<X509_REVOKED_free>>;
using IssuerAndSerialPtr = std::unique_ptr<PKCS7_ISSUER_AND_SERIAL, Deleter<PKCS7_ISSUER_AND_SERIAL_free>>;
inline void free_x509_stack(STACK_OF(X509) * s) {
    sk_X509_pop_free(s, X509_free);
}
using X509StackPtr = std::unique_ptr<STACK_OF(X509), Deleter<free_x509_stack>>;

// OpenSSL's error queue as one line (emptied).
std::string openssl_errors();
[[noreturn]] void fail(const std::string& what);  // throws std::runtime_error with the queue's text

std::string der_of(X509* x);
std::string der_of(X509_CRL* c);
std::string der_of(PKCS7* p);
std::string bio_text(BIO* bio);
BioPtr memory_bio(const std::string& bytes);

std::time_t to_time_t(std::chrono::system_clock::time_point t);
// ASN1_TIME set to `t` (UTCTime before 2050, GeneralizedTime after, as RFC 5280 wants).
void set_time(ASN1_TIME* field, std::chrono::system_clock::time_point t);

// Serial numbers: lowercase hex of whole bytes ("0a"), as pki::Certificate::serial_hex prints them.
std::string serial_hex(const ASN1_INTEGER* serial);
IntegerPtr serial_from_hex(const std::string& hex);

}  // namespace msim::ca::detail
