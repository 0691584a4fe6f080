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
};

struct PkiSettings {
    unsigned path_length = 15;                  // security certificates path-length (2..15)
    std::uint64_t cache_size = 2097152;         // bytes
    std::uint32_t cache_timeout_negative = 20;  // seconds
    std::uint64_t maximum_certificates = 1024;
    unsigned enrollment_retry = 0;  // security certificates enrollment-retry (M-series polls)
    std::map<std::string, CaProfileSettings> ca_profiles;  // security pki ca-profile, and the M-series
                                                           // security certificates certification-authority
};

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
    void run_enrollment(std::function<std::function<void()>()> work);
    bool stopping() const { return stopping_; }

    Daemon& daemon_;
    config::OwnedConfiguration owned_;
    pki::CertificateStore store_;
    PkiSettings settings_;
    // CRL download for validation (HTTP/LDAP, blocking, bounded to 5 s and 4 MiB per URL) behind the
    // refresh-interval / cache-timeout-negative cache.
    pki::CurlCrlFetcher crl_download_;
    pki::CachingCrlFetcher crl_cache_;
    std::thread enroll_thread_;
    std::atomic<bool> enrolling_{false};
    std::atomic<bool> stopping_{false};
    bool have_configuration_ = false;
    boost::asio::steady_timer config_timer_;
};

}  // namespace msim::pkid
