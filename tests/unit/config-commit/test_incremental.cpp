// The incremental commit machinery against its full counterpart, on the project schema:
// - ChangeSet::between following the change marks finds exactly what the full comparison finds, and
//   applying it to the old tree gives the new one (undo gives the old one back);
// - LiveDataTree, patched with a change set, gives libyang's verdict on the whole new configuration and
//   the very tree a full validation builds (defaults, order, flags), for named cases that break a
//   reference or a `must` elsewhere and for a long random walk of edits;
// - the C++ checks a change can concern (validators::reads).
#include <doctest/doctest.h>
#include <libyang/libyang.h>

#include <fstream>
#include <functional>
#include <random>

#include "msim/config/change_set.hpp"
#include "msim/config/commands.hpp"
#include "msim/config/live_data_tree.hpp"
#include "msim/config/load.hpp"
#include "msim/config/text_format.hpp"
#include "msim/config/validate.hpp"
#include "msim/config/validators.hpp"

using namespace msim::config;

namespace {

std::shared_ptr<const Schema> schema() {
    static auto s = Schema::load(MSIM_YANG_DIR);
    return s;
}

// An ES PIC gateway: references from interfaces and firewall terms to SAs and filters, IKE policies to
// proposals, an SA to an IPsec policy, defaults (mode, lifetimes), musts (route, manual directions).
const char* const base_text = R"(system {
    host-name gw;
}
interfaces {
    fe-0/0/0 {
        unit 0 {
            family inet {
                address 10.5.5.5/30;
                filter {
                    input f1;
                }
            }
        }
    }
    es-0/1/0 {
        unit 0 {
            tunnel {
                source 10.5.5.5;
                destination 10.6.6.6;
            }
            family inet {
                ipsec-sa sa1;
            }
        }
    }
}
routing-options {
    static {
        route 10.2.0.0/16 next-hop 10.5.5.6;
    }
}
firewall {
    filter f1 {
        term t1 {
            from {
                source-address {
                    10.1.0.0/16;
                }
            }
            then ipsec-sa sa1;
        }
        term t2 {
            then accept;
        }
    }
    filter f2 {
        term t1 {
            then discard;
        }
    }
}
security {
    ike {
        proposal p1 {
            authentication-method pre-shared-keys;
            dh-group group2;
            authentication-algorithm sha1;
            encryption-algorithm 3des-cbc;
        }
        proposal p2 {
            authentication-method pre-shared-keys;
            dh-group group1;
            authentication-algorithm md5;
            encryption-algorithm des-cbc;
        }
        policy 10.6.6.6 {
            mode main;
            proposals p1;
            pre-shared-key ascii-text "secret-one";
        }
    }
    ipsec {
        proposal ip1 {
            protocol esp;
            authentication-algorithm hmac-sha1-96;
            encryption-algorithm 3des-cbc;
        }
        policy pol1 {
            proposals ip1;
        }
        security-association sa1 {
            manual {
                direction bidirectional {
                    protocol esp;
                    spi 300;
                    authentication {
                        algorithm hmac-sha1-96;
                        key ascii-text "12345678901234567890";
                    }
                    encryption {
                        algorithm 3des-cbc;
                        key ascii-text "123456789012345678901234";
                    }
                }
            }
        }
        security-association sa2 {
            manual {
                direction bidirectional {
                    protocol esp;
                    spi 301;
                    authentication {
                        algorithm hmac-sha1-96;
                        key ascii-text "abcdefghijabcdefghij";
                    }
                    encryption {
                        algorithm 3des-cbc;
                        key ascii-text "abcdefghabcdefgiabcdefgj";
                    }
                }
            }
        }
        security-association dyn1 {
            dynamic {
                ipsec-policy pol1;
            }
        }
    }
}
)";

Node parse(const std::string& text) {
    Node n = parse_text(*schema(), text);
    n.clear_marks();
    return n;
}

std::string describe(const ChangeSet& cs) {
    std::string out;
    for (const auto& ch : cs.changes()) {
        out += std::to_string(static_cast<int>(ch.kind)) + ":";
        for (const auto& w : ch.path_words())
            out += " " + w;
        if (ch.kind == StatementChange::Kind::reordered)
            out += " reorder " + ch.list->name;
        out += "\n";
    }
    return out;
}

// The committed configuration as mgd keeps it: the tree (marks cleared), the candidate copied from it,
// and the live data tree.
struct Commits {
    Node committed = parse(base_text);
    Node candidate = committed;
    LiveDataTree live{*schema()};

    Commits() {
        auto v = validate(*schema(), committed);
        REQUIRE(v.ok());
        live.reset(std::move(v.tree));
    }

    void run(const std::string& line) { run_command(*schema(), candidate, {}, line); }

    // ChangeSet following the marks == the full comparison; apply/undo are exact.
    ChangeSet changes() {
        ChangeSet marked = ChangeSet::between(committed, candidate, true);
        const ChangeSet full = ChangeSet::between(committed, candidate, false);
        CHECK(describe(marked) == describe(full));
        marked.keep_copies();
        Node copy = committed;
        auto undo = marked.apply(copy);
        CHECK(same_subtree(copy, candidate));
        undo.undo();
        CHECK(same_subtree(copy, committed));
        return marked;
    }

    // The incremental verdict against the full one; on a valid patch, the patched tree against the full
    // tree; after undo, the tree against the committed one. Returns the full verdict.
    bool check(const ChangeSet& cs, LiveDataTree::Verdict* got = nullptr) {
        const auto verdict = live.apply(cs);
        if (got)
            *got = verdict;
        auto full = validate(*schema(), candidate);
        const bool full_ok = full.ok();
        if (verdict == LiveDataTree::Verdict::valid) {
            CHECK_MESSAGE(full_ok, "incremental validation accepted what libyang refuses: " << describe(cs));
            CHECK_MESSAGE(lyd_compare_siblings(live.root(), full.tree.get(),
                                               LYD_COMPARE_FULL_RECURSION | LYD_COMPARE_DEFAULTS) ==
                              LY_SUCCESS,
                          "patched:\n"
                              << xml(live.root()) << "\nfull:\n"
                              << xml(full.tree.get()));
            CHECK(same_order(live.root(), full.tree.get()));
            live.undo();
        } else if (verdict == LiveDataTree::Verdict::invalid) {
            CHECK_MESSAGE(!full_ok, "incremental validation refused what libyang accepts: " << describe(cs)
                                                                                            << live.note());
        }
        auto old = validate(*schema(), committed);
        CHECK(lyd_compare_siblings(live.root(), old.tree.get(),
                                   LYD_COMPARE_FULL_RECURSION | LYD_COMPARE_DEFAULTS) == LY_SUCCESS);
        CHECK(same_order(live.root(), old.tree.get()));
        return full_ok;
    }

    // Makes the candidate the committed configuration (what mgd does after a successful commit).
    void commit(ChangeSet& cs) {
        const auto verdict = live.apply(cs);
        if (verdict == LiveDataTree::Verdict::valid) {
            live.keep();
        } else {
            auto v = validate(*schema(), candidate);
            REQUIRE(v.ok());
            live.reset(std::move(v.tree));
        }
        cs.apply(committed);
        committed.clear_marks();
        candidate.clear_marks();
        REQUIRE(same_subtree(committed, candidate));
        auto now = validate(*schema(), committed);
        REQUIRE_MESSAGE(same_order(live.root(), now.tree.get()), "after committing " << describe(cs));
    }

    void discard() { candidate = committed; }

    static std::string xml(const lyd_node* t) {
        char* out = nullptr;
        lyd_print_mem(&out, t, LYD_XML, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_ALL_TAG);
        std::string s = out ? out : "";
        free(out);
        return s;
    }

    // Sibling order everywhere (lyd_compare_siblings matches children by identity).
    static bool same_order(const lyd_node* a, const lyd_node* b) {
        for (; a && b; a = a->next, b = b->next) {
            if (a->schema != b->schema || lyd_compare_single(a, b, 0) != LY_SUCCESS) {
                char* p = lyd_path(a, LYD_PATH_STD, nullptr, 0);
                if (a->schema->nodetype & LYD_NODE_TERM) {
                    auto* ta = reinterpret_cast<const lyd_node_term*>(a);
                    auto* tb = reinterpret_cast<const lyd_node_term*>(b);
                    MESSAGE("values " << std::string(lyd_get_value(a)) << "/" << std::string(lyd_get_value(b))
                                      << " " << tb->schema->name << " realtype "
                                      << ta->value.realtype->basetype << "/" << tb->value.realtype->basetype
                                      << " " << (const void*)ta->value.realtype << "/"
                                      << (const void*)tb->value.realtype);
                }
                MESSAGE("differs at " << std::string(p) << " flags " << a->flags << "/" << b->flags
                                      << " hash " << a->hash << "/" << b->hash);
                free(p);
                return false;
            }
            if ((a->flags & LYD_DEFAULT) != (b->flags & LYD_DEFAULT)) {
                char* p = lyd_path(a, LYD_PATH_STD, nullptr, 0);
                MESSAGE("default flag differs at " << std::string(p) << " " << a->flags << "/" << b->flags);
                free(p);
                return false;
            }
            if (!same_order(lyd_child(a), lyd_child(b)))
                return false;
        }
        return !a && !b;
    }
};

}  // namespace

TEST_CASE("change set: marks find what a full comparison finds, for every kind of edit") {
    Commits c;
    const char* edits[] = {
        "set security ipsec security-association sa1 description one",
        "delete security ipsec security-association sa1 description",
        "set security ipsec security-association sa3 manual direction bidirectional protocol ah spi 400 "
        "authentication algorithm hmac-md5-96 key ascii-text 1234567890123456",
        "delete security ipsec security-association sa2",
        "rename security ipsec security-association sa1 to security-association sa9",
        "copy firewall filter f1 to filter f3",
        "insert firewall filter f1 term t2 before term t1",
        "deactivate security ike policy 10.6.6.6",
        "activate security ike policy 10.6.6.6",
        "annotate security ipsec proposal ip1 \"the proposal\"",
        "wildcard delete security ipsec security-association sa.*",
        "delete interfaces",
        "set system domain-name example.net",
    };
    for (const char* e : edits) {
        CAPTURE(e);
        c.run(e);
        (void)c.changes();
    }
    // Loads replace, merge and override whole parts.
    load_config(*schema(), c.candidate, LoadMode::merge, "system {\n    time-zone UTC;\n}\n");
    (void)c.changes();
    load_config(*schema(), c.candidate, LoadMode::override, base_text);
    const ChangeSet after_override = c.changes();
    // Overridden with the committed text but a changed candidate before: what remains is what differs.
    CHECK(describe(after_override) == describe(ChangeSet::between(c.committed, c.candidate, false)));
}

TEST_CASE("change set: a commit patches the committed tree; edits after it stay marked") {
    Commits c;
    c.run("set security ipsec security-association sa1 description one");
    auto cs = c.changes();
    c.commit(cs);
    CHECK(ChangeSet::between(c.committed, c.candidate, true).empty());
    c.run("set security ipsec security-association sa2 description two");
    auto next = ChangeSet::between(c.committed, c.candidate, true);
    REQUIRE(next.size() == 1);
    CHECK(next.changes().front().path_words() ==
          std::vector<std::string>{"security", "ipsec", "security-association", "sa2", "description"});
    // An entry put in the middle of an ordered-by-user list, and entries that change places, are reported
    // as such (the live tree leaves those to a full validation).
    c.discard();
    c.run("set firewall filter f1 term t0 then accept");
    c.run("insert firewall filter f1 term t0 before term t1");
    CHECK(c.changes().reorders());
}

TEST_CASE("live data tree: a one-line change is checked where it has effects, with libyang's verdict") {
    Commits c;
    struct Case {
        const char* what;
        std::vector<const char*> lines;
        bool valid;
    };
    const std::vector<Case> cases = {
        {"a description", {"set security ipsec security-association sa2 description x"}, true},
        {"a new SA",
         {"set security ipsec security-association sa3 manual direction bidirectional protocol esp spi 302 "
          "encryption algorithm des-cbc key ascii-text 12345678"},
         true},
        // A reference elsewhere breaks: the es- unit and the firewall term name sa1.
        {"a deleted SA still named by an es- unit",
         {"delete security ipsec security-association sa1"},
         false},
        {"a deleted filter still used by an interface", {"delete firewall filter f1"}, false},
        {"a deleted filter nobody uses", {"delete firewall filter f2"}, true},
        {"a deleted proposal still named by an IKE policy", {"delete security ike proposal p1"}, false},
        {"a deleted proposal nobody names", {"delete security ike proposal p2"}, true},
        {"a deleted IPsec policy named by a dynamic SA", {"delete security ipsec policy pol1"}, false},
        {"a reference to a missing SA", {"set firewall filter f2 term t1 then ipsec-sa nope"}, false},
        {"an interface naming a missing filter",
         {"set interfaces fe-0/0/0 unit 0 family inet filter output f9"},
         false},
        // `must` conditions: one on the changed statement's ancestor, one on the list entry.
        {"bundle without encryption",
         {"delete security ipsec security-association sa2 manual direction bidirectional encryption",
          "set security ipsec security-association sa2 manual direction bidirectional protocol bundle "
          "auxiliary-spi 400"},
         false},
        {"a direction with neither authentication nor encryption",
         {"delete security ipsec security-association sa2 manual direction bidirectional encryption",
          "delete security ipsec security-association sa2 manual direction bidirectional authentication"},
         false},
        {"a route without next-hop", {"delete routing-options static route 10.2.0.0/16 next-hop"}, false},
        {"a route made a discard route",
         {"delete routing-options static route 10.2.0.0/16 next-hop",
          "set routing-options static route 10.2.0.0/16 discard"},
         true},
        {"ipsec-sa on a unit that is not es-",
         {"set interfaces fe-0/0/0 unit 0 family inet ipsec-sa sa2"},
         false},
        // Defaults: an explicit default value, then its removal.
        {"an explicit default", {"set security ike policy 10.6.6.6 mode main"}, true},
        {"the default mode goes", {"delete security ike policy 10.6.6.6 mode"}, true},
        {"a whole top-level statement goes", {"delete routing-options"}, true},
        {"a top-level statement comes",
         {"set routing-options static route 10.3.0.0/16 next-hop 10.5.5.6"},
         true},
    };
    for (const auto& k : cases) {
        const std::string what = k.what;
        CAPTURE(what);
        c.discard();
        for (const char* l : k.lines)
            c.run(l);
        const ChangeSet cs = c.changes();
        LiveDataTree::Verdict got{};
        const bool full = c.check(cs, &got);
        CHECK(full == k.valid);
        // These are all within what the live tree handles itself.
        CHECK_MESSAGE(got != LiveDataTree::Verdict::unsupported, c.live.note());
    }
}

TEST_CASE(
    "live data tree: a random walk of edits and commits keeps the incremental and full verdicts equal") {
    Commits c;
    std::mt19937 rng(20261205);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    auto sa = [&] { return "sa" + std::to_string(1 + pick(4)); };
    auto ip = [&] { return "10.6.6." + std::to_string(6 + pick(3)); };
    const std::vector<std::function<std::string()>> edits = {
        [&] {
            return "set security ipsec security-association " + sa() + " description d" +
                   std::to_string(pick(9));
        },
        [&] { return "delete security ipsec security-association " + sa() + " description"; },
        [&] {
            return "set security ipsec security-association " + sa() +
                   " manual direction bidirectional protocol " +
                   std::vector<std::string>{"esp", "ah", "bundle"}[pick(3)];
        },
        [&] {
            return "set security ipsec security-association " + sa() +
                   " manual direction bidirectional spi " + std::to_string(256 + pick(60));
        },
        [&] {
            return "delete security ipsec security-association " + sa() +
                   " manual direction bidirectional encryption";
        },
        [&] {
            return "set security ipsec security-association " + sa() +
                   " manual direction bidirectional encryption algorithm des-cbc key ascii-text 12345678";
        },
        [&] { return "delete security ipsec security-association " + sa(); },
        [&] { return "set security ipsec security-association " + sa() + " dynamic ipsec-policy pol1"; },
        [&] {
            return "set security ipsec security-association " + sa() + " mode " +
                   (pick(2) ? "tunnel" : "transport");
        },
        [&] { return "delete security ipsec security-association " + sa() + " mode"; },
        [&] {
            return "set interfaces es-0/1/0 unit " + std::to_string(pick(3)) + " family inet ipsec-sa " +
                   sa();
        },
        [&] {
            return "set interfaces es-0/1/0 unit " + std::to_string(pick(3)) +
                   " tunnel source 10.5.5.5 destination " + ip();
        },
        [&] { return "delete interfaces es-0/1/0 unit " + std::to_string(pick(3)); },
        [&] { return "set firewall filter f1 term t" + std::to_string(pick(4)) + " then ipsec-sa " + sa(); },
        [&] {
            return "set firewall filter f" + std::to_string(1 + pick(2)) + " term t" +
                   std::to_string(pick(4)) + " then accept";
        },
        [&] { return "delete firewall filter f" + std::to_string(1 + pick(3)); },
        [&] { return "delete firewall filter f1 term t" + std::to_string(pick(4)); },
        [&] {
            return "set interfaces fe-0/0/0 unit 0 family inet filter input f" + std::to_string(1 + pick(3));
        },
        [&] { return "delete interfaces fe-0/0/0 unit 0 family inet filter"; },
        [&] { return "set security ike policy " + ip() + " proposals p" + std::to_string(1 + pick(3)); },
        [&] {
            return "set security ike policy " + ip() + " pre-shared-key ascii-text k" +
                   std::to_string(pick(9));
        },
        [&] { return "delete security ike proposal p" + std::to_string(1 + pick(3)); },
        [&] {
            return "set security ike proposal p" + std::to_string(1 + pick(3)) +
                   " authentication-method pre-shared-keys";
        },
        [&] { return "set security ike policy " + ip() + " mode " + (pick(2) ? "main" : "aggressive"); },
        [&] { return "delete security ike policy " + ip(); },
        [&] { return "delete security ipsec policy pol1"; },
        [&] { return "set security ipsec policy pol1 proposals ip1"; },
        [&] {
            return "set routing-options static route 10." + std::to_string(pick(4)) +
                   ".0.0/16 next-hop 10.5.5.6";
        },
        [&] { return "set routing-options static route 10." + std::to_string(pick(4)) + ".0.0/16 discard"; },
        [&] {
            return "delete routing-options static route 10." + std::to_string(pick(4)) + ".0.0/16 next-hop";
        },
        [&] { return "delete routing-options"; },
        [&] { return "set system domain-name x" + std::to_string(pick(9)) + ".example"; },
        [&] { return "delete system domain-name"; },
        // Entries that move or change names: rename keeps the place, delete-then-set goes to the end.
        [&] {
            return "rename security ipsec security-association " + sa() + " to security-association " + sa();
        },
        [&] {
            return "copy security ipsec security-association " + sa() + " to security-association " + sa();
        },
        [&] {
            return "insert firewall filter f1 term t" + std::to_string(pick(4)) + " before term t" +
                   std::to_string(pick(4));
        },
        [&] {
            return "insert security ike policy " + ip() + " proposals p1 after p" +
                   std::to_string(2 + pick(2));
        },
        [&] {
            return "rename firewall filter f1 term t" + std::to_string(pick(4)) + " to term t" +
                   std::to_string(pick(4));
        },
        [&] {
            return "annotate security ipsec security-association " + sa() + " \"note " +
                   std::to_string(pick(9)) + "\"";
        },
        // Inactive statements go through expansion: the live tree hands them to a full validation.
        [&] {
            return std::string(pick(2) ? "deactivate" : "activate") +
                   " security ipsec security-association " + sa();
        },
    };
    int valid = 0, invalid = 0, unsupported = 0;
    std::string history;
    for (int step = 0; step < 2000; ++step) {
        const int n = 1 + pick(3);
        std::string done;
        for (int i = 0; i < n; ++i) {
            const std::string line = edits[static_cast<size_t>(pick(static_cast<int>(edits.size())))]();
            try {
                c.run(line);
                done += line + "\n";
            } catch (const ConfigError&) {
            }
        }
        CAPTURE(done);
        ChangeSet cs = c.changes();
        LiveDataTree::Verdict got{};
        history += done;
        const bool ok = c.check(cs, &got);
        if (!ok && got == LiveDataTree::Verdict::valid) {
            MESSAGE("HISTORY\n" << history);
            break;
        }
        {
            auto now = validate(*schema(), c.committed);
            if (!Commits::same_order(c.live.root(), now.tree.get())) {
                MESSAGE("HISTORY\n" << history);
                break;
            }
        }
        (got == LiveDataTree::Verdict::valid     ? valid
         : got == LiveDataTree::Verdict::invalid ? invalid
                                                 : unsupported)++;
        if (ok && pick(2)) {
            c.commit(cs);
            history += "COMMIT\n";
        } else if (!ok || pick(3) == 0) {
            c.discard();
            history += "DISCARD\n";
        }
    }
    MESSAGE("random walk: " << valid << " valid, " << invalid << " invalid, " << unsupported
                            << " unsupported");
    CHECK(valid > 500);
    CHECK(invalid > 200);
}

TEST_CASE("C++ checks: a change concerns the checks that read its subtree or a subtree below it") {
    const auto checks = validators::checks();
    auto by_name = [&](std::string_view n) -> const validators::Check& {
        for (const auto& c : checks)
            if (c.name == n)
                return c;
        FAIL("no check " << n);
        return checks.front();
    };
    const auto& manual = by_name("manual-sa");
    CHECK(validators::reads(manual, {"security", "ipsec", "security-association", "sa1", "description"}));
    CHECK(validators::reads(manual, {"security"}));  // the whole of security goes
    CHECK_FALSE(validators::reads(manual, {"security", "ike", "policy", "10.6.6.6"}));
    CHECK_FALSE(validators::reads(manual, {"system", "host-name"}));
    CHECK(validators::reads(by_name("es-interface"), {"interfaces", "es-0/1/0", "unit", "0"}));
    CHECK_FALSE(validators::reads(by_name("firewall-ipsec-sa"), {"routing-options", "static"}));
}
