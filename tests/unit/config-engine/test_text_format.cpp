#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>

#include "fixture.hpp"
#include "msim/config/commands.hpp"
#include "msim/config/secret.hpp"
#include "msim/config/text_format.hpp"

using namespace msim::config;

namespace {

// Gateway A of seed 002 (security ipsec + es- interface + outbound filter), in Junos canonical form.
const char* kGatewayA = R"(interfaces {
    fe-0/0/1 {
        unit 0 {
            family inet {
                address 10.1.1.254/24;
                filter {
                    input ipsec-encrypt-policy-filter;
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
                address 10.1.1.8/32 {
                    destination 10.1.1.9;
                }
                ipsec-sa manual-sa1;
            }
        }
    }
}
security {
    ipsec {
        security-association manual-sa1 {
            manual {
                direction bidirectional {
                    protocol esp;
                    spi 2312;
                    authentication {
                        algorithm hmac-md5-96;
                        key ascii-text "$9$QzF3n6/9CAtpu0OBEhcSyrleKvMW8LXx"; ## SECRET-DATA
                    }
                }
            }
        }
    }
}
firewall {
    filter ipsec-encrypt-policy-filter {
        term term1 {
            from {
                source-address {
                    10.1.1.0/24;
                }
                destination-address {
                    10.2.2.0/24;
                }
            }
            then ipsec-sa manual-sa1;
        }
        term default {
            then accept;
        }
    }
}
)";

std::string canon_secret(const char* plain) {
    return encode_secret(plain, 'Q', "zF3");
}

}  // namespace

TEST_CASE("text: Gateway A parses and prints back identically") {
    auto s = test::schema();
    std::string text = kGatewayA;
    // Use a real $9$ encoding of the seed's key so the secret check accepts it.
    const std::string enc = canon_secret("1234123412341234");
    const std::string placeholder = "$9$QzF3n6/9CAtpu0OBEhcSyrleKvMW8LXx";
    text.replace(text.find(placeholder), placeholder.size(), enc);
    Node root = parse_text(*s, text);
    CHECK(print_text(root) == text);
    Node again = parse_text(*s, print_text(root));
    CHECK(print_text(again) == text);
}

TEST_CASE("text: seed-style input (2-space indent, comments, one-line then) is normalised") {
    auto s = test::schema();
    const char* seed = R"(
security { ipsec {
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
} } }
firewall {
filter ipsec-encrypt-policy-filter {
  term term1 {
    from {
      source-address {      # local network
        10.1.1.0/24;
      }
    }
    then ipsec-sa manual-sa1; # apply SA name to packet
  }
  term default {
    then accept;
  }
}
}
)";
    Node root = parse_text(*s, seed);
    std::string out = print_text(root);
    CHECK(out.find("            then ipsec-sa manual-sa1;\n") != std::string::npos);
    CHECK(out.find("                        key ascii-text \"$9$") != std::string::npos);
    CHECK(out.find("\"; ## SECRET-DATA\n") != std::string::npos);
    CHECK(out.find("1234123412341234") == std::string::npos);  // never printed in clear
    // The stored secret decodes back to the clear text.
    auto p = out.find("key ascii-text \"") + 16;
    auto e = out.find('"', p);
    CHECK(decode_secret(out.substr(p, e - p)) == std::optional<std::string>("1234123412341234"));
    // Printing is a fixed point.
    CHECK(print_text(parse_text(*s, out)) == out);
}

TEST_CASE("text: inactive, annotations, leaf-lists, quoting, groups, tags") {
    auto s = test::schema();
    const char* text = R"(groups {
    G1 {
        system {
            domain-name example.net;
        }
    }
}
apply-groups G1;
system {
    /* the name */
    host-name "gw a";
    name-server [ 10.0.0.1 10.0.0.2 ];
    inactive: ntp {
        server 10.1.1.1;
    }
}
interfaces {
    fe-0/0/1 {
        description "uplink \"one\"";
        disable;
    }
}
security {
    ike {
        policy 10.6.6.6 {
            proposals [ p2 p1 ];
        }
    }
}
)";
    Node root = parse_text(*s, text);
    CHECK(print_text(root) == text);
    CHECK(root.children().front()->keyword() == "groups");
    CHECK(root.children()[1]->keyword() == "apply-groups");

    Node tagged = parse_text(*s, "system { replace: ntp { server 1.1.1.1; } delete: host-name; }");
    const Node* sys = tagged.children().front().get();
    CHECK(sys->children().front()->tag == LoadTag::remove);  // host-name sorts before ntp
    CHECK(sys->children().back()->tag == LoadTag::replace);
}

TEST_CASE("text: header option") {
    auto s = test::schema();
    Node root = parse_text(*s, "system { host-name r1; }");
    PrintOptions o;
    o.header = true;
    o.last_changed = "2026-11-23 01:40:52 UTC";
    CHECK(print_text(root, o) ==
          "## Last changed: 2026-11-23 01:40:52 UTC\nversion 9.3R2.8;\nsystem {\n    host-name r1;\n}\n");
    // The header and ## comments are ignored on input.
    CHECK(print_text(parse_text(*s, print_text(root, o))) == print_text(root));
}

namespace {
ConfigError parse_error(const char* text) {
    auto s = test::schema();
    try {
        parse_text(*s, text);
    } catch (const ConfigError& e) {
        return e;
    }
    FAIL("no error for: " << text);
    return ConfigError("");
}
}  // namespace

TEST_CASE("text: syntax errors carry file, line, column and Junos wording") {
    auto e = parse_error("system {\n    host-name r1;\n}\nsystem1 {\n    host-name r2;\n}\n");
    CHECK(e.line == 4);
    CHECK(e.column == 1);
    CHECK(e.token == "system1");
    CHECK(e.render() ==
          "terminal:4:(1) syntax error: system1\n  [edit]\n    'system1 {'\n      syntax error\n");

    e = parse_error("system {\n    hostname r1;\n}\n");
    CHECK(e.line == 2);
    CHECK(e.column == 5);
    CHECK(e.render() ==
          "terminal:2:(5) syntax error: hostname\n  [edit system]\n    'hostname r1;'\n      syntax error\n");

    e = parse_error("interfaces {\n  fe-0/0/1 {\n    mtu 9228;\n  }\n}\n");
    CHECK(e.line == 3);
    CHECK(e.column == 9);
    CHECK(e.message == "Value 9228 is not within range (256..9192) at '9228'");
    CHECK(e.edit_path == std::vector<std::string>{"interfaces", "fe-0/0/1"});

    e = parse_error("system { host-name; }");
    CHECK(e.message == "missing argument");
    // A leaf-list that names nothing is refused, not kept as an empty list (found by fuzz_config_text).
    e = parse_error("security { ike { policy p { proposals ; } } }");
    CHECK(e.message == "missing argument");
    e = parse_error("security { ike { policy p { proposals [ ]; } } }");
    CHECK(e.message == "missing argument");
    e = parse_error("system { host-name r1; ");
    CHECK(e.message.find("missing '}'") != std::string::npos);
    e = parse_error("system { host-name r1; } }");
    CHECK(e.token == "}");
    e = parse_error("system { host-name \"r1; }");
    CHECK(e.message.find("unterminated string") != std::string::npos);
    e = parse_error("system { host-name r1 { } }");
    CHECK(e.message == "syntax error");
    e = parse_error("security { ike { proposal p { dh-group group7; } } }");
    CHECK(e.token == "group7");
    e = parse_error("system { /* x */ ; }");
    CHECK(e.message == "syntax error");
}

TEST_CASE("text: garbage and binary input are refused quickly") {
    auto s = test::schema();
    std::string binary(10 << 20, '\0');
    uint32_t x = 12345;
    for (auto& c : binary) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 24);
    }
    auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(parse_text(*s, binary), ConfigError);
    std::string words;
    while (words.size() < (10u << 20))
        words += "lorem ipsum { dolor } sit amet; ";
    CHECK_THROWS_AS(parse_text(*s, words), ConfigError);
    std::string deep;
    for (int i = 0; i < 100000; ++i)
        deep += "system {";
    CHECK_THROWS_AS(parse_text(*s, deep), ConfigError);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
                  .count();
    CHECK(ms < 5000);
}

TEST_CASE("text: print_statement shows one statement") {
    auto s = test::schema();
    Node root = parse_text(*s, "system { host-name r1; name-server [ a b ]; }");
    const Node* sys = root.children().front().get();
    CHECK(print_statement(*sys->children()[0]) == "host-name r1;\n");
    CHECK(print_statement(*sys->children()[1]) == "name-server [ a b ];\n");
    CHECK(print_statement(root).empty());
}

TEST_CASE("print_xml: the Junos XML form, keys first, inactive and annotations kept, framed by ancestors") {
    auto s = test::schema();
    std::string text = kGatewayA;
    const std::string placeholder = "$9$QzF3n6/9CAtpu0OBEhcSyrleKvMW8LXx";
    text.replace(text.find(placeholder), placeholder.size(), canon_secret("1234123412341234"));
    Node root = parse_text(*s, text);
    const std::string all = print_xml(root);
    CHECK(all.find("> <!-- SECRET-DATA -->\n") != std::string::npos);
    CHECK(all.find("1234123412341234") == std::string::npos);
    CHECK(all.rfind(
              "<configuration>\n    <interfaces>\n        <interface>\n            <name>fe-0/0/1</name>\n"
              "            <unit>\n                <name>0</name>\n",
              0) == 0);
    CHECK(all.find("<address>\n                            <name>10.1.1.254/24</name>") != std::string::npos);
    CHECK(all.ends_with("\n</configuration>\n"));
    // A statement deep down: its ancestors frame it; inactive and annotations show.
    Node* unit = const_cast<Node*>(find_path(*s, root, {"interfaces", "es-0/1/0", "unit", "0"}));
    REQUIRE(unit);
    unit->inactive = true;
    unit->annotation = "tunnel <to B>";
    const std::string one = print_xml(*unit, 4);
    CHECK(one.rfind("    <configuration>\n        <interfaces>\n            <interface>\n"
                    "                <name>es-0/1/0</name>\n"
                    "                <junos:comment>/* tunnel &lt;to B&gt; */</junos:comment>\n"
                    "                <unit inactive=\"inactive\">\n                    <name>0</name>\n",
                    0) == 0);
    CHECK(one.find("<source>10.5.5.5</source>") != std::string::npos);
    CHECK(one.find("fe-0/0/1") == std::string::npos);
    CHECK(one.ends_with("            </interface>\n        </interfaces>\n    </configuration>\n"));
}

TEST_CASE("text: several options of one level on one line after a value") {
    // Junos prints and accepts `file kmd size 1m files 3;`: after a leaf's value the next words continue
    // at that level (or an enclosing one within the statement), as `set` takes them.
    auto s = test::schema();
    Node one = parse_text(*s,
                          "security { ipsec { security-association sa1 { manual {\n"
                          "    direction bidirectional protocol esp spi 400 authentication algorithm "
                          "hmac-md5-96;\n"
                          "} } } }\n");
    Node blocks = parse_text(*s, R"(security {
    ipsec {
        security-association sa1 {
            manual {
                direction bidirectional {
                    protocol esp;
                    spi 400;
                    authentication {
                        algorithm hmac-md5-96;
                    }
                }
            }
        }
    }
}
)");
    CHECK(print_text(one) == print_text(blocks));
    // The same in a one-line route with another option after the leaf-list value.
    Node route = parse_text(*s, "routing-options { static { route 10.0.0.0/8 next-hop 10.1.1.1; } }");
    CHECK(print_text(route).find("route 10.0.0.0/8 next-hop 10.1.1.1;") != std::string::npos);
    // A wrong option anywhere in the line is a syntax error on that word, and nothing is applied.
    auto e = parse_error(
        "security { ipsec { security-association sa1 { manual {\n"
        "    direction inbound spi 400 bogus 1;\n} } } }\n");
    CHECK(e.message == "syntax error");
    CHECK(e.line == 2);
    CHECK(e.render().find("bogus") != std::string::npos);
    // A value out of range in a later option is reported on that option.
    auto r = parse_error(
        "security { ipsec { security-association sa1 { manual {\n"
        "    direction inbound protocol esp spi 9;\n} } } }\n");
    CHECK(r.message.find("Value 9 is not within range") != std::string::npos);
}
