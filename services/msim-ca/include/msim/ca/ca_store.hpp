// msim-ca's state: one directory holding the CA's key and certificate, its settings, every certificate
// request it received (with its state: pending, issued, rejected), the certificates it issued, the
// revocations and the current CRL. The serving process and the instructor's commands (`msim-ca approve`,
// `revoke`, …) are separate processes working on the same directory: every change takes an exclusive
// flock(2) on DIR/lock and writes its files atomically (temporary file, fsync, rename), and nothing is kept
// in memory between two requests, so an approval is seen by the very next CertPoll.
//
//   DIR/ca.key (PKCS#8 PEM, 0600)  ca.crt  ca.conf  serial  crl.der  crl-number  revoked  log
//   DIR/requests/<id>/request.der  DIR/requests/<id>/meta      DIR/issued/<serial>.pem
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "msim/pki/certificate.hpp"
#include "msim/pki/key_pair.hpp"
#include "msim/pki/request.hpp"

namespace msim::ca {

using TimePoint = std::chrono::system_clock::time_point;

// A failure the operator caused or can fix (no such request, not initialized, …).
struct CaError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct CaSettings {
    std::string challenge_password;  // empty: requests need none
    bool manual_approval = false;    // PENDING until `msim-ca approve`; otherwise issued at once
    unsigned validity_days = 365;    // of the certificates it issues
    unsigned crl_hours = 24;         // a CRL's nextUpdate after its thisUpdate
    std::string crl_url;             // the CRL distribution point written into issued certificates
};

struct InitOptions {
    std::string subject = "CN=msim lab CA,O=msim";  // Junos DN form
    unsigned key_bits = 2048;
    unsigned ca_validity_days = 3650;
    CaSettings settings;
};

enum class RequestState { pending, issued, rejected };
std::string to_string(RequestState state);

struct RequestRecord {
    unsigned id = 0;
    RequestState state = RequestState::pending;
    std::string transaction_id;
    std::string subject;  // of the request
    TimePoint received{};
    std::string serial;  // hex, once issued
    std::string note;    // why it was rejected
};

struct IssuedRecord {
    std::string serial;  // lowercase hex
    std::string subject;
    TimePoint not_after{};
    bool revoked = false;
    TimePoint revoked_at{};
    std::string reason;  // RFC 5280 reason name
};

// RFC 5280 CRLReason names accepted by revoke (keyCompromise, superseded, …).
std::optional<int> revocation_reason_code(const std::string& name);

class CaStore {
  public:
    // Creates a new CA in `dir` (which must not hold one, unless `replace`): key pair, self-signed
    // certificate, settings, an empty CRL. Throws CaError.
    static CaStore init(const std::filesystem::path& dir, const InitOptions& options, TimePoint now,
                        bool replace = false);
    // Opens an existing CA directory. Throws CaError when it holds none.
    explicit CaStore(std::filesystem::path dir);

    const std::filesystem::path& dir() const { return dir_; }
    const pki::Certificate& certificate() const { return certificate_; }
    const pki::KeyPair& key() const { return key_; }
    CaSettings settings() const;  // read from ca.conf each time

    // A request that passed the checks of the SCEP front end (signature, challenge password). With manual
    // approval it stays pending; otherwise it is issued at once. An identical request already pending for
    // the same transaction is not recorded twice (a client resending its PKCSReq).
    RequestRecord submit(const pki::CertificateRequest& request, const std::string& transaction_id,
                         TimePoint now);
    // The newest request of a transaction (CertPoll).
    std::optional<RequestRecord> find_transaction(const std::string& transaction_id) const;
    std::optional<RequestRecord> find_request(unsigned id) const;
    std::vector<RequestRecord> requests() const;

    // The instructor's decisions on a pending request. approve issues the certificate.
    RequestRecord approve(unsigned id, TimePoint now);
    RequestRecord reject(unsigned id, const std::string& note);

    std::optional<pki::Certificate> issued(const std::string& serial_hex) const;
    std::vector<IssuedRecord> issued_list() const;
    // Revokes an issued certificate and publishes a new CRL at once.
    IssuedRecord revoke(const std::string& serial_hex, const std::string& reason, TimePoint now);

    // The current CRL: the stored one, or a new one when none exists or its nextUpdate is less than half a
    // lifetime away.
    pki::Crl current_crl(TimePoint now);
    // Signs a new CRL now (thisUpdate now, nextUpdate now + crl_hours, the next CRL number).
    pki::Crl publish_crl(TimePoint now);

  private:
    CaStore(std::filesystem::path dir, pki::KeyPair key, pki::Certificate certificate);
    pki::Certificate issue(const pki::CertificateRequest& request, TimePoint now);  // lock held
    pki::Crl sign_crl(TimePoint now);                                               // lock held
    void write_record(const RequestRecord& record) const;
    std::optional<RequestRecord> read_record(unsigned id) const;

    std::filesystem::path dir_;
    pki::KeyPair key_;
    pki::Certificate certificate_;
};

}  // namespace msim::ca
