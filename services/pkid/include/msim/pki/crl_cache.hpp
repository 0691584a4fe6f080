// A CrlFetcher decorator holding what the daemon's real HTTP/LDAP fetcher returned: a CRL is reused until
// the profile's `refresh-interval` has passed or its nextUpdate is reached, whichever comes first; a failed
// download is remembered for `cache-timeout-negative` so a dead CDP is not hammered on every IKE exchange.
// Time comes from the router's simulated clock.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "msim/pki/validation.hpp"

namespace msim::pki {

class CachingCrlFetcher : public CrlFetcher {
  public:
    using ClockSource = std::function<TimePoint()>;

    // Junos defaults: refresh-interval 24 hours, cache-timeout-negative 20 seconds.
    CachingCrlFetcher(CrlFetcher& upstream, ClockSource clock,
                      std::chrono::seconds refresh_interval = std::chrono::hours(24),
                      std::chrono::seconds negative_timeout = std::chrono::seconds(20));

    std::optional<Crl> fetch(const std::string& url) override;

    void set_refresh_interval(std::chrono::seconds interval) { refresh_interval_ = interval; }
    void set_negative_timeout(std::chrono::seconds timeout) { negative_timeout_ = timeout; }
    // A CA profile's `crl url` is refreshed per that profile's `refresh-interval`; other URLs (CDPs) use
    // the default set above.
    void set_refresh_interval_for(const std::string& url, std::chrono::seconds interval) {
        url_refresh_intervals_[url] = interval;
    }
    void clear_refresh_intervals() { url_refresh_intervals_.clear(); }
    void clear() { entries_.clear(); }
    std::size_t size() const { return entries_.size(); }

  private:
    struct Entry {
        std::optional<Crl> crl;  // nullopt: a remembered failure
        TimePoint expires;
    };

    CrlFetcher& upstream_;
    ClockSource clock_;
    std::chrono::seconds refresh_interval_;
    std::chrono::seconds negative_timeout_;
    std::map<std::string, Entry> entries_;
    std::map<std::string, std::chrono::seconds> url_refresh_intervals_;
};

}  // namespace msim::pki
