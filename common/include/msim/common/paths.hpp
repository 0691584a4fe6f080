// Where things live in a router's state directory (its "disk"), as DESIGN.md lays it out:
//   config/juniper.conf[.1..49]  var/log/  var/run/<daemon>.sock  var/db/certs/  var/db/clock-offset
//   var/tmp/  hardware.conf
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <string_view>

namespace msim {

// The daemons of one router, in the order init starts them.
inline constexpr std::array<std::string_view, 6> router_daemons = {"mgd", "chassisd", "pfed",
                                                                   "kmd", "pkid",     "ipsecd"};

struct RouterPaths {
    std::string router;          // router name, e.g. "default" or "gateway-a"
    std::filesystem::path root;  // $MSIM_HOME/<router>

    std::filesystem::path config_dir() const { return root / "config"; }
    std::filesystem::path committed_config() const { return config_dir() / "juniper.conf"; }
    std::filesystem::path log_dir() const { return root / "var" / "log"; }
    std::filesystem::path messages_log() const { return log_dir() / "messages"; }
    std::filesystem::path run_dir() const { return root / "var" / "run"; }
    std::filesystem::path socket(std::string_view daemon) const {
        return run_dir() / (std::string(daemon) + ".sock");
    }
    std::filesystem::path init_pid_file() const { return run_dir() / "init.pid"; }
    std::filesystem::path certs_dir() const { return root / "var" / "db" / "certs"; }
    // The offset `set date` gives the router's clock (RouterClock).
    std::filesystem::path clock_offset_file() const { return root / "var" / "db" / "clock-offset"; }
    std::filesystem::path tmp_dir() const { return root / "var" / "tmp"; }
    std::filesystem::path hardware_conf() const { return root / "hardware.conf"; }

    // Creates the directory skeleton (not the files: only mgd writes config/).
    void create_layout() const;
};

// $MSIM_HOME, or ~/.local/share/msim when unset.
std::filesystem::path msim_home();
RouterPaths router_paths(std::string_view router);

// A router name is used as a folder and a host name: letters, digits, '-', '_', '.', at most 63 chars.
bool valid_router_name(std::string_view name);

}  // namespace msim
