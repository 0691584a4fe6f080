#include "msim/pki/crl_cache.hpp"

#include <algorithm>

namespace msim::pki {

CachingCrlFetcher::CachingCrlFetcher(CrlFetcher& upstream, ClockSource clock,
                                     std::chrono::seconds refresh_interval,
                                     std::chrono::seconds negative_timeout)
    : upstream_(upstream),
      clock_(std::move(clock)),
      refresh_interval_(refresh_interval),
      negative_timeout_(negative_timeout) {
    if (!clock_) {
        throw PkiError(ErrorCode::invalid_argument, "CRL cache needs a clock");
    }
}

std::optional<Crl> CachingCrlFetcher::fetch(const std::string& url) {
    const TimePoint now = clock_();
    auto it = entries_.find(url);
    if (it != entries_.end() && now < it->second.expires) {
        return it->second.crl;
    }
    std::optional<Crl> crl;
    try {
        crl = upstream_.fetch(url);
    } catch (...) {
        crl.reset();  // an upstream failure of any kind is a download failure
    }
    Entry entry{crl, now + negative_timeout_};
    if (crl) {
        auto interval = url_refresh_intervals_.find(url);
        entry.expires =
            now + (interval != url_refresh_intervals_.end() ? interval->second : refresh_interval_);
        if (auto next = crl->next_update()) {
            entry.expires = std::min(entry.expires, *next);
        }
    }
    entries_.insert_or_assign(url, std::move(entry));
    return crl;
}

}  // namespace msim::pki
