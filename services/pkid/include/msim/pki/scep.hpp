// SCEP client (RFC 8894) over libcurl HTTP: GetCACaps, GetCACert (one DER certificate or a PKCS#7 RA/CA
// bundle), PKCSReq (PKCS#10 with its challengePassword, enveloped to the CA/RA certificate and signed with
// the requester's key under a transient self-signed certificate) and CertPoll/GetCertInitial; CertRep
// SUCCESS/FAILURE/PENDING. RSA keys only (SCEP needs them; Junos says the same). Built on OpenSSL's PKCS7
// API; CertReps from servers that still use single DES (micromdm scepserver) are decrypted with OpenSSL's
// legacy provider, which the client loads on first use. Each call blocks for at most the limits' timeout
// per HTTP exchange; the daemon runs enrollments on a worker thread.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "msim/pki/certificate.hpp"
#include "msim/pki/crl_download.hpp"
#include "msim/pki/key_pair.hpp"
#include "msim/pki/request.hpp"

namespace msim::pki {

// The CA's capabilities (GetCACaps), one keyword a line: "POSTPKIOperation", "SHA-256", "AES", …
std::set<std::string> scep_get_ca_caps(const std::string& url, const DownloadLimits& limits = {});

// GetCACert: the CA certificate, or the CA and RA certificates of a PKCS#7 bundle (CA first when it can be
// told: the self-signed one, else the one that issued the others).
std::vector<Certificate> scep_get_ca_cert(const std::string& url, const std::string& ca_identity,
                                          const DownloadLimits& limits = {});

enum class ScepStatus { success, failure, pending };

struct ScepResult {
    ScepStatus status = ScepStatus::failure;
    std::optional<Certificate> certificate;  // success: the issued certificate for our key
    std::vector<Crl> crls;                   // success of a GetCRL: the CRL
    std::string fail_info;       // failure: badAlg, badMessageCheck, badRequest, badTime, badCertId
    std::string transaction_id;  // for GetCertInitial polling
};

struct ScepEnrollment {
    std::string url;  // the CA's SCEP URL (e.g. http://ca/scep or http://ca/cgi-bin/pkiclient.exe)
    std::vector<Certificate> ca_certificates;  // from scep_get_ca_cert
    std::set<std::string> capabilities;        // from scep_get_ca_caps
    DownloadLimits limits;
};

// PKCSReq with the request (which carries the challenge password). Throws PkiError for transport errors
// and for a CertRep that is not what RFC 8894 says (bad signature, nonce or transaction mismatch).
ScepResult scep_pkcs_req(const ScepEnrollment& e, const KeyPair& key, const CertificateRequest& request);

// CertPoll (GetCertInitial) for a pending transaction.
ScepResult scep_get_cert_initial(const ScepEnrollment& e, const KeyPair& key,
                                 const CertificateRequest& request, const std::string& transaction_id);

// The answer to one PKIOperation, checked and decoded as RFC 8894 §3.3.2 says: a signedData by one of
// `ca_certificates`, messageType CertRep, our `transaction_id`, our `sender_nonce` as recipientNonce, and a
// pkiStatus; for SUCCESS the envelopedData is decrypted with `key` (`signer` is the certificate our message
// was signed with, which names us as the recipient; nullptr tries every recipient) and the certificate for
// `key` is taken (or, from a GetCRL, the CRL). Throws PkiError for anything else. Public for the fuzzer
// (tests/fuzz/scep) and for tests that speak SCEP messages of their own.
ScepResult scep_read_cert_rep(ByteView answer, const std::vector<Certificate>& ca_certificates,
                              const KeyPair& key, const Certificate* signer,
                              const std::string& transaction_id, const std::string& sender_nonce);

// The certificate messages are encrypted to: an RA certificate with keyEncipherment when the bundle has one,
// else the CA certificate.
const Certificate& scep_recipient(const std::vector<Certificate>& ca_certificates);

std::string to_string(ScepStatus status);

}  // namespace msim::pki
