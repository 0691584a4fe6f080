// Internal: RAII owners for OpenSSL objects and the few conversions every source file needs.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

#include "msim/pki/basics.hpp"

namespace msim::pki::detail {

template <auto Free>
struct Deleter {
    template <class T>
    void operator()(T* p) const noexcept {
        Free(p);
    }
};

using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, Deleter<PKCS7_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using DistPointsPtr = std::unique_ptr<CRL_DIST_POINTS, Deleter<CRL_DIST_POINTS_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, Deleter<BASIC_CONSTRAINTS_free>>;
using BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, Deleter<ASN1_BIT_STRING_free>>;
using IntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

inline void free_x509_stack(STACK_OF(X509) * s) {
    sk_X509_pop_free(s, X509_free);
}
inline void free_crl_stack(STACK_OF(X509_CRL) * s) {
    sk_X509_CRL_pop_free(s, X509_CRL_free);
}
using X509StackPtr = std::unique_ptr<STACK_OF(X509), Deleter<free_x509_stack>>;
using CrlStackPtr = std::unique_ptr<STACK_OF(X509_CRL), Deleter<free_crl_stack>>;

// Drains OpenSSL's thread-local error queue into one line (empty when the queue was empty).
std::string take_openssl_errors();

[[noreturn]] void throw_crypto(const std::string& what);

// Largest object any loader accepts: generous for CRLs, small enough to refuse absurd input cheaply.
inline constexpr std::size_t max_input_size = 16 * 1024 * 1024;

// A read-only memory BIO over the bytes; throws malformed_input when they are too large.
BioPtr memory_bio(ByteView bytes, const char* what);
BioPtr output_bio();
std::string bio_contents(BIO* bio);

// True when the bytes hold a PEM block (text before it, as `openssl x509 -text` writes, is allowed).
bool looks_like_pem(ByteView bytes);

// Saturates at TimePoint::min()/max(): a TimePoint holds nanoseconds (about years 1678..2262), while
// certificates may say 99991231235959Z ("no expiry", RFC 5280 §4.1.2.5).
TimePoint to_time_point(const ASN1_TIME* time);
// Junos text of the time exactly as encoded, also beyond what a TimePoint can hold.
std::string junos_time_of(const ASN1_TIME* time);
std::time_t to_time_t(TimePoint time);

std::vector<std::uint8_t> digest(const EVP_MD* md, ByteView bytes);

}  // namespace msim::pki::detail
