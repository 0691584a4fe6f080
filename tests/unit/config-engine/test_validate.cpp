#include <doctest/doctest.h>

#include <libyang/libyang.h>

#include <cstring>
#include <filesystem>

#include "fixture.hpp"
#include "msim/config/groups.hpp"
#include "msim/config/text_format.hpp"
#include "msim/config/validate.hpp"

using namespace msim::config;

namespace {
Validation check(const char* text) {
    auto s = test::schema();
    return validate(*s, expand_groups(parse_text(*s, text)));
}
}  // namespace

TEST_CASE("validate: a valid configuration gives a data tree with defaults and clear-text secrets") {
    auto v = check(R"(
security {
    ike {
        proposal p1 { authentication-method pre-shared-keys; }
        policy 10.6.6.6 { proposals p1; pre-shared-key ascii-text "$9$FNkC3/t1IcevLuOWx"; }
    }
}
firewall { filter f { term t { then accept; } } }
interfaces { fe-0/0/1 { unit 0 { family inet { filter { input f; } } } } }
)");
    for (auto& e : v.errors)
        MESSAGE(render(e));
    REQUIRE(v.ok());
    REQUIRE(v.tree);
    lyd_node* life = nullptr;
    REQUIRE(lyd_find_path(v.tree.get(), "/msim-config:security/ike/proposal[name='p1']/lifetime-seconds", 0,
                          &life) == LY_SUCCESS);
    CHECK(std::strcmp(lyd_get_value(life), "3600") == 0);
    lyd_node* psk = nullptr;
    REQUIRE(lyd_find_path(v.tree.get(),
                          "/msim-config:security/ike/policy[name='10.6.6.6']/pre-shared-key/ascii-text", 0,
                          &psk) == LY_SUCCESS);
    CHECK(std::strcmp(lyd_get_value(psk), "hello") == 0);
}

TEST_CASE("validate: libyang findings in the Junos commit error shape") {
    auto v = check("security { ike { policy 10.6.6.6 { proposals nope; } } }");
    REQUIRE(v.errors.size() == 1);
    CHECK(v.errors[0].edit_path == std::vector<std::string>{"security", "ike", "policy", "10.6.6.6"});
    CHECK(v.errors[0].statement == "proposals nope");
    CHECK(v.errors[0].message == "Referenced proposal 'nope' is not defined");
    CHECK(render(v.errors[0]) ==
          "[edit security ike policy 10.6.6.6]\n  'proposals nope'\n    Referenced proposal 'nope' is not "
          "defined\n");

    v = check("interfaces { fe-0/0/1 { unit 0 { family inet { filter { input missing; } } } } }");
    REQUIRE(v.errors.size() == 1);
    CHECK(v.errors[0].edit_path ==
          std::vector<std::string>{"interfaces", "fe-0/0/1", "unit", "0", "family", "inet", "filter"});
    CHECK(v.errors[0].message == "Referenced filter 'missing' is not defined");

    v = check(
        "security { ipsec { security-association sa1 { manual { direction inbound { protocol esp; } } } } }");
    REQUIRE(!v.errors.empty());
    CHECK(v.errors[0].message == "Missing mandatory statement: 'spi'");
    CHECK(v.errors[0].edit_path == std::vector<std::string>{"security", "ipsec", "security-association",
                                                            "sa1", "manual", "direction", "inbound"});

    v = check("security { ipsec { security-association sa1 { manual; } } }");
    REQUIRE(!v.errors.empty());
    CHECK(v.errors[0].message == "Either authentication or encryption must be configured");
    CHECK(v.errors[0].statement == "manual");

    // A value libyang refuses while the tree is built (interface name pattern; the parser would refuse it
    // too, so the tree is built by hand).
    {
        auto s = test::schema();
        Node root;
        const SchemaNode* ifs = s->find_child(s->root(), "interfaces").node;
        Node* in = root.add(std::make_unique<Node>(ifs, std::vector<std::string>{}));
        in->add(std::make_unique<Node>(ifs->hidden_list, std::vector<std::string>{"bogus0"}));
        v = validate(*s, root);
        REQUIRE(v.errors.size() == 1);
        CHECK(v.errors[0].edit_path == std::vector<std::string>{"interfaces"});
        CHECK(v.errors[0].statement == "bogus0");
    }

    // Inactive statements are not validated.
    v = check("security { ike { inactive: policy 10.6.6.6 { proposals nope; } } }");
    CHECK(v.ok());
}

TEST_CASE("validate: the project schema in config-engine/yang loads and maps the seed configuration") {
    if (!std::filesystem::exists(std::string(MSIM_YANG_DIR) + "/msim-config.yang"))
        return;
    auto s = Schema::load(MSIM_YANG_DIR);
    Node root = parse_text(*s, R"(
security {
    ipsec {
        security-association manual-sa1 {
            manual {
                direction bidirectional {
                    protocol esp;
                    spi 2312;
                    authentication {
                        algorithm hmac-md5-96;
                        key ascii-text 1234123412341234;
                    }
                    encryption {
                        algorithm 3des-cbc;
                        key ascii-text 123456789009876543211234;
                    }
                }
            }
        }
    }
}
interfaces {
    es-0/1/0 {
        unit 0 {
            tunnel { source 10.5.5.5; destination 10.6.6.6; }
            family inet { ipsec-sa manual-sa1; address 10.1.1.8/32 { destination 10.1.1.9; } }
        }
    }
}
)");
    const std::string out = print_text(root);
    CHECK(out.find("family inet {") != std::string::npos);
    CHECK(out.find("key ascii-text \"$9$") != std::string::npos);
    CHECK(print_text(parse_text(*s, out)) == out);
}
