// chassisd's daemon logic: loads hardware.conf, answers the chassis RPCs, runs FPC restarts on timers,
// logs FRU changes to var/log/messages (Junos CHASSISD_* tags), sends <pic-state-change> notifications to
// the connections that called <subscribe-pic-state/>, and keeps the operator's offline requests in
// var/db/chassisd.state across a chassisd restart (not across a router restart, as a reboot would).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <vector>

#include "msim/common/daemon.hpp"
#include "msim/hwsim/chassis.hpp"

namespace msim::hwsim {

class Chassisd {
  public:
    // Throws std::runtime_error (file:line: why) when hardware.conf is wrong; the error is also logged.
    explicit Chassisd(Daemon& daemon,
                      std::chrono::milliseconds restart_delay = std::chrono::milliseconds(1500));
    Chassisd(const Chassisd&) = delete;
    Chassisd& operator=(const Chassisd&) = delete;

    // Builds the component, registers its RPCs and hands it to the daemon to keep.
    static void attach(Daemon& daemon);

    const Chassis& chassis() const { return chassis_; }

  private:
    void register_rpcs();
    void pic_changed(const Pic& p);
    void after_fpc_request(int slot, FpcAction action, bool changed);
    void save_state();
    // Logs `line`, or keeps it until flush_log() while a request runs, so that the request's own notice
    // ("Taking FPC 1 offline") comes before the per-PIC lines it caused, as on Junos.
    void log(const std::string& line);
    void flush_log(const std::string& first);
    void load_state();
    std::filesystem::path state_file() const;

    Daemon& daemon_;
    Chassis chassis_;
    std::chrono::milliseconds restart_delay_;
    std::time_t started_;
    std::vector<std::weak_ptr<ipc::Connection>> subscribers_;
    bool deferring_ = false;
    std::vector<std::string> deferred_;
    std::map<int, std::unique_ptr<boost::asio::steady_timer>> restart_timers_;
};

}  // namespace msim::hwsim
