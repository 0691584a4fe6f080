// The installed hardware of one router and the FPC/PIC state machine, without I/O: chassisd (daemon.hpp)
// drives it from RPCs and timers, and tests drive it directly.
//
// States (Junos names):
//   FPC: empty (no PIC installed in it), online, offline.
//   PIC: empty (no PIC in the slot), online, offline (taken offline by the operator), present (installed but
//        not online because its FPC is not online).
// A PIC is online only while its FPC is online. Taking an FPC offline turns its PICs to present; bringing
// it online brings every installed PIC online again (an operator's PIC offline does not survive an FPC
// cycle, as on Junos). An FPC restart is offline now and online later: the caller arms the timer and
// calls finish_restart().
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "msim/hwsim/chassis_model.hpp"
#include "msim/hwsim/hardware_conf.hpp"

namespace msim::hwsim {

enum class FpcState { empty, online, offline };
enum class PicState { empty, online, offline, present };

std::string_view to_string(FpcState s);  // "Empty", "Online", "Offline" (as show chassis prints them)
std::string_view to_string(PicState s);  // "Empty", "Online", "Offline", "Present"

struct Pic {
    int fpc = 0;
    int slot = 0;
    const PicType* type = nullptr;  // nullptr: empty slot
    PicState state = PicState::empty;
    long long online_since = 0;  // steady seconds when it last came online (for the uptime)
};

struct Fpc {
    int slot = 0;
    FpcState state = FpcState::empty;
    bool restarting = false;
    long long online_since = 0;
    std::vector<Pic> pics;  // one per PIC slot of the model
};

struct Alarm {
    std::string cls;  // Major, Minor
    std::string description;
    std::string short_description;
    std::string type;  // Chassis
};

enum class FpcAction { offline, online, restart };

class Chassis {
  public:
    // `router` seeds the serial numbers. `now` is a clock in seconds (tests pass a fake one).
    Chassis(const HardwareConf& hw, std::string router, std::function<long long()> now = {});

    const ChassisModel& model() const { return *model_; }
    const std::string& router() const { return router_; }
    const HardwareConf& hardware() const { return hw_; }
    const std::vector<Fpc>& fpcs() const { return fpcs_; }
    // nullptr when out of range.
    const Fpc* fpc(int slot) const;
    const Pic* pic(int fpc, int slot) const;
    long long now() const { return now_(); }

    // Runs for every PIC whose state changed (after the change).
    void on_pic_change(std::function<void(const Pic&)> listener) { listener_ = std::move(listener); }

    // The outcome of a request: `ok` false means an error (message without "error: "), otherwise the
    // message is what the CLI prints.
    struct Result {
        bool ok = true;
        std::string message;
    };
    Result request_pic(int fpc, int pic, bool online);
    Result request_fpc(int slot, FpcAction action);
    // The second half of a restart; false when the FPC is no longer restarting (the operator took it
    // offline or online meanwhile).
    bool finish_restart(int slot);

    std::vector<Alarm> alarms() const;

    // What survives a chassisd restart (see README): the operator's offline FPCs and PICs, one per line.
    std::string save_state() const;
    // Applies a saved state without telling the listener (it runs before anyone subscribed).
    void restore_state(const std::string& text);

  private:
    Result check_fpc(int slot) const;
    void set_pic(Pic& p, PicState s);
    void fpc_offline(Fpc& f);
    void fpc_online(Fpc& f);

    HardwareConf hw_;
    const ChassisModel* model_;
    std::string router_;
    std::function<long long()> now_;
    std::vector<Fpc> fpcs_;
    std::function<void(const Pic&)> listener_;
};

}  // namespace msim::hwsim
