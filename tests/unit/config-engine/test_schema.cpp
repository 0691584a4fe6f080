#include <doctest/doctest.h>

#include <chrono>

#include "fixture.hpp"

using namespace msim::config;

TEST_CASE("schema: keywords, prefixes, ambiguity and extensions") {
    auto s = test::schema();
    const SchemaNode& root = s->root();
    auto sec = s->find_child(root, "security");
    REQUIRE(sec.node);
    CHECK(sec.node->kind == NodeKind::container);
    CHECK(s->find_child(root, "secu").node == sec.node);
    auto amb = s->find_child(*sec.node, "i");
    CHECK(amb.node == nullptr);
    REQUIRE(amb.candidates.size() == 2);
    CHECK(amb.candidates[0]->name == "ike");
    CHECK(amb.candidates[1]->name == "ipsec");
    CHECK(s->find_child(root, "secu", false).node == nullptr);

    auto ifs = s->find_child(root, "interfaces").node;
    REQUIRE(ifs);
    REQUIRE(ifs->hidden_list);
    CHECK(ifs->hidden_list->name == "interface");
    CHECK(ifs->hidden_list->keys == std::vector<std::string>{"name"});
    auto mtu = s->find_child(*ifs->hidden_list, "mtu").node;
    REQUIRE(mtu);
    CHECK(mtu->type.base == ValueType::Base::integer);
    CHECK(mtu->type.range_text == "256..9192");

    auto ike = s->find_child(*sec.node, "ike").node;
    auto policy = s->find_child(*ike, "policy").node;
    auto psk = s->find_child(*policy, "pre-shared-key").node;
    REQUIRE(psk);
    CHECK(psk->flatten);
    auto ascii = s->find_child(*psk, "ascii-text").node;
    REQUIRE(ascii);
    CHECK(ascii->secret);
    CHECK(ascii->choice != nullptr);
    CHECK(s->find_child(*policy, "proposals").node->ordered_by_user);
    CHECK(s->find_child(*policy, "mode").node->default_value == "main");
    CHECK(s->find_child(*ike, "proposal").node->description == "Define an IKE proposal");
    REQUIRE(s->find_child(root, "apply-groups").node);
    CHECK(s->find_child(root, "apply-groups").node->kind == NodeKind::leaf_list);
    CHECK(s->find_child(*sec.node, "apply-groups").node == &s->apply_groups_node());
    CHECK(s->find_child(root, "groups").node == &s->groups_node());
}

TEST_CASE("schema: owner_of follows msim:owner") {
    auto s = test::schema();
    CHECK(s->owner_of({"interfaces", "fe-0/0/1", "unit", "0"}) == "pfed");
    CHECK(s->owner_of({"security", "ike", "policy", "p1"}) == "kmd");
    CHECK(s->owner_of({"security", "ipsec"}) == "ipsecd");
    CHECK(s->owner_of({"system", "host-name"}) == "mgd");
}

TEST_CASE("schema: msim:reader adds readers, inherited, never the owner") {
    auto s = test::schema();
    auto [owner, readers] = s->owner_and_readers({"security", "ipsec", "policy", "p1"});
    CHECK(owner == "ipsecd");
    CHECK(readers == std::vector<std::string>{"kmd"});
    std::tie(owner, readers) = s->owner_and_readers({"firewall", "filter", "f1", "term", "t1"});
    CHECK(owner == "pfed");
    CHECK(readers == std::vector<std::string>{"kmd"});
    std::tie(owner, readers) = s->owner_and_readers({"security", "ike", "policy", "10.1.1.1"});
    CHECK(owner == "kmd");
    CHECK(readers.empty());
    CHECK(s->owner_and_readers({"interfaces", "fe-0/0/1"}).second.empty());
}

TEST_CASE("schema: value checks give Junos wording") {
    ValueType t;
    t.base = ValueType::Base::integer;
    t.unsigned_ranges = {{256, 9192}};
    t.range_text = "256..9192";
    std::string v = "9228";
    CHECK(check_value(t, v) == "Value 9228 is not within range (256..9192)");
    v = "1500";
    CHECK(check_value(t, v).empty());
    v = "abc";
    CHECK(check_value(t, v) == "invalid numeric value: 'abc'");
    v = "99999999999999999999999";
    CHECK(check_value(t, v).find("not within range") != std::string::npos);
    ValueType e;
    e.base = ValueType::Base::enumeration;
    e.enums = {"main", "aggressive", "agile"};
    v = "ma";
    CHECK(check_value(e, v).empty());
    CHECK(v == "main");
    v = "ag";
    CHECK(check_value(e, v) == "'ag' is ambiguous.");
    v = "x";
    CHECK(check_value(e, v) == "invalid value: 'x'");
}

TEST_CASE("schema: keyword lookup is fast") {
    auto s = test::schema();
    const SchemaNode& root = s->root();
    auto start = std::chrono::steady_clock::now();
    size_t found = 0;
    for (int i = 0; i < 100000; ++i)
        found += s->find_child(root, i % 2 ? "secu" : "interfaces").node != nullptr;
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
                  .count();
    CHECK(found == 100000);
    CHECK(us < 200000);  // 2 us per lookup, generous for debug/sanitizer builds
}
