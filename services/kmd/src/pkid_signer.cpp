#include "msim/kmd/pkid_signer.hpp"

#include <openssl/bn.h>
#include <openssl/dsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <pugixml.hpp>

#include "msim/common/hex.hpp"
#include "msim/common/ipc/sync_client.hpp"
#include "msim/common/xml.hpp"
#include "msim/kmd/isakmp.hpp"

namespace msim::kmd {

namespace {

// The outcome of one pkid reply as kmd's errors.
Result<std::shared_ptr<pugi::xml_document>> outcome(const ipc::Reply& reply) {
    if (reply.ok())
        return reply.doc;
    if (reply.status == ipc::Reply::Status::rpc_error)
        return make_error(ErrorCode::AuthenticationFailed, "pkid: " + reply.error_message);
    return make_error(ErrorCode::AuthenticationFailed,
                      "pkid did not answer" +
                          (reply.error_message.empty() ? std::string() : " (" + reply.error_message + ")"));
}

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct CtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct DsaSigFree {
    void operator()(DSA_SIG* s) const { DSA_SIG_free(s); }
};

std::unique_ptr<X509, X509Free> parse_certificate(ByteView der) {
    const unsigned char* p = der.data();
    return std::unique_ptr<X509, X509Free>(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

// r||s (two equal halves) -> DER DSA-Sig-Value.
std::optional<Bytes> concatenated_to_der(ByteView sig) {
    if (sig.empty() || sig.size() % 2 != 0)
        return std::nullopt;
    const int half = static_cast<int>(sig.size() / 2);
    std::unique_ptr<DSA_SIG, DsaSigFree> s(DSA_SIG_new());
    BIGNUM* r = BN_bin2bn(sig.data(), half, nullptr);
    BIGNUM* ss = BN_bin2bn(sig.data() + half, half, nullptr);
    if (!s || !r || !ss || DSA_SIG_set0(s.get(), r, ss) != 1) {
        BN_free(r);
        BN_free(ss);
        return std::nullopt;
    }
    unsigned char* out = nullptr;
    const int len = i2d_DSA_SIG(s.get(), &out);
    if (len <= 0)
        return std::nullopt;
    Bytes der(out, out + len);
    OPENSSL_free(out);
    return der;
}

}  // namespace

Result<Ok> verify_with_certificate(ByteView certificate, ByteView hash, ByteView signature,
                                   AuthMethod method) {
    auto cert = parse_certificate(certificate);
    if (!cert)
        return make_error(ErrorCode::AuthenticationFailed, "peer certificate is not a DER certificate");
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (!key)
        return make_error(ErrorCode::AuthenticationFailed, "peer certificate has no usable public key");
    const int type = EVP_PKEY_get_base_id(key);
    if (method == AuthMethod::RsaSignature && type != EVP_PKEY_RSA)
        return make_error(ErrorCode::AuthenticationFailed,
                          "rsa-signatures but the peer certificate's key is not RSA");
    if (method == AuthMethod::DssSignature && type != EVP_PKEY_DSA)
        return make_error(ErrorCode::AuthenticationFailed,
                          "dsa-signatures but the peer certificate's key is not DSA");
    Bytes der;
    if (type == EVP_PKEY_DSA && !signature.empty() && signature[0] != 0x30) {
        auto d = concatenated_to_der(signature);
        if (!d)
            return make_error(ErrorCode::AuthenticationFailed, "peer's DSS signature is malformed");
        der = std::move(*d);
        signature = der;
    }
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    int ok = 0;
    if (ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
        (type != EVP_PKEY_RSA || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1))
        ok = EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), hash.data(), hash.size());
    if (ok != 1) {
        // A DSS signature may also be r||s that happens to start with 0x30.
        if (type == EVP_PKEY_DSA && signature.data() != der.data()) {
            if (auto d = concatenated_to_der(signature)) {
                std::unique_ptr<EVP_PKEY_CTX, CtxFree> c2(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
                if (c2 && EVP_PKEY_verify_init(c2.get()) == 1 &&
                    EVP_PKEY_verify(c2.get(), d->data(), d->size(), hash.data(), hash.size()) == 1)
                    return Ok{};
            }
        }
        ERR_clear_error();
        return make_error(ErrorCode::AuthenticationFailed,
                          "peer's signature does not verify with its certificate");
    }
    return Ok{};
}

PkidSigner::PkidSigner(std::filesystem::path pkid_socket, AuthMethod method, std::string certificate_id,
                       LogFn log, std::chrono::milliseconds timeout)
    : socket_(std::move(pkid_socket)),
      method_(method),
      certificate_id_(std::move(certificate_id)),
      log_(std::move(log)),
      timeout_(timeout) {}

PkidSigner::~PkidSigner() = default;

// One RPC to pkid over the connection kept open between calls (a connection per call cost a connect and
// an accept for every signature at scale); a connection pkid closed meanwhile (pkid restarted) is opened
// again once.
Result<std::shared_ptr<pugi::xml_document>> PkidSigner::call(const pugi::xml_document& req) const {
    std::lock_guard lock(client_mutex_);
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            if (!client_ || !client_->is_open()) {
                client_ = std::make_unique<ipc::SyncClient>(socket_, "pkid");
            }
            auto reply = client_->call(req, timeout_);
            if (reply.status == ipc::Reply::Status::closed && attempt == 0) {
                client_.reset();
                continue;
            }
            if (reply.status == ipc::Reply::Status::timeout) {
                client_.reset();  // a late reply must not answer the next call
            }
            return outcome(reply);
        } catch (const std::exception& e) {
            client_.reset();
            return make_error(ErrorCode::AuthenticationFailed,
                              std::string("pkid is not reachable: ") + e.what());
        }
    }
    return make_error(ErrorCode::AuthenticationFailed, "pkid closed the connection");
}

bool PkidSigner::prefetch() const {
    pugi::xml_document req;
    xml::append_text(req.append_child("get-local-certificate"), "certificate-id", certificate_id_);
    auto reply = call(req);
    if (!reply) {
        if (log_)
            log_("kmd: local certificate " + certificate_id_ + " not available: " + reply.error().message);
        return false;
    }
    auto res = (*reply)->child("rpc-reply").child("local-certificate");
    auto der = from_hex_lenient(res.child_value("certificate"));
    if (!der || der->empty()) {
        if (log_)
            log_("kmd: local certificate " + certificate_id_ + " not available: pkid sent no certificate");
        return false;
    }
    std::lock_guard lock(mutex_);
    certificate_ = std::move(*der);
    return true;
}

Bytes PkidSigner::certificate() const {
    {
        std::lock_guard lock(mutex_);
        if (!certificate_.empty())
            return certificate_;
    }
    prefetch();
    std::lock_guard lock(mutex_);
    return certificate_;
}

Result<Bytes> PkidSigner::sign(ByteView hash) const {
    pugi::xml_document req;
    auto r = req.append_child("sign-hash");
    xml::append_text(r, "certificate-id", certificate_id_);
    xml::append_text(r, "hash", to_hex(hash));
    // IKEv1's DSS signature payload is r||s (RFC 2409 5.1 with RFC 2408); RSA ignores the format.
    xml::append_text(r, "format", method_ == AuthMethod::DssSignature ? "concatenated" : "der");
    auto reply = call(req);
    if (!reply)
        return make_error(
            ErrorCode::AuthenticationFailed,
            "cannot sign with local certificate " + certificate_id_ + ": " + reply.error().message);
    auto res = (*reply)->child("rpc-reply").child("hash-signature");
    const std::string key_type = res.child_value("key-type");
    if ((method_ == AuthMethod::RsaSignature && key_type != "RSA") ||
        (method_ == AuthMethod::DssSignature && key_type != "DSA"))
        return make_error(ErrorCode::AuthenticationFailed,
                          "local certificate " + certificate_id_ + " has a " + key_type + " key, not the " +
                              (method_ == AuthMethod::RsaSignature ? "RSA" : "DSA") +
                              " key the proposal needs");
    auto sig = from_hex_lenient(res.child_value("signature"));
    if (!sig || sig->empty())
        return make_error(ErrorCode::AuthenticationFailed, "pkid sent no signature");
    return std::move(*sig);
}

Result<Ok> PkidSigner::verify(ByteView hash, ByteView signature, const Identity& peer,
                              const std::vector<Bytes>& peer_certificates) const {
    if (peer_certificates.empty())
        return make_error(ErrorCode::AuthenticationFailed, "peer sent no certificate");
    // The end-entity certificate is the first; the rest is an (untrusted) chain.
    pugi::xml_document req;
    auto r = req.append_child("validate-peer-certificate");
    xml::append_text(r, "certificate", to_hex(peer_certificates.front()));
    if (peer_certificates.size() > 1) {
        auto chain = r.append_child("chain");
        for (size_t i = 1; i < peer_certificates.size(); ++i)
            xml::append_text(chain, "certificate", to_hex(peer_certificates[i]));
    }
    std::string type;
    switch (peer.type) {
        case isakmp::IdType::Ipv4Addr:
            type = "ip-address";
            break;
        case isakmp::IdType::Fqdn:
            type = "fqdn";
            break;
        case isakmp::IdType::UserFqdn:
            type = "user-fqdn";
            break;
        default:
            break;  // a DER DN is compared with the subject below
    }
    if (!type.empty()) {
        auto id = r.append_child("identity");
        xml::append_text(id, "type", type);
        xml::append_text(id, "value", peer.to_string());
    }
    auto reply = call(req);
    if (!reply)
        return make_error(ErrorCode::AuthenticationFailed,
                          "cannot validate the peer certificate: " + reply.error().message);
    auto res = (*reply)->child("rpc-reply").child("peer-certificate-validation");
    const std::string status = res.child_value("status");
    if (status != "valid") {
        std::string why = std::string("peer certificate ") + res.child_value("subject") +
                          " is not valid: " + (status.empty() ? "no verdict" : status);
        if (!std::string(res.child_value("reason")).empty())
            why += " (" + std::string(res.child_value("reason")) + ")";
        return make_error(ErrorCode::AuthenticationFailed, why);
    }
    if (peer.type == isakmp::IdType::DerAsn1Dn) {
        auto cert = parse_certificate(peer_certificates.front());
        unsigned char* der = nullptr;
        const int len = cert ? i2d_X509_NAME(X509_get_subject_name(cert.get()), &der) : -1;
        const bool same = len > 0 && Bytes(der, der + len) == peer.data;
        OPENSSL_free(der);
        if (!same)
            return make_error(ErrorCode::AuthenticationFailed,
                              "peer's distinguished name identity is not its certificate's subject");
    }
    return verify_with_certificate(peer_certificates.front(), hash, signature, method_);
}

}  // namespace msim::kmd
