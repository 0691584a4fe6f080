// The dataplane commands in the operational command tree: matching (with abbreviations), the requests their
// arguments build, and the Junos errors for bad arguments.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "msim/common/xml.hpp"
#include "msim/shell/command_tree.hpp"

using namespace msim;
using namespace msim::shell;

namespace {

struct Built {
    std::string rpc;
    std::string request;  // compact XML
    std::string error;    // from fill
    int error_arg = -1;   // the argument the error concerns (for the caret), -1 for none
};

// What the CLI does with a line: match it, then let the command fill its request.
Built build(const std::string& line) {
    static const CommandTree tree = make_operational_tree();
    auto m = tree.match(split_words(line));
    REQUIRE_MESSAGE(!m.error, line);
    REQUIRE(m.command);
    Built b;
    b.rpc = m.command->rpc;
    pugi::xml_document doc;
    auto req = doc.append_child(m.command->rpc.c_str());
    if (m.command->fill) {
        b.error = m.command->fill(req, m.args);
    } else if (!m.args.empty()) {
        b.error = "syntax error, expecting <command>.";
    }
    if (auto a = req.attribute("msim-error-arg")) {
        b.error_arg = a.as_int();
    }
    b.request = xml::to_string(req);
    return b;
}

MatchResult match(const std::string& line) {
    static const CommandTree tree = make_operational_tree();
    return tree.match(split_words(line));
}

}  // namespace

TEST_CASE("show interfaces in its forms") {
    CHECK(build("show interfaces").request == "<get-interface-information/>");
    CHECK(build("sh int te").request == "<get-interface-information><terse/></get-interface-information>");
    CHECK(build("show interfaces terse fe-0/0/1").request ==
          "<get-interface-information><interface-name>fe-0/0/1</interface-name><terse/></"
          "get-interface-information>");
    CHECK(build("show interfaces fe-0/0/1").request ==
          "<get-interface-information><interface-name>fe-0/0/1</interface-name></get-interface-information>");
    CHECK(build("show interfaces fe-0/0/1 ext").request ==
          "<get-interface-information><interface-name>fe-0/0/1</interface-name><extensive/>"
          "</get-interface-information>");
    CHECK(build("show interfaces detail so-0/2/0.0").request ==
          "<get-interface-information><interface-name>so-0/2/0.0</interface-name><detail/>"
          "</get-interface-information>");
    CHECK(build("show interfaces fe-0/0/1 fe-0/0/2").error == "syntax error.");
    CHECK(build("show interfaces fe-0/0/1 terse detail").error == "syntax error.");
}

TEST_CASE("show arp, route, forwarding table and firewall") {
    CHECK(build("show arp").request == "<get-arp-table-information/>");
    CHECK(build("show arp no-resolve").request ==
          "<get-arp-table-information><no-resolve/></get-arp-table-information>");
    CHECK(build("show route").request == "<get-route-information/>");
    CHECK(build("show route 10.2.2.10").request ==
          "<get-route-information><destination>10.2.2.10</destination></get-route-information>");
    CHECK(build("show route 10.2.2.0/24").request ==
          "<get-route-information><destination>10.2.2.0/24</destination></get-route-information>");
    CHECK(build("show route forwarding-table").rpc == "get-forwarding-table-information");
    CHECK(build("sh ro f").rpc == "get-forwarding-table-information");
    CHECK(build("show firewall").request == "<get-firewall-information/>");
    CHECK(build("show firewall filter protect").request ==
          "<get-firewall-information><filter-name>protect</filter-name></get-firewall-information>");
    auto m = match("show firewall filter");
    REQUIRE(m.error);
    CHECK(m.error->kind == MatchError::Kind::missing_argument);
}

TEST_CASE("clear commands") {
    CHECK(build("clear interfaces statistics fe-0/0/1").request ==
          "<clear-interfaces-statistics><interface-name>fe-0/0/1</interface-name></"
          "clear-interfaces-statistics>");
    CHECK(build("clear interfaces statistics all").request ==
          "<clear-interfaces-statistics><all/></clear-interfaces-statistics>");
    CHECK(build("clear firewall all").request == "<clear-firewall><all/></clear-firewall>");
    CHECK(build("clear firewall filter protect").request ==
          "<clear-firewall><filter>protect</filter></clear-firewall>");
    CHECK(build("clear arp").request == "<clear-arp-table/>");
    auto m = match("clear interfaces statistics");
    REQUIRE(m.error);
    CHECK(m.error->kind == MatchError::Kind::missing_argument);
    m = match("clear firewall");
    REQUIRE(m.error);
    CHECK(m.error->kind == MatchError::Kind::incomplete);
    m = match("clear bogus");
    REQUIRE(m.error);
    CHECK(m.error->kind == MatchError::Kind::syntax_error);
    CHECK(m.error->word_index == 1);
}

TEST_CASE("ping options") {
    CHECK(build("ping 10.2.2.10 count 3").request == "<ping><host>10.2.2.10</host><count>3</count></ping>");
    CHECK(build("ping 10.2.2.10 c 5 rapid so 10.1.1.254 si 100 in 0.5 tt 10 do wa 2").request ==
          "<ping><host>10.2.2.10</host><count>5</count><rapid/><source>10.1.1.254</source><size>100</size>"
          "<interval>0.5</interval><ttl>10</ttl><do-not-fragment/><wait>2</wait></ping>");
    CHECK(build("ping count 2 10.2.2.10").request == "<ping><host>10.2.2.10</host><count>2</count></ping>");
    CHECK(build("ping 10.2.2.10 count").error == "missing argument.");
    CHECK(build("ping 10.2.2.10 count three").error == "syntax error, expecting <number>.");
    CHECK(build("ping 10.2.2.10 count 0").error == "Value 0 is not within range (1..100000)");
    CHECK(build("ping 10.2.2.10 size 70000").error == "Value 70000 is not within range (0..65468)");
    CHECK(build("ping 10.2.2.10 interval x").error == "syntax error, expecting <number>.");
    CHECK(build("ping 10.2.2.10 s 1").error == "'s' is ambiguous.");
    CHECK(build("ping 10.2.2.10 10.2.2.11").error == "syntax error.");
    CHECK(build("ping 10.2.2.10 count 2 count 3").error == "syntax error.");
    // Where the caret goes: under the offending word (arguments counted from 0 after `ping`).
    CHECK(build("ping 10.2.2.10 count three").error_arg == 2);
    CHECK(build("ping 10.2.2.10 bogus count 2").error_arg == 1);
    CHECK(build("ping 10.2.2.10 count").error_arg == -1);  // missing: at the end of the line
    CHECK(build("show interfaces fe-0/0/1 fe-0/0/2").error_arg == 1);
    auto m = match("ping");
    REQUIRE(m.error);
    CHECK(m.error->kind == MatchError::Kind::missing_argument);
    CHECK(match("ping 10.2.2.10").command->render_progress);
}

TEST_CASE("traceroute and monitor traffic") {
    CHECK(build("traceroute 10.2.2.10").request == "<traceroute><host>10.2.2.10</host></traceroute>");
    CHECK(build("traceroute 10.2.2.10 ttl 5 wait 2 source 10.1.1.254").request ==
          "<traceroute><host>10.2.2.10</host><ttl>5</ttl><wait>2</wait><source>10.1.1.254</source></"
          "traceroute>");
    CHECK(build("traceroute 10.2.2.10 ttl 300").error == "Value 300 is not within range (1..255)");
    CHECK(build("traceroute 10.2.2.10 rapid").error == "syntax error.");
    CHECK(match("traceroute 10.2.2.10").command->render_progress);

    CHECK(build("monitor traffic interface fe-0/0/1").request ==
          "<monitor-traffic><interface>fe-0/0/1</interface></monitor-traffic>");
    CHECK(build("mon tr int fe-0/0/1 count 2 detail").request ==
          "<monitor-traffic><interface>fe-0/0/1</interface><count>2</count><detail/></monitor-traffic>");
    CHECK(build("monitor traffic count 2").error == "missing argument.");
    CHECK(build("monitor traffic interface").error == "missing argument.");
    CHECK(build("monitor traffic interface fe-0/0/1 bogus").error == "syntax error.");
    CHECK(match("monitor traffic interface fe-0/0/1").command->render_progress);
}

TEST_CASE("completions list the dataplane commands with their Junos help") {
    static const CommandTree tree = make_operational_tree();
    auto has = [](const std::vector<Completion>& items, const std::string& name, const std::string& help) {
        for (const auto& c : items) {
            if (c.name == name && c.help == help) {
                return true;
            }
        }
        return false;
    };
    CHECK(has(tree.completions({}, ""), "ping", "Ping remote target"));
    CHECK(has(tree.completions({}, ""), "traceroute", "Trace route to remote host"));
    CHECK(has(tree.completions({}, ""), "clear", "Clear information in the system"));
    CHECK(has(tree.completions({"show"}, ""), "interfaces", "Show interface information"));
    CHECK(has(tree.completions({"show"}, ""), "route", "Show routing table information"));
    CHECK(has(tree.completions({"show", "interfaces"}, ""), "<interface-name>", ""));
    CHECK(has(tree.completions({"show", "interfaces"}, ""), "terse", "Display terse output"));
    CHECK(has(tree.completions({"monitor"}, ""), "traffic", "Show real-time network traffic information"));
}
