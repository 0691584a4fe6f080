#include <doctest/doctest.h>

#include "msim/pki/crl_cache.hpp"
#include "test_ca.hpp"

using namespace msim::pki;
using namespace msim::pki::test;
using namespace std::chrono_literals;

namespace {
struct CountingFetcher : CrlFetcher {
    std::optional<Crl> answer;
    bool fail_hard = false;
    int calls = 0;
    std::optional<Crl> fetch(const std::string&) override {
        ++calls;
        if (fail_hard) {
            throw std::runtime_error("ldap bind failed");
        }
        return answer;
    }
};
}  // namespace

TEST_CASE("CRL cache: refresh-interval, nextUpdate and the negative cache on the simulated clock") {
    Identity ca = make_root("CN=CA");
    CountingFetcher upstream;
    TimePoint now = reference_time();
    CachingCrlFetcher cache(
        upstream, [&] { return now; }, 1h, 20s);

    // Failure is remembered for the negative timeout only.
    CHECK_FALSE(cache.fetch("http://x/ca.crl").has_value());
    CHECK_FALSE(cache.fetch("http://x/ca.crl").has_value());
    CHECK(upstream.calls == 1);
    now += 21s;
    upstream.answer = make_crl(ca, {});  // nextUpdate: reference_time + 7 days
    CHECK(cache.fetch("http://x/ca.crl").has_value());
    CHECK(upstream.calls == 2);

    // A fetched CRL is reused until refresh-interval passes.
    now += 59min;
    CHECK(cache.fetch("http://x/ca.crl").has_value());
    CHECK(upstream.calls == 2);
    now += 2min;
    CHECK(cache.fetch("http://x/ca.crl").has_value());
    CHECK(upstream.calls == 3);
    CHECK(cache.size() == 1);

    // nextUpdate earlier than the refresh interval wins.
    cache.set_refresh_interval(std::chrono::hours(24 * 30));
    upstream.answer = make_crl(ca, {}, reference_time() - 24h, now + 10min);
    cache.clear();
    CHECK(cache.fetch("http://x/ca.crl").has_value());
    now += 11min;
    CHECK(cache.fetch("http://x/ca.crl").has_value());
    CHECK(upstream.calls == 5);

    // An upstream exception is a download failure, cached like one.
    upstream.fail_hard = true;
    cache.set_negative_timeout(60s);
    CHECK_FALSE(cache.fetch("ldap://y/cn=CA").has_value());
    CHECK_FALSE(cache.fetch("ldap://y/cn=CA").has_value());
    CHECK(upstream.calls == 6);
    CHECK_THROWS_AS(CachingCrlFetcher(upstream, nullptr), PkiError);
}

TEST_CASE("CRL cache plugs into validation") {
    Identity root = make_root("CN=Root");
    Identity peer = issue(root, "CN=peer", options().cdp({"http://crl/root.crl"}));
    CountingFetcher upstream;
    upstream.answer = make_crl(root, {peer.certificate});
    TimePoint now = reference_time();
    CachingCrlFetcher cache(upstream, [&] { return now; });
    ValidationRequest r{peer.certificate, {}, {{"root", root.certificate, {}}}, {}, 15, {}};
    CHECK(validate_certificate(r, now, &cache).status == ValidationStatus::revoked);
    CHECK(validate_certificate(r, now, &cache).status == ValidationStatus::revoked);
    CHECK(upstream.calls == 1);
}
