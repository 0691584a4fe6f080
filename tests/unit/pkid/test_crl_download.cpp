#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <chrono>

#include "msim/pki/crl_cache.hpp"
#include "msim/pki/crl_download.hpp"
#include "test_ca.hpp"

using namespace msim::pki;
using namespace msim::pki::test;
using namespace std::chrono_literals;

namespace {
std::string base64(const std::vector<std::uint8_t>& der) {
    std::string out(4 * ((der.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), der.data(),
                                  static_cast<int>(der.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

struct CountingFetcher : CrlFetcher {
    std::optional<Crl> answer;
    int calls = 0;
    std::optional<Crl> fetch(const std::string&) override {
        ++calls;
        return answer;
    }
};
}  // namespace

TEST_CASE("CRL from libcurl's LDAP output: base64 ;binary values and raw values") {
    Identity ca = make_root("CN=LDAP CA");
    Identity leaf = issue(ca, "CN=leaf");
    Crl crl = make_crl(ca, {leaf.certificate});
    const auto der = crl.to_der();

    const std::string binary =
        "DN: cn=labca,dc=msim,dc=test\n\tobjectClass: cRLDistributionPoint\n"
        "\tcertificateRevocationList;binary: " +
        base64(der) + "\n\n";
    Crl parsed = crl_from_ldap_output(binary);
    CHECK(parsed.is_revoked(leaf.certificate));
    CHECK(parsed.issued_by(ca.certificate));
    // what libcurl 7.88 prints for slapd's certificateRevocationList;binary
    const std::string ldif =
        "DN: cn=labca,dc=msim,dc=test\n\tcertificateRevocationList;binary:: " + base64(der) + "\n\n";
    CHECK(crl_from_ldap_output(ldif).is_revoked(leaf.certificate));

    // A raw value may contain newlines and tabs; its DER length says where it ends.
    const std::string raw =
        "DN: cn=x\n\tcertificateRevocationList: " + std::string(der.begin(), der.end()) + "\n\tcn: x\n\n";
    CHECK(crl_from_ldap_output(raw).is_revoked(leaf.certificate));

    CHECK_THROWS_AS(crl_from_ldap_output("DN: cn=x\n\tcn: x\n\n"), PkiError);
    CHECK_THROWS_AS(crl_from_ldap_output("DN: cn=x\n\tcertificateRevocationList;binary: !!notbase64\n"),
                    PkiError);
    CHECK_THROWS_AS(
        crl_from_ldap_output("DN: cn=x\n\tcertificateRevocationList;binary: " + base64({1, 2, 3}) + "\n"),
        PkiError);
    CHECK_THROWS_AS(crl_from_ldap_output(""), PkiError);
    // an attribute that only shares the prefix is not the CRL
    CHECK_THROWS_AS(crl_from_ldap_output("DN: cn=x\n\tcertificateRevocationListX:: " + base64(der) + "\n"),
                    PkiError);
}

TEST_CASE("download: only http(s) and ldap(s), failures are PkiErrors, bounded in time") {
    CHECK_THROWS_AS(download("file:///etc/passwd"), PkiError);
    CHECK_THROWS_AS(download("ftp://127.0.0.1/x.crl"), PkiError);
    CHECK_THROWS_AS(download(""), PkiError);
    // Port 1 on loopback: nothing listens there; the connection is refused at once.
    const auto start = std::chrono::steady_clock::now();
    DownloadLimits limits;
    limits.timeout = 2000ms;
    CHECK_THROWS_AS(download("http://127.0.0.1:1/ca.crl", limits), PkiError);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    CurlCrlFetcher fetcher(limits);
    CHECK_THROWS_AS(fetcher.fetch("ldap://127.0.0.1:1/cn=x?certificateRevocationList;binary"), PkiError);
}

TEST_CASE("CRL cache: a CA profile's crl url keeps its own refresh-interval") {
    Identity ca = make_root("CN=CA");
    CountingFetcher upstream;
    upstream.answer = make_crl(ca, {});  // nextUpdate: reference_time + 7 days
    TimePoint now = reference_time();
    CachingCrlFetcher cache(
        upstream, [&] { return now; }, 24h, 20s);
    cache.set_refresh_interval_for("http://x/profile.crl", 1h);
    CHECK(cache.fetch("http://x/profile.crl").has_value());
    CHECK(cache.fetch("http://x/cdp.crl").has_value());
    CHECK(upstream.calls == 2);
    now += 61min;
    CHECK(cache.fetch("http://x/profile.crl").has_value());  // refreshed after the profile's hour
    CHECK(cache.fetch("http://x/cdp.crl").has_value());      // still cached for the default 24 hours
    CHECK(upstream.calls == 3);
    cache.clear_refresh_intervals();
    cache.clear();
    CHECK(cache.fetch("http://x/profile.crl").has_value());
    now += 2h;
    CHECK(cache.fetch("http://x/profile.crl").has_value());
    CHECK(upstream.calls == 4);
}
