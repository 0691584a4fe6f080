// The CrlFetcher pkid uses for real: downloads a CRL over HTTP(S) or LDAP with libcurl, bounded in time and
// size, and accepts a DER or PEM CRL. For ldap:// URLs libcurl prints the entry as text ("DN: …" then
// "\t<attribute>: <value>" lines, binary attributes base64-encoded); the certificateRevocationList value is
// taken from it. Every failure (unreachable, HTTP status >= 400, too big, too slow, not a CRL) is a
// PkiError, which CachingCrlFetcher and validate_certificate treat as a download failure.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <string>

#include "msim/pki/validation.hpp"

namespace msim::pki {

struct DownloadLimits {
    std::chrono::milliseconds timeout{5000};  // the whole transfer, connection included
    std::size_t max_bytes = 4 * 1024 * 1024;
    // When set and true, the transfer stops at once (within libcurl's progress interval, about a second at
    // most): an operator's Ctrl-C or a daemon shutdown.
    const std::atomic<bool>* cancel = nullptr;
};

// One bounded GET of an http://, https://, ldap:// or ldaps:// URL (other schemes refused, no redirects).
// Throws PkiError (io_error) with an operator-fit message on any failure.
std::string download(const std::string& url, const DownloadLimits& limits = {});

// The same with the password of `crl url … password` (seed 003: "the secret password that the LDAP server
// requires"). LDAP: a simple bind whose DN is the user part of the URL when it has one
// (ldap://cn%3Dreader%2Cdc%3Dexample@host/…), else the DN the URL names, the entry that holds the CRL.
// HTTP(S): Basic authentication with the URL's user part (empty when it has none) and the password.
std::string download(const std::string& url, const DownloadLimits& limits, const std::string& password);

// Who a `crl url … password` authenticates as (see download above): the bind DN or HTTP user name.
std::string credential_user(const std::string& url);

// The same bounded transfer, as an HTTP GET (no body) or POST (body with the content type given); returns
// the body and the answer's Content-Type (empty when none). For SCEP.
struct HttpAnswer {
    std::string body;
    std::string content_type;
};
HttpAnswer http_exchange(const std::string& url, const std::string* post_body = nullptr,
                         const std::string& post_content_type = {}, const DownloadLimits& limits = {});

// The certificateRevocationList value in libcurl's text rendering of an LDAP search result.
Crl crl_from_ldap_output(const std::string& output);

class CurlCrlFetcher : public CrlFetcher {
  public:
    explicit CurlCrlFetcher(DownloadLimits limits = {}) : limits_(limits) {}
    // Throws PkiError on failure.
    std::optional<Crl> fetch(const std::string& url) override;

    // The configured `crl url … password`s: a URL with a password authenticates (download above).
    void set_password(const std::string& url, const std::string& password) { passwords_[url] = password; }
    void clear_passwords() { passwords_.clear(); }

  private:
    DownloadLimits limits_;
    std::map<std::string, std::string> passwords_;
};

}  // namespace msim::pki
