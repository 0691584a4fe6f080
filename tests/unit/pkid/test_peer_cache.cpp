// The peer certificate cache of `security certificates`: cache-size, maximum-certificates and
// cache-timeout-negative (seed 002), on the router's clock.
#include <doctest/doctest.h>

#include "msim/pki/crl_download.hpp"
#include "msim/pki/peer_cache.hpp"
#include "test_ca.hpp"

using namespace msim::pki;
using namespace msim::pki::test;
using namespace std::chrono_literals;

namespace {
ValidationResult verdict(ValidationStatus status) {
    ValidationResult r;
    r.status = status;
    r.reason = status == ValidationStatus::valid ? "" : "bad";
    return r;
}
}  // namespace

TEST_CASE("peer cache: keys tell the peer certificate, its chain and the profile apart") {
    const Identity ca = make_root("CN=Cache CA");
    const Identity a = issue(ca, "CN=a");
    const Identity b = issue(ca, "CN=b");
    const auto k = PeerCertificateCache::key_of(a.certificate, {}, "");
    CHECK(k == PeerCertificateCache::key_of(a.certificate, {}, ""));
    CHECK(k != PeerCertificateCache::key_of(b.certificate, {}, ""));
    CHECK(k != PeerCertificateCache::key_of(a.certificate, {ca.certificate}, ""));
    CHECK(k != PeerCertificateCache::key_of(a.certificate, {}, "lab"));
}

TEST_CASE("peer cache: a valid verdict lasts until its expiry, a failure for cache-timeout-negative") {
    PeerCertificateCache cache;
    cache.set_limits({2097152, 1024, 20s});
    const TimePoint now = reference_time();
    cache.store("good", verdict(ValidationStatus::valid), now, now + 1h, 1000, 1);
    cache.store("bad", verdict(ValidationStatus::revoked), now, now + 1h, 1000, 1);
    REQUIRE(cache.find("good", now + 59min));
    CHECK(cache.find("good", now + 59min)->ok());
    CHECK_FALSE(cache.find("good", now + 1h));
    REQUIRE(cache.find("bad", now + 19s));
    CHECK(cache.find("bad", now + 19s)->status == ValidationStatus::revoked);
    CHECK_FALSE(cache.find("bad", now + 20s));
    CHECK_FALSE(cache.find("other", now));
    // a timeout of 0 keeps no failure at all
    cache.set_limits({2097152, 1024, 0s});
    cache.store("bad", verdict(ValidationStatus::expired), now, now, 1000, 1);
    CHECK_FALSE(cache.find("bad", now));
}

TEST_CASE("peer cache: maximum-certificates and cache-size evict the least recently used") {
    PeerCertificateCache cache;
    cache.set_limits({100000, 3, 20s});
    const TimePoint now = reference_time();
    for (const char* k : {"a", "b", "c"})
        cache.store(k, verdict(ValidationStatus::valid), now, now + 1h, 1000, 1);
    CHECK(cache.certificates() == 3);
    REQUIRE(cache.find("a", now));  // a is now the most recently used
    cache.store("d", verdict(ValidationStatus::valid), now, now + 1h, 1000, 1);
    CHECK(cache.positive_entries() == 3);
    CHECK(cache.find("a", now));
    CHECK_FALSE(cache.find("b", now));  // the least recently used went
    CHECK(cache.find("c", now));
    CHECK(cache.find("d", now));
    // an entry with a chain counts every certificate it holds
    cache.store("e", verdict(ValidationStatus::valid), now, now + 1h, 3000, 3);
    CHECK(cache.positive_entries() == 1);
    CHECK(cache.certificates() == 3);
    // cache-size in bytes
    cache.set_limits({2500, 1024, 20s});
    CHECK(cache.positive_entries() == 0);  // e (3000 bytes) no longer fits
    cache.store("f", verdict(ValidationStatus::valid), now, now + 1h, 1000, 1);
    cache.store("g", verdict(ValidationStatus::valid), now, now + 1h, 1000, 1);
    cache.store("h", verdict(ValidationStatus::valid), now, now + 1h, 1000, 1);
    CHECK(cache.bytes() <= 2500);
    CHECK(cache.positive_entries() == 2);
    CHECK_FALSE(cache.find("f", now));
    // larger than the whole cache: not kept
    cache.store("huge", verdict(ValidationStatus::valid), now, now + 1h, 5000, 1);
    CHECK_FALSE(cache.find("huge", now));
    // failures do not count against the limits
    cache.store("bad", verdict(ValidationStatus::revoked), now, now, 1000000, 10);
    CHECK(cache.find("bad", now));
    CHECK(cache.positive_entries() == 2);
    cache.clear();
    CHECK(cache.positive_entries() == 0);
    CHECK(cache.negative_entries() == 0);
    CHECK(cache.bytes() == 0);
}

TEST_CASE("crl url password: who it authenticates as") {
    // LDAP: the DN in the URL's user part when there is one, else the entry the URL names
    CHECK(
        credential_user("ldap://127.0.0.1:3890/cn=labca,dc=msim,dc=test?certificateRevocationList;binary") ==
        "cn=labca,dc=msim,dc=test");
    CHECK(credential_user(
              "ldap://cn%3Dreader%2Cdc%3Dmsim@127.0.0.1/cn=labca,dc=msim?certificateRevocationList") ==
          "cn=reader,dc=msim");
    CHECK(credential_user("ldap://host/cn=a%20b,dc=x") == "cn=a b,dc=x");
    // HTTP: the user part, else none (Basic with an empty user name)
    CHECK(credential_user("http://crl.example/ca.crl").empty());
    CHECK(credential_user("http://fetcher:ignored@crl.example/ca.crl") == "fetcher");
}
