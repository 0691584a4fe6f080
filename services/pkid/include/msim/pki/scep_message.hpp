// The vocabulary both ends of SCEP share (RFC 8894 §3.2): the signed attributes of a pkiMessage
// (messageType, pkiStatus, failInfo, senderNonce, recipientNonce, transactionID), their values, and the two
// small DER structures the protocol adds (IssuerAndSubject, IssuerAndSerialNumber). pkid's client
// (scep.hpp) and the msim-ca server use it; both build and read the messages with OpenSSL's PKCS7 API.
#pragma once

#include <openssl/pkcs7.h>

#include <string>

namespace msim::pki::scep {

// The NIDs of the SCEP attributes (registered with OpenSSL on first use; thread-safe).
struct AttributeNids {
    int message_type, pki_status, fail_info, sender_nonce, recipient_nonce, transaction_id;
};
const AttributeNids& attribute_nids();

// messageType values (decimal strings on the wire)
inline constexpr const char* cert_rep = "3";
inline constexpr const char* renewal_req = "17";
inline constexpr const char* pkcs_req = "19";
inline constexpr const char* cert_poll = "20";  // GetCertInitial in the drafts
inline constexpr const char* get_cert = "21";
inline constexpr const char* get_crl = "22";

// pkiStatus values
inline constexpr const char* status_success = "0";
inline constexpr const char* status_failure = "2";
inline constexpr const char* status_pending = "3";

// failInfo values and their RFC names
enum class FailInfo { bad_alg = 0, bad_message_check = 1, bad_request = 2, bad_time = 3, bad_cert_id = 4 };
std::string fail_info_name(const std::string& code);  // "2" -> "badRequest"; "" -> "unspecified"

// A signed attribute as a PrintableString (messageType, pkiStatus, failInfo, transactionID) or an
// OCTET STRING (the nonces). Throws PkiError(crypto_error).
void add_string_attribute(PKCS7_SIGNER_INFO* si, int nid, int asn1_type, const std::string& value);
// The bytes of a signed string attribute; empty when absent or of another type.
std::string string_attribute(PKCS7_SIGNER_INFO* si, int nid);

// DER helpers for the messageData of CertPoll, GetCert and GetCRL.
std::string der_sequence(const std::string& content);
std::string der_of_name(const X509_NAME* name);

// SCEP's transaction identifier for a key: the SHA-256 of its SubjectPublicKeyInfo, in upper-case hex.
std::string transaction_id_of(EVP_PKEY* key);

// Base64 for GET's `message=` parameter and back (whitespace and percent-escapes are undone first).
std::string base64_encode(const std::string& bytes);
std::string base64_decode(const std::string& text);  // throws PkiError(malformed_input)
std::string percent_encode(const std::string& text);
std::string percent_decode(const std::string& text);  // '+' is kept (base64 digit)

}  // namespace msim::pki::scep
