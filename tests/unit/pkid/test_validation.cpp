#include <doctest/doctest.h>
#include <openssl/x509_vfy.h>

#include <map>

#include "msim/pki/validation.hpp"
#include "test_ca.hpp"

using namespace msim::pki;
using namespace msim::pki::test;

namespace {

struct Hierarchy {
    Identity root = make_root("CN=Root,O=Lab,C=US");
    Identity sub = issue(root, "CN=Sub,O=Lab,C=US", options().as_ca().cdp({"http://crl.lab/root.crl"}));
    Identity peer = issue(sub, "CN=peer,OU=sales,O=Lab,C=US",
                          options()
                              .cdp({"http://crl.lab/sub.crl"})
                              .alt_names({{"peer.lab.example"}, {"10.0.0.2"}, {"ike@lab.example"}}));

    ValidationRequest request() const {
        ValidationRequest r{
            peer.certificate, {sub.certificate}, {{"root-ca", root.certificate, {}}}, {}, 15, {}};
        r.crls = {make_crl(root, {}), make_crl(sub, {})};
        return r;
    }
};

class MapFetcher : public CrlFetcher {
  public:
    std::map<std::string, Crl> served;
    std::vector<std::string> asked;
    bool throw_instead = false;
    std::optional<Crl> fetch(const std::string& url) override {
        asked.push_back(url);
        if (throw_instead) {
            throw std::runtime_error("connection refused");
        }
        auto it = served.find(url);
        if (it == served.end()) {
            return std::nullopt;
        }
        return it->second;
    }
};

}  // namespace

TEST_CASE_FIXTURE(Hierarchy, "good chain: peer + sent intermediate + local root") {
    ValidationResult r = validate_certificate(request(), reference_time());
    CHECK_MESSAGE(r.ok(), r.reason);
    CHECK(r.reason.empty());
    CHECK(r.chain.size() == 3);
    CHECK(r.chain.back().same_as(root.certificate));
    CHECK(r.anchor_profile == "root-ca");
    CHECK_FALSE(r.revocation_skipped);
    CHECK(to_string(r.status) == "valid");
}

TEST_CASE_FIXTURE(Hierarchy, "partial chain: a stored intermediate that is not self-signed is an anchor") {
    ValidationRequest r = request();
    r.peer_chain.clear();
    r.trusted = {{"sub-ca", sub.certificate, {}}};
    r.crls = {make_crl(sub, {})};  // the root's CRL is not needed: the anchor is trusted as stored
    ValidationResult result = validate_certificate(r, reference_time());
    CHECK_MESSAGE(result.ok(), result.reason);
    CHECK(result.chain.size() == 2);
    CHECK(result.anchor_profile == "sub-ca");
}

TEST_CASE_FIXTURE(Hierarchy, "validity at the simulated time") {
    Identity old =
        issue(sub, "CN=old", options().valid(reference_time() - 100 * day, reference_time() - day));
    ValidationRequest r = request();
    r.peer = old.certificate;
    ValidationResult expired = validate_certificate(r, reference_time());
    CHECK(expired.status == ValidationStatus::expired);
    CHECK(expired.openssl_error == X509_V_ERR_CERT_HAS_EXPIRED);
    CHECK(expired.error_depth == 0);
    CHECK(expired.reason == "certificate has expired (CN=old)");
    // The same certificate at an earlier simulated time is fine (CRLs made current for that time).
    r.crls = {make_crl(root, {}, reference_time() - 20 * day, reference_time() - 5 * day),
              make_crl(sub, {}, reference_time() - 20 * day, reference_time() - 5 * day)};
    CHECK(validate_certificate(r, reference_time() - 10 * day).ok());
    CHECK(validate_certificate(request(), reference_time() - 31 * day).status ==
          ValidationStatus::not_yet_valid);
}

TEST_CASE_FIXTURE(Hierarchy, "wrong issuer and bad signature") {
    Identity stranger_ca = make_root("CN=Stranger");
    Identity stranger = issue(stranger_ca, "CN=peer");
    ValidationRequest r = request();
    r.peer = stranger.certificate;
    ValidationResult unknown = validate_certificate(r, reference_time());
    CHECK(unknown.status == ValidationStatus::issuer_not_found);
    CHECK(unknown.reason.find("unable to find the issuer CA certificate in local storage") == 0);

    auto der = peer.certificate.to_der();
    der[der.size() - 3] ^= 0x5a;  // inside the signature value
    r = request();
    r.peer = Certificate::from_bytes(der);
    ValidationResult bad = validate_certificate(r, reference_time());
    CHECK(bad.status == ValidationStatus::bad_signature);

    // Same name as the real intermediate, other key: signature does not verify.
    Identity fake_sub = make_root("CN=Sub,O=Lab,C=US");
    r = request();
    r.peer_chain = {issue(fake_sub, "CN=x").certificate};
    r.peer = issue(fake_sub, "CN=y").certificate;
    CHECK_FALSE(validate_certificate(r, reference_time()).ok());
}

TEST_CASE_FIXTURE(Hierarchy, "an end-entity certificate cannot act as a CA") {
    Identity forged = issue(peer, "CN=forged");
    ValidationRequest r = request();
    r.peer = forged.certificate;
    r.peer_chain = {peer.certificate, sub.certificate};
    ValidationResult result = validate_certificate(r, reference_time());
    CHECK(result.status == ValidationStatus::not_a_ca);
}

TEST_CASE("path-length counts the trust anchor; seven CA levels validate by default") {
    Identity root = make_root("CN=L0");
    std::vector<Identity> cas{root};
    for (int i = 1; i < 7; ++i) {
        cas.push_back(issue(cas.back(), "CN=L" + std::to_string(i), options().as_ca()));
    }
    Identity leaf = issue(cas.back(), "CN=leaf");
    ValidationRequest r{leaf.certificate, {}, {{"root", root.certificate, no_revocation()}}, {}, 15, {}};
    for (std::size_t i = cas.size() - 1; i >= 1; --i) {
        r.peer_chain.push_back(cas[i].certificate);
    }
    ValidationResult seven = validate_certificate(r, reference_time());
    CHECK_MESSAGE(seven.ok(), seven.reason);
    CHECK(seven.chain.size() == 8);  // leaf + 7 CA levels
    r.path_length = 8;
    CHECK(validate_certificate(r, reference_time()).ok());
    r.path_length = 7;
    ValidationResult too_long = validate_certificate(r, reference_time());
    CHECK(too_long.status == ValidationStatus::path_too_long);
    CHECK(too_long.openssl_error == X509_V_ERR_CERT_CHAIN_TOO_LONG);
    CHECK(too_long.reason.find("longer than path-length 7") != std::string::npos);
    r.path_length = 1;
    CHECK_THROWS_AS(validate_certificate(r, reference_time()), PkiError);
    r.path_length = 16;
    CHECK_THROWS_AS(validate_certificate(r, reference_time()), PkiError);
    // path-length 2: only a certificate issued directly by the anchor.
    ValidationRequest direct{
        cas[1].certificate, {}, {{"root", root.certificate, no_revocation()}}, {}, 2, {}};
    CHECK(validate_certificate(direct, reference_time()).ok());
}

TEST_CASE("basicConstraints pathLenConstraint is enforced") {
    Identity root = make_root("CN=R");
    Identity a = issue(root, "CN=A", options().as_ca().max_path(0));
    Identity b = issue(a, "CN=B", options().as_ca());
    Identity leaf = issue(b, "CN=leaf");
    ValidationRequest r{leaf.certificate,
                        {b.certificate, a.certificate},
                        {{"r", root.certificate, no_revocation()}},
                        {},
                        15,
                        {}};
    ValidationResult result = validate_certificate(r, reference_time());
    CHECK(result.status == ValidationStatus::path_too_long);
    CHECK(result.openssl_error == X509_V_ERR_PATH_LENGTH_EXCEEDED);
}

TEST_CASE("a CA whose key usage lacks keyCertSign cannot issue; one without keyUsage can") {
    Identity root = make_root("CN=R");
    Identity no_sign = issue(root, "CN=NoSign", options().as_ca().usage("critical,digitalSignature"));
    Identity leaf = issue(no_sign, "CN=leaf");
    ValidationRequest r{
        leaf.certificate, {no_sign.certificate}, {{"r", root.certificate, no_revocation()}}, {}, 15, {}};
    ValidationResult result = validate_certificate(r, reference_time());
    // OpenSSL judges a CA key usage without keyCertSign as "invalid CA".
    CHECK(result.status == ValidationStatus::not_a_ca);
    CHECK(result.openssl_error == X509_V_ERR_INVALID_CA);
    CHECK(result.error_depth == 1);

    Identity no_usage = issue(root, "CN=NoUsage", options().as_ca().without_ca_usage());
    Identity leaf2 = issue(no_usage, "CN=leaf2");
    ValidationRequest ok{
        leaf2.certificate, {no_usage.certificate}, {{"r", root.certificate, no_revocation()}}, {}, 15, {}};
    CHECK(validate_certificate(ok, reference_time()).ok());
}

TEST_CASE_FIXTURE(Hierarchy, "revocation by a loaded CRL, and revocation of an intermediate") {
    ValidationRequest r = request();
    r.crls = {make_crl(root, {}), make_crl(sub, {peer.certificate})};
    ValidationResult revoked = validate_certificate(r, reference_time());
    CHECK(revoked.status == ValidationStatus::revoked);
    CHECK(revoked.openssl_error == X509_V_ERR_CERT_REVOKED);
    CHECK(revoked.reason == "certificate has been revoked (CN=peer, OU=sales, O=Lab, C=US)");

    r.crls = {make_crl(root, {sub.certificate}), make_crl(sub, {})};
    ValidationResult sub_revoked = validate_certificate(r, reference_time());
    CHECK(sub_revoked.status == ValidationStatus::revoked);
    CHECK(sub_revoked.error_depth == 1);
}

TEST_CASE_FIXTURE(Hierarchy, "no CRL: fail closed by default, fail open on request, or revocation disabled") {
    ValidationRequest r = request();
    r.crls = {make_crl(root, {})};  // the intermediate's CRL is missing
    ValidationResult closed = validate_certificate(r, reference_time());
    CHECK(closed.status == ValidationStatus::crl_unavailable);
    CHECK(closed.error_depth == 0);

    r.trusted[0].revocation.allow_on_download_failure = true;
    ValidationResult open = validate_certificate(r, reference_time());
    CHECK_MESSAGE(open.ok(), open.reason);
    CHECK(open.revocation_skipped);

    // Fail-open only forgives a missing CRL, never a revocation found in one that is present.
    r.crls = {make_crl(root, {sub.certificate})};
    CHECK(validate_certificate(r, reference_time()).status == ValidationStatus::revoked);

    r = request();
    r.crls.clear();
    r.trusted[0].revocation.enabled = false;
    ValidationResult disabled = validate_certificate(r, reference_time());
    CHECK(disabled.ok());
    CHECK_FALSE(disabled.revocation_skipped);
}

TEST_CASE_FIXTURE(Hierarchy, "expired and forged CRLs are rejected") {
    ValidationRequest r = request();
    r.crls = {make_crl(root, {}),
              make_crl(sub, {}, reference_time() - 20 * day, reference_time() - 10 * day)};
    ValidationResult stale = validate_certificate(r, reference_time());
    CHECK(stale.status == ValidationStatus::crl_invalid);
    CHECK(stale.openssl_error == X509_V_ERR_CRL_HAS_EXPIRED);

    Identity fake_sub{test_key(), sub.certificate};  // right name, wrong key
    r.crls = {make_crl(root, {}), make_crl(fake_sub, {})};
    ValidationResult forged = validate_certificate(r, reference_time());
    CHECK_FALSE(forged.ok());
    CHECK(forged.status == ValidationStatus::crl_invalid);
}

TEST_CASE_FIXTURE(Hierarchy,
                  "CRL fetcher: profile URL first, then the CDP; results handed back for caching") {
    MapFetcher fetcher;
    fetcher.served.insert_or_assign("http://crl.lab/sub.crl", make_crl(sub, {}));
    fetcher.served.insert_or_assign("http://crl.lab/root.crl", make_crl(root, {}));
    ValidationRequest r = request();
    r.crls.clear();
    ValidationResult result = validate_certificate(r, reference_time(), &fetcher);
    CHECK_MESSAGE(result.ok(), result.reason);
    CHECK(fetcher.asked == std::vector<std::string>{"http://crl.lab/sub.crl", "http://crl.lab/root.crl"});
    CHECK(result.fetched_crls.size() == 2);

    fetcher.asked.clear();
    fetcher.served.insert_or_assign("ldap://ldap.lab/cn=Sub", make_crl(sub, {peer.certificate}));
    r.trusted[0].revocation.urls = {"ldap://ldap.lab/cn=Sub"};
    ValidationResult revoked = validate_certificate(r, reference_time(), &fetcher);
    CHECK(revoked.status == ValidationStatus::revoked);
    REQUIRE(!fetcher.asked.empty());
    CHECK(fetcher.asked.front() == "ldap://ldap.lab/cn=Sub");

    // A loaded current CRL means no fetch at all.
    fetcher.asked.clear();
    CHECK(validate_certificate(request(), reference_time(), &fetcher).ok());
    CHECK(fetcher.asked.empty());
}

TEST_CASE_FIXTURE(Hierarchy, "CRL fetcher: several profile URLs are tried in configured order") {
    MapFetcher fetcher;
    // The first URL serves nothing, the second a CRL of the wrong issuer, the third the right one.
    fetcher.served.insert_or_assign("http://b.lab/wrong.crl", make_crl(root, {}));
    fetcher.served.insert_or_assign("http://c.lab/sub.crl", make_crl(sub, {peer.certificate}));
    ValidationRequest r = request();
    r.crls = {make_crl(root, {})};
    r.trusted[0].revocation.urls = {"http://a.lab/none.crl", "http://b.lab/wrong.crl",
                                    "http://c.lab/sub.crl"};
    ValidationResult result = validate_certificate(r, reference_time(), &fetcher);
    CHECK(result.status == ValidationStatus::revoked);
    CHECK(fetcher.asked == std::vector<std::string>{"http://a.lab/none.crl", "http://b.lab/wrong.crl",
                                                    "http://c.lab/sub.crl"});
}

TEST_CASE_FIXTURE(Hierarchy, "CRL download failure: fail closed with the reason, fail open when configured") {
    MapFetcher fetcher;  // serves nothing
    ValidationRequest r = request();
    r.crls = {make_crl(root, {})};
    ValidationResult failed = validate_certificate(r, reference_time(), &fetcher);
    CHECK(failed.status == ValidationStatus::crl_unavailable);
    CHECK(failed.reason.find("CRL download failed") == 0);
    CHECK(fetcher.asked == std::vector<std::string>{"http://crl.lab/sub.crl"});

    fetcher.throw_instead = true;
    CHECK(validate_certificate(r, reference_time(), &fetcher).status == ValidationStatus::crl_unavailable);
    r.trusted[0].revocation.allow_on_download_failure = true;
    ValidationResult open = validate_certificate(r, reference_time(), &fetcher);
    CHECK(open.ok());
    CHECK(open.revocation_skipped);

    // A CRL from the wrong issuer is not accepted as the answer.
    fetcher.throw_instead = false;
    fetcher.served.insert_or_assign("http://crl.lab/sub.crl", make_crl(root, {}));
    r.trusted[0].revocation.allow_on_download_failure = false;
    CHECK(validate_certificate(r, reference_time(), &fetcher).status == ValidationStatus::crl_unavailable);
}

TEST_CASE_FIXTURE(Hierarchy, "IKE identities against subjectAltName and the subject DN") {
    const Certificate& c = peer.certificate;
    using Kind = PeerIdentity::Kind;
    CHECK(identity_mismatch(c, {Kind::ip_address, "10.0.0.2"}).empty());
    CHECK(identity_mismatch(c, {Kind::ip_address, "10.0.0.3"}).find("not found") != std::string::npos);
    CHECK(identity_mismatch(c, {Kind::ip_address, "nonsense"}).find("invalid IP") != std::string::npos);
    CHECK(identity_mismatch(c, {Kind::fqdn, "PEER.lab.example."}).empty());
    CHECK_FALSE(identity_mismatch(c, {Kind::fqdn, "other.lab.example"}).empty());
    CHECK(identity_mismatch(c, {Kind::user_fqdn, "ike@LAB.example"}).empty());
    CHECK_FALSE(identity_mismatch(c, {Kind::user_fqdn, "IKE@lab.example"}).empty());
    CHECK(identity_mismatch(c, {Kind::user_fqdn, "no-at"}).find("invalid U-FQDN") != std::string::npos);
    CHECK(identity_mismatch(c, {Kind::distinguished_name, "CN=peer,OU=sales,O=Lab,C=US", DnMatch::container})
              .empty());
    CHECK(identity_mismatch(c, {Kind::distinguished_name, "C=US,OU=sales", DnMatch::wildcard}).empty());
    CHECK(identity_mismatch(c, {Kind::distinguished_name, "C=US,OU=sales", DnMatch::container})
              .find("does not match the container DN") != std::string::npos);
    CHECK(identity_mismatch(c, {Kind::distinguished_name, "CN=", DnMatch::wildcard}).find("invalid DN") !=
          std::string::npos);
    // Without subjectAltName, only DN identities can match.
    CHECK_FALSE(identity_mismatch(root.certificate, {Kind::fqdn, "peer.lab.example"}).empty());

    ValidationRequest r = request();
    r.identity = PeerIdentity{Kind::fqdn, "peer.lab.example"};
    CHECK(validate_certificate(r, reference_time()).ok());
    r.identity = PeerIdentity{Kind::ip_address, "10.9.9.9"};
    ValidationResult mismatch = validate_certificate(r, reference_time());
    CHECK(mismatch.status == ValidationStatus::identity_mismatch);
    CHECK(mismatch.reason.find("10.9.9.9") != std::string::npos);
}

TEST_CASE("every status has a name") {
    for (int s = 0; s <= static_cast<int>(ValidationStatus::other); ++s) {
        CHECK_FALSE(to_string(static_cast<ValidationStatus>(s)).empty());
    }
}

TEST_CASE("a CA without cRLSign cannot vouch for its CRL") {
    Identity root = make_root("CN=R");
    Identity ca = issue(root, "CN=NoCrlSign", options().as_ca().usage("critical,keyCertSign"));
    Identity leaf = issue(ca, "CN=leaf");
    ValidationRequest r{leaf.certificate,
                        {ca.certificate},
                        {{"r", root.certificate, {}}},
                        {make_crl(root, {}), make_crl(ca, {})},
                        15,
                        {}};
    ValidationResult result = validate_certificate(r, reference_time());
    CHECK(result.status == ValidationStatus::key_usage);
    CHECK(result.openssl_error == X509_V_ERR_KEYUSAGE_NO_CRL_SIGN);
    CHECK(result.reason.find("key usage") != std::string::npos);
}

TEST_CASE("IPv6 identities compare as addresses") {
    Identity root = make_root("CN=R");
    Identity peer = issue(root, "CN=v6", options().alt_names({{}, {"2001:db8::1"}, {}}));
    using Kind = PeerIdentity::Kind;
    CHECK(identity_mismatch(peer.certificate, {Kind::ip_address, "2001:0db8:0:0::1"}).empty());
    CHECK_FALSE(identity_mismatch(peer.certificate, {Kind::ip_address, "2001:db8::2"}).empty());
    CHECK_FALSE(identity_mismatch(peer.certificate, {Kind::ip_address, "10.0.0.1"}).empty());
}
