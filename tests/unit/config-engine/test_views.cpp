#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "fixture.hpp"
#include "msim/config/commands.hpp"
#include "msim/config/diff.hpp"
#include "msim/config/groups.hpp"
#include "msim/config/load.hpp"
#include "msim/config/text_format.hpp"

using namespace msim::config;

namespace {

const char* kBase = R"(system {
    host-name r1;
    name-server [ 10.0.0.1 10.0.0.2 ];
    login {
        user admin {
            class super-user;
        }
    }
}
interfaces {
    fe-0/0/1 {
        description "LAN side";
        unit 0 {
            family inet {
                address 10.1.1.254/24;
            }
        }
    }
}
security {
    ike {
        proposal p1 {
            authentication-method pre-shared-keys;
        }
        policy 10.6.6.6 {
            proposals p1;
            pre-shared-key ascii-text "$9$FNkC3/t1IcevLuOWx"; ## SECRET-DATA
        }
    }
}
firewall {
    filter f {
        term t1 {
            then accept;
        }
        term t2 {
            then discard;
        }
    }
}
)";

Node base() {
    auto s = test::schema();
    return parse_text(*s, kBase);
}

}  // namespace

TEST_CASE("display set: lines, deactivate, and reload to the same tree") {
    auto s = test::schema();
    Node root = base();
    run_command(*s, root, {}, "deactivate interfaces fe-0/0/1 unit 0");
    run_command(*s, root, {}, "set interfaces fe-0/0/2 disable");
    std::string set = display_set(root);
    CHECK(set.find("set system host-name r1\n") == 0);
    CHECK(set.find("set system name-server 10.0.0.1\nset system name-server 10.0.0.2\n") !=
          std::string::npos);
    CHECK(set.find("set interfaces fe-0/0/1 description \"LAN side\"\n") != std::string::npos);
    CHECK(set.find("set interfaces fe-0/0/1 unit 0 family inet address 10.1.1.254/24\n"
                   "deactivate interfaces fe-0/0/1 unit 0\n") != std::string::npos);
    CHECK(set.find("set security ike policy 10.6.6.6 pre-shared-key ascii-text \"$9$") != std::string::npos);
    CHECK(set.find("set firewall filter f term t1 then accept\n") != std::string::npos);
    CHECK(set.find("set interfaces fe-0/0/2 disable\n") != std::string::npos);

    Node reloaded;
    load_config(*s, reloaded, LoadMode::set, set);
    CHECK(print_text(reloaded) == print_text(root));
    CHECK(compare(root, reloaded).empty());

    // A subtree with its full path.
    const Node* ike = find_path(*s, root, {"security", "ike"});
    REQUIRE(ike);
    CHECK(display_set(*ike).find("set security ike proposal p1 authentication-method pre-shared-keys\n") ==
          0);
}

TEST_CASE("compare: additions, removals, changes, banners and indentation") {
    auto s = test::schema();
    Node old_root = base();
    Node cand(old_root);
    run_command(*s, cand, {}, "set system domain-name example.net");
    run_command(*s, cand, {}, "set system login user admin class read-only");
    run_command(*s, cand, {}, "delete interfaces fe-0/0/1 description");
    run_command(*s, cand, {}, "set routing-options static route 0.0.0.0/0 next-hop 10.1.1.1");
    run_command(*s, cand, {}, "delete firewall filter f term t2");
    run_command(*s, cand, {}, "set firewall filter f term t3 then accept");
    CHECK(compare(old_root, cand) ==
          "[edit system]\n"
          "+  domain-name example.net;\n"
          "[edit system login user admin]\n"
          "-    class super-user;\n"
          "+    class read-only;\n"
          "[edit interfaces fe-0/0/1]\n"
          "-    description \"LAN side\";\n"
          "[edit firewall filter f]\n"
          "     term t1 { ... }\n"
          "-    term t2 {\n"
          "-        then discard;\n"
          "-    }\n"
          "+    term t3 {\n"
          "+        then accept;\n"
          "+    }\n"
          "[edit]\n"
          "+  routing-options {\n"
          "+      static {\n"
          "+          route 0.0.0.0/0 next-hop 10.1.1.1;\n"
          "+      }\n"
          "+  }\n");
    CHECK(compare(old_root, old_root).empty());

    // Order changes in an ordered-by-user list, and inactive marks.
    Node moved(old_root);
    run_command(*s, moved, {}, "insert firewall filter f term t2 before term t1");
    run_command(*s, moved, {}, "deactivate system login");
    const std::string d = compare(old_root, moved);
    CHECK(d.find("[edit system]\n!  inactive: login { ... }\n") != std::string::npos);
    CHECK(d.find("[edit firewall filter f]\n") != std::string::npos);
}

TEST_CASE("load patch applies compare output back") {
    auto s = test::schema();
    Node old_root = base();
    Node cand(old_root);
    run_command(*s, cand, {}, "set system domain-name example.net");
    run_command(*s, cand, {}, "set system login user admin class read-only");
    run_command(*s, cand, {}, "delete interfaces fe-0/0/1 description");
    run_command(*s, cand, {}, "delete system name-server 10.0.0.2");
    run_command(*s, cand, {}, "set routing-options static route 0.0.0.0/0 next-hop 10.1.1.1");
    run_command(*s, cand, {}, "delete firewall filter f term t2");
    const std::string patch = compare(old_root, cand);
    Node target(old_root);
    load_config(*s, target, LoadMode::patch, patch);
    CHECK(print_text(target) == print_text(cand));
    CHECK_THROWS_AS(load_config(*s, target, LoadMode::patch, "+ junk\n"), ConfigError);
}

TEST_CASE("load merge, override, replace, update; all-or-nothing") {
    auto s = test::schema();
    Node root = base();
    load_config(*s, root, LoadMode::merge, "system { host-name r2; domain-name x.net; }");
    CHECK(print_text(root).find("host-name r2;\n    domain-name x.net;") != std::string::npos);
    CHECK(print_text(root).find("interfaces {") != std::string::npos);

    load_config(*s, root, LoadMode::replace, "system { replace: login { user bob { class operator; } } }");
    CHECK(print_text(root).find("user admin") == std::string::npos);
    CHECK(print_text(root).find("user bob") != std::string::npos);
    CHECK(print_text(root).find("host-name r2;") != std::string::npos);

    // merge ignores replace: but honours delete:
    load_config(*s, root, LoadMode::merge,
                "system { replace: login { user carol { class operator; } } delete: host-name; }");
    CHECK(print_text(root).find("user bob") != std::string::npos);
    CHECK(print_text(root).find("user carol") != std::string::npos);
    CHECK(print_text(root).find("host-name") == std::string::npos);

    // relative load
    LoadOptions rel;
    rel.edit_path = {"interfaces", "fe-0/0/1"};
    load_config(*s, root, LoadMode::merge, "mtu 1500;", rel);
    CHECK(print_text(root).find("        mtu 1500;\n") != std::string::npos);

    const std::string before = print_text(root);
    CHECK_THROWS_AS(load_config(*s, root, LoadMode::merge, "system { host-name r9; }\nbogus;"), ConfigError);
    CHECK_THROWS_AS(load_config(*s, root, LoadMode::override, "system { host-name r9; "), ConfigError);
    CHECK_THROWS_AS(load_config(*s, root, LoadMode::set, "set system host-name r9\nset system nope 1\n"),
                    ConfigError);
    CHECK(print_text(root) == before);

    try {
        load_config(*s, root, LoadMode::set, "set system host-name r9\n\nset interfaces fe-0/0/0 mtu 9228\n");
        FAIL("expected an error");
    } catch (const ConfigError& e) {
        CHECK(e.line == 3);
        CHECK(e.column == 29);
        CHECK(e.message == "Value 9228 is not within range (256..9192) at '9228'");
    }
    auto w = load_config(*s, root, LoadMode::set, "delete system domain-name\ndelete system domain-name\n");
    CHECK(w.warnings == std::vector<std::string>{"warning: statement not found"});

    load_config(*s, root, LoadMode::override, "system { host-name fresh; }");
    CHECK(print_text(root) == "system {\n    host-name fresh;\n}\n");
    load_config(*s, root, LoadMode::update, "system { host-name fresher; }");
    CHECK(print_text(root) == "system {\n    host-name fresher;\n}\n");
}

TEST_CASE("load FILE: a directory, a missing file are refused; a file is read whole") {
    const auto dir = std::filesystem::temp_directory_path() / "msim-read-config-file-test";
    std::filesystem::create_directories(dir);
    auto message_of = [](const std::string& path) {
        try {
            read_config_file(path);
        } catch (const ConfigError& e) {
            return e.message;
        }
        return std::string("no error");
    };
    // A directory opens and reads as nothing: it must not become an empty configuration (load override).
    CHECK(message_of(dir.string()) == "error: Could not open configuration file: " + dir.string());
    CHECK(message_of((dir / "missing.conf").string()) ==
          "error: Could not open configuration file: " + (dir / "missing.conf").string());
    const auto file = dir / "a.conf";
    std::ofstream(file, std::ios::binary) << "system {\n    host-name x;\n}\n";
    CHECK(read_config_file(file.string()) == "system {\n    host-name x;\n}\n");
    std::ofstream(dir / "empty.conf").flush();
    CHECK(read_config_file((dir / "empty.conf").string()).empty());
    std::filesystem::remove_all(dir);
}

TEST_CASE("groups: expansion with priorities, wildcards, inactive dropped") {
    auto s = test::schema();
    const char* text = R"(groups {
    COMMON {
        system {
            host-name from-group;
            domain-name example.net;
            name-server 10.9.9.9;
        }
        interfaces {
            <fe-*> {
                description "fast ethernet";
                mtu 1500;
            }
        }
    }
    LATE {
        system {
            domain-name late.net;
            login {
                user ops {
                    class operator;
                }
            }
        }
    }
    DEEP {
        interfaces {
            fe-0/0/1 {
                mtu 9000;
            }
        }
    }
}
apply-groups [ COMMON LATE ];
system {
    host-name r1;
    inactive: ntp {
        server 10.1.1.1;
    }
}
interfaces {
    fe-0/0/1 {
        apply-groups DEEP;
        unit 0;
    }
    ge-0/0/0 {
        unit 0;
    }
}
)";
    Node root = parse_text(*s, text);
    Node ex = expand_groups(root);
    CHECK(print_text(ex) ==
          "system {\n    host-name r1;\n    domain-name example.net;\n    name-server 10.9.9.9;\n"
          "    login {\n        user ops {\n            class operator;\n        }\n    }\n}\n"
          "interfaces {\n    fe-0/0/1 {\n        description \"fast ethernet\";\n        mtu 9000;\n"
          "        unit 0;\n    }\n    ge-0/0/0 {\n        unit 0;\n    }\n}\n");
    // The candidate itself is untouched.
    CHECK(print_text(root) == text);
    PrintOptions inh;
    inh.inheritance = true;
    const std::string shown = print_text(ex, inh);
    CHECK(shown.find(
              "    host-name r1;\n    ##\n    ## 'domain-name' was inherited from group 'COMMON'\n    ##\n"
              "    domain-name example.net;\n") != std::string::npos);
    CHECK(shown.find("        ##\n        ## 'mtu' was inherited from group 'DEEP'\n        ##\n        mtu "
                     "9000;\n") != std::string::npos);
    CHECK(shown.find("## 'ops' was inherited from group 'LATE'") != std::string::npos);

    Node bad = parse_text(*s, "apply-groups NOPE; system { host-name r1; }");
    CHECK_THROWS_AS(expand_groups(bad), ConfigError);
}

TEST_CASE("changes: created, modified and deleted statements grouped by owner") {
    auto s = test::schema();
    Node old_root = base();
    Node cand(old_root);
    run_command(*s, cand, {}, "set system host-name r2");
    run_command(*s, cand, {}, "set interfaces fe-0/0/2 unit 0");
    run_command(*s, cand, {}, "delete security ike proposal p1");
    run_command(*s, cand, {}, "set security ike policy 10.6.6.6 mode aggressive");
    auto all = changes(old_root, cand);
    REQUIRE(all.size() == 4);
    CHECK(all[0].kind == Change::Kind::modified);
    CHECK(all[0].path == std::vector<std::string>{"system", "host-name"});
    CHECK(all[0].old_node->values().front() == "r1");
    CHECK(all[1].kind == Change::Kind::created);
    CHECK(all[1].path == std::vector<std::string>{"interfaces", "fe-0/0/2"});
    CHECK(all[2].kind == Change::Kind::created);
    CHECK(all[2].path == std::vector<std::string>{"security", "ike", "policy", "10.6.6.6", "mode"});
    CHECK(all[3].kind == Change::Kind::deleted);
    CHECK(all[3].path == std::vector<std::string>{"security", "ike", "proposal", "p1"});
    auto by = changes_by_owner(*s, old_root, cand);
    CHECK(by["mgd"].size() == 1);
    CHECK(by["pfed"].size() == 1);
    CHECK(by["kmd"].size() == 2);
    CHECK(changes(old_root, old_root).empty());
}

TEST_CASE("compare: context line for an entry inserted in an ordered list, and patch places it") {
    auto s = test::schema();
    Node old_root = base();
    Node cand(old_root);
    run_command(*s, cand, {}, "set firewall filter f term t15 then accept");
    run_command(*s, cand, {}, "insert firewall filter f term t15 after term t1");
    const std::string d = compare(old_root, cand);
    CHECK(d ==
          "[edit firewall filter f]\n     term t1 { ... }\n+    term t15 {\n+        then accept;\n+    }\n");
    Node target(old_root);
    load_config(*s, target, LoadMode::patch, d);
    CHECK(print_text(target) == print_text(cand));
}

TEST_CASE("compare: a moved entry of an ordered list round-trips through patch") {
    auto s = test::schema();
    Node old_root = base();
    run_command(*s, old_root, {}, "set firewall filter f term t3 then accept");
    Node cand(old_root);
    run_command(*s, cand, {}, "insert firewall filter f term t1 after term t2");  // t2 t1 t3
    const std::string d = compare(old_root, cand);
    Node target(old_root);
    load_config(*s, target, LoadMode::patch, d);
    CHECK(print_text(target) == print_text(cand));
}
