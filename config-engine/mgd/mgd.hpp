// mgd, the management daemon: the CLI's only peer. It owns the configuration (config_service.hpp) and
// routes every operational RPC to the daemon that owns its data, through one table. Replies are XML;
// the CLI renders them.
#pragma once

#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config_service.hpp"
#include "msim/common/daemon.hpp"

namespace msim::mgd {

class Mgd {
  public:
    explicit Mgd(Daemon& daemon);
    ~Mgd();

    // The daemon that answers an operational RPC, or "" when mgd answers it (or nobody does).
    static std::string owner_of_rpc(std::string_view rpc_name);
    // Whether a CLI user of this login class may run the RPC (checked for every RPC of a CLI session).
    static bool class_permits(std::string_view user_class, std::string_view rpc);
    // A configuration-mode line as the CLI's history keeps it: secret values in their $9$ form.
    static std::string history_line(const config::Schema& schema, const std::vector<std::string>& edit_path,
                                    const std::string& line);

  private:
    void register_session_rpcs();
    void register_configuration_rpcs();
    void register_file_rpcs();
    void get_software_information(ipc::Responder responder);
    void forward(const pugi::xml_node& request, const std::string& owner, ipc::Responder responder);
    std::string host_name() const;
    void with_uptime(std::function<void(std::time_t now, long up, long mgd_up)> done);
    pugi::xml_node append_uptime_information(pugi::xml_node parent, std::time_t now, long up) const;

    Daemon& daemon_;
    std::unique_ptr<ConfigService> config_;
    std::map<uint32_t, std::time_t> last_activity_;  // CLI session id -> its last RPC
};

}  // namespace msim::mgd
