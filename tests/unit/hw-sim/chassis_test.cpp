// The FPC/PIC state machine: operator requests, FPC offline taking PICs to present, restart, saved state.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "msim/hwsim/chassis.hpp"

using namespace msim::hwsim;

namespace {
struct Recorder {
    std::vector<std::string> changes;
    void attach(Chassis& c) {
        c.on_pic_change([this](const Pic& p) {
            changes.push_back(std::to_string(p.fpc) + "/" + std::to_string(p.slot) + " " +
                              std::string(to_string(p.state)));
        });
    }
};
}  // namespace

TEST_CASE("installed PICs start online, empty slots and FPCs are empty") {
    Chassis c(default_hardware(), "r1");
    CHECK(c.fpc(0)->state == FpcState::online);
    CHECK(c.pic(0, 1)->state == PicState::online);
    CHECK(c.pic(0, 1)->type->id == "es");
    CHECK(c.pic(0, 2)->state == PicState::empty);
    CHECK(c.pic(0, 4) == nullptr);
    CHECK(c.fpc(2) == nullptr);

    HardwareConf m20;
    m20.chassis = "m20";
    m20.pics = {{2, 0, "1x-ge", 1}};
    Chassis big(m20, "r2");
    CHECK(big.fpcs().size() == 4);
    CHECK(big.fpc(0)->state == FpcState::empty);
    CHECK(big.fpc(2)->state == FpcState::online);
}

TEST_CASE("a PIC goes offline and online on request") {
    Chassis c(default_hardware(), "r1");
    Recorder rec;
    rec.attach(c);
    auto r = c.request_pic(0, 1, false);
    CHECK(r.ok);
    CHECK(r.message == "fpc 0 pic 1 offline initiated, use \"show chassis fpc pic-status\" to verify");
    CHECK(c.pic(0, 1)->state == PicState::offline);
    CHECK(c.fpc(0)->state == FpcState::online);
    r = c.request_pic(0, 1, false);
    CHECK(r.ok);
    CHECK(r.message == "FPC 0 PIC 1 already offline");
    r = c.request_pic(0, 1, true);
    CHECK(r.message == "fpc 0 pic 1 online initiated, use \"show chassis fpc pic-status\" to verify");
    CHECK(rec.changes == std::vector<std::string>{"0/1 Offline", "0/1 Online"});
}

TEST_CASE("PIC requests for empty or missing slots are refused") {
    Chassis c(default_hardware(), "r1");
    auto r = c.request_pic(0, 3, false);
    CHECK_FALSE(r.ok);
    CHECK(r.message == "FPC 0 PIC 3 not present");
    r = c.request_pic(5, 0, false);
    CHECK_FALSE(r.ok);
    CHECK(r.message == "FPC slot 5 does not exist (valid slots 0..1)");
    r = c.request_pic(0, 4, true);
    CHECK(r.message == "PIC slot 4 does not exist (valid slots 0..3)");
}

TEST_CASE("an FPC offline takes its PICs to present; online brings them all back") {
    Chassis c(default_hardware(), "r1");
    Recorder rec;
    rec.attach(c);
    c.request_pic(1, 0, false);
    rec.changes.clear();
    auto r = c.request_fpc(1, FpcAction::offline);
    CHECK(r.ok);
    CHECK(r.message == "Offline initiated, use \"show chassis fpc\" to verify");
    CHECK(c.fpc(1)->state == FpcState::offline);
    CHECK(c.pic(1, 0)->state == PicState::present);
    CHECK(c.pic(1, 1)->state == PicState::present);
    CHECK(c.pic(1, 2)->state == PicState::empty);
    CHECK(rec.changes == std::vector<std::string>{"1/0 Present", "1/1 Present"});
    // A PIC of an offline FPC cannot be brought online.
    r = c.request_pic(1, 1, true);
    CHECK_FALSE(r.ok);
    CHECK(r.message == "FPC 1 not online");
    CHECK(c.request_fpc(1, FpcAction::offline).message == "FPC 1 already offline");
    rec.changes.clear();
    r = c.request_fpc(1, FpcAction::online);
    CHECK(r.message == "Online initiated, use \"show chassis fpc\" to verify");
    CHECK(rec.changes == std::vector<std::string>{"1/0 Online", "1/1 Online"});
    CHECK(c.request_fpc(1, FpcAction::online).message == "FPC 1 already online");
}

TEST_CASE("FPC requests for empty or missing slots are refused") {
    HardwareConf m20;
    m20.chassis = "m20";
    m20.pics = {{2, 0, "1x-ge", 1}};
    Chassis c(m20, "r1");
    auto r = c.request_fpc(0, FpcAction::restart);
    CHECK_FALSE(r.ok);
    CHECK(r.message == "FPC 0 not present");
    r = c.request_fpc(4, FpcAction::offline);
    CHECK(r.message == "FPC slot 4 does not exist (valid slots 0..3)");
}

TEST_CASE("an FPC restart is offline now, online when the caller finishes it") {
    long long t = 100;
    Chassis c(default_hardware(), "r1", [&t] { return t; });
    Recorder rec;
    rec.attach(c);
    auto r = c.request_fpc(0, FpcAction::restart);
    CHECK(r.message == "Restart initiated, use \"show chassis fpc\" to verify");
    CHECK(c.fpc(0)->state == FpcState::offline);
    CHECK(c.fpc(0)->restarting);
    CHECK(c.pic(0, 0)->state == PicState::present);
    t = 102;
    CHECK(c.finish_restart(0));
    CHECK(c.fpc(0)->state == FpcState::online);
    CHECK(c.pic(0, 1)->online_since == 102);
    CHECK(rec.changes == std::vector<std::string>{"0/0 Present", "0/1 Present", "0/0 Online", "0/1 Online"});
    CHECK_FALSE(c.finish_restart(0));

    // Taken offline while restarting: the restart does not bring it back.
    c.request_fpc(0, FpcAction::restart);
    c.request_fpc(0, FpcAction::offline);
    CHECK_FALSE(c.finish_restart(0));
    CHECK(c.fpc(0)->state == FpcState::offline);
}

TEST_CASE("alarms: none by default, a missing power supply raises one") {
    Chassis c(default_hardware(), "r1");
    c.request_fpc(1, FpcAction::offline);  // an operator's offline raises no alarm
    CHECK(c.alarms().empty());
    auto hw = default_hardware();
    hw.absent_power_supplies = {"B"};
    Chassis c2(hw, "r1");
    REQUIRE(c2.alarms().size() == 1);
    CHECK(c2.alarms()[0].cls == "Minor");
    CHECK(c2.alarms()[0].description == "Power Supply B Absent");
}

TEST_CASE("the operator's offline FPCs and PICs are saved and restored silently") {
    Chassis c(default_hardware(), "r1");
    c.request_pic(0, 1, false);
    c.request_fpc(1, FpcAction::offline);
    const std::string saved = c.save_state();
    CHECK(saved == "pic 0/1 offline\nfpc 1 offline\n");
    Chassis d(default_hardware(), "r1");
    Recorder rec;
    rec.attach(d);
    d.restore_state(saved + "garbage\npic 9/9 offline\n");
    CHECK(rec.changes.empty());
    CHECK(d.pic(0, 1)->state == PicState::offline);
    CHECK(d.fpc(1)->state == FpcState::offline);
    CHECK(d.pic(1, 0)->state == PicState::present);
    // A restarting FPC is saved as online: it would have come back.
    Chassis e(default_hardware(), "r1");
    e.request_fpc(0, FpcAction::restart);
    CHECK(e.save_state().empty());
}
