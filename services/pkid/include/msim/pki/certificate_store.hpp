// The router's certificate store: key pairs, certificate requests, local certificates (by certificate-id),
// CA certificates and CRLs (by CA profile), kept as files under one directory — <state>/var/db/certs — so
// everything survives a pkid restart. Writes are atomic (temp file, fsync, rename); private keys are created
// with mode 0600 and never printed. Errors are PkiError exceptions with Junos-style messages.
//
// Layout: keys/<id>.key  requests/<id>.csr  local/<id>.crt  ca/<profile>.crt  crl/<profile>.crl (all PEM).
// SCEP enrollment (client and msim-ca) will build on this class: it produces a key pair and request here and
// stores the certificates it obtains through load_local_certificate / store_ca_certificate.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "msim/pki/basics.hpp"
#include "msim/pki/certificate.hpp"
#include "msim/pki/key_pair.hpp"
#include "msim/pki/request.hpp"
#include "msim/pki/validation.hpp"

namespace msim::pki {

// certificate-id and CA profile names: 1..63 of [A-Za-z0-9._-], not starting with '.' (they name files).
void check_object_name(const std::string& name, const char* what);

class CertificateStore {
  public:
    // Creates the directory tree (mode 0700) when missing, and completes a replace_local_certificate that a
    // crash interrupted.
    explicit CertificateStore(std::filesystem::path root);
    const std::filesystem::path& root() const noexcept { return root_; }

    // Key pairs. generate refuses an existing id (already_exists).
    KeyPair generate_key_pair(const std::string& id, const KeyPairSpec& spec);
    KeyPair key_pair(const std::string& id) const;
    bool has_key_pair(const std::string& id) const;
    std::vector<std::string> key_pair_ids() const;
    void clear_key_pair(const std::string& id);

    // PKCS#10 requests made from the key pair of the same id; a new request replaces an older one.
    CertificateRequest generate_certificate_request(const std::string& id, const RequestParams& params);
    CertificateRequest certificate_request(const std::string& id) const;
    std::vector<std::string> certificate_request_ids() const;
    void clear_certificate_request(const std::string& id);

    // Local certificates: the key pair of the same id must exist and match the certificate's public key;
    // an expired or not-yet-valid certificate is refused. PEM or DER input.
    Certificate load_local_certificate(const std::string& id, ByteView bytes, TimePoint now);
    Certificate generate_self_signed_certificate(const std::string& id, const SelfSignedParams& params);
    // Automatic re-enrollment: the new certificate (and, with re-generate-keypair, its new key pair) replaces
    // the old pair as one step. Both are written beside the old files first (local/<id>.crt.next,
    // keys/<id>.key.next), then renamed key first; a crash in between is completed when the store is opened
    // again, so the store never holds a key and a certificate that do not belong together. Same checks as
    // load_local_certificate (the key must match, the certificate be valid at `now`).
    Certificate replace_local_certificate(const std::string& id, const KeyPair& key, ByteView certificate,
                                          TimePoint now);
    Certificate local_certificate(const std::string& id) const;
    bool has_local_certificate(const std::string& id) const;  // for the daemon's validate phase
    std::vector<std::string> local_certificate_ids() const;
    void clear_local_certificate(const std::string& id);

    // CA certificates: parse first (the CLI shows the fingerprint and asks yes/no), then store.
    static Certificate parse_ca_certificate(ByteView bytes);
    void store_ca_certificate(const std::string& profile, const Certificate& certificate, TimePoint now);
    Certificate ca_certificate(const std::string& profile) const;
    bool has_ca_certificate(const std::string& profile) const;
    std::vector<std::string> ca_profiles() const;
    void clear_ca_certificate(const std::string& profile);

    // CRLs: must be signed by the profile's CA certificate and current at `now`.
    Crl load_crl(const std::string& profile, ByteView bytes, TimePoint now);
    void store_crl(const std::string& profile, const Crl& crl, TimePoint now);  // same checks, parsed input
    std::optional<Crl> crl(const std::string& profile) const;
    std::vector<std::string> crl_profiles() const;
    void clear_crl(const std::string& profile);
    std::vector<Crl> all_crls() const;

    // The local CA store as trust anchors, each with its profile's revocation settings (default when absent).
    std::vector<TrustedCa> trusted_cas(
        const std::map<std::string, RevocationSettings>& revocation = {}) const;

    // `request security pki local-certificate verify` / `ca-certificate verify`: chain validation against
    // the stored CAs and CRLs.
    ValidationResult verify_local_certificate(
        const std::string& id, TimePoint now, unsigned path_length = 15,
        const std::map<std::string, RevocationSettings>& revocation = {},
        CrlFetcher* fetcher = nullptr) const;
    ValidationResult verify_ca_certificate(const std::string& profile, TimePoint now,
                                           unsigned path_length = 15,
                                           const std::map<std::string, RevocationSettings>& revocation = {},
                                           CrlFetcher* fetcher = nullptr) const;

  private:
    std::filesystem::path path_of(const char* folder, const std::string& name, const char* extension) const;
    std::vector<std::string> names_in(const char* folder, const char* extension) const;
    std::string read_text(const std::filesystem::path& path, const std::string& missing_message) const;
    void remove(const std::filesystem::path& path, const std::string& missing_message);
    void complete_replacements();

    std::filesystem::path root_;
};

}  // namespace msim::pki
