// The shell's chassis commands: argument parsing into RPC requests and the Junos text layouts.
#include <doctest/doctest.h>

#include <string>

#include "msim/common/xml.hpp"
#include "msim/hwsim/rpc_xml.hpp"
#include "msim/shell/command_tree.hpp"

using namespace msim;
using namespace msim::hwsim;

namespace {
const shell::CommandTree& tree() {
    static const shell::CommandTree t = shell::make_operational_tree();
    return t;
}

// Renders `body` (a reply element) with the command `line`'s renderer, as the CLI does with <rpc-reply>.
std::string render(const std::string& line, const std::function<void(pugi::xml_node)>& body) {
    auto m = tree().match(shell::split_words(line));
    REQUIRE(m.command);
    pugi::xml_document doc;
    auto reply = doc.append_child("rpc-reply");
    body(reply);
    return m.command->render(reply);
}

// The request the command `line` sends, or its error text.
std::string request(const std::string& line) {
    auto m = tree().match(shell::split_words(line));
    if (!m.command)
        return "(no match)";
    pugi::xml_document doc;
    auto req = doc.append_child(m.command->rpc.c_str());
    if (m.command->fill) {
        const std::string error = m.command->fill(req, m.args);
        if (!error.empty())
            return error;
    }
    return xml::to_string(req);
}

Chassis chassis() {
    return Chassis(default_hardware(), "gateway-a", [] { return 5000LL; });
}
}  // namespace

TEST_CASE("show chassis hardware: Junos columns") {
    const std::string out =
        render("show chassis hardware", [](pugi::xml_node r) { chassis_inventory(chassis(), r, false); });
    CHECK(
        out.starts_with("Hardware inventory:\n"
                        "Item             Version  Part number  Serial number     Description\n"
                        "Chassis                                "));
    const std::string feb = serial_number("gateway-a", "FEB", SerialStyle::board);
    CHECK(out.find("\nFEB              REV 05   710-002503   " + feb +
                   "            Internet Processor II\n") != std::string::npos);
    CHECK(out.find("\nFPC 0                                                    E-FPC\n") !=
          std::string::npos);
    const std::string pic = serial_number("gateway-a", "FPC 0 PIC 0", SerialStyle::board);
    CHECK(out.find("\n  PIC 0          REV 04   750-002992   " + pic + "            4x F/E, 100 BASE-TX\n") !=
          std::string::npos);
    CHECK(out.ends_with("\nFan Tray                                                 M10 Fan Tray\n"));
    const std::string detail = render("show chassis hardware detail",
                                      [](pugi::xml_node r) { chassis_inventory(chassis(), r, true); });
    CHECK(detail.find("\n  ad0     96 MB  SanDisk SDCFB-96      ") != std::string::npos);
    CHECK(request("show chassis hardware") == "<get-chassis-inventory/>");
    CHECK(request("sh ch hard det") == "<get-chassis-inventory><detail/></get-chassis-inventory>");
}

TEST_CASE("show chassis fpc and pic-status") {
    Chassis c = chassis();
    c.request_fpc(1, FpcAction::offline);
    c.request_pic(0, 1, false);
    const std::string fpc =
        render("show chassis fpc", [&](pugi::xml_node r) { fpc_information(c, r, false); });
    CHECK(
        fpc.starts_with("                     Temp  CPU Utilization (%)   Memory    Utilization (%)\n"
                        "Slot State            (C)  Total  Interrupt      DRAM (MB) Heap     Buffer\n"
                        "  0  Online            "));
    CHECK(fpc.ends_with("\n  1  Offline\n"));
    const std::string pics =
        render("show chassis fpc pic-status", [&](pugi::xml_node r) { fpc_information(c, r, true); });
    CHECK(pics ==
          "Slot 0   Online       E-FPC\n"
          "  PIC 0  Online       4x F/E, 100 BASE-TX\n"
          "  PIC 1  Offline      ES PIC\n"
          "Slot 1   Offline      E-FPC\n"
          "  PIC 0  Present      A/S SP-1\n"
          "  PIC 1  Present      1x G/E, 1000 BASE-SX\n");
    CHECK(request("show chassis fpc pic-status") ==
          "<get-fpc-information><pic-status/></get-fpc-information>");
}

TEST_CASE("show chassis pic") {
    long long t = 100;
    Chassis c(default_hardware(), "r", [&t] { return t; });
    t = 100 + 3725;
    const std::string out =
        render("show chassis pic fpc-slot 0 pic-slot 1", [&](pugi::xml_node r) { pic_detail(c, r, 0, 1); });
    CHECK(out ==
          "PIC fpc slot 0 pic slot 1 information:\n"
          "  Type                             ES PIC\n"
          "  State                            Online\n"
          "  PIC version                      2.0\n"
          "  Uptime                           1 hour, 2 minutes, 5 seconds\n");
    CHECK(request("show chassis pic fpc-slot 0 pic-slot 1") ==
          "<get-pic-detail><fpc-slot>0</fpc-slot><pic-slot>1</pic-slot></get-pic-detail>");
    CHECK(request("show chassis pic pic-slot 3 fpc 1") ==
          "<get-pic-detail><fpc-slot>1</fpc-slot><pic-slot>3</pic-slot></get-pic-detail>");
    CHECK(request("show chassis pic fpc-slot 0") == "missing mandatory argument: pic-slot.");
    CHECK(request("show chassis pic fpc-slot") == "missing argument.");
    CHECK(request("show chassis pic fpc-slot x pic-slot 1") == "invalid numeric value: 'x'");
    CHECK(request("show chassis pic fpc-slot 0 pic-slot 9") == "Value 9 is not within range (0..3)");
    CHECK(request("show chassis pic fpc-slot 0 pic-slot 1 now") == "syntax error.");
    auto m = tree().match(shell::split_words("show chassis pic"));
    REQUIRE(m.error);
    CHECK(m.error->kind == shell::MatchError::Kind::missing_argument);
}

TEST_CASE("show chassis alarms") {
    CHECK(render("show chassis alarms", [](pugi::xml_node r) { alarm_information(chassis(), r, 0); }) ==
          "No alarms currently active\n");
    auto hw = default_hardware();
    hw.absent_power_supplies = {"B"};
    CHECK(
        render("show chassis alarms", [&](pugi::xml_node r) { alarm_information(Chassis(hw, "r"), r, 0); }) ==
        "1 alarms currently active\n"
        "Alarm time               Class  Description\n"
        "1970-01-01 00:00:00 UTC  Minor  Power Supply B Absent\n");
}

TEST_CASE("request chassis pic / fpc") {
    CHECK(
        request("request chassis pic fpc-slot 0 pic-slot 1 offline") ==
        "<request-chassis-pic><fpc-slot>0</fpc-slot><pic-slot>1</pic-slot><offline/></request-chassis-pic>");
    CHECK(request("request chassis pic online fpc-slot 1 pic-slot 0") ==
          "<request-chassis-pic><fpc-slot>1</fpc-slot><pic-slot>0</pic-slot><online/></request-chassis-pic>");
    CHECK(request("request chassis pic fpc-slot 0 pic-slot 1") ==
          "missing mandatory argument: offline | online.");
    CHECK(request("request chassis pic fpc-slot 0 pic-slot 1 o") == "'o' is ambiguous.");
    CHECK(request("request chassis pic offline online fpc-slot 0 pic-slot 1") == "syntax error.");
    CHECK(request("request chassis fpc slot 1 restart") ==
          "<request-chassis-fpc><slot>1</slot><restart/></request-chassis-fpc>");
    CHECK(request("request chassis fpc slot 8 offline") == "Value 8 is not within range (0..7)");
    CHECK(request("request chassis fpc restart") == "missing mandatory argument: slot.");
    CHECK(render("request chassis fpc slot 1 restart", [](pugi::xml_node r) {
              r.append_child("output").text() = "Restart initiated, use \"show chassis fpc\" to verify";
          }) == "Restart initiated, use \"show chassis fpc\" to verify\n");
}

TEST_CASE("help for ? lists the chassis commands with Junos help texts") {
    auto names = [](const std::vector<shell::Completion>& cs) {
        std::string out;
        for (const auto& c : cs)
            out += c.name + "=" + c.help + ";";
        return out;
    };
    const std::string show = names(tree().completions({"show", "chassis"}, ""));
    CHECK(show.find("alarms=Show alarm status;") != std::string::npos);
    CHECK(show.find("fpc=Show Flexible PIC Concentrator status;") != std::string::npos);
    CHECK(show.find("hardware=Show installed hardware components;") != std::string::npos);
    CHECK(show.find("pic=Show Physical Interface Card state, type, and uptime;") != std::string::npos);
    const std::string hw = names(tree().completions({"show", "chassis", "hardware"}, ""));
    CHECK(hw.starts_with("<[Enter]>=Execute this command;detail="));
    const std::string req = names(tree().completions({"request", "chassis"}, ""));
    CHECK(req == "fpc=Change Flexible PIC Concentrator status;pic=Change PIC status;");
    CHECK(names(tree().completions({"show"}, "ch")).starts_with("chassis=Show chassis information;"));
}
