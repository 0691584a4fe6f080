#include <doctest/doctest.h>

#include <string>

#include "msim/hwsim/hardware_conf.hpp"
#include "msim/launcher/lab_file.hpp"

using namespace msim::launcher::lab;

namespace {

// The problems a lab text has, joined by newlines ("" when it is valid).
std::string problems(const std::string& text) {
    try {
        parse_lab(text, "lab.yaml");
        return "";
    } catch (const LabFileError& e) {
        return e.what();
    }
}

const std::string minimal = R"(name: t
topology:
  nodes:
    r1: { kind: router }
    r2: { kind: router }
    h1: { kind: host, address: 10.1.1.10/24, gateway: 10.1.1.1 }
  links:
    - endpoints: ["r1:fe-0/0/0", "r2:fe-0/0/0"]
    - endpoints: ["r1:fe-0/0/1", "h1:eth0"]
)";

}  // namespace

TEST_CASE("the shipped two-gateways lab is valid and has the seed's topology") {
    const LabFile lab = load_lab(MSIM_SOURCE_ROOT "/labs/two-gateways.yaml");
    CHECK(lab.name == "two-gateways");
    CHECK(lab.file.is_absolute());
    REQUIRE(lab.routers.size() == 2);
    REQUIRE(lab.hosts.size() == 2);
    REQUIRE(lab.links.size() == 3);
    const Router* a = lab.router("gateway-a");
    REQUIRE(a);
    CHECK(a->chassis == "m10");
    CHECK(a->startup_config.find("address 10.5.5.5/32;") != std::string::npos);
    CHECK(a->startup_config.find("address 10.1.1.1/24;") != std::string::npos);
    CHECK(lab.router("gateway-b")->startup_config.find("address 10.6.6.6/32;") != std::string::npos);
    const Host* ha = lab.host("host-a");
    REQUIRE(ha);
    CHECK(ha->address == "10.1.1.10/24");
    CHECK(ha->gateway == "10.1.1.1");
    CHECK(ha->interface == "eth0");
    CHECK(lab.host("host-b")->address == "10.2.2.10/24");
}

TEST_CASE("defaults: an M10 with the default PICs") {
    const LabFile lab = parse_lab(minimal, "lab.yaml");
    const Router* r = lab.router("r1");
    REQUIRE(r);
    CHECK(r->chassis == "m10");
    REQUIRE(r->pics.size() == 4);
    CHECK(r->startup_config.empty());
    CHECK(lab.router("r1")->line == 4);
    CHECK(lab.links[1].line == 9);
}

TEST_CASE("interfaces per PIC type follow the contract") {
    CHECK(pic_interfaces({0, 0, "4x-fe"}) ==
          std::vector<std::string>{"fe-0/0/0", "fe-0/0/1", "fe-0/0/2", "fe-0/0/3"});
    CHECK(pic_interfaces({1, 1, "1x-ge"}) == std::vector<std::string>{"ge-1/1/0"});
    CHECK(pic_interfaces({0, 2, "1x-oc3"}) == std::vector<std::string>{"so-0/2/0"});
    CHECK(pic_interfaces({0, 1, "es"}) == std::vector<std::string>{"es-0/1/0"});
    CHECK(pic_interfaces({1, 0, "as"}) == std::vector<std::string>{"sp-1/0/0"});
    CHECK(is_media_interface("so-0/2/0"));
    CHECK_FALSE(is_media_interface("es-0/1/0"));
}

TEST_CASE("every problem names the file and the line") {
    SUBCASE("unknown key") {
        auto p = problems("name: t\ntopology:\n  nodes:\n    r1:\n      kind: router\n      chasis: m10\n");
        CHECK(p.find("lab.yaml:6: unknown key 'chasis' in router r1") != std::string::npos);
    }
    SUBCASE("unknown top-level key") {
        CHECK(
            problems("name: t\nmgmt: x\ntopology: { nodes: {} }\n").find("lab.yaml:2: unknown key 'mgmt'") !=
            std::string::npos);
    }
    SUBCASE("host-only key on a router") {
        CHECK(problems("name: t\ntopology:\n  nodes:\n    r1: { kind: router, address: 1.2.3.4/24 }\n")
                  .find("lab.yaml:4: unknown key 'address' in router r1") != std::string::npos);
    }
    SUBCASE("unknown node in a link") {
        auto p = problems(R"(name: t
topology:
  nodes:
    r1: { kind: router }
  links:
    - endpoints: ["r1:fe-0/0/0", "r9:fe-0/0/0"]
)");
        CHECK(p == "lab.yaml:6: unknown node 'r9' in endpoint 'r9:fe-0/0/0'");
    }
    SUBCASE("an interface used twice") {
        auto p = problems(R"(name: t
topology:
  nodes:
    r1: { kind: router }
    r2: { kind: router }
    r3: { kind: router }
  links:
    - endpoints: ["r1:fe-0/0/0", "r2:fe-0/0/0"]
    - endpoints: ["r3:fe-0/0/0", "r1:fe-0/0/0"]
)");
        CHECK(p == "lab.yaml:9: interface r1:fe-0/0/0 is already used by the link on line 8");
    }
    SUBCASE("an interface the router's PICs do not have") {
        auto p = problems(R"(name: t
topology:
  nodes:
    r1: { kind: router, pics: { 0/0: 1x-ge } }
    r2: { kind: router }
  links:
    - endpoints: ["r1:fe-0/0/0", "r2:fe-0/0/0"]
)");
        CHECK(p == "lab.yaml:7: router r1 has no interface fe-0/0/0 (its PICs have: ge-0/0/0)");
    }
    SUBCASE("a services interface takes no wire") {
        auto p = problems(R"(name: t
topology:
  nodes:
    r1: { kind: router }
    r2: { kind: router }
  links:
    - endpoints: ["r1:es-0/1/0", "r2:fe-0/0/0"]
)");
        CHECK(p == "lab.yaml:7: es-0/1/0 on router r1 is a services interface and takes no wire");
    }
    SUBCASE("a host without an address") {
        auto p = problems(R"(name: t
topology:
  nodes:
    r1: { kind: router }
    h1:
      kind: host
      gateway: 10.1.1.1
  links:
    - endpoints: ["r1:fe-0/0/0", "h1:eth0"]
)");
        CHECK(p == "lab.yaml:5: host h1 has no address (e.g. address: 10.1.1.10/24)");
    }
    SUBCASE("bad address and a gateway outside the subnet") {
        CHECK(problems("name: t\ntopology:\n  nodes:\n    h1: { kind: host, address: 10.1.1.300/24 }\n")
                  .find("lab.yaml:4: host h1: bad address '10.1.1.300/24'") != std::string::npos);
        CHECK(problems("name: t\ntopology:\n  nodes:\n    h1: { kind: host, address: 10.1.1.10 }\n")
                  .find("bad address '10.1.1.10'") != std::string::npos);
        CHECK(problems("name: t\ntopology:\n  nodes:\n    h1: { kind: host, address: 10.1.1.10/24, gateway: "
                       "10.1.2.1 }\n")
                  .find("lab.yaml:4: host h1: gateway 10.1.2.1 is not another address of 10.1.1.10/24's "
                        "subnet") != std::string::npos);
    }
    SUBCASE("router names must be directory names") {
        auto p = problems("name: t\ntopology:\n  nodes:\n    \"../etc\": { kind: router }\n");
        CHECK(p.find("lab.yaml:4: bad node name '../etc'") != std::string::npos);
        CHECK(
            problems("name: t\ntopology:\n  nodes:\n    \"a b\": { kind: router }\n").find("bad node name") !=
            std::string::npos);
    }
    SUBCASE("a host's end is a Linux interface name other than lo") {
        auto p = problems(R"(name: t
topology:
  nodes:
    r1: { kind: router }
    h1: { kind: host, address: 10.1.1.10/24 }
    h2: { kind: host, address: 10.1.1.11/24 }
  links:
    - endpoints: ["r1:fe-0/0/0", "h1:lo"]
    - endpoints: ["r1:fe-0/0/1", "h2:a-very-long-interface-name"]
)");
        CHECK(p.find("lab.yaml:8: host h1: 'lo' is the namespace's loopback") != std::string::npos);
        CHECK(p.find("lab.yaml:9: host h2: 'a-very-long-interface-name' is not a Linux interface name") !=
              std::string::npos);
    }
    SUBCASE("host to host is not a link") {
        auto p = problems(R"(name: t
topology:
  nodes:
    h1: { kind: host, address: 10.1.1.10/24 }
    h2: { kind: host, address: 10.1.1.11/24 }
  links:
    - endpoints: ["h1:eth0", "h2:eth0"]
)");
        CHECK(
            p.find("lab.yaml:7: a link joins a router to a router or to a host; h1 and h2 are both hosts") !=
            std::string::npos);
    }
    SUBCASE("a host has one link") {
        auto p = problems(R"(name: t
topology:
  nodes:
    r1: { kind: router }
    h1: { kind: host, address: 10.1.1.10/24 }
  links:
    - endpoints: ["r1:fe-0/0/0", "h1:eth0"]
    - endpoints: ["r1:fe-0/0/1", "h1:eth1"]
)");
        CHECK(p == "lab.yaml:8: host h1 has one interface and is already linked on line 7");
        CHECK(problems("name: t\ntopology:\n  nodes:\n    h1: { kind: host, address: 10.1.1.10/24 }\n") ==
              "lab.yaml:4: host h1 is in no link (its address needs an interface)");
    }
    SUBCASE("kinds, chassis and PIC slots") {
        CHECK(problems("name: t\ntopology:\n  nodes:\n    x: { kind: switch }\n")
                  .find("lab.yaml:4: node x has unknown kind 'switch'") != std::string::npos);
        CHECK(problems("name: t\ntopology:\n  nodes:\n    x: { address: 1.1.1.1/24 }\n")
                  .find("lab.yaml:4: node x has no kind") != std::string::npos);
        CHECK(problems("name: t\ntopology:\n  nodes:\n    r: { kind: router, chassis: m160 }\n")
                  .find("lab.yaml:4: router r: unknown chassis 'm160'") != std::string::npos);
        CHECK(
            problems(
                "name: t\ntopology:\n  nodes:\n    r:\n      kind: router\n      chassis: m5\n      pics: { "
                "1/0: 4x-fe }\n")
                .find("lab.yaml:7: router r: an m5 has no PIC slot 1/0 (FPC 0-0, PIC 0-3)") !=
            std::string::npos);
        CHECK(problems("name: t\ntopology:\n  nodes:\n    r: { kind: router, pics: { 0/0: 8x-fe } }\n")
                  .find("unknown PIC type '8x-fe'") != std::string::npos);
        CHECK(problems("name: t\ntopology:\n  nodes:\n    r: { kind: router, pics: { 0-0: es } }\n")
                  .find("bad PIC slot '0-0'") != std::string::npos);
    }
    SUBCASE("a node defined twice") {
        CHECK(problems("name: t\ntopology:\n  nodes:\n    r: { kind: router }\n    r: { kind: router }\n") ==
              "lab.yaml:5: node r is already defined on line 4");
    }
    SUBCASE("malformed endpoints and links") {
        CHECK(problems("name: t\ntopology:\n  nodes:\n    r: { kind: router }\n  links:\n    - endpoints: "
                       "[\"r:fe-0/0/0\"]\n")
                  .find("lab.yaml:6: a link has exactly two endpoints") != std::string::npos);
        CHECK(problems("name: t\ntopology:\n  nodes:\n    r: { kind: router }\n  links:\n    - endpoints: "
                       "[\"r\", \"r:fe-0/0/1\"]\n")
                  .find("bad endpoint 'r'") != std::string::npos);
    }
    SUBCASE("YAML syntax errors have a line and a column") {
        CHECK(problems("name: t\ntopology: { nodes: [\n").find("lab.yaml:") == 0);
        CHECK(problems("name: t\ntopology: { nodes: [\n").find("YAML syntax error") != std::string::npos);
    }
    SUBCASE("all problems are reported at once") {
        auto p = problems(
            "name: t\ntopology:\n  nodes:\n    r: { kind: router, color: red }\n    h: { kind: host "
            "}\n");
        CHECK(p.find("lab.yaml:4: unknown key 'color'") != std::string::npos);
        CHECK(p.find("lab.yaml:5: host h has no address") != std::string::npos);
    }
    SUBCASE("no name, no topology") {
        CHECK(problems("topology: { nodes: {} }\n").find("the lab has no name") != std::string::npos);
        CHECK(problems("name: t\n").find("the lab has no topology") != std::string::npos);
    }
}

TEST_CASE("hardware.conf text is what chassisd reads") {
    const LabFile lab = parse_lab(R"(name: t
topology:
  nodes:
    r1: { kind: router, chassis: m20, pics: { 3/2: 1x-oc3, 0/0: 4x-fe } }
)",
                                  "lab.yaml");
    const auto text = hardware_conf_text(*lab.router("r1"));
    const auto hw = msim::hwsim::parse_hardware_conf(text, "hardware.conf");
    CHECK(hw.chassis == "m20");
    REQUIRE(hw.pics.size() == 2);
    CHECK(hw.pics[0].fpc == 3);
    CHECK(hw.pics[0].pic == 2);
    CHECK(hw.pics[0].type == "1x-oc3");
    CHECK(hw.pics[1].type == "4x-fe");
}

TEST_CASE("state: planned from the lab, written and read back, and the wires of each router") {
    const LabFile lab = parse_lab(minimal, "lab.yaml");
    LabState s = plan_state(lab, {20000, 20001});
    CHECK(s.routers == std::vector<std::string>{"r1", "r2"});
    REQUIRE(s.links.size() == 2);
    CHECK(s.links[0].ports == std::array<int, 2>{20000, 20001});
    CHECK(s.links[1].is_tap());
    CHECK(s.links[1].endpoints[0].text() == "r1:fe-0/0/1");
    CHECK(plan_state(parse_lab(R"(name: t
topology:
  nodes:
    r1: { kind: router }
    h1: { kind: host, address: 10.1.1.10/24 }
  links:
    - endpoints: ["h1:eth0", "r1:fe-0/0/3"]
)",
                               "lab.yaml"),
                     {})
              .links[0]
              .endpoints[0]
              .text() == "r1:fe-0/0/3");
    CHECK_THROWS(plan_state(lab, {20000}));

    s.phase = "up";
    const LabState back = parse_state(state_text(s), "state.yaml");
    CHECK(back.name == "t");
    CHECK(back.phase == "up");
    CHECK(back.routers == s.routers);
    REQUIRE(back.hosts.size() == 1);
    CHECK(back.hosts[0].name == "h1");
    CHECK(back.hosts[0].interface == "eth0");
    CHECK(back.hosts[0].address == "10.1.1.10/24");
    CHECK(back.hosts[0].gateway == "10.1.1.1");
    REQUIRE(back.links.size() == 2);
    CHECK(back.links[0].ports == std::array<int, 2>{20000, 20001});
    CHECK(back.links[1].is_tap());
    CHECK(back.link_of({"h1", "eth0"}) == &back.links[1]);
    CHECK(back.link_of({"r2", "fe-0/0/1"}) == nullptr);
    CHECK_THROWS_AS(parse_state("just: text\n", "x.yaml"), std::runtime_error);

    const auto r1 = wires_conf_text(back, "r1");
    CHECK(r1.find("\nfe-0/0/0 udp 127.0.0.1:20000 127.0.0.1:20001\n") != std::string::npos);
    CHECK(r1.find("\nfe-0/0/1 tap eth0 netns h1\n") != std::string::npos);
    const auto r2 = wires_conf_text(back, "r2");
    CHECK(r2.find("\nfe-0/0/0 udp 127.0.0.1:20001 127.0.0.1:20000\n") != std::string::npos);
    CHECK(r2.find("tap") == std::string::npos);
}

TEST_CASE("a lab CA (kind: ca): msim-ca on a loopback port, no links, in the state file") {
    const LabFile shipped = load_lab(MSIM_SOURCE_ROOT "/labs/two-gateways-scep.yaml");
    REQUIRE(shipped.cas.size() == 1);
    CHECK(shipped.cas[0].name == "lab-ca");
    CHECK(shipped.cas[0].port == 8480);
    CHECK(shipped.cas[0].approval == "manual");
    CHECK(shipped.cas[0].challenge_password == "lab-secret");
    CHECK(shipped.cas[0].validity_days == 30);
    CHECK(shipped.router("gateway-a")->startup_config.find("url http://127.0.0.1:8480/scep;") !=
          std::string::npos);

    const std::string with_ca = R"(name: t
topology:
  nodes:
    r1: { kind: router }
    ca1: { kind: ca, port: 8480 }
)";
    const LabFile lab = parse_lab(with_ca, "lab.yaml");
    REQUIRE(lab.cas.size() == 1);
    CHECK(lab.cas[0].approval == "auto");
    CHECK(lab.cas[0].subject.empty());
    const LabState back = parse_state(state_text(plan_state(lab, {})), "state.yaml");
    REQUIRE(back.cas.size() == 1);
    CHECK(back.ca("ca1"));
    CHECK(back.ca("ca1")->port == 8480);
    CHECK_FALSE(back.ca("r1"));

    CHECK(problems(R"(name: t
topology:
  nodes:
    ca1: { kind: ca }
)") == "lab.yaml:4: ca ca1 has no port (e.g. port: 8480; it serves on 127.0.0.1)");
    CHECK(problems(R"(name: t
topology:
  nodes:
    ca1: { kind: ca, port: 80, approval: sometimes, colour: red }
)")
              .find("port must be a number from 1024 to 65535") != std::string::npos);
    const std::string two = problems(R"(name: t
topology:
  nodes:
    ca1: { kind: ca, port: 8480 }
    ca2: { kind: ca, port: 8480 }
)");
    CHECK(two.find("ca ca2: port 8480 is ca ca1's") != std::string::npos);
    const std::string linked = problems(R"(name: t
topology:
  nodes:
    r1: { kind: router }
    ca1: { kind: ca, port: 8480 }
  links:
    - endpoints: ["r1:fe-0/0/0", "ca1:eth0"]
)");
    CHECK(linked.find("ca ca1 takes no link") != std::string::npos);
}
