// rsa-signatures / dsa-signatures for kmd's IKE policies, on top of pkid (services/pkid/README.md, "the kmd
// contract"): the local certificate and the signatures come from pkid, which holds the private keys; the
// peer's certificate is validated by pkid (chain, dates, revocation, identity) and its signature checked
// here with the certificate's public key.
//
// The calls are synchronous (ipc::SyncClient over one connection kept open, `timeout` each): the phase 1
// state machine asks for a signature or a verdict in the middle of a step and has no way to wait, and pkid
// answers these RPCs from memory, so a call takes a few milliseconds (an RSA-2048 signature ~0.4 ms). pkid
// must not run on the calling thread's io_context (it never does: it is its own process on a router).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "msim/kmd/types.hpp"

namespace pugi {
class xml_document;
}
namespace msim::ipc {
class SyncClient;
}

namespace msim::kmd {

class PkidSigner final : public SignatureProvider {
  public:
    using LogFn = std::function<void(const std::string&)>;
    PkidSigner(std::filesystem::path pkid_socket, AuthMethod method, std::string certificate_id, LogFn log,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    ~PkidSigner() override;

    AuthMethod method() const override { return method_; }
    // The cached local certificate; fetched again when the cache is empty (pkid was not reachable).
    Bytes certificate() const override;
    Result<Bytes> sign(ByteView hash) const override;
    Result<Ok> verify(ByteView hash, ByteView signature, const Identity& peer,
                      const std::vector<Bytes>& peer_certificates) const override;

    // Fetches the local certificate now (at configuration time); false (and logged) when pkid cannot give it.
    bool prefetch() const;
    const std::string& certificate_id() const { return certificate_id_; }

  private:
    Result<std::shared_ptr<pugi::xml_document>> call(const pugi::xml_document& req) const;

    std::filesystem::path socket_;
    AuthMethod method_;
    std::string certificate_id_;
    LogFn log_;
    std::chrono::milliseconds timeout_;
    mutable std::mutex mutex_;
    mutable Bytes certificate_;
    mutable std::mutex client_mutex_;
    mutable std::unique_ptr<ipc::SyncClient> client_;
};

// Checks `signature` over `hash` with the public key of `certificate` (DER): RSA as PKCS#1 v1.5 over the raw
// hash (RFC 2409 5.1), DSA as r||s (RFC 2408 / 2409, 40 bytes for 1024-bit keys) or DER.
Result<Ok> verify_with_certificate(ByteView certificate, ByteView hash, ByteView signature,
                                   AuthMethod method);

}  // namespace msim::kmd
