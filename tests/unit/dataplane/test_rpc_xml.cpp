#include <doctest/doctest.h>

#include <sstream>

#include "msim/dataplane/rpc_xml.hpp"
#include "router_fixture.hpp"

using namespace msim::dataplane;
using namespace msim::dataplane::test;

TEST_CASE("ages and subnets print the Junos way") {
    using std::chrono::seconds;
    CHECK(rpc::format_age(seconds(75)) == "01:15");
    CHECK(rpc::format_age(seconds(3 * 3600 + 12 * 60 + 45)) == "03:12:45");
    CHECK(rpc::format_age(seconds(2 * 86400 + 15 * 3600 + 42 * 60 + 25)) == "2d 15:42:25");
    CHECK(rpc::format_age(seconds((3 * 7 + 3) * 86400 + 3 * 3600 + 12 * 60 + 45)) == "3w3d 03:12:45");
    CHECK(rpc::junos_subnet(pfx("10.1.1.254/24")) == "10.1.1/24");
    CHECK(rpc::junos_subnet(pfx("10.0.0.0/8")) == "10/8");
    CHECK(rpc::junos_subnet(pfx("10.1.0.0/30")) == "10.1.0.0/30");
    CHECK(rpc::junos_subnet(pfx("0.0.0.0/0")) == "0/0");
}

TEST_CASE("RPC replies carry the engine's state in Junos element names") {
    RouterFixture r;
    FirewallFilter f{"f", {}};
    FilterTerm t;
    t.name = "all";
    t.count = "seen";
    f.terms = {t};
    REQUIRE(r.e.set_filter(f).ok());
    UnitConfig lan = unit0("10.1.1.254/24");
    lan.input_filter = "f";
    REQUIRE(r.e.configure_unit("fe-0/0/1", lan).ok());
    REQUIRE(
        r.e.add_static_route({pfx("0.0.0.0/0"), StaticRoute::Kind::kNextHop, {{ip("10.0.0.2"), ""}}}).ok());
    r.introduce("fe-0/0/1", kHostLan, "10.1.1.10", "10.1.1.254");
    r.from_host("fe-0/0/1", kHostLan, ipv4(ip("10.1.1.10"), ip("10.1.1.254"), 1, icmp(8, 0, 1, 1, {})));

    pugi::xml_document doc;
    auto reply = doc.append_child("rpc-reply");

    auto terse = rpc::append_interface_information(reply, r.e.interfaces(), rpc::InterfaceDetail::kTerse);
    pugi::xml_node lan_phys;
    for (auto p : terse.children("physical-interface")) {
        if (std::string(p.child_value("name")) == "fe-0/0/1") {
            lan_phys = p;
        }
    }
    REQUIRE(lan_phys);
    CHECK(std::string(lan_phys.child_value("admin-status")) == "up");
    CHECK(
        std::string(
            lan_phys.child("logical-interface").child("address-family").child_value("address-family-name")) ==
        "inet");
    CHECK(std::string(lan_phys.child("logical-interface")
                          .child("address-family")
                          .child("interface-address")
                          .child_value("ifa-local")) == "10.1.1.254/24");

    auto ext = rpc::append_interface_information(reply, {*r.e.interface("fe-0/0/1")},
                                                 rpc::InterfaceDetail::kExtensive);
    auto pi = ext.child("physical-interface");
    CHECK(std::string(pi.child_value("link-level-type")) == "Ethernet");
    CHECK(std::string(pi.child_value("current-physical-address")) == r.mac_of("fe-0/0/1").to_string());
    CHECK(pi.child("traffic-statistics").child("input-packets").text().as_ullong() == 2);
    auto ifa = pi.child("logical-interface").child("address-family").child("interface-address");
    CHECK(std::string(ifa.child_value("ifa-destination")) == "10.1.1/24");
    CHECK(std::string(ifa.child_value("ifa-broadcast")) == "10.1.1.255");
    CHECK(std::string(
              pi.child("logical-interface").child("filter-information").child_value("filter-input")) == "f");

    auto arp = rpc::append_arp_table_information(reply, r.e.arp_table());
    CHECK(arp.child("arp-entry-count").text().as_int() == 1);
    CHECK(std::string(arp.child("arp-table-entry").child_value("ip-address")) == "10.1.1.10");
    CHECK(std::string(arp.child("arp-table-entry").child_value("interface-name")) == "fe-0/0/1.0");

    auto routes = rpc::append_route_information(reply, r.e.route_table());
    auto table = routes.child("route-table");
    CHECK(std::string(table.child_value("table-name")) == "inet.0");
    auto first = table.child("rt");
    CHECK(std::string(first.child_value("rt-destination")) == "0.0.0.0/0");
    CHECK(std::string(first.child("rt-entry").child_value("protocol-name")) == "Static");
    CHECK(std::string(first.child("rt-entry").child_value("active-tag")) == "*");
    CHECK(std::string(first.child("rt-entry").child("nh").child_value("to")) == "10.0.0.2");
    CHECK(first.child("rt-entry").child("nh").child("selected-next-hop"));
    bool local_seen = false;
    for (auto rt : table.children("rt")) {
        if (std::string(rt.child_value("rt-destination")) == "10.1.1.254/32") {
            local_seen = std::string(rt.child("rt-entry").child("nh").child_value("nh-local-interface")) ==
                         "fe-0/0/1.0";
        }
    }
    CHECK(local_seen);

    auto fwd = rpc::append_forwarding_table_information(reply, r.e.forwarding_table());
    CHECK(std::string(fwd.child("route-table").child("rt-entry").child_value("rt-destination")) == "default");

    auto fw = rpc::append_firewall_information(reply, r.e.firewall());
    auto counter = fw.child("filter-information").child("counter");
    CHECK(std::string(counter.child_value("counter-name")) == "seen");
    CHECK(counter.child("packet-count").text().as_int() == 1);

    std::ostringstream out;
    doc.save(out);
    CHECK(out.str().find("<rpc-reply>") != std::string::npos);
}
