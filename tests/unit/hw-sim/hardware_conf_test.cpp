// hardware.conf: parsing and the checks against the chassis model (errors name file and line).
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "msim/hwsim/hardware_conf.hpp"

using namespace msim::hwsim;

namespace {
std::string error_of(const std::string& text) {
    try {
        parse_hardware_conf(text, "hw.conf");
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "(no error)";
}
}  // namespace

TEST_CASE("a valid hardware.conf") {
    auto hw = parse_hardware_conf(
        "# lab router\nchassis m20\npic 3/2 1x-oc3   # SONET\npic 0/0 es\n"
        "power-supply B absent\n",
        "hw.conf");
    CHECK(hw.chassis == "m20");
    REQUIRE(hw.pics.size() == 2);
    CHECK(hw.pics[0].fpc == 3);
    CHECK(hw.pics[0].pic == 2);
    CHECK(hw.pics[0].type == "1x-oc3");
    CHECK(hw.pics[0].line == 3);
    CHECK(hw.absent_power_supplies == std::vector<std::string>{"B"});
}

TEST_CASE("the default router is an M10 with four PICs") {
    auto hw = default_hardware();
    CHECK(hw.chassis == "m10");
    CHECK(hw.pics.size() == 4);
}

TEST_CASE("slots are checked against the model, wherever the chassis line is") {
    CHECK(error_of("chassis m5\npic 0/0 4x-fe\npic 1/0 1x-ge\n") ==
          "hw.conf:3: PIC 1/0: FPC slot 1 does not exist on an M5 (FPC slots 0..0)");
    CHECK(error_of("pic 2/0 es\nchassis m10\n") ==
          "hw.conf:1: PIC 2/0: FPC slot 2 does not exist on an M10 (FPC slots 0..1)");
    CHECK(error_of("chassis m40\npic 7/4 es\n") ==
          "hw.conf:2: PIC 7/4: PIC slot 4 does not exist on an M40 FPC (PIC slots 0..3)");
    // Without a chassis line the router is an M10.
    CHECK(error_of("pic 3/0 es\n").starts_with("hw.conf:1: PIC 3/0: FPC slot 3 does not exist on an M10"));
}

TEST_CASE("a slot holds one PIC") {
    CHECK(error_of("chassis m10\npic 0/1 es\n\npic 0/1 as\n") ==
          "hw.conf:4: PIC slot 0/1 is already taken by the es PIC of line 2");
}

TEST_CASE("syntax errors name the line") {
    CHECK(error_of("chassis m7\n") == "hw.conf:1: unknown chassis 'm7' (expected m5, m10, m20 or m40)");
    CHECK(error_of("chassis m5\nchassis m10\n") == "hw.conf:2: chassis given twice (first on line 1)");
    CHECK(error_of("pic 0-1 es\n") == "hw.conf:1: bad slot '0-1' (expected FPC/PIC, e.g. 0/1)");
    CHECK(error_of("pic 0/1x es\n") == "hw.conf:1: bad slot '0/1x' (expected FPC/PIC, e.g. 0/1)");
    CHECK(error_of("pic 0/1 t3\n").starts_with("hw.conf:1: unknown PIC type 't3'"));
    CHECK(error_of("pic 0/1\n") == "hw.conf:1: expected 'pic FPC/PIC TYPE'");
    CHECK(error_of("fan 0\n") == "hw.conf:1: unknown statement 'fan'");
    CHECK(error_of("pic 0/1 es extra\n") == "hw.conf:1: unexpected 'extra'");
    CHECK(error_of("power-supply C absent\n") == "hw.conf:1: unknown power supply 'C' (expected A or B)");
    CHECK(error_of("power-supply A absent\npower-supply B absent\n") ==
          "hw.conf:2: an M10 without any power supply cannot run");
}
