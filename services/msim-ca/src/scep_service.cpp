#include "msim/ca/scep_service.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <optional>

#include "msim/pki/scep_message.hpp"
#include "openssl_util.hpp"

namespace msim::ca {

using namespace detail;
namespace scep = pki::scep;

std::string scep_capabilities() {
    return "AES\nDES3\nPOSTPKIOperation\nSHA-1\nSHA-256\nSHA-384\nSHA-512\nSCEPStandard\n";
}

namespace {

pki::ByteView view(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct Outcome {
    const char* status = scep::status_failure;
    std::optional<scep::FailInfo> fail_info;
    std::string content;  // SUCCESS: the degenerate signedData to envelope
    std::string summary;
};

Outcome failure(scep::FailInfo why, std::string summary) {
    Outcome o;
    o.fail_info = why;
    o.summary = std::move(summary);
    return o;
}

// A certs-only (or CRL-only) signedData, the form RFC 8894 §3.3.2 gives the issued certificate and the CRL.
std::string degenerate(X509* certificate, X509_CRL* crl) {
    Pkcs7Ptr p7(PKCS7_new());
    if (!p7 || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1 ||
        PKCS7_content_new(p7.get(), NID_pkcs7_data) != 1)
        fail("cannot build the answer");
    if (certificate != nullptr && PKCS7_add_certificate(p7.get(), certificate) != 1)
        fail("cannot build the answer");
    if (crl != nullptr && PKCS7_add_crl(p7.get(), crl) != 1)
        fail("cannot build the answer");
    return der_of(p7.get());
}

// The digest and content cipher of the answer follow the request's (RFC 8894 §3.5.2), within what
// OpenSSL's default provider offers.
const EVP_MD* answer_digest(PKCS7_SIGNER_INFO* si) {
    const X509_ALGOR* alg = si->digest_alg;
    const EVP_MD* md = alg != nullptr ? EVP_get_digestbyobj(alg->algorithm) : nullptr;
    const int nid = md != nullptr ? EVP_MD_get_type(md) : NID_undef;
    if (nid == NID_sha1 || nid == NID_sha224 || nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512)
        return md;
    return EVP_sha256();
}

const EVP_CIPHER* answer_cipher(PKCS7* enveloped) {
    if (enveloped != nullptr && enveloped->d.enveloped != nullptr &&
        enveloped->d.enveloped->enc_data != nullptr &&
        enveloped->d.enveloped->enc_data->algorithm != nullptr) {
        const int nid = OBJ_obj2nid(enveloped->d.enveloped->enc_data->algorithm->algorithm);
        switch (nid) {
            case NID_aes_128_cbc:
                return EVP_aes_128_cbc();
            case NID_aes_192_cbc:
                return EVP_aes_192_cbc();
            case NID_aes_256_cbc:
                return EVP_aes_256_cbc();
            case NID_des_ede3_cbc:
                return EVP_des_ede3_cbc();
            default:
                break;
        }
    }
    return EVP_aes_128_cbc();
}

bool same_text(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// IssuerAndSerialNumber (GetCert, GetCRL): the serial, when the issuer is this CA.
std::optional<std::string> serial_asked(const std::string& inner, const CaStore& store) {
    const auto* p = reinterpret_cast<const unsigned char*>(inner.data());
    IssuerAndSerialPtr ias(d2i_PKCS7_ISSUER_AND_SERIAL(nullptr, &p, static_cast<long>(inner.size())));
    if (!ias || ias->issuer == nullptr || ias->serial == nullptr) {
        ERR_clear_error();
        return std::nullopt;
    }
    if (X509_NAME_cmp(ias->issuer, X509_get_subject_name(store.certificate().native())) != 0)
        return std::nullopt;
    return serial_hex(ias->serial);
}

Outcome answer_request(CaStore& store, const std::string& type, const std::string& tx,
                       const std::string& inner, X509* signer, TimePoint now) {
    const CaSettings settings = store.settings();
    auto with_certificate = [&](const std::string& serial, std::string summary) {
        const auto cert = store.issued(serial);
        if (!cert)
            return failure(scep::FailInfo::bad_cert_id, summary + ": certificate " + serial + " is missing");
        Outcome o;
        o.status = scep::status_success;
        o.content = degenerate(cert->native(), nullptr);
        o.summary = summary + ": SUCCESS, certificate " + serial;
        return o;
    };
    if (type == scep::pkcs_req) {
        std::optional<pki::CertificateRequest> request;
        try {
            request = pki::CertificateRequest::from_bytes(view(inner));
        } catch (const pki::PkiError& e) {
            return failure(scep::FailInfo::bad_request,
                           "PKCSReq (transaction " + tx + "): not a PKCS#10 request");
        }
        const std::string what = "PKCSReq from " + request->subject_string() + " (transaction " + tx + ")";
        if (!request->signature_valid())
            return failure(scep::FailInfo::bad_message_check, what + ": the request's signature is bad");
        if (!settings.challenge_password.empty()) {
            const auto given = request->challenge_password();
            if (!given || !same_text(*given, settings.challenge_password))
                return failure(scep::FailInfo::bad_request,
                               what + (given ? ": wrong challenge password" : ": no challenge password"));
        }
        // RFC 8894 §2.3: a PKCSReq is signed with the requested key (under a self-signed certificate), or
        // with a certificate this CA issued (a renewal).
        EVP_PKEY* signer_key = X509_get0_pubkey(signer);
        const bool same_key = EVP_PKEY_eq(signer_key, X509_REQ_get0_pubkey(request->native())) == 1;
        const bool ours = X509_check_issued(store.certificate().native(), signer) == X509_V_OK &&
                          X509_verify(signer, X509_get0_pubkey(store.certificate().native())) == 1;
        ERR_clear_error();
        if (!same_key && !ours)
            return failure(scep::FailInfo::bad_message_check,
                           what + ": signed with another key than the request's");
        const RequestRecord r = store.submit(*request, tx, now);
        if (r.state == RequestState::pending) {
            Outcome o;
            o.status = scep::status_pending;
            o.summary = what + ": PENDING, request " + std::to_string(r.id) + " waits for approval";
            return o;
        }
        return with_certificate(r.serial, what + ", request " + std::to_string(r.id));
    }
    if (type == scep::cert_poll) {
        const std::string what = "CertPoll (transaction " + tx + ")";
        const auto r = store.find_transaction(tx);
        if (!r)
            return failure(scep::FailInfo::bad_cert_id, what + ": unknown transaction");
        if (r->state == RequestState::pending) {
            Outcome o;
            o.status = scep::status_pending;
            o.summary = what + ": PENDING, request " + std::to_string(r->id);
            return o;
        }
        if (r->state == RequestState::rejected)
            return failure(scep::FailInfo::bad_request,
                           what + ": request " + std::to_string(r->id) + " was rejected");
        return with_certificate(r->serial, what + ", request " + std::to_string(r->id));
    }
    if (type == scep::get_cert || type == scep::get_crl) {
        const bool crl = type == scep::get_crl;
        const std::string what = std::string(crl ? "GetCRL" : "GetCert") + " (transaction " + tx + ")";
        const auto serial = serial_asked(inner, store);
        if (!serial || !store.issued(*serial))
            return failure(scep::FailInfo::bad_cert_id, what + ": no such certificate from this CA");
        if (!crl)
            return with_certificate(*serial, what);
        const pki::Crl current = store.current_crl(now);
        Outcome o;
        o.status = scep::status_success;
        o.content = degenerate(nullptr, current.native());
        o.summary = what + ": SUCCESS, the CRL";
        return o;
    }
    return failure(scep::FailInfo::bad_request,
                   "messageType " + type + " (transaction " + tx + ") is not supported");
}

}  // namespace

ScepAnswer scep_pki_operation(CaStore& store, const std::string& message, TimePoint now) {
    const scep::AttributeNids& nids = scep::attribute_nids();
    if (message.empty() || message.size() > 1024 * 1024)
        throw BadScepMessage("the PKIOperation message is empty or too large");
    const auto* p = reinterpret_cast<const unsigned char*>(message.data());
    Pkcs7Ptr request(d2i_PKCS7(nullptr, &p, static_cast<long>(message.size())));
    if (!request || PKCS7_type_is_signed(request.get()) == 0 || request->d.sign == nullptr) {
        ERR_clear_error();
        throw BadScepMessage("the PKIOperation message is not a PKCS#7 signedData");
    }
    STACK_OF(PKCS7_SIGNER_INFO)* infos = PKCS7_get_signer_info(request.get());
    if (infos == nullptr || sk_PKCS7_SIGNER_INFO_num(infos) < 1)
        throw BadScepMessage("the PKIOperation message has no signer");
    PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(infos, 0);
    const std::string type = scep::string_attribute(si, nids.message_type);
    const std::string tx = scep::string_attribute(si, nids.transaction_id);
    const std::string sender_nonce = scep::string_attribute(si, nids.sender_nonce);
    if (type.empty() || tx.empty() || sender_nonce.empty())
        throw BadScepMessage("the PKIOperation message lacks messageType, transactionID or senderNonce");

    // The signer's certificate travels in the message (self-signed for a first request).
    X509* signer = nullptr;
    if (STACK_OF(X509)* signers = PKCS7_get0_signers(request.get(), nullptr, 0)) {
        if (sk_X509_num(signers) > 0)
            signer = sk_X509_value(signers, 0);
        sk_X509_free(signers);
    }
    ERR_clear_error();

    Outcome outcome;
    std::string inner;
    PKCS7* enveloped_raw = nullptr;
    Pkcs7Ptr enveloped;
    BioPtr signed_content(BIO_new(BIO_s_mem()));
    if (signer == nullptr) {
        outcome = failure(scep::FailInfo::bad_message_check, "message without the signer's certificate");
    } else if (!signed_content || PKCS7_verify(request.get(), nullptr, nullptr, nullptr, signed_content.get(),
                                               PKCS7_NOVERIFY | PKCS7_BINARY) != 1) {
        outcome = failure(scep::FailInfo::bad_message_check, "transaction " + tx + ": bad signature");
    } else {
        const std::string env_der = bio_text(signed_content.get());
        const auto* q = reinterpret_cast<const unsigned char*>(env_der.data());
        enveloped.reset(d2i_PKCS7(nullptr, &q, static_cast<long>(env_der.size())));
        enveloped_raw = enveloped.get();
        BioPtr plain(BIO_new(BIO_s_mem()));
        if (!enveloped || PKCS7_type_is_enveloped(enveloped.get()) == 0 || !plain ||
            PKCS7_decrypt(enveloped.get(), store.key().native(), store.certificate().native(), plain.get(),
                          PKCS7_BINARY) != 1) {
            outcome = failure(scep::FailInfo::bad_message_check,
                              "transaction " + tx + ": the envelope cannot be decrypted with the CA's key");
        } else if (EVP_PKEY_get_base_id(X509_get0_pubkey(signer)) != EVP_PKEY_RSA) {
            outcome = failure(scep::FailInfo::bad_alg, "transaction " + tx + ": the signer's key is not RSA");
        } else {
            inner = bio_text(plain.get());
            outcome = answer_request(store, type, tx, inner, signer, now);
        }
    }
    ERR_clear_error();

    // The CertRep: signedData by the CA with the SCEP attributes, around the enveloped answer on SUCCESS.
    std::string content;
    if (outcome.status == std::string(scep::status_success)) {
        X509StackPtr recipients(sk_X509_new_null());
        if (!recipients || X509_up_ref(signer) != 1 || sk_X509_push(recipients.get(), signer) <= 0)
            fail("cannot build the recipient list");
        BioPtr in = memory_bio(outcome.content);
        Pkcs7Ptr env(PKCS7_encrypt(recipients.get(), in.get(), answer_cipher(enveloped_raw), PKCS7_BINARY));
        if (!env)
            fail("cannot encrypt the answer");
        content = der_of(env.get());
    }
    Pkcs7Ptr rep(PKCS7_sign(nullptr, nullptr, nullptr, nullptr, PKCS7_BINARY | PKCS7_PARTIAL));
    if (!rep)
        fail("cannot start the answer");
    PKCS7_SIGNER_INFO* rsi = PKCS7_sign_add_signer(rep.get(), store.certificate().native(),
                                                   store.key().native(), answer_digest(si), PKCS7_NOSMIMECAP);
    if (rsi == nullptr)
        fail("cannot sign the answer");
    std::string nonce(16, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(nonce.size()));
    scep::add_string_attribute(rsi, nids.transaction_id, V_ASN1_PRINTABLESTRING, tx);
    scep::add_string_attribute(rsi, nids.message_type, V_ASN1_PRINTABLESTRING, scep::cert_rep);
    scep::add_string_attribute(rsi, nids.pki_status, V_ASN1_PRINTABLESTRING, outcome.status);
    if (outcome.fail_info)
        scep::add_string_attribute(rsi, nids.fail_info, V_ASN1_PRINTABLESTRING,
                                   std::to_string(static_cast<int>(*outcome.fail_info)));
    scep::add_string_attribute(rsi, nids.sender_nonce, V_ASN1_OCTET_STRING, nonce);
    scep::add_string_attribute(rsi, nids.recipient_nonce, V_ASN1_OCTET_STRING, sender_nonce);
    BioPtr body = memory_bio(content);
    if (PKCS7_final(rep.get(), body.get(), PKCS7_BINARY) != 1)
        fail("cannot sign the answer");
    ScepAnswer answer;
    answer.der = der_of(rep.get());
    answer.summary = outcome.summary;
    if (outcome.fail_info)
        answer.summary +=
            " -> FAILURE " + scep::fail_info_name(std::to_string(static_cast<int>(*outcome.fail_info)));
    return answer;
}

}  // namespace msim::ca
