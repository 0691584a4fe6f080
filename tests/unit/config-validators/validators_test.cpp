// Each commit-time check: a configuration that passes and one that fails, with the exact Junos
// placement ([edit …] path, quoted statement) and wording.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "msim/config/validators.hpp"
#include "test_support.hpp"

using msim::config::CommitError;
using msim::config::Severity;
using namespace msim::config::validators;
using namespace test_support;

namespace {

using Path = std::vector<std::string>;

const std::string ns = R"( xmlns="urn:msim:yang:msim-config")";

// Parses (libyang must accept the data: these are schema-valid configurations) and runs `check`.
Errors run(Errors (*check)(const lyd_node*), const std::string& xml) {
    Parsed p = parse_xml(xml);
    REQUIRE_MESSAGE(p.ok, p.errors);
    return check(p.tree.get());
}

std::string security(const std::string& inner) {
    return "<security" + ns + ">" + inner + "</security>";
}
std::string ipsec(const std::string& inner) {
    return security("<ipsec>" + inner + "</ipsec>");
}

std::string key(const std::string& format, const std::string& value) {
    return "<key><" + format + ">" + value + "</" + format + "></key>";
}
std::string auth(const std::string& alg, const std::string& k) {
    return "<authentication><algorithm>" + alg + "</algorithm>" + k + "</authentication>";
}
std::string enc(const std::string& alg, const std::string& k) {
    return "<encryption><algorithm>" + alg + "</algorithm>" + k + "</encryption>";
}
const std::string md5 = auth("hmac-md5-96", key("ascii-text", "1234123412341234"));
const std::string tdes = enc("3des-cbc", key("ascii-text", "123456789009876543211234"));

std::string direction(const std::string& dir, const std::string& protocol, int spi, const std::string& body) {
    return "<direction><name>" + dir + "</name><protocol>" + protocol + "</protocol><spi>" +
           std::to_string(spi) + "</spi>" + body + "</direction>";
}
std::string manual_sa(const std::string& name, const std::string& directions, const std::string& extra = "") {
    return "<security-association><name>" + name + "</name>" + extra + "<manual>" + directions +
           "</manual></security-association>";
}

void check_error(const CommitError& e, const Path& path, const std::string& stmt, const std::string& message,
                 Severity severity = Severity::error) {
    CHECK(e.edit_path == path);
    CHECK(e.statement == stmt);
    CHECK(e.message == message);
    CHECK(e.severity == severity);
}

const Path sa1_bidir{"security", "ipsec",     "security-association", "sa-1",
                     "manual",   "direction", "bidirectional"};

}  // namespace

TEST_CASE("manual SA: SPI and protocol unique across manual SAs") {
    SUBCASE("same SPI with another protocol, or in opposite directions, is fine") {
        const auto errors =
            run(check_manual_sas, ipsec(manual_sa("sa-1", direction("bidirectional", "esp", 2312, md5)) +
                                        manual_sa("sa-2", direction("bidirectional", "ah", 2312, md5)) +
                                        manual_sa("sa-3", direction("inbound", "esp", 3000, md5)) +
                                        manual_sa("sa-4", direction("outbound", "esp", 3000, md5))));
        CHECK(errors.empty());
    }
    SUBCASE("a second SA with the same SPI and protocol is refused") {
        const auto errors =
            run(check_manual_sas, ipsec(manual_sa("sa-1", direction("bidirectional", "esp", 2312, md5)) +
                                        manual_sa("sa-2", direction("inbound", "esp", 2312, tdes))));
        REQUIRE(errors.size() == 1);
        check_error(errors[0],
                    {"security", "ipsec", "security-association", "sa-2", "manual", "direction", "inbound"},
                    "spi 2312", "SPI 2312 with protocol esp is already used by security-association sa-1");
        CHECK(msim::config::render(errors[0]) ==
              "[edit security ipsec security-association sa-2 manual direction inbound]\n"
              "  'spi 2312'\n"
              "    SPI 2312 with protocol esp is already used by security-association sa-1\n");
    }
    SUBCASE("a bundle's auxiliary SPI is its ESP SPI") {
        const auto errors =
            run(check_manual_sas,
                ipsec(manual_sa("sa-1", direction("bidirectional", "esp", 400, md5)) +
                      manual_sa("sa-2", direction("bidirectional", "bundle", 401,
                                                  "<auxiliary-spi>400</auxiliary-spi>" + md5 + tdes))));
        REQUIRE(errors.size() == 1);
        check_error(
            errors[0],
            {"security", "ipsec", "security-association", "sa-2", "manual", "direction", "bidirectional"},
            "auxiliary-spi 400", "SPI 400 with protocol esp is already used by security-association sa-1");
    }
}

TEST_CASE("manual SA: bundle requires auxiliary-spi, which is meaningless otherwise") {
    CHECK(run(check_manual_sas,
              ipsec(manual_sa("sa-1", direction("bidirectional", "bundle", 300,
                                                "<auxiliary-spi>301</auxiliary-spi>" + md5 + tdes))))
              .empty());
    auto errors = run(check_manual_sas,
                      ipsec(manual_sa("sa-1", direction("bidirectional", "bundle", 300, md5 + tdes))));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], sa1_bidir, "protocol bundle",
                "auxiliary-spi must be configured with protocol bundle");

    errors = run(check_manual_sas,
                 ipsec(manual_sa("sa-1", direction("bidirectional", "esp", 300,
                                                   "<auxiliary-spi>301</auxiliary-spi>" + md5))));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], sa1_bidir, "auxiliary-spi 301",
                "auxiliary-spi is valid only with protocol bundle");
}

TEST_CASE("manual SA: no encryption with protocol ah") {
    CHECK(
        run(check_manual_sas, ipsec(manual_sa("sa-1", direction("bidirectional", "ah", 300, md5)))).empty());
    const auto errors =
        run(check_manual_sas, ipsec(manual_sa("sa-1", direction("bidirectional", "ah", 300, md5 + tdes))));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], sa1_bidir, "encryption", "Encryption cannot be configured with protocol ah");
}

TEST_CASE("manual SA: key length fits the algorithm") {
    struct Case {
        const char* block;  // "authentication" or "encryption"
        const char* algorithm;
        std::size_t ascii;
        std::size_t hex;
    };
    const Case cases[] = {
        {"encryption", "des-cbc", 8, 16},           {"encryption", "3des-cbc", 24, 48},
        {"encryption", "aes-128-cbc", 16, 32},      {"encryption", "aes-192-cbc", 24, 48},
        {"encryption", "aes-256-cbc", 32, 64},      {"authentication", "hmac-md5-96", 16, 32},
        {"authentication", "hmac-sha1-96", 20, 40}, {"authentication", "hmac-sha-256-128", 32, 64},
    };
    // Distinct bytes, so no DES part is weak and no 3DES parts repeat.
    const std::string ascii_source = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
    const std::string hex_source = "0123456789abcdef1032547698badcfe2143658709badcfe3254769801abcdef99";
    for (const Case& c : cases) {
        CAPTURE(c.algorithm);
        const std::string block = c.block;
        auto body = [&](const std::string& format, const std::string& value) {
            const std::string b = block == "encryption" ? enc(c.algorithm, key(format, value))
                                                        : auth(c.algorithm, key(format, value));
            return ipsec(manual_sa("sa-1", direction("bidirectional", "esp", 500, b)));
        };
        CHECK(run(check_manual_sas, body("ascii-text", ascii_source.substr(0, c.ascii))).empty());
        CHECK(run(check_manual_sas, body("hexadecimal", hex_source.substr(0, c.hex))).empty());
        CHECK(run(check_manual_sas, body("hexadecimal", "0x" + hex_source.substr(0, c.hex))).empty());

        Path path = sa1_bidir;
        path.push_back(block);
        auto errors = run(check_manual_sas, body("ascii-text", ascii_source.substr(0, c.ascii - 1)));
        REQUIRE(errors.size() == 1);
        check_error(errors[0], path, "key",
                    "Key length invalid: " + std::string(c.algorithm) + " requires " +
                        std::to_string(c.ascii) + " ascii-text characters");
        errors = run(check_manual_sas, body("hexadecimal", hex_source.substr(0, c.hex + 2)));
        REQUIRE(errors.size() == 1);
        check_error(errors[0], path, "key",
                    "Key length invalid: " + std::string(c.algorithm) + " requires " + std::to_string(c.hex) +
                        " hexadecimal digits");
    }
}

TEST_CASE("manual SA: DES weak and semi-weak keys, 3DES parts") {
    auto sa = [](const std::string& alg, const std::string& hex) {
        return ipsec(
            manual_sa("sa-1", direction("bidirectional", "esp", 500, enc(alg, key("hexadecimal", hex)))));
    };
    Path path = sa1_bidir;
    path.push_back("encryption");
    CHECK(run(check_manual_sas, sa("des-cbc", "133457799bbcdff1")).empty());
    auto errors = run(check_manual_sas, sa("des-cbc", "0000000000000000"));  // 0101… with parity bits cleared
    REQUIRE(errors.size() == 1);
    check_error(errors[0], path, "key", "DES key is a weak or semi-weak key (RFC 2409)");
    errors = run(check_manual_sas, sa("des-cbc", "e001e001f101f101"));  // semi-weak
    REQUIRE(errors.size() == 1);
    check_error(errors[0], path, "key", "DES key is a weak or semi-weak key (RFC 2409)");

    CHECK(run(check_manual_sas, sa("3des-cbc", "133457799bbcdff10123456789abcdeffedcba9876543210")).empty());
    errors = run(check_manual_sas, sa("3des-cbc", "133457799bbcdff1fefefefefefefefe0123456789abcdef"));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], path, "key", "3DES key part 2 is a weak or semi-weak DES key (RFC 2409)");
    // Only the first two parts must differ: K1 == K3 is accepted.
    CHECK(run(check_manual_sas, sa("3des-cbc", "133457799bbcdff10123456789abcdef133457799bbcdff1")).empty());
    // Equal first and second parts, even when only their parity bits differ, are refused.
    errors = run(check_manual_sas, sa("3des-cbc", "133457799bbcdff1133457799bbcdff00123456789abcdef"));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], path, "key", "3DES key is invalid: its first and second 8-byte parts are equal");
    errors = run(
        check_manual_sas,
        ipsec(manual_sa("sa-1", direction("bidirectional", "esp", 500,
                                          enc("3des-cbc", key("ascii-text", "abcdefghabcdefghijklmnop"))))));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message == "3DES key is invalid: its first and second 8-byte parts are equal");
}

TEST_CASE("manual SA rules also apply to AS PIC ipsec-vpn rules") {
    const std::string rule = "<services" + ns +
                             "><ipsec-vpn><rule><name>r1</name><term><name>t1</name><then><manual>" +
                             direction("bidirectional", "ah", 1000, md5 + tdes) +
                             "</manual></then></term><match-direction>input</match-direction></rule>"
                             "</ipsec-vpn></services>";
    const auto errors = run(check_manual_sas, rule);
    REQUIRE(errors.size() == 1);
    check_error(
        errors[0],
        {"services", "ipsec-vpn", "rule", "r1", "term", "t1", "then", "manual", "direction", "bidirectional"},
        "encryption", "Encryption cannot be configured with protocol ah");
}

namespace {

std::string ike(const std::string& policy_body) {
    return security(
        "<ike><proposal><name>psk</name><authentication-method>pre-shared-keys</authentication-method></"
        "proposal>"
        "<proposal><name>rsa</name><authentication-method>rsa-signatures</authentication-method></proposal>"
        "<proposal><name>dsa</name><authentication-method>dsa-signatures</authentication-method></proposal>"
        "<policy><name>10.1.1.2</name>" +
        policy_body + "</policy></ike>");
}
const Path policy_path{"security", "ike", "policy", "10.1.1.2"};

}  // namespace

TEST_CASE("IKE policy: pre-shared-keys proposals need a pre-shared-key") {
    CHECK(
        run(check_ike_policies,
            ike("<proposals>psk</proposals><pre-shared-key><ascii-text>secret</ascii-text></pre-shared-key>"))
            .empty());
    const auto errors = run(check_ike_policies, ike("<proposals>psk</proposals>"));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], policy_path, "pre-shared-key",
                "pre-shared-key must be configured: proposal psk uses authentication-method pre-shared-keys");
}

TEST_CASE("IKE policy: a hexadecimal pre-shared key has whole bytes") {
    CHECK(run(check_ike_policies, ike("<proposals>psk</proposals><pre-shared-key><hexadecimal>0102030abbcd</"
                                      "hexadecimal></pre-shared-key>"))
              .empty());
    const auto errors =
        run(check_ike_policies, ike("<proposals>psk</proposals><pre-shared-key><hexadecimal>0x0102030abbc</"
                                    "hexadecimal></pre-shared-key>"));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], {"security", "ike", "policy", "10.1.1.2", "pre-shared-key"}, "hexadecimal",
                "Hexadecimal key must have an even number of digits");
}

TEST_CASE("IKE policy: rsa- and dsa-signatures proposals need a local-certificate") {
    CHECK(run(check_ike_policies, ike("<local-certificate>cert.pem</local-certificate><proposals>rsa</"
                                      "proposals><proposals>dsa</proposals>"))
              .empty());
    auto errors = run(check_ike_policies, ike("<proposals>dsa</proposals>"));
    REQUIRE(errors.size() == 1);
    check_error(
        errors[0], policy_path, "local-certificate",
        "local-certificate must be configured: proposal dsa uses authentication-method dsa-signatures");
    errors = run(check_ike_policies, ike("<proposals>rsa</proposals><proposals>psk</proposals>"));
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].statement == "pre-shared-key");
    CHECK(errors[1].message ==
          "local-certificate must be configured: proposal rsa uses authentication-method rsa-signatures");
}

TEST_CASE("IKE policy checks cover the AS PIC ipsec-vpn ike policies") {
    const std::string xml =
        "<services" + ns +
        "><ipsec-vpn><ike><proposal><name>p</name><authentication-method>rsa-signatures"
        "</authentication-method></proposal><policy><name>pol</name><proposals>p</proposals>"
        "</policy></ike></ipsec-vpn></services>";
    const auto errors = run(check_ike_policies, xml);
    REQUIRE(errors.size() == 1);
    check_error(errors[0], {"services", "ipsec-vpn", "ike", "policy", "pol"}, "local-certificate",
                "local-certificate must be configured: proposal p uses authentication-method rsa-signatures");
}

TEST_CASE("dynamic SA: needs an ipsec-policy and tunnel mode") {
    const std::string policy =
        "<proposal><name>p</name></proposal><policy><name>pol</name><proposals>p</proposals></policy>";
    CHECK(
        run(check_dynamic_sas, ipsec(policy + "<security-association><name>d</name><dynamic><ipsec-policy>pol"
                                              "</ipsec-policy></dynamic></security-association>"))
            .empty());
    auto errors =
        run(check_dynamic_sas, ipsec("<security-association><name>d</name><dynamic><replay-window-size>32"
                                     "</replay-window-size></dynamic></security-association>"));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], {"security", "ipsec", "security-association", "d"}, "dynamic",
                "ipsec-policy must be configured for a dynamic security association");
    errors =
        run(check_dynamic_sas, ipsec(policy + "<security-association><name>d</name><mode>transport</mode>"
                                              "<dynamic><ipsec-policy>pol</ipsec-policy></dynamic>"
                                              "</security-association>"));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], {"security", "ipsec", "security-association", "d"}, "mode transport",
                "Transport mode is supported only for manual security associations");
}

namespace {

std::string es_unit(int unit, const std::string& sa, bool tunnel = true,
                    const std::string& destination = "10.6.6.6") {
    return "<unit><name>" + std::to_string(unit) + "</name>" +
           (tunnel
                ? "<tunnel><source>10.5.5.5</source><destination>" + destination + "</destination></tunnel>"
                : "") +
           "<family><inet><ipsec-sa>" + sa + "</ipsec-sa></inet></family></unit>";
}
// The named interface plus the uplink that holds the tunnel source address 10.5.5.5.
const std::string uplink =
    "<interface><name>so-0/0/0</name><unit><name>0</name><family><inet><address><name>"
    "10.5.5.5/30</name></address></inet></family></unit></interface>";
std::string interfaces(const std::string& name, const std::string& units) {
    return "<interfaces" + ns + ">" + uplink + "<interface><name>" + name + "</name>" + units +
           "</interface></interfaces>";
}
const std::string dynamic_setup = security(
    "<ike><proposal><name>p</name><authentication-method>pre-shared-keys</authentication-method></proposal>"
    "<policy><name>10.6.6.6</name><proposals>p</proposals><pre-shared-key><ascii-text>k</ascii-text>"
    "</pre-shared-key></policy></ike><ipsec><proposal><name>p</name></proposal><policy><name>pol</name>"
    "<proposals>p</proposals></policy><security-association><name>dyn</name><dynamic><ipsec-policy>pol"
    "</ipsec-policy></dynamic></security-association>" +
    manual_sa("tun", direction("bidirectional", "esp", 2312, md5)) +
    manual_sa("trans", direction("bidirectional", "esp", 2313, md5), "<mode>transport</mode>") + "</ipsec>");

}  // namespace

TEST_CASE("ES PIC: an ipsec-sa must be a tunnel-mode SA with tunnel endpoints") {
    CHECK(run(check_es_interfaces,
              dynamic_setup + interfaces("es-0/1/0", es_unit(0, "tun") + es_unit(1, "dyn")))
              .empty());

    auto errors = run(check_es_interfaces, dynamic_setup + interfaces("es-0/1/0", es_unit(0, "trans")));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], {"interfaces", "es-0/1/0", "unit", "0", "family", "inet"}, "ipsec-sa trans",
                "Security association trans is not a tunnel-mode SA (mode transport); an ES PIC unit needs a "
                "tunnel-mode SA");

    errors = run(check_es_interfaces, dynamic_setup + interfaces("es-0/1/0", es_unit(3, "tun", false)));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], {"interfaces", "es-0/1/0", "unit", "3"}, "tunnel",
                "tunnel source and destination must be configured for ipsec-sa tun");

    errors =
        run(check_es_interfaces, dynamic_setup + interfaces("es-0/1/0", es_unit(0, "dyn", true, "10.7.7.7")));
    REQUIRE(errors.size() == 1);
    check_error(
        errors[0], {"interfaces", "es-0/1/0", "unit", "0", "family", "inet"}, "ipsec-sa dyn",
        "No IKE policy configured for tunnel destination 10.7.7.7 (dynamic security association dyn)");
}

TEST_CASE("ES PIC: more than 512 dynamic SAs on one PIC is a warning") {
    std::string units;
    for (int u = 0; u < 512; ++u)
        units += es_unit(u, "dyn");
    // 512 on es-1/2/0 plus 1 on es-1/3/0 (another PIC): no warning.
    CHECK(run(check_es_interfaces, dynamic_setup + "<interfaces" + ns + ">" + uplink +
                                       "<interface><name>es-1/2/0</name>" + units +
                                       "</interface><interface><name>es-1/3/0</name>" + es_unit(0, "dyn") +
                                       "</interface></interfaces>")
              .empty());
    // The 513th on es-1/2/1 shares the PIC es-1/2.
    const auto errors = run(check_es_interfaces, dynamic_setup + "<interfaces" + ns + ">" + uplink +
                                                     "<interface><name>es-1/2/0</name>" + units +
                                                     "</interface><interface><name>es-1/2/1</name>" +
                                                     es_unit(0, "dyn") + "</interface></interfaces>");
    REQUIRE(errors.size() == 1);
    check_error(
        errors[0], {"interfaces", "es-1/2/0"}, "",
        "ES PIC es-1/2 has 513 dynamic security associations; no more than 512 per ES PIC are recommended",
        Severity::warning);
    CHECK(msim::config::render(errors[0]) ==
          "[edit interfaces es-1/2/0]\n    warning: ES PIC es-1/2 has 513 dynamic security associations; no "
          "more "
          "than 512 per ES PIC are recommended\n");
}

TEST_CASE("AS PIC service sets name configured sp- units with the right service-domain") {
    const std::string sp =
        "<interfaces" + ns +
        "><interface><name>sp-1/2/0</name><unit><name>0</name><family><inet/></family></unit>"
        "<unit><name>1</name><service-domain>inside</service-domain></unit>"
        "<unit><name>2</name><service-domain>outside</service-domain></unit></interface>"
        "</interfaces>";
    auto set = [&](const std::string& type) {
        return sp + "<services" + ns + "><service-set><name>ss</name>" + type + "</service-set></services>";
    };
    auto nh = [&](const std::string& in, const std::string& out) {
        return set("<next-hop-service><inside-service-interface>" + in +
                   "</inside-service-interface><outside-service-interface>" + out +
                   "</outside-service-interface></next-hop-service>");
    };
    CHECK(run(check_service_sets, set("<interface-service><service-interface>sp-1/2/0</service-interface>"
                                      "</interface-service>"))
              .empty());
    CHECK(run(check_service_sets, nh("sp-1/2/0.1", "sp-1/2/0.2")).empty());

    auto errors =
        run(check_service_sets, set("<interface-service><service-interface>sp-1/3/0</service-interface>"
                                    "</interface-service>"));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], {"services", "service-set", "ss", "interface-service"},
                "service-interface sp-1/3/0", "Interface sp-1/3/0 is not configured");

    errors = run(check_service_sets, nh("sp-1/2/0.2", "sp-1/2/0.7"));
    REQUIRE(errors.size() == 2);
    check_error(errors[0], {"services", "service-set", "ss", "next-hop-service"},
                "inside-service-interface sp-1/2/0.2",
                "Logical interface sp-1/2/0.2 must be configured with service-domain inside");
    check_error(errors[1], {"services", "service-set", "ss", "next-hop-service"},
                "outside-service-interface sp-1/2/0.7", "Logical interface sp-1/2/0.7 is not configured");
}

TEST_CASE("ES PIC: a tunnel source that is not a local address is a warning") {
    const auto errors =
        run(check_es_interfaces, dynamic_setup + "<interfaces" + ns + "><interface><name>es-0/1/0</name>" +
                                     es_unit(0, "tun") + "</interface></interfaces>");
    REQUIRE(errors.size() == 1);
    check_error(errors[0], {"interfaces", "es-0/1/0", "unit", "0", "tunnel"}, "source 10.5.5.5",
                "Tunnel source address 10.5.5.5 is not configured on any interface", Severity::warning);
}

TEST_CASE("ES PIC IKE policies name at least one proposal; AS PIC ones may use defaults") {
    const auto errors =
        run(check_ike_policies, ike("<pre-shared-key><ascii-text>k</ascii-text></pre-shared-key>"));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], policy_path, "proposals", "At least one IKE proposal must be configured");
    CHECK(run(check_ike_policies, "<services" + ns +
                                      "><ipsec-vpn><ike><policy><name>pol</name><pre-shared-key>"
                                      "<ascii-text>k</ascii-text></pre-shared-key></policy></ike>"
                                      "</ipsec-vpn></services>")
              .empty());
}

TEST_CASE("AS PIC IKE: a distinguished-name identity cannot go with pre-shared keys") {
    auto policy = [&](const std::string& id) {
        return "<services" + ns +
               "><ipsec-vpn><ike><proposal><name>p</name><authentication-method>pre-shared-keys"
               "</authentication-method></proposal><policy><name>pol</name><proposals>p</"
               "proposals><local-id>" +
               id +
               "</local-id><pre-shared-key><ascii-text>k</ascii-text></pre-shared-key></policy></ike>"
               "</ipsec-vpn></services>";
    };
    CHECK(run(check_ike_policies, policy("<fqdn>r1.example.net</fqdn>")).empty());
    const auto errors = run(check_ike_policies, policy("<distinguished-name/>"));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], {"services", "ipsec-vpn", "ike", "policy", "pol"}, "local-id distinguished-name",
                "A distinguished-name identity needs certificates: proposal p uses authentication-method "
                "pre-shared-keys");
}

TEST_CASE("dynamic SA: its IPsec policy names at least one proposal") {
    const auto errors =
        run(check_dynamic_sas, ipsec("<policy><name>empty</name></policy><security-association><name>d"
                                     "</name><dynamic><ipsec-policy>empty</ipsec-policy></dynamic>"
                                     "</security-association>"));
    REQUIRE(errors.size() == 1);
    check_error(errors[0], {"security", "ipsec", "security-association", "d", "dynamic"},
                "ipsec-policy empty", "IPsec policy empty must name at least one proposal");
}

TEST_CASE("AS PIC: rules using certificates need the service set's trusted-ca") {
    auto config = [&](const std::string& options) {
        return "<security" + ns +
               "><pki><ca-profile><name>ca</name><ca-identity>ca</ca-identity></ca-profile></pki>"
               "</security><interfaces" +
               ns +
               "><interface><name>sp-1/2/0</name><unit><name>0</name></unit>"
               "</interface></interfaces><services" +
               ns +
               "><service-set><name>ss</name><interface-service>"
               "<service-interface>sp-1/2/0</service-interface></interface-service><ipsec-vpn-options>"
               "<local-gateway>10.0.0.1</local-gateway>" +
               options +
               "</ipsec-vpn-options><ipsec-vpn-rules>r"
               "</ipsec-vpn-rules></service-set><ipsec-vpn><rule><name>r</name><term><name>t</name><then>"
               "<remote-gateway>10.0.0.2</remote-gateway><dynamic><ike-policy>cert</ike-policy></dynamic></"
               "then>"
               "</term><match-direction>input</match-direction></rule><ike><proposal><name>rsa</name>"
               "<authentication-method>rsa-signatures</authentication-method></proposal><policy><name>cert</"
               "name>"
               "<proposals>rsa</proposals><local-certificate>local</local-certificate></policy></ike></"
               "ipsec-vpn>"
               "</services>";
    };
    CHECK(run(check_service_sets, config("<trusted-ca>ca</trusted-ca>")).empty());
    const auto errors = run(check_service_sets, config(""));
    REQUIRE(errors.size() == 1);
    check_error(
        errors[0], {"services", "service-set", "ss"}, "ipsec-vpn-rules r",
        "ipsec-vpn-options trusted-ca must be configured: rule r uses certificates (ike-policy cert)");
}

TEST_CASE("firewall then ipsec-sa names an SA carried by an es- unit") {
    const std::string filter = "<firewall" + ns +
                               "><filter><name>f</name><term><name>t</name><then><ipsec-sa>tun"
                               "</ipsec-sa></then></term></filter></firewall>";
    CHECK(run(check_firewall_ipsec_sas, dynamic_setup + interfaces("es-0/1/0", es_unit(0, "tun")) + filter)
              .empty());
    const auto errors = run(check_firewall_ipsec_sas, dynamic_setup + filter);
    REQUIRE(errors.size() == 1);
    check_error(errors[0], {"firewall", "filter", "f", "term", "t", "then"}, "ipsec-sa tun",
                "Security association tun is not configured on any es- interface unit");
    // A transport-mode SA protects the router's own traffic: no es- unit needed.
    std::string to_trans = filter;
    to_trans.replace(to_trans.find(">tun<"), 5, ">trans<");
    CHECK(run(check_firewall_ipsec_sas, dynamic_setup + to_trans).empty());
}

TEST_CASE("validate() runs every registered check; an empty configuration passes") {
    CHECK(validate(nullptr).empty());
    CHECK(checks().size() == 6);
    for (const Check& c : checks()) {
        CHECK_FALSE(c.name.empty());
        CHECK_FALSE(c.subtrees.empty());
    }
    Parsed p = parse_xml(
        security("<ike><proposal><name>psk</name><authentication-method>pre-shared-keys</"
                 "authentication-method></proposal>"
                 "<policy><name>10.1.1.2</name><proposals>psk</proposals></policy></ike><ipsec>" +
                 manual_sa("sa-1", direction("bidirectional", "ah", 300, md5 + tdes)) + "</ipsec>"));
    REQUIRE_MESSAGE(p.ok, p.errors);
    const auto errors = validate(p.tree.get());
    CHECK(errors.size() == 2);
}

TEST_CASE("the checks tolerate data libyang would refuse (no crash, no throw)") {
    // Dangling references, missing mandatory statements, no defaults: mgd never passes such a tree,
    // but a check must still not crash on it.
    Parsed p = parse_xml_unvalidated(
        security(
            "<ike><policy><name>10.1.1.2</name><proposals>nowhere</proposals></policy></ike><ipsec>"
            "<security-association><name>d</name><dynamic><ipsec-policy>nowhere</ipsec-policy></dynamic>"
            "</security-association><security-association><name>m</name><manual><direction><name>inbound"
            "</name><encryption><key><hexadecimal>0x0</hexadecimal></key></encryption></direction>"
            "<direction><name>outbound</name><protocol>bundle</protocol><auxiliary-spi>300</auxiliary-spi>"
            "<authentication><algorithm>hmac-md5-96</algorithm></authentication></direction></manual>"
            "</security-association></ipsec>") +
        "<interfaces" + ns +
        "><interface><name>es-0/1/0</name><unit><name>0</name><tunnel/><family><inet><ipsec-sa>nowhere"
        "</ipsec-sa></inet></family></unit></interface></interfaces><services" +
        ns +
        "><service-set><name>s</name><next-hop-service><inside-service-interface>sp-7/3/9"
        "</inside-service-interface></next-hop-service><ipsec-vpn-rules>nowhere</ipsec-vpn-rules>"
        "</service-set></services><firewall" +
        ns +
        "><filter><name>f</name><term><name>t</name><then><ipsec-sa>nowhere</ipsec-sa></then></term>"
        "</filter></firewall>");
    REQUIRE_MESSAGE(p.ok, p.errors);
    Errors errors;
    CHECK_NOTHROW(errors = validate(p.tree.get()));
    CHECK_FALSE(errors.empty());
}
