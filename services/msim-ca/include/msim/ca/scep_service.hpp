// msim-ca's SCEP server (RFC 8894): GetCACaps, GetCACert and PKIOperation — PKCSReq (with the challenge
// password), CertPoll, GetCert and GetCRL — answered with CertReps that pkid's client, strongSwan's
// `pki --scep` and other RFC 8894 clients accept: SUCCESS (the certificate, or the CRL, in a degenerate
// signedData enveloped to the requester), FAILURE with failInfo (badMessageCheck for a bad signature or an
// undecryptable envelope, badRequest for a wrong challenge password or a rejected request, badCertId for an
// unknown transaction or serial, badAlg for a key that cannot receive the answer), and PENDING while
// manual approval waits for the instructor. Pure request → answer functions over the CA directory; the HTTP
// front end is http_server.hpp.
#pragma once

#include <string>

#include "msim/ca/ca_store.hpp"

namespace msim::ca {

// A message that cannot be answered with a CertRep at all (not a signed pkiMessage, no transaction id or
// nonce): the HTTP front end answers 400 Bad Request with the text.
struct BadScepMessage : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct ScepAnswer {
    std::string der;      // the CertRep (signedData)
    std::string summary;  // one line for the log: "PKCSReq from CN=… (transaction …): PENDING, request 3"
};

// "AES\nDES3\nPOSTPKIOperation\n…": what the server supports. SHA-384 is listed because strongSwan 5.9's
// `pki --scep` mis-reads the list and uses AES and SHA-256 only when it sees SHA-384 (see pki.md).
std::string scep_capabilities();

// Answers one PKIOperation message (the DER of a pkiMessage). Throws BadScepMessage.
ScepAnswer scep_pki_operation(CaStore& store, const std::string& message, TimePoint now);

}  // namespace msim::ca
