// pkid, the PKI daemon: libmsim_pki's CertificateStore at <router>/var/db/certs behind RPCs. It owns
// `security certificates` and `security pki` in the commit pipeline (validate: referenced files exist and
// hold what they should; apply: keeps path-length, revocation-check and the cache settings for validation),
// answers the CLI's `request|show|clear security pki …` and `request security key-pair` RPCs, and kmd's
// `validate-peer-certificate`, `sign-hash` and `get-local-certificate` (services/pkid/README.md lists every
// RPC with its XML).
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "msim/common/daemon.hpp"
#include "msim/config/owned_configuration.hpp"
#include "msim/pki/certificate_store.hpp"
#include "msim/pki/crl_cache.hpp"
#include "msim/pki/crl_download.hpp"
#include "msim/pki/peer_cache.hpp"
#include "msim/pki/scep.hpp"

namespace msim::pkid {

// What pkid keeps of its configuration.
struct CaProfileSettings {
    std::string ca_identity;
    pki::RevocationSettings revocation;
    unsigned refresh_interval_hours = 24;
    std::string enrollment_url;
    unsigned enrollment_retry = 0;           // enrollment retry: CertPoll attempts while PENDING
    unsigned enrollment_retry_interval = 0;  // enrollment retry-interval, seconds
    std::string ca_file;                     // M-series `file`: the CA certificate in var/etc/ikecert
    bool pem_encoding = false;               // M-series `encoding pem` (default binary = DER)
    std::map<std::string, std::string> crl_passwords;  // crl url -> `password` (decoded from $9$)
};

// security pki auto-re-enrollment [scep] certificate-id ID { … } (seed 003).
struct AutoReenrollment {
    std::string ca_profile;
    std::string challenge_password;         // decoded from $9$
    unsigned trigger_percentage = 0;        // re-enroll-trigger-time-percentage: lifetime left, 1..99
    bool regenerate_key_pair = false;       // re-generate-keypair
    std::optional<unsigned> validity_days;  // validity-period: the lifetime the trigger is taken from
};

struct PkiSettings {
    unsigned path_length = 15;                  // security certificates path-length (2..15)
    std::uint64_t cache_size = 2097152;         // bytes
    std::uint32_t cache_timeout_negative = 20;  // seconds
    std::uint64_t maximum_certificates = 1024;
    unsigned enrollment_retry = 0;  // security certificates enrollment-retry (M-series polls)
    std::map<std::string, CaProfileSettings> ca_profiles;  // security pki ca-profile, and the M-series
                                                           // security certificates certification-authority
    std::map<std::string, AutoReenrollment> auto_reenrollment;  // by certificate-id
};

// When automatic re-enrollment of `certificate` is due: when the part of its lifetime left has come down to
// the trigger percentage (seed 003: "the percentage of the certificate's lifetime that remains before
// expiration"). The lifetime runs from notBefore for `validity-period` days when configured, else to
// notAfter.
pki::TimePoint reenrollment_trigger(const pki::Certificate& certificate, const AutoReenrollment& settings);

// A configuration statement pkid refuses in validate: the [edit …] path, the statement, the message.
struct PkiConfigError : std::runtime_error {
    PkiConfigError(std::string path_, std::string message)
        : std::runtime_error(message), path(std::move(path_)) {}
    std::string path;
};

// Reads pkid's settings from its configuration tree. With `check` (the validate phase) it also checks what
// YANG cannot: the files `load-key-file` and the M-series `certification-authority … file|crl` name
// (against the router's folder `root`), and statements that exclude each other; throws PkiConfigError.
PkiSettings read_settings(const config::Node& tree, const std::filesystem::path& root, bool check = true);

// A file name an operator gave (`filename F`, `load-key-file F`), resolved inside the router's folder:
// absolute names from the router's root, relative ones from `base`. nullopt when it would leave the folder
// (.., symbolic links included).
std::optional<std::filesystem::path> router_file(const std::filesystem::path& root,
                                                 const std::filesystem::path& base, const std::string& name);

class Pkid {
  public:
    Pkid(Daemon& daemon, std::shared_ptr<const config::Schema> schema);
    ~Pkid();
    // Registers the hooks and RPCs and fetches the committed configuration from mgd.
    void start();

    const PkiSettings& settings() const { return settings_; }
    pki::CertificateStore& store() { return store_; }

  private:
    void fetch_configuration();
    std::map<std::string, pki::RevocationSettings> revocation() const;
    // After a configuration change: the CRL cache forgets what it holds and takes the new intervals.
    void configure_crl_cache();
    // SCEP enrollment: `work` runs on the enrollment thread (network only, no store access); what it
    // returns runs back on the daemon's I/O thread. One enrollment at a time; a second one is refused.
    // `work` gets the enrollment's cancel flag: set by an operator's Ctrl-C (the responder's cancel) or by
    // the daemon's shutdown.
    using CancelFlag = std::shared_ptr<std::atomic<bool>>;
    void run_enrollment(std::function<std::function<void()>(const CancelFlag&)> work,
                        const ipc::Responder* cancellable = nullptr);
    // Everything a cached verdict or CRL depends on changed (trust store, configuration, clock).
    void forget_verdicts();
    // Automatic re-enrollment: checked every second on the router's clock.
    void schedule_reenrollment_check();
    void check_reenrollment();
    void start_reenrollment(const std::string& id, const AutoReenrollment& settings);
    void poll_reenrollment(const std::string& id);
    void log_reenrollment(const std::string& text);

    Daemon& daemon_;
    config::OwnedConfiguration owned_;
    pki::CertificateStore store_;
    PkiSettings settings_;
    // CRL download for validation (HTTP/LDAP, blocking, bounded to 5 s and 4 MiB per URL) behind the
    // refresh-interval / cache-timeout-negative cache.
    pki::CurlCrlFetcher crl_download_;
    pki::CachingCrlFetcher crl_cache_;
    pki::PeerCertificateCache peer_cache_;
    std::thread enroll_thread_;
    std::atomic<bool> enrolling_{false};
    CancelFlag enroll_cancel_;  // the running enrollment's; the destructor sets it
    bool have_configuration_ = false;
    boost::asio::steady_timer config_timer_;

    // Per auto-re-enrolled certificate-id: where its re-enrollment stands.
    struct Reenrollment {
        std::string settled;  // SHA-1 of a certificate not to re-enroll again (already due when received)
        std::chrono::steady_clock::time_point retry_after{};  // after a failure
        // A request the CA left PENDING: polled every retry-interval, up to `retry` times (0: no limit).
        struct Pending {
            pki::KeyPair key;
            pki::CertificateRequest request;
            std::string transaction_id;
            std::string certificate;  // SHA-1 of the certificate being replaced
            unsigned polls = 0;
            std::chrono::steady_clock::time_point next_poll;
        };
        std::optional<Pending> pending;
    };
    std::map<std::string, Reenrollment> reenrollment_;
    void reenrollment_answer(const std::string& id, const std::optional<Reenrollment::Pending>& sent,
                             const std::optional<pki::ScepResult>& result, const std::string& error,
                             std::chrono::seconds interval, unsigned retries);
    boost::asio::steady_timer reenroll_timer_;
    std::chrono::nanoseconds clock_offset_seen_{0};
};

}  // namespace msim::pkid
