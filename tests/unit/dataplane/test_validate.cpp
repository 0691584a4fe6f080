#include <doctest/doctest.h>

#include "helpers.hpp"

using namespace msim::dataplane;
using namespace msim::dataplane::test;

namespace {

bool mentions(const std::vector<std::string>& errors, const std::string& text) {
    for (const auto& e : errors) {
        if (e.find(text) != std::string::npos) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("validate: the seed's gateway configuration is accepted") {
    ForwardingEngine::ProposedConfig cfg;
    UnitConfig lan = unit0("10.1.1.254/24");
    lan.input_filter = "ipsec-encrypt-policy-filter";
    UnitConfig es = unit0("10.1.1.8/32", "10.1.1.9");  // a /32 inside the LAN subnet is fine
    es.tunnel_source = ip("10.5.5.5");
    es.tunnel_destination = ip("10.6.6.6");
    es.ipsec_sa = "manual-sa1";
    cfg.units = {{"fe-0/0/1", lan}, {"fe-0/0/0", unit0("10.5.5.5/24")}, {"es-0/1/0", es}};
    FilterTerm t;
    t.name = "default";
    cfg.filters = {{"ipsec-encrypt-policy-filter", {t}}};
    cfg.routes = {{pfx("10.6.6.6/32"), StaticRoute::Kind::kNextHop, {{ip("10.5.5.1"), ""}}}};
    auto errors = ForwardingEngine::validate(cfg);
    CHECK_MESSAGE(errors.empty(), (errors.empty() ? "" : errors.front()));
}

TEST_CASE("validate: overlapping subnets, duplicates, undefined filters, bad tunnel sources") {
    ForwardingEngine::ProposedConfig cfg;
    UnitConfig a = unit0("10.1.1.1/24");
    a.input_filter = "nope";
    UnitConfig es = unit0("10.9.9.1/32", "10.9.9.2");
    es.tunnel_source = ip("10.7.7.7");
    UnitConfig fe_sa = unit0("10.3.3.1/24");
    fe_sa.ipsec_sa = "x";
    cfg.units = {{"fe-0/0/0", a},
                 {"fe-0/0/1", unit0("10.1.0.1/16")},
                 {"fe-0/0/2", unit0("10.2.2.1/24")},
                 {"fe-0/0/3", unit0("10.2.2.1/25")},
                 {"ge-1/1/0", unit0("10.4.4.0/24")},
                 {"es-0/1/0", es},
                 {"so-0/2/0", fe_sa},
                 {"xe-0/0/0", unit0("10.8.8.1/24")}};
    cfg.routes = {{pfx("10.10.0.0/16"), StaticRoute::Kind::kNextHop, {}},
                  {pfx("10.11.0.0/16"), StaticRoute::Kind::kNextHop, {{ip("10.1.1.1"), ""}}}};
    auto errors = ForwardingEngine::validate(cfg);
    CHECK(mentions(errors, "fe-0/0/1.0: address 10.1.0.1/16 overlaps subnet 10.1.1.0/24 of fe-0/0/0.0"));
    CHECK(mentions(errors, "address 10.2.2.1 is already configured on fe-0/0/2.0"));
    CHECK(mentions(errors, "firewall filter nope is referenced but not defined"));
    CHECK(mentions(errors, "tunnel source 10.7.7.7 is not a local address"));
    CHECK(mentions(errors, "host part is the network or broadcast address"));
    CHECK(mentions(errors, "ipsec-sa is only valid on es- and sp- interfaces"));
    CHECK(mentions(errors, "invalid interface name 'xe-0/0/0'"));
    CHECK(mentions(errors, "10.10.0.0/16: next-hop, discard or reject required"));
    CHECK(mentions(errors, "next-hop 10.1.1.1 is a local address"));
}

TEST_CASE("configuration calls report errors as values") {
    ForwardingEngine e;
    CHECK(e.add_interface("fe-0/0/0").ok());
    CHECK(e.add_interface("fe-0/0/0").error == "interface fe-0/0/0 already exists");
    CHECK_FALSE(e.add_interface("bogus").ok());
    CHECK(e.remove_interface("fe-0/0/7").error == "device fe-0/0/7 not found");
    CHECK_FALSE(e.configure_unit("fe-0/0/0", unit0("10.1.1.1/24", "10.1.1.2")).ok());
    CHECK_FALSE(e.attach_service_pic("fe-0/0/0", nullptr).ok());
    CHECK_FALSE(e.set_mtu("fe-0/0/0", 100).ok());
    CHECK_FALSE(e.delete_static_route(pfx("10.0.0.0/8")).ok());
    CHECK(e.send_echo_request(echo_to(ip("10.9.9.9"))) == SendResult::kNoRoute);
}
