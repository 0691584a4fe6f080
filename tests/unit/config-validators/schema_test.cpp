// The msim YANG modules: they load, every node has help text, the extensions sit where the
// configuration engine expects them, defaults and ordering are as the seeds say, and the seed
// example data (valid and invalid) is judged correctly.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "msim/config/validators.hpp"
#include "test_support.hpp"

using namespace test_support;

namespace {

const lysc_node* schema(const char* path) {
    const lysc_node* n = lys_find_path(context(), nullptr, path, 0);
    REQUIRE_MESSAGE(n != nullptr, path);
    return n;
}

// The argument of extension `name` of msim-extensions on `node`, or nullptr when it is absent
// ("" for extensions without an argument).
const char* extension(const lysc_node* node, const char* name) {
    LY_ARRAY_COUNT_TYPE i;
    LY_ARRAY_FOR(node->exts, i) {
        const lysc_ext* def = node->exts[i].def;
        if (std::string(def->name) == name && std::string(def->module->name) == "msim-extensions")
            return node->exts[i].argument ? node->exts[i].argument : "";
    }
    return nullptr;
}

std::string default_of(const char* xml, const char* path) {
    Parsed p = parse_xml(xml);
    REQUIRE_MESSAGE(p.ok, p.errors);
    lyd_node* node = nullptr;
    REQUIRE(lyd_find_path(p.tree.get(), path, 0, &node) == LY_SUCCESS);
    CHECK(lyd_is_default(node));
    return lyd_get_value(node);
}

std::vector<std::filesystem::path> files_in(const char* sub) {
    std::vector<std::filesystem::path> out;
    for (const auto& e :
         std::filesystem::directory_iterator(std::string(CONFIG_VALIDATORS_DATA_DIR) + "/" + sub))
        if (e.path().extension() == ".xml")
            out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("every msim module loads into libyang") {
    ly_ctx* ctx = context();
    const lys_module* config = ly_ctx_get_module_implemented(ctx, "msim-config");
    REQUIRE(config != nullptr);
    REQUIRE(ly_ctx_get_module_latest(ctx, "msim-extensions") != nullptr);
    std::vector<std::string> submodules;
    LY_ARRAY_COUNT_TYPE i;
    LY_ARRAY_FOR(config->parsed->includes, i) submodules.emplace_back(config->parsed->includes[i].name);
    CHECK(submodules == std::vector<std::string>{"msim-config-types", "msim-config-system",
                                                 "msim-config-services", "msim-config-security",
                                                 "msim-config-interfaces", "msim-config-routing-options",
                                                 "msim-config-firewall"});
}

TEST_CASE("top-level statements are in Junos print order") {
    std::vector<std::string> names;
    const lys_module* config = ly_ctx_get_module_implemented(context(), "msim-config");
    for (const lysc_node* n = config->compiled->data; n; n = n->next)
        names.emplace_back(n->name);
    CHECK(names == std::vector<std::string>{"groups", "apply-groups", "system", "services", "security",
                                            "interfaces", "routing-options", "firewall"});
}

TEST_CASE("every schema node has one line of help text") {
    const lys_module* config = ly_ctx_get_module_implemented(context(), "msim-config");
    std::vector<std::string> missing;
    lysc_module_dfs_full(
        config,
        [](struct lysc_node* node, void* data, ly_bool*) -> LY_ERR {
            auto* out = static_cast<std::vector<std::string>*>(data);
            if (node->nodetype == LYS_CASE)
                return LY_SUCCESS;  // shorthand cases carry their child's description
            // Junos help: one line, starting with a capital letter, no final period.
            const std::string d = node->dsc ? node->dsc : "";
            const bool bad = d.empty() || d.find('\n') != std::string::npos ||
                             !std::isupper(static_cast<unsigned char>(d[0])) || d.back() == '.';
            if (bad) {
                char* path = lysc_path(node, LYSC_PATH_LOG, nullptr, 0);
                out->emplace_back(path ? path : node->name);
                free(path);
            }
            return LY_SUCCESS;
        },
        &missing);
    CHECK_MESSAGE(missing.empty(), missing.size(), " nodes without Junos-style one-line help, first: ",
                  missing.empty() ? "" : missing.front());
}

TEST_CASE("extensions mark hidden keywords, flattened statements, secrets and owners") {
    for (const char* p : {"/msim-config:interfaces/interface", "/msim-config:groups/group",
                          "/msim-config:system/name-server/server",
                          "/msim-config:firewall/filter/term/from/source-address/address"})
        CHECK_MESSAGE(extension(schema(p), "hide-keyword") != nullptr, p);
    CHECK(extension(schema("/msim-config:security/ipsec/security-association"), "hide-keyword") == nullptr);

    for (const char* p :
         {"/msim-config:security/ipsec/security-association/manual/direction/encryption/key",
          "/msim-config:security/ike/policy/pre-shared-key", "/msim-config:firewall/filter/term/then",
          "/msim-config:interfaces/interface/unit/family", "/msim-config:routing-options/static/route",
          "/msim-config:security/pki/ca-profile/revocation-check/crl/disable"})
        CHECK_MESSAGE(extension(schema(p), "flatten") != nullptr, p);

    for (const char* p :
         {"/msim-config:security/ipsec/security-association/manual/direction/authentication/key/ascii-text",
          "/msim-config:security/ipsec/security-association/manual/direction/encryption/key/hexadecimal",
          "/msim-config:security/ike/policy/pre-shared-key/ascii-text",
          "/msim-config:services/ipsec-vpn/ike/policy/pre-shared-key/hexadecimal",
          "/msim-config:security/pki/auto-re-enrollment/certificate-id/challenge-password",
          "/msim-config:security/pki/ca-profile/revocation-check/crl/url/password",
          "/msim-config:security/certificates/local/certificate-key-string"})
        CHECK_MESSAGE(extension(schema(p), "secret") != nullptr, p);
    CHECK(extension(schema("/msim-config:security/ike/policy/local-certificate"), "secret") == nullptr);

    const std::vector<std::pair<const char*, const char*>> owners{
        {"/msim-config:system", "mgd"},
        {"/msim-config:interfaces", "pfed"},
        {"/msim-config:firewall", "pfed"},
        {"/msim-config:routing-options", "pfed"},
        {"/msim-config:security/ike", "kmd"},
        {"/msim-config:security/traceoptions", "kmd"},
        {"/msim-config:security/ipsec", "ipsecd"},
        {"/msim-config:security/certificates", "pkid"},
        {"/msim-config:security/pki", "pkid"},
        {"/msim-config:services/service-set", "pfed"},
        {"/msim-config:services/ipsec-vpn", "kmd"},
    };
    for (const auto& [path, daemon] : owners) {
        const char* arg = extension(schema(path), "owner");
        REQUIRE_MESSAGE(arg != nullptr, path);
        CHECK_MESSAGE(std::string(arg) == daemon, path);
    }
}

TEST_CASE("defaults are the seeds' defaults") {
    const char* ike = R"(<security xmlns="urn:msim:yang:msim-config"><ike>
        <proposal><name>p</name></proposal><policy><name>10.1.1.1</name></policy></ike></security>)";
    CHECK(default_of(ike, "/msim-config:security/ike/proposal[name='p']/lifetime-seconds") == "3600");
    CHECK(default_of(ike, "/msim-config:security/ike/policy[name='10.1.1.1']/mode") == "main");
    const char* ipsec = R"(<security xmlns="urn:msim:yang:msim-config"><ipsec>
        <proposal><name>p</name></proposal><security-association><name>s</name></security-association>
        </ipsec></security>)";
    CHECK(default_of(ipsec, "/msim-config:security/ipsec/proposal[name='p']/lifetime-seconds") == "28800");
    CHECK(default_of(ipsec, "/msim-config:security/ipsec/security-association[name='s']/mode") == "tunnel");
    const char* certs = R"(<security xmlns="urn:msim:yang:msim-config"><certificates>
        <certification-authority><name>c</name></certification-authority></certificates></security>)";
    CHECK(default_of(certs, "/msim-config:security/certificates/cache-size") == "2097152");
    CHECK(default_of(certs, "/msim-config:security/certificates/cache-timeout-negative") == "20");
    CHECK(default_of(certs, "/msim-config:security/certificates/maximum-certificates") == "1024");
    CHECK(default_of(certs, "/msim-config:security/certificates/path-length") == "15");
    CHECK(default_of(certs, "/msim-config:security/certificates/enrollment-retry") == "0");
    CHECK(
        default_of(certs, "/msim-config:security/certificates/certification-authority[name='c']/encoding") ==
        "binary");
    const char* pki = R"(<security xmlns="urn:msim:yang:msim-config"><pki><ca-profile><name>c</name>
        <ca-identity>c</ca-identity><revocation-check><crl><url><name>http://x/c.crl</name></url></crl>
        </revocation-check></ca-profile></pki></security>)";
    CHECK(default_of(
              pki, "/msim-config:security/pki/ca-profile[name='c']/revocation-check/crl/refresh-interval") ==
          "24");
}

TEST_CASE("user-ordered statements keep the user's order") {
    for (const char* p :
         {"/msim-config:firewall/filter/term", "/msim-config:security/ike/policy/proposals",
          "/msim-config:security/ipsec/policy/proposals", "/msim-config:apply-groups",
          "/msim-config:services/ipsec-vpn/rule/term", "/msim-config:services/service-set/ipsec-vpn-rules"})
        CHECK_MESSAGE((schema(p)->flags & LYS_ORDBY_USER) != 0, p);
    Parsed p = parse_xml(R"(<firewall xmlns="urn:msim:yang:msim-config"><filter><name>f</name>
        <term><name>zz</name><then><accept/></then></term>
        <term><name>aa</name><then><discard/></then></term></filter></firewall>)");
    REQUIRE(p.ok);
    lyd_node* filter = nullptr;
    REQUIRE(lyd_find_path(p.tree.get(), "/msim-config:firewall/filter[name='f']", 0, &filter) == LY_SUCCESS);
    std::vector<std::string> terms;
    for (lyd_node* c = lyd_child(filter); c; c = c->next)
        if (std::string(c->schema->name) == "term")
            terms.emplace_back(lyd_get_value(lyd_child(c)));
    CHECK(terms == std::vector<std::string>{"zz", "aa"});
}

TEST_CASE("the seed example configurations validate and pass every commit check") {
    const auto files = files_in("valid");
    CHECK(files.size() >= 7);
    for (const auto& f : files) {
        CAPTURE(f.filename().string());
        Parsed p = parse_file(f.string());
        REQUIRE_MESSAGE(p.ok, p.errors);
        const auto findings = msim::config::validators::validate(p.tree.get());
        for (const auto& e : findings)
            if (e.severity == msim::config::Severity::error)
                FAIL_CHECK(msim::config::render(e));
        // Only the verbatim seed snippet (no uplink interface) draws a warning.
        const bool verbatim = f.filename().string().find("verbatim") != std::string::npos;
        CHECK(findings.size() == (verbatim ? 1u : 0u));
    }
}

TEST_CASE("each invalid example is refused by libyang with the expected message") {
    const auto files = files_in("invalid");
    CHECK(files.size() >= 60);
    for (const auto& f : files) {
        CAPTURE(f.filename().string());
        const std::string xml = read_file(f.string());
        const auto start = xml.find("<!-- expect: ");
        REQUIRE(start == 0);
        const auto end = xml.find(" -->", start);
        const std::string expected = xml.substr(13, end - 13);
        Parsed p = parse_xml(xml);
        CHECK_FALSE(p.ok);
        CHECK_MESSAGE(p.errors.find(expected) != std::string::npos, "expected '", expected,
                      "', got: ", p.errors);
    }
}

TEST_CASE("every registered check names subtrees that exist in the schema") {
    for (const auto& check : msim::config::validators::checks()) {
        for (std::string_view subtree : check.subtrees) {
            std::string path;
            std::size_t start = 0;
            while (start <= subtree.size()) {
                const std::size_t end = std::min(subtree.find(' ', start), subtree.size());
                path += "/msim-config:" + std::string(subtree.substr(start, end - start));
                start = end + 1;
            }
            CAPTURE(path);
            CHECK(lys_find_path(context(), nullptr, path.c_str(), 0) != nullptr);
        }
    }
}
