#include <doctest/doctest.h>

#include <chrono>

#include "fixture.hpp"
#include "msim/config/commands.hpp"
#include "msim/config/text_format.hpp"

using namespace msim::config;

namespace {

struct Session {
    std::shared_ptr<const Schema> s = test::schema();
    Node root;
    std::vector<std::string> edit;

    CommandResult run(const std::string& line) { return run_command(*s, root, edit, line); }
    ConfigError fail(const std::string& line) {
        Node before(root);
        try {
            run_command(*s, root, edit, line);
        } catch (const ConfigError& e) {
            CHECK(print_text(root) == print_text(before));  // unchanged on error
            return e;
        }
        FAIL("no error for: " << line);
        return ConfigError("");
    }
    std::string show() const { return print_text(root); }
};

}  // namespace

TEST_CASE("set: creates statements with prefixes, values and schema order") {
    Session t;
    t.run("set system host-name r1");
    t.run("set sys domain-name example.net");
    t.run("set interfaces fe-0/0/1 unit 0 family inet address 10.1.1.254/24");
    t.run("set interfaces fe-0/0/1 description \"to LAN\"");
    t.run("set security ike policy 10.6.6.6 proposals [ p1 p2 ]");
    t.run("set security ike policy 10.6.6.6 mode aggr");
    CHECK(t.show() ==
          "system {\n    host-name r1;\n    domain-name example.net;\n}\n"
          "interfaces {\n    fe-0/0/1 {\n        description \"to LAN\";\n        unit 0 {\n"
          "            family inet {\n                address 10.1.1.254/24;\n            }\n        }\n    "
          "}\n}\n"
          "security {\n    ike {\n        policy 10.6.6.6 {\n            mode aggressive;\n"
          "            proposals [ p1 p2 ];\n        }\n    }\n}\n");
}

TEST_CASE("set: relative to an edit path, and resolve_edit_path") {
    Session t;
    t.edit = resolve_edit_path(*t.s, {}, "secu ipsec security-association sa1");
    CHECK(t.edit == std::vector<std::string>{"security", "ipsec", "security-association", "sa1"});
    t.run("set manual direction bidirectional spi 2312");
    t.run("set manual direction bidirectional authentication key ascii-text 1234123412341234");
    t.edit.clear();
    const std::string out = t.show();
    CHECK(out.find("spi 2312;") != std::string::npos);
    CHECK(out.find("key ascii-text \"$9$") != std::string::npos);
    CHECK(out.find("1234123412341234") == std::string::npos);
    // Switching the case of a choice replaces the other case.
    t.run(
        "set security ipsec security-association sa1 manual direction bidirectional authentication key "
        "hexadecimal 0011");
    CHECK(t.show().find("ascii-text") == std::string::npos);
    CHECK(t.show().find("key hexadecimal \"$9$") != std::string::npos);
    CHECK_THROWS_AS(resolve_edit_path(*t.s, {}, "system host-name"), ConfigError);
}

TEST_CASE("find_leaf_statement: show of a leaf or leaf-list, relative and abbreviated") {
    Session t;
    t.run("set system host-name r1");
    t.run("set system name-server 10.0.0.1");
    t.run("set system name-server 10.0.0.2");
    const Node* leaf = find_leaf_statement(*t.s, t.root, {}, "sys host-name");
    REQUIRE(leaf != nullptr);
    CHECK(print_statement(*leaf) == "host-name r1;\n");
    leaf = find_leaf_statement(*t.s, t.root, {"system"}, "name-server");
    REQUIRE(leaf != nullptr);
    CHECK(print_statement(*leaf) == "name-server [ 10.0.0.1 10.0.0.2 ];\n");
    CHECK(find_leaf_statement(*t.s, t.root, {}, "system domain-name") == nullptr);  // not configured
    CHECK_THROWS_AS(find_leaf_statement(*t.s, t.root, {}, "system"), ConfigError);  // not a leaf
    CHECK_THROWS_AS(find_leaf_statement(*t.s, t.root, {}, "system host-nameX"), ConfigError);
    CHECK_THROWS_AS(find_leaf_statement(*t.s, t.root, {}, "system host-name r1 extra"), ConfigError);
}

TEST_CASE("set: Junos errors with word index and caret offset") {
    Session t;
    auto e = t.fail("set system services nestconf ssh");
    CHECK(e.message == "syntax error.");
    CHECK(e.word_index == 2);
    CHECK(e.offset == 11);

    e = t.fail("set interfaces");
    CHECK(e.message == "missing argument.");
    CHECK(e.word_index == 2);
    CHECK(e.offset == 15);

    e = t.fail("set interfaces fe-0/0/0 mtu 9228");
    CHECK(e.message == "Value 9228 is not within range (256..9192) at '9228'");
    CHECK(e.word_index == 4);
    CHECK(e.offset == 28);

    e = t.fail("set interfaces fe-0/0/0 mtu big");
    CHECK(e.message == "invalid numeric value: 'big'");

    e = t.fail("set security i");
    CHECK(e.message == "'i' is ambiguous.");
    CHECK(e.possible == std::vector<std::string>{"ike", "ipsec"});
    CHECK(e.offset == 13);

    e = t.fail("set security ike proposal p1 dh-group group7");
    CHECK(e.message == "syntax error.");
    CHECK(e.word_index == 6);

    e = t.fail("set system host-name");
    CHECK(e.message == "missing argument.");
    e = t.fail("set security ike policy p proposals [ ]");
    CHECK(e.message == "missing argument.");
    e = t.fail("set system host-name a b");
    CHECK(e.message == "syntax error.");
    CHECK(e.word_index == 4);
    e = t.fail("set interfaces fe-0/0/0 disable now");
    CHECK(e.word_index == 4);
    e = t.fail("set interfaces bogus0 mtu 1500");
    CHECK(e.message == "invalid value: 'bogus0'");
    CHECK(e.word_index == 2);
    e = t.fail("set groups G groups H system host-name x");  // no groups within a group
    CHECK(e.word_index == 3);
    t.run("set groups G system host-name x");
    t.run("delete groups");
    e = t.fail("sett system");
    CHECK(e.word_index == 0);
    e = t.fail(
        "set security ipsec security-association s manual direction inbound authentication key ascii-text "
        "$9$!!");
    CHECK(e.message == "invalid encrypted secret.");
    CHECK_THROWS_AS(t.run("set system host-name \"unterminated"), ConfigError);
}

TEST_CASE("delete, activate, deactivate, annotate with warnings") {
    Session t;
    t.run("set system host-name r1");
    t.run("set system name-server 10.0.0.1");
    t.run("set system name-server 10.0.0.2");
    CHECK(t.run("delete system domain-name").warnings ==
          std::vector<std::string>{"warning: statement not found"});
    CHECK(t.run("delete system name-server 10.0.0.1").warnings.empty());
    CHECK(t.show() == "system {\n    host-name r1;\n    name-server 10.0.0.2;\n}\n");
    CHECK(t.run("delete system name-server 10.9.9.9").warnings.size() == 1);
    CHECK(t.run("delete system host-name r2").warnings.size() == 1);  // different value
    t.run("delete system host-name");
    t.run("delete system name-server");
    CHECK(t.show().empty());  // empty containers go away

    t.run("set system ntp server 10.1.1.1");
    CHECK(t.run("deactivate system ntp").warnings.empty());
    CHECK(t.run("deactivate system ntp").warnings ==
          std::vector<std::string>{"warning: statement already inactive"});
    t.run("annotate system \"main system block\"");
    CHECK(t.show() ==
          "/* main system block */\nsystem {\n    inactive: ntp {\n        server 10.1.1.1;\n    }\n}\n");
    CHECK(t.run("activate system ntp").warnings.empty());
    CHECK(t.run("activate system ntp").warnings ==
          std::vector<std::string>{"warning: statement not inactive"});
    CHECK(t.run("deactivate system host-name").warnings ==
          std::vector<std::string>{"warning: statement not found"});
    auto e = t.fail("annotate system domain-name \"x\"");
    CHECK(e.message == "error: statement not found");

    t.run("set security ike policy a mode main");
    t.run("set security ike policy b mode main");
    t.run("delete security ike policy");
    CHECK(t.show().find("policy") == std::string::npos);
    t.edit = {"system"};
    t.run("delete");
    t.edit.clear();
    CHECK(t.show().empty());
}

TEST_CASE("rename, copy, insert, wildcard delete") {
    Session t;
    t.run("set interfaces ge-0/0/0 unit 0 description a");
    t.run("rename interfaces ge-0/0/0 unit 0 to unit 1");
    CHECK(t.show().find("unit 1 {") != std::string::npos);
    CHECK(t.fail("rename interfaces ge-0/0/0 unit 5 to unit 6").message == "error: statement not found");
    t.run("copy interfaces ge-0/0/0 to ge-0/0/1");
    t.run("copy interfaces ge-0/0/0 to ge-0/0/2");
    CHECK(t.fail("copy interfaces ge-0/0/0 to ge-0/0/1").message == "error: target statement already exists");
    CHECK(t.show().find("ge-0/0/1 {\n        unit 1 {\n            description a;") != std::string::npos);

    t.run("set firewall filter f term t1 then accept");
    t.run("set firewall filter f term t2 then discard");
    t.run("set firewall filter f term t3 then accept");
    t.run("insert firewall filter f term t3 before term t1");
    const std::string out = t.show();
    CHECK(out.find("term t3") < out.find("term t1"));
    CHECK(out.find("term t1") < out.find("term t2"));
    t.run("insert firewall filter f term t3 after term t2");
    CHECK(t.show().find("term t2") < t.show().find("term t3"));
    CHECK(t.fail("insert firewall filter f term t9 after term t2").message == "error: statement not found");

    t.run("set security ike policy p proposals [ a b c ]");
    t.run("insert security ike policy p proposals c before a");
    CHECK(t.show().find("proposals [ c a b ];") != std::string::npos);

    auto r = t.run("wildcard delete interfaces ge-0/0/[12]");
    CHECK(r.lines == std::vector<std::string>{"  matched: ge-0/0/1", "  matched: ge-0/0/2"});
    CHECK(t.show().find("ge-0/0/1") == std::string::npos);
    CHECK(t.show().find("ge-0/0/0") != std::string::npos);
    CHECK(t.run("wildcard delete interfaces xe-.*").warnings.size() == 1);
    CHECK(t.fail("wildcard delete interfaces (").message == "invalid regular expression.");
}

TEST_CASE("completions: keywords, markers, help, configured names, enums") {
    Session t;
    t.run("set interfaces fe-0/0/1 description \"Comcast Gigabit Pro\"");
    auto c = completions(*t.s, t.root, {}, "set security i");
    REQUIRE(c.size() == 2);
    CHECK(c[0].marker == '>');
    CHECK(c[0].name == "ike");
    CHECK(c[0].help == "IKE configuration");
    auto top = completions(*t.s, t.root, {}, "set ");
    bool has_apply = false, has_system = false;
    for (auto& x : top) {
        if (x.name == "apply-groups")
            has_apply = x.marker == '+';
        if (x.name == "system")
            has_system = x.marker == '>';
    }
    CHECK(has_apply);
    CHECK(has_system);
    auto ifs = completions(*t.s, t.root, {}, "set interfaces ");
    REQUIRE(ifs.size() >= 2);
    CHECK(ifs[0].name == "<name>");
    CHECK(ifs[1].name == "fe-0/0/1");
    CHECK(ifs[1].help == "Comcast Gigabit Pro");
    auto mode = completions(*t.s, t.root, {}, "set security ike policy p mode ");
    REQUIRE(mode.size() == 2);
    CHECK(mode[0].name == "main");
    auto sys = completions(*t.s, t.root, {"system"}, "set n");
    REQUIRE(sys.size() == 2);
    CHECK(sys[0].name == "name-server");
    CHECK(sys[0].marker == '+');
    CHECK(completions(*t.s, t.root, {}, "set bogus ").empty());
    CHECK(format_completions(
              {{'>', "ike", "IKE configuration"},
               {'>', "multicast-snooping-options", "Multicast snooping option configuration"}}) ==
          "Possible completions:\n> ike                  IKE configuration\n"
          "> multicast-snooping-options  Multicast snooping option configuration\n");
    CHECK(format_completions({}) == "No valid completions\n");

    // Completion stays fast with many configured names.
    for (int i = 0; i < 2000; ++i)
        t.run("set security ike policy 10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) +
              " mode main");
    auto start = std::chrono::steady_clock::now();
    auto many = completions(*t.s, t.root, {}, "set security ike policy 10.0.1.");
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
                  .count();
    CHECK(many.size() == 251);
    CHECK(us < 20000);
}

TEST_CASE("set: several statements of one level in one command, as Junos takes them") {
    auto s = Schema::load(MSIM_YANG_DIR);
    Node root;
    run_command(*s, root, {}, "set security traceoptions file kmd files 3 size 1m");
    run_command(*s, root, {}, "set routing-options static route 10.2.2.0/24 next-hop 10.5.5.6 preference 7");
    run_command(*s, root, {}, "set routing-options static route 10.3.3.0/24 next-hop [ 10.5.5.6 10.5.5.7 ]");
    run_command(
        *s, root, {},
        "set security ipsec security-association sa1 manual direction bidirectional protocol esp spi 2312 "
        "encryption algorithm 3des-cbc key ascii-text 123456789012345678901234");
    const std::string text = print_text(root);
    CHECK(text.find("file kmd {\n            files 3;\n            size 1m;") != std::string::npos);
    CHECK(text.find("next-hop 10.5.5.6;\n            preference 7;") != std::string::npos);
    CHECK(text.find("route 10.3.3.0/24 next-hop [ 10.5.5.6 10.5.5.7 ];") != std::string::npos);
    CHECK(text.find("spi 2312;") != std::string::npos);
    CHECK(text.find("algorithm 3des-cbc;") != std::string::npos);
    // A bad word anywhere: an error at that word, and nothing of the command is set.
    const std::string before = print_text(root);
    try {
        run_command(*s, root, {}, "set security traceoptions file other files 4 bogus 1m");
        FAIL("expected an error");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()).find("syntax error") != std::string::npos);
        CHECK(e.word_index == 7);
    }
    CHECK(print_text(root) == before);
}
