// pfed's configuration: Junos text -> PfedConfig -> ProposedConfig, validation errors with [edit …] paths,
// and apply by difference (only the objects that changed reach the engine).
#include <doctest/doctest.h>

#include <algorithm>

#include "msim/config/text_format.hpp"
#include "msim/pfed/config_map.hpp"

using namespace msim;
using namespace msim::pfed;
namespace dp = msim::dataplane;

namespace {

std::shared_ptr<const config::Schema> schema() {
    static auto s = config::Schema::load(MSIM_YANG_DIR);
    return s;
}

PfedConfig mapped(std::string_view text) {
    return map_configuration(config::parse_text(*schema(), text));
}

dp::Ipv4Prefix pfx(const char* t) {
    return *dp::Ipv4Prefix::parse(t);
}
dp::Ipv4Address ip(const char* t) {
    return *dp::Ipv4Address::parse(t);
}

// Gateway A of the seed's manual-SA example (routing and filters; the SA itself is ipsecd's).
constexpr const char* gateway_a = R"(
interfaces {
    fe-0/0/0 {
        description "to gateway-b";
        unit 0 {
            family inet {
                address 10.5.5.5/24;
            }
        }
    }
    fe-0/0/1 {
        mtu 1500;
        unit 0 {
            family inet {
                filter {
                    input ipsec-encrypt-policy-filter;
                }
                address 10.1.1.254/24;
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
                ipsec-sa manual-sa1;
                filter {
                    input ipsec-decrypt-policy-filter;
                }
                address 10.1.1.8/32 {
                    destination 10.1.1.9;
                }
            }
        }
    }
    fxp0 {
        unit 0 {
            family inet {
                address 192.168.0.1/24;
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
                    10.1.1.128/25 except;
                }
                destination-address {
                    10.2.2.0/24;
                }
                protocol [ udp 50 ];
                destination-port [ dns 1024-2048 http ];
            }
            then {
                count encrypted;
                ipsec-sa manual-sa1;
            }
        }
        term other {
            then accept;
        }
    }
    filter ipsec-decrypt-policy-filter {
        term term1 {
            from {
                source-address {
                    10.2.2.0/24;
                }
            }
            then accept;
        }
        term rest {
            then {
                reject;
            }
        }
    }
}
routing-options {
    static {
        route 10.2.2.0/24 next-hop 10.5.5.1;
        route 10.6.6.6/32 {
            next-hop 10.5.5.1;
            preference 7;
        }
        route 10.9.0.0/16 discard;
        route 10.10.0.0/16 next-hop es-0/1/0;
    }
}
)";

bool mentions(const std::vector<ConfigDiagnostic>& ds, const std::vector<std::string>& path,
              const std::string& statement, const std::string& text) {
    return std::any_of(ds.begin(), ds.end(), [&](const ConfigDiagnostic& d) {
        return d.path == path && d.statement == statement && d.message.find(text) != std::string::npos;
    });
}

std::string dump(const std::vector<ConfigDiagnostic>& ds) {
    std::string out;
    for (const auto& d : ds) {
        out += "[edit";
        for (const auto& w : d.path) {
            out += " " + w;
        }
        out += "] '" + d.statement + "' " + d.message + "\n";
    }
    return out;
}

}  // namespace

TEST_CASE("config map: the seed's gateway maps onto units, filters and static routes") {
    const PfedConfig c = mapped(gateway_a);
    CHECK(c.problems.empty());
    REQUIRE(c.interfaces.size() == 3);  // fxp0 is the RE's management port, not the forwarding plane
    CHECK(c.interfaces.count("fxp0") == 0);
    const auto& lan = c.interfaces.at("fe-0/0/1");
    CHECK(lan.mtu == 1500u);
    const auto& u = lan.units.at(0);
    CHECK(u.input_filter == "ipsec-encrypt-policy-filter");
    REQUIRE(u.addresses.size() == 1);
    CHECK(u.addresses[0].local == pfx("10.1.1.254/24"));
    CHECK(c.interfaces.at("fe-0/0/0").units.at(0).description.empty());  // physical description is not the
                                                                         // unit's

    const auto& es = c.interfaces.at("es-0/1/0").units.at(0);
    CHECK(es.ipsec_sa == "manual-sa1");
    CHECK(es.tunnel_source == ip("10.5.5.5"));
    CHECK(es.tunnel_destination == ip("10.6.6.6"));
    REQUIRE(es.addresses.size() == 1);
    CHECK(es.addresses[0].local == pfx("10.1.1.8/32"));
    CHECK(es.addresses[0].destination == ip("10.1.1.9"));

    const auto& enc = c.filters.at("ipsec-encrypt-policy-filter");
    REQUIRE(enc.terms.size() == 2);
    const auto& t1 = enc.terms[0];
    CHECK(t1.name == "term1");
    REQUIRE(t1.source_addresses.size() == 2);
    CHECK(t1.source_addresses[1].prefix == pfx("10.1.1.128/25"));
    CHECK(t1.source_addresses[1].except);
    CHECK(t1.protocols == std::vector<uint8_t>{17, 50});
    REQUIRE(t1.destination_ports.size() == 3);
    CHECK(t1.destination_ports[0] == dp::PortRange{53, 53});
    CHECK(t1.destination_ports[1] == dp::PortRange{1024, 2048});
    CHECK(t1.destination_ports[2] == dp::PortRange{80, 80});
    CHECK(t1.action == dp::FilterAction::kIpsecSa);
    CHECK(t1.ipsec_sa == "manual-sa1");
    CHECK(t1.count == "encrypted");
    CHECK(enc.terms[1].action == dp::FilterAction::kAccept);
    const auto& dec = c.filters.at("ipsec-decrypt-policy-filter");
    CHECK(dec.terms[1].action == dp::FilterAction::kReject);
    CHECK(dec.terms[1].reject_code == 13);

    REQUIRE(c.routes.size() == 4);
    const auto& r1 = c.routes.at(pfx("10.2.2.0/24"));
    REQUIRE(r1.next_hops.size() == 1);
    CHECK(r1.next_hops[0].address == ip("10.5.5.1"));
    CHECK(r1.preference == 5);
    CHECK(c.routes.at(pfx("10.6.6.6/32")).preference == 7);
    CHECK(c.routes.at(pfx("10.9.0.0/16")).kind == dp::StaticRoute::Kind::kDiscard);
    CHECK(c.routes.at(pfx("10.10.0.0/16")).next_hops[0].unit == "es-0/1/0.0");

    const auto p = proposed(c);
    CHECK(p.units.size() == 3);
    CHECK(p.filters.size() == 2);
    CHECK(p.routes.size() == 4);
    const auto errors = validate_configuration(c);
    CHECK_MESSAGE(errors.empty(), dump(errors));
}

TEST_CASE("config map: validation errors carry the Junos path and statement") {
    const PfedConfig c = mapped(R"(
interfaces {
    fe-0/0/0 {
        unit 0 {
            family inet {
                address 10.0.0.1/30;
            }
        }
    }
    fe-0/0/1 {
        mtu 260;
        unit 0 {
            family inet {
                filter {
                    input missing-filter;
                }
                address 10.0.0.2/30;
            }
        }
    }
    es-0/1/0 {
        unit 0 {
            tunnel {
                source 10.7.7.7;
            }
        }
    }
}
routing-options {
    static {
        route 10.2.2.0/24 {
            next-hop 10.0.0.1;
            preference 300;
        }
    }
}
)");
    const auto ds = validate_configuration(c);
    INFO(dump(ds));
    CHECK(mentions(ds, {"interfaces", "fe-0/0/1", "unit", "0", "family", "inet"}, "address 10.0.0.2/30",
                   "overlaps subnet 10.0.0.0/30 of fe-0/0/0.0"));
    CHECK(mentions(ds, {"interfaces", "fe-0/0/1", "unit", "0", "family", "inet", "filter"}, "",
                   "firewall filter missing-filter is referenced but not defined"));
    CHECK(mentions(ds, {"interfaces", "es-0/1/0", "unit", "0", "tunnel"}, "source 10.7.7.7",
                   "is not a local address"));
    CHECK(mentions(ds, {"interfaces", "fe-0/0/1"}, "mtu 260", "Value 260 is not within range (270..9192)"));
    CHECK(mentions(ds, {"routing-options", "static"}, "route 10.2.2.0/24",
                   "next-hop 10.0.0.1 is a local address"));
    CHECK(
        mentions(ds, {"routing-options", "static"}, "route 10.2.2.0/24", "preference 300 is not supported"));
}

TEST_CASE("config map: engine messages without a unit keep their text") {
    auto d = diagnostic_from_engine("filter f term t: duplicate term name");
    CHECK(d.path == std::vector<std::string>{"firewall", "filter", "f"});
    CHECK(d.statement == "term t");
    CHECK(d.message == "duplicate term name");
    d = diagnostic_from_engine("routing-options static route 10.1.0.0/16 is defined twice");
    CHECK(d.path == std::vector<std::string>{"routing-options", "static"});
    CHECK(d.statement == "route 10.1.0.0/16");
    d = diagnostic_from_engine("something else entirely");
    CHECK(d.path.empty());
    CHECK(d.message == "something else entirely");
}

TEST_CASE("apply difference: only what changed reaches the engine") {
    dp::ForwardingEngine e;
    REQUIRE(e.add_interface("fe-0/0/0").ok());
    REQUIRE(e.add_interface("fe-0/0/1").ok());
    const PfedConfig empty;
    const PfedConfig a = mapped(gateway_a);
    auto ops = apply_difference(empty, a, e);
    CHECK(std::count(ops.begin(), ops.end(), std::string("set_filter ipsec-encrypt-policy-filter")) == 1);
    CHECK(std::count(ops.begin(), ops.end(), std::string("configure_unit es-0/1/0.0")) == 1);
    CHECK(std::count(ops.begin(), ops.end(), std::string("set_mtu fe-0/0/1")) == 1);
    CHECK(e.interface("fe-0/0/1")->mtu == 1500);
    CHECK(e.interface("fe-0/0/1")->units.at(0).addresses.at(0).local == pfx("10.1.1.254/24"));

    // The same configuration again: nothing to do.
    CHECK(apply_difference(a, a, e).empty());

    // One address changes, one route goes, one filter term changes, an interface is disabled.
    std::string text = gateway_a;
    text.replace(text.find("10.5.5.5/24"), 11, "10.5.5.5/25");
    text.replace(text.find("        route 10.9.0.0/16 discard;\n"), 35, "");
    text.replace(text.find("reject;"), 7, "discard;");
    text.replace(text.find("    fe-0/0/1 {\n"), 15, "    fe-0/0/1 {\n        disable;\n");
    std::vector<std::string> failures;
    const PfedConfig b = mapped(text);
    ops = apply_difference(a, b, e, &failures);
    CHECK(failures.empty());
    std::sort(ops.begin(), ops.end());
    CHECK(ops == std::vector<std::string>{"configure_unit fe-0/0/0.0", "delete_static_route 10.9.0.0/16",
                                          "set_admin_up fe-0/0/1", "set_filter ipsec-decrypt-policy-filter"});
    CHECK_FALSE(e.interface("fe-0/0/1")->admin_up);

    // Back to nothing: everything configured is removed, interfaces stay (they are hardware).
    ops = apply_difference(b, empty, e, &failures);
    CHECK(failures.empty());
    CHECK(e.interface("fe-0/0/1")->units.empty());
    CHECK(e.interface("fe-0/0/1")->admin_up);
    CHECK(e.interface("fe-0/0/1")->mtu == 1514);
    CHECK(e.firewall().empty());
    CHECK(e.route_table().routes.empty());
}

TEST_CASE("apply difference: configuration for absent hardware comes alive with the interface") {
    dp::ForwardingEngine e;
    const PfedConfig a = mapped(gateway_a);
    std::vector<std::string> failures;
    apply_difference({}, a, e, &failures);
    CHECK(failures.empty());
    CHECK_FALSE(e.interface("fe-0/0/1"));
    REQUIRE(e.add_interface("fe-0/0/1").ok());
    apply_interface_settings(a, "fe-0/0/1", e);
    CHECK(e.interface("fe-0/0/1")->mtu == 1500);
    CHECK(e.interface("fe-0/0/1")->units.at(0).input_filter == "ipsec-encrypt-policy-filter");
}
