// chassisd's replies in Junos XML, and the <pic-states> contract with pfed.
#include <doctest/doctest.h>

#include <string>

#include "msim/common/xml.hpp"
#include "msim/hwsim/rpc_xml.hpp"

using namespace msim::hwsim;

namespace {
Chassis default_chassis() {
    return Chassis(default_hardware(), "gateway-a", [] { return 1000LL; });
}
}  // namespace

TEST_CASE("chassis-inventory lists the chassis, its fixed parts, FPCs with their PICs, and fans") {
    Chassis c = default_chassis();
    pugi::xml_document doc;
    auto inv = chassis_inventory(c, doc, false);
    auto chassis = inv.child("chassis");
    CHECK(std::string(chassis.attribute("junos:style").value()) == "inventory");
    CHECK(std::string(chassis.child_value("name")) == "Chassis");
    CHECK(std::string(chassis.child_value("description")) == "M10");
    std::vector<std::string> names;
    for (auto m : chassis.children("chassis-module"))
        names.push_back(m.child_value("name"));
    CHECK(names == std::vector<std::string>{"Midplane", "Power Supply A", "Power Supply B", "Display",
                                            "Routing Engine", "FEB", "FPC 0", "FPC 1", "Fan Tray"});
    pugi::xml_node fpc1;
    for (auto m : chassis.children("chassis-module"))
        if (std::string(m.child_value("name")) == "FPC 1")
            fpc1 = m;
    auto pic0 = fpc1.child("chassis-sub-module");
    CHECK(std::string(pic0.child_value("name")) == "PIC 0");
    CHECK(std::string(pic0.child_value("description")) == "A/S SP-1");
    CHECK(std::string(pic0.child_value("part-number")) == "750-007745");
    CHECK(std::string(pic0.child_value("serial-number")).size() == 6);
    // The same router gets the same serial numbers every time.
    pugi::xml_document again;
    chassis_inventory(default_chassis(), again, false);
    CHECK(msim::xml::to_string(doc) == msim::xml::to_string(again));
    // No disks without detail; with it, under the Routing Engine.
    CHECK_FALSE(
        doc.find_node([](pugi::xml_node n) { return std::string(n.name()) == "chassis-re-disk-module"; }));
    pugi::xml_document detail;
    chassis_inventory(c, detail, true);
    auto disk =
        detail.find_node([](pugi::xml_node n) { return std::string(n.name()) == "chassis-re-disk-module"; });
    REQUIRE(disk);
    CHECK(std::string(disk.parent().child_value("name")) == "Routing Engine");
    CHECK(std::string(disk.child_value("description")) == "Compact Flash");
}

TEST_CASE("an absent power supply is missing from the inventory") {
    auto hw = default_hardware();
    hw.absent_power_supplies = {"A"};
    Chassis c(hw, "r");
    pugi::xml_document doc;
    const std::string text = msim::xml::to_string(chassis_inventory(c, doc, false));
    CHECK(text.find("Power Supply A") == std::string::npos);
    CHECK(text.find("Power Supply B") != std::string::npos);
}

TEST_CASE("fpc-information: readings for online FPCs, state only otherwise; pic-style lists PICs") {
    Chassis c = default_chassis();
    c.request_fpc(1, FpcAction::offline);
    pugi::xml_document doc;
    auto info = fpc_information(c, doc, false);
    auto f0 = info.child("fpc");
    CHECK(std::string(f0.child_value("slot")) == "0");
    CHECK(std::string(f0.child_value("state")) == "Online");
    CHECK(f0.child("temperature").attribute("junos:celsius").as_int() > 20);
    CHECK(std::string(f0.child_value("memory-dram-size")) == "128");
    CHECK(f0.child("cpu-total"));
    CHECK(f0.child("memory-heap-utilization"));
    CHECK(f0.child("memory-buffer-utilization"));
    auto f1 = f0.next_sibling("fpc");
    CHECK(std::string(f1.child_value("state")) == "Offline");
    CHECK_FALSE(f1.child("temperature"));

    pugi::xml_document pics;
    auto ps = fpc_information(c, pics, true);
    CHECK(std::string(ps.attribute("junos:style").value()) == "pic-style");
    auto p = ps.child("fpc").next_sibling("fpc").child("pic");
    CHECK(std::string(p.child_value("pic-slot")) == "0");
    CHECK(std::string(p.child_value("pic-state")) == "Present");
    CHECK(std::string(p.child_value("pic-type")) == "A/S SP-1");
}

TEST_CASE("pic-detail and its errors") {
    Chassis c = default_chassis();
    pugi::xml_document doc;
    auto d = pic_detail(c, doc, 0, 0).child("fpc").child("pic-detail");
    CHECK(std::string(d.child_value("pic-type")) == "4x F/E, 100 BASE-TX");
    CHECK(std::string(d.child_value("state")) == "Online");
    CHECK(std::string(d.child_value("pic-version")) == "4.0");
    CHECK(d.child("up-time").attribute("junos:seconds").as_int() == 0);
    pugi::xml_document e;
    CHECK_THROWS_WITH_AS(pic_detail(c, e, 0, 3), "FPC 0 PIC 3 not present", RpcError);
    CHECK_THROWS_WITH_AS(pic_detail(c, e, 2, 0), "FPC slot 2 does not exist (valid slots 0..1)", RpcError);
}

TEST_CASE("alarm-information") {
    pugi::xml_document none;
    auto info = alarm_information(default_chassis(), none, 0);
    CHECK(info.child("alarm-summary").child("no-active-alarms"));
    auto hw = default_hardware();
    hw.absent_power_supplies = {"B"};
    pugi::xml_document one;
    info = alarm_information(Chassis(hw, "r"), one, 86400);
    CHECK(std::string(info.child("alarm-summary").child_value("active-alarm-count")) == "1");
    auto a = info.child("alarm-detail");
    CHECK(std::string(a.child_value("alarm-time")) == "1970-01-02 00:00:00 UTC");
    CHECK(std::string(a.child_value("alarm-class")) == "Minor");
    CHECK(std::string(a.child_value("alarm-description")) == "Power Supply B Absent");
}

TEST_CASE("pic-states follow the contract with pfed") {
    Chassis c = default_chassis();
    c.request_pic(0, 1, false);
    pugi::xml_document doc;
    pic_states(c, doc);
    CHECK(msim::xml::to_string(doc.first_child().first_child()) ==
          "<pic><fpc-slot>0</fpc-slot><pic-slot>0</pic-slot><pic-type>4x-fe</pic-type><state>online</state>"
          "<interface>fe-0/0/0</interface><interface>fe-0/0/1</interface><interface>fe-0/0/2</interface>"
          "<interface>fe-0/0/3</interface></pic>");
    auto es = doc.first_child().first_child().next_sibling();
    CHECK(std::string(es.child_value("state")) == "offline");
    CHECK(std::string(es.child_value("interface")) == "es-0/1/0");
    size_t n = 0;
    for (auto p : doc.first_child().children("pic")) {
        (void)p;
        ++n;
    }
    CHECK(n == 4);
}

TEST_CASE("request RPCs: arguments and refusals") {
    Chassis c = default_chassis();
    pugi::xml_document req;
    req.load_string(
        "<request-chassis-pic><fpc-slot>0</fpc-slot><pic-slot>1</pic-slot><offline/></request-chassis-pic>");
    auto r = request_chassis_pic(c, req.first_child());
    CHECK(r.ok);
    CHECK(c.pic(0, 1)->state == PicState::offline);
    req.load_string("<request-chassis-pic><fpc-slot>0</fpc-slot><offline/></request-chassis-pic>");
    CHECK_THROWS_WITH_AS(request_chassis_pic(c, req.first_child()), "missing <pic-slot>", RpcError);
    req.load_string(
        "<request-chassis-pic><fpc-slot>x</fpc-slot><pic-slot>1</pic-slot><online/></request-chassis-pic>");
    CHECK_THROWS_WITH_AS(request_chassis_pic(c, req.first_child()), "invalid <fpc-slot> 'x'", RpcError);
    req.load_string(
        "<request-chassis-pic><fpc-slot>0</fpc-slot><pic-slot>1</pic-slot></request-chassis-pic>");
    CHECK_THROWS_AS(request_chassis_pic(c, req.first_child()), RpcError);

    FpcAction action{};
    req.load_string("<request-chassis-fpc><slot>1</slot><restart/></request-chassis-fpc>");
    r = request_chassis_fpc(c, req.first_child(), action);
    CHECK(r.ok);
    CHECK(action == FpcAction::restart);
    CHECK(c.fpc(1)->restarting);
    req.load_string("<request-chassis-fpc><slot>1</slot><online/><offline/></request-chassis-fpc>");
    CHECK_THROWS_AS(request_chassis_fpc(c, req.first_child(), action), RpcError);
}

TEST_CASE("Junos durations") {
    CHECK(junos_duration(0) == "0 seconds");
    CHECK(junos_duration(61) == "1 minute, 1 second");
    CHECK(junos_duration(3600) == "1 hour, 0 minutes, 0 seconds");
    CHECK(junos_duration(2 * 86400 + 5) == "2 days, 0 hours, 0 minutes, 5 seconds");
}
